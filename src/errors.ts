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

/** A caller's text as a log field or inside a message, unquoted, cut to about `max` characters. */
export function clip(text: string, max = MAX_ECHO): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}… (${text.length.toLocaleString('en-US')} characters)`;
}

/** Longest error message a caller gets back (and the log line repeats): a few KB, whatever the input was. */
export const MAX_MESSAGE = 2000;
/** Items of a list shown in a message or in error details before "… and N more". */
export const MAX_LISTED = 20;
/** Longest JSON of an error's details. */
export const MAX_DETAILS = 4000;

const count = (n: number): string => n.toLocaleString('en-US');

/**
 * A list of a caller's values, bounded: `5,000 unknown keys: a, b, c … and 4,997 more` (`noun` is the
 * plural). Each item is cut to about MAX_ECHO characters.
 */
export function echoList(items: readonly string[], noun: string, shown = MAX_LISTED, separator = ', '): string {
  const head = items.slice(0, shown).map((item) => (item.length <= MAX_ECHO ? item : `${item.slice(0, MAX_ECHO - 1)}…`));
  const rest = items.length - head.length;
  return `${count(items.length)} ${noun}: ${head.join(separator)}${rest > 0 ? ` … and ${count(rest)} more` : ''}`;
}

/** Items of a list that fit in about `budget` characters (at least one). */
function fitting(items: readonly string[], budget: number): number {
  let length = 0;
  let n = 0;
  for (const item of items) {
    length += Math.min(item.length, MAX_ECHO) + 2;
    if (n > 0 && length > budget) break;
    n++;
  }
  return Math.min(n, MAX_LISTED);
}

/**
 * A message cut to about `max` characters. Messages that list problems join them with "; ": those are
 * cut between problems and say how many were left out; anything else is cut and says its length.
 */
export function boundMessage(message: string, max = MAX_MESSAGE): string {
  if (message.length <= max) return message;
  const parts = message.split('; ');
  if (parts.length > 1) {
    const kept: string[] = [];
    let length = 0;
    for (const part of parts) {
      const piece = part.length <= MAX_ECHO * 2 ? part : `${part.slice(0, MAX_ECHO * 2 - 1)}…`;
      if (length + piece.length + 2 > max - 60) break;
      kept.push(piece);
      length += piece.length + 2;
    }
    if (kept.length > 0) return `${kept.join('; ')} … and ${count(parts.length - kept.length)} more (${count(parts.length)} in all)`;
  }
  return `${message.slice(0, max - 40)}… (${count(message.length)} characters)`;
}

/** Error details bounded for an answer or a log line: long strings cut, long lists shortened, the whole under MAX_DETAILS. */
export function boundDetails(details: Record<string, unknown>): Record<string, unknown> {
  const bound = (value: unknown, depth: number): unknown => {
    if (typeof value === 'string') return value.length <= MAX_ECHO * 2 ? value : `${value.slice(0, MAX_ECHO * 2 - 1)}…`;
    if (typeof value !== 'object' || value === null) return value;
    if (depth > 4) return '…';
    if (Array.isArray(value)) {
      const head = value.slice(0, MAX_LISTED).map((item) => bound(item, depth + 1));
      return value.length > MAX_LISTED ? [...head, `… and ${count(value.length - MAX_LISTED)} more`] : head;
    }
    const entries = Object.entries(value as Record<string, unknown>);
    const out: Record<string, unknown> = {};
    for (const [key, item] of entries.slice(0, MAX_LISTED)) out[key.slice(0, MAX_ECHO)] = bound(item, depth + 1);
    if (entries.length > MAX_LISTED) out['…'] = `and ${count(entries.length - MAX_LISTED)} more`;
    return out;
  };
  const bounded = bound(details, 0) as Record<string, unknown>;
  const size = JSON.stringify(bounded).length;
  return size <= MAX_DETAILS ? bounded : { truncated: `the details were ${count(size)} characters of JSON; see the message` };
}

/**
 * A message that embeds a list of problems (`details.problems`, joined with "; ") with that list shortened
 * to `5,000 problems: a; b; c … and 4,997 more`; otherwise the message cut by boundMessage.
 */
function boundListedMessage(error: AppError): string {
  if (error.message.length <= MAX_MESSAGE) return error.message;
  const problems = error.details?.problems;
  if (Array.isArray(problems) && problems.length > 1 && problems.every((p): p is string => typeof p === 'string')) {
    const joined = problems.join('; ');
    const at = error.message.indexOf(joined);
    if (at >= 0) {
      const before = error.message.slice(0, Math.min(at, MAX_ECHO * 2));
      const after = error.message.slice(at + joined.length, at + joined.length + MAX_ECHO * 2);
      const shown = fitting(problems, MAX_MESSAGE - before.length - after.length - 80);
      return boundMessage(`${before}${echoList(problems, 'problems', shown, '; ')}${after}`);
    }
  }
  return boundMessage(error.message);
}

/** The error as a caller may see it and a log line may hold it: message and details bounded. */
export function boundError(error: AppError): AppError {
  const message = boundListedMessage(error);
  const details = error.details === undefined ? undefined : boundDetails(error.details);
  if (message === error.message && (details === undefined || JSON.stringify(details) === JSON.stringify(error.details))) return error;
  return new AppError(error.code, message, details, { cause: error.cause });
}
