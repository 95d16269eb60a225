/**
 * kcm's services on ClusterDeployments, simulated: the webhook checks of `spec.serviceSpec.services`
 * and the states each service goes through in `status.services`, with the ServicesInReadyState
 * condition ("ready/total") that feeds Ready.
 * - Admission: kcm `internal/util/validation/services.go` (ServicesHaveValidTemplates,
 *   ValidateServiceDependencyOverall) and `cluster_template.go:104` (ClusterTemplateK8sCompatibility), as
 *   `internal/webhook/clusterdeployment_webhook.go:58-153` calls them.
 * - States: kcm `api/v1beta1/serviceset_types.go:31-42` (Pending, Provisioning, Deployed, Failed,
 *   Deleting); kcm deploys through a ServiceSet per cluster that Sveltos reconciles once the cluster is
 *   up; here the controller moves each entry itself: Pending until the CAPI cluster is ready (and its
 *   dependsOn are deployed), Provisioning, then Deployed — or Failed with Helm's message when the
 *   values do not parse or break the chart's values.schema.json.
 * - Status: `clusterdeployment_controller.go:1398-1509` (updateServices, setServicesCondition:
 *   Deleting entries are not counted, "x/y", False/Failed while x < y) and `:2136`
 *   (collectServicesStatuses: sorted by type, namespace, name).
 * MultiClusterServices add their services to every matching deployment (they reach it through their
 * own ServiceSet); their status lists the matching clusters.
 */
import semver from 'semver';
import { parse as parseYaml } from 'yaml';
import type { KubeObject } from '../apiserver/types.js';
import type { KcmReader } from './api.js';
import { CAPI_CLUSTER_SUMMARY, FAILED, READY, SERVICES_IN_READY_STATE, SUCCEEDED, setCondition, withReadyCondition, type Condition } from './conditions.js';
import { validateChartValues } from './config-validation.js';
import {
  CLUSTER_DEPLOYMENTS,
  CONFIG_MAPS,
  MULTI_CLUSTER_SERVICES,
  SERVICE_TEMPLATES,
  SYSTEM_NAMESPACE,
  isJsonObject,
  section,
  type JsonObject,
} from './resources.js';
import { SERVICE_CHARTS } from './service-charts.js';

export const SERVICE_STATES = { deployed: 'Deployed', failed: 'Failed', pending: 'Pending', provisioning: 'Provisioning', deleting: 'Deleting' } as const;

