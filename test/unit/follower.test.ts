/**
 * The follower (src/kube/follower.ts) and the wait loop over it (src/clusters/wait.ts) against a scripted
 * fake API: no server, every test in milliseconds. Each script says what the next GET answers and what the
 * next watch does (send events, close, report an error event, stay silent); the fake records every request
 * and how many were open at once.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { waitFor, type Evaluation, type WaitSpec } from '../../src/clusters/wait.js';
import type { KubeObject, WatchEvent, WatchHandle } from '../../src/kube/k0rdent-api.js';
import { AppError } from '../../src/errors.js';
import { CLUSTER_DEPLOYMENT } from '../../src/k0rdent/resources.js';
import { follow, type FollowSource, type Observation } from '../../src/kube/follower.js';

type GetAnswer = KubeObject | undefined | AppError | 'hang';
/** What one watch does once open: `emit` sends events, `close` ends it (with an error or cleanly). */
type WatchScript = (w: { emit(event: WatchEvent): void; close(error?: AppError): void }) => void;

const obj = (rv: string, uid = 'u1', extra: Partial<KubeObject> = {}): KubeObject => ({
  metadata: { name: 'c', namespace: 'ns', uid, resourceVersion: rv },
  ...extra,
});
const status = (code: number, message: string): AppError =>
  new AppError(code === 401 ? 'unauthorized' : code === 403 ? 'forbidden' : 'unavailable', message, { httpStatus: code });

class FakeApi implements FollowSource<KubeObject> {
  readonly requests: string[] = [];
  open = 0;
  maxOpen = 0;
  stopped = 0;
  constructor(
    private readonly gets: GetAnswer[],
    private readonly watches: WatchScript[],
  ) {}

  private enter(): void {
    this.open++;
    this.maxOpen = Math.max(this.maxOpen, this.open);
  }

  get(signal: AbortSignal): Promise<KubeObject | undefined> {
    this.requests.push('get');
    const answer = this.gets.length > 1 ? this.gets.shift() : this.gets[0];
    this.enter();
    return new Promise((resolve, reject) => {
      const leave = (): void => void this.open--;
      if (answer === 'hang') {
        signal.addEventListener('abort', () => {
          leave();
          reject(new AppError('unavailable', 'get: cancelled by the caller', { cancelled: true }));
        });
        return;
      }
      queueMicrotask(() => {
        leave();
        if (answer instanceof AppError) reject(answer);
        else resolve(answer);
      });
    });
  }

  watch(
    resourceVersion: string | undefined,
    onEvent: (event: WatchEvent) => void,
    onClose: (error: AppError | undefined) => void,
  ): Promise<WatchHandle> {
    this.requests.push(`watch@${resourceVersion ?? ''}`);
    const script = this.watches.length > 1 ? this.watches.shift()! : (this.watches[0] ?? (() => undefined));
    this.enter();
    let ended = false;
    const end = (): boolean => {
      if (ended) return false;
      ended = true;
      this.open--;
      return true;
    };
    queueMicrotask(() =>
      script({
        emit: (event) => !ended && onEvent(event),
        close: (error) => end() && onClose(error),
      }),
    );
    return Promise.resolve({
      stop: () => {
        if (end()) this.stopped++;
      },
    });
  }

  /** The same, as K0rdentApi's get/watchOne for waitFor. */
  asApi(): WaitSpec['api'] {
    return {
      get: (_r, _n, _name, call) => this.get(call?.signal ?? new AbortController().signal),
      watchOne: (_r, _n, _name, rv, onEvent, onClose) => this.watch(rv, onEvent, onClose),
    };
  }
}

/** Runs the follower until `take` observations (or it ends), stopping it afterwards; returns them. */
async function collect(
  api: FakeApi,
  take: number,
  options: { resyncMs?: number; minHealthyWatchMs?: number; abortAfterMs?: number } = {},
): Promise<{ seen: Observation<KubeObject>[]; error?: AppError; ms: number }> {
  const stop = new AbortController();
  const timer = options.abortAfterMs !== undefined ? setTimeout(() => stop.abort(), options.abortAfterMs) : undefined;
  const seen: Observation<KubeObject>[] = [];
  const started = performance.now();
  try {
    for await (const o of follow(api, {
      signal: stop.signal,
      resyncMs: options.resyncMs ?? 20,
      minHealthyWatchMs: options.minHealthyWatchMs ?? 0,
      what: 'ClusterDeployment ns/c',
    })) {
      seen.push(o);
      if (seen.length >= take) break;
    }
    return { seen, ms: performance.now() - started };
  } catch (error) {
    return { seen, error: error as AppError, ms: performance.now() - started };
  } finally {
    clearTimeout(timer);
    stop.abort();
  }
}

