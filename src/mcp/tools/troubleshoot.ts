/**
 * The troubleshooting tools: k0.clusters.diagnose (the chain below a ClusterDeployment and its first broken
 * link, src/diagnose) and k0.logs.get (the responsible controller's log, src/logs) — read-only declarations
 * with thin handlers.
 */
import { TROUBLESHOOT_ACCESS } from '../../diagnose/access.js';
import { diagnoseDeployment } from '../../diagnose/index.js';
import { getLogs } from '../../logs/index.js';
import { clusterManager, LIST_ANNOTATIONS } from './clusters.js';
import type { ToolContext } from '../context.js';
import { defineTool } from './registry.js';
import { TOOL } from '../../tool-names.js';
import { diagnoseInput, diagnoseOutput, logsInput, logsOutput } from './troubleshoot-schemas.js';

export const TROUBLESHOOT_TOOL_NAMES = {
  diagnose: TOOL.clustersDiagnose,
  logs: TOOL.logsGet,
} as const;

const readContext = (context: ToolContext) => clusterManager(context).readContext();

export const troubleshootTools = [
  defineTool({
    name: TROUBLESHOOT_TOOL_NAMES.diagnose,
    operation: 'diagnose',
    title: 'Diagnose a cluster deployment',
    description: `Why a ClusterDeployment is not Ready, in one call: the chain below it (template, credential and identity, HelmChart, HelmRelease, Cluster API cluster, control plane, machines, infrastructure and bootstrap objects, a hosted control plane's pods), each with a one-line state, non-True conditions and Warning events; firstBroken names the first broken link, why, and the next call (usually ${TOOL.logsGet}). A stuck deletion names the finalizer holding it. Reads only, ~30 API requests at most.`,
    input: diagnoseInput,
    output: diagnoseOutput,
    annotations: LIST_ANNOTATIONS,
    access: TROUBLESHOOT_ACCESS.diagnose,
    logFields: (args) => ({ namespace: args.namespace, cluster: args.name }),
    run: async (args, { context, hooks }) => ({
      ...(await diagnoseDeployment(readContext(context), args, { signal: hooks.signal }, hooks.onNamespace)),
    }),
  }),
  defineTool({
    name: TROUBLESHOOT_TOOL_NAMES.logs,
    operation: 'logs',
    title: 'Read a controller log',
    description: `The log lines of the controller responsible for an object (\`for: {kind, name, namespace}\`: kcm, Flux, Cluster API and its providers, k0smotron, a hosted control plane's pods) that name it, or of a pod (\`namespace\` and \`pod\`). Newest lines, capped, credentials redacted. Use the nextCall ${TOOL.clustersDiagnose} suggests.`,
    input: logsInput,
    output: logsOutput,
    annotations: LIST_ANNOTATIONS,
    access: TROUBLESHOOT_ACCESS.logs,
    logFields: (args) => ({ namespace: args.for?.namespace ?? args.namespace, cluster: args.for?.name }),
    run: async (args, { context, hooks }) => ({ ...(await getLogs(readContext(context), args, { signal: hooks.signal })) }),
  }),
];
