/** The k0rdent catalog tools: declarations with thin handlers over the catalog manager (src/catalog). */
import { CATALOG_ACCESS } from '../../catalog/access.js';
import { CatalogManager } from '../../catalog/manager.js';
import { CatalogSource } from '../../catalog/source.js';
import { parseDuration, POLL_INTERVAL, TIMEOUT } from '../../config/duration.js';
import type { Settings } from '../../config/types.js';
import { TOOL } from '../../tool-names.js';
import type { ToolContext } from '../context.js';
import { clusterManager, LIST_ANNOTATIONS } from './clusters.js';
import {
  catalogGetInput,
  catalogGetOutput,
  catalogInstallInput,
  catalogInstallOutput,
  catalogListInput,
  catalogListOutput,
  catalogUninstallInput,
  catalogUninstallOutput,
} from './catalog-schemas.js';
import { defineTool } from './registry.js';

/** SSA field manager of what k0.catalog.install writes. */
export const CATALOG_FIELD_OWNER = 'mcp.catalog';

const INSTALL_ANNOTATIONS = { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false } as const;
const UNINSTALL_ANNOTATIONS = { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false } as const;

/** One index source per server (settings object): the fetched index and its cache are shared by every session. */
const sources = new WeakMap<Settings, CatalogSource>();

function catalogManager(context: ToolContext): CatalogManager {
  const settings = context.runtime.settings;
  let source = sources.get(settings);
  if (source === undefined) sources.set(settings, (source = new CatalogSource(settings.catalog)));
  return new CatalogManager(clusterManager(context).readContext(), { source, fieldOwner: CATALOG_FIELD_OWNER });
}

export const catalogTools = [
  defineTool({
    name: TOOL.catalogList,
    operation: 'catalogList',
    title: 'Search the k0rdent catalog',
    description:
      'Apps of the k0rdent catalog (Helm charts packaged for k0rdent services), from the index shipped with this server (works offline) or a refreshed one: name, support type, tags, newest version. Filter by words, tag or supportType. Says which index answered (source, date, stale).',
    input: catalogListInput,
    output: catalogListOutput,
    annotations: LIST_ANNOTATIONS,
    access: CATALOG_ACCESS.list,
    run: async (args, { context, hooks }) => catalogManager(context).list(args, hooks),
  }),
  defineTool({
    name: TOOL.catalogGet,
    operation: 'catalogGet',
    title: 'One k0rdent catalog app',
    description:
      'One catalog app: versions, support type, its charts in install order with dependsOn and the values nesting key (service values go under it), and which versions are installed as ServiceTemplates in the readable namespaces, valid or not, and whether a newer one exists.',
    input: catalogGetInput,
    output: catalogGetOutput,
    annotations: LIST_ANNOTATIONS,
    access: CATALOG_ACCESS.get,
    run: async (args, { context, hooks }) => catalogManager(context).get(args.app, hooks),
  }),
  defineTool({
    name: TOOL.catalogInstall,
    operation: 'catalogInstall',
    title: 'Install a catalog app as ServiceTemplates',
    description: `Install a catalog app as its kgst chart does, without Helm: the HelmRepository and one ServiceTemplate per chart (<chart>-<version, dots as dashes>), server-side applied by "${CATALOG_FIELD_OWNER}" after a dry run. wait=true: until kcm marks each template valid. A kgst Helm release's objects are reported, not changed.`,
    input: catalogInstallInput,
    output: catalogInstallOutput,
    annotations: INSTALL_ANNOTATIONS,
    access: CATALOG_ACCESS.install,
    logFields: (args) => ({ namespace: args.namespace, template: args.app }),
    run: async (args, { context, hooks }) => {
      const wait = {
        pollIntervalMs: parseDuration('30s', 'pollInterval', POLL_INTERVAL),
        timeoutMs: parseDuration(args.timeout ?? '5m', 'timeout', TIMEOUT),
      };
      return catalogManager(context).install({ ...args, wait: args.wait ? wait : undefined }, hooks);
    },
  }),
  defineTool({
    name: TOOL.catalogUninstall,
    operation: 'catalogUninstall',
    title: "Remove a catalog app's ServiceTemplates",
    description: `Delete the ServiceTemplates ${TOOL.catalogInstall} made for an app version (the HelmRepository stays). A template a ClusterDeployment or MultiClusterService uses is refused, naming the users, as kcm refuses it.`,
    input: catalogUninstallInput,
    output: catalogUninstallOutput,
    annotations: UNINSTALL_ANNOTATIONS,
    access: CATALOG_ACCESS.uninstall,
    logFields: (args) => ({ namespace: args.namespace, template: args.app }),
    run: async (args, { context, hooks }) => catalogManager(context).uninstall(args, hooks),
  }),
];
