/**
 * The one judge of "is it done?" for a ClusterDeployment: every wait (deploy/update wait=true, the delete
 * wait) and every follow task asks it, so they cannot disagree. Pure: it sees the object as last read (or
 * its absence) and the target, and says where the operation stands.
 *
 * Identity is by uid, as kubectl's wait does: an object re-created under the same name (another uid) is not
 * the one followed, so the followed one is gone (kubectl staging/src/k8s.io/kubectl/pkg/cmd/wait/delete.go:58-62,
 * `if gottenObj.GetUID() != uid { return gottenObj, true, nil }`, at kubernetes commit 030880a5).
 *
 * Ready counts only once kcm reconciled the target (./conditions.ts reconciliationGap): a Ready left from an
 * earlier generation, or copied from a HelmRelease helm-controller has not upgraded yet, never counts. When
 * someone else changed the spec meanwhile, the object's newer generation is the one that must be Ready (a
 * Ready for a spec that is no longer the object's is stale).
 *
 * After an update that changes the machine counts or the template, kcm's Ready is not enough (issue 21): kcm
 * v1.11.4 reports Ready right after the HelmRelease upgrade, its CAPIClusterSummary following the Cluster's
 * WorkersAvailable and the other conditions it summarises (kcm internal/util/conditions/capi.go:61-97), which stay
 * True while new workers are still being created. Such a target names the counts (`machines`), and the judge asks
 * the CAPI Cluster's counters too: for each one named, `status.workers` / `status.controlPlane` desiredReplicas =
 * readyReplicas = upToDateReplicas = the count asked for (cluster-api v1.13.4 api/core/v1beta2/cluster_types.go:
 * 1534-1574, ClusterControlPlaneStatus and WorkersStatus). What the wait read of them is `capi` (the same read as
 * the progress line's machine counts); a deployment without a CAPI Cluster (adopted, or the kind not served) and a
 * caller refused the read are judged on kcm's Ready alone.
 */
import {
  conditionsFingerprint,
  describePhase,
  failedFor,
  isReady,
  readConditions,
  reconciliationGap,
  type Condition,
  type GenerationTarget,
} from './conditions.js';
import { deletionStep, provisionStep, type DeletionSpec, type Step } from './steps.js';

/** What the judge reads of a ClusterDeployment (any Kubernetes object read from the API fits). */
export interface ObservedDeployment {
  metadata?: { uid?: string; generation?: number; deletionTimestamp?: string } | undefined;
  spec?: Record<string, unknown> | undefined;
  status?: unknown;
}

/**
 * A count the CAPI Cluster's counters must reach: a number (the count the update asked for), or 'settled' (a
 * rollout keeps the count it had: desired = ready = up to date, whatever desired is).
 */
export type MachineCount = number | 'settled';

/** After an update that changes the machines: the counters of the CAPI Cluster that must reach the count asked for. */
export interface MachineTarget {
  /** status.workers. */
  workers?: MachineCount | undefined;
  /** status.controlPlane. */
  controlPlane?: MachineCount | undefined;
}

/** What a deploy/update wait follows besides the generation: the machine counts an update changes. */
export interface WaitTarget extends GenerationTarget {
  /** The machine counts the CAPI Cluster must also report (an update that changes them); absent: kcm's Ready decides. */
  machines?: MachineTarget | undefined;
}

/** Reconciled and Ready for `generation` (a deploy or update). */
export interface ReadyTarget extends WaitTarget {
  kind: 'ready';
  /** The object the write produced; another uid under the same name means it is gone. Unknown: any uid. */
  uid?: string | undefined;
}

/** One counter block of the CAPI Cluster as read (src/clusters/capi-summary.ts): desired, ready, up to date. */
export interface ObservedCounters {
  desired: number;
  ready: number;
  upToDate?: number | undefined;
}

