/**
 * /mcp over the SDK's StreamableHTTPServerTransport.
 * Stateful (default): one McpServer + transport + Session per `mcp-session-id`; the session remembers
 * the fingerprint of the bearer that created it and answers any other bearer 404, so one caller's
 * token is never used for another's calls. Stateless: a fresh server + transport + session per request.
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

interface LiveSession {
  transport: StreamableHTTPServerTransport;
  server: McpServer;
  owner: string;
  lastSeen: number;
}

export interface McpEndpoint {
  handle(req: IncomingMessage, res: ServerResponse, bearerToken: string | undefined): Promise<void>;
  /** Number of live stateful sessions. */
  readonly sessionCount: number;
  closeAll(): Promise<void>;
}

export function sendJsonRpcError(res: ServerResponse, status: number, code: number, message: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}

function containsInitialize(body: unknown): boolean {
  return Array.isArray(body) ? body.some((m) => isInitializeRequest(m)) : isInitializeRequest(body);
}

/** Idle stateful sessions are closed after this long (clients re-initialize). */
const SESSION_IDLE_MS = 60 * 60 * 1000;
/**
 * Live stateful sessions at most: each holds an McpServer and Kubernetes clients for up to an hour, so
 * without a bound a flood of `initialize` requests would grow memory without limit.
 */
export const DEFAULT_MAX_SESSIONS = 1000;

export function createMcpEndpoint(runtime: Runtime, options: { stateless: boolean; maxSessions?: number }): McpEndpoint {
  const maxSessions = options.maxSessions ?? DEFAULT_MAX_SESSIONS;
  const sessions = new Map<string, LiveSession>();
  const log = runtime.logger;

  const sweep = setInterval(() => {
    const cutoff = Date.now() - SESSION_IDLE_MS;
    for (const [id, live] of sessions) {
      if (live.lastSeen < cutoff) {
        log.info({ sessionId: id }, 'closing idle MCP session');
        sessions.delete(id);
        void live.transport.close();
      }
    }
  }, 60_000);
  sweep.unref();

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
    const server = createMcpServer(runtime, session);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => {
      void transport.close();
      void server.close();
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
      live.lastSeen = Date.now();
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
    if (sessions.size >= maxSessions) {
      log.warn({ sessions: sessions.size }, 'MCP session limit reached; initialize refused');
      sendJsonRpcError(res, 503, -32000, `Too many MCP sessions (${maxSessions}); retry later, or end unused sessions with DELETE /mcp`, { 'retry-after': '60' });
      return;
    }
    const id = randomUUID();
    const session = createSession(runtime, { id, ...(bearerToken !== undefined ? { bearerToken } : {}) });
    const server = createMcpServer(runtime, session);
    const live: LiveSession = {
      server,
      owner: tokenFingerprint(bearerToken),
      lastSeen: Date.now(),
      transport: new StreamableHTTPServerTransport({
        sessionIdGenerator: () => id,
        onsessioninitialized: (sid) => {
          sessions.set(sid, live);
          session.logger.info('MCP session started');
        },
        onsessionclosed: (sid) => {
          sessions.delete(sid);
          session.logger.info('MCP session closed by the client');
        },
      }),
    };
    live.transport.onclose = () => {
      sessions.delete(id);
    };
    await server.connect(live.transport);
    await live.transport.handleRequest(req, res, read.body);
  }

  return {
    handle: (req, res, bearerToken) => (options.stateless ? handleStateless(req, res, bearerToken) : handleStateful(req, res, bearerToken)),
    get sessionCount() {
      return sessions.size;
    },
    async closeAll() {
      clearInterval(sweep);
      const all = [...sessions.values()];
      sessions.clear();
      await Promise.allSettled(all.map(async (live) => {
        await live.transport.close();
        await live.server.close();
      }));
    },
  };
}
