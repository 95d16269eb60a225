/**
 * The machine counts of a wait's progress (issue 21): the wait loop (src/clusters/wait.ts) reads its `enrich`
 * at most once per resourceVersion of the followed object, never once the wait is done, stops asking after a
 * refusal and goes on without it after a failure; the line itself (src/clusters/wait-capi.ts) from CAPI's
 * counters. A scripted API, no server.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { waitFor, type Evaluation, type WaitSpec } from '../../src/clusters/wait.js';
import { capiProgressDetail } from '../../src/clusters/wait-capi.js';
import type { ProgressUpdate } from '../../src/clusters/types.js';
import type { KubeObject, WatchEvent } from '../../src/kube/k0rdent-api.js';
import { CLUSTER_DEPLOYMENT } from '../../src/k0rdent/resources.js';

const obj = (rv: string, done = false): KubeObject => ({
  metadata: { name: 'c', namespace: 'ns', uid: 'u1', resourceVersion: rv },
  status: { done },
});

/** A GET answering `first`, then one watch sending `events` in order and staying open. */
function scripted(first: KubeObject, events: KubeObject[]): WaitSpec['api'] {
  return {
    get: () => Promise.resolve(first),
    watchOne: (_r, _n, _name, _rv, onEvent) => {
      queueMicrotask(() => {
        for (const object of events) onEvent({ type: 'MODIFIED', object } as WatchEvent);
      });
      return Promise.resolve({ stop: () => undefined });
    },
  };
}

const evaluate = (object: KubeObject | undefined, read?: string): Evaluation => {
  const rv = object?.metadata?.resourceVersion ?? '';
  const done = (object?.status as { done?: boolean } | undefined)?.done === true;
  // A refusal is told to the evaluation (the judge then decides on kcm's Ready alone); it is no detail to show.
  const extra = read === 'refused' ? undefined : read;
  return { done, fingerprint: `${rv}|${extra ?? ''}`, message: done ? 'Ready' : `Provisioning (${rv})`, detail: extra };
};

async function run(
  events: KubeObject[],
  enrich: WaitSpec['enrich'],
  enrichTimeoutMs?: number,
): Promise<{ messages: string[]; done: boolean }> {
  const messages: string[] = [];
  const result = await waitFor({
    api: scripted(obj('1'), events),
    resource: CLUSTER_DEPLOYMENT,
    namespace: 'ns',
    name: 'c',
    evaluate,
    enrich,
    enrichTimeoutMs,
    pollIntervalMs: 60_000,
    timeoutMs: 10_000,
    onProgress: (p: ProgressUpdate) => messages.push(p.message),
    progressIntervalMs: 60_000,
    logger: pino({ level: 'silent' }),
  });
  return { messages, done: result.done };
}