/**
 * What the wait read of the deployment's CAPI Cluster: its counter blocks (absent when it does not report one),
 * 'none' when there is no CAPI Cluster (an adopted cluster, or the kind not served), 'refused' when the caller may
 * not read it. Unread (undefined): a target with machines is not yet known to be there.
 */
export type CapiObservation = { workers?: ObservedCounters | undefined; controlPlane?: ObservedCounters | undefined } | 'none' | 'refused';

/** Gone (a delete). */
export interface GoneTarget {
  kind: 'gone';
  /**
   * The object deleted; the same name with another uid is a new object, and this one is gone. Unknown: an
   * object of that name that is not being deleted is another one.
   */
  uid?: string | undefined;
  /** The deleted object's spec as last seen: decides its deletion steps once it is gone. */
  spec?: DeletionSpec | undefined;
}

export type JudgeTarget = ReadyTarget | GoneTarget;

/**
 * - `pending`: not there yet;
 * - `ready`: Ready for the target generation (a ready target);
 * - `failed`: Ready=False/Failed for the target generation (a ready target);
 * - `deleting`: deletion began while waiting for Ready (a ready target);
 * - `gone`: the followed object (that uid) no longer exists — success for a delete, an end for a deploy.
 */
export type Verdict = 'pending' | 'ready' | 'failed' | 'deleting' | 'gone';

export interface Judgement {
  verdict: Verdict;
  /** The operation ended (any verdict but `pending`). */
  done: boolean;
  /** One line: "Provisioning (HelmReleaseReady: ...)", "Pending (kcm has not yet observed generation 2)", "Deleted". */
  phase: string;
  /** Where the object is in kcm's condition sequence (the progress notifications' progress and total). */
  step: Step | undefined;
  /** Extra progress detail from the caller's hook (e.g. workers ready), already part of the fingerprint. */
  detail: string | undefined;
  /** Changes whenever something worth reporting changed. */
  fingerprint: string;
  /** The followed object: undefined when absent or replaced by another uid. */
  object: ObservedDeployment | undefined;
  /** The followed object's conditions (none once gone). */
  conditions: Condition[];
  /** Ready=False/Failed for the target generation (the failing critical condition), when there is one. */
  failure: Condition | undefined;
  /** The name now holds another object (another uid). */
  replaced: boolean;
  /**
   * kcm reports Ready and the verdict waits on the CAPI Cluster's counters (a target with machines): what is
   * missing. A wait then reads them again at every re-check, as nothing on the deployment may change meanwhile.
   */
  machinesBehind: string | undefined;
}

export interface JudgeOptions {
  /** Extra detail for the progress line (issue 21: "workers 2/3 ready"); undefined adds nothing. */
  detail?: ((object: ObservedDeployment) => string | undefined) | undefined;
  /** The CAPI Cluster's counters as last read, for a target with machines; undefined: not read. */
  capi?: CapiObservation | undefined;
}

const COUNTER_NAMES: Record<keyof MachineTarget, string> = { workers: 'workers', controlPlane: 'control plane' };

/**
 * Why the CAPI Cluster's counters are not yet those the target asks for (one line naming the counter), or undefined
 * once they are — or when they cannot be known (no CAPI Cluster, the read refused): then kcm's Ready decides.
 */
export function machinesBehind(machines: MachineTarget, capi: CapiObservation | undefined): string | undefined {
  if (capi === 'none' || capi === 'refused') return undefined;
  if (capi === undefined) return "Cluster API's machine counters not read yet";
  const behind: string[] = [];
  for (const key of ['controlPlane', 'workers'] as const) {
    const want = machines[key];
    if (want === undefined) continue;
    const c = capi[key];
    if (c === undefined) {
      behind.push(`the CAPI Cluster does not report status.${key}`);
      continue;
    }
    const n = want === 'settled' ? c.desired : want;
    if (c.upToDate === undefined) behind.push(`the CAPI Cluster does not report status.${key}.upToDateReplicas`);
    else if (c.desired !== n || c.ready !== n || c.upToDate !== n)
      behind.push(
        `${COUNTER_NAMES[key]} ${c.ready}/${n} ready, ${c.upToDate}/${n} up to date${c.desired !== n ? `, status.${key}.desiredReplicas ${c.desired}` : ''}`,
      );
  }
  return behind.length > 0 ? behind.join('; ') : undefined;
}

