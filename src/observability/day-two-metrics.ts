/**
 * The day-two read tools' own counters (besides mcp_tool_calls_total), named here and nowhere else:
 * clusters_get_total, events_list_total, templates_get_total, namespaces_list_total,
 * providers_list_total, platform_status_total, regions_list_total, each labelled `outcome`; every series exists at 0 from startup.
 */
import { TOOL } from '../tool-names.js';
import { getOrCreateCounter } from './instruments.js';
import { TOOL_OUTCOMES, type ToolMetrics } from './tool-metrics.js';

export type DayTwoOperation = 'get' | 'eventsList' | 'templatesGet' | 'namespacesList' | 'providersList' | 'platformStatus' | 'regionsList';

const NAMES: Record<DayTwoOperation, { name: string; tool: string }> = {
  get: { name: 'clusters_get_total', tool: TOOL.clustersGet },
  eventsList: { name: 'events_list_total', tool: TOOL.eventsList },
  templatesGet: { name: 'templates_get_total', tool: TOOL.templatesGet },
  namespacesList: { name: 'namespaces_list_total', tool: TOOL.namespacesList },
  providersList: { name: 'providers_list_total', tool: TOOL.providersList },
  platformStatus: { name: 'platform_status_total', tool: TOOL.platformStatus },
  regionsList: { name: 'regions_list_total', tool: TOOL.regionsList },
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
