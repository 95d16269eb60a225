/**
 * What k0.clusters.get returns, as zod schemas: the one description of this result. The reader's types are
 * inferred from them (./get.ts, ./capi-summary.ts) and the tool's output schema is built from them
 * (src/mcp/tools/day-two-schemas.ts), so a result the schema does not allow fails `tsc`.
 */
import { TOOL } from '../tool-names.js';
import { z } from 'zod';
import { eventSummary } from '../events/results.js';

export const deploymentCondition = z.object({
  type: z.string(),
  status: z.string(),
  reason: z.string().optional(),
  message: z.string().optional().describe('One line'),
  observedGeneration: z.number().int().optional(),
  lastTransitionTime: z.string().optional(),
});

export const progressSummary = z.object({
  operation: z.enum(['provision', 'delete']),
  step: z.number().int(),
  total: z.number().int(),
  waitingFor: z.string().optional().describe('The condition (or Deleting reason) the next step waits for'),
});

export const replicaCounters = z.object({
  desired: z.number().int(),
  ready: z.number().int(),
  upToDate: z.number().int().optional(),
  available: z.number().int().optional(),
});

export const serviceState = z.object({
  name: z.string(),
  namespace: z.string().optional(),
  template: z.string().optional(),
  state: z.string().optional().describe('status.services state (Deployed, Provisioning, Failed, ...); NotReported when kcm reported none'),
  type: z.string().optional(),
  version: z.string().optional(),
  failureMessage: z.string().optional(),
  lastStateTransitionTime: z.string().optional(),
});

export const capiSummary = z.object({
  cluster: z.string(),
  phase: z.string().optional(),
  infrastructureProvisioned: z.boolean(),
  controlPlaneInitialized: z.boolean(),
  controlPlane: replicaCounters.optional(),
  workers: replicaCounters.optional(),
  machines: z.record(z.string(), z.number().int()).describe('Machines by phase'),
  summary: z.string().describe('One line: "control plane 1/1 ready, workers 2/3 ready, 1 provisioning"'),
});

export const deploymentDetails = z.object({
  name: z.string(),
  namespace: z.string(),
  uid: z.string().optional(),
  template: z.string().optional(),
  credential: z.string().optional(),
  labels: z.record(z.string(), z.string()),
  config: z.record(z.string(), z.unknown()).describe('spec.config: the chart values given'),
  dryRun: z.boolean(),
  ready: z.boolean(),
  phase: z.string(),
  progress: progressSummary,
  generation: z.number().int().optional(),
  observedGeneration: z.number().int().optional(),
  stale: z.boolean().describe('kcm has not yet observed the latest generation'),
  conditions: z.array(deploymentCondition),
  services: z.array(serviceState),
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
  capi: capiSummary.optional().describe(`The Cluster API Cluster below it (${TOOL.clustersDiagnose} walks the rest)`),
});
