/**
 * In-cluster config: `serve` in a (simulated) pod — a service-account directory with token and CA, and
 * KUBERNETES_SERVICE_HOST/PORT pointing at the sandbox served over TLS with bearer tokens. Without a
 * kubeconfig the service account is detected and used; in OIDC_REQUIRED it is used only for the startup
 * ping and /readyz, and every tool call goes with the caller's own token. Misconfiguration fails fast.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { parse } from 'yaml';
import { parseConfig } from '../../src/config/settings.js';
import { runCli, startServe, stopAll, tempDir, writeKubeconfig } from '../helpers/cli-process.js';
import { sandboxFor, tokensFile } from '../helpers/lifecycle.js';

after(stopAll);

const SA_TOKEN = 'mcp-service-account-token';
const ALICE_TOKEN = 'alice-oidc-token';

async function callOver(base: string, name: string, args: Record<string, unknown>, token?: string): Promise<CallToolResult> {
  const headers: Record<string, string> = token !== undefined ? { authorization: `Bearer ${token}` } : {};
  const client = new Client({ name: 'in-cluster-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', base), { requestInit: { headers } }));
  try {
    return (await client.callTool({ name, arguments: args })) as CallToolResult;
  } finally {
    await client.close();
  }
}

describe('in-cluster config (the pod service account)', () => {
  const sandboxLog: string[] = [];
  const sandbox = sandboxFor({
    tls: true,
    tokensFile: tokensFile([
      { name: 'mcp-sa', token: SA_TOKEN, namespaces: ['*'] },
      { name: 'alice', token: ALICE_TOKEN, namespaces: ['team-alpha'] },
    ]),
    log: (line) => sandboxLog.push(line),
  });
  let podEnv: Record<string, string>;
  let saDir: string;

  before(async () => {
    const dir = tempDir('k0mcp-incluster-');
    const kubeconfig = parse(sandbox.kubeconfig) as { clusters: { cluster: { 'certificate-authority-data': string } }[] };
    saDir = join(dir, 'serviceaccount');
    mkdirSync(saDir);
    // As the kubelet mounts it: token (no trailing newline), ca.crt, namespace.
    writeFileSync(join(saDir, 'token'), SA_TOKEN);
    writeFileSync(join(saDir, 'ca.crt'), Buffer.from(kubeconfig.clusters[0]!.cluster['certificate-authority-data'], 'base64'));
    writeFileSync(join(saDir, 'namespace'), 'kcm-system');
    const url = new URL(sandbox.url);
    podEnv = { KUBERNETES_SERVICE_HOST: url.hostname, KUBERNETES_SERVICE_PORT: url.port, K0RDENT_SERVICE_ACCOUNT_DIR: saDir };
  });

  it('without a kubeconfig, serve detects the service account and every call uses it', async () => {
    const { proc, base } = await startServe([], podEnv);
    try {
      const starting = await proc.waitForLog(/k0rdent-mcp starting/);
      assert.equal((starting.config as { kubeconfigSource: string }).kubeconfigSource, 'in-cluster');
      assert.equal(starting.apiServer, sandbox.url);
      assert.equal((await fetch(new URL('/readyz', base))).status, 200);
      sandboxLog.length = 0;
      const result = await callOver(base, 'k0.clusters.listCredentials', { namespace: 'kcm-system' });
      assert.ok(!result.isError, JSON.stringify(result.structuredContent));
      assert.ok((result.structuredContent as { items: unknown[] }).items.length > 0);
      const credentialRequests = sandboxLog.filter((line) => line.includes('/credentials'));
      assert.ok(credentialRequests.length > 0, 'the call reached the API server');
      for (const line of credentialRequests) assert.match(line, / 200 user=mcp-sa$/, line);
    } finally {
      await proc.stop();
    }
  });

  it('in OIDC_REQUIRED the service account only pings; tool calls go with the caller token', async () => {
    const { proc, base } = await startServe([], {
      ...podEnv,
      K0RDENT_MGMT_IN_CLUSTER: 'true',
      AUTH_MODE: 'OIDC_REQUIRED',
      K0RDENT_NAMESPACE_FILTER: '^team-',
    });
    try {
      await proc.waitForLog(/Kubernetes API reachable/);
      assert.equal((await fetch(new URL('/readyz', base))).status, 200);
      sandboxLog.length = 0;
      const result = await callOver(base, 'k0.clusters.listCredentials', { namespace: 'team-alpha' }, ALICE_TOKEN);
      assert.ok(!result.isError, JSON.stringify(result.structuredContent));
      const forbidden = await callOver(base, 'k0.clusters.listCredentials', { namespace: 'team-beta' }, ALICE_TOKEN);
      assert.equal(
        (forbidden.structuredContent as { error: { code: string } }).error.code,
        'forbidden',
        'alice may not read team-beta: the API server decided with her token',
      );
      const apiRequests = sandboxLog.filter((line) => /^\w+ \/(api|apis)\//.test(line));
      assert.ok(apiRequests.length > 0);
      for (const line of apiRequests) assert.match(line, /user=alice$/, `a tool request went out as someone else: ${line}`);
    } finally {
      await proc.stop();
    }
  });

  it('K0RDENT_MGMT_IN_CLUSTER=true outside a pod fails fast, naming what is missing', async () => {
    const { code, stderr } = await runCli(['serve'], {
      K0RDENT_MGMT_IN_CLUSTER: 'true',
      K0RDENT_SERVICE_ACCOUNT_DIR: join(saDir, 'absent'),
    });
    assert.equal(code, 2);
    assert.match(
      stderr,
      /K0RDENT_MGMT_IN_CLUSTER \(--in-cluster\) is true but the pod's service account is not usable: missing KUBERNETES_SERVICE_HOST\/KUBERNETES_SERVICE_PORT, .*absent\/token, .*absent\/ca\.crt/,
    );
  });

  it('an explicit kubeconfig wins over a present service account, and K0RDENT_MGMT_IN_CLUSTER=false turns detection off', async () => {
    const kubeconfig = writeKubeconfig('http://127.0.0.1:1');
    const { proc } = await startServe([], { ...podEnv, K0RDENT_MGMT_KUBECONFIG_PATH: kubeconfig });
    try {
      const starting = await proc.waitForLog(/k0rdent-mcp starting/);
      assert.equal((starting.config as { kubeconfigSource: string }).kubeconfigSource, 'path');
    } finally {
      await proc.stop();
    }
    const off = await runCli(['serve'], { ...podEnv, K0RDENT_MGMT_IN_CLUSTER: 'false' });
    assert.equal(off.code, 2);
    assert.match(off.stderr, /no management cluster configured/);
    const both = await runCli(['serve', '--in-cluster', '--kubeconfig-path', kubeconfig], podEnv);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /K0RDENT_MGMT_IN_CLUSTER \(--in-cluster\) is true together with K0RDENT_MGMT_KUBECONFIG_PATH/);
  });

  it('settings: detection only without any kubeconfig source; a context makes no sense in-cluster', () => {
    assert.deepEqual(parseConfig({}, { sandbox: false, serviceAccountPresent: true }).kubeconfig, { kind: 'in-cluster' });
    assert.deepEqual(parseConfig({ kubeconfigText: 'x' }, { sandbox: false, serviceAccountPresent: true }).kubeconfig, {
      kind: 'text',
      value: 'x',
    });
    assert.deepEqual(parseConfig({}, { sandbox: true, serviceAccountPresent: true }).kubeconfig, { kind: 'sandbox' });
    assert.deepEqual(parseConfig({ inCluster: 'yes' }, { sandbox: false }).kubeconfig, { kind: 'in-cluster' });
    assert.throws(
      () => parseConfig({ inCluster: 'maybe' }, { sandbox: false }),
      /K0RDENT_MGMT_IN_CLUSTER \(--in-cluster\) "maybe" is not a boolean/,
    );
    assert.throws(() => parseConfig({ inCluster: 'true' }, { sandbox: true }), /together with --sandbox/);
    assert.throws(
      () => parseConfig({ context: 'admin' }, { sandbox: false, serviceAccountPresent: true }),
      /K0RDENT_MGMT_CONTEXT \(--context\) picks a context of a kubeconfig/,
    );
  });
});
