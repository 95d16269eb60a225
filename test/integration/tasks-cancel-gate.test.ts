/**
 * tasks/cancel passes the gate of every write (issue 18 item 3): a forged task id naming a real
 * ClusterDeployment writes nothing on a READ_ONLY server, nor in a namespace the filter does not let the
 * server change (the sandbox's own write counter); an unrestricted server records the same cancellation
 * (one write: the counter sees a cancel's write). An unknown 3 MB task id is answered in a few hundred bytes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { CallToolResultSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { pino } from 'pino';
import { createMcpServer } from '../../src/mcp/server.js';
import { createMetricsRegistry } from '../../src/observability/metrics.js';
import { createRuntime, createSession } from '../../src/runtime/runtime.js';
import type { Settings } from '../../src/runtime/types.js';
import { CANCELLED_TASKS_ANNOTATION } from '../../src/tasks/cluster-task-store.js';
import { encodeTaskId } from '../../src/tasks/task-id.js';
import { AZURE_BASELINE, sandboxKubeConfig, sandboxWriteCount, testSettings } from '../helpers/clusters-harness.js';
import { sandboxFor } from '../helpers/lifecycle.js';

const CD = { group: 'k0rdent.mirantis.com', version: 'v1beta1', plural: 'clusterdeployments' };

describe('tasks/cancel obeys the gate of every write', () => {
  const sandbox = sandboxFor({ provisionSeconds: 600 });
  const clients: Client[] = [];
  let forged: string;

  async function connect(overrides: Partial<Settings> = {}): Promise<Client> {
    const runtime = createRuntime(testSettings(overrides), sandboxKubeConfig(sandbox), pino({ level: 'silent' }), createMetricsRegistry());
    const server = createMcpServer(runtime, createSession(runtime, { id: `cancel-gate-${clients.length}` }));
    const client = new Client({ name: 'cancel-gate', version: '1' });
    const [a, b] = InMemoryTransport.createLinkedPair();
    await server.connect(b);
    await client.connect(a);
    clients.push(client);
    return client;
  }

  before(async () => {
    // A real deployment in the global namespace, which a filter of team namespaces lets read but not change.
    const operator = await connect();
    const deployed = (await operator.callTool({
      name: 'k0.clusters.deploy',
      arguments: {
        name: 'global-target',
        namespace: 'kcm-system',
        template: 'azure-standalone-cp-1-0-15',
        credential: 'azure-cluster-credential',
        config: AZURE_BASELINE,
      },
    })) as CallToolResult;
    assert.ok(!deployed.isError, JSON.stringify(deployed.content));
    const object = sandbox.store.get(CD, 'kcm-system', 'global-target');
    assert.ok(object);
    // Never issued by any server: every field chosen by the forger.
    forged = encodeTaskId({
      kind: 'follow',
      op: 'deploy',
      namespace: 'kcm-system',
      name: 'global-target',
      uid: object.metadata.uid as string,
      generation: 1,
      created: Date.now(),
      timeoutMs: 3_600_000,
      result: {},
      nonce: 'forged',
    });
  });
  after(async () => {
    for (const client of clients) await client.close();
  });

  const annotation = (): unknown =>
    sandbox.store.get(CD, 'kcm-system', 'global-target')?.metadata.annotations?.[CANCELLED_TASKS_ANNOTATION];

  it('on a READ_ONLY server: refused, 0 writes', async () => {
    const client = await connect({ readOnly: true });
    const before = await sandboxWriteCount(sandbox);
    await assert.rejects(client.experimental.tasks.cancelTask(forged), /forbidden: the server runs read-only \(READ_ONLY=true\)/);
    assert.equal(await sandboxWriteCount(sandbox), before, 'nothing written');
    assert.equal(annotation(), undefined);
  });

  it('in a namespace the filter does not let the server change: refused, 0 writes', async () => {
    const client = await connect({ namespaceFilter: /^team-/ });
    assert.equal((await client.experimental.tasks.getTask(forged)).status, 'working', 'the namespace is readable: the task is seen');
    const before = await sandboxWriteCount(sandbox);
    await assert.rejects(
      client.experimental.tasks.cancelTask(forged),
      /forbidden: namespace kcm-system is outside the namespaces this server may change/,
    );
    assert.equal(await sandboxWriteCount(sandbox), before, 'nothing written');
    assert.equal(annotation(), undefined);
  });

  it('where the server may write, the same cancellation is recorded: one write', async () => {
    const client = await connect();
    const before = await sandboxWriteCount(sandbox);
    assert.equal((await client.experimental.tasks.cancelTask(forged)).status, 'cancelled');
    assert.equal(await sandboxWriteCount(sandbox), before + 1);
    assert.equal(annotation(), 'forged');
  });

  it('a 3 MB unknown task id: tasks/get, tasks/result and tasks/cancel answer in under 1 KB', async () => {
    const client = await connect();
    const huge = `k0t1.${'A'.repeat(3 * 1024 * 1024)}`;
    for (const attempt of [
      () => client.experimental.tasks.getTask(huge),
      () => client.experimental.tasks.getTaskResult(huge, CallToolResultSchema),
      () => client.experimental.tasks.cancelTask(huge),
    ]) {
      const error = await attempt().then(
        () => assert.fail('an unknown task id is not found'),
        (e: unknown) => e as Error,
      );
      assert.match(error.message, /Task not found/);
      assert.ok(error.message.length < 1024, `${error.message.length} characters`);
    }
  });
});
