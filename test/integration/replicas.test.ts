/**
 * Replicas are interchangeable: three `serve --stateless` processes on one sandbox behind a round-robin
 * loopback proxy (a Service stand-in). One MCP client, through the proxy, lists, deploys as a task, polls
 * tasks/get (answered by other replicas than the one that created the task), survives the creating replica
 * being killed mid-task, gets the result, and deletes — every answer as if from one server.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CallToolResultSchema, type CallToolResult, type Task } from '@modelcontextprotocol/sdk/types.js';
import { stopAll, type CliProcess } from '../helpers/cli-process.js';
import { deployArgs, serveOn, sandboxProcessFor, untilTerminal } from '../helpers/long-ops.js';
import { startRoundRobinProxy, type RoundRobinProxy } from '../helpers/round-robin-proxy.js';

after(stopAll);

describe('three serve --stateless replicas behind a round-robin proxy', () => {
  // Slow enough provisioning that the kill lands while the task is working.
  const sandbox = sandboxProcessFor(8, 2);
  let replicas: { proc: CliProcess; base: string }[];
  let proxy: RoundRobinProxy;
  let client: Client;

  before(async () => {
    replicas = await Promise.all([0, 1, 2].map(() => serveOn(sandbox, ['--stateless'])));
    proxy = await startRoundRobinProxy(replicas.map((r) => r.base));
    client = new Client({ name: 'replicas-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', proxy.url)));
  });
  after(async () => {
    await client?.close().catch(() => undefined);
    await proxy?.close();
    for (const r of replicas ?? []) await r.proc.stop();
  });

  const answeredBy = (rpc: string): number[] => proxy.log.filter((r) => r.rpc.includes(rpc)).map((r) => r.upstream);

  it('list: every replica answers, with the same result', async () => {
    const names: string[][] = [];
    for (let i = 0; i < 6; i++) {
      const result = (await client.callTool({ name: 'k0.clusters.list', arguments: {} })) as CallToolResult;
      assert.ok(!result.isError, JSON.stringify(result.structuredContent));
      names.push(
        (result.structuredContent as { items: { namespace: string; name: string }[] }).items.map((d) => `${d.namespace}/${d.name}`).sort(),
      );
    }
    assert.deepEqual(new Set(answeredBy('tools/call')), new Set([0, 1, 2]), 'the proxy spread the calls over all replicas');
    for (const list of names) assert.deepEqual(list, names[0]);
    assert.ok(names[0]!.includes('team-alpha/alpha-dev-cluster'));
  });

  it(
    'deploy as a task: tasks/get from other replicas, the creating replica killed mid-task, the result reported',
    { timeout: 180_000 },
    async () => {
      let task: Task | undefined;
      for await (const message of client.experimental.tasks.callToolStream(
        { name: 'k0.clusters.deploy', arguments: deployArgs('replica-task') },
        CallToolResultSchema,
        { task: {} },
      )) {
        if (message.type === 'taskCreated') {
          task = message.task;
          break;
        }
        throw new Error(`expected the task first, got ${message.type}: ${JSON.stringify(message)}`);
      }
      assert.ok(task, 'a task was created');
      assert.equal(task.status, 'working');
      const creator = answeredBy('tools/call').at(-1)!;
      assert.ok(creator >= 0);

      // The next polls go round the other replicas: each answers the task it never saw created.
      const polledBefore = proxy.log.length;
      for (let i = 0; i < 2; i++) assert.equal((await client.experimental.tasks.getTask(task.taskId)).status, 'working');
      const pollers = proxy.log
        .slice(polledBefore)
        .filter((r) => r.rpc.includes('tasks/get'))
        .map((r) => r.upstream);
      assert.ok(
        pollers.some((u) => u !== creator),
        `tasks/get answered by another replica than ${creator} (${pollers.join(', ')})`,
      );

      // The creating replica dies while the task is working.
      replicas[creator]!.proc.child.kill('SIGKILL');
      await replicas[creator]!.proc.exited();
      const afterKill = proxy.log.length;
      const seen = await untilTerminal(client, task.taskId, 1000, 150_000);
      assert.equal(seen.at(-1)?.status, 'completed', JSON.stringify(seen.at(-1)));
      assert.ok(
        seen.some((t) => t.status === 'working'),
        'still working after the replica died',
      );
      const survivors = new Set(proxy.log.slice(afterKill).map((r) => r.upstream));
      assert.ok(!survivors.has(creator) && !survivors.has(-1), `only the surviving replicas answered (${[...survivors].join(', ')})`);

      const result = (await client.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema)).structuredContent as {
        name: string;
        status: string;
        ready: boolean;
      };
      assert.deepEqual([result.name, result.status, result.ready], ['replica-task', 'created', true]);
    },
  );

  it('delete through the survivors; the list agrees everywhere', { timeout: 120_000 }, async () => {
    const deleted = (await client.callTool(
      { name: 'k0.clusters.delete', arguments: { name: 'replica-task', namespace: 'team-alpha', wait: true } },
      undefined,
      { timeout: 110_000 },
    )) as CallToolResult;
    assert.ok(!deleted.isError, JSON.stringify(deleted.structuredContent));
    assert.equal((deleted.structuredContent as { status: string }).status, 'deleted');
    for (let i = 0; i < 2; i++) {
      const listed = (await client.callTool({ name: 'k0.clusters.list', arguments: { namespace: 'team-alpha' } })) as CallToolResult;
      const names = (listed.structuredContent as { items: { name: string }[] }).items.map((d) => d.name);
      assert.ok(!names.includes('replica-task'), `still listed: ${names.join(', ')}`);
    }
  });
});
