/** Go-style durations ("30s", "10m", "1h30m", "500ms") as tool inputs. Pure. */
import { AppError } from '../../errors.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
/** One day: no wait in this server is meant to be longer. */
const MAX_MS = 86_400_000;

export function parseDuration(text: string, field: string): number {
  const trimmed = text.trim();
  let total = 0;
  let consumed = 0;
  for (const match of trimmed.matchAll(PART)) {
    if (match.index !== consumed) break;
    total += Number(match[1]) * (UNIT_MS[match[2] as string] as number);
    consumed += match[0].length;
  }
  if (trimmed === '' || consumed !== trimmed.length || total <= 0 || total > MAX_MS) {
    throw new AppError('invalidParams', `${field} "${text}" is not a duration between 1ms and 24h; write it like "30s", "10m" or "1h30m"`, { field });
  }
  return Math.round(total);
}
