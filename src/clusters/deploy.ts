/**
 * Deploy: the checks kcm's admission webhook will make, done first so the caller gets a clear answer
 * before anything is written, then a server-side apply of the ClusterDeployment.
 */
import { AppError, echo } from '../errors.js';
import {
  CLUSTER_DEPLOYMENT,
  CLUSTER_TEMPLATE,
  CREDENTIAL,
  ACCESS_MANAGEMENT_NAME,
  DEPLOYMENT_MANAGED_LABELS,
  K0RDENT_API_VERSION,
  type K0rdentResource,
} from '../k0rdent/resources.js';
import { assertObjectName, labelProblems } from '../policy/names.js';
import { assertNoPlaceholders, structureProblems } from '../shared/config-guard.js';
import { diffLabels, diffValues, type Change } from './changes.js';
import { checkConfig, isJsonObject, settingExpects, type JsonObject } from '../shared/config-schema.js';
import type { CallOptions, K0rdentApi, KubeObject } from '../kube/k0rdent-api.js';
import { nearestName } from '../shared/suggest.js';
import { notReadyReason } from './summaries.js';
import { templateSchema } from './template-schemas.js';
import { specOf, type DeployFields } from './deploy-fields.js';

/** `name` or `ns/name` (accepted only when ns is the target namespace, since k0rdent has no cross-namespace references). */
export function plainReference(value: string, field: 'template' | 'credential', targetNamespace: string): string {
  const slash = value.indexOf('/');
  if (slash < 0) {
    assertObjectName(value, field);
    return value;
  }
  const ns = value.slice(0, slash);
  const name = value.slice(slash + 1);
  if (ns !== targetNamespace) {
    throw new AppError(
      'invalidParams',
      `${field} ${echo(value)} points into namespace ${echo(ns)}, but a ClusterDeployment can only use a ${field === 'template' ? 'ClusterTemplate' : 'Credential'} in its own namespace ("${targetNamespace}"); pass the plain name of one in "${targetNamespace}" or deploy into "${ns}"`,
      { field },
    );
  }
  assertObjectName(name, field);
  return name;
}

export function assertLabels(labels: Readonly<Record<string, string>>): void {
  const problems = [...structureProblems(labels, 'labels'), ...labelProblems(labels)];
  if (problems.length > 0) throw new AppError('invalidParams', `invalid labels: ${problems.join('; ')}`, { problems });
}

async function namesIn(
  api: K0rdentApi,
  resource: K0rdentResource,
  namespace: string,
  call: CallOptions,
  usable: (o: KubeObject) => boolean,
): Promise<{ all: string[]; usable: string[] } | undefined> {
  try {
    const page = await api.list(resource, { namespace, limit: 500 }, call);
    const all = page.items
      .map((o) => o.metadata?.name ?? '')
      .filter((n) => n !== '')
      .sort();
    const ok = page.items
      .filter(usable)
      .map((o) => o.metadata?.name ?? '')
      .filter((n) => n !== '')
      .sort();
    return { all, usable: ok };
  } catch {
    return undefined;
  }
}

const templateUsable = (o: KubeObject): boolean => o.status?.valid === true;
const credentialUsable = (o: KubeObject): boolean => o.status?.ready === true;

function availability(
  kindLabel: string,
  namespace: string,
  wanted: string,
  names: { all: string[]; usable: string[] } | undefined,
): { text: string; details: Record<string, unknown> } {
  if (names === undefined) return { text: '', details: {} };
  const suggestion = nearestName(wanted, names.usable.length > 0 ? names.usable : names.all);
  const list = names.usable.length > 0 ? names.usable.join(', ') : 'none';
  const text = ` Usable ${kindLabel}s in ${namespace}: ${list}.${suggestion ? ` Did you mean "${suggestion}"?` : ''}`;
  return { text, details: { available: names.usable, ...(suggestion ? { suggestion } : {}) } };
}

export interface Prepared {
  template: KubeObject;
  credential: KubeObject;
}

