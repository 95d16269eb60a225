/** The k0.services.* / k0.clusters.services.* / k0.multiClusterServices.* tool shapes (zod; the types follow from them). */
import { z } from 'zod';
import { condition, continueToken, interruption, limit, namespace, pageShape, toolOutput, waitError } from './clusters-schemas.js';

const dnsLabel = z.string().min(1).max(63);
const serviceNamespace = dnsLabel.describe('Namespace of the Helm release on the child cluster (default "default", as kcm)');

// ---- inputs ----

export const listServiceTemplatesInput = z.object({
  namespace: namespace.optional().describe("Only this namespace (a service uses templates of its ClusterDeployment's namespace)"),
  limit: limit.optional(),
  continue: continueToken.optional(),
});

export const applyServiceInput = z.object({
  cluster: z.string().min(1).max(253).describe('ClusterDeployment name'),
  namespace: namespace.optional().describe('Namespace of the ClusterDeployment; resolved like k0.clusters.deploy when absent'),
  template: z.string().min(1).max(253).describe("ServiceTemplate in the deployment's namespace (see k0.services.listTemplates)"),
  name: dnsLabel.optional().describe("Service (Helm release) name; default: the template's chart name"),
  serviceNamespace: serviceNamespace.optional(),
  values: z
    .union([z.string().max(1_000_000), z.record(z.string(), z.unknown())])
    .optional()
    .describe(
      'Helm values: YAML text (kept as given; Go templating allowed, then not schema-checked) or an object (written as YAML); checked against the chart schema when the template has one. The entry is applied whole: leaving values out drops values this server set before',
    ),
  dependsOn: z
    .array(z.object({ name: dnsLabel, namespace: dnsLabel.optional().describe('default "default"') }))
    .max(50)
    .optional()
    .describe('Other services of the same deployment this one waits for'),
  dryRun: z.boolean().optional().describe('Server-side dry run: nothing is stored; returns the entry the server would store'),
  wait: z.boolean().optional().describe('Follow status.services until kcm reports the service Deployed or Failed, or timeout passes'),
  timeout: z.string().optional().describe('How long wait=true follows the service (default "10m")'),
  pollInterval: z.string().optional().describe('Upper bound between re-checks when the watch breaks (default "30s")'),
});

export const removeServiceInput = z.object({
  cluster: z.string().min(1).max(253).describe('ClusterDeployment name'),
  namespace: namespace.optional().describe('Namespace of the ClusterDeployment; resolved like k0.clusters.deploy when absent'),
  name: dnsLabel.describe('Service (Helm release) name'),
  serviceNamespace: serviceNamespace.optional(),
  dryRun: z.boolean().optional().describe('Server-side dry run: nothing is stored'),
});

export const listMultiClusterServicesInput = z.object({ limit: limit.optional(), continue: continueToken.optional() });

// ---- outputs ----

export const serviceTemplateSummary = z.object({
  name: z.string(),
  namespace: z.string(),
  chart: z.string().optional(),
  version: z.string().optional(),
  description: z.string().optional(),
  valid: z.boolean(),
  validationError: z.string().optional(),
  kubernetesConstraint: z.string().optional().describe('Kubernetes versions the chart supports (semver constraint)'),
  hasValuesSchema: z.boolean().describe('The chart has a values.schema.json; k0.clusters.services.apply checks values against it'),
});

export const listServiceTemplatesOutput = toolOutput({ items: z.array(serviceTemplateSummary), ...pageShape });

export const applyServiceOutput = toolOutput({
  cluster: z.string(),
  namespace: z.string(),
  name: z.string(),
  serviceNamespace: z.string(),
  template: z.string(),
  status: z.enum(['created', 'updated', 'unchanged', 'dryRun']),
  entry: z.record(z.string(), z.unknown()).describe('The spec.serviceSpec.services entry as stored (dryRun: as it would be stored)'),
  generation: z.number().optional(),
  deployed: z.boolean().optional().describe('wait=true: kcm reports the service Deployed'),
  timedOut: z.boolean().optional(),
  state: z.string().optional().describe('wait=true: the service state kcm reported last (Pending, Provisioning, Deployed, Failed, ...)'),
  failureMessage: z.string().optional().describe("wait=true: kcm's message when the service Failed"),
  servicesReady: z.string().optional().describe('wait=true: the deployment\'s ServicesInReadyState ("ready/total")'),
  waitError,
  ...interruption,
});

export const removeServiceOutput = toolOutput({
  cluster: z.string(),
  namespace: z.string(),
  name: z.string(),
  serviceNamespace: z.string(),
  status: z
    .enum(['removed', 'released', 'not_found', 'dryRun'])
    .describe(
      'released: this server let go, but another field manager still applies the entry (keptBy); not_found: no such entry (a success)',
    ),
  keptBy: z.array(z.string()).optional(),
});

export const multiClusterServiceSummary = z.object({
  name: z.string(),
  clusterSelector: z.record(z.string(), z.unknown()),
  services: z.array(z.object({ name: z.string(), namespace: z.string(), template: z.string() })),
  clusters: z
    .array(z.object({ name: z.string(), namespace: z.string(), deployed: z.boolean() }))
    .describe('Matching ClusterDeployments in readable namespaces; deployed: all its services are deployed there'),
  hiddenClusters: z.number().describe('Matching clusters in namespaces this server may not show'),
  servicesReady: z.string().optional(),
  conditions: z.array(condition),
  createdAt: z.string().optional(),
});

export const listMultiClusterServicesOutput = toolOutput({ items: z.array(multiClusterServiceSummary), ...pageShape });
