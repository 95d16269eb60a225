/**
 * Deadlines that hold (issue 7 item 8), run with --expose-gc (scripts/run-tests.mjs passes it to *.gc.test
 * files): against an API that accepts connections and never answers, a request ends at its deadline with
 * `unavailable` even when the garbage collector runs meanwhile (Node 20 could collect an
 * AbortSignal.timeout combined with AbortSignal.any, nodejs/node#57736); a watch whose headers never come
 * is cut at the same deadline; and a wait is not held by such a watch.
 */
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { K0rdentApi, type CallOptions } from '../../src/kube/k0rdent-api.js';
import { AppError } from '../../src/errors.js';
import { CLUSTER_DEPLOYMENT } from '../../src/k0rdent/resources.js';
import { AZURE_BASELINE, startHarness } from '../helpers/clusters-harness.js';
import { until, within } from '../helpers/until.js';
import { sandboxFor } from '../helpers/lifecycle.js';

const gc = (globalThis as { gc?: () => void }).gc;

/** Collects garbage every 20 ms while `work` runs. */
async function whileCollecting<T>(work: Promise<T>): Promise<T> {
  assert.ok(gc, 'run with --expose-gc (scripts/run-tests.mjs does for *.gc.test files)');
  const timer = setInterval(() => gc(), 20);
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}

describe('deadlines against an API that never answers, with garbage collection running', () => {
  let server: Server;
  const sockets = new Set<Socket>();
  let kc: KubeConfig;

  before(async () => {
    server = createServer((socket) => {
      sockets.add(socket);
      // Read (and ignore) the request, so the client's close is seen here.
      socket.resume();
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'silent', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
      users: [{ name: 'u', token: 'not-a-secret' }],
      contexts: [{ name: 'c', cluster: 'silent', user: 'u' }],
      currentContext: 'c',
    });
  });

  after(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  for (const [what, call] of [
    ['list', (api: K0rdentApi, call: CallOptions) => api.list(CLUSTER_DEPLOYMENT, { namespace: 'team-alpha', limit: 10 }, call)],
    ['get', (api: K0rdentApi, call: CallOptions) => api.get(CLUSTER_DEPLOYMENT, 'team-alpha', 'x', call)],
    [
      'apply',
      (api: K0rdentApi, call: CallOptions) =>
        api.apply(CLUSTER_DEPLOYMENT, { metadata: { name: 'x', namespace: 'team-alpha' } }, { fieldManager: 'test' }, call),
    ],
    ['list namespaces', (api: K0rdentApi, call: CallOptions) => api.listNamespaces(call)],
  ] as const) {
    it(`${what} ends at its deadline with unavailable and frees its socket`, async () => {
      const api = new K0rdentApi(kc, { requestTimeoutMs: 1500 });
      // A caller's signal, as every tool call has: combined with AbortSignal.any, Node 20 lost the timeout.
      const caller = new AbortController();
      const outcome = await whileCollecting(
        within(
          what,
          call(api, { signal: caller.signal }).then(
            () => undefined,
            (error: unknown) => error,
          ),
          15_000,
        ),
      );
      assert.ok(outcome instanceof AppError, `expected an AppError, got ${String(outcome)}`);
      assert.equal(outcome.code, 'unavailable');
      assert.match(outcome.message, /did not answer in time/);
      await until('the socket to close', () => sockets.size === 0, 5000);
    });
  }

  it('a watch whose headers never come is cut at the deadline (onClose with unavailable)', async () => {
    const api = new K0rdentApi(kc, { requestTimeoutMs: 1500 });
    const closed = await whileCollecting(
      within(
        'the watch',
        new Promise<AppError | undefined>((resolve) => {
          void api.watchOne(CLUSTER_DEPLOYMENT, 'team-alpha', 'x', undefined, () => undefined, resolve);
        }),
        15_000,
      ),
    );
    assert.equal(closed?.code, 'unavailable');
  });
});

describe('a watch that never sends headers does not hold a wait', () => {
  const sandbox = sandboxFor({ provisionSeconds: 1, deleteSeconds: 1 });

  after(async () => {
    sandbox.faults.clear();
  });

  it('deploy wait=true reaches Ready through the re-checks while every watch hangs', async () => {
    const harness = await startHarness(sandbox, { authMode: 'DEV_ALLOW_ANY' });
    try {
      // The collection path is what a watch asks for (the wait's GETs name the object).
      sandbox.faults.add({
        path: /^\/apis\/k0rdent\.mirantis\.com\/v1beta1\/namespaces\/team-alpha\/clusterdeployments$/,
        method: 'GET',
        latencyMs: 120_000,
      });
      const result = await whileCollecting(
        harness.call(
          'k0.clusters.deploy',
          {
            name: 'hung-watch',
            namespace: 'team-alpha',
            template: 'azure-standalone-cp-1-0-15',
            credential: 'azure-cluster-credential',
            config: AZURE_BASELINE,
            wait: true,
            pollInterval: '1s',
            provisionTimeout: '60s',
          },
          { timeout: 60_000 },
        ),
      );
      const value = result.structuredContent as { status: string; ready: boolean; timedOut: boolean };
      assert.equal(result.isError, undefined, JSON.stringify(value));
      assert.equal(value.status, 'created');
      assert.equal(value.ready, true);
      assert.equal(value.timedOut, false);
    } finally {
      await harness.close();
    }
  });
});
