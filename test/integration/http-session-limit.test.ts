/**
 * Stateful /mcp keeps at most `maxSessions` live sessions: one more initialize is refused with 503 and
 * Retry-After, and a session ended by its client frees its place.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { createMcpEndpoint, type McpEndpoint } from '../../src/http/mcp-endpoint.js';
import { KubeIdentities } from '../../src/kube/identity.js';
import { createMetricsRegistry } from '../../src/observability/metrics.js';
import { createRuntime } from '../../src/runtime/runtime.js';
import { testSettings } from '../helpers/clusters-harness.js';

const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'limit-test', version: '1' } },
};
const HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

describe('stateful MCP session limit', () => {
  let endpoint: McpEndpoint;
  let server: Server;
  let url: string;

  before(async () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'none', server: 'http://127.0.0.1:1', skipTLSVerify: true }],
      users: [{ name: 'u' }],
      contexts: [{ name: 'c', cluster: 'none', user: 'u' }],
      currentContext: 'c',
    });
    const metrics = createMetricsRegistry();
    const runtime = createRuntime(
      testSettings(),
      new KubeIdentities({ loadBase: async () => kc, metrics }),
      pino({ level: 'silent' }),
      metrics,
    );
    endpoint = createMcpEndpoint(runtime, { stateless: false, maxSessions: 2 });
    server = createServer((req, res) => void endpoint.handle(req, res, undefined));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}/mcp`;
  });
  after(async () => {
    await endpoint.closeAll();
    await new Promise((resolve) => server.close(resolve));
  });

  it('refuses the session over the limit with 503 and Retry-After; a closed session frees its place', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const res = await fetch(url, { method: 'POST', headers: HEADERS, body: JSON.stringify(INITIALIZE) });
      assert.equal(res.status, 200);
      await res.text();
      ids.push(res.headers.get('mcp-session-id') ?? '');
    }
    assert.equal(endpoint.sessionCount, 2);

    const refused = await fetch(url, { method: 'POST', headers: HEADERS, body: JSON.stringify(INITIALIZE) });
    assert.equal(refused.status, 503);
    assert.equal(refused.headers.get('retry-after'), '60');
    assert.match(((await refused.json()) as { error: { message: string } }).error.message, /Too many MCP sessions \(2\)/);
    assert.equal(endpoint.sessionCount, 2);

    const ended = await fetch(url, {
      method: 'DELETE',
      headers: { ...HEADERS, 'mcp-session-id': ids[0]!, 'mcp-protocol-version': '2025-06-18' },
    });
    assert.equal(ended.status, 200);
    await ended.text();
    assert.equal(endpoint.sessionCount, 1);
    const again = await fetch(url, { method: 'POST', headers: HEADERS, body: JSON.stringify(INITIALIZE) });
    assert.equal(again.status, 200);
    await again.text();
  });
});
