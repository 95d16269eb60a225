/**
 * The day-two tool shapes (k0.clusters.get, k0.events.list, k0.templates.get, k0.namespaces.list,
 * k0.providers.list): zod input schemas and the success shapes of their results, the one source of truth for
 * their types (each handler must return what its output schema allows).
 */
import { TOOL } from '../../tool-names.js';
import { z } from 'zod';
import { templateFacts } from '../../clusters/results.js';

const namespace = z.string().min(1).max(63).describe('Kubernetes namespace (DNS-1123 label)');
const name = z.string().min(1).max(253);
const limit = z.number().int().min(1).max(500);
const continueToken = z.string().min(1).describe('`continue` of the previous page');
const labels = z.record(z.string(), z.string());
const pageShape = { continue: z.string().optional().describe('Present when more items exist: pass it back as `continue`') };

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
});

export const listNamespacesInput = z.object({
  limit: limit.optional().describe('Maximum number of namespaces to return (default 100)'),
  continue: continueToken.optional(),
});

export const listProvidersInput = z.object({
  limit: limit.optional().describe('Maximum number of providers to return (default 100)'),
  continue: continueToken.optional(),
});

// ---- outputs ----

const eventSummary = z.object({
  name: z.string(),
  namespace: z.string(),
  type: z.string().optional(),
  reason: z.string().optional(),
  object: z.object({ kind: z.string().optional(), name: z.string().optional(), namespace: z.string().optional() }),
  message: z.string().optional().describe('One line'),
  count: z.number().int().describe('Occurrences (series.count, or the deprecated count)'),
  time: z.string().optional().describe('When it last happened'),
  firstTime: z.string().optional(),
  reportingController: z.string().optional(),
  action: z.string().optional(),
});

const condition = z.object({
  type: z.string(),
  status: z.string(),
  reason: z.string().optional(),
  message: z.string().optional().describe('One line'),
  observedGeneration: z.number().int().optional(),
  lastTransitionTime: z.string().optional(),
});

const progress = z.object({
  operation: z.enum(['provision', 'delete']),
  step: z.number().int(),
  total: z.number().int(),
  waitingFor: z.string().optional().describe('The condition (or Deleting reason) the next step waits for'),
});

const replicaCounters = z.object({
  desired: z.number().int(),
  ready: z.number().int(),
  upToDate: z.number().int().optional(),
  available: z.number().int().optional(),
});

export const deploymentDetails = {
  name: z.string(),
  namespace: z.string(),
  uid: z.string().optional(),
  template: z.string().optional(),
  credential: z.string().optional(),
  labels,
  config: z.record(z.string(), z.unknown()).describe('spec.config: the chart values given'),
  dryRun: z.boolean(),
  ready: z.boolean(),
  phase: z.string(),
  progress,
  generation: z.number().int().optional(),
  observedGeneration: z.number().int().optional(),
  stale: z.boolean().describe('kcm has not yet observed the latest generation'),
  conditions: z.array(condition),
  services: z.array(
    z.object({
      name: z.string(),
      namespace: z.string().optional(),
      template: z.string().optional(),
      state: z
        .string()
        .optional()
        .describe('status.services state (Deployed, Provisioning, Failed, ...); NotReported when kcm reported none'),
      type: z.string().optional(),
      version: z.string().optional(),
      failureMessage: z.string().optional(),
      lastStateTransitionTime: z.string().optional(),
    }),
  ),
  availableUpgrades: z.array(z.string()).describe(`Templates it may be moved to (${TOOL.clustersUpdate} / deploy with template)`),
  k8sVersion: z.string().optional(),
  region: z.string().optional(),
  kubeconfigSecret: z
    .object({
      name: z.string(),
      namespace: z.string(),
      expected: z.boolean().describe('Cluster API writes it once the control plane is up (Ready)'),
    })
    .describe('Never read by this server'),
  createdAt: z.string().optional(),
  deleting: z.boolean(),
  deletionTimestamp: z.string().optional(),
  finalizers: z.array(z.string()),
  recentWarnings: z.array(eventSummary).describe('The last few Warning events of it and of the objects named like it'),
  capi: z
    .object({
      cluster: z.string(),
      phase: z.string().optional(),
      infrastructureProvisioned: z.boolean(),
      controlPlaneInitialized: z.boolean(),
      controlPlane: replicaCounters.optional(),
      workers: replicaCounters.optional(),
      machines: z.record(z.string(), z.number().int()).describe('Machines by phase'),
      summary: z.string().describe('One line: "control plane 1/1 ready, workers 2/3 ready, 1 provisioning"'),
    })
    .optional()
    .describe(`The Cluster API Cluster below it (${TOOL.clustersDiagnose} walks the rest)`),
};

