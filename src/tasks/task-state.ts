/**
 * The state of a follow task, computed from the ClusterDeployment as it is now (pure): MCP status,
 * status message, and the result the waited call would return at this point. deploy/update complete when
 * kcm has reconciled the target generation and Ready is True; delete completes when the object (that
 * uid) is gone. Failed, deleted-meanwhile and past-the-timeout end a task as `failed` (its result says which).
 */
import type { Task } from '@modelcontextprotocol/sdk/types.js';
import { describePhase, failedFor, isReady, readConditions, reconciliationGap, type Condition } from '../k0rdent/conditions.js';
import type { KubeObject } from '../kube/k0rdent-api.js';
import { progressLine } from '../clusters/progress.js';
import { compactConditions } from '../clusters/summaries.js';
import { deletionStep, provisionStep, type Step } from '../k0rdent/steps.js';
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
  const times = [
    task.created,
    ...conditions.map((c) => Date.parse(c.lastTransitionTime ?? '')),
    Date.parse(String(object?.metadata?.deletionTimestamp ?? '')),
  ].filter((t) => Number.isFinite(t));
  return new Date(Math.max(...times)).toISOString();
}

export function taskState(task: FollowTask, current: KubeObject | undefined, now: number): TaskState {
  // The same name with another uid is another object: the one this task followed is gone.
  const object = current?.metadata?.uid === task.uid ? current : undefined;
  const conditions = readConditions(object?.status);
  const expired = now - task.created > task.timeoutMs;
  // The waited deploy/update reports the generation it waited for; the waited delete does not.
  const base = {
    ...task.result,
    conditions: compactConditions(conditions),
    ...(task.op === 'delete' ? {} : { generation: task.generation }),
  };
  const lastUpdatedAt = lastChange(task, object, conditions);
  const state = (status: Task['status'], phase: string, fields: Record<string, unknown>, step?: Step): TaskState => ({
    status,
    statusMessage: progressLine(phase, step, now - task.created),
    result: { ...base, phase, ...fields },
    lastUpdatedAt,
  });

  if (task.op === 'delete') {
    if (object === undefined) return state('completed', 'Deleted', { gone: true, timedOut: false }, deletionStep([], true));
    const phase = describePhase(conditions, true);
    const step = deletionStep(conditions, false, object.spec);
    return expired
      ? state('failed', phase, { gone: false, timedOut: true }, step)
      : state('working', phase, { gone: false, timedOut: false }, step);
  }

  if (object === undefined) return state('failed', 'the ClusterDeployment was deleted while waiting', { ready: false, timedOut: false });
  const deleting = Boolean(object.metadata?.deletionTimestamp);
  const generation = Math.max(task.generation, object.metadata?.generation ?? 0);
  // The same rule as the wait (src/clusters/wait-ready.ts): Ready counts only as kcm reconciled the target.
  const failed = failedFor(object.status, conditions, generation);
  const gap = reconciliationGap(object.status, conditions, { generation, chart: task.chart, previousRelease: task.previousRelease });
  if (!deleting && gap !== undefined && failed === undefined) {
    const phase = `Pending (${gap})`;
    const step = provisionStep([], false);
    return expired
      ? state('failed', phase, { ready: false, timedOut: true }, step)
      : state('working', phase, { ready: false, timedOut: false }, step);
  }
  const phase = describePhase(conditions, deleting);
  const ready = isReady(conditions) && !deleting && gap === undefined;
  const step = provisionStep(gap === undefined ? conditions : [], ready);
  if (ready) return state('completed', phase, { ready: true, timedOut: false }, step);
  if (failed)
    return state('failed', phase, {
      ready: false,
      timedOut: false,
      failure: `${failed.type}: ${failed.message ?? failed.reason ?? 'failed'}`,
    });
  if (deleting) return state('failed', phase, { ready: false, timedOut: false });
  return expired
    ? state('failed', phase, { ready: false, timedOut: true }, step)
    : state('working', phase, { ready: false, timedOut: false }, step);
}
