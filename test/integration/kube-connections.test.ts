/**
 * One keep-alive agent per Kubernetes identity (issue 13 item 2): every request and watch of an identity
 * goes over the same pooled connections, counted at the API server (the sandbox's accepted connections,
 * the recording TLS server's handshakes), and the TLS settings still come from the kubeconfig.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { checkKubeconfig } from '../../src/config/kubeconfig-source.js';
import { loadKubeConfig } from '../../src/config/kubeconfig.js';
import { KubeIdentities } from '../../src/kube/identity.js';
import { createMetricsRegistry } from '../../src/observability/metrics.js';
import { type CliProcess, startServe, stopAll, tempDir } from '../helpers/cli-process.js';
import { AZURE_BASELINE, sandboxKubeConfig, startHarness, structured } from '../helpers/clusters-harness.js';
import {
  operatorKubeconfig,
  RECORDING_SERVER_NAME,
  startRecordingApiServer,
  type RecordingApiServer,
} from '../helpers/recording-apiserver.js';
import { delta, sandboxCounters } from '../helpers/sandbox-counters.js';
import { sandboxFor, tokensFile } from '../helpers/lifecycle.js';

describe('keep-alive: one identity, one agent', () => {
  const sandbox = sandboxFor({ provisionSeconds: 0.3, deleteSeconds: 0.2 });
  it('twelve tool calls in a row: twelve or more API requests over at most two connections', async () => {
    const harness = await startHarness(sandbox);
    try {
      const before = await sandboxCounters(sandbox.url);
      for (let i = 0; i < 6; i++) {
        assert.notEqual((await harness.call('k0.clusters.list', { namespace: 'team-alpha' })).isError, true);
        assert.notEqual((await harness.call('k0.clusters.listCredentials', { namespace: 'kcm-system' })).isError, true);
      }
      const d = delta(before, await sandboxCounters(sandbox.url));
      assert.ok(d.requests() >= 12, `requests: ${d.requests()}`);
      // One connection per request would be 12+; a call that sends two requests in parallel may open a second.
      assert.ok(d.connections <= 2, `${d.connections} connections for ${d.requests()} requests: no keep-alive agent`);
    } finally {
      await harness.close();
    }
  });

  it("deploy with wait=true: its GETs, apply and watch share the identity's pooled connections", async () => {
    const harness = await startHarness(sandbox);
    try {
      const before = await sandboxCounters(sandbox.url);
      const result = await harness.call('k0.clusters.deploy', {
        name: 'keepalive-1',
        template: 'azure-standalone-cp-1-0-15',
        credential: 'azure-cluster-credential',
        config: AZURE_BASELINE,
        wait: true,
        pollInterval: '5s',
        provisionTimeout: '60s',
      });
      assert.notEqual(result.isError, true, JSON.stringify(result.content));
      assert.equal(structured<{ ready: boolean }>(result).ready, true);
      const deleted = await harness.call('k0.clusters.delete', {
        name: 'keepalive-1',
        wait: true,
        pollInterval: '5s',
        deletionTimeout: '60s',
      });
      assert.notEqual(deleted.isError, true, JSON.stringify(deleted.content));
      const d = delta(before, await sandboxCounters(sandbox.url));
      assert.ok(d.requests({ verb: 'watch' }) >= 2, `two waits watch (${d.requests({ verb: 'watch' })})`);
      assert.ok(d.requests() >= 10, `requests: ${d.requests()}`);
      // Reference checks run in parallel (template + credential) and a watch holds its socket while GETs run
      // beside it (a wait reads the CAPI machine counts for its progress, issue 21); a finished watch's socket is
      // closed, so the delete's watch opens one more: three sockets at most, never one per request.
      assert.ok(d.connections <= 3, `${d.connections} connections for ${d.requests()} requests`);
    } finally {
      await harness.close();
    }
  });

  it('sessions of one bearer token share one identity; another token gets its own; the last release drops it', async () => {
    const metrics = createMetricsRegistry();
    const base = sandboxKubeConfig(sandbox);
    const kube = new KubeIdentities({ loadBase: async () => base, metrics });
    const a1 = kube.acquire('token-a');
    const a2 = kube.acquire('token-a');
    const b = kube.acquire('token-b');
    const [kcA1, kcA2, kcB] = await Promise.all([a1.kubeConfig(), a2.kubeConfig(), b.kubeConfig()]);
    assert.equal(kcA1, kcA2, 'one KubeConfig (one agent) for one token');
    assert.notEqual(kcA1, kcB);
    assert.equal(kube.callerCount, 2);
    const before = await sandboxCounters(sandbox.url);
    for (let i = 0; i < 3; i++) {
      await kcA1.makeApiClient(k8s.CoreV1Api).listNamespace();
      await kcA2.makeApiClient(k8s.CoreV1Api).listNamespace();
    }
    const d = delta(before, await sandboxCounters(sandbox.url));
    assert.equal(d.requests(), 6);
    assert.equal(d.connections, 1, 'both sessions of token-a reuse one connection');
    assert.ok(a1.openSockets() >= 1);
    a1.release();
    assert.equal(kube.callerCount, 2, 'still held by the second session');
    a2.release();
    a2.release(); // a second release of the same hold is a no-op
    assert.equal(kube.callerCount, 1);
    assert.equal(a1.openSockets(), 0, 'the dropped identity closed its sockets');
    const again = kube.acquire('token-a');
    assert.notEqual(await again.kubeConfig(), kcA1, 'a new session after the drop gets a fresh identity');
    again.release();
    b.release();
    kube.close();
  });

  it('counts every API call in kube_api_requests_total{verb,resource,code} and the latency histogram', async () => {
    const harness = await startHarness(sandbox);
    try {
      await harness.call('k0.clusters.list', { namespace: 'team-alpha' });
      await harness.call('k0.clusters.deploy', {
        name: 'ghost',
        template: 'no-such-template',
        credential: 'azure-cluster-credential',
        namespace: 'kcm-system',
      });
      const text = await harness.metrics.metrics();
      assert.match(text, /kube_api_requests_total\{verb="list",resource="clusterdeployments",code="200"\} 1/);
      assert.match(text, /kube_api_requests_total\{verb="get",resource="clustertemplates",code="404"\} \d/);
      assert.match(text, /kube_api_request_duration_seconds_count\{verb="list",resource="clusterdeployments"\} 1/);
    } finally {
      await harness.close();
    }
  });
});

describe('keep-alive over TLS keeps the kubeconfig TLS settings', () => {
  let api: RecordingApiServer;
  before(async () => {
    api = await startRecordingApiServer();
  });
  after(() => api.close());

  it('CA, client certificate and tls-server-name from the kubeconfig, on one TLS connection for many requests', async () => {
    const text = operatorKubeconfig(api, 'operator-token', RECORDING_SERVER_NAME);
    const metrics = createMetricsRegistry();
    const kube = new KubeIdentities({
      loadBase: async () => loadKubeConfig(k8s, checkKubeconfig({ kind: 'text', value: text }, undefined)),
      metrics,
    });
    const kc = await kube.base().kubeConfig();
    const core = kc.makeApiClient(k8s.CoreV1Api);
    api.requests.length = 0;
    const connectionsBefore = api.connections();
    for (let i = 0; i < 5; i++) await core.listNamespace();
    assert.equal(api.requests.length, 5);
    assert.equal(api.connections() - connectionsBefore, 1, 'one TLS handshake for five requests');
    for (const r of api.requests) {
      assert.equal(r.clientCertificate, true, 'the client certificate from the kubeconfig');
      assert.equal(r.servername, RECORDING_SERVER_NAME, 'SNI is the kubeconfig tls-server-name');
      assert.equal(r.authorization, 'Bearer operator-token');
    }
    kube.close();
  });

  it('a CA that does not match is still refused (verification is not skipped by the shared agent)', async () => {
    const other = await startRecordingApiServer();
    try {
      // The kubeconfig's CA is another server's: the handshake must fail.
      const text = operatorKubeconfig({ ...api, caPem: other.caPem }, 'operator-token');
      const kube = new KubeIdentities({
        loadBase: async () => loadKubeConfig(k8s, checkKubeconfig({ kind: 'text', value: text }, undefined)),
        metrics: createMetricsRegistry(),
      });
      const kc = await kube.base().kubeConfig();
      await assert.rejects(kc.makeApiClient(k8s.CoreV1Api).listNamespace(), (error: Error) =>
        /certificate|self.signed|unable to verify/i.test(`${error.message} ${String((error as { cause?: unknown }).cause)}`),
      );
      kube.close();
    } finally {
      await other.close();
    }
  });
});

describe('serve in OIDC_REQUIRED: the sessions of one caller share its identity', () => {
  const sandbox = sandboxFor({ tokensFile: tokensFile([{ name: 'alice', token: 'alice-token', namespaces: ['*'] }]) });
  let proc: CliProcess | undefined;
  after(async () => {
    await proc?.stop();
    stopAll();
  });

  it('two MCP sessions with the same bearer token: their calls go over one connection to the API', async () => {
    const kubeconfig = join(tempDir(), 'kubeconfig.yaml');
    writeFileSync(kubeconfig, sandbox.kubeconfig);
    const started = await startServe([], { K0RDENT_MGMT_KUBECONFIG_PATH: kubeconfig, AUTH_MODE: 'OIDC_REQUIRED', LOG_LEVEL: 'info' });
    proc = started.proc;
    await proc.waitForLog(/Kubernetes API (reachable|unreachable)/);
    const connect = async (): Promise<Client> => {
      const client = new Client({ name: 'keepalive', version: '1' });
      await client.connect(
        new StreamableHTTPClientTransport(new URL('/mcp', started.base), {
          requestInit: { headers: { authorization: 'Bearer alice-token' } },
        }),
      );
      return client;
    };
    const [one, two] = [await connect(), await connect()];
    try {
      const before = await sandboxCounters(sandbox.url);
      for (let i = 0; i < 3; i++) {
        for (const client of [one, two]) {
          const result = await client.callTool({ name: 'k0.clusters.list', arguments: { namespace: 'team-alpha' } });
          assert.notEqual(result.isError, true, JSON.stringify(result.content));
        }
      }
      const d = delta(before, await sandboxCounters(sandbox.url));
      assert.equal(d.requests(), 6);
      assert.equal(d.connections, 1, 'one identity (one agent) for both sessions of alice-token');
    } finally {
      await one.close();
      await two.close();
    }
  });
});
