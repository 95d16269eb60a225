/**
 * MCP prompts (docs/tools.md): create-cluster, troubleshoot-cluster, upgrade-cluster — short, exact guides
 * that walk an assistant through this server's tools in the right order, with the tool names of the
 * configured TOOL_NAME_STYLE. Arguments complete from the cluster (providers, namespaces, deployments).
 */
import { TOOL } from '../../tool-names.js';
import { completable } from '@modelcontextprotocol/sdk/server/completable.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { GetPromptResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { builtinInterfaces } from '../../k0rdent/providers.js';
import { clusterManager } from '../tools/clusters.js';
import type { ToolContext } from '../context.js';
import { toolName } from '../tools/registry.js';

const MAX_COMPLETIONS = 100;

function guide(text: string, description: string): GetPromptResult {
  return { description, messages: [{ role: 'user', content: { type: 'text', text } }] };
}

export function registerPrompts(server: McpServer, context: ToolContext): void {
  const { settings } = context.runtime;
  const t = (dotted: string): string => toolName(dotted, settings.toolNameStyle);
  const manager = (): ReturnType<typeof clusterManager> => clusterManager(context);
  const namespaces = async (value: string | undefined): Promise<string[]> => {
    try {
      return (await manager().readableNamespaces({})).filter((ns) => ns.startsWith(value ?? '')).slice(0, MAX_COMPLETIONS);
    } catch {
      return [];
    }
  };
  const clusterNames = async (value: string | undefined, ctx?: { arguments?: Record<string, string> }): Promise<string[]> => {
    try {
      const namespace = ctx?.arguments?.namespace;
      if (namespace) manager().readContext().policy.assertReadable(namespace);
      const page = await manager().listDeployments({ ...(namespace ? { namespace } : {}), limit: 500 }, {});
      return [...new Set(page.items.map((d) => d.name).filter((n) => n.startsWith(value ?? '')))].sort().slice(0, MAX_COMPLETIONS);
    } catch {
      return [];
    }
  };
  const providers = builtinInterfaces()
    .map((i) => i.provider)
    .concat('internal')
    .sort();
  const namespaceArg = completable(z.string().optional().describe('Namespace of the deployment'), namespaces);
  const nameArg = completable(z.string().describe('ClusterDeployment name'), clusterNames);
  const readOnly = settings.readOnly ? ' (this server is read-only: it can show you the steps but not deploy)' : '';

  server.registerPrompt(
    'create-cluster',
    {
      title: 'Create a cluster',
      description:
        'Walks through choosing a namespace, template and credential, filling the config, a dry run, the deploy and following it to Ready.',
      argsSchema: {
        provider: completable(z.string().optional().describe('Infrastructure provider (aws, azure, gcp, ...)'), (value) =>
          providers.filter((p) => p.startsWith(value ?? '')),
        ),
        namespace: namespaceArg,
      },
    },
    ({ provider, namespace }) => {
      const where = namespace ? `namespace "${namespace}"` : 'a namespace';
      const cloud = provider ? ` for provider "${provider}"` : '';
      return guide(
        [
          `Create a k0rdent child cluster${cloud} in ${where}${readOnly}. Follow these steps in order:`,
          `1. ${t(TOOL.namespacesList)}: pick a namespace with writable=true that holds templates and credentials${namespace ? ` (check that "${namespace}" is one)` : ''}. A deployment can use only the templates and credentials of its own namespace.`,
          `2. ${t(TOOL.providersList)}: see which providers run${provider ? ` (is "${provider}" available?)` : ''} and which credentials fit which templates.`,
          `3. ${t(TOOL.clustersListTemplates)} with that namespace${provider ? ` and pick a valid template whose cloud is "${provider}"` : ': pick a valid template'} (prefer the newest version).`,
          `4. ${t(TOOL.templatesGet)} with the template and namespace: read required, toFill and example; pick a ready credential from its credentials list.`,
          '5. Ask the user for every value in toFill (never invent cloud IDs, regions or sizes); put them into the example config.',
          `6. ${t(TOOL.clustersDeploy)} with name, template, credential, namespace, config and dryRun=true; fix any invalidParams it reports.`,
          `7. ${t(TOOL.clustersDeploy)} again without dryRun, with wait=true (or without wait, then follow it with ${t(TOOL.clustersGet)}).`,
          `8. If it fails or stalls: ${t(TOOL.clustersGet)} (conditions, recentWarnings) and ${t(TOOL.eventsList)} with forName and types ["Warning"].`,
        ].join('\n'),
        'Create a cluster step by step',
      );
    },
  );

  server.registerPrompt(
    'troubleshoot-cluster',
    {
      title: 'Troubleshoot a cluster',
      description:
        "Finds why a ClusterDeployment is not Ready: the chain below it (Flux, Cluster API, provider objects), its first broken link and the responsible controller's log.",
      argsSchema: { name: nameArg, namespace: namespaceArg },
    },
    ({ name, namespace }) => {
      const ns = namespace ? `, namespace "${namespace}"` : '';
      return guide(
        [
          `Find out why ClusterDeployment "${name}"${namespace ? ` in "${namespace}"` : ''} is not working. Follow these steps in order:`,
          `1. ${t(TOOL.clustersDiagnose)} with name "${name}"${ns}: it walks template, credential, HelmChart, HelmRelease, the Cluster API Cluster, infrastructure cluster, control plane, MachineDeployments, Machines and their infrastructure machines in one call. Read firstBroken (kind, name, reason, message, next); when it is absent nothing is broken and waitingOn says what it is still waiting for.`,
          `2. Call the firstBroken.nextCall it gives (usually ${t(TOOL.logsGet)} with for: {kind, name, namespace}): the responsible controller's recent lines about that object. The error lines there are the cause in the controller's own words.`,
          '3. By the broken link:',
          `   - ClusterDeployment (HelmChartReady=False): the config does not satisfy the chart. ${t(TOOL.templatesGet)} shows the schema and required settings; propose a fix with ${t(TOOL.clustersUpdate)}.`,
          `   - ClusterTemplate / Credential / ClusterIdentity: invalid template or missing identity; ${t(TOOL.clustersListTemplates)} / ${t(TOOL.clustersListCredentials)} show what exists.`,
          '   - HelmRelease (InstallFailed, UpgradeFailed): the chart could not be installed; the message names the object the cluster API refused.',
          '   - Infrastructure cluster or machine (AWSCluster, AzureCluster, ...): the cloud refused (quota, permissions): the fix is in the cloud account the credential names.',
          '   - Machine without providerID, control plane not initialized: the provider or k0smotron log (step 2) says why.',
          '   - A deletion that does not finish: firstBroken names the object and the finalizer holding it; its controller removes it once the cloud resources are gone.',
          `4. For more context: ${t(TOOL.clustersGet)} (conditions, progress, recentWarnings) and ${t(TOOL.eventsList)} with forName "${name}"${ns} and types ["Warning"].`,
          '5. Report the cause in one or two sentences, with the exact reason and message (and the log line), and the fix you propose. Change nothing without asking the user.',
        ].join('\n'),
        `Troubleshoot ${name}`,
      );
    },
  );

  server.registerPrompt(
    'upgrade-cluster',
    {
      title: 'Upgrade a cluster',
      description: 'Moves a ClusterDeployment to one of its availableUpgrades safely: check, dry run, apply, follow.',
      argsSchema: { name: nameArg, namespace: namespaceArg },
    },
    ({ name, namespace }) => {
      const ns = namespace ? `, namespace "${namespace}"` : '';
      return guide(
        [
          `Upgrade ClusterDeployment "${name}"${namespace ? ` in "${namespace}"` : ''} to a newer template${readOnly}. Follow these steps in order:`,
          `1. ${t(TOOL.clustersGet)} with name "${name}"${ns}: it must be Ready and not stale; note template, config and availableUpgrades. If availableUpgrades is empty, stop: kcm allows no upgrade (a ClusterTemplateChain must offer one).`,
          `2. ${t(TOOL.templatesGet)} with the target template (from availableUpgrades) and the deployment's namespace: compare its required settings and defaults with the current config; ask the user for any new value in toFill.`,
          `3. ${t(TOOL.clustersUpdate)} with name${ns}, template set to the target and dryRun=true: read the changes it reports.`,
          `4. Confirm with the user, then ${t(TOOL.clustersUpdate)} without dryRun and with wait=true.`,
          `5. ${t(TOOL.clustersGet)} again: Ready for the new generation, template is the target. On failure, follow the troubleshoot-cluster prompt.`,
        ].join('\n'),
        `Upgrade ${name}`,
      );
    },
  );
}
