/**
 * The process's own metrics for an SRE (docs/operations.md "Metrics"): build info, tool calls in flight and HTTP
 * requests by route and status code. Named here and nowhere else; registered with the registry itself
 * (./metrics.ts), so they exist from startup.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { packageVersion } from '../config/package.js';
import { registerResourceMetrics } from './resource-metrics.js';

export const BUILD_INFO = 'k0rdent_mcp_build_info';
export const INFLIGHT_CALLS = 'mcp_inflight_calls';
export const HTTP_REQUESTS_TOTAL = 'http_requests_total';

/** The `route` label values: the server's own paths, everything else is `other` (a label per URL would grow without bound). */
export const HTTP_ROUTES = ['/mcp', '/healthz', '/readyz', '/metrics', '/.well-known/oauth-protected-resource', 'other'] as const;
export type HttpRoute = (typeof HTTP_ROUTES)[number];

function gauge(registry: Registry, name: string, help: string, labelNames: readonly string[] = []): Gauge {
  const existing = registry.getSingleMetric(name);
  if (existing) {
    if (!(existing instanceof Gauge)) throw new Error(`metric ${name} is registered with another type`);
    return existing;
  }
  return new Gauge({ name, help, labelNames, registers: [registry] });
}

function inflight(registry: Registry): Gauge {
  return gauge(registry, INFLIGHT_CALLS, 'MCP tool calls being handled right now (a waiting deploy or delete counts until it returns)');
}

function httpRequests(registry: Registry): Counter<'route' | 'code'> {
  const existing = registry.getSingleMetric(HTTP_REQUESTS_TOTAL);
  if (existing) {
    if (!(existing instanceof Counter)) throw new Error(`metric ${HTTP_REQUESTS_TOTAL} is registered with another type`);
    return existing as Counter<'route' | 'code'>;
  }
  return new Counter({
    name: HTTP_REQUESTS_TOTAL,
    help: 'HTTP requests answered by serve, by route and status code',
    labelNames: ['route', 'code'] as const,
    registers: [registry],
  });
}

/** Creates this module's families: build info (1), in-flight calls (0), the HTTP counter, and the resource series. */
export function registerServerMetrics(registry: Registry): void {
  gauge(registry, BUILD_INFO, 'Always 1; the version label says which build of k0rdent-mcp runs', ['version', 'node']).set(
    { version: packageVersion(), node: process.version },
    1,
  );
  inflight(registry).set(0);
  httpRequests(registry);
  registerResourceMetrics(registry);
}

/** Counts a tool call as in flight; call the returned function exactly once when it has been answered. */
export function trackInflightCall(registry: Registry): () => void {
  const calls = inflight(registry);
  calls.inc();
  let done = false;
  return () => {
    if (done) return;
    done = true;
    calls.dec();
  };
}

/** The `route` label of a request path. */
export function routeOf(path: string): HttpRoute {
  if (path === '/.well-known/oauth-protected-resource/mcp') return '/.well-known/oauth-protected-resource';
  return (HTTP_ROUTES as readonly string[]).includes(path) ? (path as HttpRoute) : 'other';
}

/** Records one answered HTTP request. */
export function observeHttpRequest(registry: Registry, path: string, code: number): void {
  httpRequests(registry).inc({ route: routeOf(path), code: String(code) });
}
