/**
 * A declined or cancelled destructive write says what it would have done (issue 25 item 3): an update declined
 * at the confirmation lists its `changes` (the form named them), a declined delete names the deployment it left
 * in place — and nothing is written. Through a real MCP client that answers elicitation.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { ElicitRequestSchema, type CallToolResult, type ElicitRequest, type ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import { pino } from 'pino';
import { createMcpServer } from '../../src/mcp/server.js';
import { createMetricsRegistry } from '../../src/observability/metrics.js';
import { createRuntime, createSession } from '../../src/runtime/runtime.js';
import { AZURE_BASELINE, okOf, sandboxKubeConfig, testSettings } from '../helpers/clusters-harness.js';
import { sandboxFor } from '../helpers/lifecycle.js';

const CD = { group: 'k0rdent.mirantis.com', version: 'v1beta1', plural: 'clusterdeployments' };

describe('declined destructive writes list what they would have done', () => {
  const sandbox = sandboxFor({ provisionSeconds: 1, deleteSeconds: 1 });

  async function connect(answer: (request: ElicitRequest) => ElicitResult): Promise<{
    call: (name: string, args: Record<string, unknown>) => Promise<CallToolResult>;
    asked: ElicitRequest[];
    close: () => Promise<void>;
  }> {
    const runtime = createRuntime(testSettings({}), sandboxKubeConfig(sandbox), pino({ level: 'silent' }), createMetricsRegistry());
    const server = createMcpServer(runtime, createSession(runtime, { id: 'declined-test' }));
    const client = new Client({ name: 'declined-test', version: '1' }, { capabilities: { elicitation: { form: {} } } });
    const asked: ElicitRequest[] = [];
    client.setRequestHandler(ElicitRequestSchema, (request) => {
      asked.push(request);
      return answer(request);
    });
    const [a, b] = InMemoryTransport.createLinkedPair();
    await server.connect(b);
    await client.connect(a);
    await client.listTools();
    return {
      call: async (name, args) => (await client.callTool({ name, arguments: args })) as CallToolResult,
      asked,
      close: async () => {
        await client.close();
        await server.close();
      },
    };
  }

  it('an update declined at the confirmation → cancelled with the changes it would have made; nothing written', async () => {
    const session = await connect(() => ({ action: 'decline' }));
    try {
      okOf(
        await session.call('k0.clusters.deploy', {
          name: 'declined-scale',
          namespace: 'team-alpha',
          template: 'azure-standalone-cp-1-0-15',
          credential: 'azure-cluster-credential',
          config: { ...AZURE_BASELINE, workersNumber: 3 },
        }),
      );
      // The world below kcm keeps provisioning it meanwhile: "nothing written" is the object's spec and generation.
      const stored = sandbox.store.get(CD, 'team-alpha', 'declined-scale');
      const result = okOf<{ status: string; reason?: string; changes: string[] }>(
        await session.call('k0.clusters.update', {
          name: 'declined-scale',
          namespace: 'team-alpha',
          config: { workersNumber: 1, controlPlane: { vmSize: 'Standard_A8_v2' } },
        }),
      );
      assert.equal(result.status, 'cancelled');
      assert.match(result.reason ?? '', /declined .*nothing was written/);
      assert.deepEqual(result.changes.sort(), [
        'config.controlPlane.vmSize: "Standard_A4_v2" → "Standard_A8_v2"',
        'config.workersNumber: 3 → 1',
      ]);
      // The same change the user was asked about.
      assert.equal(session.asked.length, 1);
      assert.match((session.asked[0]!.params as { message: string }).message, /config\.workersNumber: 3 → 1 \(and 1 other change\(s\)\)/);
      const after = sandbox.store.get(CD, 'team-alpha', 'declined-scale');
      assert.equal(after?.metadata.generation, stored?.metadata.generation, 'nothing written');
      assert.deepEqual(after?.spec, stored?.spec);
    } finally {
      await session.close();
    }
  });

  it('a delete cancelled at the confirmation → cancelled naming the deployment it would have deleted; nothing written', async () => {
    const session = await connect(() => ({ action: 'cancel' }));
    try {
      const object = sandbox.store.get(CD, 'team-alpha', 'alpha-dev-cluster');
      assert.ok(object);
      const result = okOf<{ status: string; reason?: string; object?: Record<string, string> }>(
        await session.call('k0.clusters.delete', { name: 'alpha-dev-cluster', namespace: 'team-alpha' }),
      );
      assert.equal(result.status, 'cancelled');
      assert.match(result.reason ?? '', /cancelled .*nothing was deleted/);
      assert.deepEqual(result.object, {
        uid: object.metadata.uid,
        template: (object.spec as { template: string }).template,
        credential: (object.spec as { credential: string }).credential,
        createdAt: object.metadata.creationTimestamp,
      });
      const after = sandbox.store.get(CD, 'team-alpha', 'alpha-dev-cluster');
      assert.equal(after?.metadata.deletionTimestamp, undefined, 'nothing deleted');
      assert.equal(after?.metadata.uid, object.metadata.uid);
    } finally {
      await session.close();
    }
  });
});
