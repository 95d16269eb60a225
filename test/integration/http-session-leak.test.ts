/**
 * A token-less local client that leaks sessions (the SDK client and the Inspector never send DELETE) does
 * not lock out the next one (issue 18 item 5): at SESSION_LIMIT_PER_CALLER the caller's least recently
 * active idle session gives way, with a log line; a session with a request in flight is never taken.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { pino } from 'pino';
import { SessionTable, type TableEntry } from '../../src/http/session-table.js';
import { createMetricsRegistry } from '../../src/observability/metrics.js';
import { startServeApp, type ServeApp } from '../helpers/serve-app.js';

const LIMIT = 100;
const LEAKED = 150;

describe('leaked sessions of a token-less local client', () => {
  let serve: ServeApp;
  before(async () => {
    // No API server is needed: initialize never touches Kubernetes.
    serve = await startServeApp({ kubeconfig: unreachable() }, { sessionLimitPerCaller: LIMIT });
  });
  after(async () => {
    await serve?.close();
  });

  it(`${LEAKED} leaked sessions, then a new client: it gets a session, and the eviction is logged`, async () => {
    for (let i = 0; i < LEAKED; i++) {
      const client = new Client({ name: `leaky-${i}`, version: '1' });
      const transport = new StreamableHTTPClientTransport(serve.url);
      await client.connect(transport);
      assert.ok(transport.sessionId, `leaked session ${i} was admitted`);
      // Closing the client ends its streams but not the server's session: no DELETE, as the SDK client does.
      await client.close();
    }
    const fresh = new Client({ name: 'next-client', version: '1' });
    const transport = new StreamableHTTPClientTransport(serve.url);
    await fresh.connect(transport);
    assert.ok(transport.sessionId);
    const { tools } = await fresh.listTools();
    assert.ok(tools.length > 0);
    await transport.terminateSession();
    await fresh.close();

    const evictions = serve.logs.filter((l) => /least recently active idle session/.test(String(l.msg)));
    assert.equal(evictions.length, LEAKED + 1 - LIMIT, 'one logged eviction per session over the cap');
    assert.equal(evictions[0]?.['caller'], 'addr:127.0.0.1');
    assert.ok(serve.app.server.listening);
    assert.match(await serve.runtime.metrics.metrics(), new RegExp(`^mcp_sessions ${LIMIT - 1}$`, 'm'));
  });
});

describe('the per-caller cap keeps sessions that are working', () => {
  it("only the caller's own idle sessions give way; busy ones never do, then 429", () => {
    const table = new SessionTable<TableEntry>({
      maxSessions: 10,
      perCaller: 2,
      idleMs: 60_000,
      logger: pino({ level: 'silent' }),
      metrics: createMetricsRegistry(),
    });
    const closed: string[] = [];
    const entry = (id: string, caller: string, busy: boolean, lastActivity: number): TableEntry => ({
      caller,
      pending: new Set(busy ? [1] : []),
      lastActivity,
      close: async () => void closed.push(id),
    });
    try {
      table.add('a-busy', entry('a-busy', 'addr:a', true, 1));
      table.add('a-idle', entry('a-idle', 'addr:a', false, 2));
      table.add('b-idle', entry('b-idle', 'addr:b', false, 0));
      assert.deepEqual(table.admit('addr:a'), { ok: true });
      assert.deepEqual(closed, ['a-idle'], "the caller's idle session gave way, not the busy one nor another caller's");
      table.add('a-new', entry('a-new', 'addr:a', true, 3));
      const refused = table.admit('addr:a');
      assert.equal(refused.ok, false);
      assert.equal(refused.ok === false && refused.status, 429);
      assert.deepEqual(closed, ['a-idle']);
    } finally {
      table.stop();
    }
  });
});

function unreachable(): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters: [{name: none, cluster: {server: "http://127.0.0.1:1"}}]',
    'users: [{name: u, user: {}}]',
    'contexts: [{name: c, context: {cluster: none, user: u}}]',
    'current-context: c',
  ].join('\n');
}
