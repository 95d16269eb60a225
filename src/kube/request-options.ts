/**
 * Per-request options for client-node calls: a deadline plus the caller's cancellation signal. Aborting
 * the request (not just abandoning its promise) is what frees the socket when an API server accepts a
 * connection and never answers.
 */
import { Observable, type ConfigurationOptions, type ObservableMiddleware, type RequestContext, type ResponseContext } from '@kubernetes/client-node';

function deadlineMiddleware(signal: AbortSignal | undefined, timeoutMs: number): ObservableMiddleware {
  return {
    pre: (context: RequestContext) => {
      const timeout = AbortSignal.timeout(timeoutMs);
      context.setSignal(signal ? AbortSignal.any([signal, timeout]) : timeout);
      return new Observable(Promise.resolve(context));
    },
    post: (context: ResponseContext) => new Observable(Promise.resolve(context)),
  };
}

/** Options for one client-node call: aborted after `timeoutMs` or when `signal` aborts. */
export function requestOptions(signal: AbortSignal | undefined, timeoutMs: number): ConfigurationOptions {
  return { middleware: [deadlineMiddleware(signal, timeoutMs)], middlewareMergeStrategy: 'append' };
}
