/**
 * What kcm's ClusterDeployment webhook checks about a service (kcm internal/util/validation/services.go:
 * the ServiceTemplate exists in the deployment's namespace and is valid, dependsOn names defined
 * services; cluster_template.go ClusterTemplateK8sCompatibility: the cluster's Kubernetes version meets
 * the template's constraint), plus what Helm will check at install: the values against the chart's
 * values.schema.json. Every failure is invalidParams, raised before anything is written.
 */
import { TOOL, toolRef } from '../tool-names.js';
import semver from 'semver';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { checkConfig, isJsonObject, type JsonObject } from '../shared/config-schema.js';
import type { CallOptions, K0rdentApi, KubeObject } from '../kube/k0rdent-api.js';
import { parseSchema } from '../clusters/summaries.js';
import { nearestName } from '../shared/suggest.js';
import { AppError, echo } from '../errors.js';
import { assertNoPlaceholders, assertStructure, placeholderLines } from '../shared/config-guard.js';
import { settingExpects } from '../shared/config-schema.js';
import { CLUSTER_TEMPLATE, DEFAULT_SERVICE_NAMESPACE, SCHEMA_CONFIGMAP_KEY, SERVICE_TEMPLATE } from '../k0rdent/resources.js';
import { keyOf, keyText, serviceEntries, type ServiceKey } from './entries.js';
import { summarizeServiceTemplate } from './summaries.js';
import { catalogNestingKey, unknownTopLevelKeys } from './values-keys.js';
import type { DependsOn } from './types.js';

const SHOWN = 20;

/** The valid ServiceTemplates of a namespace (one page of at most 500; enough to name what is there). */
async function usableTemplates(api: K0rdentApi, namespace: string, call: CallOptions): Promise<string[]> {
  const page = await api.list(SERVICE_TEMPLATE, { namespace, limit: 500 }, call).catch(() => ({ items: [] as KubeObject[] }));
  return page.items
    .filter((t) => t.status?.valid === true)
    .map((t) => t.metadata?.name ?? '')
    .filter((n) => n !== '')
    .sort();
}

function availability(namespace: string, wanted: string, names: string[]): { text: string; details: JsonObject } {
  const nearest = nearestName(wanted, names);
  const shown = names.slice(0, SHOWN);
  const text =
    names.length === 0
      ? ` No valid ServiceTemplate exists in "${namespace}"; see ${toolRef(TOOL.servicesListTemplates)}.`
      : ` Available in "${namespace}": ${shown.join(', ')}${names.length > SHOWN ? `, … (${names.length} in all; see ${toolRef(TOOL.servicesListTemplates)})` : ''}.${nearest !== undefined ? ` Did you mean "${nearest}"?` : ''}`;
  return { text, details: { available: shown, ...(nearest !== undefined ? { nearest } : {}) } };
}

/** The ServiceTemplate, existing and valid in the deployment's namespace. */
export async function checkServiceTemplate(api: K0rdentApi, namespace: string, name: string, call: CallOptions): Promise<KubeObject> {
  const template = await api.get(SERVICE_TEMPLATE, namespace, name, call);
  if (template?.status?.valid === true) return template;
  const extra = availability(namespace, name, await usableTemplates(api, namespace, call));
  if (template === undefined) {
    throw new AppError(
      'invalidParams',
      `ServiceTemplate "${name}" does not exist in namespace "${namespace}" (a service can only use a template in its ClusterDeployment's namespace).${extra.text}`,
      { templates: extra.details },
    );
  }
  const why =
    typeof template.status?.validationError === 'string' && template.status.validationError !== ''
      ? `: ${template.status.validationError}`
      : ' (kcm has not validated it yet)';
  throw new AppError('invalidParams', `ServiceTemplate ${namespace}/${name} is not valid${why}.${extra.text}`, {
    templates: extra.details,
  });
}

/**
 * The values as the entry stores them (YAML text), checked against the chart schema when the template
 * has one. Text with Go templating (`{{`) is kcm's to render: it is checked for nothing but being text.
 */
