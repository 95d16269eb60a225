/**
 * A deadline for one request: this request's own AbortController and a setTimeout that holds it, cleared when
 * the response arrives (or by `dispose`). On Node 20, `AbortSignal.any([caller, AbortSignal.timeout(ms)])` lets
 * the garbage collector drop the timeout signal, and the request then never times out (nodejs/node#57736).
 * No client-node here: the raw GETs and watches use it on paths that must not load client-node at startup
 * (test/integration/stdio-start.test.ts); ./request-options.ts builds client-node's middleware on it.
 */
/** A deadline for one request: `signal` aborts after `timeoutMs` or when the caller's signal aborts. */
export interface RequestDeadline {
  readonly signal: AbortSignal;
  /** Clears the timer and the caller listener (idempotent); call when the request is over. */
  dispose(): void;
}

export function requestDeadline(
  callerSignal: AbortSignal | undefined,
  timeoutMs: number,
  what = 'the Kubernetes API request',
): RequestDeadline {
  const controller = new AbortController();
  const onCaller = (): void => controller.abort(callerSignal?.reason);
  const timer = setTimeout(() => {
    const error = new Error(`${what} did not complete within ${timeoutMs}ms`);
    error.name = 'TimeoutError';
    controller.abort(error);
  }, timeoutMs);
  if (callerSignal?.aborted) onCaller();
  else callerSignal?.addEventListener('abort', onCaller, { once: true });
  let disposed = false;
  return {
    signal: controller.signal,
    dispose: () => {
      if (disposed) return;
      disposed = true;
      clearTimeout(timer);
      callerSignal?.removeEventListener('abort', onCaller);
    },
  };
}
