/** Condition names, readiness and a one-line phase for k0rdent objects (DOMAIN.md section 3). Pure. */

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown' | string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  observedGeneration?: number;
}

export const CONDITION = {
  Ready: 'Ready',
  TemplateReady: 'TemplateReady',
  CredentialReady: 'CredentialReady',
  HelmChartReady: 'HelmChartReady',
  HelmReleaseReady: 'HelmReleaseReady',
  CAPIClusterSummary: 'CAPIClusterSummary',
  Deleting: 'Deleting',
} as const;

export const REASON = {
  Succeeded: 'Succeeded',
  Failed: 'Failed',
  Progressing: 'Progressing',
  Deleting: 'Deleting',
  DeletionCompleted: 'DeletionCompleted',
} as const;

/** Reads `status.conditions` defensively: anything that is not a condition is dropped. */
export function readConditions(status: unknown): Condition[] {
  if (typeof status !== 'object' || status === null) return [];
  const raw = (status as { conditions?: unknown }).conditions;
  if (!Array.isArray(raw)) return [];
  return raw.filter(
    (c): c is Condition =>
      typeof c === 'object' && c !== null && typeof (c as Condition).type === 'string' && typeof (c as Condition).status === 'string',
  );
}

export function findCondition(conditions: readonly Condition[], type: string): Condition | undefined {
  return conditions.find((c) => c.type === type);
}

/** "Cluster is ready" means the `Ready` condition is True (kcm ready_condition.go). */
export function isReady(conditions: readonly Condition[]): boolean {
  return findCondition(conditions, CONDITION.Ready)?.status === 'True';
}

/**
 * The condition that ended provisioning for good: `Ready=False` with reason `Failed`. Its message usually
 * repeats the failing critical condition; the first False critical condition is returned when present.
 */
export function failedCondition(conditions: readonly Condition[]): Condition | undefined {
  const ready = findCondition(conditions, CONDITION.Ready);
  if (ready?.status !== 'False' || ready.reason !== REASON.Failed) return undefined;
  const critical = [
    CONDITION.TemplateReady,
    CONDITION.CredentialReady,
    CONDITION.HelmChartReady,
    CONDITION.HelmReleaseReady,
    CONDITION.CAPIClusterSummary,
  ];
  for (const type of critical) {
    const c = findCondition(conditions, type);
    if (c?.status === 'False') return c;
  }
  return ready;
}

export type DeploymentPhase = 'Ready' | 'Failed' | 'Deleting' | 'Provisioning' | 'Pending';

/** A short phase for a ClusterDeployment from its conditions and deletion state. */
export function deploymentPhase(conditions: readonly Condition[], deleting = false): DeploymentPhase {
  if (deleting || findCondition(conditions, CONDITION.Deleting)?.status === 'True') return 'Deleting';
  const ready = findCondition(conditions, CONDITION.Ready);
  if (ready?.status === 'True') return 'Ready';
  if (ready?.status === 'False' && ready.reason === REASON.Failed) return 'Failed';
  if (conditions.length === 0) return 'Pending';
  return 'Provisioning';
}

/**
 * One line for humans: the phase plus the most telling condition — the failing one, the Deleting
 * reason, or the first condition that is not True yet.
 */
export function describePhase(conditions: readonly Condition[], deleting = false): string {
  const phase = deploymentPhase(conditions, deleting);
  const detail = (c: Condition | undefined): string => {
    if (!c) return '';
    const why = [c.reason, c.message].filter((s) => s !== undefined && s !== '').join(': ');
    return why === '' ? ` (${c.type}=${c.status})` : ` (${c.type}: ${why})`;
  };
  switch (phase) {
    case 'Ready':
      return 'Ready';
    case 'Failed':
      return `Failed${detail(failedCondition(conditions))}`;
    case 'Deleting':
      return `Deleting${detail(findCondition(conditions, CONDITION.Deleting))}`;
    case 'Pending':
      return 'Pending (no conditions reported yet)';
    case 'Provisioning': {
      const waiting = conditions.find((c) => c.type !== CONDITION.Ready && c.status !== 'True');
      return `Provisioning${detail(waiting ?? findCondition(conditions, CONDITION.Ready))}`;
    }
  }
}

/** A stable fingerprint of the conditions' state, to notice when nothing changed. */
export function conditionsFingerprint(conditions: readonly Condition[]): string {
  return conditions
    .map((c) => `${c.type}=${c.status}/${c.reason ?? ''}/${c.message ?? ''}`)
    .sort()
    .join('|');
}

/** What a wait waits for: kcm's reconciliation of one generation of a ClusterDeployment. */
export interface GenerationTarget {
  /** metadata.generation the write produced. */
  generation: number;
  /** After a template change: the chart (`name@version` or `@version`) the HelmReleaseReady condition must name. */
  chart?: string | undefined;
  /** After a change of the release's chart or values: HelmReleaseReady's message from before the change, which no longer counts. */
  previousRelease?: string | undefined;
}

/** The conditions kcm stamps with the generation it reconciles (kcm clusterdeployment_controller.go setCondition, :567, capi.go:95). */
const GENERATION_STAMPED = [
  CONDITION.Ready,
  CONDITION.TemplateReady,
  CONDITION.CredentialReady,
  CONDITION.HelmChartReady,
  CONDITION.HelmReleaseReady,
  CONDITION.CAPIClusterSummary,
];

function observedGenerationOf(status: unknown): number | undefined {
  const observed =
    typeof status === 'object' && status !== null ? (status as { observedGeneration?: unknown }).observedGeneration : undefined;
  return typeof observed === 'number' ? observed : undefined;
}

/**
 * Why the object does not yet show kcm's reconciliation of `target` (undefined when it does):
 * `status.observedGeneration` and every generation-stamped condition at least the target generation,
 * and the Helm release no longer the one from before the change (kcm copies a HelmRelease's Ready before
 * helm-controller acted on it, stamped with the new generation) and naming the new chart.
 */
export function reconciliationGap(status: unknown, conditions: readonly Condition[], target: GenerationTarget): string | undefined {
  const observed = observedGenerationOf(status);
  if (observed !== undefined && observed < target.generation) return `kcm has not yet observed generation ${target.generation}`;
  for (const type of GENERATION_STAMPED) {
    const c = findCondition(conditions, type);
    if (typeof c?.observedGeneration === 'number' && c.observedGeneration < target.generation)
      return `${type} still reports generation ${c.observedGeneration}, not ${target.generation}`;
  }
  const release = findCondition(conditions, CONDITION.HelmReleaseReady);
  if (target.previousRelease !== undefined && release !== undefined && release.message === target.previousRelease) {
    return 'HelmReleaseReady still reports the release from before the change';
  }
  if (target.chart !== undefined && release?.status === 'True' && !(release.message ?? '').includes(target.chart)) {
    return `HelmReleaseReady does not name chart ${target.chart} yet`;
  }
  return undefined;
}

/** Ready=False/Failed that belongs to the target generation (a failure of an earlier generation never ends a wait). */
export function failedFor(status: unknown, conditions: readonly Condition[], generation: number): Condition | undefined {
  const observed = observedGenerationOf(status);
  if (observed !== undefined && observed < generation) return undefined;
  const ready = findCondition(conditions, CONDITION.Ready);
  if (typeof ready?.observedGeneration === 'number' && ready.observedGeneration < generation) return undefined;
  const failed = failedCondition(conditions);
  if (failed === undefined || (typeof failed.observedGeneration === 'number' && failed.observedGeneration < generation)) return undefined;
  return failed;
}