export async function checkValues(
  api: K0rdentApi,
  template: KubeObject,
  values: string | JsonObject | undefined,
  call: CallOptions,
): Promise<string | undefined> {
  if (values === undefined) return undefined;
  let parsed: unknown;
  let text: string;
  if (typeof values === 'string') {
    text = values;
    if (values.includes('{{')) {
      // Kept as text for kcm to render; a placeholder in it is still no value.
      const lines = placeholderLines(values);
      if (lines.length > 0)
        throw new AppError(
          'invalidParams',
          `values line ${lines.map((l) => `${l.line} holds the placeholder ${echo(l.marker, 100)}`).join(', line ')}: put the real value there. A "<FILL: …>" marker stands for a value only the caller knows; nothing was written`,
          { placeholders: lines.map((l) => ({ path: `values (line ${l.line})`, marker: l.marker })) },
        );
      return text;
    }
    try {
      parsed = parseYaml(values) ?? {};
    } catch (error) {
      throw new AppError(
        'invalidParams',
        `values is not valid YAML: ${(error as Error).message.split('\n')[0] ?? ''}; pass a YAML map (or an object)`,
      );
    }
  } else {
    parsed = values;
    text = Object.keys(values).length === 0 ? '' : stringifyYaml(values);
  }
  if (!isJsonObject(parsed))
    throw new AppError(
      'invalidParams',
      `values must be a YAML map of chart values, not ${Array.isArray(parsed) ? 'a list' : typeof parsed}`,
    );
  // The YAML form gets the same structural checks as the object form (src/mcp/tools/registry.ts checks
  // every argument): no `__proto__`, `constructor` or `prototype` key, bounded depth and size.
  assertStructure(parsed, 'values');
  const cmName = template.status?.schemaConfigMapName;
  const namespace = template.metadata?.namespace ?? '';
  const schema =
    typeof cmName === 'string' && cmName !== ''
      ? parseSchema(await api.getConfigMapData(namespace, cmName, call).catch(() => undefined), SCHEMA_CONFIGMAP_KEY)
      : undefined;
  assertNoPlaceholders(parsed, 'values', (parts) => settingExpects(schema, parts));
  const defaults = isJsonObject(template.status?.config) ? template.status.config : undefined;
  const summary = summarizeServiceTemplate(template);
  const unknown = unknownTopLevelKeys(
    parsed,
    schema,
    defaults,
    catalogNestingKey(summary.chart, summary.version),
    `${namespace}/${summary.name}`,
  );
  if (unknown.length > 0) {
    const listed = unknown.join('; ');
    // A problem may end with "did you mean …?": no stray period after it.
    throw new AppError('invalidParams', `${listed}${/[.?!]$/.test(listed) ? '' : '.'} Nothing was written`, { problems: unknown });
  }
  if (typeof cmName !== 'string' || cmName === '') return text;
  // The schema check names paths as config.x (shared with deploy): here they are values.x — each path a problem
  // names (its own and a "did you mean" one) starts the text or follows a space; a nested key "config" stays.
  const problems = checkConfig(schema, defaults, parsed).map((p) => p.replace(/(^|\s)config(?=[.[\s]|$)/g, '$1values'));
  if (problems.length > 0) {
    throw new AppError(
      'invalidParams',
      `values do not satisfy the chart schema of ServiceTemplate ${namespace}/${template.metadata?.name ?? ''}: ${problems.join('; ')}`,
      { problems },
    );
  }
  return text;
}

/** Every dependsOn names another service of the same deployment (after this apply). */
export function checkDependsOn(deployment: KubeObject, self: ServiceKey, dependsOn: DependsOn[]): void {
  const keys = dependsOn.map((d) => keyText({ name: d.name, namespace: d.namespace ?? DEFAULT_SERVICE_NAMESPACE }));
  if (keys.includes(keyText(self)))
    throw new AppError('invalidParams', `service ${keyText(self)} cannot depend on itself; remove it from dependsOn`);
  const names = serviceEntries(deployment)
    .map(keyOf)
    .map(keyText)
    .filter((k) => k !== keyText(self));
  const missing = keys.filter((k) => !names.includes(k));
  if (missing.length === 0) return;
  const nearest = nearestName(missing[0]!, names);
  const where = `ClusterDeployment ${deployment.metadata?.namespace ?? ''}/${deployment.metadata?.name ?? ''}`;
  throw new AppError(
    'invalidParams',
    `dependsOn names ${missing.join(', ')}, not a service of ${where} (a dependency is given as {name, namespace}, namespace "default" when omitted). Its services: ${names.length > 0 ? names.join(', ') : 'none'}.${nearest !== undefined ? ` Did you mean "${nearest}"?` : ''}`,
    { missing, services: names },
  );
}

/** Masterminds constraints (kcm's) separate AND terms with commas; node-semver uses spaces. */
export function satisfies(version: string, constraint: string): boolean | undefined {
  const parsed = semver.coerce(version, { includePrerelease: true });
  const range = semver.validRange(constraint.replace(/,/g, ' '), { includePrerelease: true });
  if (!parsed || !range) return undefined;
  return semver.satisfies(parsed, range, { includePrerelease: true });
}

/** The cluster's Kubernetes version (its ClusterTemplate's status.k8sVersion, else the deployment's) meets the template's constraint. */
export async function checkK8sCompatibility(
  api: K0rdentApi,
  deployment: KubeObject,
  template: KubeObject,
  call: CallOptions,
): Promise<void> {
  const constraint = template.status?.k8sConstraint;
  if (typeof constraint !== 'string' || constraint === '') return;
  const namespace = deployment.metadata?.namespace ?? '';
  const clusterTemplateName = typeof deployment.spec?.template === 'string' ? deployment.spec.template : '';
  const clusterTemplate = clusterTemplateName
    ? await api.get(CLUSTER_TEMPLATE, namespace, clusterTemplateName, call).catch(() => undefined)
    : undefined;
  const version = [clusterTemplate?.status?.k8sVersion, deployment.status?.k8sVersion].find(
    (v): v is string => typeof v === 'string' && v !== '',
  );
  if (version === undefined) return;
  if (satisfies(version, constraint) === false) {
    throw new AppError(
      'invalidParams',
      `ServiceTemplate ${namespace}/${template.metadata?.name ?? ''} supports Kubernetes ${constraint}, but ClusterDeployment ${namespace}/${deployment.metadata?.name ?? ''} runs ${version}; choose a template version that supports it (${toolRef(TOOL.servicesListTemplates)} shows each template's kubernetesConstraint)`,
      { kubernetesVersion: version, kubernetesConstraint: constraint },
    );
  }
}
