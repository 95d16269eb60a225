/** The k0.clusters.* tools (docs/tools.md): declarations with thin handlers over the cluster manager. */
import { TOOL } from '../../tool-names.js';
import { CLUSTER_ACCESS } from '../../clusters/access.js';
import { ClusterManager } from '../../clusters/manager.js';
import type { WaitOptions } from '../../clusters/types.js';
import { clusterToolMetrics } from '../../observability/cluster-metrics.js';
import type { Session } from '../../runtime/types.js';
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
  updateInput,
  updateOutput,
} from './clusters-schemas.js';
import { parseDuration, POLL_INTERVAL, STALL_THRESHOLD, TIMEOUT } from '../../config/duration.js';
import type { ToolContext } from '../context.js';
import { defineTool } from './registry.js';

export const CLUSTER_TOOL_NAMES = {
  listCredentials: TOOL.clustersListCredentials,
  listTemplates: TOOL.clustersListTemplates,
  list: TOOL.clustersList,
  deploy: TOOL.clustersDeploy,
  update: TOOL.clustersUpdate,
  delete: TOOL.clustersDelete,
} as const;

export const LIST_ANNOTATIONS = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false } as const;
const DEPLOY_ANNOTATIONS = { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false } as const;
const UPDATE_ANNOTATIONS = { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false } as const;
const DELETE_ANNOTATIONS = { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false } as const;

const managers = new WeakMap<Session, ClusterManager>();

/** The session's cluster manager (one per session: its identity, policy and logger). */
export function clusterManager(context: ToolContext): ClusterManager {
  const { session, runtime } = context;
  let manager = managers.get(session);
  if (manager === undefined) {
    manager = new ClusterManager({
      kube: session.kube,
      namespaces: session.namespaces,
      fieldOwner: runtime.settings.deployFieldOwner,
      logger: session.logger,
    });
    managers.set(session, manager);
  }
  return manager;
}

/** The wait options of deploy/update, parsed even without wait=true: a malformed duration is bad input, reported before any API call. */
function provisionWait(args: {
  wait?: boolean | undefined;
  pollInterval?: string | undefined;
  provisionTimeout?: string | undefined;
  stallThreshold?: string | undefined;
}): WaitOptions | undefined {
  const options: WaitOptions = {
    pollIntervalMs: parseDuration(args.pollInterval ?? '30s', 'pollInterval', POLL_INTERVAL),
    timeoutMs: parseDuration(args.provisionTimeout ?? '30m', 'provisionTimeout', TIMEOUT),
    stallThresholdMs: parseDuration(args.stallThreshold ?? '10m', 'stallThreshold', STALL_THRESHOLD),
  };
  return args.wait ? options : undefined;
}

