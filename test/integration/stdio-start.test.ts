/**
 * Start fast (issue 13 item 1): `initialize` and `tools/list` never wait for @kubernetes/client-node.
 * A module-loading hook holds client-node's entry module back until the test opens a gate file: the
 * handshake and tools/list are answered while it is held, the background load starts after the
 * handshake, and a tool call completes once it is let through. A tool call right after initialize works.
 */
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { runCli, startCli, stopAll, tempDir, type CliProcess } from '../helpers/cli-process.js';
import { until } from '../helpers/until.js';
import { sandboxFor } from '../helpers/lifecycle.js';

const HOOKS = `
import { existsSync, writeFileSync } from 'node:fs';
export async function load(url, context, nextLoad) {
  if (url.includes('/@kubernetes/client-node/dist/index.js')) {
    writeFileSync(process.env.CLIENT_NODE_REQUESTED, 'requested');
    // test-kit: allowed (a module-loading hook in the child process, not test code: it cannot import the kit)
    while (!existsSync(process.env.CLIENT_NODE_GATE)) await new Promise((r) => setTimeout(r, 20));
  }
  return nextLoad(url, context);
}
`;
const REGISTER = `import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n`;

interface Rpc {
  send(message: Record<string, unknown>): void;
  answer(id: number, timeoutMs?: number): Promise<Record<string, unknown>>;
}

function rpc(proc: CliProcess): Rpc {
  return {
    send: (message) => proc.child.stdin!.write(`${JSON.stringify({ jsonrpc: '2.0', ...message })}\n`),
    answer: (id, timeoutMs = 60_000) =>
      until(
        `the answer to request ${id}`,
        () => {
          for (const line of proc.stdout().split('\n')) {
            if (line.trim() === '') continue;
            const message = JSON.parse(line) as Record<string, unknown>;
            if (message.id === id) return message;
          }
          return undefined;
        },
        timeoutMs,
      ),
  };
}

const INITIALIZE = {
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'start-test', version: '1' } },
};

describe('stdio starts without waiting for the Kubernetes client', () => {
  const sandbox = sandboxFor({});
  let kubeconfig: string;
  before(async () => {
    kubeconfig = join(tempDir(), 'kubeconfig.yaml');
    writeFileSync(kubeconfig, sandbox.kubeconfig);
  });
  after(async () => {
    stopAll();
  });

  it('initialize, tools/list and ping load no client-node; the first tool call loads it and completes', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'hooks.mjs'), HOOKS);
    writeFileSync(join(dir, 'register.mjs'), REGISTER);
    const gate = join(dir, 'gate');
    const requested = join(dir, 'requested');
    const proc = startCli(['stdio'], {
      K0RDENT_MGMT_KUBECONFIG_PATH: kubeconfig,
      LOG_LEVEL: 'debug',
      NODE_OPTIONS: `--import=${pathToFileURL(join(dir, 'register.mjs')).href}`,
      CLIENT_NODE_GATE: gate,
      CLIENT_NODE_REQUESTED: requested,
    });
    const io = rpc(proc);
    io.send({ id: 1, ...INITIALIZE });
    const init = await io.answer(1);
    assert.equal((init.result as { serverInfo?: { name?: string } }).serverInfo?.name, 'k0rdent-mcp');
    io.send({ method: 'notifications/initialized' });
    io.send({ id: 2, method: 'tools/list' });
    const list = await io.answer(2);
    const tools = (list.result as { tools: { name: string }[] }).tools.map((t) => t.name);
    assert.ok(tools.includes('k0.clusters.list'), tools.join(', '));
    assert.equal(existsSync(gate), false, 'answered while client-node was still held back');
    // The handshake loads no Kubernetes client (an idle stdio server stays small); the first tool call does.
    io.send({ id: 4, method: 'ping' });
    await io.answer(4);
    assert.equal(existsSync(requested), false, 'client-node was asked for before any tool call');
    io.send({ id: 3, method: 'tools/call', params: { name: 'k0.clusters.list', arguments: { namespace: 'kcm-system' } } });
    await until('the tool call to ask for client-node', () => (existsSync(requested) ? true : undefined), 30_000);
    writeFileSync(gate, 'open');
    const call = await io.answer(3);
    const result = call.result as { isError?: boolean; structuredContent?: { items?: unknown[] } };
    assert.notEqual(result.isError, true, JSON.stringify(call));
    assert.ok(Array.isArray(result.structuredContent?.items));
    await proc.waitForLog(/Kubernetes API reachable/);
    proc.child.stdin!.end();
    assert.equal(await proc.exited(), 0);
  });

  it('a tool call sent right after initialize (no tools/list) is answered', async () => {
    const proc = startCli(['stdio'], { K0RDENT_MGMT_KUBECONFIG_PATH: kubeconfig, LOG_LEVEL: 'warn' });
    const io = rpc(proc);
    io.send({ id: 1, ...INITIALIZE });
    await io.answer(1);
    io.send({ method: 'notifications/initialized' });
    io.send({ id: 2, method: 'tools/call', params: { name: 'k0.clusters.listCredentials', arguments: {} } });
    const call = await io.answer(2);
    const result = call.result as { isError?: boolean; structuredContent?: { items?: { name: string }[] } };
    assert.notEqual(result.isError, true, JSON.stringify(call));
    assert.ok((result.structuredContent?.items ?? []).some((c) => c.name === 'azure-cluster-credential'));
    proc.child.stdin!.end();
    assert.equal(await proc.exited(), 0);
  });

  it('a kubeconfig whose context has no server still fails at startup (exit 2), before client-node loads', async () => {
    const file = join(tempDir(), 'kubeconfig.yaml');
    writeFileSync(
      file,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        '- name: c',
        '  cluster: {}',
        'users:',
        '- name: u',
        '  user: {token: t}',
        'contexts:',
        '- name: x',
        '  context: {cluster: c, user: u}',
        'current-context: x',
        '',
      ].join('\n'),
    );
    const { code, stderr } = await runCli(['stdio'], { K0RDENT_MGMT_KUBECONFIG_PATH: file });
    assert.equal(code, 2, stderr);
    assert.match(stderr, /K0RDENT_MGMT_KUBECONFIG_PATH .*has no cluster server for context "x"/);
  });
});
