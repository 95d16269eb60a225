/** `k0rdent-mcp serve`: MCP over Streamable HTTP plus /healthz, /readyz, /metrics. */
import { bootstrap } from './bootstrap.js';
import { onShutdownSignal } from './signals.js';

export async function runServe(flags: Record<string, unknown>): Promise<void> {
  const stateless = flags.stateless === true;
  const { runtime, devBearerToken, sandbox, warmUp } = await bootstrap('serve', flags, { stateless });
  const { createHttpApp } = await import('../http/app.js');
  // Every tool series exists at 0 from startup, before the first session.
  (await import('../mcp/tools/index.js')).initAllToolMetrics(runtime.metrics);
  const app = createHttpApp({ runtime, devBearerToken, stateless });
  const address = await app.listen();
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  runtime.logger.info({ url: `http://${host}:${address.port}/mcp`, stateless }, 'serving MCP over Streamable HTTP');
  // Listening first: the Kubernetes client loads in the background, then the first API ping runs.
  void warmUp();
  onShutdownSignal(runtime.logger, async () => {
    await app.shutdown();
    runtime.kube.close();
    await sandbox?.close();
  });
}
