/**
 * kcm's services on ClusterDeployments, simulated: the webhook checks of `spec.serviceSpec.services`
 * and the states each service goes through in `status.services`, with the ServicesInReadyState
 * condition ("ready/total") that feeds Ready.
 * - Admission: kcm `internal/util/validation/services.go` (ServicesHaveValidTemplates,
 *   ValidateServiceDependencyOverall) and `cluster_template.go:104` (ClusterTemplateK8sCompatibility), as
 *   `internal/webhook/clusterdeployment_webhook.go:58-153` calls them; errors as Go builds them
 *   (./admission-errors.ts), so a missing ServiceTemplate is answered 404 as kcm answers it.
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
import {
  CAPI_CLUSTER_SUMMARY,
  FAILED,
  READY,
  SERVICES_IN_READY_STATE,
  SUCCEEDED,
  multiClusterServiceFalse,
  setCondition,
  withReadyCondition,
  type Condition,
} from './conditions.js';
import { validateChartValues } from './config-validation.js';
import {
  CLUSTER_DEPLOYMENTS,
  CONFIG_MAPS,
  MULTI_CLUSTER_SERVICES,
  SERVICE_TEMPLATE_CHAINS,
  SERVICE_TEMPLATES,
  SYSTEM_NAMESPACE,
  isJsonObject,
  section,
  type JsonObject,
} from './resources.js';
import { SERVICE_CHARTS } from './service-charts.js';
import { getOrNotFound, join, objectKey, plain, wrap, type KcmError } from './admission-errors.js';

export const SERVICE_STATES = {
  deployed: 'Deployed',
  failed: 'Failed',
  pending: 'Pending',
  provisioning: 'Provisioning',
  deleting: 'Deleting',
} as const;

export interface ServiceEntry {
  name: string;
  /** The effective namespace ("default" when unset, kcm `internal/serviceset/util.go:983`). */
  namespace: string;
  /** `namespace` as written (kcm's webhook checks it only when set). */
  rawNamespace: string;
  template: string;
  templateChain: string;
  /** spec `version` of the entry ("" when unset). */
  version: string;
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
    rawNamespace: str(s['namespace']),
    template: str(s['template']),
    templateChain: str(s['templateChain']),
    version: str(s['version']),
    ...(typeof s['values'] === 'string' ? { values: s['values'] } : {}),
    dependsOn: (Array.isArray(s['dependsOn']) ? s['dependsOn'] : [])
      .filter(isJsonObject)
      .map((d) => ({ name: str(d['name']), namespace: effectiveNamespace(str(d['namespace'])) })),
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
const LABEL_MESSAGE =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

/** apimachinery ValidateNamespaceName messages as field.Invalid renders them. */
function nameErrors(field: string, value: string): KcmError[] {
  const out: KcmError[] = [];
  if (value.length > 63) out.push(plain(`${field}: Invalid value: "${value}": must be no more than 63 characters`));
  if (!DNS1123_LABEL.test(value)) out.push(plain(`${field}: Invalid value: "${value}": ${LABEL_MESSAGE}`));
  return out;
}

/** kcm `internal/util/validation/services.go:65-78` validateServiceTemplate. */
function validateServiceTemplate(store: KcmReader, svc: ServiceEntry, namespace: string): KcmError | undefined {
  const key = objectKey(namespace, svc.template);
  const got = getOrNotFound(store, SERVICE_TEMPLATES, 'ServiceTemplate', namespace, svc.template);
  if ('error' in got) return wrap(`failed to get ServiceTemplate ${key}`, got.error);
  const status = section(got.object, 'status');
  if (status['valid'] !== true) return plain(`the ServiceTemplate ${key} is invalid with the error: ${str(status['validationError'])}`);
  return undefined;
}

