/**
 * deploy and delete as MCP tasks (2025-11-25) with a real SDK client: the task comes back as soon as the
 * write is done, tasks/get goes working → completed computed from the ClusterDeployment, tasks/result is
 * what the waited call returns, tasks/cancel stops following and deletes nothing, and a call that ends
 * before anything is left to follow is a settled task holding its result. No task state in memory: a
 * second, fresh server (another session) answers the same task id the same way.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { CallToolResultSchema, type CallToolResult, type Task } from '@modelcontextprotocol/sdk/types.js';
import { pino } from 'pino';
import { createMcpServer } from '../../src/mcp/server.js';
import { createMetricsRegistry } from '../../src/observability/metrics.js';
import { createRuntime, createSession } from '../../src/runtime/runtime.js';
import { CANCELLED_TASKS_ANNOTATION } from '../../src/tasks/cluster-task-store.js';
import { AZURE_BASELINE, sandboxKubeConfig, testSettings } from '../helpers/clusters-harness.js';
import { createTask, untilTerminal } from '../helpers/long-ops.js';
import { sandboxFor } from '../helpers/lifecycle.js';

const CD = { group: 'k0rdent.mirantis.com', version: 'v1beta1', plural: 'clusterdeployments' };
const DEPLOY = {
  namespace: 'team-alpha',
  template: 'azure-standalone-cp-1-0-15',
  credential: 'azure-cluster-credential',
  config: AZURE_BASELINE,
};

describe('deploy and delete as MCP tasks', () => {
  const sandbox = sandboxFor({ provisionSeconds: 3, deleteSeconds: 2 });
  const clients: Client[] = [];
  after(async () => {
    for (const client of clients) await client.close();
  });

  /** A fresh server (own session, own store) and a real SDK client on it. */
  async function connect(): Promise<Client> {
    const runtime = createRuntime(testSettings(), sandboxKubeConfig(sandbox), pino({ level: 'silent' }), createMetricsRegistry());
    const server = createMcpServer(runtime, createSession(runtime, { id: `tasks-${clients.length}` }));
    const client = new Client({ name: 'tasks-test', version: '1' });
    const [a, b] = InMemoryTransport.createLinkedPair();
    await server.connect(b);
    await client.connect(a);
    await client.listTools();
    clients.push(client);
    return client;
  }

  const terminal = (client: Client, taskId: string): Promise<Task[]> => untilTerminal(client, taskId, 200);

  it('tools/list declares execution.taskSupport optional on deploy and delete only; the server declares tasks', async () => {
    const client = await connect();
    const { tools } = await client.listTools();
    const support = Object.fromEntries(tools.map((t) => [t.name, t.execution?.taskSupport]));
    assert.equal(support['k0.clusters.deploy'], 'optional');
    assert.equal(support['k0.clusters.delete'], 'optional');
    assert.equal(support['k0.clusters.update'], 'optional');
    assert.equal(support['k0.clusters.list'], undefined);
    assert.deepEqual(client.getServerCapabilities()?.tasks, { cancel: {}, requests: { tools: { call: {} } } });
  });

  it('deploy as a task: created at once, working → completed, tasks/result has ready: true; another server reads the same', async () => {
    const client = await connect();
    const task = await createTask(client, 'k0.clusters.deploy', { name: 'task-deploy', ...DEPLOY, wait: true });
    assert.equal(task.status, 'working');
    const stored = sandbox.store.get(CD, 'team-alpha', 'task-deploy');
    assert.ok(stored, 'the write is done when the task is created');
    const conditions = (stored.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? [];
    assert.notEqual(conditions.find((c) => c.type === 'Ready')?.status, 'True', 'created before Ready');

    const seen = await terminal(client, task.taskId);
    assert.equal(seen[0]?.status, 'working');
    assert.match(seen[0]?.statusMessage ?? '', /^(Pending|Provisioning): \w+ \(\d\/6\), \d+s$/);
    assert.equal(seen.at(-1)?.status, 'completed');
    const result = (await client.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema)) as CallToolResult;
    const value = result.structuredContent as {
      name: string;
      namespace: string;
      uid: string;
      status: string;
      ready: boolean;
      timedOut: boolean;
      phase: string;
    };
    assert.deepEqual(
      [value.name, value.namespace, value.status, value.ready, value.timedOut, value.phase],
      ['task-deploy', 'team-alpha', 'created', true, false, 'Ready'],
    );
    assert.equal(value.uid, stored.metadata.uid);

    const other = await connect();
    assert.equal((await other.experimental.tasks.getTask(task.taskId)).status, 'completed');
    assert.deepEqual((await other.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema)).structuredContent, value);
    // update as a task follows the new generation to Ready.
    const update = await createTask(client, 'k0.clusters.update', {
      name: 'task-deploy',
      namespace: 'team-alpha',
      config: { workersNumber: 2 },
    });
    assert.equal(update.status, 'working');
    assert.equal((await terminal(client, update.taskId)).at(-1)?.status, 'completed');
    const updated = (await client.experimental.tasks.getTaskResult(update.taskId, CallToolResultSchema)).structuredContent as {
      status: string;
      ready: boolean;
      generation: number;
      changes: string[];
    };
    assert.deepEqual([updated.status, updated.ready, updated.generation], ['updated', true, 2]);
    assert.deepEqual(updated.changes, ['config.workersNumber: 1 → 2']);
  });

  it('delete as a task ends when the object is gone; cancel stops following and deletes nothing', async () => {
    const client = await connect();
    const created = (await client.callTool({
      name: 'k0.clusters.deploy',
      arguments: { name: 'task-cancel', ...DEPLOY },
    })) as CallToolResult;
    assert.ok(!created.isError);
    const task = await createTask(client, 'k0.clusters.deploy', { name: 'task-cancel', ...DEPLOY });
    const cancelled = await client.experimental.tasks.cancelTask(task.taskId);
    assert.equal(cancelled.status, 'cancelled');
    const object = sandbox.store.get(CD, 'team-alpha', 'task-cancel');
    assert.ok(object && object.metadata.deletionTimestamp === undefined, 'cancel deleted nothing');
    assert.ok(
      String(object.metadata.annotations?.[CANCELLED_TASKS_ANNOTATION] ?? '').length > 0,
      'the cancellation is recorded on the object',
    );
    assert.equal(
      (await (await connect()).experimental.tasks.getTask(task.taskId)).status,
      'cancelled',
      'every server sees the cancellation',
    );

    const deletion = await createTask(client, 'k0.clusters.delete', { name: 'task-cancel', namespace: 'team-alpha' });
    assert.equal(deletion.status, 'working');
    const seen = await terminal(client, deletion.taskId);
    assert.equal(seen.at(-1)?.status, 'completed');
    assert.equal(sandbox.store.get(CD, 'team-alpha', 'task-cancel'), undefined, 'completed means gone');
    const result = (await client.experimental.tasks.getTaskResult(deletion.taskId, CallToolResultSchema)).structuredContent as {
      status: string;
      gone: boolean;
    };
    assert.deepEqual([result.status, result.gone], ['deleted', true]);
  });

  it('a call that ends at once is a settled task: bad input → failed with the coded error; nothing to delete → completed', async () => {
    const client = await connect();
    const bad = await createTask(client, 'k0.clusters.deploy', { name: 'Not_A_Name', ...DEPLOY });
    assert.equal(bad.status, 'failed');
    const error = (await client.experimental.tasks.getTaskResult(bad.taskId, CallToolResultSchema)) as CallToolResult;
    assert.equal(error.isError, true);
    assert.equal((error.structuredContent as { error: { code: string } }).error.code, 'invalidParams');
    assert.equal(sandbox.store.get(CD, 'team-alpha', 'Not_A_Name'), undefined);

    const none = await createTask(client, 'k0.clusters.delete', { name: 'task-never-there', namespace: 'team-alpha' });
    assert.equal(none.status, 'completed');
    assert.equal(
      ((await client.experimental.tasks.getTaskResult(none.taskId, CallToolResultSchema)).structuredContent as { status: string }).status,
      'not_found',
    );
  });

  it('a task of a namespace the caller may not read is not found; a forged id is not found', async () => {
    const client = await connect();
    const task = await createTask(client, 'k0.clusters.deploy', { name: 'task-policy', ...DEPLOY });
    const runtime = createRuntime(
      testSettings({ namespaceFilter: /^finance$/ }),
      sandboxKubeConfig(sandbox),
      pino({ level: 'silent' }),
      createMetricsRegistry(),
    );
    const server = createMcpServer(runtime, createSession(runtime, { id: 'filtered' }));
    const filtered = new Client({ name: 'filtered', version: '1' });
    const [a, b] = InMemoryTransport.createLinkedPair();
    await server.connect(b);
    await filtered.connect(a);
    clients.push(filtered);
    await assert.rejects(filtered.experimental.tasks.getTask(task.taskId), /Task not found/);
    await assert.rejects(client.experimental.tasks.getTask('k0t1.not-a-task'), /Task not found/);
  });
});
