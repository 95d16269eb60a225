/**
 * Computes what the server answers to `initialize`, `tools/list`, `prompts/list` and `resources/templates/list` for
 * some settings, by asking a real server
 * (createMcpServer) over an in-memory transport: the build writes them for the stdio front (./start-cache.ts), and
 * the tests compare them with the server's own answers.
 */
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { LATEST_PROTOCOL_VERSION, SUPPORTED_PROTOCOL_VERSIONS, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { Settings } from '../config/types.js';
import { KubeIdentities } from '../kube/identity.js';
import { createMcpServer } from '../mcp/server.js';
import { createLogger } from '../observability/logger.js';
import { createMetricsRegistry } from '../observability/metrics.js';
import { createRuntime, createSession } from '../runtime/runtime.js';
import type { StartAnswers, StartAnswersFile } from './start-cache.js';

export const PROTOCOL: StartAnswersFile['protocol'] = { latest: LATEST_PROTOCOL_VERSION, supported: [...SUPPORTED_PROTOCOL_VERSIONS] };

/** The start answers of a server with these settings (no Kubernetes call is made: none of them needs one). */
export async function computeStartAnswers(settings: Settings): Promise<StartAnswers> {
  const metrics = createMetricsRegistry();
  const kube = new KubeIdentities({ loadBase: () => Promise.reject(new Error('start answers need no Kubernetes client')), metrics });
  const runtime = createRuntime(settings, kube, createLogger('error'), metrics);
  const session = createSession(runtime, { id: 'start-answers' });
  const server = createMcpServer(runtime, session);
  const [client, transport] = InMemoryTransport.createLinkedPair();
  const answered = new Map<number, Record<string, unknown>>();
  client.onmessage = (message: JSONRPCMessage) => {
    if ('id' in message && typeof message.id === 'number') answered.set(message.id, message as unknown as Record<string, unknown>);
  };
  await server.connect(transport);
  await client.start();
  const ask = async (id: number, method: string, params?: Record<string, unknown>): Promise<Record<string, unknown>> => {
    await client.send({ jsonrpc: '2.0', id, method, ...(params !== undefined ? { params } : {}) });
    for (let i = 0; i < 100 && !answered.has(id); i++) await new Promise((resolve) => setImmediate(resolve));
    const response = answered.get(id);
    if (response === undefined || !('result' in response)) throw new Error(`${method}: ${JSON.stringify(response)}`);
    return response.result as Record<string, unknown>;
  };
  try {
    const initialize = await ask(1, 'initialize', {
      protocolVersion: LATEST_PROTOCOL_VERSION,
      capabilities: {},
      clientInfo: { name: 'start-answers', version: '1' },
    });
    await client.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    const toolsList = await ask(2, 'tools/list');
    const promptsList = await ask(3, 'prompts/list');
    const resourceTemplatesList = await ask(4, 'resources/templates/list');
    return { initialize, toolsList, promptsList, resourceTemplatesList };
  } finally {
    await server.close();
    session.close();
    runtime.kube.close();
  }
}
