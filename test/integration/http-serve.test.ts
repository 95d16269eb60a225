/**
 * `serve` as a real process: an MCP SDK client over Streamable HTTP (stateful and stateless),
 * /healthz, /readyz (503 while the API is unreachable, 200 once it answers), /metrics, Host/Origin
 * checks against DNS rebinding, the body limit, and graceful SIGTERM.
 */
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startServe, stopAll, unreachableKubeconfig, writeKubeconfig, type CliProcess } from '../helpers/cli-process.js';
import { TOOLS } from '../../src/mcp/tools/index.js';

after(stopAll);

/** The process must offer exactly the tools the registry declares (src/mcp/tools/index.ts). */
const DOTTED_TOOLS = TOOLS.map((tool) => tool.name);
const SNAKE_TOOLS = DOTTED_TOOLS.map((n) => n.replace(/\./g, '_'));

/** Raw HTTP request with arbitrary headers (fetch forbids setting Host/Origin freely). */
function raw(
  base: string,
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = request(url, { method: init.method ?? 'GET', headers: init.headers ?? {} }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

async function listToolsOver(base: string): Promise<{ names: string[]; sessionId: string | undefined; serverName: string | undefined }> {
  const client = new Client({ name: 'http-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL('/mcp', base));
  await client.connect(transport);
  try {
    const { tools } = await client.listTools();
    return { names: tools.map((t) => t.name), sessionId: transport.sessionId, serverName: client.getServerVersion()?.name };
  } finally {
    await client.close();
  }
}

describe('serve over Streamable HTTP (stateful)', () => {
  let proc: CliProcess;
  let base: string;
  before(async () => {
    ({ proc, base } = await startServe([], { K0RDENT_MGMT_KUBECONFIG_PATH: unreachableKubeconfig() }));
  });
  after(() => proc.stop());

  it('an MCP client completes initialize and tools/list with a session id', async () => {
    const result = await listToolsOver(base);
    assert.equal(result.serverName, 'k0rdent-mcp');
    assert.deepEqual(result.names.sort(), [...DOTTED_TOOLS].sort());
    assert.ok(result.sessionId && result.sessionId.length > 0, 'stateful mode assigns a session id');
  });

  it('a request naming an unknown session gets 404', async () => {
    const r = await raw(base, '/mcp', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': 'no-such-session' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    assert.equal(r.status, 404);
  });

  it('/healthz answers 200', async () => {
    const r = await raw(base, '/healthz');
    assert.equal(r.status, 200);
    assert.equal(JSON.parse(r.body).status, 'ok');
  });

  it('/readyz is 503 while the Kubernetes API is unreachable', async () => {
    const r = await raw(base, '/readyz');
    assert.equal(r.status, 503);
    assert.equal(JSON.parse(r.body).status, 'unavailable');
  });

  it('/metrics is Prometheus text with the default process metrics', async () => {
    const r = await raw(base, '/metrics');
    assert.equal(r.status, 200);
    assert.match(String(r.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    assert.match(r.body, /^# HELP process_cpu_user_seconds_total /m);
    assert.match(r.body, /^# TYPE process_cpu_user_seconds_total counter$/m);
    assert.match(r.body, /^nodejs_heap_size_total_bytes \d+/m);
    for (const line of r.body.split('\n').filter((l) => l && !l.startsWith('#'))) {
      assert.match(line, /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? [-+0-9.eE]+|NaN|[+-]Inf$/, `not an exposition line: ${line}`);
    }
  });

  it('a foreign Origin is refused with 403 before MCP handling', async () => {
    const r = await raw(base, '/mcp', {
      method: 'POST',
      headers: { origin: 'http://evil.example', 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: {} }),
    });
    assert.equal(r.status, 403);
    assert.equal(r.headers['mcp-session-id'], undefined);
  });

  it('a same-host Origin (localhost with the port) is accepted', async () => {
    const port = new URL(base).port;
    const r = await raw(base, '/healthz', { headers: { origin: `http://localhost:${port}` } });
    assert.equal(r.status, 200);
  });

  it('a foreign Host header (DNS rebinding) is refused with 403', async () => {
    const r = await raw(base, '/healthz', { headers: { host: `evil.example:${new URL(base).port}` } });
    assert.equal(r.status, 403);
  });

  it('a body over 4 MiB is refused with 413', async () => {
    const r = await raw(base, '/mcp', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { pad: 'x'.repeat(4 * 1024 * 1024 + 10) } }),
    });
    assert.equal(r.status, 413);
  });

  it('unknown paths are 404', async () => {
    assert.equal((await raw(base, '/nope')).status, 404);
  });
});

describe('serve --stateless with TOOL_NAME_STYLE=snake (flag)', () => {
  let proc: CliProcess;
  let base: string;
  before(async () => {
    ({ proc, base } = await startServe(['--stateless', '--tool-name-style', 'snake'], {
      K0RDENT_MGMT_KUBECONFIG_PATH: unreachableKubeconfig(),
    }));
  });
  after(() => proc.stop());

  it('an MCP client completes initialize and tools/list without a session id; names are snake_case', async () => {
    const result = await listToolsOver(base);
    assert.equal(result.serverName, 'k0rdent-mcp');
    assert.equal(result.sessionId, undefined);
    assert.deepEqual(result.names.sort(), [...SNAKE_TOOLS].sort());
  });

  it('a bare tools/list POST works without initialize (no per-session state)', async () => {
    const r = await raw(base, '/mcp', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/list' }),
    });
    assert.equal(r.status, 200);
    assert.match(r.body, /"id":7/);
    assert.match(r.body, /"tools":\[/);
  });

  it('GET /mcp is 405 (no standalone stream without sessions)', async () => {
    const r = await raw(base, '/mcp', { headers: { accept: 'text/event-stream' } });
    assert.equal(r.status, 405);
  });
});

describe('READ_ONLY=true', () => {
  it('offers only the tools that do not write', async () => {
    const { proc, base } = await startServe([], { K0RDENT_MGMT_KUBECONFIG_PATH: unreachableKubeconfig(), READ_ONLY: 'true' });
    try {
      const result = await listToolsOver(base);
      const readOnlyTools = TOOLS.filter((tool) => tool.annotations.readOnlyHint).map((tool) => tool.name);
      assert.ok(readOnlyTools.includes('k0.clusters.list') && !readOnlyTools.includes('k0.clusters.deploy'));
      assert.deepEqual(result.names.sort(), readOnlyTools.sort());
    } finally {
      await proc.stop();
    }
  });
});

describe('/readyz follows the Kubernetes API', () => {
  let api: Server | undefined;
  let proc: CliProcess | undefined;
  after(async () => {
    await proc?.stop();
    await new Promise<void>((r) => (api ? api.close(() => r()) : r()));
  });

  it('is 503 while nothing answers and 200 once the API answers /version', async () => {
    // Reserve a port, then free it so the API is "unreachable" until we listen on it again.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));

    ({ proc } = await startServe([], { K0RDENT_MGMT_KUBECONFIG_PATH: writeKubeconfig(`http://127.0.0.1:${port}`) }));
    const base = `http://${String((await proc.waitForLog(/serving MCP/)).url).split('/')[2]}`;
    assert.equal((await raw(base, '/readyz')).status, 503);

    const seen: string[] = [];
    api = createServer((req, res) => {
      seen.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ major: '1', minor: '32', gitVersion: 'v1.32.4' }));
    });
    await new Promise<void>((r) => api!.listen(port, '127.0.0.1', r));
    const r = await raw(base, '/readyz');
    assert.equal(r.status, 200);
    assert.equal(JSON.parse(r.body).kubernetes.version, 'v1.32.4');
    assert.ok(
      seen.some((u) => u.startsWith('/version')),
      'the ping asked /version',
    );
  });
});

describe('graceful shutdown', () => {
  it('SIGTERM exits 0', async () => {
    const { proc, base } = await startServe([], { K0RDENT_MGMT_KUBECONFIG_PATH: unreachableKubeconfig() });
    assert.equal((await raw(base, '/healthz')).status, 200);
    proc.child.kill('SIGTERM');
    assert.equal(await proc.exited(), 0);
    assert.match(proc.stderr(), /shutdown complete/);
  });

  it('SIGTERM during a tool call lets the call finish, then exits 0', async () => {
    // An API server that holds every list request until released, so the call is in flight at SIGTERM.
    let arrived: () => void = () => {};
    const reachedApi = new Promise<void>((r) => (arrived = r));
    let release: () => void = () => {};
    const released = new Promise<void>((r) => (release = r));
    const api = createServer((req, res) => {
      const answer = (): void => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify(
            req.url?.startsWith('/version') ? { gitVersion: 'v1.32.4' } : { kind: 'List', apiVersion: 'v1', metadata: {}, items: [] },
          ),
        );
      };
      if (req.url?.startsWith('/version')) answer();
      else {
        arrived();
        void released.then(answer);
      }
    });
    await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
    const port = (api.address() as AddressInfo).port;
    const { proc, base } = await startServe([], { K0RDENT_MGMT_KUBECONFIG_PATH: writeKubeconfig(`http://127.0.0.1:${port}`) });
    const client = new Client({ name: 'shutdown-test', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', base)));
    try {
      const call = client.callTool({ name: 'k0.clusters.list', arguments: {} });
      await reachedApi;
      proc.child.kill('SIGTERM');
      await proc.waitForLog(/waiting for in-flight MCP calls/);
      release();
      const result = await call;
      assert.notEqual(result.isError, true, JSON.stringify(result.content));
      assert.equal(await proc.exited(), 0);
    } finally {
      release();
      await client.close().catch(() => undefined);
      api.closeAllConnections();
      await new Promise<void>((r) => api.close(() => r()));
    }
  });
});
