/** The shapes of a diagnosis: the chain of objects below a ClusterDeployment and its first broken link. */
import type { NodeCondition } from './health.js';

/** ok: healthy; progressing: on its way; broken: its controller reports a failure (or it is stuck); missing: expected but absent; notServed: its kind's CRD is absent; notRead: not readable here (namespace rules, RBAC, budget); deleting: being deleted. */
export type NodeStatus = 'ok' | 'progressing' | 'broken' | 'missing' | 'notServed' | 'notRead' | 'deleting';

export interface NodeWarning {
  reason?: string;
  message?: string;
  count: number;
  time?: string;
}

export interface ChainNode {
  kind: string;
  name: string;
  namespace?: string;
  apiVersion?: string;
  /** What it is in the chain: deployment, template, credential, identity, helmChart, helmRepository, helmRelease, cluster, infrastructure, controlPlane, hostedControlPlane, machineDeployment, machinePool, machine, infraMachine, bootstrapConfig, sveltosCluster, pod. */
  role: string;
  status: NodeStatus;
  /** One line: phase, counters, readiness. */
  state: string;
  /** Non-True conditions (True ones for Deleting/Stalled/...), failing first. */
  conditions?: NodeCondition[];
  deleting?: { since: string; finalizers: string[] };
  /** Its recent Warning events. */
  warnings?: NodeWarning[];
  /** Set when status is broken: why. */
  problem?: { reason: string; message: string };
  /** Index in the chain of the object it hangs under (internal: the walk's tree). */
  parent?: number;
  /** A failing condition that repeats an object below (internal: the answer when nothing below is found broken). */
  mirrored?: { reason: string; message: string };
}

export interface NextStep {
  /** What to do, in one or two sentences. */
  text: string;
  /** The tool call that shows more (usually the responsible controller's log). */
  call?: { tool: string; arguments: Record<string, unknown> };
}

export interface FirstBroken {
  kind: string;
  name: string;
  namespace?: string;
  reason: string;
  message: string;
  next: string;
  nextCall?: { tool: string; arguments: Record<string, unknown> };
}

export interface Diagnosis {
  name: string;
  namespace: string;
  /** ClusterDeployment phase, one line. */
  phase: string;
  ready: boolean;
  /** standalone / hosted control plane / adopted / regional / dryRun. */
  shape: string;
  region?: { name: string; note: string };
  chain: Omit<ChainNode, 'parent' | 'mirrored'>[];
  firstBroken?: FirstBroken;
  /** When nothing is broken but not everything is ready: what it waits on. */
  waitingOn?: { kind: string; name: string; state: string };
  /** Requests made, and what was left out (budget, rules). */
  requests: number;
  notes: string[];
}
