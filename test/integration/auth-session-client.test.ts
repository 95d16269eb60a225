/**
 * In OIDC_REQUIRED a session's Kubernetes client carries ONLY the caller's token: the operator's
 * kubeconfig has a client certificate AND a token, and the recording HTTPS API server sees neither.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { CoreV1Api } from '@kubernetes/client-node';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { loadKubeConfig } from '../../src/config/kubeconfig.js';
import { checkKubeconfig } from '../../src/config/kubeconfig-source.js';
import { parseConfig } from '../../src/config/settings.js';
import { KubeIdentities } from '../../src/kube/identity.js';
import { createLogger } from '../../src/observability/logger.js';
import { createMetricsRegistry } from '../../src/observability/metrics.js';
import { createRuntime, createSession } from '../../src/runtime/runtime.js';
import { type CliProcess, startServe, stopAll, tempDir } from '../helpers/cli-process.js';
import { operatorKubeconfig, type RecordingApiServer, startRecordingApiServer } from '../helpers/recording-apiserver.js';

const OPERATOR_TOKEN = 'operator-token-must-not-leak';
const CALLER_TOKEN = 'caller-token-abc123';

describe('session Kubernetes client', () => {
  let api: RecordingApiServer;
  before(async () => {
    api = await startRecordingApiServer();
  });
  after(() => api.close());

  function runtimeFor(authMode: 'OIDC_REQUIRED' | 'DEV_ALLOW_ANY') {
    const text = operatorKubeconfig(api, OPERATOR_TOKEN);
    const parsed = parseConfig({ kubeconfigText: text, authMode }, { sandbox: false });
    const metrics = createMetricsRegistry();
    const kube = new KubeIdentities({
      loadBase: async () => loadKubeConfig(k8s, checkKubeconfig({ kind: 'text', value: text }, undefined)),
      metrics,
    });
    return createRuntime(parsed.settings, kube, createLogger('error'), metrics);
  }

  it('control: the operator kubeconfig itself presents its client certificate and token', async () => {
    const runtime = runtimeFor('OIDC_REQUIRED');
    api.requests.length = 0;
    await (await runtime.kube.base().kubeConfig()).makeApiClient(CoreV1Api).listNamespace();
    assert.equal(api.requests.length, 1);
    assert.equal(api.requests[0]!.authorization, `Bearer ${OPERATOR_TOKEN}`);
    assert.equal(api.requests[0]!.clientCertificate, true);
  });

  it('OIDC_REQUIRED: the session client sends the caller token and no client certificate', async () => {
    const runtime = runtimeFor('OIDC_REQUIRED');
    const session = createSession(runtime, { id: 's1', bearerToken: CALLER_TOKEN });
    api.requests.length = 0;
    const kc = await session.kube.kubeConfig();
    await kc.makeApiClient(CoreV1Api).listNamespace();
    assert.equal(api.requests.length, 1);
    assert.equal(api.requests[0]!.authorization, `Bearer ${CALLER_TOKEN}`);
    assert.equal(api.requests[0]!.clientCertificate, false);
    assert.notEqual(kc, await runtime.kube.base().kubeConfig(), 'a fresh KubeConfig, not the operator one');
    const user = kc.getCurrentUser();
    assert.equal(user?.certData, undefined);
    assert.equal(user?.keyData, undefined);
    assert.equal(user?.exec, undefined);
  });

  it('two sessions never share a token', async () => {
    const runtime = runtimeFor('OIDC_REQUIRED');
    const a = createSession(runtime, { id: 'a', bearerToken: 'token-a' });
    const b = createSession(runtime, { id: 'b', bearerToken: 'token-b' });
    api.requests.length = 0;
    await (await a.kube.kubeConfig()).makeApiClient(CoreV1Api).listNamespace();
    await (await b.kube.kubeConfig()).makeApiClient(CoreV1Api).listNamespace();
    assert.deepEqual(
      api.requests.map((r) => r.authorization),
      ['Bearer token-a', 'Bearer token-b'],
    );
  });

  it('DEV_ALLOW_ANY: the session uses the operator kubeconfig even when a bearer was sent', async () => {
    const runtime = runtimeFor('DEV_ALLOW_ANY');
    const session = createSession(runtime, { id: 'd', bearerToken: CALLER_TOKEN });
    assert.equal(session.kube, runtime.kube.base());
  });
});

describe('serve in OIDC_REQUIRED: a tool call reaches the API with only the caller token', () => {
  let api: RecordingApiServer;
  let proc: CliProcess | undefined;
  before(async () => {
    api = await startRecordingApiServer();
  });
  after(async () => {
    await proc?.stop();
    await api.close();
    stopAll();
  });

  it('k0.clusters.list through MCP sends Bearer <caller token> and no client certificate', async () => {
    const dir = tempDir();
    const file = join(dir, 'kubeconfig.yaml');
    writeFileSync(file, operatorKubeconfig(api, OPERATOR_TOKEN));
    const started = await startServe([], { K0RDENT_MGMT_KUBECONFIG_PATH: file, AUTH_MODE: 'OIDC_REQUIRED', LOG_LEVEL: 'debug' });
    proc = started.proc;
    const transport = new StreamableHTTPClientTransport(new URL('/mcp', started.base), {
      requestInit: { headers: { authorization: `Bearer ${CALLER_TOKEN}` } },
    });
    const client = new Client({ name: 'oidc-tool-test', version: '1' });
    await client.connect(transport);
    api.requests.length = 0;
    try {
      const result = await client.callTool({ name: 'k0.clusters.list', arguments: {} });
      assert.notEqual(result.isError, true, JSON.stringify(result.content));
    } finally {
      await client.close();
    }
    const toolRequests = api.requests.filter((r) => r.path !== '/version');
    assert.ok(toolRequests.length > 0, 'the tool call reached the API server');
    for (const r of toolRequests) {
      assert.equal(r.authorization, `Bearer ${CALLER_TOKEN}`, `${r.method} ${r.path}`);
      assert.equal(r.clientCertificate, false, `${r.method} ${r.path} presented the operator's client certificate`);
    }
    assert.equal(proc.stderr().includes(CALLER_TOKEN), false, 'the caller token leaked into the logs');
    assert.equal(proc.stderr().includes(OPERATOR_TOKEN), false, 'the operator token leaked into the logs');
  });
});
