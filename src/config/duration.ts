/**
 * Go-style durations ("30s", "10m", "1h30m", "500ms") as tool inputs, with the bounds each kind of
 * duration must keep: a re-check interval below 1s would hammer the API, a stall threshold below 10s would
 * flood the log, a timeout outside 1s..24h is a mistake. Out of bounds is invalidParams, never rounded. Pure.
 */
import { AppError, echo } from '../errors.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
const SECOND = 1000;
const DAY = 86_400_000;

export interface DurationBounds {
  minMs: number;
  maxMs: number;
}

/** pollInterval: re-checks at most once a second. */
export const POLL_INTERVAL: DurationBounds = { minMs: SECOND, maxMs: DAY };
/** stallThreshold: a warning at most every 10 seconds. */
export const STALL_THRESHOLD: DurationBounds = { minMs: 10 * SECOND, maxMs: DAY };
/** provisionTimeout, deletionTimeout and other timeouts. */
export const TIMEOUT: DurationBounds = { minMs: SECOND, maxMs: DAY };

function show(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

export function parseDuration(text: string, field: string, bounds: DurationBounds = TIMEOUT): number {
  const trimmed = text.trim();
  let total = 0;
  let consumed = 0;
  for (const match of trimmed.matchAll(PART)) {
    if (match.index !== consumed) break;
    total += Number(match[1]) * (UNIT_MS[match[2] as string] as number);
    consumed += match[0].length;
  }
  const range = `between ${show(bounds.minMs)} and ${show(bounds.maxMs)}`;
  if (trimmed === '' || consumed !== trimmed.length || !Number.isFinite(total)) {
    throw new AppError('invalidParams', `${field} ${echo(text, 60)} is not a duration; write it like "30s", "10m" or "1h30m" (${range})`, {
      field,
    });
  }
  if (total < bounds.minMs || total > bounds.maxMs) {
    throw new AppError('invalidParams', `${field} ${echo(text, 60)} is out of bounds: it must be ${range}`, {
      field,
      minMs: bounds.minMs,
      maxMs: bounds.maxMs,
    });
  }
  // Whole milliseconds, rounded up so nothing within the bounds ever becomes shorter than asked.
  return Math.ceil(total);
}