describe('the wait reads its progress detail once per change of the followed object', () => {
  it('one read per resourceVersion, none once done; the detail is in the progress line, not in the last one', async () => {
    const asked: string[] = [];
    const { messages, done } = await run([obj('1'), obj('2'), obj('2'), obj('3'), obj('4', true)], async (object) => {
      asked.push(object.metadata?.resourceVersion ?? '');
      return `workers ${asked.length}/3 ready`;
    });
    assert.equal(done, true);
    assert.deepEqual(asked, ['1', '2', '3']);
    assert.match(messages[0] ?? '', /^Provisioning \(1\), workers 1\/3 ready, \d+s$/);
    assert.ok(messages.some((m) => m.includes('workers 3/3 ready')));
    assert.match(messages.at(-1) ?? '', /^Ready, \d+s$/);
  });

  it('an evaluation that waits on the read (refresh) has it read again at every state, the same resourceVersion included', async () => {
    const asked: string[] = [];
    const answers = ['workers 1/3 ready', 'workers 2/3 ready', 'workers 3/3 ready'];
    const messages: string[] = [];
    // kcm says done from the start; the counters decide (the judge's machinesBehind → refresh).
    const result = await waitFor({
      api: scripted(obj('1', true), [obj('1', true), obj('1', true), obj('1', true)]),
      resource: CLUSTER_DEPLOYMENT,
      namespace: 'ns',
      name: 'c',
      evaluate: (_object, read) => {
        const counted = read === 'workers 3/3 ready';
        return {
          done: counted,
          refresh: !counted,
          fingerprint: `${read ?? ''}`,
          message: counted ? 'Ready' : 'Provisioning (kcm reports Ready)',
          detail: read === 'refused' ? undefined : read,
        };
      },
      enrich: async (object) => {
        asked.push(object.metadata?.resourceVersion ?? '');
        return answers[asked.length - 1];
      },
      pollIntervalMs: 60_000,
      timeoutMs: 10_000,
      onProgress: (p: ProgressUpdate) => messages.push(p.message),
      progressIntervalMs: 60_000,
      logger: pino({ level: 'silent' }),
    });
    assert.equal(result.done, true);
    assert.deepEqual(asked, ['1', '1', '1']);
    assert.equal(result.extra, 'workers 3/3 ready');
    assert.ok(
      messages.some((m) => m.includes('workers 2/3 ready')),
      messages.join('\n'),
    );
  });

  it('refresh on a quiet object: the counts are read again every recheckMs on the same watch, not once per pollInterval', async () => {
    const asked: number[] = [];
    const started = performance.now();
    // kcm says done and nothing changes after the GET; only the re-reads can see the counters catch up.
    const result = await waitFor({
      api: scripted(obj('1', true), []),
      resource: CLUSTER_DEPLOYMENT,
      namespace: 'ns',
      name: 'c',
      evaluate: (_object, read) => {
        const counted = read === 'workers 3/3 ready';
        return { done: counted, refresh: !counted, fingerprint: `${read ?? ''}`, message: counted ? 'Ready' : 'behind' };
      },
      enrich: async () => {
        asked.push(performance.now() - started);
        return asked.length >= 3 ? 'workers 3/3 ready' : `workers ${asked.length}/3 ready`;
      },
      recheckMs: 10,
      pollIntervalMs: 60_000,
      timeoutMs: 10_000,
      logger: pino({ level: 'silent' }),
    });
    assert.equal(result.done, true);
    assert.equal(asked.length, 3, 'read at the GET, then at two re-checks');
    assert.ok(performance.now() - started < 30_000, 'ended long before one pollInterval (60 s)');
  });

  it('a refusal is not asked again; a failure adds nothing and the wait goes on', async () => {
    const refusedAsks: string[] = [];
    const refused = await run([obj('2'), obj('3', true)], async (object) => {
      refusedAsks.push(object.metadata?.resourceVersion ?? '');
      return 'refused';
    });
    assert.equal(refused.done, true);
    assert.deepEqual(refusedAsks, ['1']);
    assert.ok(refused.messages.every((m) => !m.includes('refused')));

    const failing = await run([obj('2'), obj('3', true)], async () => {
      throw new Error('connection reset');
    });
    assert.equal(failing.done, true);
    assert.match(failing.messages[0] ?? '', /^Provisioning \(1\), \d+s$/);
  });

  it('a read that does not answer is given up after its bound, and the wait goes on', async () => {
    const started = Date.now();
    let asked = 0;
    const stalled = await run(
      [obj('2', true)],
      () => {
        asked++;
        return new Promise<never>(() => undefined); // never answers, ignores its signal
      },
      50,
    );
    assert.equal(stalled.done, true);
    assert.equal(asked, 1);
    assert.ok(Date.now() - started < 5_000, `${Date.now() - started} ms`);
    assert.match(stalled.messages[0] ?? '', /^Provisioning \(1\), \d+s$/);
  });
});

describe('the progress line from CAPI counters', () => {
  const base = { cluster: 'c', infrastructureProvisioned: true, controlPlaneInitialized: true, summary: '' };
  const rows: [string, Parameters<typeof capiProgressDetail>[0], string][] = [
    [
      'a scale-up: workers, and the machines not Running',
      {
        ...base,
        controlPlane: { desired: 1, ready: 1, upToDate: 1 },
        workers: { desired: 3, ready: 2, upToDate: 3 },
        machines: { Running: 3, Provisioning: 1 },
      },
      'workers 2/3 ready, 1 provisioning',
    ],
    [
      'an upgrade: up to date behind, control plane rolling too',
      {
        ...base,
        controlPlane: { desired: 3, ready: 3, upToDate: 1 },
        workers: { desired: 2, ready: 2, upToDate: 0 },
        machines: { Running: 5, Deleting: 1, Provisioned: 1 },
      },
      'control plane 3/3 ready (1/3 up to date), workers 2/2 ready (0/2 up to date), 1 deleting, 1 provisioned',
    ],
    [
      'no worker counters yet: the control plane',
      { ...base, controlPlane: { desired: 1, ready: 0 }, machines: { Pending: 1 } },
      'control plane 0/1 ready, 1 pending',
    ],
    ['nothing counted yet: the Cluster phase', { ...base, phase: 'Provisioning', machines: {} }, 'Cluster Provisioning'],
  ];
  for (const [title, summary, line] of rows) it(title, () => assert.equal(capiProgressDetail(summary), line));
});
