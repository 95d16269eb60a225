/**
 * Following one named object: a GET, then a watch from the resourceVersion it returned, yielding every
 * state seen (the object, or undefined while it does not exist) to a loop:
 *
 *     for await (const { object } of follow(source, { signal, resyncMs })) { ... break when done ... }
 *
 * - a watch that closes, reports an error event (410 Expired, 5xx), or stays silent for `resyncMs` is
 *   replaced by a fresh GET + watch (a silent watch may have died unnoticed behind a proxy or a half-open
 *   socket, so re-checks are at most `resyncMs` apart); a watch that closed within a second of opening, or
 *   failed, is re-opened after `resyncMs`, not at once;
 * - a GET that fails with `unavailable` (5xx, 429, connection failures) is retried after `resyncMs`;
 * - `recheckMs` (optional, asked each time): the last known object is yielded again after that long without an
 *   event, on the same watch (for a caller waiting on something the object does not say);
 * - 401/403 (an expired token or missing `get`/`watch` RBAC, which retrying will not heal) and any other
 *   refusal end the iteration by throwing the AppError (src/kube/errors.ts);
 * - `signal` ends the iteration at once (the loop's `for await` then completes): every await inside is
 *   raced with it, so a request that never answers cannot hold the caller past its deadline.
 *
 * At most one GET or watch is open at any time. The caller owns deadlines: pass a signal from an own
 * AbortController + setTimeout, not AbortSignal.any/AbortSignal.timeout (on Node 20 the garbage collector
 * can drop such a timeout, nodejs/node#57736).
 */
import type { AppError } from '../errors.js';
import { toAppError } from './errors.js';

