/**
 * client-node's fetch-based HTTP library with every request counted and timed in
 * kube_api_requests_total / kube_api_request_duration_seconds (src/observability/kube-metrics.ts), and a GET
 * whose connection is reset before the answer sent once more (./read-retry.ts, as client-go does).
 */
import type { HttpLibrary, RequestContext, ResponseContext } from '@kubernetes/client-node';
import type { KubeApiMetrics } from '../observability/kube-metrics.js';
import type { ClientNode } from './client-node.js';
import { requestInfo } from './request-info.js';
import { mayRetryRead } from './read-retry.js';

export function instrumentedHttp(k8s: ClientNode, metrics: KubeApiMetrics): HttpLibrary {
  const base = new k8s.IsomorphicFetchHttpLibrary();
  return {
    send(request: RequestContext) {
      const info = requestInfo(request.getHttpMethod(), request.getUrl());
      const attempt = (): Promise<ResponseContext> => {
        const started = performance.now();
        const observe = (code: number | 'error'): void =>
          metrics.observe(info.verb, info.resource, code, (performance.now() - started) / 1000);
        return base
          .send(request)
          .toPromise()
          .then(
            (response: ResponseContext) => {
              observe(response.httpStatusCode);
              return response;
            },
            (error: unknown) => {
              observe('error');
              throw error;
            },
          );
      };
      const answered = attempt().catch((error: unknown) => {
        if (!mayRetryRead(String(request.getHttpMethod()), error, request.getSignal())) throw error;
        metrics.retried(info.verb, info.resource);
        return attempt();
      });
      return new k8s.Observable(answered);
    },
  };
}
