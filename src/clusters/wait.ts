/**
 * Waiting for one object: a loop over the follower (src/kube/follower.ts: a GET, a watch from its
 * resourceVersion, re-established after a break or `pollIntervalMs` of silence; 401/403 and other refusals
 * end it) that asks `evaluate` about every state seen and stops when it says done. Around the loop: the
 * deadline, the caller's cancellation (the only way this rejects), the server's shutdown (`interrupted`),
 * a progress notification on every change plus heartbeats, and a warning when nothing changed for the
 * stall threshold. The ClusterDeployment waits evaluate with the judge (src/k0rdent/judge.ts).
 *
 * `enrich` adds what the followed object does not say (the ClusterDeployment waits: the CAPI Cluster's machine
 * counts, ./wait-capi.ts): read at most once per change of the followed object (its resourceVersion), only while
 * the wait goes on, each read bounded by ENRICH_TIMEOUT_MS and the wait's own end; a read that fails or runs
 * out of time adds nothing, and one that is refused (the caller may not read those kinds) is not tried again
 * (the evaluation is then told 'refused'). An evaluation that waits on what `enrich` reads (`refresh`: kcm says
 * Ready, the machine counts are behind) has it read again at every state the follower yields; the followed object
 * may not change while the machines come up, so the follower then also re-yields it every RECHECK_MS (at most
 * pollInterval) on the same watch, and the counts are read again each time.
 */
import type { Logger } from 'pino';
import { AppError } from '../errors.js';
import { toAppError } from '../kube/errors.js';
import { follow, type FollowSource } from '../kube/follower.js';
import type { K0rdentResource } from '../k0rdent/resources.js';
import type { K0rdentApi, KubeObject } from '../kube/k0rdent-api.js';
import type { Step } from '../k0rdent/steps.js';
import { DEFAULT_PROGRESS_INTERVAL_MS, ProgressReporter } from './progress.js';
import type { OperationHooks, ProgressUpdate, WaitOptions } from './types.js';

export interface Evaluation {
  done: boolean;
  /** Changes whenever something worth reporting changed. */
  fingerprint: string;
  /** One line describing the current state. */
  message: string;
  /** Where the object is in kcm's condition sequence (progress and total of the notifications). */
  step?: Step | undefined;
  /** Extra detail for the progress line (the judge's hook), e.g. "workers 2/3 ready". */
  detail?: string | undefined;
  /** Not done until `enrich` answers otherwise: read it again at every state seen, even of the same resourceVersion. */
  refresh?: boolean | undefined;
}

/** What `enrich` answers: something to add, nothing (undefined), or 'refused' (not asked again in this wait). */
export type EnrichAnswer<E> = E | undefined | 'refused';

export interface WaitSpec<E = string> {
  /** The GET and watch of one object (K0rdentApi; a scripted fake in unit tests). */
  api: Pick<K0rdentApi, 'get' | 'watchOne'>;
  resource: K0rdentResource;
  namespace: string;
  name: string;
  /** Called with the current object, or undefined once it is gone, and the latest `enrich` answer. */
  evaluate: (object: KubeObject | undefined, extra?: E | 'refused') => Evaluation;
  /**
   * Extra detail about the current object read elsewhere (async, bounded): at most once per resourceVersion of
   * the followed object (or at every state while the evaluation asks to `refresh`). Answers undefined to add
   * nothing, 'refused' to be asked no more in this wait.
   */
  enrich?: ((object: KubeObject, signal: AbortSignal) => Promise<EnrichAnswer<E>>) | undefined;
  /** Longest one `enrich` read may take (ENRICH_TIMEOUT_MS unless said). */
  enrichTimeoutMs?: number | undefined;
  /** How often a `refresh` evaluation has `enrich` read again on a quiet object (RECHECK_MS unless said). */
  recheckMs?: number | undefined;
  pollIntervalMs: number;
  timeoutMs: number;
  stallThresholdMs?: number | undefined;
  signal?: AbortSignal | undefined;
  /** Server shutdown: ends the wait at once with `interrupted` and the state seen so far. */
  interrupt?: AbortSignal | undefined;
  onProgress?: ((update: ProgressUpdate) => void) | undefined;
  /** Longest gap between progress notifications (PROGRESS_INTERVAL): a heartbeat repeats the state. */
  progressIntervalMs?: number | undefined;
  /** Told about stalls, besides the warning log line. */
  onWarning?: ((message: string) => void) | undefined;
  logger: Pick<Logger, 'info' | 'warn' | 'debug'>;
  /** What the wait is for ("Ready for generation 2", "gone"), for the log line that opens it. */
  goal?: string | undefined;
}

