/**
 * What the service manager returns, as zod schemas: the one description of these results. The manager's types
 * are inferred from them (./types.ts) and the service tools' output schemas are built from them
 * (src/mcp/tools/services-schemas.ts).
 */
import { TOOL } from '../tool-names.js';
import { z } from 'zod';
import { compactCondition, pageOf, waitEnd } from '../clusters/results.js';

export const serviceTemplateSummary = z.object({
  name: z.string(),
  namespace: z.string(),
  chart: z.string().optional(),
  version: z.string().optional(),
  description: z.string().optional(),
  valid: z.boolean(),
  validationError: z.string().optional(),
  kubernetesConstraint: z.string().optional().describe('Kubernetes versions the chart supports (semver constraint)'),
  hasValuesSchema: z.boolean().describe(`The chart has a values.schema.json; ${TOOL.clustersServicesApply} checks values against it`),
});

export const serviceTemplatePage = pageOf(serviceTemplateSummary);

/** How a wait for a service ended. */
export const serviceWaitOutcome = z.object({
  deployed: z.boolean().describe('wait=true: kcm reports the service Deployed'),
  timedOut: z.boolean(),
  state: z.string().describe('wait=true: the service state kcm reported last (Pending, Provisioning, Deployed, Failed, ...)'),
  failureMessage: z.string().optional().describe("wait=true: kcm's message when the service Failed"),
  servicesReady: z.string().optional().describe('wait=true: the deployment\'s ServicesInReadyState ("ready/total")'),
  ...waitEnd,
});

export const applyServiceResult = z.object({
  cluster: z.string(),
  namespace: z.string(),
  name: z.string(),
  serviceNamespace: z.string(),
  template: z.string(),
  status: z.enum(['created', 'updated', 'unchanged', 'dryRun']),
  entry: z.record(z.string(), z.unknown()).describe('The spec.serviceSpec.services entry as stored (dryRun: as it would be stored)'),
  generation: z.number().optional(),
  resourceVersion: z
    .string()
    .optional()
    .describe("The ClusterDeployment's resourceVersion after the write (as read when nothing was written)"),
  wait: serviceWaitOutcome.optional(),
});

export const removeServiceResult = z.object({
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
  conditions: z.array(compactCondition),
  createdAt: z.string().optional(),
});

export const multiClusterServicePage = pageOf(multiClusterServiceSummary);

/** A MultiClusterService write's answer: the clusters (`namespace/name`) its selector matches now and what it changes. */
export const applyMultiClusterServiceResult = z.object({
  name: z.string(),
  status: z.enum(['created', 'updated', 'unchanged', 'dryRun', 'cancelled']),
  matchingClusters: z.array(z.string()),
  hiddenClusters: z.number(),
  changes: z.array(z.string()),
  reason: z.string().optional(),
});

export const deleteMultiClusterServiceResult = z.object({
  name: z.string(),
  status: z.enum(['deleted', 'not_found', 'dryRun', 'cancelled']),
  matchingClusters: z.array(z.string()),
  hiddenClusters: z.number(),
  services: z.array(z.string()),
  reason: z.string().optional(),
});

/** One service as the services view shows it (k0.clusters.services.status). */
export const serviceInDepth = z.object({
  name: z.string(),
  namespace: z.string(),
  template: z.string(),
  state: z.string(),
  version: z.string().optional(),
  failureMessage: z.string().optional(),
  unhealthy: z.array(z.string()).optional().describe('ServiceHealth<Kind> conditions: "<Kind>: N unhealthy: ns/name (why)"'),
  from: z.string().describe('ClusterDeployment, or the MultiClusterService'),
  serviceSet: z.string().optional(),
  helmRelease: z.string().optional().describe("Sveltos' summary of the release"),
  upgradesTo: z.array(z.string()).optional().describe('Templates it can be upgraded to'),
});

export const serviceSetInDepth = z.object({
  name: z.string(),
  multiClusterService: z.string().optional(),
  deployed: z.boolean(),
  providerReady: z.boolean(),
  servicesReady: z.string().optional(),
  problems: z.array(z.string()).optional().describe('Conditions not True; ClusterSummary Helm failure'),
});

export const servicesStatusResult = z.object({
  cluster: z.string(),
  namespace: z.string(),
  servicesReady: z.string().optional(),
  services: z.array(serviceInDepth),
  serviceSets: z.array(serviceSetInDepth),
  failing: z.array(z.string()).describe('Per failing service: the object and the message'),
  notes: z.array(z.string()).optional(),
});
