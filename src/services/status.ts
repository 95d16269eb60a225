/**
 * The services view (issue 22 item 4): a ClusterDeployment's services with the layer under `status.services` —
 * each service's state and failure message, its ServiceHealth<Kind> conditions naming the unhealthy objects, the
 * ServiceSet it is in with the provider's readiness, the Sveltos ClusterSummary's Helm summary for its release, and
 * what it can be upgraded to (`status.servicesUpgradePaths`).
 * kcm v1.11.4 shapes: ServiceState api/v1beta1/serviceset_types.go:229-267 (conditions per service), ServiceSetStatus
 * :195-227 (provider ready/suspended), ServiceUpgradePaths multiclusterservice_types.go:390-409; ServiceSet names
 * internal/serviceset/util.go:41-62 and clusterdeployment_controller.go:2193; ServiceHealth<Kind> from kcm
 * v1.12.0-rc1 (8373a24 internal/controller/adapters/sveltos/verify.go); the ClusterSummary name from addon-controller
 * v1.12.0 lib/clusterops/clustersummary.go:85-97.
 */
import { AppError } from '../errors.js';
import type { CallOptions, KubeObject } from '../kube/k0rdent-api.js';
import { rawGetJson } from '../kube/raw-get.js';
import { locate } from '../clusters/get.js';
import type { ReadContext } from '../shared/read-context.js';
import { missingObject, NAMED_KINDS } from '../shared/not-found.js';
import { nearestName } from '../shared/suggest.js';
import { isJsonObject, type JsonObject } from '../shared/config-schema.js';
import { readConditions } from '../k0rdent/conditions.js';
import { CLUSTER_DEPLOYMENT, DEFAULT_SERVICE_NAMESPACE, SERVICE_SET, SERVICE_STATE } from '../k0rdent/resources.js';
import { assertObjectName } from '../policy/names.js';
import { servicesReady } from './summaries.js';
import type { ServiceInDepth, ServiceSetInDepth, ServicesStatusRequest, ServicesStatusResult } from './types.js';

const HEALTH_PREFIX = 'ServiceHealth';
const SUMMARY_TIMEOUT_MS = 5_000;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const objects = (v: unknown): JsonObject[] => (Array.isArray(v) ? v.filter(isJsonObject) : []);
const keyOf = (s: JsonObject): string => `${str(s.namespace) ?? DEFAULT_SERVICE_NAMESPACE}/${str(s.name) ?? ''}`;
const oneLine = (text: string): string => text.replace(/\s+/g, ' ').trim();

/** Sveltos' ClusterSummary of a ServiceSet's Profile on a CAPI cluster. */
export function clusterSummaryName(serviceSet: string, cluster: string): string {
  return `p--${serviceSet}-capi-${cluster}`;
}

/** What each service can be upgraded to: every template on its available paths other than the one it runs. */
export function upgradesOf(deployment: KubeObject): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const p of objects(deployment.status?.servicesUpgradePaths)) {
    const current = str(p.template);
    const targets = objects(p.availableUpgrades)
      .flatMap((u) => [...objects(u.versions).map((v) => str(v.name)), ...(Array.isArray(u.upgradePaths) ? u.upgradePaths.map(str) : [])])
      .filter((t): t is string => t !== undefined && t !== current);
    out.set(keyOf(p), [...new Set(targets)]);
  }
  return out;
}

/** "<Kind>: <message>" for each False ServiceHealth<Kind> condition of a service state. */
function unhealthyOf(state: JsonObject): string[] {
  return objects(state.conditions)
    .filter((c) => typeof c.type === 'string' && c.type.startsWith(HEALTH_PREFIX) && c.status === 'False')
    .map((c) => `${String(c.type).slice(HEALTH_PREFIX.length)}: ${oneLine(str(c.message) ?? str(c.reason) ?? 'unhealthy')}`);
}

