/**
 * Errors are values with a code, created where the cause is known and mapped to an MCP tool
 * result in one place (src/mcp/errors.ts). A message says what went wrong and what to do next.
 */
export const ERROR_CODES = [
  'forbidden',
  'invalidParams',
  'notFound',
  'conflict',
  'unauthorized',
  'unavailable',
  'internal',
] as const;

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
