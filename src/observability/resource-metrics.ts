/**
 * MCP resource requests (docs/operations.md "Metrics", the tool metrics' counterpart for `k0rdent://clusters/...`):
 * `mcp_resource_requests_total{method,outcome}`, `mcp_resource_request_duration_seconds{method}` and the
 * `mcp_resource_subscriptions` gauge (deployments followed by resources/subscribe, all sessions). Every
 * series exists at 0 from startup (registered with the registry itself, ./metrics.ts).
 */
import { Gauge, type Registry } from 'prom-client';
import { getOrCreateCounter, getOrCreateHistogram, type ToolOutcome } from './instruments.js';
import { TOOL_OUTCOMES } from './tool-metrics.js';

export const RESOURCE_REQUESTS_TOTAL = 'mcp_resource_requests_total';
export const RESOURCE_REQUEST_DURATION_SECONDS = 'mcp_resource_request_duration_seconds';
export const RESOURCE_SUBSCRIPTIONS = 'mcp_resource_subscriptions';

/** The `method` label values: the resource requests this server answers. */
export const RESOURCE_METHODS = ['resources/read', 'resources/list', 'resources/subscribe', 'resources/unsubscribe'] as const;
export type ResourceMethod = (typeof RESOURCE_METHODS)[number];

function requests(registry: Registry) {
  return getOrCreateCounter(registry, {
    name: RESOURCE_REQUESTS_TOTAL,
    help: 'MCP resource requests by method and outcome',
    labelNames: ['method', 'outcome'] as const,
  });
}

function duration(registry: Registry) {
  return getOrCreateHistogram(registry, {
    name: RESOURCE_REQUEST_DURATION_SECONDS,
    help: 'Duration of MCP resource requests in seconds',
    labelNames: ['method'] as const,
  });
}

function subscriptions(registry: Registry): Gauge {
  const existing = registry.getSingleMetric(RESOURCE_SUBSCRIPTIONS);
  if (existing) {
    if (!(existing instanceof Gauge)) throw new Error(`metric ${RESOURCE_SUBSCRIPTIONS} is registered with another type`);
    return existing;
  }
  return new Gauge({
    name: RESOURCE_SUBSCRIPTIONS,
    help: 'ClusterDeployments followed through resources/subscribe, over all sessions',
    registers: [registry],
  });
}

/** Creates every series at 0. */
export function registerResourceMetrics(registry: Registry): void {
  const counter = requests(registry);
  const histogram = duration(registry);
  for (const method of RESOURCE_METHODS) {
    for (const outcome of TOOL_OUTCOMES) counter.inc({ method, outcome }, 0);
    histogram.zero({ method });
  }
  subscriptions(registry).set(0);
}

export function observeResourceRequest(registry: Registry, method: ResourceMethod, outcome: ToolOutcome, seconds: number): void {
  requests(registry).inc({ method, outcome });
  duration(registry).observe({ method }, seconds);
}

/** Moves the subscriptions gauge by `delta` (a session's count after a request minus before it). */
export function addResourceSubscriptions(registry: Registry, delta: number): void {
  if (delta !== 0) subscriptions(registry).inc(delta);
}
