/**
 * The `serve` HTTP app in this process (src/http/app.ts, the real /mcp endpoint, session table and
 * /readyz) over a sandbox, for tests that need the HTTP transport and also the runtime's insides (its
 * identities and their socket pools). Log lines are captured raw (each one's length can be checked) and
 * parsed; MCP clients connect over Streamable HTTP.
 */
import { Writable } from 'node:stream';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { pino } from 'pino';
import { createHttpApp, type HttpApp } from '../../src/http/app.js';
import { KubeIdentities } from '../../src/kube/identity.js';
import { initAllToolMetrics } from '../../src/mcp/tools/index.js';
import { createMetricsRegistry } from '../../src/observability/metrics.js';
import { createRuntime } from '../../src/runtime/runtime.js';
import type { Runtime, Settings } from '../../src/runtime/types.js';
import { sandboxKubeConfig, testSettings, type LogLine } from './clusters-harness.js';

export interface ServeApp {
  readonly base: string;
  readonly url: URL;
  readonly runtime: Runtime;
  readonly kube: KubeIdentities;
  readonly app: HttpApp;
  /** Every log line as written (JSON text). */
  readonly rawLogs: string[];
  readonly logs: LogLine[];
  /** A connected MCP client (closed by `close`). */
  connect(name?: string): Promise<Client>;
  close(): Promise<void>;
}

export async function startServeApp(
  sandbox: { kubeconfig: string },
  overrides: Partial<Settings> = {},
  options: { stateless?: boolean } = {},
): Promise<ServeApp> {
  const rawLogs: string[] = [];
  const logs: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() === '') continue;
        rawLogs.push(line);
        logs.push(JSON.parse(line) as LogLine);
      }
      done();
    },
  });
  const metrics = createMetricsRegistry();
  initAllToolMetrics(metrics);
  const kubeConfig = sandboxKubeConfig(sandbox);
  const kube = new KubeIdentities({ loadBase: async () => kubeConfig, metrics });
  const runtime = createRuntime(testSettings(overrides), kube, pino({ level: 'debug' }, sink), metrics);
  const app = createHttpApp({ runtime, devBearerToken: undefined, stateless: options.stateless === true });
  const { port } = await app.listen();
  const base = `http://127.0.0.1:${port}`;
  const url = new URL('/mcp', base);
  const clients: Client[] = [];
  let closed = false;
  return {
    base,
    url,
    runtime,
    kube,
    app,
    rawLogs,
    logs,
    async connect(name = 'serve-app-test') {
      const client = new Client({ name, version: '1' });
      await client.connect(new StreamableHTTPClientTransport(url));
      clients.push(client);
      return client;
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.allSettled(clients.map((c) => c.close()));
      await app.shutdown(0);
      kube.close();
    },
  };
}
