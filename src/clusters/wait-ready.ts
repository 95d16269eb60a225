/**
 * Following a ClusterDeployment until kcm has reconciled the generation a write produced and it is Ready
 * or failed for that generation (docs/tools.md "Long operations": ready for the generation the call waits for). A Ready left from an
 * earlier generation, or copied from a HelmRelease helm-controller has not yet upgraded, never counts.
 */
import type { Logger } from 'pino';
import {
  conditionsFingerprint,
  describePhase,
  failedFor,
  isReady,
  readConditions,
  reconciliationGap,
  type GenerationTarget,
} from '../k0rdent/conditions.js';
import { CLUSTER_DEPLOYMENT } from '../k0rdent/resources.js';
import { provisionStep } from '../k0rdent/steps.js';
import type { K0rdentApi } from '../kube/k0rdent-api.js';
import { compactConditions } from './summaries.js';
import type { OperationHooks, WaitError, WaitOptions, WaitOutcome } from './types.js';
import { waitFor, waitSettings, type WaitResult } from './wait.js';

export interface ReadyWaitDeps {
  api: K0rdentApi;
  logger: Logger;
}

/**
 * The apply/delete already succeeded when a wait ends on an API failure (an expired token, RBAC without
 * `watch`): the result says so, with the failure, instead of the call failing. Logged as a warning.
 */
export function waitErrorOf(outcome: WaitResult, logger: Logger, namespace: string, name: string): { waitError?: WaitError } {
  if (!outcome.error) return {};
  const { code, message } = outcome.error;
  logger.warn(
    { namespace, cluster: name, errorCode: code, error: message },
    `the wait for ClusterDeployment ${namespace}/${name} ended early: ${code}`,
  );
  return { waitError: { code, message } };
}

/** What a wait ended by the server's shutdown tells the caller: the object carries on without it. */
export function interruption(outcome: WaitResult, continues: string): { interrupted?: true; note?: string } {
  if (!outcome.interrupted) return {};
  return {
    interrupted: true,
    note: `the server is shutting down and stopped waiting; ${continues}: follow it with k0.clusters.get, k0.clusters.list or its task`,
  };
}

export async function waitForGeneration(
  deps: ReadyWaitDeps,
  namespace: string,
  name: string,
  target: GenerationTarget,
  wait: WaitOptions,
  hooks: OperationHooks,
): Promise<WaitOutcome> {
  const judge = (
    status: unknown,
    conditions: ReturnType<typeof readConditions>,
  ): { gap: string | undefined; failed: ReturnType<typeof failedFor>; ready: boolean } => {
    const failed = failedFor(status, conditions, target.generation);
    const gap = reconciliationGap(status, conditions, target);
    return { gap, failed, ready: gap === undefined && isReady(conditions) };
  };
  const outcome = await waitFor({
    api: deps.api,
    resource: CLUSTER_DEPLOYMENT,
    namespace,
    name,
    ...waitSettings(wait, hooks),
    logger: deps.logger,
    goal: `Ready for generation ${target.generation}`,
    evaluate: (object) => {
      if (object === undefined) return { done: true, fingerprint: 'gone', message: 'the ClusterDeployment was deleted while waiting' };
      const conditions = readConditions(object.status);
      const deleting = Boolean(object.metadata?.deletionTimestamp);
      const { gap, failed, ready } = judge(object.status, conditions);
      const fingerprint = `${deleting}|${gap ?? ''}|${conditionsFingerprint(conditions)}`;
      // Conditions of an earlier generation are not steps of this one.
      const step = provisionStep(gap === undefined ? conditions : [], ready);
      if (deleting || failed !== undefined || ready) return { done: true, fingerprint, message: describePhase(conditions, deleting), step };
      return { done: false, fingerprint, message: gap === undefined ? describePhase(conditions) : `Pending (${gap})`, step };
    },
  });
  const last = outcome.last;
  const conditions = readConditions(last?.status);
  const { failed, ready } = last === undefined ? { failed: undefined, ready: false } : judge(last.status, conditions);
  return {
    ready,
    timedOut: outcome.timedOut,
    phase: outcome.message,
    conditions: compactConditions(conditions),
    generation: target.generation,
    ...(failed ? { failure: `${failed.type}: ${failed.message ?? failed.reason ?? 'failed'}` } : {}),
    ...waitErrorOf(outcome, deps.logger, namespace, name),
    ...interruption(outcome, 'the deployment continues'),
  };
}
