/**
 * Following one object until a condition holds: a watch from the object's resourceVersion (not
 * sleep-polling), re-established after a break or after `pollIntervalMs` of silence (so re-checks are
 * at most `pollIntervalMs` apart), bounded by a timeout, honouring cancellation, reporting each change and warning when nothing changed for the
 * stall threshold.
 */
import type { Logger } from 'pino';
import { AppError } from '../errors.js';
import type { K0rdentResource } from '../k0rdent/resources.js';
import type { K0rdentApi, KubeObject, WatchHandle } from './kube-api.js';
import type { ProgressUpdate } from './types.js';

export interface Evaluation {
  done: boolean;
  /** Changes whenever something worth reporting changed. */
  fingerprint: string;
  /** One line describing the current state. */
  message: string;
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
  onProgress?: ((update: ProgressUpdate) => void) | undefined;
  logger: Pick<Logger, 'warn' | 'debug'>;
}

export interface WaitResult {
  done: boolean;
  timedOut: boolean;
  /** The last object seen (undefined once gone). */
  last: KubeObject | undefined;
  message: string;
}

/** A watch that lasted less than this before closing is not re-opened right away. */
const MIN_HEALTHY_WATCH_MS = 1000;

export function waitFor(spec: WaitSpec): Promise<WaitResult> {
  const { api, resource, namespace, name, signal, logger } = spec;
  return new Promise<WaitResult>((resolve, reject) => {
    let finished = false;
    /** How to retire every watch opened and not yet retired (stop it and its watchdog) when the wait ends. */
    const watches = new Set<() => void>();
    let retryTimer: NodeJS.Timeout | undefined;
    let stallTimer: NodeJS.Timeout | undefined;
    let fingerprint: string | undefined;
    let message = 'waiting for the first state';
    let last: KubeObject | undefined;
    let progress = 0;
    let lastChange = Date.now();

    const cleanup = (): void => {
      finished = true;
      clearTimeout(deadline);
      clearTimeout(retryTimer);
      clearTimeout(stallTimer);
      signal?.removeEventListener('abort', onAbort);
      for (const retireWatch of [...watches]) retireWatch();
      watches.clear();
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
    const onAbort = (): void => fail(new AppError('unavailable', `waiting for ${resource.kind} ${namespace}/${name} was cancelled by the caller`, { cancelled: true }));

    const armStall = (): void => {
      if (spec.stallThresholdMs === undefined) return;
      clearTimeout(stallTimer);
      stallTimer = setTimeout(() => {
        if (finished) return;
        logger.warn(
          { kind: resource.kind, namespace, cluster: name, stalledForMs: Date.now() - lastChange, state: message },
          `no condition of ${resource.kind} ${namespace}/${name} changed for ${Math.round((Date.now() - lastChange) / 1000)}s`,
        );
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
        progress++;
        spec.onProgress?.({ progress, message });
        armStall();
      }
      if (evaluation.done) succeed({ done: true, timedOut: false });
    };

    const schedule = (delayMs: number): void => {
      if (finished) return;
      clearTimeout(retryTimer);
      retryTimer = setTimeout(() => void cycle(), delayMs);
    };

    const cycle = async (): Promise<void> => {
      if (finished) return;
      try {
        const object = await api.get(resource, namespace, name, { signal });
        observe(object);
        if (finished) return;
        const openedAt = Date.now();
        // Set once the watch is open; the callbacks below may run before that (a failed connect
        // calls onClose from inside watchOne).
        const current: { handle?: WatchHandle } = {};
        let watchdog: NodeJS.Timeout | undefined;
        const retire = (): void => {
          clearTimeout(watchdog);
          watches.delete(retire);
          current.handle?.stop();
        };
        // A watch that stays silent may have died unnoticed (proxies, half-open sockets): after
        // pollIntervalMs without an event it is replaced by a fresh GET + watch.
        const feed = (): void => {
          clearTimeout(watchdog);
          watchdog = setTimeout(() => {
            if (finished) return;
            logger.debug({ namespace, cluster: name }, 'watch silent for pollInterval; re-checking');
            retire();
            schedule(0);
          }, spec.pollIntervalMs);
        };
        const handle = await api.watchOne(
          resource,
          namespace,
          name,
          object?.metadata?.resourceVersion,
          (event) => {
            if (event.type === 'ERROR') {
              // e.g. 410 Expired: start over from a fresh GET.
              logger.debug({ namespace, cluster: name, status: event.object.code }, 'watch reported an error; re-reading');
              retire();
              schedule(0);
              return;
            }
            feed();
            if (event.type === 'DELETED') observe(undefined);
            else if (event.type !== 'BOOKMARK') observe(event.object);
          },
          (error) => {
            retire();
            if (finished) return;
            const healthy = Date.now() - openedAt >= MIN_HEALTHY_WATCH_MS && error === undefined;
            logger.debug({ namespace, cluster: name, error: error?.message }, 'watch closed; re-establishing');
            schedule(healthy ? 0 : spec.pollIntervalMs);
          },
        );
        current.handle = handle;
        watches.add(retire);
        if (finished) retire();
        else feed();
      } catch (error) {
        if (finished) return;
        if (error instanceof AppError && error.code === 'unavailable' && !signal?.aborted) {
          logger.debug({ namespace, cluster: name, error: error.message }, 'Kubernetes API unavailable while waiting; retrying');
          schedule(spec.pollIntervalMs);
          return;
        }
        fail(error);
      }
    };

    const deadline = setTimeout(() => succeed({ done: false, timedOut: true }), spec.timeoutMs);
    if (signal?.aborted) {
      onAbort();
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    void cycle();
  });
}
