/**
 * The day-two read tools: k0.clusters.get, k0.events.list, k0.templates.get, k0.namespaces.list,
 * k0.providers.list — declarations with thin handlers over the read modules (src/clusters/get.ts,
 * src/events, src/templates, src/namespaces, src/providers).
 */
import { TOOL } from '../../tool-names.js';
import { DAY_TWO_ACCESS } from '../../clusters/day-two-access.js';
import { getDeployment } from '../../clusters/get.js';
import { AppError } from '../../errors.js';
import { listEvents } from '../../events/manager.js';
import { listNamespaces } from '../../namespaces/manager.js';
import { dayTwoToolMetrics } from '../../observability/day-two-metrics.js';
import { listProviders } from '../../providers/manager.js';
import { getTemplate } from '../../templates/manager.js';
import { clusterManager, LIST_ANNOTATIONS } from './clusters.js';
import {
  getClusterInput,
  getClusterOutput,
  getTemplateInput,
  getTemplateOutput,
  listEventsInput,
  listEventsOutput,
  listNamespacesInput,
  listNamespacesOutput,
  listProvidersInput,
  listProvidersOutput,
} from './day-two-schemas.js';
import { parseDuration } from '../../config/duration.js';
import type { ToolContext } from '../context.js';
import { defineTool } from './registry.js';

export const DAY_TWO_TOOL_NAMES = {
  get: TOOL.clustersGet,
  eventsList: TOOL.eventsList,
  templatesGet: TOOL.templatesGet,
  namespacesList: TOOL.namespacesList,
  providersList: TOOL.providersList,
} as const;

/** get and templates.get change nothing either: the issue calls them read-only, so they carry the list hints. */
const READ_ANNOTATIONS = LIST_ANNOTATIONS;

const readContext = (context: ToolContext) => clusterManager(context).readContext();

/** `since`: an RFC 3339 time, or a duration back from now. */
export function sinceMs(text: string, now = Date.now()): number {
  if (/^\d{4}-\d\d-\d\dT/.test(text)) {
    const at = Date.parse(text);
    if (Number.isNaN(at))
      throw new AppError(
        'invalidParams',
        `since "${text.slice(0, 64)}" is not an RFC 3339 time; write it like "2026-01-31T12:00:00Z" or as a duration like "30m"`,
      );
    return at;
  }
  return now - parseDuration(text, 'since');
}

export const dayTwoTools = [
  defineTool({
    name: DAY_TWO_TOOL_NAMES.get,
    operation: 'get',
    title: 'Get one cluster deployment',
    description:
      'Everything about one ClusterDeployment: template, credential, labels, its spec.config, conditions, phase and progress (step k of n), generation vs observedGeneration, services and their states, availableUpgrades, the name of its kubeconfig Secret (never its content), deletion state and its last Warning events. Call it after a deploy that did not wait, or before an update.',
    input: getClusterInput,
    output: getClusterOutput,
    annotations: READ_ANNOTATIONS,
    metrics: dayTwoToolMetrics('get'),
    access: DAY_TWO_ACCESS.get,
    logFields: (args) => ({ namespace: args.namespace, cluster: args.name }),
    run: async (args, { context, hooks }) => getDeployment(readContext(context), args, { signal: hooks.signal }, hooks.onNamespace),
  }),
  defineTool({
    name: DAY_TWO_TOOL_NAMES.eventsList,
    operation: 'eventsList',
    title: 'List Kubernetes events',
    description:
      'Events in the readable namespaces, newest first: type, reason, object, one-line message, count, time, reporting controller. forName of a ClusterDeployment also matches the objects kcm and Cluster API create for it under the same name. Use types ["Warning"] to see why a deployment fails.',
    input: listEventsInput,
    output: listEventsOutput,
    annotations: LIST_ANNOTATIONS,
    metrics: dayTwoToolMetrics('eventsList'),
    access: DAY_TWO_ACCESS.eventsList,
    logFields: (args) => ({ namespace: args.namespace, cluster: args.forName }),
    run: async (args, { context, hooks }) => {
      const { since, ...rest } = args;
      return {
        ...(await listEvents(
          readContext(context),
          { ...rest, ...(since !== undefined ? { sinceMs: sinceMs(since) } : {}), checkObject: true },
          { signal: hooks.signal },
        )),
      };
    },
  }),
  defineTool({
    name: DAY_TWO_TOOL_NAMES.templatesGet,
    operation: 'templatesGet',
    title: 'Get one cluster template',
    description:
      'One ClusterTemplate: required settings, defaults, an example config ("<FILL: path>" marks a value to give: deploy refuses a marker), providers, chart version, the fitting credentials of its namespace and its upgrade targets. Default namespace: the global one.',
    input: getTemplateInput,
    output: getTemplateOutput,
    annotations: READ_ANNOTATIONS,
    metrics: dayTwoToolMetrics('templatesGet'),
    access: DAY_TWO_ACCESS.templatesGet,
    logFields: (args) => ({ namespace: args.namespace, template: args.name }),
    run: async (args, { context, hooks }) => getTemplate(readContext(context), args, { signal: hooks.signal }, hooks.onNamespace),
  }),
  defineTool({
    name: DAY_TWO_TOOL_NAMES.namespacesList,
    operation: 'namespacesList',
    title: 'List namespaces',
    description:
      "The namespaces this server may read, what you may do in each (canRead, canDeploy, canDelete: the namespace filter and the API server's review of your own permissions), and how many credentials, templates and deployments each holds: where to deploy.",
    input: listNamespacesInput,
    output: listNamespacesOutput,
    annotations: LIST_ANNOTATIONS,
    metrics: dayTwoToolMetrics('namespacesList'),
    access: DAY_TWO_ACCESS.namespacesList,
    run: async (args, { context, hooks }) => listNamespaces(readContext(context), args, { signal: hooks.signal }),
  }),
  defineTool({
    name: DAY_TWO_TOOL_NAMES.providersList,
    operation: 'providersList',
    title: 'List infrastructure providers',
    description:
      'The infrastructure providers the management cluster runs (Management status, ProviderTemplates), the ClusterIdentity kinds each accepts (ProviderInterfaces), the templates that need it and the credentials that fit it: which credential goes with which template.',
    input: listProvidersInput,
    output: listProvidersOutput,
    annotations: LIST_ANNOTATIONS,
    metrics: dayTwoToolMetrics('providersList'),
    access: DAY_TWO_ACCESS.providersList,
    run: async (args, { context, hooks }) => listProviders(readContext(context), args, { signal: hooks.signal }),
  }),
];
