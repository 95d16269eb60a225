/**
 * Following a ClusterDeployment until kcm has reconciled the generation a write produced and it is Ready
 * or failed for that generation, deleted, or replaced by another object of the same name: the judge
 * (src/k0rdent/judge.ts) decides, as it does for the delete wait and the follow tasks.
 */
import { TOOL, toolRef } from '../tool-names.js';
import type { Logger } from 'pino';
import {
  failureText,
  judge,
  type GoneTarget,
  type JudgeOptions,
  type Judgement,
  type MachineTarget,
  type ReadyTarget,
  type WaitTarget,
} from '../k0rdent/judge.js';
import type { DeletionSpec } from '../k0rdent/steps.js';
import { CLUSTER_DEPLOYMENT } from '../k0rdent/resources.js';
import type { K0rdentApi } from '../kube/k0rdent-api.js';
import { compactConditions } from './summaries.js';
import type { DeleteResult, OperationHooks, WaitError, WaitOptions, WaitOutcome } from './types.js';
import { waitFor, waitSettings, type Evaluation, type WaitResult, type WaitSpec } from './wait.js';
import { capiProgress, type CapiRead } from './wait-capi.js';

export interface ReadyWaitDeps {
  api: K0rdentApi;
  logger: Logger;
  /** Extra detail for the progress line (the judge's hook), before the machine counts. */
  detail?: JudgeOptions['detail'];
  /** false: no machine counts in the progress line (no CAPI reads). Default: read them (./wait-capi.ts). */
  machineCounts?: boolean;
}

/** The judge's detail hook: the caller's own detail, then the machine counts the wait read (`extra`). */
function detailWith(deps: ReadyWaitDeps, extra: string | undefined): JudgeOptions['detail'] {
  if (deps.detail === undefined && extra === undefined) return undefined;
  return (object) => [deps.detail?.(object), extra].filter((part) => part !== undefined && part !== '').join(', ') || undefined;
}

/** The wait's enrich: the CAPI machine counts of the deployment (unless the deps turn them off). */
function machineCountsOf(deps: ReadyWaitDeps, namespace: string, name: string): WaitSpec<CapiRead>['enrich'] {
  return deps.machineCounts === false ? undefined : capiProgress(deps.api, namespace, name);
}

/** The judge's options from the wait's latest read below kcm: the detail line, and the counters (or the refusal). */
function judgeOptions(deps: ReadyWaitDeps, extra: CapiRead | 'refused' | undefined): JudgeOptions {
  const read = extra === 'refused' ? undefined : extra;
  return { detail: detailWith(deps, read?.detail), capi: extra === 'refused' ? 'refused' : read?.capi };
}

/**
 * The counters an update's wait must also see (src/k0rdent/judge.ts): the worker and control-plane counts it
 * changes (`config.workersNumber` / `config.controlPlaneNumber`, the count every k0rdent cluster template takes), and
 * after a template change (a Kubernetes version, a chart) both settled — CAPI counts the machines up to date with
 * the new spec. Undefined: nothing about the machines changed, kcm's Ready decides.
 */
export function machineTarget(changes: readonly { path: string; after?: unknown }[], templateChanged: boolean): MachineTarget | undefined {
  const count = (path: string): number | 'settled' | undefined => {
    const change = changes.find((c) => c.path === path);
    if (change === undefined) return templateChanged ? 'settled' : undefined;
    return typeof change.after === 'number' && Number.isInteger(change.after) && change.after >= 0 ? change.after : 'settled';
  };
  const workers = count('config.workersNumber');
  const controlPlane = count('config.controlPlaneNumber');
  if (workers === undefined && controlPlane === undefined) return undefined;
  return { ...(workers !== undefined ? { workers } : {}), ...(controlPlane !== undefined ? { controlPlane } : {}) };
}

/**
 * The apply/delete already succeeded when a wait ends on an API failure (an expired token, RBAC without
 * `watch`): the result says so, with the failure, instead of the call failing. Logged as a warning.
 */
export function waitErrorOf(outcome: WaitResult<unknown>, logger: Logger, namespace: string, name: string): { waitError?: WaitError } {
  if (!outcome.error) return {};
  const { code, message } = outcome.error;
  logger.warn(
    { namespace, cluster: name, errorCode: code, error: message },
    `the wait for ClusterDeployment ${namespace}/${name} ended early: ${code}`,
  );
  return { waitError: { code, message } };
}

