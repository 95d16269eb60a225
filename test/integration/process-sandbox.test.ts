/**
 * The sandbox wiring of the real process: `serve --sandbox` and `stdio --sandbox` run against a fresh
 * embedded management cluster, and `sandbox` prints its address and writes a kubeconfig kubectl uses.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CLI, cleanEnv, startCli, startServe, stopAll, tempDir } from '../helpers/cli-process.js';
import { testBackends } from '../helpers/backend.js';

const run = promisify(execFile);
after(stopAll);

function credentialNames(result: Awaited<ReturnType<Client['callTool']>>): string[] {
  const structured = result.structuredContent as { items?: Array<{ name: string }> } | undefined;
  return (structured?.items ?? []).map((c) => c.name);
}

describe('serve --sandbox', () => {
  it('serves MCP against the embedded sandbox: tools answer with seeded data and /readyz is 200', async () => {
    const { proc, base } = await startServe(['--sandbox'], {});
    try {
      const ready = await fetch(`${base}/readyz`);
      assert.equal(ready.status, 200);
      const client = new Client({ name: 'sandbox-test', version: '1' });
      await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', base)));
      try {
        const result = await client.callTool({ name: 'k0.clusters.listCredentials', arguments: {} });
        assert.notEqual(result.isError, true, JSON.stringify(result.content));
        assert.ok(credentialNames(result).includes('azure-cluster-credential'), JSON.stringify(result.structuredContent));
      } finally {
        await client.close();
      }
      assert.match(proc.stderr(), /"kubeconfigSource":"sandbox"/);
    } finally {
      assert.equal(await proc.stop(), 0);
    }
  });
});

describe('stdio --sandbox', () => {
  it('an MCP client over stdio lists credentials from the sandbox', async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [CLI, 'stdio', '--sandbox'],
      env: cleanEnv() as Record<string, string>,
      stderr: 'pipe',
    });
    const client = new Client({ name: 'sandbox-stdio-test', version: '1' });
    const errors: Error[] = [];
    client.onerror = (e) => errors.push(e);
    await client.connect(transport);
    try {
      const result = await client.callTool({ name: 'k0.clusters.listCredentials', arguments: {} });
      assert.notEqual(result.isError, true, JSON.stringify(result.content));
      assert.ok(credentialNames(result).includes('azure-cluster-credential'));
    } finally {
      await client.close();
    }
    assert.deepEqual(errors, [], 'stdout carried something that is not JSON-RPC');
  });
});

describe('sandbox command', () => {
  for (const tls of [false, true]) {
    it(`prints its address and writes a kubeconfig kubectl can use${tls ? ' (--tls)' : ''}`, async () => {
      const dir = tempDir();
      const kubeconfig = join(dir, 'kubeconfig');
      const proc = startCli(['sandbox', '--listen', '127.0.0.1:0', '--kubeconfig', kubeconfig, ...(tls ? ['--tls'] : [])]);
      try {
        await proc.waitForLog(/sandbox management cluster running/);
        const url = /sandbox listening on (\S+)/.exec(proc.stdout())?.[1];
        assert.ok(url, `no address printed: ${proc.stdout()}`);
        assert.match(url, tls ? /^https:\/\/127\.0\.0\.1:\d+$/ : /^http:\/\/127\.0\.0\.1:\d+$/);
        const written = readFileSync(kubeconfig, 'utf8');
        assert.ok(written.includes(url));
        if (tls) assert.match(written, /certificate-authority-data/);
        // The written kubeconfig alone must do: over https a credential-less user would make kubectl prompt.
        const { stdout } = await run(
          '/usr/bin/kubectl',
          ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache'), 'get', 'namespaces', '-o', 'name'],
          { timeout: 30_000 },
        );
        assert.match(stdout, /namespace\/kcm-system/);
      } finally {
        assert.equal(await proc.stop(), 0);
      }
    });
  }

  const kube = testBackends().find((b) => b.name === 'kube');
  it(
    '--api kube: the real kube-apiserver control plane with kcm attached; kubectl sees the seed and kcm admission',
    { skip: kube?.skip ?? 'K0RDENT_TEST_BACKEND excludes kube' },
    async () => {
      const dir = tempDir();
      const kubeconfig = join(dir, 'kubeconfig');
      const proc = startCli(['sandbox', '--api', 'kube', '--listen', '127.0.0.1:0', '--kubeconfig', kubeconfig]);
      try {
        await proc.waitForLog(/sandbox management cluster running/, 120_000);
        const url = /sandbox listening on (\S+)/.exec(proc.stdout())?.[1];
        assert.match(url ?? '', /^https:\/\/127\.0\.0\.1:\d+$/);
        const kubectl = (args: string[]): Promise<{ stdout: string }> =>
          run('/usr/bin/kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache'), ...args], { timeout: 30_000 });
        assert.match((await kubectl(['version', '-o', 'json'])).stdout, /"gitVersion": "v1\.\d+\.\d+"/);
        assert.match((await kubectl(['get', 'clusterdeployments', '-A', '-o', 'name'])).stdout, /alpha-dev-cluster/);
        const configs = (await kubectl(['get', 'validatingwebhookconfigurations', '-o', 'name'])).stdout;
        assert.match(configs, /kcm-validating-webhook-configuration/);
      } finally {
        assert.equal(await proc.stop(), 0);
      }
    },
  );

  it('refuses an unknown --api with one line', async () => {
    const proc = startCli(['sandbox', '--api', 'k3s', '--kubeconfig', join(tempDir(), 'kc')]);
    assert.notEqual(await proc.exited(), 0);
    assert.match(proc.stderr(), /--api "k3s" is not embedded, kube or kcm/);
  });

  it('refuses a non-loopback --listen with one line', async () => {
    const proc = startCli(['sandbox', '--listen', '0.0.0.0:0', '--kubeconfig', join(tempDir(), 'kc')]);
    const code = await proc.exited();
    assert.notEqual(code, 0);
    assert.equal(proc.stderr().trim().split('\n').length, 1);
    assert.match(proc.stderr(), /--listen/);
  });
});
