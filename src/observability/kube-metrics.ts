/**
 * The Kubernetes API calls this server makes (docs/operations.md "Metrics"): `kube_api_requests_total{verb,resource,code}`
 * and `kube_api_request_duration_seconds{verb,resource}`, named here and nowhere else. `code` is the
 * HTTP status, or `error` when no answer came (refused, reset, timed out, cancelled).
 */
import type { Registry } from 'prom-client';
import { getOrCreateCounter, getOrCreateHistogram } from './instruments.js';

export const KUBE_API_REQUESTS_TOTAL = 'kube_api_requests_total';
export const KUBE_API_REQUEST_DURATION_SECONDS = 'kube_api_request_duration_seconds';
export const KUBE_API_RETRIES_TOTAL = 'kube_api_retries_total';

/** Seconds; API calls are milliseconds on a LAN, tens of milliseconds across one. A watch is timed to its first answer. */
const KUBE_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export interface KubeApiMetrics {
  observe(verb: string, resource: string, code: number | 'error', seconds: number): void;
  /** A read sent again after its connection was reset before the answer (src/kube/read-retry.ts). */
  retried(verb: string, resource: string): void;
}

export function kubeApiMetrics(registry: Registry): KubeApiMetrics {
  const total = getOrCreateCounter(registry, {
    name: KUBE_API_REQUESTS_TOTAL,
    help: 'Kubernetes API requests made by this server, by verb, resource and HTTP code (error = no answer)',
    labelNames: ['verb', 'resource', 'code'] as const,
  });
  const duration = getOrCreateHistogram(registry, {
    name: KUBE_API_REQUEST_DURATION_SECONDS,
    help: 'Latency of Kubernetes API requests made by this server, in seconds (watches: until the response headers)',
    labelNames: ['verb', 'resource'] as const,
    buckets: KUBE_BUCKETS,
  });
  const retries = getOrCreateCounter(registry, {
    name: KUBE_API_RETRIES_TOTAL,
    help: 'Kubernetes API reads sent a second time because the connection was reset before the answer, by verb and resource',
    labelNames: ['verb', 'resource'] as const,
  });
  return {
    observe(verb, resource, code, seconds) {
      total.inc({ verb, resource, code: String(code) });
      duration.observe({ verb, resource }, seconds);
    },
    retried(verb, resource) {
      retries.inc({ verb, resource });
    },
  };
}
