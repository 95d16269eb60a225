/**
 * Errors are values with a code, created where the cause is known and mapped to an MCP tool
 * result in one place (src/mcp/errors.ts). A message says what went wrong and what to do next.
 */
export const ERROR_CODES = ['forbidden', 'invalidParams', 'notFound', 'conflict', 'unauthorized', 'unavailable', 'internal'] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export class AppError extends Error {
  readonly code: ErrorCode;
  /** Optional machine-readable details (never secrets): available names, JSON paths, ... */
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AppError';
    this.code = code;
    this.details = details;
  }
}

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}

/** Longest echo of a caller's value in an error message or log line. */
export const MAX_ECHO = 200;

/** A caller's value as it may appear in a message: JSON-quoted and cut to about MAX_ECHO characters. */
export function echo(value: unknown, max = MAX_ECHO): string {
  let text: string;
  try {
    text = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  return text.length <= max ? text : `${text.slice(0, max - 1)}… (${text.length} characters)`;
}
