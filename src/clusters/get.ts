/**
 * k0.clusters.get: one ClusterDeployment's whole story, compact — what an assistant reads after a deploy
 * that did not wait, or before an update. The kubeconfig Secret is only named: this server never reads
 * Secrets (and so needs no RBAC on them).
 */
import { TOOL, toolRef } from '../tool-names.js';
import { AppError } from '../errors.js';
import { missingEverywhere, missingObject, NAMED_KINDS } from '../shared/not-found.js';
import { describePhase, reconciliationGap, isReady, readConditions, type Condition } from '../k0rdent/conditions.js';
import { deploymentProgress } from '../k0rdent/progress.js';
import { CLUSTER_DEPLOYMENT, kubeconfigSecretName } from '../k0rdent/resources.js';
import { assertObjectName } from '../policy/names.js';
import { listEvents } from '../events/manager.js';
import { capiSummaryOf } from './capi-summary.js';
import { oneLine, type EventSummary } from '../events/summaries.js';
import type { CallOptions, KubeObject } from '../kube/k0rdent-api.js';
import type { ReadContext } from '../shared/read-context.js';
import type { z } from 'zod';
import type { deploymentCondition, deploymentDetails, serviceState as serviceStateSchema } from './get-results.js';

export const RECENT_WARNINGS = 5;

export type DeploymentCondition = z.infer<typeof deploymentCondition>;
/** spec.serviceSpec.services with their states from status.services. */
export type ServiceState = z.infer<typeof serviceStateSchema>;
/**
 * config: spec.config, the caller's chart values; stale: kcm has not yet reacted to the latest spec
 * (observedGeneration behind generation); kubeconfigSecret: the Secret Cluster API writes with the cluster's
 * kubeconfig once its control plane is up, never read here; capi: the CAPI Cluster (phase, replica counters,
 * Machines by phase) when it exists and may be read.
 */
export type DeploymentDetails = z.infer<typeof deploymentDetails>;

type Raw = Record<string, unknown>;
const rec = (v: unknown): Raw => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Raw) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : []);

function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

function conditionOf(c: Condition): DeploymentCondition {
  return compact({
    type: c.type,
    status: c.status,
    reason: str(c.reason),
    message: oneLine(str(c.message)),
    observedGeneration: c.observedGeneration,
    lastTransitionTime: str(c.lastTransitionTime),
  });
}

/** Entries of spec.serviceSpec.services, each with its status.services state (matched by name + namespace). */
export function servicesOf(object: KubeObject): ServiceState[] {
  const spec = rec(rec(object.spec).serviceSpec);
  const wanted = Array.isArray(spec.services) ? spec.services.map(rec) : [];
  const states = Array.isArray(object.status?.services) ? (object.status.services as unknown[]).map(rec) : [];
  const key = (name: unknown, namespace: unknown): string => `${String(name)}/${str(namespace) ?? 'default'}`;
  const stateBy = new Map(states.map((s) => [key(s.name, s.namespace), s]));
  const out: ServiceState[] = [];
  const seen = new Set<string>();
  for (const w of wanted) {
    const k = key(w.name, w.namespace);
    seen.add(k);
    const s = stateBy.get(k) ?? {};
    out.push(serviceState(w, s));
  }
  for (const s of states) if (!seen.has(key(s.name, s.namespace))) out.push(serviceState({}, s));
  return out;
}

function serviceState(wanted: Raw, state: Raw): ServiceState {
  return compact({
    name: str(wanted.name) ?? str(state.name) ?? '',
    namespace: str(wanted.namespace) ?? str(state.namespace),
    template: str(wanted.template) ?? str(state.template),
    state: str(state.state) ?? (Object.keys(state).length === 0 ? 'NotReported' : undefined),
    type: str(state.type),
    version: str(state.version),
    failureMessage: oneLine(str(state.failureMessage)),
    lastStateTransitionTime: str(state.lastStateTransitionTime),
  });
}

