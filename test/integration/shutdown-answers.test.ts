/**
 * Shutdown answers every call (issue 18 item 6): SIGTERM to a real `serve` process while a list waits on
 * an API request the sandbox holds for 40 s — past the 10 s grace the client receives an error result
 * saying the server stopped and that nothing was written, not silence; the process exits 0. `stdio` the same.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CallToolResultSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { CLI, cleanEnv, startServe, stopAll, writeKubeconfig } from '../helpers/cli-process.js';
import { sandboxFor } from '../helpers/lifecycle.js';
import { createTask, deployArgs } from '../helpers/long-ops.js';
import { within } from '../helpers/until.js';

after(stopAll);

/** A path pattern that tells when the sandbox first matched a request against it (the fault is then in effect). */
class SeenPattern extends RegExp {
  private seen: (() => void) | undefined;
  readonly hit = new Promise<void>((resolve) => (this.seen = resolve));
  override test(path: string): boolean {
    const matched = super.test(path);
    if (matched) this.seen?.();
    return matched;
  }
}

describe('shutdown answers every call', () => {
  // Deployments stay provisioning for the whole file: a task followed here is still working at SIGTERM.
  const sandbox = sandboxFor({ provisionSeconds: 600 });

  it('SIGTERM with a 40 s list in flight: the client gets an error result (server stopped, nothing written), exit 0', async () => {
    const { proc, base } = await startServe(['--kubeconfig-path', writeKubeconfig(sandbox.url)], {});
    const client = new Client({ name: 'shutdown-test', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', base)));
    const slow = new SeenPattern('/clusterdeployments$');
    sandbox.faults.add({ path: slow, method: 'GET', latencyMs: 40_000 });
    try {
      const call = client.callTool({ name: 'k0.clusters.list', arguments: {} }, undefined, { timeout: 120_000 });
      await within('the list to reach the API server', slow.hit);
      proc.child.kill('SIGTERM');
      const result = (await call) as CallToolResult;
      assert.equal(result.isError, true, JSON.stringify(result.content));
      const text = (result.content[0] as { text: string }).text;
      assert.match(text, /^unavailable: the server stopped \(shutdown\) before k0\.clusters\.list finished/);
      assert.match(text, /nothing was written/);
      assert.deepEqual((result.structuredContent as { error: { details?: unknown } }).error.details, {
        stopped: true,
        mayHaveWritten: false,
      });
      assert.equal(await proc.exited(), 0);
      assert.match(proc.stderr(), /answering the calls still running with an error result/);
    } finally {
      sandbox.faults.clear();
      await client.close().catch(() => undefined);
      await proc.stop();
    }
  });

  it('SIGTERM while tasks/result follows a working task: it is answered with an error, not left polling', async () => {
    const { proc, base } = await startServe(['--kubeconfig-path', writeKubeconfig(sandbox.url)], {});
    const client = new Client({ name: 'shutdown-task-test', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', base)));
    try {
      const task = await createTask(client, 'k0.clusters.deploy', deployArgs('shutdown-task', { namespace: 'team-alpha' }));
      assert.equal(task.status, 'working');
      // tasks/result reads the deployment (then polls): once that read arrives, the server is told to stop.
      const read = new SeenPattern('/namespaces/team-alpha/clusterdeployments/shutdown-task$');
      sandbox.faults.add({ path: read, method: 'GET', latencyMs: 0 });
      const result = client.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema, { timeout: 120_000 });
      await within('tasks/result to read the deployment', read.hit);
      proc.child.kill('SIGTERM');
      await assert.rejects(result, /unavailable: the server is shutting down; the task goes on in the cluster/);
      assert.equal(await proc.exited(), 0);
    } finally {
      sandbox.faults.clear();
      await client.close().catch(() => undefined);
      await proc.stop();
    }
  });

  it('stdio: SIGTERM with a 40 s list in flight answers it with the same error result', async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [CLI, 'stdio', '--kubeconfig-path', writeKubeconfig(sandbox.url)],
      env: cleanEnv() as Record<string, string>,
      stderr: 'pipe',
    });
    const client = new Client({ name: 'stdio-shutdown-test', version: '1' });
    await client.connect(transport);
    const slow = new SeenPattern('/clusterdeployments$');
    sandbox.faults.add({ path: slow, method: 'GET', latencyMs: 40_000 });
    try {
      const call = client.callTool({ name: 'k0.clusters.list', arguments: {} }, undefined, { timeout: 120_000 });
      await within('the list to reach the API server', slow.hit);
      process.kill(transport.pid!, 'SIGTERM');
      const result = (await call) as CallToolResult;
      assert.equal(result.isError, true, JSON.stringify(result.content));
      assert.match((result.content[0] as { text: string }).text, /^unavailable: the server stopped \(shutdown\).*nothing was written/);
    } finally {
      sandbox.faults.clear();
      await client.close().catch(() => undefined);
    }
  });
});
