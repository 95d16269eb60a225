/**
 * /mcp over the SDK's StreamableHTTPServerTransport.
 * Stateful (default): one McpServer + transport + Session per `mcp-session-id`; the session remembers
 * the fingerprint of the bearer that created it and answers any other bearer 404, so one caller's
 * token is never used for another's calls. Sessions are capped globally and per caller, idle ones (nothing
 * in flight) are closed (./session-table.ts), and each keeps a bounded event store so a broken SSE stream
 * can be resumed with Last-Event-ID. Stateless: a fresh server + transport + session per request.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { createMcpServer } from '../mcp/server.js';
import { createSession } from '../runtime/runtime.js';
import type { Runtime } from '../runtime/types.js';
import { tokenFingerprint } from './auth.js';
import { BodyError, readJsonBody } from './body.js';
import { boundErrorResponses } from './bounded-errors.js';
import { BoundedEventStore } from './event-store.js';
import { SessionTable, trackRequests, type TableEntry } from './session-table.js';

interface LiveSession extends TableEntry {
  transport: StreamableHTTPServerTransport;
  server: McpServer;
  /** Fingerprint of the bearer that opened it: any other bearer gets 404. */
  owner: string;
}

export interface McpEndpoint {
  handle(req: IncomingMessage, res: ServerResponse, bearerToken: string | undefined): Promise<void>;
  /** Number of live stateful sessions. */
  readonly sessionCount: number;
  closeAll(): Promise<void>;
}

export function sendJsonRpcError(
  res: ServerResponse,
  status: number,
  code: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}

function containsInitialize(body: unknown): boolean {
  return Array.isArray(body) ? body.some((m) => isInitializeRequest(m)) : isInitializeRequest(body);
}

/**
 * Live stateful sessions at most: each holds an McpServer and Kubernetes clients until it ends or idles
 * out, so without a bound a flood of `initialize` requests would grow memory without limit.
 */
export const DEFAULT_MAX_SESSIONS = 1000;
/** Milliseconds a client waits before it reconnects a broken SSE stream (sent in the priming event). */
export const SSE_RETRY_MS = 1000;

export interface McpEndpointOptions {
  stateless: boolean;
  maxSessions?: number;
  /** Default: SESSION_LIMIT_PER_CALLER. */
  sessionsPerCaller?: number;
  /** Default: SESSION_IDLE_TIMEOUT. */
  idleMs?: number;
  sweepEveryMs?: number;
}

/** The caller a session is counted against: the bearer's fingerprint, else the remote address. */
export function callerKey(req: IncomingMessage, bearerToken: string | undefined): string {
  return bearerToken !== undefined ? `bearer:${tokenFingerprint(bearerToken)}` : `addr:${req.socket.remoteAddress ?? 'unknown'}`;
}

