/**
 * The Cluster API side of a deployment, for k0.clusters.get: the CAPI Cluster kcm's HelmRelease created (label
 * `helm.toolkit.fluxcd.io/name=<cd>`) — its phase, initialization and the control plane and worker replica
 * counters CAPI v1beta2 writes (status.controlPlane / status.workers: desired, ready, up to date, available) —
 * and its Machines counted by phase. Two LISTs (plus discovery, cached per identity); a kind not served or a
 * refusal leaves it out: it is context, not the answer.
 */
import { AppError } from '../errors.js';
import { Discovery, kindPath } from '../kube/discovery.js';
import type { CallOptions, K0rdentApi, KubeObject } from '../kube/k0rdent-api.js';
import { rawGetJson } from '../kube/raw-get.js';
import type { ReadContext } from '../shared/read-context.js';
import type { z } from 'zod';
import type { capiSummary, replicaCounters } from './get-results.js';

const TIMEOUT_MS = 8_000;

export type ReplicaCounters = z.infer<typeof replicaCounters>;
/** machines: Machines by phase (Running, Provisioning, Provisioned, Pending, Deleting, Failed, ...). */
export type CapiSummary = z.infer<typeof capiSummary>;

type Raw = Record<string, unknown>;
const rec = (v: unknown): Raw => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Raw) : {});
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

function counters(block: unknown): ReplicaCounters | undefined {
  const b = rec(block);
  const desired = num(b.desiredReplicas) ?? num(b.replicas);
  if (desired === undefined) return undefined;
  const out: ReplicaCounters = { desired, ready: num(b.readyReplicas) ?? 0 };
  if (num(b.upToDateReplicas) !== undefined) out.upToDate = num(b.upToDateReplicas) as number;
  if (num(b.availableReplicas) !== undefined) out.available = num(b.availableReplicas) as number;
  return out;
}

/** Pure: the summary of a CAPI Cluster and its Machines. */
export function summarizeCapi(cluster: KubeObject, machines: readonly KubeObject[]): CapiSummary {
  const status = rec(cluster.status);
  const init = rec(status.initialization);
  const byPhase: Record<string, number> = {};
  for (const m of machines) {
    const phase = typeof rec(m.status).phase === 'string' ? (rec(m.status).phase as string) : 'Pending';
    byPhase[phase] = (byPhase[phase] ?? 0) + 1;
  }
  const controlPlane = counters(status.controlPlane);
  const workers = counters(status.workers);
  const parts: string[] = [];
  if (controlPlane) parts.push(`control plane ${controlPlane.ready}/${controlPlane.desired} ready`);
  if (workers) parts.push(`workers ${workers.ready}/${workers.desired} ready`);
  for (const [phase, n] of Object.entries(byPhase).sort()) if (phase !== 'Running') parts.push(`${n} ${phase.toLowerCase()}`);
  return {
    cluster: cluster.metadata?.name ?? '',
    ...(typeof status.phase === 'string' ? { phase: status.phase } : {}),
    infrastructureProvisioned: (init.infrastructureProvisioned ?? status.infrastructureReady) === true,
    controlPlaneInitialized: (init.controlPlaneInitialized ?? status.controlPlaneReady) === true,
    ...(controlPlane ? { controlPlane } : {}),
    ...(workers ? { workers } : {}),
    machines: byPhase,
    summary: parts.join(', ') || `phase ${String(status.phase ?? 'unknown')}`,
  };
}

/**
 * The summary of the deployment's CAPI Cluster, or undefined when there is none yet or its kind is not served;
 * a refusal (forbidden, unauthorized) or an API failure throws. Also read by the waits' progress (./wait-capi.ts).
 */
export async function readCapiSummary(
  api: Pick<K0rdentApi, 'identity'>,
  namespace: string,
  deployment: string,
  call: CallOptions & { timeoutMs?: number },
): Promise<CapiSummary | undefined> {
  const timeoutMs = call.timeoutMs ?? TIMEOUT_MS;
  const discovery = new Discovery(api.identity);
  const d = { signal: call.signal, timeoutMs };
  const clusterKind = await discovery.find('cluster.x-k8s.io', 'Cluster', d);
  const machineKind = await discovery.find('cluster.x-k8s.io', 'Machine', d);
  if (clusterKind === undefined) return undefined;
  const list = (kind: typeof clusterKind, selector: string): Promise<{ items?: KubeObject[] }> =>
    rawGetJson<{ items?: KubeObject[] }>(api.identity, kindPath(kind, namespace), {
      query: { labelSelector: selector, limit: 500 },
      signal: call.signal,
      timeoutMs,
      action: `list ${kind.kind} in ${namespace}`,
    });
  const cluster = (await list(clusterKind, `helm.toolkit.fluxcd.io/name=${deployment}`)).items?.[0];
  if (cluster === undefined) return undefined;
  const machines = machineKind
    ? ((await list(machineKind, `cluster.x-k8s.io/cluster-name=${cluster.metadata?.name ?? deployment}`)).items ?? [])
    : [];
  return summarizeCapi(cluster, machines);
}

/** The summary of the deployment's CAPI Cluster, or undefined (none yet, kind not served, not allowed). */
export async function capiSummaryOf(
  ctx: ReadContext,
  namespace: string,
  deployment: string,
  call: CallOptions,
): Promise<CapiSummary | undefined> {
  try {
    return await readCapiSummary(ctx.api, namespace, deployment, call);
  } catch (error) {
    if (error instanceof AppError && (error.code === 'forbidden' || error.code === 'notFound' || error.code === 'unauthorized'))
      return undefined;
    throw error;
  }
}
