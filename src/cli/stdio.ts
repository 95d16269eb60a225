/**
 * `k0rdent-mcp stdio`: MCP over stdin/stdout for desktop clients. stdout carries protocol only, so
 * console output is rerouted to stderr before anything else runs. Always the kubeconfig's identity.
 */
import { randomUUID } from 'node:crypto';
import { bootstrap } from './bootstrap.js';
import { onShutdownSignal } from './signals.js';

/** How long in-flight calls get to answer after SIGTERM (serve uses the same). */
const SHUTDOWN_GRACE_MS = 10_000;
/** If the client never completes the handshake, the Kubernetes client still loads (and pings) after this. */
const WARM_UP_FALLBACK_MS = 2000;

export async function runStdio(flags: Record<string, unknown>): Promise<void> {
  // Any stray console.log from a dependency would corrupt the protocol stream.
  console.log = console.error;
  console.info = console.error;
  console.debug = console.error;
  const { runtime, sandbox, warmUp } = await bootstrap('stdio', flags);
  const { StdioServerTransport } = await import('@modelcontextprotocol/sdk/server/stdio.js');
  const { createMcpServer } = await import('../mcp/server.js');
  const { stopRunningCalls } = await import('../mcp/tools/run.js');
  const { createSession } = await import('../runtime/runtime.js');
  const session = createSession(runtime, { id: randomUUID() });
  const server = createMcpServer(runtime, session);
  const { beginShutdown } = await import('../runtime/runtime.js');
  const { trackRequests } = await import('../http/session-table.js');
  const transport = new StdioServerTransport();
  (await import('../http/bounded-errors.js')).boundErrorResponses(transport);
  const calls = { caller: 'stdio', pending: new Set<string | number>(), lastActivity: Date.now(), close: () => server.close() };
  const stop = async (): Promise<void> => {
    // Waiting calls answer with their current state (interrupted: true) before the transport closes.
    beginShutdown(runtime);
    const until = Date.now() + SHUTDOWN_GRACE_MS;
    while (calls.pending.size > 0 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 20));
    // Past the grace, calls still running are answered with an error result (the server stopped), not dropped.
    if (stopRunningCalls(runtime) > 0) {
      const flush = Date.now() + 2000;
      while (calls.pending.size > 0 && Date.now() < flush) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await server.close();
    session.close();
    runtime.kube.close();
    await sandbox?.close();
  };
  onShutdownSignal(runtime.logger, stop);
  process.stdin.on('end', () => {
    runtime.logger.info('stdin closed, exiting');
    void stop().finally(() => process.exit(0));
  });
  // The Kubernetes client loads once the handshake is done (initialize answered), in the background:
  // initialize and tools/list never wait for it, and a first tool call finds it loaded or loading.
  let warming = false;
  const startWarmUp = (): void => {
    if (warming) return;
    warming = true;
    clearTimeout(fallback);
    void warmUp();
  };
  const fallback = setTimeout(startWarmUp, WARM_UP_FALLBACK_MS);
  fallback.unref();
  const protocol = server.server;
  const previous = protocol.oninitialized;
  protocol.oninitialized = () => {
    previous?.();
    startWarmUp();
  };
  await server.connect(transport);
  trackRequests(transport, calls);
  session.logger.info('serving MCP over stdio');
}
