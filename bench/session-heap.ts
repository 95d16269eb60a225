/**
 * Server-side memory per MCP session, in process and after a full GC (needs `node --expose-gc`): the
 * Session, its McpServer/Server and a connected transport, built the way the server builds them, N at a
 * time. Less noisy than RSS; the RSS of a real `serve` with 200 sessions is measured in process.ts.
 */
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { pino } from 'pino';
import { KubeIdentities } from '../src/kube/identity.js';
import { createMcpServer } from '../src/mcp/server.js';
import { createMetricsRegistry } from '../src/observability/metrics.js';
import { createRuntime, createSession } from '../src/runtime/runtime.js';
import { testSettings } from '../test/helpers/clusters-harness.js';

function heapAfterGc(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) return Number.NaN;
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** KiB of heap per session (NaN without --expose-gc). */
export async function heapPerSession(count: number): Promise<number> {
  const metrics = createMetricsRegistry();
  const kube = new KubeIdentities({ loadBase: () => Promise.reject(new Error('no API in this measurement')), metrics });
  const runtime = createRuntime(testSettings({ logLevel: 'error' }), kube, pino({ level: 'silent' }), metrics);
  const held: unknown[] = [];
  const open = async (): Promise<void> => {
    const session = createSession(runtime, { id: `s${held.length}` });
    const server = createMcpServer(runtime, session);
    const [, serverTransport] = InMemoryTransport.createLinkedPair();
    await server.connect(serverTransport);
    held.push(server, session, serverTransport);
  };
  await open();
  const before = heapAfterGc();
  for (let i = 0; i < count; i++) await open();
  const after = heapAfterGc();
  return (after - before) / count / 1024;
}

/** KiB of heap of one SDK default validator (a fresh Ajv with formats): what each Server built before it was shared. */
export async function heapPerDefaultValidator(count: number): Promise<number> {
  const { AjvJsonSchemaValidator } = await import('@modelcontextprotocol/sdk/validation/ajv');
  const held: unknown[] = [new AjvJsonSchemaValidator()];
  const before = heapAfterGc();
  for (let i = 0; i < count; i++) held.push(new AjvJsonSchemaValidator());
  const after = heapAfterGc();
  return held.length > 0 ? (after - before) / count / 1024 : 0;
}
