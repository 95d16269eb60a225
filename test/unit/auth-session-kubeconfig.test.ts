/** sessionKubeConfig: a fresh config from server URL + CA (+ TLS options) and the caller's token only. */
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { sessionKubeConfig } from '../../src/kube/client.js';

function operatorConfig(): KubeConfig {
  const dir = mkdtempSync(join(tmpdir(), 'k0mcp-kc-'));
  writeFileSync(join(dir, 'ca.crt'), 'CA-PEM-BYTES');
  const kc = new KubeConfig();
  kc.loadFromString(`apiVersion: v1
kind: Config
clusters:
- name: mgmt
  cluster:
    server: https://mgmt.example:6443
    certificate-authority: ${join(dir, 'ca.crt')}
    tls-server-name: kube.internal
users:
- name: admin
  user:
    client-certificate-data: Y2VydA==
    client-key-data: a2V5
    token: operator-token
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: /bin/false
contexts:
- name: admin@mgmt
  context: {cluster: mgmt, user: admin, namespace: kcm-system}
current-context: admin@mgmt
`);
  return kc;
}

describe('sessionKubeConfig', () => {
  it('without a token returns the operator config itself', () => {
    const base = operatorConfig();
    assert.equal(sessionKubeConfig(base), base);
  });

  it('with a token builds a fresh config: same server, CA inlined, TLS name kept, only the token', () => {
    const base = operatorConfig();
    const kc = sessionKubeConfig(base, 'caller-token');
    assert.notEqual(kc, base);
    const cluster = kc.getCurrentCluster()!;
    assert.equal(cluster.server, 'https://mgmt.example:6443');
    assert.equal(Buffer.from(cluster.caData!, 'base64').toString(), 'CA-PEM-BYTES');
    assert.equal(cluster.tlsServerName, 'kube.internal');
    assert.equal(cluster.skipTLSVerify, false);
    assert.deepEqual(kc.getUsers(), [{ name: 'mcp-caller', token: 'caller-token' }]);
    assert.equal(kc.getContexts().length, 1);
    // The operator's config is untouched.
    assert.equal(base.getCurrentUser()?.token, 'operator-token');
  });

  it('applies only the bearer header to requests', async () => {
    const kc = sessionKubeConfig(operatorConfig(), 'caller-token');
    const opts: { headers?: Record<string, string>; cert?: unknown; key?: unknown } = {};
    await kc.applyToHTTPSOptions(opts);
    assert.equal(opts.headers?.Authorization, 'Bearer caller-token');
    assert.equal(opts.cert, undefined);
    assert.equal(opts.key, undefined);
  });
});
