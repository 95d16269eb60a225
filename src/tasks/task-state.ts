/**
 * The state of a follow task, computed from the ClusterDeployment as it is now (pure): MCP status,
 * status message, and the result the waited call would return at this point. deploy/update complete when
 * kcm has reconciled the target generation and Ready is True; delete completes when the object (that
 * uid) is gone. Failed, deleted-meanwhile and past-the-timeout end a task as `failed` (its result says which).
 */
import type { Task } from '@modelcontextprotocol/sdk/types.js';
import { describePhase, failedFor, isReady, readConditions, reconciliationGap, type Condition } from '../k0rdent/conditions.js';
import type { KubeObject } from '../clusters/kube-api.js';
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

function lastChange(task: FollowTask, object: KubeObject | undefined, conditions: readonly Condition[]): string {
  const times = [task.created, ...conditions.map((c) => Date.parse(c.lastTransitionTime ?? '')), Date.parse(String(object?.metadata?.deletionTimestamp ?? ''))].filter((t) => Number.isFinite(t));
  return new Date(Math.max(...times)).toISOString();
}

/** `4m10s`: the elapsed time in a status line. */
export function formatElapsed(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return h > 0 ? `${h}h${m}m${s}s` : m > 0 ? `${m}m${s}s` : `${s}s`;
}

export function taskState(task: FollowTask, current: KubeObject | undefined, now: number): TaskState {
  // The same name with another uid is another object: the one this task followed is gone.
  const object = current?.metadata?.uid === task.uid ? current : undefined;
  const conditions = readConditions(object?.status);
  const elapsed = formatElapsed(now - task.created);
  const expired = now - task.created > task.timeoutMs;
  const base = { ...task.result, conditions: compactConditions(conditions) };
  const lastUpdatedAt = lastChange(task, object, conditions);
  const state = (status: Task['status'], phase: string, fields: Record<string, unknown>): TaskState => ({
    status,
    statusMessage: `${phase}, ${elapsed}`,
    result: { ...base, phase, ...fields },
    lastUpdatedAt,
  });

  if (task.op === 'delete') {
    if (object === undefined) return state('completed', 'Deleted', { gone: true, timedOut: false });
    const phase = describePhase(conditions, true);
    return expired ? state('failed', phase, { gone: false, timedOut: true }) : state('working', phase, { gone: false, timedOut: false });
  }

  if (object === undefined) return state('failed', 'the ClusterDeployment was deleted while waiting', { ready: false, timedOut: false });
  const deleting = Boolean(object.metadata?.deletionTimestamp);
  const generation = Math.max(task.generation, object.metadata?.generation ?? 0);
  // The same rule as the wait (src/clusters/wait-ready.ts): Ready counts only as kcm reconciled the target.
  const failed = failedFor(object.status, conditions, generation);
  const gap = reconciliationGap(object.status, conditions, { generation, chart: task.chart, previousRelease: task.previousRelease });
  if (!deleting && gap !== undefined && failed === undefined) {
    const phase = `Pending (${gap})`;
    return expired ? state('failed', phase, { ready: false, timedOut: true }) : state('working', phase, { ready: false, timedOut: false });
  }
  const phase = describePhase(conditions, deleting);
  if (isReady(conditions) && !deleting && gap === undefined) return state('completed', phase, { ready: true, timedOut: false });
  if (failed) return state('failed', phase, { ready: false, timedOut: false, failure: `${failed.type}: ${failed.message ?? failed.reason ?? 'failed'}` });
  if (deleting) return state('failed', phase, { ready: false, timedOut: false });
  return expired ? state('failed', phase, { ready: false, timedOut: true }) : state('working', phase, { ready: false, timedOut: false });
}