/** What a wait ended by the server's shutdown tells the caller: the object carries on without it (and so does the call's task, if it was one). */
export function interruption(outcome: WaitResult<unknown>, continues: string, asTask = false): { interrupted?: true; note?: string } {
  if (!outcome.interrupted) return {};
  return {
    interrupted: true,
    note: `the server is shutting down and stopped waiting; ${continues}: follow it with ${toolRef(TOOL.clustersGet)}${asTask ? `, ${toolRef(TOOL.clustersList)} or its task` : ` or ${toolRef(TOOL.clustersList)}`}`,
  };
}

/** A call runs as a task exactly when the task runner asks to be told what was written (src/tasks/tool-tasks.ts). */
const isTask = (hooks: OperationHooks): boolean => hooks.onWritten !== undefined;

/** The judge's target of a deploy/update wait: that object (when its uid is known), reconciled and Ready for `target`. */
export function readyTarget(target: WaitTarget, uid?: string): ReadyTarget {
  return { kind: 'ready', ...target, uid };
}

/** What a waiting operation reports per state: the judge's verdict as the follower loop wants it. */
export function evaluation(judgement: Judgement): Evaluation {
  return {
    done: judgement.done,
    fingerprint: judgement.fingerprint,
    message: judgement.phase,
    step: judgement.step,
    detail: judgement.detail,
    refresh: judgement.machinesBehind !== undefined,
  };
}

export async function waitForGeneration(
  deps: ReadyWaitDeps,
  namespace: string,
  name: string,
  target: WaitTarget & { uid?: string | undefined },
  wait: WaitOptions,
  hooks: OperationHooks,
): Promise<WaitOutcome> {
  // Without the CAPI read (machineCounts: false) there are no counters to wait for: kcm's Ready decides.
  const goal = readyTarget(deps.machineCounts === false ? { ...target, machines: undefined } : target, target.uid);
  const outcome = await waitFor({
    api: deps.api,
    resource: CLUSTER_DEPLOYMENT,
    namespace,
    name,
    ...waitSettings(wait, hooks),
    logger: deps.logger,
    goal: `Ready for generation ${target.generation}`,
    enrich: machineCountsOf(deps, namespace, name),
    evaluate: (object, extra) => evaluation(judge(object, goal, judgeOptions(deps, extra))),
  });
  const last = judge(outcome.last, goal, judgeOptions(deps, outcome.extra));
  return {
    ready: last.verdict === 'ready',
    timedOut: outcome.timedOut,
    phase: outcome.message,
    conditions: compactConditions(last.conditions),
    generation: target.generation,
    ...(last.failure ? { failure: failureText(last.failure) } : {}),
    ...waitErrorOf(outcome, deps.logger, namespace, name),
    ...interruption(outcome, 'the deployment continues', isTask(hooks)),
  };
}

/** What the delete wait reports (DeleteResult.wait). */
export type DeletionOutcome = NonNullable<DeleteResult['wait']>;

/**
 * Following a ClusterDeployment until the object deleted (`uid`, when known) is gone: absent, or the name
 * now holds another object — as kubectl's wait treats a re-created object (src/k0rdent/judge.ts).
 */
export async function waitForDeletion(
  deps: ReadyWaitDeps,
  namespace: string,
  name: string,
  deleted: { uid?: string | undefined; spec?: DeletionSpec | undefined },
  wait: WaitOptions,
  hooks: OperationHooks,
): Promise<DeletionOutcome> {
  // The steps follow the deployment's spec; the last one seen also counts the steps once it is gone.
  let spec = deleted.spec;
  // Unknown uid (nobody read the object before the DELETE): the first object seen being deleted is the one.
  let uid = deleted.uid;
  const target = (): GoneTarget => ({ kind: 'gone', uid, spec });
  const outcome = await waitFor({
    api: deps.api,
    resource: CLUSTER_DEPLOYMENT,
    namespace,
    name,
    ...waitSettings(wait, hooks),
    logger: deps.logger,
    goal: 'gone',
    enrich: machineCountsOf(deps, namespace, name),
    evaluate: (object, extra) => {
      const judgement = judge(object, target(), judgeOptions(deps, extra));
      uid ??= judgement.object?.metadata?.uid;
      if (judgement.object?.spec) spec = judgement.object.spec;
      return evaluation(judgement);
    },
  });
  const last = judge(outcome.last, target());
  return {
    // Not judged from `last` alone: a wait that ended before any read (401 on the first GET) has seen nothing.
    gone: outcome.done,
    timedOut: outcome.timedOut,
    phase: outcome.message,
    conditions: compactConditions(last.conditions),
    ...waitErrorOf(outcome, deps.logger, namespace, name),
    ...interruption(outcome, 'the deletion continues', isTask(hooks)),
  };
}
