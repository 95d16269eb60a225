/**
 * MCP logging (`notifications/message`) for what concerns the caller of a call: a stalled wait, a wait
 * interrupted by shutdown. Sent on the call's own stream, only at or above the level the client chose with
 * `logging/setLevel` (default `info`). The process log (pino, stderr) is separate and carries everything.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { type LoggingLevel, LoggingLevelSchema, SetLevelRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import type { Session } from '../runtime/types.js';
import type { ToolExtra } from './context.js';

const SEVERITY = new Map(LoggingLevelSchema.options.map((level, index) => [level, index] as const));
const DEFAULT_LEVEL: LoggingLevel = 'info';
const levels = new WeakMap<Session, LoggingLevel>();

/** Answers `logging/setLevel` for this session (the server advertises `logging`). */
export function handleLogLevel(server: McpServer, session: Session): void {
  server.server.setRequestHandler(SetLevelRequestSchema, (request) => {
    levels.set(session, request.params.level);
    return {};
  });
}

/** Sends one log message related to the call of `extra`, unless the session's level filters it out. */
export function sendClientLog(session: Session, extra: Pick<ToolExtra, 'sendNotification'>, level: LoggingLevel, data: string): void {
  const threshold = levels.get(session) ?? DEFAULT_LEVEL;
  if ((SEVERITY.get(level) ?? 0) < (SEVERITY.get(threshold) ?? 0)) return;
  void extra.sendNotification({ method: 'notifications/message', params: { level, logger: 'k0rdent-mcp', data } }).catch(() => undefined);
}