/** The deployment's details from the object itself (pure; the Secret check and events come from the caller). */
export function describeDeployment(object: KubeObject, recentWarnings: EventSummary[]): DeploymentDetails {
  const meta = object.metadata ?? {};
  const spec = object.spec ?? {};
  const status = object.status ?? {};
  const conditions = readConditions(status);
  const deleting = str(meta.deletionTimestamp) !== undefined;
  const dryRun = spec.dryRun === true;
  const name = meta.name ?? '';
  return compact({
    name,
    namespace: meta.namespace ?? '',
    uid: str(meta.uid),
    template: str(spec.template),
    credential: str(spec.credential),
    labels: { ...(meta.labels ?? {}) },
    config: { ...rec(spec.config) },
    dryRun,
    ready: isReady(conditions),
    phase: describePhase(conditions, deleting),
    progress: deploymentProgress(conditions, deleting, spec),
    generation: meta.generation,
    observedGeneration: typeof status.observedGeneration === 'number' ? status.observedGeneration : undefined,
    stale: meta.generation !== undefined && reconciliationGap(status, conditions, { generation: meta.generation }) !== undefined,
    conditions: conditions.map(conditionOf),
    services: servicesOf(object),
    availableUpgrades: strings(status.availableUpgrades),
    k8sVersion: str(status.k8sVersion),
    region: str(status.region),
    kubeconfigSecret: { name: kubeconfigSecretName(name), namespace: meta.namespace ?? '', expected: isReady(conditions) },
    createdAt: str(meta.creationTimestamp),
    deleting,
    deletionTimestamp: str(meta.deletionTimestamp),
    finalizers: [...(meta.finalizers ?? [])],
    recentWarnings,
  });
}

/** Finds `name` when no namespace is given: one cluster-wide LIST by name, among the readable namespaces. */
export async function locate(ctx: ReadContext, name: string, call: CallOptions): Promise<KubeObject> {
  let items: KubeObject[];
  try {
    items = (await ctx.api.list(CLUSTER_DEPLOYMENT, { fieldSelector: `metadata.name=${name}` }, call)).items;
  } catch (error) {
    if (error instanceof AppError && error.code === 'forbidden') {
      throw new AppError(
        'invalidParams',
        `namespace is required: this identity may not search ClusterDeployments across namespaces; pass the \`namespace\` of "${name}" (${toolRef(TOOL.clustersList)} shows it)`,
      );
    }
    throw error;
  }
  const found = items.filter((o) => ctx.policy.isReadable(o.metadata?.namespace ?? ''));
  if (found.length === 0) throw await missingEverywhere(ctx.api, ctx.policy, NAMED_KINDS[CLUSTER_DEPLOYMENT.kind]!, name, call);
  if (found.length > 1) {
    const namespaces = found.map((o) => o.metadata?.namespace ?? '').sort();
    throw new AppError(
      'invalidParams',
      `ClusterDeployment "${name}" exists in ${namespaces.join(', ')}; pass \`namespace\` to choose one`,
      { namespaces },
    );
  }
  return found[0] as KubeObject;
}

/** The deployment `name` (in `namespace`, or found among the readable namespaces), described. */
export async function getDeployment(
  ctx: ReadContext,
  request: { name: string; namespace?: string | undefined },
  call: CallOptions,
  onNamespace?: (namespace: string) => void,
): Promise<DeploymentDetails> {
  assertObjectName(request.name, 'name');
  let object: KubeObject | undefined;
  if (request.namespace !== undefined) {
    ctx.policy.assertReadable(request.namespace);
    object = await ctx.api.get(CLUSTER_DEPLOYMENT, request.namespace, request.name, call);
    if (object === undefined)
      throw await missingObject(
        ctx.api,
        ctx.policy,
        { kind: NAMED_KINDS[CLUSTER_DEPLOYMENT.kind]!, name: request.name, namespace: request.namespace },
        call,
      );
  } else {
    object = await locate(ctx, request.name, call);
  }
  const namespace = object.metadata?.namespace ?? request.namespace ?? '';
  onNamespace?.(namespace);
  const warnings = await listEvents(
    ctx,
    { namespace, forKind: CLUSTER_DEPLOYMENT.kind, forName: request.name, types: ['Warning'], limit: RECENT_WARNINGS },
    call,
  )
    .then((page) => page.items)
    .catch((error: unknown) => {
      // Events are context, not the answer: a refusal to read them must not hide the deployment.
      if (error instanceof AppError && error.code === 'forbidden') return [];
      throw error;
    });
  const capi = await capiSummaryOf(ctx, namespace, request.name, call);
  return { ...describeDeployment(object, warnings), ...(capi !== undefined ? { capi } : {}) };
}
