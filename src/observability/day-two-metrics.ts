/**
 * The day-two read tools' own counters (besides mcp_tool_calls_total), named here and nowhere else:
 * clusters_get_total, events_list_total, templates_get_total, namespaces_list_total,
 * providers_list_total, platform_status_total, regions_list_total, each labelled `outcome`; every series exists at 0 from startup.
 */
import { getOrCreateCounter } from './instruments.js';
import { TOOL_OUTCOMES, type ToolMetrics } from './tool-metrics.js';

export type DayTwoOperation = 'get' | 'eventsList' | 'templatesGet' | 'namespacesList' | 'providersList' | 'platformStatus' | 'regionsList';

const NAMES: Record<DayTwoOperation, { name: string; tool: string }> = {
  get: { name: 'clusters_get_total', tool: 'k0.clusters.get' },
  eventsList: { name: 'events_list_total', tool: 'k0.events.list' },
  templatesGet: { name: 'templates_get_total', tool: 'k0.templates.get' },
  namespacesList: { name: 'namespaces_list_total', tool: 'k0.namespaces.list' },
  providersList: { name: 'providers_list_total', tool: 'k0.providers.list' },
  platformStatus: { name: 'platform_status_total', tool: 'k0.platform.status' },
  regionsList: { name: 'regions_list_total', tool: 'k0.regions.list' },
};

export function dayTwoToolMetrics(operation: DayTwoOperation): ToolMetrics {
  const { name, tool } = NAMES[operation];
  const counter = (registry: Parameters<ToolMetrics['init']>[0]) =>
    getOrCreateCounter(registry, { name, help: `${tool} calls by outcome`, labelNames: ['outcome'] as const });
  return {
    init(registry) {
      const total = counter(registry);
      for (const outcome of TOOL_OUTCOMES) total.inc({ outcome }, 0);
    },
    record(registry, outcome) {
      counter(registry).inc({ outcome });
    },
  };
}
