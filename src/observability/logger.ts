/**
 * The process logger: pino JSON lines on stderr (fd 2) only, so stdio's stdout carries protocol alone.
 * Authorization headers and anything named like a token or secret are redacted defensively, although
 * the code never passes them to the logger in the first place.
 */
import { pino, type Logger } from 'pino';
import type { LogLevel } from '../config/types.js';

export const REDACT_PATHS = [
  'authorization',
  'token',
  'bearerToken',
  'devBearerToken',
  'password',
  'secret',
  'kubeconfig',
  '*.authorization',
  '*.Authorization',
  '*.token',
  '*.bearerToken',
  '*.devBearerToken',
  '*.password',
  '*.secret',
  '*.kubeconfig',
  'headers.authorization',
  'req.headers.authorization',
];

export function createLogger(level: LogLevel, bindings: Record<string, unknown> = {}): Logger {
  return pino(
    {
      level,
      base: { app: 'k0rdent-mcp', pid: process.pid, ...bindings },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    // Synchronous writes: a fail-fast exit or SIGTERM must not lose the last lines.
    pino.destination({ dest: 2, sync: true }),
  );
}