const rvs = (seen: Observation<KubeObject>[]): string[] => seen.map((o) => `${o.via}:${o.object?.metadata?.resourceVersion ?? 'absent'}`);

describe('the follower against a scripted API', () => {
  it('GET, then a watch from its resourceVersion; events in order; DELETED is absence; BOOKMARK is nothing', async () => {
    const api = new FakeApi(
      [obj('1')],
      [
        (w) => {
          w.emit({ type: 'MODIFIED', object: obj('2') });
          w.emit({ type: 'BOOKMARK', object: obj('3') });
          w.emit({ type: 'DELETED', object: obj('4') });
          w.emit({ type: 'ADDED', object: obj('5', 'u2') });
        },
      ],
    );
    const { seen } = await collect(api, 4);
    assert.deepEqual(rvs(seen), ['get:1', 'watch:2', 'watch:absent', 'watch:5']);
    assert.deepEqual(api.requests, ['get', 'watch@1']);
    assert.equal(api.open, 0, 'the watch is stopped when the loop breaks');
  });

  it('close: a watch the server ends is replaced by a fresh GET and a watch from the new resourceVersion', async () => {
    const api = new FakeApi(
      [obj('1'), obj('7')],
      [
        (w) => {
          w.emit({ type: 'MODIFIED', object: obj('2') });
          w.close();
        },
        (w) => w.emit({ type: 'MODIFIED', object: obj('8') }),
      ],
    );
    const { seen } = await collect(api, 4);
    assert.deepEqual(rvs(seen), ['get:1', 'watch:2', 'get:7', 'watch:8']);
    assert.deepEqual(api.requests, ['get', 'watch@1', 'get', 'watch@7']);
    assert.equal(api.maxOpen, 1, 'one request at a time');
  });

  it('410: an Expired error event starts over from a GET', async () => {
    const api = new FakeApi(
      [obj('1'), obj('9')],
      [(w) => w.emit({ type: 'ERROR', object: { code: 410, message: 'too old resource version: 1 (5)' } }), () => undefined],
    );
    const { seen } = await collect(api, 2);
    assert.deepEqual(rvs(seen), ['get:1', 'get:9']);
    assert.deepEqual(api.requests.slice(0, 3), ['get', 'watch@1', 'get']);
  });

  it('silence: a watch that says nothing for resyncMs is replaced (re-checks at most resyncMs apart)', async () => {
    const api = new FakeApi([obj('1'), obj('2'), obj('3')], [() => undefined]);
    const { seen, ms } = await collect(api, 3, { resyncMs: 15 });
    assert.deepEqual(rvs(seen), ['get:1', 'get:2', 'get:3']);
    assert.ok(ms >= 25 && ms < 5000, `two silences of 15 ms took ${ms} ms`);
    assert.equal(api.stopped, 2, 'each silent watch is stopped before the next GET');
    assert.equal(api.maxOpen, 1);
  });

  it('recheckMs: the last known object again after that long without an event, on the same watch', async () => {
    const api = new FakeApi([obj('1')], [(w) => setTimeout(() => w.emit({ type: 'MODIFIED', object: obj('2') }), 30)]);
    const stop = new AbortController();
    const seen: Observation<KubeObject>[] = [];
    for await (const o of follow(api, { signal: stop.signal, resyncMs: 60_000, recheckMs: () => 5, what: 'ClusterDeployment ns/c' })) {
      seen.push(o);
      if (o.via === 'recheck' && o.object?.metadata?.resourceVersion === '2') break;
    }
    stop.abort();
    const kinds = rvs(seen);
    assert.equal(kinds[0], 'get:1');
    assert.ok(kinds.includes('recheck:1'), kinds.join(' '));
    assert.ok(kinds.includes('watch:2'), kinds.join(' '));
    assert.equal(kinds.at(-1), 'recheck:2', 'a re-check yields the latest event, not the GET');
    assert.deepEqual(api.requests, ['get', 'watch@1'], 'no request for a re-check');
  });

  it('recheckMs undefined: a silent watch is replaced after resyncMs as before', async () => {
    const api = new FakeApi([obj('1'), obj('2')], [() => undefined]);
    const stop = new AbortController();
    const seen: Observation<KubeObject>[] = [];
    for await (const o of follow(api, { signal: stop.signal, resyncMs: 15, recheckMs: () => undefined })) {
      seen.push(o);
      if (seen.length === 2) break;
    }
    stop.abort();
    assert.deepEqual(rvs(seen), ['get:1', 'get:2']);
  });

  it('a BOOKMARK keeps a quiet watch alive (it is not silence)', async () => {
    const api = new FakeApi(
      [obj('1')],
      [
        (w) => {
          const beat = setInterval(() => w.emit({ type: 'BOOKMARK', object: obj('1') }), 5);
          setTimeout(() => {
            clearInterval(beat);
            w.emit({ type: 'MODIFIED', object: obj('2') });
          }, 60);
        },
      ],
    );
    const { seen } = await collect(api, 2, { resyncMs: 20 });
    assert.deepEqual(rvs(seen), ['get:1', 'watch:2']);
    assert.deepEqual(api.requests, ['get', 'watch@1']);
  });

  it('401 on the watch ends the follow with unauthorized; nothing is retried', async () => {
    const api = new FakeApi([obj('1')], [(w) => w.close(status(401, 'watch: Unauthorized'))]);
    const { seen, error } = await collect(api, 5);
    assert.deepEqual(rvs(seen), ['get:1']);
    assert.equal(error?.code, 'unauthorized');
    assert.deepEqual(api.requests, ['get', 'watch@1']);
  });

  it('403 as an error event, and 401 on the GET, end it too', async () => {
    const forbidden = await collect(
      new FakeApi([obj('1')], [(w) => w.emit({ type: 'ERROR', object: { code: 403, message: 'no watch' } })]),
      5,
    );
    assert.equal(forbidden.error?.code, 'forbidden');
    const api = new FakeApi([status(401, 'get: Unauthorized')], []);
    const refused = await collect(api, 5);
    assert.equal(refused.error?.code, 'unauthorized');
    assert.deepEqual(api.requests, ['get']);
  });

  it('5xx/429 on the GET and a watch that fails are retried after resyncMs', async () => {
    const api = new FakeApi(
      [status(503, 'get: Service Unavailable'), obj('1'), obj('2')],
      [(w) => w.close(status(500, 'watch: Internal Server Error')), () => undefined],
    );
    const { seen, error } = await collect(api, 2, { resyncMs: 10 });
    assert.equal(error, undefined);
    assert.deepEqual(rvs(seen), ['get:1', 'get:2']);
    assert.deepEqual(api.requests.slice(0, 4), ['get', 'get', 'watch@1', 'get']);
  });

  it('a watch that closes at once is re-opened after resyncMs, not in a tight loop', async () => {
    const api = new FakeApi([obj('1')], [(w) => w.close()]);
    await collect(api, 1000, { resyncMs: 20, minHealthyWatchMs: 1000, abortAfterMs: 70 });
    const rounds = api.requests.filter((r) => r === 'get').length;
    assert.ok(rounds >= 1 && rounds <= 5, `${rounds} GETs in 70 ms with a 20 ms back-off (a tight loop makes hundreds)`);
  });

  it('interrupt: aborting ends it at once, even while a GET hangs, and leaves nothing open', async () => {
    const api = new FakeApi(['hang'], []);
    const { seen, error, ms } = await collect(api, 5, { abortAfterMs: 10 });
    assert.deepEqual(seen, []);
    assert.equal(error, undefined);
    assert.ok(ms < 500, `ended after ${ms} ms`);
    assert.equal(api.open, 0);
  });

  it('interrupt while watching: the open watch is stopped', async () => {
    const api = new FakeApi([obj('1')], [() => undefined]);
    await collect(api, 5, { resyncMs: 10_000, abortAfterMs: 10 });
    assert.deepEqual(api.requests, ['get', 'watch@1']);
    assert.equal(api.stopped, 1);
    assert.equal(api.open, 0);
  });
});