/** Template and credential exist in `namespace`, the template is valid, the credential is ready; else invalidParams. */
export async function checkReferences(
  api: K0rdentApi,
  namespace: string,
  globalNamespace: string,
  templateName: string,
  credentialName: string,
  call: CallOptions,
  namespaceExists: () => Promise<void> = async () => undefined,
): Promise<Prepared> {
  const [template, credential] = await Promise.all([
    api.get(CLUSTER_TEMPLATE, namespace, templateName, call),
    api.get(CREDENTIAL, namespace, credentialName, call),
  ]);
  // Neither exists: most likely the namespace itself does not (notFound naming the readable ones).
  if (template === undefined && credential === undefined) await namespaceExists();
  const problems: string[] = [];
  const details: Record<string, unknown> = {};

  if (template === undefined) {
    let text = `ClusterTemplate ${echo(templateName)} does not exist in namespace "${namespace}" (a ClusterDeployment can only use a template in its own namespace).`;
    if (namespace !== globalNamespace) {
      const global = await api.get(CLUSTER_TEMPLATE, globalNamespace, templateName, call).catch(() => undefined);
      if (global !== undefined) {
        text += ` It exists in the global namespace "${globalNamespace}": it must first be made available in "${namespace}" through the AccessManagement "${ACCESS_MANAGEMENT_NAME}" (spec.accessRules) or a ClusterTemplateChain.`;
        details.templateInGlobalNamespace = true;
      }
    }
    const names = await namesIn(api, CLUSTER_TEMPLATE, namespace, call, templateUsable);
    const extra = availability('template', namespace, templateName, names);
    problems.push(text + extra.text);
    details.templates = extra.details;
  } else if (template.status?.valid !== true) {
    const why =
      typeof template.status?.validationError === 'string' && template.status.validationError !== ''
        ? `: ${template.status.validationError}`
        : ' (kcm has not validated it yet)';
    const names = await namesIn(api, CLUSTER_TEMPLATE, namespace, call, templateUsable);
    const extra = availability('template', namespace, templateName, names);
    problems.push(`ClusterTemplate ${namespace}/${templateName} is not valid${why}.${extra.text}`);
    details.templates = extra.details;
  }

  if (credential === undefined) {
    const names = await namesIn(api, CREDENTIAL, namespace, call, credentialUsable);
    const extra = availability('credential', namespace, credentialName, names);
    problems.push(
      `Credential ${echo(credentialName)} does not exist in namespace "${namespace}" (a ClusterDeployment can only use a credential in its own namespace).${extra.text}`,
    );
    details.credentials = extra.details;
  } else if (credential.status?.ready !== true) {
    const names = await namesIn(api, CREDENTIAL, namespace, call, credentialUsable);
    const extra = availability('credential', namespace, credentialName, names);
    const reason = notReadyReason(credential);
    problems.push(`Credential ${namespace}/${credentialName} is not ready${reason ? `: ${reason}` : ''}.${extra.text}`);
    details.credentials = { ...extra.details, ...(reason ? { notReadyReason: reason } : {}) };
  }

  if (problems.length > 0 || template === undefined || credential === undefined) {
    throw new AppError('invalidParams', problems.join(' '), details);
  }
  return { template, credential };
}

/** The config problems against the template's JSON Schema (from its `schema-ct-*` ConfigMap) when there is one. */
export async function checkTemplateConfig(api: K0rdentApi, template: KubeObject, config: JsonObject, call: CallOptions): Promise<void> {
  const namespace = template.metadata?.namespace ?? '';
  const cmName = template.status?.schemaConfigMapName;
  // The same per-identity cache as listTemplates (template-schemas.ts): no ConfigMap GET once read.
  const schema = typeof cmName === 'string' && cmName !== '' ? await templateSchema(api, template, call) : undefined;
  const defaults = isJsonObject(template.status?.config) ? template.status.config : undefined;
  assertNoPlaceholders(config, 'config', (parts) => settingExpects(schema, parts));
  const problems = checkConfig(schema, defaults, config);
  if (problems.length > 0) {
    throw new AppError(
      'invalidParams',
      `config does not satisfy ClusterTemplate ${namespace}/${template.metadata?.name ?? ''}: ${problems.join('; ')}`,
      { problems },
    );
  }
}

export interface ManifestInput {
  name: string;
  namespace: string;
  template: string;
  credential: string;
  labels: Record<string, string> | undefined;
  config: JsonObject | undefined;
  /** The day-one fields (./deploy-fields.ts), only those given. */
  fields?: DeployFields | undefined;
}