/** kcm `services.go:82-118` validateServiceTemplateChain. */
function validateServiceTemplateChain(store: KcmReader, svc: ServiceEntry, namespace: string): KcmError | undefined {
  let key = objectKey(namespace, svc.templateChain);
  const got = getOrNotFound(store, SERVICE_TEMPLATE_CHAINS, 'ServiceTemplateChain', namespace, svc.templateChain);
  if ('error' in got) return wrap(`failed to get ServiceTemplateChain ${key}`, got.error);
  const status = section(got.object, 'status');
  if (status['valid'] !== true)
    return plain(`the ServiceTemplateChain ${key} is invalid with the error: ${str(status['validationError'])}`);
  const supported = section(got.object, 'spec')['supportedTemplates'];
  const errs: (KcmError | undefined)[] = [];
  let matching = false;
  for (const t of (Array.isArray(supported) ? supported : []).filter(isJsonObject)) {
    if (t['name'] !== svc.template) continue;
    key = objectKey(namespace, str(t['name']));
    const template = getOrNotFound(store, SERVICE_TEMPLATES, 'ServiceTemplate', namespace, str(t['name']));
    if ('error' in template) {
      errs.push(wrap(`failed to get ServiceTemplate ${key}`, template.error));
      continue;
    }
    const tStatus = section(template.object, 'status');
    if (tStatus['valid'] !== true) {
      errs.push(plain(`the ServiceTemplate ${key} is invalid with the error: ${str(tStatus['validationError'])}`));
      continue;
    }
    matching = true;
    break;
  }
  if (!matching) errs.push(plain(`the ServiceTemplateChain ${key} does not support ServiceTemplate ${svc.template}`));
  return join(...errs);
}

/**
 * kcm `internal/util/validation/services.go:37-63` ServicesHaveValidTemplates: every name/namespace
 * error and template error joined under "some services have invalid templates". A missing ServiceTemplate
 * is the cache's NotFound inside the join, so the webhook answers 404 with it (./admission-errors.ts).
 */
export function servicesHaveValidTemplates(store: KcmReader, services: ServiceEntry[], namespace: string): KcmError | undefined {
  const errs: (KcmError | undefined)[] = [];
  for (const svc of services) {
    if (svc.rawNamespace !== '') errs.push(...nameErrors('namespace', svc.rawNamespace));
    if (svc.name !== '') errs.push(...nameErrors('name', svc.name));
    errs.push(validateServiceTemplate(store, svc, namespace));
    if (svc.templateChain === '') continue;
    errs.push(validateServiceTemplateChain(store, svc, namespace));
  }
  const joined = join(...errs);
  return joined ? join(plain('some services have invalid templates'), joined) : undefined;
}

/**
 * kcm v1.11.4 `internal/util/validation/services.go:122-132` ValidateServiceDependencyOverall (`:135-160` defined,
 * `:163-223` cycles), which kcm's ClusterDeployment webhook runs last (`internal/webhook/clusterdeployment_webhook.go:84`,
 * `:147`). kcm walks its services in Go map order (`for svc, dependencies := range dependsOnMap`, `:151`; `hasCycle`'s
 * `for key := range graph`, `:189`), so with undefined dependencies on several services the joined lines, and with a
 * cycle reachable from several starts the node named, vary from call to call; one service's own dependencies keep
 * their `dependsOn` order (a slice). The sandbox walks `spec.serviceSpec.services` in order: the same lines, in spec
 * order (docs/sandbox.md "What still differs from kcm", "dependency error order";
 * test/integration/kcm-differential-services.test.ts).
 */
export function validateServiceDependencyOverall(services: ServiceEntry[]): KcmError | undefined {
  const dependencies = plain('some services have invalid dependencies');
  const defined = new Set(services.map((s) => serviceKey(s.namespace, s.name)));
  const missing: string[] = [];
  for (const svc of services) {
    for (const d of svc.dependsOn) {
      const key = serviceKey(d.namespace, d.name);
      if (!defined.has(key))
        missing.push(`dependency ${key} of service ${serviceKey(svc.namespace, svc.name)} is not defined as a service`);
    }
  }
  if (missing.length > 0) return join(dependencies, plain(`failed service dependency validation: ${missing.join('\n')}`));
  const cycle = dependencyCycle(services);
  if (cycle) return join(dependencies, plain(`failed service dependency cycle validation: dependency cycle detected at ${cycle}`));
  return undefined;
}

