/** The k0.clusters.* tools: thin handlers over the cluster manager (SPEC section 6). */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import { ClusterManager } from '../../clusters/manager.js';
import type { WaitOptions } from '../../clusters/types.js';
import {
  deleteInput,
  deleteOutput,
  deployInput,
  deployOutput,
  listCredentialsInput,
  listCredentialsOutput,
  listDeploymentsInput,
  listDeploymentsOutput,
  listTemplatesInput,
  listTemplatesOutput,
} from './clusters-schemas.js';
import { parseDuration } from './duration.js';
import type { ToolContext } from './index.js';
import { runTool } from './run.js';

export const CLUSTER_TOOL_NAMES = {
  listCredentials: 'k0.clusters.listCredentials',
  listTemplates: 'k0.clusters.listTemplates',
  list: 'k0.clusters.list',
  deploy: 'k0.clusters.deploy',
  delete: 'k0.clusters.delete',
} as const;

/** `dotted` names as in SPEC section 6, or `snake` (`k0_clusters_listCredentials`) for clients that reject dots. */
export function toolName(dotted: string, style: 'dotted' | 'snake'): string {
  return style === 'snake' ? dotted.replace(/\./g, '_') : dotted;
}

const LIST_ANNOTATIONS: ToolAnnotations = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false };
const DEPLOY_ANNOTATIONS: ToolAnnotations = { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false };
const DELETE_ANNOTATIONS: ToolAnnotations = { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false };

export function registerClusterTools(server: McpServer, context: ToolContext): void {
  const { settings } = context.runtime;
  const { session } = context;
  const manager = new ClusterManager({ kubeConfig: session.kubeConfig, namespaces: session.namespaces, fieldOwner: settings.deployFieldOwner, logger: session.logger });
  const name = (dotted: string): string => toolName(dotted, settings.toolNameStyle);
  const G = settings.globalNamespace;

  server.registerTool(
    name(CLUSTER_TOOL_NAMES.listCredentials),
    {
      title: 'List k0rdent credentials',
      description: `List the k0rdent Credentials (cloud identities) usable for ClusterDeployments, in ${G} and the namespaces the server may read, with provider and readiness. A deployment can only use a credential from its own namespace.`,
      inputSchema: listCredentialsInput,
      outputSchema: listCredentialsOutput,
      annotations: LIST_ANNOTATIONS,
    },
    (args, extra) =>
      runTool(context, { tool: CLUSTER_TOOL_NAMES.listCredentials, operation: 'listCredentials', fields: { namespace: args.namespace } }, extra, async (hooks) => ({
        ...(await manager.listCredentials(args, hooks)),
      })),
  );

  server.registerTool(
    name(CLUSTER_TOOL_NAMES.listTemplates),
    {
      title: 'List k0rdent cluster templates',
      description: `List ClusterTemplates with cloud, version, validity and a config outline (required keys and top-level settings). scope: all (default), global (${G} only) or local (the other readable namespaces). A deployment can only use a template from its own namespace.`,
      inputSchema: listTemplatesInput,
      outputSchema: listTemplatesOutput,
      annotations: LIST_ANNOTATIONS,
    },
    (args, extra) =>
      runTool(context, { tool: CLUSTER_TOOL_NAMES.listTemplates, operation: 'listTemplates', fields: { namespace: args.namespace } }, extra, async (hooks) => ({
        ...(await manager.listTemplates(args, hooks)),
      })),
  );

  server.registerTool(
    name(CLUSTER_TOOL_NAMES.list),
    {
      title: 'List cluster deployments',
      description: 'List ClusterDeployments (child clusters) in the readable namespaces: template, credential, readiness, a one-line phase and whether it is being deleted.',
      inputSchema: listDeploymentsInput,
      outputSchema: listDeploymentsOutput,
      annotations: LIST_ANNOTATIONS,
    },
    (args, extra) =>
      runTool(context, { tool: CLUSTER_TOOL_NAMES.list, operation: 'list', fields: { namespace: args.namespace } }, extra, async (hooks) => ({
        ...(await manager.listDeployments(args, hooks)),
      })),
  );

  if (settings.readOnly) return;

  server.registerTool(
    name(CLUSTER_TOOL_NAMES.deploy),
    {
      title: 'Deploy a cluster',
      description:
        'Create or update a ClusterDeployment (server-side apply) from a ClusterTemplate and a Credential in the same namespace, after checking what kcm will check. Re-running with the same input is safe (status "unchanged"). wait=true follows it to Ready with progress notifications.',
      inputSchema: deployInput,
      outputSchema: deployOutput,
      annotations: DEPLOY_ANNOTATIONS,
    },
    (args, extra) =>
      runTool(
        context,
        { tool: CLUSTER_TOOL_NAMES.deploy, operation: 'deploy', fields: { namespace: args.namespace, template: args.template, credential: args.credential, cluster: args.name } },
        extra,
        async (hooks) => {
          // Parsed even without wait=true: a malformed duration is bad input, reported before any API call.
          const waitOptions: WaitOptions = {
            pollIntervalMs: parseDuration(args.pollInterval ?? '30s', 'pollInterval'),
            timeoutMs: parseDuration(args.provisionTimeout ?? '30m', 'provisionTimeout'),
            stallThresholdMs: parseDuration(args.stallThreshold ?? '10m', 'stallThreshold'),
          };
          const wait = args.wait ? waitOptions : undefined;
          const { wait: outcome, ...result } = await manager.deploy({ ...args, wait }, hooks);
          return { ...result, ...(outcome ?? {}) };
        },
      ),
  );

  server.registerTool(
    name(CLUSTER_TOOL_NAMES.delete),
    {
      title: 'Delete a cluster',
      description:
        'Delete a ClusterDeployment with foreground propagation. "not_found" (nothing to delete) is a success; deleting one already being deleted is "deleted". wait=true follows it until it is gone.',
      inputSchema: deleteInput,
      outputSchema: deleteOutput,
      annotations: DELETE_ANNOTATIONS,
    },
    (args, extra) =>
      runTool(context, { tool: CLUSTER_TOOL_NAMES.delete, operation: 'delete', fields: { namespace: args.namespace, cluster: args.name } }, extra, async (hooks) => {
        const waitOptions: WaitOptions = {
          pollIntervalMs: parseDuration(args.pollInterval ?? '60s', 'pollInterval'),
          timeoutMs: parseDuration(args.deletionTimeout ?? '20m', 'deletionTimeout'),
        };
        const wait = args.wait ? waitOptions : undefined;
        const { wait: outcome, ...result } = await manager.delete({ ...args, wait }, hooks);
        return { ...result, ...(outcome ?? {}) };
      }),
  );
}