export const DELETED_WHILE_WAITING = 'the ClusterDeployment was deleted while waiting';

/** "Reason: message" of a failed condition, as the waits and tasks report it. */
export function failureText(failure: Condition): string {
  return `${failure.type}: ${failure.message ?? failure.reason ?? 'failed'}`;
}

/**
 * Whether `current` is not the object the operation is about: another uid, or — for a deletion whose uid
 * is unknown — an object that is not being deleted (a deletion, once accepted, is never undone, so an
 * object under that name without a deletionTimestamp was created after it).
 */
function isAnotherObject(current: ObservedDeployment, target: JudgeTarget): boolean {
  if (target.uid !== undefined) return current.metadata?.uid !== target.uid;
  return target.kind === 'gone' && !current.metadata?.deletionTimestamp;
}

export function judge(current: ObservedDeployment | undefined, target: JudgeTarget, options: JudgeOptions = {}): Judgement {
  const replaced = current !== undefined && isAnotherObject(current, target);
  const object = replaced ? undefined : current;
  if (object === undefined) {
    const gone = target.kind === 'gone';
    return {
      verdict: 'gone',
      done: true,
      phase: gone ? 'Deleted' : replaced ? `${DELETED_WHILE_WAITING} (its name now holds another object)` : DELETED_WHILE_WAITING,
      step: gone ? deletionStep([], true, target.spec) : undefined,
      detail: undefined,
      fingerprint: 'gone',
      object: undefined,
      conditions: [],
      failure: undefined,
      replaced,
      machinesBehind: undefined,
    };
  }

  const conditions = readConditions(object.status);
  const detail = options.detail?.(object);
  const common = { detail, object, conditions, replaced: false, machinesBehind: undefined };
  const deleting = Boolean(object.metadata?.deletionTimestamp);

  if (target.kind === 'gone') {
    return {
      ...common,
      verdict: 'pending',
      done: false,
      phase: describePhase(conditions, true),
      step: deletionStep(conditions, false, object.spec ?? target.spec),
      fingerprint: `deleting|${conditionsFingerprint(conditions)}|${detail ?? ''}`,
      failure: undefined,
    };
  }

  const generation = Math.max(target.generation, object.metadata?.generation ?? 0);
  const failure = failedFor(object.status, conditions, generation);
  const gap = reconciliationGap(object.status, conditions, { ...target, generation });
  const kcmReady = !deleting && gap === undefined && isReady(conditions);
  // kcm's Ready, then the machine counts the update asked for (see the module comment).
  const behind = kcmReady && target.machines !== undefined ? machinesBehind(target.machines, options.capi) : undefined;
  const ready = kcmReady && behind === undefined;
  const verdict: Verdict = ready ? 'ready' : failure !== undefined ? 'failed' : deleting ? 'deleting' : 'pending';
  // Conditions of an earlier generation are not steps of this one; Ready with the machines behind is its last step.
  const step = behind !== undefined ? provisionStep(conditions, false) : provisionStep(gap === undefined ? conditions : [], ready);
  const phase =
    behind !== undefined
      ? `Provisioning (kcm reports Ready; Cluster API not there yet: ${behind})`
      : verdict === 'pending' && gap !== undefined
        ? `Pending (${gap})`
        : describePhase(conditions, deleting);
  return {
    ...common,
    verdict,
    done: verdict !== 'pending',
    phase,
    step,
    fingerprint: `${verdict}|${gap ?? ''}|${behind ?? ''}|${conditionsFingerprint(conditions)}|${detail ?? ''}`,
    failure,
    machinesBehind: behind,
  };
}
