/**
 * Delete, and an update that lowers a count or changes the template, ask the user through MCP elicitation
 * (CONFIRM_DESTRUCTIVE=auto) when the client declared it:
 * typing the name deletes, declining returns `cancelled` with nothing written; a client without the
 * capability, or CONFIRM_DESTRUCTIVE=never, deletes as before without a question.
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
import type { Settings } from '../../src/runtime/types.js';
import { AZURE_BASELINE, sandboxKubeConfig, testSettings } from '../helpers/clusters-harness.js';
import { sandboxFor } from '../helpers/lifecycle.js';

const CD = { group: 'k0rdent.mirantis.com', version: 'v1beta1', plural: 'clusterdeployments' };

type Answer = (request: ElicitRequest) => ElicitResult;

describe('delete confirmation by elicitation', () => {
  const sandbox = sandboxFor({ provisionSeconds: 1, deleteSeconds: 1 });
  /** A real SDK client over an in-memory pair; `answer` set → it declares elicitation and answers with it. */
  async function connect(
    answer: Answer | undefined,
    overrides: Partial<Settings> = {},
  ): Promise<{ client: Client; asked: ElicitRequest[]; close: () => Promise<void> }> {
    const runtime = createRuntime(testSettings(overrides), sandboxKubeConfig(sandbox), pino({ level: 'silent' }), createMetricsRegistry());
    const server = createMcpServer(runtime, createSession(runtime, { id: 'confirm-test' }));
    const client = new Client({ name: 'confirm-test', version: '1' }, answer ? { capabilities: { elicitation: { form: {} } } } : {});
    const asked: ElicitRequest[] = [];
    if (answer) {
      client.setRequestHandler(ElicitRequestSchema, (request) => {
        asked.push(request);
        return answer(request);
      });
    }
    const [a, b] = InMemoryTransport.createLinkedPair();
    await server.connect(b);
    await client.connect(a);
    return {
      client,
      asked,
      close: async () => {
        await client.close();
        await server.close();
      },
    };
  }

  async function deployed(client: Client, name: string): Promise<void> {
    const result = (await client.callTool({
      name: 'k0.clusters.deploy',
      arguments: {
        name,
        namespace: 'team-alpha',
        template: 'azure-standalone-cp-1-0-15',
        credential: 'azure-cluster-credential',
        config: AZURE_BASELINE,
      },
    })) as CallToolResult;
    assert.ok(!result.isError, JSON.stringify(result.content));
  }

  const remove = async (client: Client, name: string): Promise<{ status: string; reason?: string }> => {
    const result = (await client.callTool({ name: 'k0.clusters.delete', arguments: { name, namespace: 'team-alpha' } })) as CallToolResult;
    assert.ok(!result.isError, JSON.stringify(result.content));
    return result.structuredContent as { status: string; reason?: string };
  };
  const stored = (name: string) => sandbox.store.get(CD, 'team-alpha', name);

  it('accept with the typed name → deleted; the form names the object, its template and creation time', async () => {
    const { client, asked, close } = await connect((request) => {
      const params = request.params as { message: string };
      return { action: 'accept', content: { name: /Type the name "([^"]+)"/.exec(params.message)?.[1] ?? '' } };
    });
    await deployed(client, 'confirm-accept');
    assert.equal((await remove(client, 'confirm-accept')).status, 'deleted');
    assert.equal(asked.length, 1);
    const message = (asked[0]!.params as { message: string }).message;
    assert.match(
      message,
      /^Delete ClusterDeployment team-alpha\/confirm-accept, template azure-standalone-cp-1-0-15, credential azure-cluster-credential, created \d{4}-/,
    );
    const object = stored('confirm-accept');
    assert.ok(object === undefined || object.metadata.deletionTimestamp !== undefined, 'the deletion started');
    await close();
  });

  it('decline → cancelled, nothing deleted; a wrong name is no confirmation either', async () => {
    const { client, close } = await connect(() => ({ action: 'decline' }));
    await deployed(client, 'confirm-decline');
    const declined = await remove(client, 'confirm-decline');
    assert.equal(declined.status, 'cancelled');
    assert.match(declined.reason ?? '', /declined/);
    assert.equal(stored('confirm-decline')?.metadata.deletionTimestamp, undefined, 'the object is still there, not deleting');
    await close();

    const wrong = await connect(() => ({ action: 'accept', content: { name: 'something-else' } }));
    const typo = await remove(wrong.client, 'confirm-decline');
    assert.equal(typo.status, 'cancelled');
    assert.match(typo.reason ?? '', /"something-else" is not "confirm-decline"/);
    assert.equal(stored('confirm-decline')?.metadata.deletionTimestamp, undefined);
    await wrong.close();
  });

  it('a client without elicitation, or CONFIRM_DESTRUCTIVE=never → deleted as today, nobody asked', async () => {
    const plain = await connect(undefined);
    await deployed(plain.client, 'confirm-plain');
    assert.equal((await remove(plain.client, 'confirm-plain')).status, 'deleted');
    await plain.close();

    const never = await connect(
      () => {
        throw new Error('must not be asked');
      },
      { confirmDestructive: 'never' },
    );
    await deployed(never.client, 'confirm-never');
    assert.equal((await remove(never.client, 'confirm-never')).status, 'deleted');
    assert.equal(never.asked.length, 0);
    await never.close();
  });

  it('update: lowering a count asks (decline → cancelled, nothing written; accept → updated); raising one does not', async () => {
    const declined = await connect(() => ({ action: 'decline' }));
    await deployed(declined.client, 'confirm-scale');
    const update = async (client: Client, workersNumber: number): Promise<{ status: string; reason?: string; changes: string[] }> => {
      const result = (await client.callTool({
        name: 'k0.clusters.update',
        arguments: { name: 'confirm-scale', namespace: 'team-alpha', config: { workersNumber } },
      })) as CallToolResult;
      assert.ok(!result.isError, JSON.stringify(result.content));
      return result.structuredContent as { status: string; reason?: string; changes: string[] };
    };
    const workers = (): unknown =>
      (stored('confirm-scale')?.spec as { config?: { workersNumber?: unknown } } | undefined)?.config?.workersNumber;

    const raised = await update(declined.client, 3);
    assert.equal(raised.status, 'updated', 'raising a count is not destructive: nobody is asked');
    assert.equal(declined.asked.length, 0);
    const refused = await update(declined.client, 1);
    assert.equal(refused.status, 'cancelled');
    assert.equal(workers(), 3, 'nothing written');
    assert.match(
      (declined.asked[0]!.params as { message: string }).message,
      /^Update ClusterDeployment team-alpha\/confirm-scale: config\.workersNumber: 3 → 1/,
    );
    await declined.close();

    const accepted = await connect(() => ({ action: 'accept', content: { name: 'confirm-scale' } }));
    assert.equal((await update(accepted.client, 1)).status, 'updated');
    assert.equal(workers(), 1);
    await accepted.close();
  });
});
