/**
 * `k0rdent-mcp stdio`: MCP over stdin/stdout for desktop clients. stdout carries protocol only, so
 * console output is rerouted to stderr before anything else runs. Always the kubeconfig's identity.
 */
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { bootstrap } from './bootstrap.js';
import { onShutdownSignal } from './signals.js';
import type { StartupCheck } from './startup-check.js';
import { holdYoungGeneration, releaseYoungGeneration } from './young-generation.js';
import type { PassThrough } from 'node:stream';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { Logger } from 'pino';

/** How long in-flight calls get to answer after SIGTERM (serve uses the same). */
const SHUTDOWN_GRACE_MS = 10_000;
/** If the client never completes the handshake, the Kubernetes client still loads (and pings) after this. */
/** The requests after which the Kubernetes client is needed soon (the rest are answered from the registry). */
const NEEDS_CLUSTER = new Set(['tools/call', 'resources/read', 'resources/list', 'resources/subscribe', 'completion/complete']);

/** What the stdio front (./stdio-front.ts) answered that the server must know about. */
export interface FrontHandOver {
  /** The client messages for the server, from `initialize` on, in order; it ends when stdin does. */
  input: PassThrough;
  /** The id of the `initialize` the front answered: the server's own answer to it is dropped, not sent twice. */
  initializeId: string | number | undefined;
  /** The result the front sent for it, to compare with the server's. */
  initializeResult: Record<string, unknown> | undefined;
  /** Called once the server reads `input`: the front stops answering and forwards everything. */
  connected(): void;
}

/**
 * `check`: the configuration as ./stdio-front.ts checked it; `front`: what it answered and the stream of client
 * messages it forwards (without it, this reads stdin itself).
 */
export async function runStdio(flags: Record<string, unknown>, check?: StartupCheck, front?: FrontHandOver): Promise<void> {
  // Any stray console.log from a dependency would corrupt the protocol stream.
  console.log = console.error;
  console.info = console.error;
  console.debug = console.error;
  // The load below keeps nearly all it allocates: V8's new space is not grown for it (./young-generation.ts).
  holdYoungGeneration();
  const { runtime, sandbox, warmUp } = await bootstrap('stdio', flags, {}, check);
  const { StdioServerTransport } = await import('@modelcontextprotocol/sdk/server/stdio.js');
  const { createMcpServer } = await import('../mcp/server.js');
  const { stopRunningCalls } = await import('../mcp/tools/run.js');
  const { createSession } = await import('../runtime/runtime.js');
  const session = createSession(runtime, { id: randomUUID() });
  const server = createMcpServer(runtime, session);
  const { beginShutdown } = await import('../runtime/runtime.js');
  const { trackRequests } = await import('../http/session-table.js');
  const input = front?.input ?? process.stdin;
  const transport = new StdioServerTransport(input, process.stdout);
  if (front !== undefined) answerOnce(transport, front, runtime.logger);
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
  input.on('end', () => {
    runtime.logger.info('stdin closed, exiting');
    void stop().finally(() => process.exit(0));
  });
  // The Kubernetes client (client-node, ~90 MiB resident) loads with the first request that may need the cluster,
  // not after the handshake: an idle stdio server stays small (issue 24: idle RSS after tools/list ≤ 90 MiB), and
  // initialize, tools/list and ping never wait for it. The API ping (its log line) follows that first request.
  let warming = false;
  const startWarmUp = (): void => {
    if (warming) return;
    warming = true;
    void warmUp();
  };
  // Loaded: tool calls get V8's usual new-space growth. Before connect, which delivers the first message.
  releaseYoungGeneration();
  await server.connect(transport);
  trackRequests(transport, calls);
  const receive = transport.onmessage;
  transport.onmessage = (message) => {
    if (!warming && 'method' in message && 'id' in message && NEEDS_CLUSTER.has(message.method)) startWarmUp();
    receive?.(message);
  };
  front?.connected();
  session.logger.info('serving MCP over stdio');
}

/**
 * The front answered the client's initialize already: the server's answer to the same request (replayed so it
 * knows the client) is dropped, once; when it differs from what the front sent, the build's answers are stale.
 */
function answerOnce(transport: Transport, front: FrontHandOver, logger: Logger): void {
  const send = transport.send.bind(transport);
  let dropped = false;
  transport.send = async (message, options) => {
    if (!dropped && front.initializeId !== undefined && 'id' in message && message.id === front.initializeId) {
      dropped = true;
      const result = 'result' in message ? message.result : undefined;
      if (!isDeepStrictEqual(result, front.initializeResult)) {
        logger.error(
          { sent: front.initializeResult, server: 'result' in message ? message.result : message },
          "the initialize answer sent at start differs from the server's: the build's start answers are stale (npm run build)",
        );
      }
      return;
    }
    return send(message, options);
  };
}