/** The ClusterDeployment to apply: managed labels win over the caller's, and `spec.config` is always set. */
export function buildClusterDeployment(input: ManifestInput): KubeObject & { metadata: { name: string; namespace: string } } {
  return {
    apiVersion: K0RDENT_API_VERSION,
    kind: CLUSTER_DEPLOYMENT.kind,
    metadata: { name: input.name, namespace: input.namespace, labels: { ...(input.labels ?? {}), ...DEPLOYMENT_MANAGED_LABELS } },
    // An absent config makes kcm's mutating webhook turn the deployment into a dry run.
    spec: { template: input.template, credential: input.credential, config: input.config ?? {}, ...specOf(input.fields ?? {}) },
  };
}

/** The services of a spec as deploy writes them: name, namespace, template, values. */
function servicesOf(spec: Record<string, unknown>): unknown[] {
  const serviceSpec = isJsonObject(spec.serviceSpec) ? spec.serviceSpec : {};
  const services = Array.isArray(serviceSpec.services) ? serviceSpec.services : [];
  return services.map((s) => {
    const o = isJsonObject(s) ? s : {};
    return { name: o.name, namespace: o.namespace ?? 'default', template: o.template, ...(o.values ? { values: o.values } : {}) };
  });
}

/**
 * What an existing ClusterDeployment differs in from what a deploy asks for: template, credential, the
 * whole config, and the caller's and managed labels (labels others added, e.g. kcm's component label,
 * are not a difference).
 */
export function deploymentDifferences(existing: KubeObject, wanted: KubeObject): Change[] {
  const changes: Change[] = [];
  const before = existing.spec ?? {};
  const after = wanted.spec ?? {};
  for (const field of ['template', 'credential'] as const) diffValues(before[field], after[field], field, changes);
  diffValues(isJsonObject(before.config) ? before.config : {}, isJsonObject(after.config) ? after.config : {}, 'config', changes);
  // The day-one fields the deploy gives (kcm and the CRD default others, e.g. propagateCredentials: true).
  for (const field of ['cleanupOnDeletion', 'propagateCredentials', 'clusterAuth', 'auditPolicy', 'dataSource'] as const) {
    if (after[field] !== undefined)
      diffValues(before[field] ?? (field === 'cleanupOnDeletion' ? false : undefined), after[field], field, changes);
  }
  if (after.ipamClaim !== undefined) {
    const ref = (spec: Record<string, unknown>): unknown => (isJsonObject(spec.ipamClaim) ? spec.ipamClaim.ref : undefined);
    diffValues(ref(before), ref(after), 'ipamClaim', changes);
  }
  if (after.serviceSpec !== undefined) diffValues(servicesOf(before), servicesOf(after), 'serviceSpec.services', changes);
  diffLabels(existing.metadata?.labels ?? {}, wanted.metadata?.labels ?? {}, changes);
  return changes;
}

/**
 * kcm's update check: switching an existing deployment to another template is allowed only to one of
 * its `status.availableUpgrades` (offered by a ClusterTemplateChain).
 */
export function assertUpgradeAllowed(existing: KubeObject, templateName: string): void {
  const current = existing.spec?.template;
  if (typeof current !== 'string' || current === templateName) return;
  const raw = existing.status?.availableUpgrades;
  const upgrades = Array.isArray(raw) ? raw.filter((u): u is string => typeof u === 'string') : [];
  if (upgrades.includes(templateName)) return;
  const ns = existing.metadata?.namespace ?? '';
  const name = existing.metadata?.name ?? '';
  throw new AppError(
    'invalidParams',
    `ClusterDeployment ${ns}/${name} uses template "${current}" and cannot be moved to ${echo(templateName)}: ${upgrades.length > 0 ? `its available upgrades (status.availableUpgrades) are ${upgrades.join(', ')}` : 'it has no available upgrades (a ClusterTemplateChain in the namespace must offer one)'}; keep "${current}" or choose one of those`,
    { availableUpgrades: upgrades, ...(nearestName(templateName, upgrades) ? { suggestion: nearestName(templateName, upgrades) } : {}) },
  );
}