/** A watch event as the API sends it (`ERROR` carries a Status). */
export type FollowEvent<T> =
  { type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK'; object: T } | { type: 'ERROR'; object: { code?: number; message?: string } };

export interface FollowedObject {
  metadata?: { resourceVersion?: string | undefined } | undefined;
}

/** The requests a follower makes, for one object (K0rdentApi's get + watchOne, or a scripted fake in tests). */
export interface FollowSource<T extends FollowedObject> {
  /** The object, or undefined when it does not exist (404). */
  get(signal: AbortSignal): Promise<T | undefined>;
  /**
   * Watches the object from `resourceVersion`. `onClose` is called once when the stream ends (error undefined
   * for a clean close); it may be called before the returned promise settles.
   */
  watch(
    resourceVersion: string | undefined,
    onEvent: (event: FollowEvent<T>) => void,
    onClose: (error: AppError | undefined) => void,
  ): Promise<{ stop(): void }>;
}

export interface Observation<T> {
  /** The object as now known; undefined while it does not exist. */
  object: T | undefined;
  /** What showed it: the GET that opens each round, an event of its watch, or a re-check (`recheckMs`). */
  via: 'get' | 'watch' | 'recheck';
}

export interface FollowOptions {
  /** Ends the iteration (deadline, cancellation, shutdown). */
  signal: AbortSignal;
  /** Longest silence before the watch is replaced by a fresh GET + watch; also the delay before a retry. */
  resyncMs: number;
  /** A watch that lasted less than this before closing is re-opened after `resyncMs` (default 1000). */
  minHealthyWatchMs?: number | undefined;
  /** What is followed, for error messages ("ClusterDeployment team-alpha/prod"). */
  what?: string | undefined;
  /** Told about each re-establishment, with the failure that caused it (debug logs). */
  onResync?: ((reason: string, error?: AppError) => void) | undefined;
  /**
   * Asked before each wait on the open watch: a number of ms makes the last known object be yielded again
   * (`via: 'recheck'`) after that long without an event, on the same watch (no request); undefined: only events,
   * and a fresh GET + watch after `resyncMs` of silence. For a caller that waits on something the followed object
   * does not say (a wait whose machine counts are read from another object).
   */
  recheckMs?: (() => number | undefined) | undefined;
}

const ABORTED = Symbol('aborted');

/** `promise`, or ABORTED as soon as `signal` aborts (the promise is then left to settle on its own). */
function unlessAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T | typeof ABORTED> {
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.resolve(ABORTED);
  }
  return new Promise<T | typeof ABORTED>((resolve, reject) => {
    const onAbort = (): void => resolve(ABORTED);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** Resolves after `ms`, or early (false) when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (ms <= 0 || signal.aborted) return Promise.resolve(!signal.aborted);
  return new Promise<boolean>((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

type StreamItem<T> = { event: FollowEvent<T> } | { closed: AppError | undefined };

/** The events of one watch, buffered until the loop takes them. */
class Inbox<T> {
  private readonly items: StreamItem<T>[] = [];
  private waiter: (() => void) | undefined;

  push(item: StreamItem<T>): void {
    this.items.push(item);
    this.waiter?.();
  }

  /** The next item, 'silence' after `silenceMs` without one, or ABORTED. */
  take(silenceMs: number, signal: AbortSignal): Promise<StreamItem<T> | 'silence' | typeof ABORTED> {
    const ready = this.items.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    if (signal.aborted) return Promise.resolve(ABORTED);
    return new Promise((resolve) => {
      const done = (value: StreamItem<T> | 'silence' | typeof ABORTED): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        this.waiter = undefined;
        resolve(value);
      };
      const onAbort = (): void => done(ABORTED);
      const timer = setTimeout(() => done('silence'), silenceMs);
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiter = () => done(this.items.shift()!);
    });
  }
}

/** 401/403 end a follow; so does any refusal that is not an outage (`unavailable`). */
function fatal(error: AppError): boolean {
  return error.code === 'unauthorized' || error.code === 'forbidden';
}

/** Follows one object; see the module comment. Throws the AppError that ended it (401/403, other refusals). */
export async function* follow<T extends FollowedObject>(source: FollowSource<T>, options: FollowOptions): AsyncGenerator<Observation<T>> {
  const { signal, resyncMs } = options;
  const minHealthyMs = options.minHealthyWatchMs ?? 1000;
  const what = options.what ?? 'the object';
  while (!signal.aborted) {
    // One round: a GET, then a watch from its resourceVersion until it breaks.
    let object: T | undefined;
    try {
      const got = await unlessAborted(source.get(signal), signal);
      if (got === ABORTED) return;
      object = got;
    } catch (error) {
      if (signal.aborted) return;
      const appError = toAppError(error, { action: `get ${what}` });
      if (appError.code !== 'unavailable') throw appError;
      options.onResync?.('Kubernetes API unavailable while waiting; retrying', appError);
      if (!(await pause(resyncMs, signal))) return;
      continue;
    }
    yield { object, via: 'get' };
    if (signal.aborted) return;

    const inbox = new Inbox<T>();
    let handle: { stop(): void } | undefined;
    let delay = 0;
    const openedAt = Date.now();
    /** A watch that lasted less than minHealthyMs is re-opened after resyncMs, not at once. */
    const closeDelay = (): number => (Date.now() - openedAt >= minHealthyMs ? 0 : resyncMs);
    try {
      const opening = source.watch(
        object?.metadata?.resourceVersion,
        (event) => inbox.push({ event }),
        (error) => inbox.push({ closed: error }),
      );
      let opened;
      try {
        opened = await unlessAborted(opening, signal);
      } catch (error) {
        // Not an HTTP answer (those reach onClose): e.g. the credentials could not be prepared.
        throw toAppError(error, { action: `watch ${what}` });
      }
      if (opened === ABORTED) {
        // Stopped while opening: the watch that still opens is stopped as soon as it does.
        opening.then(
          (late) => late.stop(),
          () => undefined,
        );
        return;
      }
      handle = opened;
      let latest = object;
      let heardAt = Date.now();
      for (;;) {
        // Armed from the opening: a watch whose answer never comes is replaced like a silent one.
        const silenceLeft = Math.max(0, resyncMs - (Date.now() - heardAt));
        const recheck = options.recheckMs?.();
        const rechecking = recheck !== undefined && recheck < silenceLeft;
        const item = await inbox.take(rechecking ? recheck : silenceLeft, signal);
        if (item === ABORTED) return;
        if (item === 'silence' && rechecking) {
          yield { object: latest, via: 'recheck' };
          if (signal.aborted) return;
          continue;
        }
        if (item === 'silence') {
          options.onResync?.('watch silent for pollInterval; re-checking');
          break;
        }
        heardAt = Date.now();
        if ('closed' in item) {
          if (item.closed !== undefined && fatal(item.closed)) throw item.closed;
          options.onResync?.('watch closed; re-establishing', item.closed);
          delay = item.closed === undefined ? closeDelay() : resyncMs;
          break;
        }
        const { event } = item;
        if (event.type === 'ERROR') {
          const error = toAppError(
            { code: event.object.code ?? 500, body: event.object, message: event.object.message ?? 'watch error event' },
            { action: `watch ${what}` },
          );
          if (fatal(error)) throw error;
          // e.g. 410 Expired: start over from a fresh GET.
          options.onResync?.('watch reported an error; re-reading', error);
          delay = closeDelay();
          break;
        }
        if (event.type === 'BOOKMARK') continue;
        latest = event.type === 'DELETED' ? undefined : event.object;
        yield { object: latest, via: 'watch' };
        if (signal.aborted) return;
      }
    } finally {
      handle?.stop();
    }
    if (!(await pause(delay, signal))) return;
  }
}
