/**
 * What a ClusterDeployment wait adds to its progress line from below kcm (issue 21): the CAPI Cluster's replica
 * counters and its Machines by phase — "workers 2/3 ready, 1 provisioning" — so a scale or an upgrade shows
 * machines coming and going instead of only kcm's condition. Read through ./capi-summary.ts (two LISTs; discovery
 * is remembered per identity), as the wait's `enrich` (./wait.ts: once per change of the deployment, bounded). The
 * same read gives the judge the counters an update's wait must see reach the count asked for (src/k0rdent/judge.ts).
 */
import { AppError } from '../errors.js';
import type { CapiObservation } from '../k0rdent/judge.js';
import type { K0rdentApi } from '../kube/k0rdent-api.js';
import { readCapiSummary, type CapiSummary, type ReplicaCounters } from './capi-summary.js';
import { ENRICH_TIMEOUT_MS, type WaitSpec } from './wait.js';

function counted(what: string, c: ReplicaCounters | undefined, always: boolean): string[] {
  if (c === undefined) return [];
  const behind = c.upToDate !== undefined && c.upToDate < c.desired;
  if (!always && c.ready === c.desired && !behind) return [];
  return [`${what} ${c.ready}/${c.desired} ready${behind ? ` (${c.upToDate ?? 0}/${c.desired} up to date)` : ''}`];
}

/**
 * One line for the progress message, pure: the workers (always, when CAPI counts them), the control plane when
 * it is not all ready and up to date, then the Machines not Running by phase: "workers 2/3 ready, 1 provisioning".
 */
export function capiProgressDetail(summary: CapiSummary): string {
  const parts = [
    ...counted('control plane', summary.controlPlane, summary.workers === undefined),
    ...counted('workers', summary.workers, true),
  ];
  for (const [phase, n] of Object.entries(summary.machines).sort()) if (phase !== 'Running') parts.push(`${n} ${phase.toLowerCase()}`);
  return parts.length > 0 ? parts.join(', ') : `Cluster ${summary.phase ?? 'without a phase yet'}`;
}

/** What the wait reads below kcm: the progress line's detail and the counters the judge compares (src/k0rdent/judge.ts). */
export interface CapiRead {
  detail: string | undefined;
  capi: CapiObservation;
}

/** The judge's view of a summary: its counter blocks; no summary (no CAPI Cluster, kind not served) is 'none'. */
export function capiObservation(summary: CapiSummary | undefined): CapiObservation {
  return summary === undefined ? 'none' : { workers: summary.workers, controlPlane: summary.controlPlane };
}

/**
 * The wait's `enrich` for deployment `namespace/name`: the detail line (none before the Cluster exists) and the
 * counters, 'refused' when the caller may not read them.
 */
export function capiProgress(
  api: Pick<K0rdentApi, 'identity'>,
  namespace: string,
  name: string,
): NonNullable<WaitSpec<CapiRead>['enrich']> {
  return async (_object, signal) => {
    try {
      const summary = await readCapiSummary(api, namespace, name, { signal, timeoutMs: ENRICH_TIMEOUT_MS });
      return { detail: summary === undefined ? undefined : capiProgressDetail(summary), capi: capiObservation(summary) };
    } catch (error) {
      if (error instanceof AppError && (error.code === 'forbidden' || error.code === 'unauthorized')) return 'refused';
      throw error;
    }
  };
}