describe('the wait loop over the follower (waitFor) against a scripted API', () => {
  const logger = pino({ level: 'silent' });
  /** Done once the object is absent or another uid (the judge's rule, reduced to what this loop needs). */
  const goneOrOther = (object: KubeObject | undefined): Evaluation =>
    object === undefined || object.metadata?.uid !== 'u1'
      ? { done: true, fingerprint: 'gone', message: 'Deleted' }
      : { done: false, fingerprint: object.metadata?.resourceVersion ?? '', message: `Deleting (${object.metadata?.resourceVersion})` };
  const spec = (api: FakeApi, extra: Partial<WaitSpec> = {}): WaitSpec => ({
    api: api.asApi(),
    resource: CLUSTER_DEPLOYMENT,
    namespace: 'ns',
    name: 'c',
    evaluate: goneOrOther,
    pollIntervalMs: 20,
    timeoutMs: 2000,
    logger,
    ...extra,
  });

  it('ends done on the state the evaluation accepts, with progress on each change', async () => {
    const progress: string[] = [];
    const api = new FakeApi(
      [obj('1')],
      [(w) => (w.emit({ type: 'MODIFIED', object: obj('2') }), w.emit({ type: 'DELETED', object: obj('3') }))],
    );
    const result = await waitFor(spec(api, { onProgress: (u) => progress.push(u.message.replace(/, \d+s$/, '')) }));
    assert.deepEqual(
      { done: result.done, timedOut: result.timedOut, message: result.message, last: result.last },
      {
        done: true,
        timedOut: false,
        message: 'Deleted',
        last: undefined,
      },
    );
    assert.deepEqual(progress, ['Deleting (1)', 'Deleting (2)', 'Deleted']);
    assert.equal(api.open, 0);
  });

  it('a GET after a broken watch that finds the name re-created ends it (the DELETED event was missed)', async () => {
    const api = new FakeApi([obj('1'), obj('9', 'u2')], [(w) => w.close(status(500, 'watch: boom'))]);
    const result = await waitFor(spec(api));
    assert.equal(result.done, true);
    assert.equal(result.last?.metadata?.uid, 'u2');
  });

  it('timeout: ends at the deadline with the last state, the watch stopped', async () => {
    const api = new FakeApi([obj('1')], [() => undefined]);
    const started = performance.now();
    const result = await waitFor(spec(api, { timeoutMs: 40, pollIntervalMs: 10_000 }));
    assert.equal(result.timedOut, true);
    assert.equal(result.done, false);
    assert.equal(result.message, 'Deleting (1)');
    assert.ok(performance.now() - started < 1000);
    assert.equal(api.open, 0);
  });

  it('timeout while every GET hangs: the deadline still ends it', async () => {
    const api = new FakeApi(['hang'], []);
    const result = await waitFor(spec(api, { timeoutMs: 30 }));
    assert.equal(result.timedOut, true);
    assert.equal(result.message, 'waiting for the first state');
    assert.equal(api.open, 0);
  });

  it('401: ends early with error set, not a rejection', async () => {
    const api = new FakeApi([obj('1')], [(w) => w.close(status(401, 'watch: Unauthorized'))]);
    const result = await waitFor(spec(api));
    assert.equal(result.error?.code, 'unauthorized');
    assert.equal(result.done, false);
    assert.equal(result.timedOut, false);
  });

  it("the caller's cancellation rejects (cancelled); shutdown ends it as interrupted with a warning", async () => {
    const cancel = new AbortController();
    const api = new FakeApi([obj('1')], [() => undefined]);
    const waiting = waitFor(spec(api, { signal: cancel.signal, pollIntervalMs: 10_000 }));
    setTimeout(() => cancel.abort(), 10);
    await assert.rejects(waiting, (error: AppError) => error.code === 'unavailable' && error.details?.['cancelled'] === true);
    assert.equal(api.open, 0);

    const shutdown = new AbortController();
    const warnings: string[] = [];
    const api2 = new FakeApi([obj('1')], [() => undefined]);
    const waiting2 = waitFor(spec(api2, { interrupt: shutdown.signal, pollIntervalMs: 10_000, onWarning: (w) => warnings.push(w) }));
    setTimeout(() => shutdown.abort(), 10);
    const result = await waiting2;
    assert.equal(result.interrupted, true);
    assert.equal(result.message, 'Deleting (1)');
    assert.match(warnings[0] ?? '', /shutting down: stopped waiting for ClusterDeployment ns\/c \(Deleting \(1\)\)/);
    assert.equal(api2.open, 0);
  });

  it('an evaluation that throws rejects the wait with its error (a bug, not an API failure); nothing stays open', async () => {
    const api = new FakeApi([obj('1')], [() => undefined]);
    const bug = new TypeError('evaluation bug');
    await assert.rejects(
      waitFor(
        spec(api, {
          evaluate: () => {
            throw bug;
          },
        }),
      ),
      (error) => error === bug,
    );
    assert.equal(api.open, 0);
  });

  it('a stall is warned about when nothing changes for the threshold', async () => {
    const warnings: string[] = [];
    const api = new FakeApi([obj('1')], [() => undefined]);
    const result = await waitFor(
      spec(api, { timeoutMs: 80, pollIntervalMs: 10_000, stallThresholdMs: 30, onWarning: (w) => warnings.push(w) }),
    );
    assert.equal(result.timedOut, true);
    assert.ok(warnings.length >= 1, 'warned');
    assert.match(warnings[0] ?? '', /^no condition of ClusterDeployment ns\/c changed for \d+s; still Deleting \(1\)$/);
  });
});