/** hasCycle/dfs (kcm `services.go:185-223`): the first node met again on the current path. */
function dependencyCycle(services: ServiceEntry[]): string | undefined {
  const graph = new Map<string, string[]>();
  for (const s of services)
    graph.set(
      serviceKey(s.namespace, s.name),
      s.dependsOn.map((d) => serviceKey(d.namespace, d.name)),
    );
  return cycleFrom(graph, graph.keys());
}

/**
 * kcm `internal/util/validation/services.go:202-223` dfs, from each start in turn (one visited set): the first node met
 * again on the current path, or undefined.
 */
function cycleFrom(graph: ReadonlyMap<string, readonly string[]>, starts: Iterable<string>): string | undefined {
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
  for (const node of starts) {
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

/**
 * kcm `internal/util/validation/cluster_template.go:104-142` ClusterTemplateK8sCompatibility: the
 * ClusterTemplate's k8s version against each enabled service's ServiceTemplate constraint.
 */
export function clusterTemplateK8sCompatibility(
  store: KcmReader,
  deployment: KubeObject,
  clusterTemplate: KubeObject,
): KcmError | undefined {
  const services = deploymentServices(deployment);
  const k8sVersion = str(section(clusterTemplate, 'status')['k8sVersion']);
  if (services.length === 0 || k8sVersion === '') return undefined;
  const namespace = deployment.metadata.namespace ?? '';
  for (const svc of services) {
    if (svc.disable) continue;
    const st = getOrNotFound(store, SERVICE_TEMPLATES, 'ServiceTemplate', namespace, svc.template);
    if ('error' in st) return wrap(`failed to get ServiceTemplate ${namespace}/${svc.template}`, st.error);
    const constraint = str(section(st.object, 'status')['k8sConstraint']);
    if (constraint === '') continue;
    if (satisfiesConstraint(k8sVersion, constraint) === false) {
      return plain(
        `k8s version ${k8sVersion} of the ClusterTemplate ${namespace}/${clusterTemplate.metadata.name} does not satisfy k8s constraint ${constraint} from the ServiceTemplate ${namespace}/${svc.template} referred in the ClusterDeployment ${namespace}/${deployment.metadata.name}`,
      );
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
  /** kcm ≥ v1.12's ServiceHealth<Kind> conditions (./services-sets.ts). */
  conditions?: JsonObject[];
}

// ---- the service fault (docs/sandbox.md "Faults") ----

/** On a ClusterDeployment: the release name of the one service whose Helm install fails there. */
export const SERVICE_FAULT_LABEL = 'sandbox.k0rdent-mcp.io/service-fault';

/**
 * The failure the service-fault label asks for: Helm's install times out waiting for the release's Deployment
 * (the message Sveltos copies into the release summary), and the health condition kcm's verifier writes for it
 * (kcm 8373a24 internal/controller/adapters/sveltos/verify.go: "N <Kind> unhealthy: ns/name (reason, rule src)").
 */
export function serviceFault(
  deployment: KubeObject,
  entry: ServiceEntry,
  now: string,
): { failureMessage: string; conditions: JsonObject[] } | undefined {
  if (deployment.metadata.labels?.[SERVICE_FAULT_LABEL] !== entry.name) return undefined;
  const object = `${entry.namespace}/${entry.name}`;
  return {
    failureMessage: `context deadline exceeded: resource Deployment/${object} not ready: 0/1 replicas available (ImagePullBackOff)`,
    conditions: [
      {
        type: 'ServiceHealthDeployment',
        status: 'False',
        reason: 'DeploymentUnhealthy',
        message: `1 Deployment unhealthy: ${object} (0/1 replicas available: container controller is waiting: ImagePullBackOff, rule kcm-system/sandbox-health-rules#0)`,
        lastTransitionTime: now,
      },
    ],
  };
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
  return {
    type: SERVICES_IN_READY_STATE,
    status: ok ? 'True' : 'False',
    reason: ok ? SUCCEEDED : FAILED,
    message: `${ready}/${total}`,
    observedGeneration: generation,
  };
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

/**
 * The MultiClusterService controller's checks, in kcm's order: each one's condition type and the action of the Warning
 * event recorded when it fails (multiclusterservice_controller.go:127-156 record.Warnf).
 */
export const MULTI_CLUSTER_SERVICE_CHECKS = {
  ServicesReferencesValidation: 'ValidateServiceTemplates',
  ServicesDependencyValidation: 'ValidateServiceDependencies',
  MultiClusterServiceDependencyValidation: 'ValidateMCSDependencies',
} as const;

/** One of the MultiClusterService controller's checks, as its condition records it. */
export interface MultiClusterServiceCheck {
  type: keyof typeof MULTI_CLUSTER_SERVICE_CHECKS;
  error?: string;
}

const mcsKey = (name: string): string => objectKey(undefined, name);

/**
 * kcm v1.11.4 `internal/util/validation/multiclusterservice.go:29-44` ValidateMCSDependencyOverall: every name in
 * `spec.dependsOn` is an existing MultiClusterService (`:65-84`, one line each, errors.Join), then no cycle in the
 * dependency graph reachable from this one (`:87-111`, hasCycleFrom over services.go:202-223 dfs).
 */
function multiClusterServiceDependencyError(store: KcmReader, mcs: KubeObject): string | undefined {
  const dependsOn = (spec: KubeObject): string[] => {
    const list = section(spec, 'spec')['dependsOn'];
    return Array.isArray(list) ? list.filter((d): d is string => typeof d === 'string') : [];
  };
  const own = dependsOn(mcs);
  if (own.length === 0) return undefined;
  const all = store.list(MULTI_CLUSTER_SERVICES);
  const names = new Set(all.map((m) => m.metadata.name));
  const undefinedOnes = own
    .filter((d) => !names.has(d))
    .map((d) => `dependency ${mcsKey(d)} of ${mcsKey(mcs.metadata.name)} is not defined`);
  if (undefinedOnes.length > 0) return `failed MCS dependency validation: ${undefinedOnes.join('\n')}`;
  const graph = new Map<string, string[]>();
  for (const m of [...all, mcs]) graph.set(m.metadata.name, dependsOn(m));
  const cycle = cycleFrom(graph, [mcs.metadata.name]);
  return cycle === undefined ? undefined : `failed MCS dependency cycle validation: dependency cycle detected at ${mcsKey(cycle)}`;
}

/**
 * kcm v1.11.4 `internal/controller/multiclusterservice_controller.go:126-158`: the services' templates (in the system
 * namespace), their dependencies, then the MultiClusterService's own `dependsOn`, in that order, each recorded as a
 * condition; the first that fails ends the reconcile (no ServiceSets: its services reach no cluster). The checks up
 * to and including the first failure.
 */
export function multiClusterServiceChecks(store: KcmReader, mcs: KubeObject): MultiClusterServiceCheck[] {
  const services = entriesOf(section(mcs, 'spec')['serviceSpec'], mcs.metadata.name);
  const checks: Record<MultiClusterServiceCheck['type'], () => string | undefined> = {
    ServicesReferencesValidation: () => servicesHaveValidTemplates(store, services, SYSTEM_NAMESPACE)?.message,
    ServicesDependencyValidation: () => validateServiceDependencyOverall(services)?.message,
    MultiClusterServiceDependencyValidation: () => multiClusterServiceDependencyError(store, mcs),
  };
  const out: MultiClusterServiceCheck[] = [];
  for (const type of Object.keys(MULTI_CLUSTER_SERVICE_CHECKS) as MultiClusterServiceCheck['type'][]) {
    const error = checks[type]();
    out.push({ type, ...(error !== undefined ? { error } : {}) });
    if (error !== undefined) break;
  }
  return out;
}

/** The MultiClusterServices whose clusterSelector matches the deployment and whose checks pass (kcm makes no ServiceSet otherwise). */
export function matchingMultiClusterServices(store: KcmReader, deployment: KubeObject): KubeObject[] {
  const labels = deployment.metadata.labels ?? {};
  return store
    .list(MULTI_CLUSTER_SERVICES)
    .filter(
      (m) =>
        !m.metadata.deletionTimestamp &&
        matchesSelector(section(m, 'spec')['clusterSelector'], labels) &&
        multiClusterServiceChecks(store, m).every((c) => c.error === undefined),
    );
}

/** Every service that reaches the deployment: its own, then those of matching MultiClusterServices. */
export function desiredServices(store: KcmReader, deployment: KubeObject): ServiceEntry[] {
  const own = deploymentServices(deployment).filter((s) => !s.disable);
  const fromMcs = matchingMultiClusterServices(store, deployment).flatMap((m) =>
    entriesOf(section(m, 'spec')['serviceSpec'], m.metadata.name).filter((s) => !s.disable),
  );
  return [...own, ...fromMcs];
}

export function templateNamespaceOf(deployment: KubeObject, entry: ServiceEntry): string {
  return entry.from ? SYSTEM_NAMESPACE : (deployment.metadata.namespace ?? '');
}

/** The CAPI cluster is up: services can be installed on it. */
export function clusterProvisioned(deployment: KubeObject): boolean {
  return conditionsOf(deployment).some((c) => c.type === CAPI_CLUSTER_SUMMARY && c.status === 'True');
}

/**
 * MultiClusterService status as kcm v1.11.4 writes it (`multiclusterservice_controller.go:105-245`, updateStatus
 * `:377-392`): the three check conditions (./multiClusterServiceChecks), and when one fails nothing more (the
 * matching clusters stay as they were); else `ClusterInReadyState` "ready/total" (`:259-291`, without an
 * observedGeneration), the matching clusters (deployed when all its services are), and Ready from them with kcm's
 * MultiClusterService wording (`:395-405`: "x/y Clusters are ready."). kcm writes no ServicesInReadyState on a
 * MultiClusterService (it is a ClusterDeployment's and a ServiceSet's condition), so none is kept.
 */
export function multiClusterServiceStatus(store: KcmReader, mcs: KubeObject, now: string): JsonObject {
  const previous = section(mcs, 'status');
  const generation = mcs.metadata.generation ?? 1;
  let conditions = conditionsOf(mcs).filter((c) => c.type !== SERVICES_IN_READY_STATE);
  const checks = multiClusterServiceChecks(store, mcs);
  for (const check of checks)
    conditions = setCondition(
      conditions,
      {
        type: check.type,
        status: check.error === undefined ? 'True' : 'False',
        reason: check.error === undefined ? SUCCEEDED : FAILED,
        message: check.error ?? '',
        observedGeneration: generation,
      },
      now,
    );
  if (checks.some((c) => c.error !== undefined)) {
    return {
      ...(previous as JsonObject),
      conditions: withReadyCondition(conditions, generation, now, multiClusterServiceFalse) as unknown as JsonObject[],
      observedGeneration: generation,
    };
  }
  const before = Array.isArray(previous['matchingClusters']) ? previous['matchingClusters'].filter(isJsonObject) : [];
  const own = entriesOf(section(mcs, 'spec')['serviceSpec'], mcs.metadata.name).filter((s) => !s.disable);
  const clusters = store
    .list(CLUSTER_DEPLOYMENTS)
    .filter((cd) => !cd.metadata.deletionTimestamp && matchesSelector(section(mcs, 'spec')['clusterSelector'], cd.metadata.labels ?? {}));
  const matchingClusters = clusters.map((cd) => {
    const cdStates = (Array.isArray(section(cd, 'status')['services']) ? section(cd, 'status')['services'] : []) as ServiceState[];
    const mine = cdStates.filter((s) => own.some((o) => o.name === s.name && o.namespace === s.namespace));
    const deployed = own.length > 0 && mine.length === own.length && mine.every((s) => s.state === SERVICE_STATES.deployed);
    const was = before.find((b) => b['name'] === cd.metadata.name && b['namespace'] === cd.metadata.namespace);
    return {
      apiVersion: cd.apiVersion,
      kind: cd.kind,
      name: cd.metadata.name,
      namespace: cd.metadata.namespace,
      regional: false,
      deployed,
      lastTransitionTime:
        was && was['deployed'] === deployed && typeof was['lastTransitionTime'] === 'string' ? was['lastTransitionTime'] : now,
    };
  });
  const readyClusters = matchingClusters.filter((c) => c.deployed).length;
  const clustersOk = readyClusters >= matchingClusters.length;
  conditions = setCondition(
    conditions,
    {
      type: 'ClusterInReadyState',
      status: clustersOk ? 'True' : 'False',
      reason: clustersOk ? SUCCEEDED : FAILED,
      message: `${readyClusters}/${matchingClusters.length}`,
    },
    now,
  );
  conditions = withReadyCondition(conditions, generation, now, multiClusterServiceFalse);
  return {
    ...(previous as JsonObject),
    matchingClusters: matchingClusters as unknown as JsonObject[],
    conditions: conditions as unknown as JsonObject[],
    observedGeneration: generation,
  };
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
    ...(versionOf(store, templateNamespaceOf(deployment, s), s.template)
      ? { version: versionOf(store, templateNamespaceOf(deployment, s), s.template)! }
      : {}),
  }));
  return statusWithServices(deployment, states, now);
}

// ---- upgrade paths ----

interface AvailableUpgrade {
  name: string;
  version: string;
}

/**
 * kcm api/v1beta1/templatechain_common.go:98-190 (findAllUpgradePaths, UpgradePaths): every path through the
 * chain's availableUpgrades from `template`, the longest kept per destination, versions defaulting to the name and
 * sorted. Go's map order is random; here the destinations come sorted.
 */
export function chainUpgradePaths(chain: KubeObject, template: string): AvailableUpgrade[][] | undefined {
  const supported = section(chain, 'spec')['supportedTemplates'];
  const templates = new Map(
    (Array.isArray(supported) ? supported : [])
      .filter(isJsonObject)
      .map((t) => [str(t['name']), (Array.isArray(t['availableUpgrades']) ? t['availableUpgrades'] : []).filter(isJsonObject)] as const),
  );
  if (!templates.has(template)) return undefined;
  const longest = new Map<string, AvailableUpgrade[]>();
  const visited = new Set<string>();
  const walk = (current: string, path: AvailableUpgrade[]): void => {
    if (visited.has(current) || !templates.has(current)) return;
    visited.add(current);
    for (const u of templates.get(current) ?? []) {
      const step = { name: str(u['name']), version: str(u['version']) };
      if (path.some((p) => p.name === step.name && p.version === step.version)) continue;
      const next = [...path, step];
      const known = longest.get(step.name);
      if (!known || next.length > known.length) longest.set(step.name, next);
      walk(step.name, next);
    }
    visited.delete(current);
  };
  walk(template, []);
  return [...longest.keys()].sort().map((k) =>
    longest
      .get(k)!
      .map((p) => ({ name: p.name, version: p.version === '' ? p.name : p.version }))
      .sort((a, b) => a.version.localeCompare(b.version)),
  );
}

/** kcm internal/serviceset/util.go:163-210 ServicesUpgradePaths, as clusterdeployment_controller.go:1429-1430 sets it. */
export function servicesUpgradePaths(store: KcmReader, deployment: KubeObject): JsonObject[] {
  const namespace = deployment.metadata.namespace ?? '';
  return deploymentServices(deployment).flatMap((svc) => {
    const base = { name: svc.name, namespace: svc.namespace, template: svc.template };
    if (svc.templateChain === '') {
      // svc.Version is usually empty: the template's name stands for it (util.go:184-186).
      return [{ ...base, availableUpgrades: [{ versions: [{ name: svc.template, version: svc.version || svc.template }] }] }];
    }
    const chain = store.get(SERVICE_TEMPLATE_CHAINS, namespace, svc.templateChain);
    const paths = chain ? chainUpgradePaths(chain, svc.template) : undefined;
    if (paths === undefined) return [];
    return [{ ...base, ...(paths.length > 0 ? { availableUpgrades: paths.map((versions) => ({ versions })) } : {}) }];
  }) as unknown as JsonObject[];
}
