/** Offset paging for lists that are computed whole (small or sorted in memory): the token binds the query. */
import { AppError } from './errors.js';

export function pageOf<T>(
  items: readonly T[],
  limit: number,
  token: string | undefined,
  queryKey: string,
): { items: T[]; continue?: string } {
  let offset = 0;
  if (token !== undefined) {
    try {
      const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { q?: unknown; o?: unknown };
      if (parsed.q !== queryKey || typeof parsed.o !== 'number' || !Number.isInteger(parsed.o) || parsed.o <= 0) throw new Error('shape');
      offset = parsed.o;
    } catch {
      throw new AppError(
        'invalidParams',
        'continue token is invalid or belongs to another query; repeat the same query without `continue` to start over',
      );
    }
  }
  const page = items.slice(offset, offset + limit);
  const next =
    offset + limit < items.length ? Buffer.from(JSON.stringify({ q: queryKey, o: offset + limit })).toString('base64url') : undefined;
  return { items: page, ...(next !== undefined ? { continue: next } : {}) };
}
