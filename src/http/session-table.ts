/**
 * The live stateful MCP sessions of one endpoint: the global cap, the per-caller cap, which JSON-RPC
 * requests each session has in flight, and the idle sweep. A session is idle only while it has no request
 * in flight: a deploy that waits 30 minutes on one POST is activity for all of those 30 minutes, not one
 * arrival at the start. The `mcp_sessions` gauge follows the table.
 */
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  isJSONRPCErrorResponse,
  isJSONRPCNotification,
  isJSONRPCRequest,
  isJSONRPCResultResponse,
  type RequestId,
} from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { sessionsGauge } from '../observability/session-metrics.js';

export interface TableEntry {
  /** Who opened it: `bearer:<sha256>` or `addr:<remote address>`; never the token itself. */
  readonly caller: string;
  /** JSON-RPC requests from the client that have not been answered (or cancelled) yet. */
  readonly pending: Set<RequestId>;
  lastActivity: number;
  close(): Promise<void>;
}

export type Admission = { ok: true } | { ok: false; status: number; message: string; retryAfterSeconds: number };

export interface SessionTableOptions {
  maxSessions: number;
  perCaller: number;
  idleMs: number;
  logger: Logger;
  metrics: Registry;
  /** How often idle sessions are looked for; default a quarter of `idleMs`, between 250 ms and 60 s. */
  sweepEveryMs?: number;
}

export class SessionTable<E extends TableEntry> {
  private readonly entries = new Map<string, E>();
  private readonly perCaller = new Map<string, number>();
  private readonly sweep: NodeJS.Timeout;
  private readonly gauge;

  constructor(private readonly options: SessionTableOptions) {
    this.gauge = sessionsGauge(options.metrics);
    this.gauge.set(0);
    const every = options.sweepEveryMs ?? Math.min(60_000, Math.max(250, Math.floor(options.idleMs / 4)));
    this.sweep = setInterval(() => this.closeIdle(), every);
    this.sweep.unref();
  }

  get size(): number {
    return this.entries.size;
  }

  get(id: string): E | undefined {
    return this.entries.get(id);
  }

  values(): E[] {
    return [...this.entries.values()];
  }

  /** Whether one more session may start for `caller`; checked before the session is built. */
  admit(caller: string): Admission {
    const { maxSessions, perCaller, idleMs } = this.options;
    if (this.entries.size >= maxSessions) {
      return {
        ok: false,
        status: 503,
        retryAfterSeconds: 60,
        message: `Too many MCP sessions (${maxSessions}); retry later, or end unused sessions with DELETE /mcp`,
      };
    }
    if ((this.perCaller.get(caller) ?? 0) >= perCaller && !this.evictOldestIdle(caller)) {
      return {
        ok: false,
        status: 429,
        retryAfterSeconds: 60,
        message: `Too many MCP sessions for this caller (${perCaller}, SESSION_LIMIT_PER_CALLER), each with a request in flight; end unused sessions with DELETE /mcp or reuse one; idle sessions close after ${Math.round(idleMs / 1000)}s`,
      };
    }
    return { ok: true };
  }

  /**
   * At the per-caller cap, the caller's session that has nothing in flight and was active least recently
   * gives way to the new one (logged). Clients that never end their sessions (the SDK client and the
   * Inspector do not send DELETE) would otherwise lock their own caller out until the idle timeout; a
   * session that is working (a request in flight) is never taken, and only the same caller's sessions are.
   */
  private evictOldestIdle(caller: string): boolean {
    let oldest: [string, E] | undefined;
    for (const [id, entry] of this.entries) {
      if (entry.caller !== caller || entry.pending.size > 0) continue;
      if (oldest === undefined || entry.lastActivity < oldest[1].lastActivity) oldest = [id, entry];
    }
    if (oldest === undefined) return false;
    const [id, entry] = oldest;
    this.options.logger.info(
      { sessionId: id, caller, idleMs: Date.now() - entry.lastActivity, perCaller: this.options.perCaller },
      "MCP session limit per caller reached: closing that caller's least recently active idle session for a new one",
    );
    this.remove(id);
    void entry.close();
    return true;
  }

  add(id: string, entry: E): void {
    if (this.entries.has(id)) return;
    this.entries.set(id, entry);
    this.perCaller.set(entry.caller, (this.perCaller.get(entry.caller) ?? 0) + 1);
    this.gauge.set(this.entries.size);
  }

  /** Forgets the session (idempotent); the caller closes it. */
  remove(id: string): E | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    this.entries.delete(id);
    const left = (this.perCaller.get(entry.caller) ?? 1) - 1;
    if (left <= 0) this.perCaller.delete(entry.caller);
    else this.perCaller.set(entry.caller, left);
    this.gauge.set(this.entries.size);
    return entry;
  }

  /** Closes every session that has nothing in flight and saw nothing for `idleMs`. */
  closeIdle(now = Date.now()): void {
    for (const [id, entry] of this.entries) {
      if (entry.pending.size > 0 || now - entry.lastActivity < this.options.idleMs) continue;
      this.options.logger.info({ sessionId: id, idleMs: now - entry.lastActivity }, 'closing idle MCP session');
      this.remove(id);
      void entry.close();
    }
  }

  stop(): void {
    clearInterval(this.sweep);
  }
}

/**
 * Keeps `entry.pending` and `entry.lastActivity` in step with the messages crossing `transport`: a client
 * request is pending until its response (or error) is sent or the client cancels it. Call after
 * `server.connect(transport)`, which installs the handlers wrapped here.
 */
export function trackRequests(transport: Transport, entry: TableEntry): void {
  const receive = transport.onmessage;
  transport.onmessage = (message, extra) => {
    entry.lastActivity = Date.now();
    if (isJSONRPCRequest(message)) entry.pending.add(message.id);
    else if (isJSONRPCNotification(message) && message.method === 'notifications/cancelled') {
      const requestId = (message.params as { requestId?: RequestId } | undefined)?.requestId;
      if (requestId !== undefined) entry.pending.delete(requestId);
    }
    receive?.(message, extra);
  };
  const send = transport.send.bind(transport);
  transport.send = async (message, options) => {
    if (isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message)) {
      if (message.id !== undefined) entry.pending.delete(message.id);
      entry.lastActivity = Date.now();
    }
    return send(message, options);
  };
}