function helmReleaseOf(summary: JsonObject | undefined, key: string): string | undefined {
  if (summary === undefined) return undefined;
  const status = isJsonObject(summary.status) ? summary.status : {};
  const release = objects(status.helmReleaseSummaries).find((r) => `${str(r.releaseNamespace) ?? ''}/${str(r.releaseName) ?? ''}` === key);
  if (release === undefined) return 'not in the ClusterSummary yet';
  const parts = [str(release.status) ?? 'Unknown', str(release.valuesHash) ? 'installed' : 'not installed'];
  const failure = str(release.failureMessage) ?? str(release.conflictMessage);
  return `${parts.join(', ')}${failure ? `: ${oneLine(failure)}` : ''}`;
}

function setProblems(set: KubeObject, summary: JsonObject | undefined): string[] {
  const problems = readConditions(set.status)
    .filter((c) => c.status !== 'True')
    .map((c) => `${c.type} ${c.status}${c.reason ? ` (${c.reason})` : ''}${c.message ? `: ${oneLine(c.message)}` : ''}`);
  const provider = isJsonObject(set.status?.provider) ? set.status.provider : {};
  if (provider.suspended === true) problems.push('the state-management provider is suspended');
  const status = summary && isJsonObject(summary.status) ? summary.status : {};
  for (const f of objects(status.featureSummaries))
    if (f.status !== 'Provisioned' && str(f.failureMessage))
      problems.push(`ClusterSummary ${str(f.featureID) ?? ''} ${str(f.status) ?? ''}: ${oneLine(str(f.failureMessage) ?? '')}`);
  return problems;
}

/** The deployment: in `namespace` (readable), or found among the readable namespaces. */
async function deploymentOf(ctx: ReadContext, request: ServicesStatusRequest, call: CallOptions): Promise<KubeObject> {
  assertObjectName(request.cluster, 'cluster');
  if (request.namespace === undefined) return locate(ctx, request.cluster, call);
  ctx.policy.assertReadable(request.namespace);
  const object = await ctx.api.get(CLUSTER_DEPLOYMENT, request.namespace, request.cluster, call);
  if (object !== undefined) return object;
  // The one not-found shape (src/shared/not-found.ts): the nearest name there, where the name exists.
  throw await missingObject(
    ctx.api,
    ctx.policy,
    { kind: NAMED_KINDS[CLUSTER_DEPLOYMENT.kind]!, name: request.cluster, namespace: request.namespace },
    call,
  );
}

