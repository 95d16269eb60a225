/**
 * Stateful sessions: a per-caller cap under the global one (bearer fingerprint, else remote address), the
 * mcp_sessions gauge, and the idle sweep that never closes a session with a request in flight.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { pino } from 'pino';
import { createHttpApp, type HttpApp } from '../../src/http/app.js';
import { createMcpEndpoint, type McpEndpoint } from '../../src/http/mcp-endpoint.js';
import { createMetricsRegistry } from '../../src/observability/metrics.js';
import { createRuntime } from '../../src/runtime/runtime.js';
import { AZURE_BASELINE, sandboxKubeConfig, testSettings } from '../helpers/clusters-harness.js';
import { scaled, until } from '../helpers/until.js';
import { sandboxFor } from '../helpers/lifecycle.js';

const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'sessions-test', version: '1' } },
};
const HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

describe('per-caller session cap', () => {
  let endpoint: McpEndpoint;
  let server: Server;
  let url: string;
  const metrics = createMetricsRegistry();

  before(async () => {
    const runtime = createRuntime(testSettings(), unreachableKubeConfig(), pino({ level: 'silent' }), metrics);
    endpoint = createMcpEndpoint(runtime, { stateless: false });
    // The auth gate is not under test: the bearer is handed over as the gate would.
    server = createServer((req, res) => void endpoint.handle(req, res, req.headers.authorization?.replace(/^Bearer /, '')));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}/mcp`;
  });
  after(async () => {
    await endpoint.closeAll();
    await new Promise((resolve) => server.close(resolve));
  });

  const open = async (token: string): Promise<Response> => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { ...HEADERS, authorization: `Bearer ${token}` },
      body: JSON.stringify(INITIALIZE),
    });
    await res.text();
    return res;
  };

  it("caller A's 101st session takes the place of A's least recently active idle one; caller B is untouched; mcp_sessions counts them", async () => {
    for (let i = 0; i < 100; i++) assert.equal((await open('caller-a-token')).status, 200, `session ${i + 1} of caller A`);
    const first = await open('caller-b-token');
    assert.equal(first.status, 200);
    const b = first.headers.get('mcp-session-id') ?? '';
    // A's sessions are all idle (nothing in flight): the oldest gives way (issue 18 item 5; 429 only when all are busy).
    const admitted = await open('caller-a-token');
    assert.equal(admitted.status, 200);
    assert.equal(endpoint.sessionCount, 101, "100 of A's and B's one");
    assert.match(await metrics.metrics(), /^mcp_sessions 101$/m);
    const stillB = await fetch(url, {
      method: 'POST',
      headers: { ...HEADERS, authorization: 'Bearer caller-b-token', 'mcp-session-id': b, 'mcp-protocol-version': '2025-06-18' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'ping' }),
    });
    assert.equal(stillB.status, 200, "B's session was not taken");
    await stillB.text();
  });
});

describe('idle sweep', () => {
  // The idle timeout stretches with the machine's load (a busy session must not go idle between its initialize
  // and its call), and the wait outlasts it eight times over, so the sweep runs while the wait is in flight.
  const idleMs = scaled(500);
  const sandbox = sandboxFor({ provisionSeconds: Math.max(4, (8 * idleMs) / 1000) });
  let app: HttpApp;
  let base: URL;
  const logs: Record<string, unknown>[] = [];
  before(async () => {
    const settings = testSettings({ sessionIdleTimeoutMs: idleMs });
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString('utf8').split('\n'))
          if (line.trim() !== '') logs.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    const runtime = createRuntime(settings, sandboxKubeConfig(sandbox), pino({ level: 'info' }, sink), createMetricsRegistry());
    app = createHttpApp({ runtime, devBearerToken: undefined, stateless: false });
    const { port } = await app.listen();
    base = new URL(`http://127.0.0.1:${port}/mcp`);
  });
  after(async () => {
    await app?.shutdown(1000);
  });

  it('closes an idle session but not one whose only request is a long wait', async () => {
    const idle = new Client({ name: 'idle', version: '1' });
    const idleTransport = new StreamableHTTPClientTransport(base);
    await idle.connect(idleTransport);
    const idleSession = idleTransport.sessionId;
    const busy = new Client({ name: 'busy', version: '1' });
    await busy.connect(new StreamableHTTPClientTransport(base));

    const waited = busy.callTool(
      {
        name: 'k0.clusters.deploy',
        arguments: {
          name: 'sweep-wait',
          namespace: 'team-alpha',
          template: 'azure-standalone-cp-1-0-15',
          credential: 'azure-cluster-credential',
          config: AZURE_BASELINE,
          wait: true,
          pollInterval: '1s',
          provisionTimeout: '2m',
        },
      },
      undefined,
      { timeout: 120_000 },
    );
    let settled = false;
    void waited.finally(() => (settled = true));
    // The idle session goes while the wait is still running.
    // (Polling the idle session would itself be activity: the log line says when the sweep closed it.)
    await until('the idle session to be closed', () =>
      Promise.resolve(logs.some((l) => l.msg === 'closing idle MCP session' && l.sessionId === idleSession) ? true : undefined),
    );
    const res = await fetch(base, {
      method: 'POST',
      headers: { ...HEADERS, 'mcp-session-id': idleSession ?? '', 'mcp-protocol-version': '2025-06-18' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'ping' }),
    });
    await res.text();
    assert.equal(res.status, 404, 'the idle session is gone');
    assert.equal(settled, false, 'the sweep ran while the wait was still in flight');
    const result = (await waited) as CallToolResult;
    assert.ok(!result.isError, JSON.stringify(result.content));
    assert.equal(
      (result.structuredContent as { ready?: boolean }).ready,
      true,
      'the session with the wait survived the sweep and answered',
    );
    assert.equal(logs.filter((l) => l.msg === 'closing idle MCP session').length >= 1, true);
    await busy.close();
    await idle.close().catch(() => undefined);
  });
});

/** A kubeconfig for an API that is not there: the cap test never reaches Kubernetes. */
function unreachableKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'none', server: 'http://127.0.0.1:1', skipTLSVerify: true }],
    users: [{ name: 'u' }],
    contexts: [{ name: 'c', cluster: 'none', user: 'u' }],
    currentContext: 'c',
  });
  return kc;
}