export function createMcpEndpoint(runtime: Runtime, options: McpEndpointOptions): McpEndpoint {
  const log = runtime.logger;
  const { settings } = runtime;
  const sessions = new SessionTable<LiveSession>({
    maxSessions: options.maxSessions ?? DEFAULT_MAX_SESSIONS,
    perCaller: options.sessionsPerCaller ?? settings.sessionLimitPerCaller,
    idleMs: options.idleMs ?? settings.sessionIdleTimeoutMs,
    logger: log,
    metrics: runtime.metrics,
    ...(options.sweepEveryMs !== undefined ? { sweepEveryMs: options.sweepEveryMs } : {}),
  });

  async function readBody(req: IncomingMessage, res: ServerResponse): Promise<{ ok: true; body: unknown } | { ok: false }> {
    if (req.method !== 'POST') return { ok: true, body: undefined };
    try {
      return { ok: true, body: await readJsonBody(req) };
    } catch (error) {
      if (error instanceof BodyError) {
        sendJsonRpcError(res, error.status, error.status === 413 ? -32000 : -32700, error.message);
        return { ok: false };
      }
      throw error;
    }
  }

  async function handleStateless(req: IncomingMessage, res: ServerResponse, bearerToken: string | undefined): Promise<void> {
    if (req.method !== 'POST') {
      sendJsonRpcError(res, 405, -32000, 'Method not allowed: this server is stateless (POST only)', { allow: 'POST' });
      return;
    }
    const read = await readBody(req, res);
    if (!read.ok) return;
    const session = createSession(runtime, { id: randomUUID(), ...(bearerToken !== undefined ? { bearerToken } : {}) });
    const server = createMcpServer(runtime, session, { stateless: true });
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    boundErrorResponses(transport);
    res.on('close', () => {
      void transport.close();
      void server.close();
      session.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, read.body);
  }

  async function handleStateful(req: IncomingMessage, res: ServerResponse, bearerToken: string | undefined): Promise<void> {
    const header = req.headers['mcp-session-id'];
    const sessionId = typeof header === 'string' ? header : undefined;
    if (sessionId !== undefined) {
      const live = sessions.get(sessionId);
      if (!live) {
        sendJsonRpcError(res, 404, -32001, 'Session not found; initialize a new session');
        return;
      }
      if (live.owner !== tokenFingerprint(bearerToken)) {
        // Answer as if the session did not exist: per the MCP transport spec a client then re-initializes,
        // which is also what a caller with a refreshed token needs. The session stays its owner's.
        log.warn({ sessionId }, 'request for an MCP session with a different bearer token refused');
        sendJsonRpcError(res, 404, -32001, 'Session not found for this bearer token; initialize a new session');
        return;
      }
      const read = await readBody(req, res);
      if (!read.ok) return;
      live.lastActivity = Date.now();
      await live.transport.handleRequest(req, res, read.body);
      return;
    }
    if (req.method !== 'POST') {
      sendJsonRpcError(res, 400, -32000, 'Bad Request: mcp-session-id header is required');
      return;
    }
    const read = await readBody(req, res);
    if (!read.ok) return;
    if (!containsInitialize(read.body)) {
      sendJsonRpcError(res, 400, -32000, 'Bad Request: no valid session; send initialize first');
      return;
    }
    const caller = callerKey(req, bearerToken);
    const admission = sessions.admit(caller);
    if (!admission.ok) {
      log.warn({ sessions: sessions.size, status: admission.status }, 'MCP session limit reached; initialize refused');
      sendJsonRpcError(res, admission.status, -32000, admission.message, { 'retry-after': String(admission.retryAfterSeconds) });
      return;
    }
    const id = randomUUID();
    const session = createSession(runtime, { id, ...(bearerToken !== undefined ? { bearerToken } : {}) });
    const server = createMcpServer(runtime, session);
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => id,
      eventStore: new BoundedEventStore(),
      retryInterval: SSE_RETRY_MS,
      onsessioninitialized: (sid) => {
        sessions.add(sid, live);
        session.logger.info('MCP session started');
      },
      onsessionclosed: (sid) => {
        sessions.remove(sid);
        session.logger.info('MCP session closed by the client');
      },
    });
    boundErrorResponses(transport);
    const live: LiveSession = {
      server,
      transport,
      owner: tokenFingerprint(bearerToken),
      caller,
      pending: new Set(),
      lastActivity: Date.now(),
      close: async () => {
        await transport.close();
        await server.close();
      },
    };
    transport.onclose = () => {
      sessions.remove(id);
      session.close();
    };
    await server.connect(transport);
    trackRequests(transport, live);
    await transport.handleRequest(req, res, read.body);
  }

  return {
    handle: (req, res, bearerToken) => (options.stateless ? handleStateless(req, res, bearerToken) : handleStateful(req, res, bearerToken)),
    get sessionCount() {
      return sessions.size;
    },
    async closeAll() {
      sessions.stop();
      const all = sessions.values();
      for (const live of all) sessions.remove(live.transport.sessionId ?? '');
      await Promise.allSettled(all.map((live) => live.close()));
    },
  };
}
