/**
 * `stdio` as a real process: an MCP SDK client (StdioClientTransport spawning the CLI) completes
 * initialize + tools/list, and stdout carries only JSON-RPC — every log line goes to stderr.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CLI, cleanEnv, startCli, stopAll, unreachableKubeconfig } from '../helpers/cli-process.js';
import { TOOLS } from '../../src/mcp/tools/index.js';
import { until } from '../helpers/until.js';

after(stopAll);

const kubeconfig = unreachableKubeconfig();
/** The process must offer exactly the tools the registry declares (src/mcp/tools/index.ts). */
const DOTTED_TOOLS = TOOLS.map((tool) => tool.name);

describe('stdio', () => {
  it('an MCP client over a spawned stdio process completes initialize and tools/list', async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [CLI, 'stdio'],
      env: cleanEnv({ K0RDENT_MGMT_KUBECONFIG_PATH: kubeconfig, LOG_LEVEL: 'debug' }) as Record<string, string>,
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const client = new Client({ name: 'stdio-test', version: '1.0.0' });
    const transportErrors: Error[] = [];
    client.onerror = (error) => transportErrors.push(error);
    try {
      await client.connect(transport);
    } catch (error) {
      throw new Error(`stdio server did not start: ${(error as Error).message}; stderr:\n${stderr}`);
    }
    try {
      assert.equal(client.getServerVersion()?.name, 'k0rdent-mcp');
      const { tools } = await client.listTools();
      assert.deepEqual(tools.map((t) => t.name).sort(), [...DOTTED_TOOLS].sort());
    } finally {
      await client.close();
    }
    assert.deepEqual(transportErrors, [], 'stdout carried something that is not JSON-RPC');
    assert.match(stderr, /"msg":"k0rdent-mcp starting"/, 'logs go to stderr');
  });

  it('stdout carries only JSON-RPC messages, never a log line', async () => {
    const proc = startCli(['stdio'], { K0RDENT_MGMT_KUBECONFIG_PATH: kubeconfig, LOG_LEVEL: 'debug' });
    const send = (message: unknown): void => {
      proc.child.stdin!.write(`${JSON.stringify(message)}\n`);
    };
    send({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
    });
    send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    send({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
    send({ jsonrpc: '2.0', id: 3, method: 'no/such/method' });
    // The first tool call loads the Kubernetes client and pings the API (logged); the handshake does not.
    send({ jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'k0.providers.list', arguments: {} } });
    // Wait until the ping after the first tool call happened and the answers to 1–4 arrived.
    await proc.waitForLog(/Kubernetes API unreachable/);
    await until('the answers to 1, 2, 3 and 4', () => (proc.stdout().match(/"id":[1234]\b/g) ?? []).length >= 4, 45_000);
    proc.child.stdin!.end();
    assert.equal(await proc.exited(), 0, `closing stdin should end the process cleanly; stderr:\n${proc.stderr()}`);

    const lines = proc
      .stdout()
      .split('\n')
      .filter((l) => l.length > 0);
    assert.ok(lines.length >= 3, `expected answers on stdout, got: ${proc.stdout()}`);
    for (const line of lines) {
      const message = JSON.parse(line) as Record<string, unknown>;
      assert.equal(message.jsonrpc, '2.0', `not JSON-RPC: ${line}`);
      assert.equal(message.msg, undefined, `a log line on stdout: ${line}`);
    }
    const ids = lines.map((l) => (JSON.parse(l) as { id?: number }).id);
    assert.deepEqual(ids.filter((id) => id !== undefined).sort(), [1, 2, 3, 4]);
    assert.match(proc.stderr(), /"msg":"serving MCP over stdio"/);
  });

  it('SIGTERM exits 0', async () => {
    const proc = startCli(['stdio'], { K0RDENT_MGMT_KUBECONFIG_PATH: kubeconfig });
    await proc.waitForLog(/serving MCP over stdio/);
    proc.child.kill('SIGTERM');
    assert.equal(await proc.exited(), 0);
  });
});
