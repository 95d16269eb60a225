/**
 * Following one object until a condition holds: a watch from the object's resourceVersion (not
 * sleep-polling), re-established after a break or after `pollIntervalMs` of silence (so re-checks are
 * at most `pollIntervalMs` apart), bounded by a timeout, honouring cancellation, reporting each change and warning when nothing changed for the
 * stall threshold. 5xx/429/410 and connection failures are retried (at most one GET or watch plus one
 * retry timer at a time); 401/403 and other refusals end the wait with `error` set. Only cancellation
 * rejects.
 */
import type { Logger } from 'pino';
import { AppError } from '../errors.js';
import { toAppError } from '../kube/errors.js';
import type { K0rdentResource } from '../k0rdent/resources.js';
import type { K0rdentApi, KubeObject, WatchHandle } from '../kube/k0rdent-api.js';
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
  step?: Step;
}

export interface WaitSpec {
  api: K0rdentApi;
  resource: K0rdentResource;
  namespace: string;
  name: string;
  /** Called with the current object, or undefined once it is gone. */
  evaluate: (object: KubeObject | undefined) => Evaluation;
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

export interface WaitResult {
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

/** A watch that lasted less than this before closing is not re-opened right away. */
const MIN_HEALTHY_WATCH_MS = 1000;

export function waitFor(spec: WaitSpec): Promise<WaitResult> {
  const { api, resource, namespace, name, signal, logger } = spec;
  return new Promise<WaitResult>((resolve, reject) => {
    let finished = false;
    let retryTimer: NodeJS.Timeout | undefined;
    let stallTimer: NodeJS.Timeout | undefined;
    let fingerprint: string | undefined;
    let message = 'waiting for the first state';
    let last: KubeObject | undefined;
    let lastChange = Date.now();
    const onProgress = spec.onProgress;
    const reporter = onProgress ? new ProgressReporter(onProgress, spec.progressIntervalMs ?? DEFAULT_PROGRESS_INTERVAL_MS) : undefined;

    const cleanup = (): void => {
      finished = true;
      clearTimeout(deadline);
      clearTimeout(retryTimer);
      clearTimeout(stallTimer);
      reporter?.stop();
      signal?.removeEventListener('abort', onAbort);
      spec.interrupt?.removeEventListener('abort', onInterrupt);
      current?.end();
    };
    const succeed = (result: Omit<WaitResult, 'last' | 'message'>): void => {
      if (finished) return;
      cleanup();
      resolve({ ...result, last, message });
    };
    const fail = (error: unknown): void => {
      if (finished) return;
      cleanup();
      reject(error);
    };
    const onAbort = (): void =>
      fail(
        new AppError('unavailable', `waiting for ${resource.kind} ${namespace}/${name} was cancelled by the caller`, { cancelled: true }),
      );
    const onInterrupt = (): void => {
      if (finished) return;
      spec.onWarning?.(
        `the server is shutting down: stopped waiting for ${resource.kind} ${namespace}/${name} (${message}); it continues in the cluster`,
      );
      succeed({ done: false, timedOut: false, interrupted: true });
    };

    const armStall = (): void => {
      if (spec.stallThresholdMs === undefined) return;
      clearTimeout(stallTimer);
      stallTimer = setTimeout(() => {
        if (finished) return;
        const warning = `no condition of ${resource.kind} ${namespace}/${name} changed for ${Math.round((Date.now() - lastChange) / 1000)}s`;
        logger.warn({ kind: resource.kind, namespace, cluster: name, stalledForMs: Date.now() - lastChange, state: message }, warning);
        spec.onWarning?.(`${warning}; still ${message}`);
        armStall();
      }, spec.stallThresholdMs);
    };

    const observe = (object: KubeObject | undefined): void => {
      if (finished) return;
      last = object;
      const evaluation = spec.evaluate(object);
      message = evaluation.message;
      if (evaluation.fingerprint !== fingerprint) {
        fingerprint = evaluation.fingerprint;
        lastChange = Date.now();
        reporter?.report(message, evaluation.step);
        logger.debug(
          { kind: resource.kind, namespace, cluster: name, step: evaluation.step, state: message, done: evaluation.done },
          `wait: ${resource.kind} ${namespace}/${name}: ${message}`,
        );
        armStall();
      }
      if (evaluation.done) succeed({ done: true, timedOut: false });
    };

    /**
     * One attempt = a GET, then a watch from its resourceVersion. Attempts form a chain: only the end of
     * the current attempt schedules the next one (one retry timer), so at most one attempt (GET or watch)
     * and one retry timer exist at any time, whatever order the client's callbacks come in.
     */
    let current: { end: () => void } | undefined;
    const retryIn = (delayMs: number): void => {
      if (finished) return;
      clearTimeout(retryTimer);
      retryTimer = setTimeout(() => void attempt(), delayMs);
    };
    /** 401/403 end the wait (an expired token or missing `get`/`watch` RBAC will not heal by retrying). */
    const fatal = (error: AppError): boolean => error.code === 'unauthorized' || error.code === 'forbidden';

    const attempt = async (): Promise<void> => {
      if (finished) return;
      let ended = false;
      let handle: WatchHandle | undefined;
      let watchdog: NodeJS.Timeout | undefined;
      /** Retires this attempt (idempotent); then fails the wait or schedules the next attempt. */
      const end = (next: { retryInMs: number } | { error: AppError } | 'stop'): void => {
        if (ended) return;
        ended = true;
        clearTimeout(watchdog);
        if (current?.end === stop) current = undefined;
        handle?.stop();
        if (finished || next === 'stop') return;
        if ('error' in next) {
          logger.debug({ namespace, cluster: name, error: next.error.message, code: next.error.code }, 'wait ended by an API error');
          succeed({ done: false, timedOut: false, error: next.error });
        } else retryIn(next.retryInMs);
      };
      const stop = (): void => end('stop');
      current = { end: stop };
      try {
        const object = await api.get(resource, namespace, name, { signal });
        if (ended || finished) return;
        observe(object);
        if (finished) return;
        const openedAt = Date.now();
        /** A watch that lasted less than MIN_HEALTHY_WATCH_MS is re-opened after pollIntervalMs, not at once. */
        const retryDelay = (): number => (Date.now() - openedAt >= MIN_HEALTHY_WATCH_MS ? 0 : spec.pollIntervalMs);
        // A watch that stays silent may have died unnoticed (proxies, half-open sockets): after
        // pollIntervalMs without an event it is replaced by a fresh GET + watch.
        const feed = (): void => {
          clearTimeout(watchdog);
          watchdog = setTimeout(() => {
            logger.debug({ namespace, cluster: name }, 'watch silent for pollInterval; re-checking');
            end({ retryInMs: 0 });
          }, spec.pollIntervalMs);
        };
        // Armed before the watch opens: a watch whose answer never comes is replaced like a silent one.
        feed();
        let opened: WatchHandle;
        try {
          // client-node calls onClose BEFORE this returns when the server answers non-200 or the
          // connection fails: `ended` is then already set and the handle is only stopped.
          opened = await api.watchOne(
            resource,
            namespace,
            name,
            object?.metadata?.resourceVersion,
            (event) => {
              if (ended || finished) return;
              if (event.type === 'ERROR') {
                const error = toAppError(
                  { code: event.object.code ?? 500, body: event.object, message: event.object.message ?? 'watch error event' },
                  { action: `watch ${resource.kind} ${namespace}/${name}` },
                );
                if (fatal(error)) {
                  end({ error });
                  return;
                }
                // e.g. 410 Expired: start over from a fresh GET.
                logger.debug({ namespace, cluster: name, status: event.object.code }, 'watch reported an error; re-reading');
                end({ retryInMs: retryDelay() });
                return;
              }
              feed();
              if (event.type === 'DELETED') observe(undefined);
              else if (event.type !== 'BOOKMARK') observe(event.object);
            },
            (error) => {
              if (ended || finished) return;
              if (error !== undefined && fatal(error)) {
                end({ error });
                return;
              }
              logger.debug({ namespace, cluster: name, error: error?.message }, 'watch closed; re-establishing');
              end({ retryInMs: error === undefined ? retryDelay() : spec.pollIntervalMs });
            },
          );
        } catch (error) {
          // Not an HTTP answer (those reach onClose): e.g. the credentials could not be prepared.
          throw toAppError(error, { action: `watch ${resource.kind} ${namespace}/${name}` });
        }
        handle = opened;
        if (ended || finished) {
          opened.stop();
          return;
        }
        feed();
      } catch (error) {
        if (ended || finished) return;
        const appError = toAppError(error, { action: `get ${resource.kind} ${namespace}/${name}` });
        if (appError.code === 'unavailable' && !signal?.aborted) {
          logger.debug({ namespace, cluster: name, error: appError.message }, 'Kubernetes API unavailable while waiting; retrying');
          end({ retryInMs: spec.pollIntervalMs });
          return;
        }
        end({ error: appError });
      }
    };

    const deadline = setTimeout(() => succeed({ done: false, timedOut: true }), spec.timeoutMs);
    if (signal?.aborted) {
      onAbort();
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    if (spec.interrupt?.aborted) {
      onInterrupt();
      return;
    }
    spec.interrupt?.addEventListener('abort', onInterrupt, { once: true });
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
      `waiting for ${resource.kind} ${namespace}/${name}${spec.goal ? ` to be ${spec.goal}` : ''}`,
    );
    void attempt();
  });
}