export interface WaitResult<E = string> {
  done: boolean;
  timedOut: boolean;
  /** The last object seen (undefined once gone). */
  last: KubeObject | undefined;
  message: string;
  /**
   * Set when the wait ended early because the API refused or failed in a way retrying will not fix
   * (401/403, or anything else that is not 5xx/429/410/a connection failure), mapped by src/kube/errors.ts.
   */
  error?: AppError;
  /** The server began shutting down; the object carries on without this wait. */
  interrupted?: boolean;
  /** The latest `enrich` answer (what the last evaluation was told). */
  extra?: E | 'refused' | undefined;
}

/** The part of a WaitSpec every operation fills the same way: the caller's wait options and its hooks. */
export function waitSettings(
  wait: WaitOptions,
  hooks: OperationHooks,
): Pick<
  WaitSpec,
  'pollIntervalMs' | 'timeoutMs' | 'stallThresholdMs' | 'signal' | 'interrupt' | 'onProgress' | 'progressIntervalMs' | 'onWarning'
> {
  return {
    pollIntervalMs: wait.pollIntervalMs,
    timeoutMs: wait.timeoutMs,
    stallThresholdMs: wait.stallThresholdMs,
    signal: hooks.signal,
    interrupt: hooks.interrupt,
    onProgress: hooks.onProgress,
    progressIntervalMs: hooks.progressIntervalMs,
    onWarning: hooks.onWarning,
  };
}

/** K0rdentApi's GET and watch of one object, as the follower asks for them. */
function sourceOf<E>(spec: WaitSpec<E>): FollowSource<KubeObject> {
  const { api, resource, namespace, name } = spec;
  return {
    get: (signal) => api.get(resource, namespace, name, { signal }),
    watch: (resourceVersion, onEvent, onClose) => api.watchOne(resource, namespace, name, resourceVersion, onEvent, onClose),
  };
}

type StopReason = 'timeout' | 'cancelled' | 'interrupted';

/** Longest an `enrich` read may take before the wait goes on without it. */
export const ENRICH_TIMEOUT_MS = 3_000;
/**
 * While an evaluation waits on what `enrich` reads (`refresh`), how often it is read again when the followed
 * object does not change: one GET of the CAPI Cluster per 2 s for this wait (kcm itself polls CAPI Clusters, at
 * `--capi-cluster-poll-interval`), so a scale ends within ~2 s of the counts catching up instead of a pollInterval.
 */
export const RECHECK_MS = 2_000;

/**
 * One `enrich` read, bounded by `timeoutMs` and `stop` (the answer is not waited for beyond them, whether or not
 * the read honours its signal); failures and time-outs answer undefined.
 */
async function enrichOnce<E>(
  enrich: NonNullable<WaitSpec<E>['enrich']>,
  object: KubeObject,
  stop: AbortSignal,
  timeoutMs: number,
  logger: WaitSpec['logger'],
): Promise<EnrichAnswer<E>> {
  const bound = new AbortController();
  const onStop = (): void => bound.abort();
  stop.addEventListener('abort', onStop, { once: true });
  const timer = setTimeout(() => bound.abort(), timeoutMs);
  const aborted = new Promise<never>((_, reject) =>
    bound.signal.addEventListener('abort', () => reject(new Error(`no answer within ${timeoutMs} ms`)), { once: true }),
  );
  try {
    return await Promise.race([enrich(object, bound.signal), aborted]);
  } catch (error) {
    logger.debug({ error: error instanceof Error ? error.message : String(error) }, 'wait: the progress detail was not read');
    return undefined;
  } finally {
    clearTimeout(timer);
    stop.removeEventListener('abort', onStop);
  }
}

