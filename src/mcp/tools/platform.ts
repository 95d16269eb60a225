/**
 * The platform tools: k0.platform.status (the management cluster's own health: Management, Releases,
 * ProviderTemplates, Regions) and k0.regions.list — declarations with thin handlers over src/platform.
 */
import { dayTwoToolMetrics } from '../../observability/day-two-metrics.js';
import { PLATFORM_ACCESS } from '../../platform/access.js';
import { listRegions, platformStatus } from '../../platform/manager.js';
import { clusterManager, LIST_ANNOTATIONS } from './clusters.js';
import { listRegionsInput, listRegionsOutput, platformStatusInput, platformStatusOutput } from './platform-schemas.js';
import { defineTool } from './registry.js';
import { TOOL } from '../../tool-names.js';

export const platformTools = [
  defineTool({
    name: TOOL.platformStatus,
    operation: 'platformStatus',
    title: 'Management cluster health',
    description:
      "Is the k0rdent management cluster itself healthy? The Management (its Release, each component's success or error, available providers, CAPI contracts), the Releases (current, ready to upgrade to), invalid ProviderTemplates and Regions, with the first unhealthy item named and what to do next. Call it first when deploys fail for every template, or before creating clusters.",
    input: platformStatusInput,
    output: platformStatusOutput,
    annotations: LIST_ANNOTATIONS,
    metrics: dayTwoToolMetrics('platformStatus'),
    access: PLATFORM_ACCESS.status,
    run: async (_args, { context, hooks }) => platformStatus(clusterManager(context).readContext(), { signal: hooks.signal }),
  }),
  defineTool({
    name: TOOL.regionsList,
    operation: 'regionsList',
    title: 'List regions',
    description:
      'The Regions (regional clusters kcm deploys into): ready or not, paused or not (kcm skips the deployments of a paused region), where the regional cluster comes from, its available providers and unhealthy components. A Credential with spec.region deploys its clusters into that region.',
    input: listRegionsInput,
    output: listRegionsOutput,
    annotations: LIST_ANNOTATIONS,
    metrics: dayTwoToolMetrics('regionsList'),
    access: PLATFORM_ACCESS.regionsList,
    run: async (_args, { context, hooks }) => listRegions(clusterManager(context).readContext(), { signal: hooks.signal }),
  }),
];
