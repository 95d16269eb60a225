/**
 * The day-two tool shapes (k0.clusters.get, k0.events.list, k0.templates.get, k0.namespaces.list,
 * k0.providers.list): zod input schemas, and as outputs the result schemas of their managers — the one source of
 * truth for the result types: a manager returns `z.infer` of its schema and each handler what its output schema
 * allows, so a result field set to a value the schema does not allow fails `tsc`.
 */
import { TOOL } from '../../tool-names.js';
import { z } from 'zod';
import { deploymentDetails } from '../../clusters/get-results.js';
import { eventPage } from '../../events/results.js';
import { namespacePage } from '../../namespaces/results.js';
import { providerPage } from '../../providers/results.js';
import { templateDetails } from '../../templates/results.js';

const namespace = z.string().min(1).max(63).describe('Kubernetes namespace (DNS-1123 label)');
const name = z.string().min(1).max(253);
const limit = z.number().int().min(1).max(500);
const continueToken = z.string().min(1).describe('`continue` of the previous page');

// ---- inputs ----

export const getClusterInput = z.object({
  name: name.describe('ClusterDeployment name'),
  namespace: namespace.optional().describe('Its namespace; when absent, it is looked up by name among the readable namespaces'),
});

export const listEventsInput = z.object({
  namespace: namespace.optional().describe('Only this namespace: a smaller answer'),
  forKind: z
    .string()
    .min(1)
    .max(63)
    .optional()
    .describe(
      'Kind of the object (ClusterDeployment, HelmRelease, ...); a ClusterDeployment also gets the events of the objects named like it',
    ),
  forName: name.optional().describe('Name of the object the events are about'),
  types: z
    .array(z.enum(['Normal', 'Warning']))
    .min(1)
    .max(2)
    .optional()
    .describe('Only these event types'),
  since: z.string().min(1).optional().describe('A duration back from now ("30m") or an RFC 3339 time'),
  limit: limit.optional().describe('Maximum number of events to return (default 50)'),
  continue: continueToken.optional(),
});

export const getTemplateInput = z.object({
  name: name.describe(`ClusterTemplate name (see ${TOOL.clustersListTemplates})`),
  namespace: namespace.optional().describe('Its namespace (default: the global namespace)'),
  detail: z.enum(['summary', 'full']).optional().describe("full adds the chart's whole values JSON Schema"),
});

export const listNamespacesInput = z.object({
  limit: limit.optional().describe('Maximum number of namespaces to return (default 100)'),
  continue: continueToken.optional(),
});

export const listProvidersInput = z.object({
  limit: limit.optional().describe('Maximum number of providers to return (default 100)'),
  continue: continueToken.optional(),
});

// ---- outputs: the managers' result schemas (src/<family>/results.ts), whose z.infer the managers return ----

export const getClusterOutput = deploymentDetails;

export const listEventsOutput = eventPage;

export const getTemplateOutput = templateDetails;

export const listNamespacesOutput = namespacePage;

export const listProvidersOutput = providerPage;