export const getClusterOutput = z.object(deploymentDetails);

export const listEventsOutput = z.object({
  items: z.array(eventSummary),
  ...pageShape,
  source: z.enum(['events.k8s.io/v1', 'v1']).describe('The Events API that answered'),
  truncated: z.boolean().optional().describe('More events matched than are read at once; narrow the query'),
});

const requiredSetting = z.object({
  path: z.string(),
  type: z.string().optional(),
  description: z.string().optional(),
  default: z.unknown().optional(),
  mustFill: z.boolean(),
});

export const getTemplateOutput = z.object({
  ...templateFacts.shape,
  schemaSource: z.enum(['schema', 'none']),
  schema: z.record(z.string(), z.unknown()).optional().describe("The chart's values JSON Schema"),
  defaults: z.record(z.string(), z.unknown()).describe('status.config: defaults merged under spec.config'),
  required: z.array(requiredSetting).describe('Required settings (clusterIdentity excluded: kcm fills it)'),
  example: z
    .record(z.string(), z.unknown())
    .describe(
      `A config with the required settings: defaults where usable, "<FILL: path>" where a value must be given. The markers are not values: replace every one before deploying; ${TOOL.clustersDeploy}/update refuse a config that still holds one (invalidParams naming its path)`,
    ),
  toFill: z.array(z.string()).describe('Paths in `example` to replace before deploying'),
  credentials: z
    .array(z.object({ name: z.string(), ready: z.boolean(), provider: z.string(), providerBasis: z.string() }))
    .describe('Credentials in this namespace that fit the template'),
  upgradesTo: z.array(z.string()).describe('Templates a deployment of this one may be upgraded to (ClusterTemplateChains here)'),
  chains: z.array(z.string()),
});

export const listNamespacesOutput = z.object({
  items: z.array(
    z.object({
      name: z.string(),
      global: z.boolean(),
      writable: z.boolean().describe('the filter and your permissions let you deploy, update or delete here'),
      canRead: z.boolean().optional(),
      canDeploy: z.boolean().optional(),
      canDelete: z.boolean().optional(),
      credentials: z.number().int().optional().describe('absent: you may not list them here'),
      templates: z.number().int().optional(),
      deployments: z.number().int().optional(),
    }),
  ),
  ...pageShape,
  countedBy: z.enum(['cluster', 'namespaces']),
});

export const listProvidersOutput = z.object({
  items: z.array(
    z.object({
      name: z.string(),
      infrastructure: z.string(),
      description: z.string().optional(),
      available: z.boolean().describe('In the Management status.availableProviders'),
      component: z.string().optional(),
      template: z.string().optional().describe('Its ProviderTemplate'),
      version: z.string().optional(),
      installed: z.boolean().optional(),
      identityKinds: z
        .array(z.object({ kind: z.string(), apiVersion: z.string().optional() }))
        .describe('ClusterIdentity kinds its ProviderInterface accepts'),
      templates: z.array(z.object({ name: z.string(), namespaces: z.array(z.string()) })),
      templateCount: z.number().int(),
      credentials: z.array(z.object({ name: z.string(), namespace: z.string(), ready: z.boolean(), basis: z.string() })),
      credentialCount: z.number().int(),
    }),
  ),
  ...pageShape,
  interfacesFrom: z.enum(['cluster', 'builtin']),
  managementError: z.string().optional(),
});
