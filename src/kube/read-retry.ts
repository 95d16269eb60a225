/**
 * One more try for a read whose connection was reset before it was answered, as client-go does: its
 * `isErrRetryableFunc` (k8s.io/client-go v0.34.4 rest/request.go:1064-1076) retries a GET — never a write, which
 * is not idempotent — when the error is a connection reset or a probable EOF (k8s.io/apimachinery
 * pkg/util/net/util.go:43-49 IsConnectionReset, pkg/util/net/http.go:79-101 IsProbableEOF). Such a reset is
 * what a pooled keep-alive socket meets when the server (or a proxy between) closes it as it is reused; Go's
 * transport replays an idempotent request on a reused connection for the same reason (net/http transport.go
 * shouldRetryRequest). client-go waits the artificial Retry-After of 1 s (rest/with_retry.go:356-358) and may
 * retry up to maxRetries; this exit retries once and at once: a second reset is an outage, answered `unavailable`.
 * A request the caller cancelled or whose deadline passed is not retried. Each retry is counted in
 * kube_api_retries_total (src/observability/kube-metrics.ts).
 */

/** Node's words for "the peer reset or closed the connection before answering" (node:http, undici, node-fetch). */
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET']);
/** IsProbableEOF's messages, in Node's wording where it differs (`socket hang up` is Node's EOF before a response). */
const EOF_MESSAGES = ['socket hang up', 'other side closed', 'connection reset by peer', 'use of closed network connection'];

function codeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as { code?: unknown; errno?: unknown; cause?: unknown };
  if (typeof e.code === 'string') return e.code;
  if (typeof e.errno === 'string') return e.errno;
  return e.cause !== undefined && e.cause !== error ? codeOf(e.cause) : undefined;
}

/** A connection reset, or an EOF where the answer should have been (client-go's IsConnectionReset || IsProbableEOF). */
export function isConnectionResetOrEof(error: unknown): boolean {
  const code = codeOf(error);
  if (code !== undefined && RESET_CODES.has(code)) return true;
  const message = error instanceof Error ? error.message.toLowerCase() : '';
  return EOF_MESSAGES.some((m) => message.includes(m));
}

/** True when a request that failed with `error` before any answer is retried: a GET, not cancelled, reset. */
export function mayRetryRead(method: string, error: unknown, signal: AbortSignal | undefined): boolean {
  return method.toUpperCase() === 'GET' && signal?.aborted !== true && isConnectionResetOrEof(error);
}
