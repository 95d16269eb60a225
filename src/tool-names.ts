/**
 * The tools' names: the dotted name of every tool (the declarations in src/mcp/tools take theirs from TOOL) and
 * how a name is rendered in the session's TOOL_NAME_STYLE — `dotted` as declared, or `snake` for clients that
 * reject dots. A message that names a tool writes `toolRef(TOOL.clustersUpdate)`: during a tool call the
 * registry (src/mcp/tools/registry.ts) has set the calling session's style, so the message names the tool as
 * that client lists it. Bottom layer: any module may import this one, and it imports nothing of the product.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export type ToolNameStyle = 'dotted' | 'snake';

export const TOOL = {
  clustersListCredentials: 'k0.clusters.listCredentials',
  clustersListTemplates: 'k0.clusters.listTemplates',
  clustersList: 'k0.clusters.list',
  clustersDeploy: 'k0.clusters.deploy',
  clustersUpdate: 'k0.clusters.update',
  clustersDelete: 'k0.clusters.delete',
  clustersGet: 'k0.clusters.get',
  eventsList: 'k0.events.list',
  templatesGet: 'k0.templates.get',
  namespacesList: 'k0.namespaces.list',
  providersList: 'k0.providers.list',
  servicesListTemplates: 'k0.services.listTemplates',
  clustersServicesApply: 'k0.clusters.services.apply',
  clustersServicesRemove: 'k0.clusters.services.remove',
  multiClusterServicesList: 'k0.multiClusterServices.list',
  multiClusterServicesApply: 'k0.multiClusterServices.apply',
  multiClusterServicesDelete: 'k0.multiClusterServices.delete',
  clustersServicesStatus: 'k0.clusters.services.status',
  clustersDiagnose: 'k0.clusters.diagnose',
  logsGet: 'k0.logs.get',
  platformStatus: 'k0.platform.status',
  regionsList: 'k0.regions.list',
  catalogList: 'k0.catalog.list',
  catalogGet: 'k0.catalog.get',
  catalogInstall: 'k0.catalog.install',
  catalogUninstall: 'k0.catalog.uninstall',
} as const;

export type ToolId = (typeof TOOL)[keyof typeof TOOL];

/** A dotted name in `style`: `k0.clusters.list` or `k0_clusters_list`. */
export function toolName(dotted: string, style: ToolNameStyle): string {
  return style === 'snake' ? dotted.replace(/\./g, '_') : dotted;
}

const callStyle = new AsyncLocalStorage<ToolNameStyle>();

/** Runs `body` (a tool call) with the style messages built inside it name tools in. */
export function withToolNameStyle<T>(style: ToolNameStyle, body: () => T): T {
  return callStyle.run(style, body);
}

/** A tool as a message names it: in the style of the call being answered (dotted outside a call), or `style`. */
export function toolRef(tool: ToolId, style: ToolNameStyle = callStyle.getStore() ?? 'dotted'): string {
  return toolName(tool, style);
}

/** Longest first, so `k0.clusters.list` never matches the start of `k0.clusters.listTemplates`. */
const NAMES = new RegExp(
  `(?<![\\w.])(?:${Object.values(TOOL)
    .sort((a, b) => b.length - a.length)
    .map((name) => name.replace(/\./g, '\\.'))
    .join('|')})(?![\\w])`,
  'g',
);

/** Every tool name in `text` in `style`. For the server's own prose (descriptions), never for data it relays. */
export function renderToolNames(text: string, style: ToolNameStyle): string {
  return style === 'dotted' ? text : text.replace(NAMES, (name) => toolName(name, style));
}