export async function waitFor<E = string>(spec: WaitSpec<E>): Promise<WaitResult<E>> {
  const { resource, namespace, name, signal, logger } = spec;
  const what = `${resource.kind} ${namespace}/${name}`;
  const cancelled = (): AppError => new AppError('unavailable', `waiting for ${what} was cancelled by the caller`, { cancelled: true });
  if (signal?.aborted) throw cancelled();

  // The deadline is this wait's own controller and timer (not AbortSignal.any/timeout: nodejs/node#57736).
  const stop = new AbortController();
  let reason: StopReason | undefined;
  const end = (why: StopReason): void => {
    reason ??= why;
    stop.abort();
  };
  const deadline = setTimeout(() => end('timeout'), spec.timeoutMs);
  const onAbort = (): void => end('cancelled');
  const onInterrupt = (): void => end('interrupted');
  signal?.addEventListener('abort', onAbort, { once: true });
  if (spec.interrupt?.aborted) onInterrupt();
  else spec.interrupt?.addEventListener('abort', onInterrupt, { once: true });

  const reporter = spec.onProgress
    ? new ProgressReporter(spec.onProgress, spec.progressIntervalMs ?? DEFAULT_PROGRESS_INTERVAL_MS)
    : undefined;
  let fingerprint: string | undefined;
  let message = 'waiting for the first state';
  let last: KubeObject | undefined;
  let lastChange = Date.now();
  let stallTimer: NodeJS.Timeout | undefined;
  const armStall = (): void => {
    if (spec.stallThresholdMs === undefined) return;
    clearTimeout(stallTimer);
    stallTimer = setTimeout(() => {
      if (stop.signal.aborted) return;
      const warning = `no condition of ${what} changed for ${Math.round((Date.now() - lastChange) / 1000)}s`;
      logger.warn({ kind: resource.kind, namespace, cluster: name, stalledForMs: Date.now() - lastChange, state: message }, warning);
      spec.onWarning?.(`${warning}; still ${message}`);
      armStall();
    }, spec.stallThresholdMs);
  };

  logger.info(
    {
      kind: resource.kind,
      namespace,
      cluster: name,
      goal: spec.goal,
      timeoutMs: spec.timeoutMs,
      pollIntervalMs: spec.pollIntervalMs,
      stallThresholdMs: spec.stallThresholdMs,
    },
    `waiting for ${what}${spec.goal ? ` to be ${spec.goal}` : ''}`,
  );
  let judging = false;
  let enrich = spec.enrich;
  let extra: E | 'refused' | undefined;
  const result = (fields: Omit<WaitResult<E>, 'last' | 'message' | 'extra'>): WaitResult<E> => ({ ...fields, last, message, extra });
  let enrichedAt: string | undefined;
  let refreshing = false;
  try {
    const states = follow(sourceOf(spec), {
      signal: stop.signal,
      resyncMs: spec.pollIntervalMs,
      recheckMs: () => (refreshing && enrich !== undefined ? Math.min(spec.recheckMs ?? RECHECK_MS, spec.pollIntervalMs) : undefined),
      what,
      onResync: (why, error) =>
        logger.debug({ namespace, cluster: name, ...(error ? { error: error.message, code: error.code } : {}) }, why),
    });
    for await (const { object } of states) {
      judging = true;
      last = object;
      let evaluation = spec.evaluate(object, extra);
      // The last word is the object's own, or a read made for it: a detail read before it changed would be stale.
      if (evaluation.done && extra !== undefined && extra !== 'refused') evaluation = spec.evaluate(object);
      const version = object?.metadata?.resourceVersion;
      if (!evaluation.done && enrich !== undefined && object !== undefined && (version !== enrichedAt || evaluation.refresh === true)) {
        enrichedAt = version;
        judging = false;
        const answer = await enrichOnce(enrich, object, stop.signal, spec.enrichTimeoutMs ?? ENRICH_TIMEOUT_MS, logger);
        judging = true;
        if (stop.signal.aborted) {
          judging = false;
          continue;
        }
        if (answer === 'refused') enrich = undefined;
        extra = answer;
        evaluation = spec.evaluate(object, extra);
      }
      refreshing = evaluation.refresh === true && !evaluation.done;
      message = evaluation.message;
      if (evaluation.fingerprint !== fingerprint) {
        fingerprint = evaluation.fingerprint;
        lastChange = Date.now();
        reporter?.report(message, evaluation.step, evaluation.detail);
        logger.debug(
          { kind: resource.kind, namespace, cluster: name, step: evaluation.step, state: message, done: evaluation.done },
          `wait: ${what}: ${message}`,
        );
        armStall();
      }
      if (evaluation.done) return result({ done: true, timedOut: false });
      judging = false;
    }
  } catch (error) {
    // A failure of the evaluation or a progress hook is a bug to surface, not an API failure of the wait.
    if (judging) throw error;
    if (reason === undefined) {
      const appError = toAppError(error, { action: `watch ${what}` });
      logger.debug({ namespace, cluster: name, error: appError.message, code: appError.code }, 'wait ended by an API error');
      return result({ done: false, timedOut: false, error: appError });
    }
  } finally {
    clearTimeout(deadline);
    clearTimeout(stallTimer);
    reporter?.stop();
    signal?.removeEventListener('abort', onAbort);
    spec.interrupt?.removeEventListener('abort', onInterrupt);
    stop.abort();
  }
  // The follower ends only when stopped.
  if (reason === 'cancelled') throw cancelled();
  if (reason === 'interrupted') {
    spec.onWarning?.(`the server is shutting down: stopped waiting for ${what} (${message}); it continues in the cluster`);
    return result({ done: false, timedOut: false, interrupted: true });
  }
  return result({ done: false, timedOut: true });
}
