/**
 * Per-request options for client-node calls: a deadline plus the caller's cancellation signal. Aborting
 * the request (not just abandoning its promise) is what frees the socket when an API server accepts a
 * connection and never answers.
 *
 * The deadline is this request's own AbortController and a setTimeout that holds it, cleared when the
 * response arrives (or by `dispose`): on Node 20, `AbortSignal.any([caller, AbortSignal.timeout(ms)])`
 * lets the garbage collector drop the timeout signal, and the request then never times out
 * (nodejs/node#57736).
 */
import {
  Observable,
  type ConfigurationOptions,
  type ObservableMiddleware,
  type RequestContext,
  type ResponseContext,
} from '@kubernetes/client-node';

export { requestDeadline, type RequestDeadline } from './deadline.js';
import { requestDeadline, type RequestDeadline } from './deadline.js';

function deadlineMiddleware(signal: AbortSignal | undefined, timeoutMs: number, deadlines: RequestDeadline[]): ObservableMiddleware {
  return {
    pre: (context: RequestContext) => {
      const deadline = requestDeadline(signal, timeoutMs);
      deadlines.push(deadline);
      context.setSignal(deadline.signal);
      return new Observable(Promise.resolve(context));
    },
    // Headers are in: the body follows on the same (now answered) request, bounded by the socket.
    post: (context: ResponseContext) => new Observable(Promise.resolve(context)),
  };
}

/** Options for one client-node call plus `dispose`, which the caller runs when the call has settled. */
export function requestOptions(signal: AbortSignal | undefined, timeoutMs: number): ConfigurationOptions & { dispose(): void } {
  const deadlines: RequestDeadline[] = [];
  return {
    middleware: [deadlineMiddleware(signal, timeoutMs, deadlines)],
    middlewareMergeStrategy: 'append',
    dispose: () => {
      for (const deadline of deadlines.splice(0)) deadline.dispose();
    },
  };
}
