/** The service tools: declarations with thin handlers over the service manager (src/services). */
import { TOOL } from '../../tool-names.js';
import type { Session } from '../../runtime/types.js';
import { SERVICE_ACCESS } from '../../services/access.js';
import { ServiceManager } from '../../services/manager.js';
import { LIST_ANNOTATIONS } from './clusters.js';
import { parseDuration } from '../../config/duration.js';
import type { ToolContext } from '../context.js';
import { defineTool } from './registry.js';
import {
  applyServiceInput,
  applyServiceOutput,
  listMultiClusterServicesInput,
  listMultiClusterServicesOutput,
  listServiceTemplatesInput,
  listServiceTemplatesOutput,
  removeServiceInput,
  removeServiceOutput,
  servicesStatusInput,
  servicesStatusOutput,
} from './services-schemas.js';

export const SERVICE_TOOL_NAMES = {
  listTemplates: TOOL.servicesListTemplates,
  apply: TOOL.clustersServicesApply,
  remove: TOOL.clustersServicesRemove,
  listMultiClusterServices: TOOL.multiClusterServicesList,
  status: TOOL.clustersServicesStatus,
} as const;

const APPLY_ANNOTATIONS = { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false } as const;
const REMOVE_ANNOTATIONS = { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false } as const;

const managers = new WeakMap<Session, ServiceManager>();

export function serviceManager(context: ToolContext): ServiceManager {
  const { session, runtime } = context;
  let manager = managers.get(session);
  if (manager === undefined) {
    manager = new ServiceManager({
      kube: session.kube,
      namespaces: session.namespaces,
      fieldOwner: runtime.settings.servicesFieldOwner,
      logger: session.logger,
    });
    managers.set(session, manager);
  }
  return manager;
}

export const serviceTools = [
  defineTool({
    name: SERVICE_TOOL_NAMES.listTemplates,
    operation: 'listServiceTemplates',
    access: SERVICE_ACCESS.listTemplates,
    title: 'List k0rdent service templates',
    description:
      "List ServiceTemplates (Helm charts kcm can install on child clusters) in the readable namespaces: chart and version, description, validity, the Kubernetes versions it supports and whether it has a values schema. A service can only use a template from its ClusterDeployment's namespace.",
    input: listServiceTemplatesInput,
    output: listServiceTemplatesOutput,
    annotations: LIST_ANNOTATIONS,
    run: async (args, { context, hooks }) => serviceManager(context).listTemplates(args, hooks),
  }),
  defineTool({
    name: SERVICE_TOOL_NAMES.apply,
    operation: 'applyService',
    access: SERVICE_ACCESS.apply,
    title: 'Add or change a service on a cluster',
    description: (settings) =>
      `Add or change one service (a ServiceTemplate's Helm chart) on a ClusterDeployment, by server-side apply under field manager "${settings.servicesFieldOwner}": other entries are left alone; an entry another manager owns is a conflict. Checks first what kcm checks (template valid in the deployment's namespace, dependsOn, Kubernetes version) and the values against the chart schema. wait=true follows the service until Deployed or Failed.`,
    input: applyServiceInput,
    output: applyServiceOutput,
    annotations: APPLY_ANNOTATIONS,
    logFields: (args) => ({ namespace: args.namespace, template: args.template, cluster: args.cluster }),
    run: async (args, { context, hooks }) => {
      const wait = {
        pollIntervalMs: parseDuration(args.pollInterval ?? '30s', 'pollInterval'),
        timeoutMs: parseDuration(args.timeout ?? '10m', 'timeout'),
      };
      const { wait: outcome, ...result } = await serviceManager(context).apply({ ...args, wait: args.wait ? wait : undefined }, hooks);
      return { ...result, ...(outcome ?? {}) };
    },
  }),
  defineTool({
    name: SERVICE_TOOL_NAMES.remove,
    operation: 'removeService',
    access: SERVICE_ACCESS.remove,
    title: 'Remove a service from a cluster',
    description: (settings) =>
      `Remove one service entry from a ClusterDeployment: field manager "${settings.servicesFieldOwner}" stops applying it and kcm uninstalls it. Only entries this server applied can be removed ("released" when another manager still applies it); "not_found" (no entry of that name under any serviceNamespace) is a success; the name under another serviceNamespace is notFound naming it.`,
    input: removeServiceInput,
    output: removeServiceOutput,
    annotations: REMOVE_ANNOTATIONS,
    logFields: (args) => ({ namespace: args.namespace, cluster: args.cluster }),
    run: async (args, { context, hooks }) => serviceManager(context).remove(args, hooks),
  }),
  defineTool({
    name: SERVICE_TOOL_NAMES.status,
    operation: 'servicesStatus',
    access: SERVICE_ACCESS.status,
    title: "A cluster's services in depth",
    description:
      'Why a service of a ClusterDeployment is not Deployed: per service its state and failure message, the unhealthy objects its ServiceHealth<Kind> conditions name, its ServiceSet (provider readiness), the Sveltos ClusterSummary Helm summary of its release, and the templates it can upgrade to; `failing` names each failing object with its message. Read-only.',
    input: servicesStatusInput,
    output: servicesStatusOutput,
    annotations: LIST_ANNOTATIONS,
    logFields: (args) => ({ namespace: args.namespace, cluster: args.cluster }),
    run: async (args, { context, hooks }) => serviceManager(context).status(args, hooks),
  }),
  defineTool({
    name: SERVICE_TOOL_NAMES.listMultiClusterServices,
    operation: 'listMultiClusterServices',
    access: SERVICE_ACCESS.listMultiClusterServices,
    title: 'List MultiClusterServices',
    description: `List MultiClusterServices (cluster-scoped: services kcm installs on every ClusterDeployment their clusterSelector matches): selector, services, and the matching clusters with whether the services are deployed there (clusters in namespaces this server may not read are only counted). Create or change one with ${TOOL.multiClusterServicesApply}, delete with ${TOOL.multiClusterServicesDelete}.`,
    input: listMultiClusterServicesInput,
    output: listMultiClusterServicesOutput,
    annotations: LIST_ANNOTATIONS,
    run: async (args, { context, hooks }) => serviceManager(context).listMultiClusterServices(args, hooks),
  }),
];
