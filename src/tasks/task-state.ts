/**
 * The state of a follow task, computed from the ClusterDeployment as it is now (pure): MCP status,
 * status message, and the result the waited call would return at this point, as the judge of every wait
 * decides it (src/k0rdent/judge.ts): deploy/update complete when kcm has reconciled the target generation and
 * Ready is True; delete completes when the object (that uid) is gone. Failed, deleted-meanwhile and
 * past-the-timeout end a task as `failed` (its result says which).
 */
import type { Task } from '@modelcontextprotocol/sdk/types.js';
import type { Condition } from '../k0rdent/conditions.js';
import { failureText, judge, type CapiObservation, type JudgeTarget, type ObservedDeployment } from '../k0rdent/judge.js';
import type { KubeObject } from '../kube/k0rdent-api.js';
import { progressLine } from '../clusters/progress.js';
import { compactConditions } from '../clusters/summaries.js';
import type { FollowTask } from './task-id.js';

export interface TaskState {
  status: Task['status'];
  statusMessage: string;
  /** What tasks/result returns once the status is terminal (the waited call's structured result). */
  result: Record<string, unknown>;
  /** ISO time of the latest change seen on the object (or the task's creation). */
  lastUpdatedAt: string;
}

function lastChange(task: FollowTask, object: ObservedDeployment | undefined, conditions: readonly Condition[]): string {
  const times = [
    task.created,
    ...conditions.map((c) => Date.parse(c.lastTransitionTime ?? '')),
    Date.parse(String(object?.metadata?.deletionTimestamp ?? '')),
  ].filter((t) => Number.isFinite(t));
  return new Date(Math.max(...times)).toISOString();
}

/** What a follow task waits for, as the judge's target (the same the waited call used). */
function targetOf(task: FollowTask): JudgeTarget {
  return task.op === 'delete'
    ? { kind: 'gone', uid: task.uid }
    : {
        kind: 'ready',
        uid: task.uid,
        generation: task.generation,
        chart: task.chart,
        previousRelease: task.previousRelease,
        machines: task.machines,
      };
}

/**
 * Whether the task's state waits on the CAPI Cluster's counters (an update that changed the machines, kcm already
 * Ready): then the store reads them (src/clusters/capi-summary.ts) and passes them to taskState, as the wait does.
 */
export function needsMachineCounts(task: FollowTask, current: KubeObject | undefined): boolean {
  return task.op !== 'delete' && task.machines !== undefined && judge(current, targetOf(task)).machinesBehind !== undefined;
}

/** What the store read below kcm for a task whose target has machines (needsMachineCounts): the counters, the progress detail. */
export interface MachineCounts {
  capi: CapiObservation | undefined;
  /** "workers 2/3 ready, 1 provisioning" (src/clusters/wait-capi.ts capiProgressDetail). */
  detail?: string | undefined;
}

export function taskState(task: FollowTask, current: KubeObject | undefined, now: number, below?: MachineCounts): TaskState {
  // The judge of every wait (src/k0rdent/judge.ts): the same name with another uid is gone, as for the waited call.
  const detail = below?.detail;
  const judgement = judge(current, targetOf(task), { capi: below?.capi, ...(detail !== undefined ? { detail: () => detail } : {}) });
  const { conditions, phase, step } = judgement;
  const expired = now - task.created > task.timeoutMs;
  // The waited deploy/update reports the generation it waited for; the waited delete does not.
  const base = {
    ...task.result,
    conditions: compactConditions(conditions),
    ...(task.op === 'delete' ? {} : { generation: task.generation }),
  };
  const lastUpdatedAt = lastChange(task, judgement.object, conditions);
  // A task that ended without getting there (failed, deleted meanwhile) names no step in its status line.
  const state = (status: Task['status'], fields: Record<string, unknown>, showStep = true): TaskState => ({
    status,
    statusMessage: progressLine(phase, showStep ? step : undefined, now - task.created, judgement.detail),
    result: { ...base, phase, ...fields },
    lastUpdatedAt,
  });
  const working = (fields: Record<string, unknown>): TaskState =>
    expired ? state('failed', { ...fields, timedOut: true }) : state('working', { ...fields, timedOut: false });

  if (task.op === 'delete')
    return judgement.verdict === 'gone' ? state('completed', { gone: true, timedOut: false }) : working({ gone: false });
  switch (judgement.verdict) {
    case 'ready':
      return state('completed', { ready: true, timedOut: false });
    case 'failed':
      return state(
        'failed',
        { ready: false, timedOut: false, ...(judgement.failure ? { failure: failureText(judgement.failure) } : {}) },
        false,
      );
    case 'deleting':
    case 'gone':
      return state('failed', { ready: false, timedOut: false }, false);
    case 'pending':
      return working({ ready: false });
  }
}