export interface ServiceEntry {
  name: string;
  namespace: string;
  template: string;
  values?: string;
  dependsOn: { name: string; namespace: string }[];
  disable: boolean;
  /** The MultiClusterService the entry comes from (its templates live in the system namespace). */
  from?: string;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
/** kcm `internal/serviceset/util.go:983` ServiceKey: an empty namespace is "default". */
const effectiveNamespace = (ns: string): string => (ns === '' ? 'default' : ns);
export const serviceKey = (namespace: string, name: string): string => `${effectiveNamespace(namespace)}/${name}`;

function entriesOf(serviceSpec: unknown, from?: string): ServiceEntry[] {
  const raw = isJsonObject(serviceSpec) && Array.isArray(serviceSpec['services']) ? serviceSpec['services'] : [];
  return raw.filter(isJsonObject).map((s) => ({
    name: str(s['name']),
    namespace: effectiveNamespace(str(s['namespace'])),
    template: str(s['template']),
    ...(typeof s['values'] === 'string' ? { values: s['values'] } : {}),
    dependsOn: (Array.isArray(s['dependsOn']) ? s['dependsOn'] : []).filter(isJsonObject).map((d) => ({ name: str(d['name']), namespace: effectiveNamespace(str(d['namespace'])) })),
    disable: s['disable'] === true,
    ...(from ? { from } : {}),
  }));
}

/** The services of the deployment's own spec. */
export function deploymentServices(deployment: KubeObject): ServiceEntry[] {
  return entriesOf(section(deployment, 'spec')['serviceSpec']);
}

// ---- admission ----

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_MESSAGE = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

/** apimachinery ValidateNamespaceName messages as field.Invalid renders them. */
function nameErrors(field: string, value: string): string[] {
  const out: string[] = [];
  if (value.length > 63) out.push(`${field}: Invalid value: "${value}": must be no more than 63 characters`);
  if (!DNS1123_LABEL.test(value)) out.push(`${field}: Invalid value: "${value}": ${LABEL_MESSAGE}`);
  return out;
}

/** ServicesHaveValidTemplates + ValidateServiceDependencyOverall; the webhook's detail after "the ClusterDeployment is invalid: ". */
export function servicesAdmissionError(store: KcmReader, namespace: string, services: ServiceEntry[]): string | undefined {
  const errs: string[] = [];
  for (const svc of services) {
    const raw = svc.namespace;
    if (raw !== '') errs.push(...nameErrors('namespace', raw));
    if (svc.name !== '') errs.push(...nameErrors('name', svc.name));
    const template = store.get(SERVICE_TEMPLATES, namespace, svc.template);
    if (!template) {
      errs.push(`failed to get ServiceTemplate ${namespace}/${svc.template}: servicetemplates.k0rdent.mirantis.com "${svc.template}" not found`);
      continue;
    }
    const status = section(template, 'status');
    if (status['valid'] !== true) errs.push(`the ServiceTemplate ${namespace}/${svc.template} is invalid with the error: ${str(status['validationError'])}`);
  }
  if (errs.length > 0) return ['some services have invalid templates', ...errs].join('\n');
  const defined = new Set(services.map((s) => serviceKey(s.namespace, s.name)));
  const missing: string[] = [];
  for (const svc of services) {
    for (const d of svc.dependsOn) {
      const key = serviceKey(d.namespace, d.name);
      if (!defined.has(key)) missing.push(`dependency ${key} of service ${serviceKey(svc.namespace, svc.name)} is not defined as a service`);
    }
  }
  if (missing.length > 0) return ['some services have invalid dependencies', `failed service dependency validation: ${missing.join('\n')}`].join('\n');
  const cycle = dependencyCycle(services);
  if (cycle) return ['some services have invalid dependencies', `failed service dependency cycle validation: dependency cycle detected at ${cycle}`].join('\n');
  return undefined;
}

function dependencyCycle(services: ServiceEntry[]): string | undefined {
  const graph = new Map<string, string[]>();
  for (const s of services) graph.set(serviceKey(s.namespace, s.name), s.dependsOn.map((d) => serviceKey(d.namespace, d.name)));
  const visited = new Set<string>();
  const inStack = new Set<string>();
  const dfs = (node: string): string | undefined => {
    if (inStack.has(node)) return node;
    if (visited.has(node)) return undefined;
    visited.add(node);
    inStack.add(node);
    for (const d of graph.get(node) ?? []) {
      const found = dfs(d);
      if (found) return found;
    }
    inStack.delete(node);
    return undefined;
  };
  for (const node of graph.keys()) {
    const found = dfs(node);
    if (found) return found;
  }
  return undefined;
}

/** Masterminds constraints separate AND terms with commas; node-semver with spaces. */
export function satisfiesConstraint(version: string, constraint: string): boolean | undefined {
  const parsed = semver.coerce(version, { includePrerelease: true }) ?? undefined;
  const range = semver.validRange(constraint.replace(/,/g, ' '), { includePrerelease: true });
  if (!parsed || !range) return undefined;
  return semver.satisfies(parsed, range, { includePrerelease: true });
}

/** ClusterTemplateK8sCompatibility (create, or a template change): the error after "failed to validate k8s compatibility: ". */
export function k8sCompatibilityError(store: KcmReader, deployment: KubeObject, clusterTemplate: KubeObject): string | undefined {
  const services = deploymentServices(deployment);
  const k8sVersion = str(section(clusterTemplate, 'status')['k8sVersion']);
  if (services.length === 0 || k8sVersion === '') return undefined;
  const namespace = deployment.metadata.namespace ?? '';
  for (const svc of services) {
    if (svc.disable) continue;
    const st = store.get(SERVICE_TEMPLATES, namespace, svc.template);
    if (!st) return `failed to get ServiceTemplate ${namespace}/${svc.template}: servicetemplates.k0rdent.mirantis.com "${svc.template}" not found`;
    const constraint = str(section(st, 'status')['k8sConstraint']);
    if (constraint === '') continue;
    if (satisfiesConstraint(k8sVersion, constraint) === false) {
      return `k8s version ${k8sVersion} of the ClusterTemplate ${namespace}/${clusterTemplate.metadata.name} does not satisfy k8s constraint ${constraint} from the ServiceTemplate ${namespace}/${svc.template} referred in the ClusterDeployment ${namespace}/${deployment.metadata.name}`;
    }
  }
  return undefined;
}

// ---- values (what Helm does with them on install) ----

function schemaTextOf(store: KcmReader, template: KubeObject): string | undefined {
  const name = str(section(template, 'status')['schemaConfigMapName']);
  if (name === '') return undefined;
  const cm = store.get(CONFIG_MAPS, template.metadata.namespace, name);
  const data = cm && isJsonObject(cm['data']) ? cm['data'] : {};
  return typeof data['schema'] === 'string' ? data['schema'] : undefined;
}

function chartOf(template: KubeObject): string {
  const spec = section(template, 'spec');
  const helm = isJsonObject(spec['helm']) ? spec['helm'] : {};
  const chartSpec = isJsonObject(helm['chartSpec']) ? helm['chartSpec'] : {};
  if (typeof chartSpec['chart'] === 'string') return chartSpec['chart'];
  return SERVICE_CHARTS.find((c) => template.metadata.name.startsWith(`${c.chart}-`))?.chart ?? template.metadata.name;
}

/** The failure message of an install with these values, or undefined when Helm would accept them. */
export function valuesFailure(store: KcmReader, template: KubeObject, values: string | undefined): string | undefined {
  let parsed: unknown = {};
  if (values !== undefined && values.trim() !== '') {
    try {
      parsed = parseYaml(values) ?? {};
    } catch (err) {
      return `failed to parse values: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`;
    }
  }
  if (!isJsonObject(parsed)) return `failed to parse values: values must be a map, got ${JSON.stringify(parsed)}`;
  const schemaText = schemaTextOf(store, template);
  if (schemaText === undefined) return undefined;
  const defaults = isJsonObject(section(template, 'status')['config']) ? (section(template, 'status')['config'] as JsonObject) : {};
  return validateChartValues(chartOf(template), schemaText, defaults, parsed);
}

// ---- status ----

export interface ServiceState {
  name: string;
  namespace: string;
  template: string;
  type: 'Helm';
  state: string;
  lastStateTransitionTime: string;
  version?: string;
  failureMessage?: string;
}

export function versionOf(store: KcmReader, namespace: string, template: string): string | undefined {
  const st = store.get(SERVICE_TEMPLATES, namespace, template);
  const v = st ? section(st, 'status')['chartVersion'] : undefined;
  return typeof v === 'string' ? v : undefined;
}

/** collectServicesStatuses order: type, namespace, name. */
function sortStates(states: ServiceState[]): ServiceState[] {
  return [...states].sort((a, b) => a.type.localeCompare(b.type) || a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
}

/** setServicesCondition: Deleting entries are not counted; True/Succeeded only when every service is deployed. */
export function servicesCondition(states: ServiceState[], generation: number): Omit<Condition, 'lastTransitionTime'> {
  const counted = new Map<string, boolean>();
  for (const s of states) {
    if (s.state === SERVICE_STATES.deleting) continue;
    const key = serviceKey(s.namespace, s.name);
    counted.set(key, (counted.get(key) ?? false) || s.state === SERVICE_STATES.deployed);
  }
  const total = counted.size;
  const ready = [...counted.values()].filter(Boolean).length;
  const ok = ready >= total;
  return { type: SERVICES_IN_READY_STATE, status: ok ? 'True' : 'False', reason: ok ? SUCCEEDED : FAILED, message: `${ready}/${total}`, observedGeneration: generation };
}

function conditionsOf(object: KubeObject): Condition[] {
  const raw = section(object, 'status')['conditions'];
  return Array.isArray(raw) ? (raw.filter((c) => isJsonObject(c) && typeof c['type'] === 'string') as unknown as Condition[]) : [];
}

/** The deployment's status with these service states, the ServicesInReadyState condition and Ready re-derived. */
export function statusWithServices(deployment: KubeObject, states: ServiceState[], now: string): JsonObject {
  const generation = deployment.metadata.generation ?? 1;
  let conditions = setCondition(conditionsOf(deployment), servicesCondition(states, generation), now);
  if (conditions.some((c) => c.type === READY)) conditions = withReadyCondition(conditions, generation, now);
  const status: JsonObject = { ...(section(deployment, 'status') as JsonObject), conditions: conditions as unknown as JsonObject[] };
  if (states.length > 0) status['services'] = sortStates(states) as unknown as JsonObject[];
  else delete status['services'];
  return status;
}

// ---- MultiClusterServices ----

function matchesSelector(selector: unknown, labels: Record<string, string>): boolean {
  if (!isJsonObject(selector)) return false;
  const matchLabels = isJsonObject(selector['matchLabels']) ? selector['matchLabels'] : {};
  const expressions = Array.isArray(selector['matchExpressions']) ? selector['matchExpressions'].filter(isJsonObject) : [];
  if (Object.keys(matchLabels).length === 0 && expressions.length === 0) return false;
  for (const [k, v] of Object.entries(matchLabels)) if (labels[k] !== v) return false;
  for (const e of expressions) {
    const key = str(e['key']);
    const values = Array.isArray(e['values']) ? e['values'].map(String) : [];
    const has = Object.hasOwn(labels, key);
    const op = str(e['operator']);
    if (op === 'In' && !(has && values.includes(labels[key]!))) return false;
    if (op === 'NotIn' && has && values.includes(labels[key]!)) return false;
    if (op === 'Exists' && !has) return false;
    if (op === 'DoesNotExist' && has) return false;
  }
  return true;
}

/** The MultiClusterServices whose clusterSelector matches the deployment. */
export function matchingMultiClusterServices(store: KcmReader, deployment: KubeObject): KubeObject[] {
  const labels = deployment.metadata.labels ?? {};
  return store.list(MULTI_CLUSTER_SERVICES).filter((m) => !m.metadata.deletionTimestamp && matchesSelector(section(m, 'spec')['clusterSelector'], labels));
}

/** Every service that reaches the deployment: its own, then those of matching MultiClusterServices. */
export function desiredServices(store: KcmReader, deployment: KubeObject): ServiceEntry[] {
  const own = deploymentServices(deployment).filter((s) => !s.disable);
  const fromMcs = matchingMultiClusterServices(store, deployment).flatMap((m) => entriesOf(section(m, 'spec')['serviceSpec'], m.metadata.name).filter((s) => !s.disable));
  return [...own, ...fromMcs];
}

export function templateNamespaceOf(deployment: KubeObject, entry: ServiceEntry): string {
  return entry.from ? SYSTEM_NAMESPACE : (deployment.metadata.namespace ?? '');
}

/** The CAPI cluster is up: services can be installed on it. */
export function clusterProvisioned(deployment: KubeObject): boolean {
  return conditionsOf(deployment).some((c) => c.type === CAPI_CLUSTER_SUMMARY && c.status === 'True');
}

/** MultiClusterService status: matching clusters (deployed when all its services are) and the ready count. */
export function multiClusterServiceStatus(store: KcmReader, mcs: KubeObject, now: string): JsonObject {
  const previous = section(mcs, 'status');
  const before = Array.isArray(previous['matchingClusters']) ? previous['matchingClusters'].filter(isJsonObject) : [];
  const own = entriesOf(section(mcs, 'spec')['serviceSpec'], mcs.metadata.name).filter((s) => !s.disable);
  const clusters = store.list(CLUSTER_DEPLOYMENTS).filter((cd) => !cd.metadata.deletionTimestamp && matchesSelector(section(mcs, 'spec')['clusterSelector'], cd.metadata.labels ?? {}));
  const states: ServiceState[] = [];
  const matchingClusters = clusters.map((cd) => {
    const cdStates = (Array.isArray(section(cd, 'status')['services']) ? section(cd, 'status')['services'] : []) as ServiceState[];
    const mine = cdStates.filter((s) => own.some((o) => o.name === s.name && o.namespace === s.namespace));
    states.push(...mine);
    const deployed = own.length > 0 && mine.length === own.length && mine.every((s) => s.state === SERVICE_STATES.deployed);
    const was = before.find((b) => b['name'] === cd.metadata.name && b['namespace'] === cd.metadata.namespace);
    return {
      apiVersion: cd.apiVersion,
      kind: cd.kind,
      name: cd.metadata.name,
      namespace: cd.metadata.namespace,
      regional: false,
      deployed,
      lastTransitionTime: was && was['deployed'] === deployed && typeof was['lastTransitionTime'] === 'string' ? was['lastTransitionTime'] : now,
    };
  });
  const generation = mcs.metadata.generation ?? 1;
  const readyClusters = matchingClusters.filter((c) => c.deployed).length;
  let conditions = conditionsOf(mcs);
  conditions = setCondition(conditions, servicesCondition(states, generation), now);
  const clustersOk = readyClusters === matchingClusters.length;
  conditions = setCondition(conditions, { type: 'ClusterInReadyState', status: clustersOk ? 'True' : 'False', reason: clustersOk ? SUCCEEDED : FAILED, message: `${readyClusters}/${matchingClusters.length}`, observedGeneration: generation }, now);
  conditions = withReadyCondition(conditions, generation, now);
  return { ...(previous as JsonObject), matchingClusters: matchingClusters as unknown as JsonObject[], conditions: conditions as unknown as JsonObject[], observedGeneration: generation };
}

/**
 * The status a settled deployment has when every service reaching it is deployed (seed data, which kcm
 * has reconciled before the sandbox starts).
 */
export function deployedServicesStatus(store: KcmReader, deployment: KubeObject, now: string): JsonObject {
  const states = desiredServices(store, deployment).map((s) => ({
    name: s.name,
    namespace: s.namespace,
    template: s.template,
    type: 'Helm' as const,
    state: SERVICE_STATES.deployed,
    lastStateTransitionTime: now,
    ...(versionOf(store, templateNamespaceOf(deployment, s), s.template) ? { version: versionOf(store, templateNamespaceOf(deployment, s), s.template)! } : {}),
  }));
  return statusWithServices(deployment, states, now);
}
