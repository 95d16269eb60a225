/**
 * The request exit sends a GET once more when its connection is reset before the answer, as client-go does
 * (src/kube/read-retry.ts cites it), and never a write: against a local HTTP server that resets the first
 * connection(s) it is asked to, each case in milliseconds.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { AppError } from '../../src/errors.js';
import { CLUSTER_DEPLOYMENT } from '../../src/k0rdent/resources.js';
import { K0rdentApi } from '../../src/kube/k0rdent-api.js';
import { kubeIdentity } from '../../src/kube/identity.js';
import { rawGet } from '../../src/kube/raw-get.js';
import { isConnectionResetOrEof, mayRetryRead } from '../../src/kube/read-retry.js';
import { KUBE_API_RETRIES_TOTAL } from '../../src/observability/kube-metrics.js';

const PATH = '/apis/k0rdent.mirantis.com/v1beta1/namespaces/team-a/clusterdeployments/c1';
const OBJECT = {
  apiVersion: 'k0rdent.mirantis.com/v1beta1',
  kind: 'ClusterDeployment',
  metadata: { name: 'c1', namespace: 'team-a', uid: 'u1', resourceVersion: '7' },
};

/** Resets (TCP RST) the connection of the next `resets` requests, answers the others with OBJECT; records every request. */
class ResettingServer {
  readonly requests: string[] = [];
  resets = 0;
  private readonly server = http.createServer((req, res) => {
    this.requests.push(`${req.method} ${req.url?.split('?')[0]}`);
    req.resume();
    if (this.resets > 0) {
      this.resets--;
      req.socket.resetAndDestroy();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(OBJECT));
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function kubeConfigFor(server: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server, skipTLSVerify: true }],
    users: [{ name: 'u', token: 'test-token' }],
    contexts: [{ name: 'ctx', cluster: 'c', user: 'u' }],
    currentContext: 'ctx',
  });
  return kc;
}

async function retriesCounted(registry: Registry): Promise<{ labels: Record<string, string | number>; value: number }[]> {
  const metric = registry.getSingleMetric(KUBE_API_RETRIES_TOTAL);
  return metric ? (await metric.get()).values.map((v) => ({ labels: v.labels as Record<string, string | number>, value: v.value })) : [];
}

describe('request exit: a GET reset before its answer is sent once more (client-go isErrRetryableFunc)', () => {
  const server = new ResettingServer();
  let url = '';
  let registry: Registry;
  let api: K0rdentApi;

  before(async () => {
    url = await server.start();
  });
  after(() => server.stop());
  beforeEach(() => {
    server.requests.length = 0;
    server.resets = 0;
    registry = new Registry();
    api = new K0rdentApi(kubeConfigFor(url), { metrics: registry, requestTimeoutMs: 5_000 });
  });

  it('a GET whose first connection is reset answers from the second, counted in kube_api_retries_total', async () => {
    server.resets = 1;
    const object = await api.get(CLUSTER_DEPLOYMENT, 'team-a', 'c1');
    assert.equal(object?.metadata?.uid, 'u1');
    assert.deepEqual(server.requests, [`GET ${PATH}`, `GET ${PATH}`]);
    assert.deepEqual(await retriesCounted(registry), [{ labels: { verb: 'get', resource: 'clusterdeployments' }, value: 1 }]);
  });

  it('a GET reset twice is retried once only, then answered unavailable', async () => {
    server.resets = 2;
    await assert.rejects(
      api.get(CLUSTER_DEPLOYMENT, 'team-a', 'c1'),
      (error: unknown) => error instanceof AppError && error.code === 'unavailable',
    );
    assert.equal(server.requests.length, 2);
    assert.deepEqual(await retriesCounted(registry), [{ labels: { verb: 'get', resource: 'clusterdeployments' }, value: 1 }]);
  });

  it('a write (server-side apply) whose connection is reset is not sent again: unavailable, one request', async () => {
    server.resets = 1;
    await assert.rejects(
      api.apply(CLUSTER_DEPLOYMENT, { ...OBJECT, metadata: { name: 'c1', namespace: 'team-a' } }, { fieldManager: 'test' }),
      (error: unknown) => error instanceof AppError && error.code === 'unavailable',
    );
    assert.deepEqual(server.requests, [`PATCH ${PATH}`]);
    assert.deepEqual(await retriesCounted(registry), []);
  });

  it('a plain GET (rawGet: CAPI objects, logs) whose first connection is reset answers from the second', async () => {
    server.resets = 1;
    const identity = kubeIdentity(kubeConfigFor(url), registry);
    {
      const answer = await rawGet(identity, PATH, { timeoutMs: 5_000, action: 'get ClusterDeployment team-a/c1' });
      assert.equal(answer.status, 200);
      assert.equal((JSON.parse(answer.body) as typeof OBJECT).metadata.uid, 'u1');
      assert.deepEqual(server.requests, [`GET ${PATH}`, `GET ${PATH}`]);
      assert.deepEqual(await retriesCounted(registry), [{ labels: { verb: 'get', resource: 'clusterdeployments' }, value: 1 }]);
    }
  });
});

describe('which failures a read retries', () => {
  const error = (code: string, message = `read ${code}`): Error => Object.assign(new Error(message), { code });
  const rows: { name: string; method: string; error: unknown; aborted?: boolean; retried: boolean }[] = [
    { name: 'GET, connection reset', method: 'GET', error: error('ECONNRESET'), retried: true },
    { name: 'GET, socket hang up (EOF before the answer)', method: 'GET', error: error('ECONNRESET', 'socket hang up'), retried: true },
    { name: 'GET, node-fetch FetchError of a reset', method: 'GET', error: { ...error('ECONNRESET'), type: 'system' }, retried: true },
    {
      name: 'GET, undici socket closed',
      method: 'GET',
      error: new TypeError('fetch failed', { cause: error('UND_ERR_SOCKET', 'other side closed') }),
      retried: true,
    },
    { name: 'GET, broken pipe', method: 'GET', error: error('EPIPE'), retried: true },
    {
      name: 'GET, refused (nothing listens: an outage, not a dropped socket)',
      method: 'GET',
      error: error('ECONNREFUSED'),
      retried: false,
    },
    { name: 'GET, timed out', method: 'GET', error: error('ETIMEDOUT'), retried: false },
    { name: 'GET reset, but the caller cancelled', method: 'GET', error: error('ECONNRESET'), aborted: true, retried: false },
    { name: 'PATCH, connection reset', method: 'PATCH', error: error('ECONNRESET'), retried: false },
    { name: 'POST, connection reset', method: 'POST', error: error('ECONNRESET'), retried: false },
    { name: 'DELETE, connection reset', method: 'DELETE', error: error('ECONNRESET'), retried: false },
    { name: 'PUT, connection reset', method: 'PUT', error: error('ECONNRESET'), retried: false },
  ];
  for (const row of rows) {
    it(`${row.name}: ${row.retried ? 'retried' : 'not retried'}`, () => {
      const controller = new AbortController();
      if (row.aborted) controller.abort();
      assert.equal(mayRetryRead(row.method, row.error, controller.signal), row.retried);
    });
  }

  it('an API answer (an error with an HTTP code) is not a reset', () => {
    assert.equal(isConnectionResetOrEof(Object.assign(new Error('HTTP 503'), { code: 503 })), false);
  });
});