export const clusterTools = [
  defineTool({
    name: CLUSTER_TOOL_NAMES.listCredentials,
    operation: 'listCredentials',
    title: 'List k0rdent credentials',
    description: (settings) =>
      `List the k0rdent Credentials (cloud identities) usable for ClusterDeployments, in ${settings.globalNamespace} and the namespaces the server may read, with provider and readiness. A deployment can only use a credential from its own namespace.`,
    input: listCredentialsInput,
    output: listCredentialsOutput,
    annotations: LIST_ANNOTATIONS,
    metrics: clusterToolMetrics('listCredentials'),
    access: CLUSTER_ACCESS.listCredentials,
    run: async (args, { context, hooks }) => clusterManager(context).listCredentials(args, hooks),
  }),
  defineTool({
    name: CLUSTER_TOOL_NAMES.listTemplates,
    operation: 'listTemplates',
    title: 'List k0rdent cluster templates',
    description: (settings) =>
      `List ClusterTemplates: cloud, providers, versions, validity. A deployment can only use a template of its own namespace: pass that namespace. scope: all (default), global (${settings.globalNamespace} only) or local (the others). ${TOOL.templatesGet} has one template's required settings and an example.`,
    input: listTemplatesInput,
    output: listTemplatesOutput,
    annotations: LIST_ANNOTATIONS,
    metrics: clusterToolMetrics('listTemplates'),
    access: CLUSTER_ACCESS.listTemplates,
    run: async (args, { context, hooks }) => clusterManager(context).listTemplates(args, hooks),
  }),
  defineTool({
    name: CLUSTER_TOOL_NAMES.list,
    operation: 'list',
    title: 'List cluster deployments',
    description:
      'List ClusterDeployments (child clusters) in the readable namespaces: template, credential, readiness, a one-line phase and whether it is being deleted.',
    input: listDeploymentsInput,
    output: listDeploymentsOutput,
    annotations: LIST_ANNOTATIONS,
    metrics: clusterToolMetrics('list'),
    access: CLUSTER_ACCESS.list,
    run: async (args, { context, hooks }) => clusterManager(context).listDeployments(args, hooks),
  }),
  defineTool({
    name: CLUSTER_TOOL_NAMES.deploy,
    operation: 'deploy',
    title: 'Deploy a cluster',
    description: `Create a ClusterDeployment from a ClusterTemplate and a Credential of its namespace, after the checks kcm makes (config keys the template does not define are refused). The same input again answers "unchanged"; a name taken with other input is a conflict listing the differences (change it with ${TOOL.clustersUpdate}). wait=true follows it to Ready with progress notifications.`,
    input: deployInput,
    output: deployOutput,
    annotations: DEPLOY_ANNOTATIONS,
    metrics: clusterToolMetrics('deploy'),
    access: CLUSTER_ACCESS.deploy,
    logFields: (args) => ({ namespace: args.namespace, template: args.template, credential: args.credential, cluster: args.name }),
    task: { operation: 'deploy', timeoutMs: (args) => parseDuration(args.provisionTimeout ?? '30m', 'provisionTimeout') },
    run: async (args, { context, hooks }) => {
      const { wait: outcome, ...result } = await clusterManager(context).deploy({ ...args, wait: provisionWait(args) }, hooks);
      return { ...result, ...(outcome ?? {}) };
    },
  }),
  defineTool({
    name: CLUSTER_TOOL_NAMES.update,
    operation: 'update',
    title: 'Update a cluster',
    description:
      'Change an existing ClusterDeployment: config as a JSON merge patch over spec.config (only the keys given change, null removes one), a template upgrade (one of its status.availableUpgrades), credential or labels. Lists the changes ("config.workersNumber: 1 → 3"), "unchanged" when none. A deployment this server did not create needs adopt=true. dryRun=true writes nothing; wait=true follows it until kcm reconciled it.',
    input: updateInput,
    output: updateOutput,
    annotations: UPDATE_ANNOTATIONS,
    metrics: clusterToolMetrics('update'),
    access: CLUSTER_ACCESS.update,
    logFields: (args) => ({ namespace: args.namespace, template: args.template, credential: args.credential, cluster: args.name }),
    task: { operation: 'update', timeoutMs: (args) => parseDuration(args.provisionTimeout ?? '30m', 'provisionTimeout') },
    run: async (args, { context, hooks }) => {
      const { wait: outcome, ...result } = await clusterManager(context).update({ ...args, wait: provisionWait(args) }, hooks);
      return { ...result, ...(outcome ?? {}) };
    },
  }),
  defineTool({
    name: CLUSTER_TOOL_NAMES.delete,
    operation: 'delete',
    title: 'Delete a cluster',
    description:
      'Delete a ClusterDeployment with foreground propagation. "not_found" (nothing to delete) is a success; deleting one already being deleted is "deleted". wait=true follows it until it is gone.',
    input: deleteInput,
    output: deleteOutput,
    annotations: DELETE_ANNOTATIONS,
    metrics: clusterToolMetrics('delete'),
    access: CLUSTER_ACCESS.delete,
    logFields: (args) => ({ namespace: args.namespace, cluster: args.name }),
    task: { operation: 'delete', timeoutMs: (args) => parseDuration(args.deletionTimeout ?? '20m', 'deletionTimeout') },
    run: async (args, { context, hooks }) => {
      const waitOptions: WaitOptions = {
        pollIntervalMs: parseDuration(args.pollInterval ?? '60s', 'pollInterval', POLL_INTERVAL),
        timeoutMs: parseDuration(args.deletionTimeout ?? '20m', 'deletionTimeout', TIMEOUT),
      };
      const wait = args.wait ? waitOptions : undefined;
      const { wait: outcome, ...result } = await clusterManager(context).delete({ ...args, wait }, hooks);
      return { ...result, ...(outcome ?? {}) };
    },
  }),
];