export async function servicesStatus(ctx: ReadContext, request: ServicesStatusRequest, call: CallOptions): Promise<ServicesStatusResult> {
  const deployment = await deploymentOf(ctx, request, call);
  const namespace = deployment.metadata?.namespace ?? '';
  const cluster = deployment.metadata?.name ?? request.cluster;
  const notes: string[] = [];
  const sets = await ctx.api
    .list(SERVICE_SET, { namespace, limit: 500 }, call)
    .then((page) => page.items.filter((s) => s.spec?.cluster === cluster))
    .catch((error: unknown) => {
      if (!(error instanceof AppError) || (error.code !== 'forbidden' && error.code !== 'notFound')) throw error;
      notes.push(
        error.code === 'forbidden' ? 'ServiceSets are not readable with this identity' : 'this management cluster serves no ServiceSets',
      );
      return [] as KubeObject[];
    });
  const summaries = new Map<string, JsonObject | undefined>();
  let summaryRefused = false;
  await Promise.all(
    sets.map(async (set) => {
      const name = clusterSummaryName(set.metadata?.name ?? '', cluster);
      const path = `/apis/config.projectsveltos.io/v1beta1/namespaces/${encodeURIComponent(namespace)}/clustersummaries/${encodeURIComponent(name)}`;
      const summary = await rawGetJson<JsonObject>(ctx.api.identity, path, {
        action: `get ClusterSummary ${namespace}/${name}`,
        timeoutMs: SUMMARY_TIMEOUT_MS,
        signal: call.signal,
        maxBytes: 1024 * 1024,
      }).catch((error: unknown) => {
        if (error instanceof AppError && error.code === 'forbidden') summaryRefused = true;
        else if (!(error instanceof AppError) || error.code !== 'notFound') throw error;
        return undefined;
      });
      summaries.set(set.metadata?.name ?? '', summary);
    }),
  );
  if (summaryRefused) notes.push('Sveltos ClusterSummaries are not readable with this identity');

  const setOf = new Map<string, KubeObject>();
  for (const set of sets) for (const s of objects(set.spec?.services)) setOf.set(keyOf(s), set);
  const upgrades = upgradesOf(deployment);
  const fromSpec = new Set(objects(isJsonObject(deployment.spec?.serviceSpec) ? deployment.spec.serviceSpec.services : []).map(keyOf));
  const services: ServiceInDepth[] = objects(deployment.status?.services)
    .filter((s) => request.name === undefined || s.name === request.name)
    .map((s) => {
      const key = keyOf(s);
      const set = setOf.get(key);
      const mcs = str(set?.spec?.multiClusterService);
      const unhealthy = unhealthyOf(s);
      const helmRelease = set ? helmReleaseOf(summaries.get(set.metadata?.name ?? ''), key) : undefined;
      const upgradesTo = upgrades.get(key);
      return {
        name: str(s.name) ?? '',
        namespace: str(s.namespace) ?? DEFAULT_SERVICE_NAMESPACE,
        template: str(s.template) ?? '',
        state: str(s.state) ?? 'Unknown',
        ...(str(s.version) ? { version: str(s.version) } : {}),
        ...(str(s.failureMessage) ? { failureMessage: oneLine(str(s.failureMessage) ?? '') } : {}),
        ...(unhealthy.length > 0 ? { unhealthy } : {}),
        from: mcs !== undefined ? `MultiClusterService ${mcs}` : fromSpec.has(key) ? 'ClusterDeployment' : 'MultiClusterService',
        ...(set ? { serviceSet: `${namespace}/${set.metadata?.name ?? ''}` } : {}),
        ...(helmRelease ? { helmRelease } : {}),
        ...(upgradesTo && upgradesTo.length > 0 ? { upgradesTo } : {}),
      };
    });
  if (request.name !== undefined && services.length === 0) {
    const names = objects(deployment.status?.services).map((s) => str(s.name) ?? '');
    const nearest = nearestName(request.name, names);
    throw new AppError(
      'notFound',
      `ClusterDeployment ${namespace}/${cluster} reports no service "${request.name}"${names.length > 0 ? ` (it has ${names.join(', ')})` : ''}.${nearest ? ` Did you mean "${nearest}"?` : ''}`,
      { services: names, ...(nearest ? { nearest } : {}) },
    );
  }
  const serviceSets: ServiceSetInDepth[] = sets.map((set) => {
    const provider = isJsonObject(set.status?.provider) ? set.status.provider : {};
    const ready = servicesReady(set);
    const problems = setProblems(set, summaries.get(set.metadata?.name ?? ''));
    const mcs = str(set.spec?.multiClusterService);
    return {
      name: set.metadata?.name ?? '',
      ...(mcs ? { multiClusterService: mcs } : {}),
      deployed: set.status?.deployed === true,
      providerReady: provider.ready === true,
      ...(ready !== undefined ? { servicesReady: ready } : {}),
      ...(problems.length > 0 ? { problems } : {}),
    };
  });
  const failing = services
    .filter((s) => s.state === SERVICE_STATE.failed || (s.unhealthy?.length ?? 0) > 0)
    .map(
      (s) => `${s.namespace}/${s.name}: ${[...(s.unhealthy ?? []), ...(s.failureMessage ? [s.failureMessage] : [])].join('; ') || s.state}`,
    );
  const ready = servicesReady(deployment);
  return {
    cluster,
    namespace,
    ...(ready !== undefined ? { servicesReady: ready } : {}),
    services,
    serviceSets,
    failing,
    ...(notes.length > 0 ? { notes } : {}),
  };
}
