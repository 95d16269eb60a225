/**
 * Tasks across processes on one sandbox: a deploy task created through a stateful `serve` is polled through
 * a second `serve --stateless` with the same answers, keeps being answered after the first server is
 * killed mid-task, and completes with the waited call's result. Delete as a task ends when the object is gone.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { stopAll } from '../helpers/cli-process.js';
import { createTask, deployArgs, serveOn, sandboxProcessFor, untilTerminal } from '../helpers/long-ops.js';

after(stopAll);

async function connect(base: string, name: string): Promise<Client> {
  const client = new Client({ name, version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', base)));
  await client.listTools();
  return client;
}

describe('tasks across serve processes', () => {
  const sandbox = sandboxProcessFor(8, 3);

  it('created through one server, polled through serve --stateless, survives the first server being killed', async () => {
    const first = await serveOn(sandbox);
    const second = await serveOn(sandbox, ['--stateless']);
    const a = await connect(first.base, 'task-a');
    const b = await connect(second.base, 'task-b');

    const task = await createTask(a, 'k0.clusters.deploy', deployArgs('proc-task'));
    assert.equal(task.status, 'working');
    const viaA = await a.experimental.tasks.getTask(task.taskId);
    const viaB = await b.experimental.tasks.getTask(task.taskId);
    assert.equal(viaB.status, 'working');
    assert.equal(viaB.createdAt, viaA.createdAt);
    assert.equal(viaB.statusMessage?.replace(/, \d+s$/, ''), viaA.statusMessage?.replace(/, \d+s$/, ''));

    first.proc.child.kill('SIGKILL');
    await first.proc.exited();
    const seen = await untilTerminal(b, task.taskId, 2000);
    assert.equal(seen.at(-1)?.status, 'completed');
    assert.ok(
      seen.some((t) => t.status === 'working'),
      'it was still working after the first server died',
    );
    const result = (await b.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema)).structuredContent as {
      ready: boolean;
      status: string;
      name: string;
    };
    assert.deepEqual([result.name, result.status, result.ready], ['proc-task', 'created', true]);

    // A restarted stateful server answers the same id too.
    const restarted = await serveOn(sandbox);
    const c = await connect(restarted.base, 'task-c');
    assert.equal((await c.experimental.tasks.getTask(task.taskId)).status, 'completed');

    const deletion = await createTask(b, 'k0.clusters.delete', { name: 'proc-task', namespace: 'team-alpha' });
    const deleted = await untilTerminal(c, deletion.taskId);
    assert.equal(deleted.at(-1)?.status, 'completed');
    const gone = (await c.experimental.tasks.getTaskResult(deletion.taskId, CallToolResultSchema)).structuredContent as { gone: boolean };
    assert.equal(gone.gone, true);
    await b.close();
    await c.close();
    await second.proc.stop();
    await restarted.proc.stop();
  });
});
