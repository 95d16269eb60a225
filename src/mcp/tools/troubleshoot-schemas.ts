/**
 * The troubleshooting tool shapes (k0.clusters.diagnose, k0.logs.get): zod input and output schemas, the
 * one source of truth for their types.
 */
import { TOOL } from '../../tool-names.js';
import { z } from 'zod';

const namespace = z.string().min(1).max(63).describe('Kubernetes namespace (DNS-1123 label)');
const name = z.string().min(1).max(253);

// ---- inputs ----

export const diagnoseInput = z.object({
  name: name.describe('ClusterDeployment name'),
  namespace: namespace.optional().describe('Its namespace; when absent, it is looked up by name among the readable namespaces'),
});

export const logsInput = z.object({
  for: z
    .object({
      kind: z.string().min(1).max(63).describe('Kind (HelmRelease, Cluster, AWSCluster, Machine, ...)'),
      name: name.describe('Its name'),
      namespace: namespace.optional().describe('Its namespace (omit for cluster-scoped kinds)'),
      apiVersion: z
        .string()
        .min(1)
        .max(253)
        .optional()
        .describe(`Its apiVersion when the kind is ambiguous (as ${TOOL.clustersDiagnose} names it)`),
    })
    .strict()
    .optional()
    .describe("The object whose controller's log to read"),
  namespace: namespace.optional().describe("With `pod`: the pod's namespace"),
  pod: name.optional().describe('A pod to read directly (instead of `for`)'),
  container: z.string().min(1).max(63).optional().describe("The container (default: the controller container, or the pod's only one)"),
  sinceSeconds: z
    .number()
    .int()
    .min(1)
    .max(7 * 24 * 3600)
    .optional()
    .describe('Only lines from the last N seconds'),
  tailLines: z.number().int().min(1).max(5000).optional().describe('Only the last N lines of the log (default 500, before filtering)'),
  previous: z.boolean().optional().describe("The previous (crashed) container's log"),
  grep: z.string().min(1).max(200).optional().describe('Only lines containing this text (case-insensitive)'),
});

// ---- outputs ----

const nodeCondition = z.object({
  type: z.string(),
  status: z.string(),
  reason: z.string().optional(),
  message: z.string().optional().describe('One line'),
  severity: z.string().optional(),
  since: z.string().optional().describe('lastTransitionTime'),
});

const chainNode = z.object({
  kind: z.string(),
  name: z.string(),
  namespace: z.string().optional(),
  apiVersion: z.string().optional(),
  role: z
    .string()
    .describe(
      'Its place in the chain: deployment, template, credential, identity, helmChart, helmRepository, helmRelease, cluster, infrastructure, controlPlane, hostedControlPlane, machineDeployment, machinePool, machine, infraMachine, bootstrapConfig, sveltosCluster, pod',
    ),
  status: z.enum(['ok', 'progressing', 'broken', 'missing', 'notServed', 'notRead', 'deleting']),
  state: z.string().describe('One line: phase, counters, readiness'),
  conditions: z.array(nodeCondition).optional().describe('Its conditions that are not in their good state, failing first'),
  deleting: z.object({ since: z.string(), finalizers: z.array(z.string()) }).optional(),
  warnings: z
    .array(
      z.object({ reason: z.string().optional(), message: z.string().optional(), count: z.number().int(), time: z.string().optional() }),
    )
    .optional()
    .describe('Its recent Warning events'),
  problem: z.object({ reason: z.string(), message: z.string() }).optional(),
});

const toolCall = z.object({ tool: z.string(), arguments: z.record(z.string(), z.unknown()) });

export const diagnoseOutput = z.object({
  name: z.string(),
  namespace: z.string(),
  phase: z.string().describe("The deployment's phase, one line"),
  ready: z.boolean(),
  shape: z.string().describe('standalone, hosted control plane, adopted, regional or dryRun'),
  region: z.object({ name: z.string(), note: z.string() }).optional(),
  chain: z.array(chainNode).describe('The objects below the deployment, in walk order'),
  firstBroken: z
    .object({
      kind: z.string(),
      name: z.string(),
      namespace: z.string().optional(),
      reason: z.string(),
      message: z.string(),
      next: z.string().describe('The next step'),
      nextCall: toolCall.optional().describe("The tool call that shows more (usually the responsible controller's log)"),
    })
    .optional()
    .describe('The first broken link; absent when nothing is broken'),
  waitingOn: z
    .object({ kind: z.string(), name: z.string(), state: z.string() })
    .optional()
    .describe('When nothing is broken: what it is waiting on'),
  requests: z.number().int().describe('Kubernetes API requests this diagnosis made'),
  notes: z.array(z.string()),
});

export const logsOutput = z.object({
  namespace: z.string(),
  pod: z.string(),
  container: z.string(),
  controller: z.string().optional().describe('The controller chosen for `for`'),
  filter: z.string().optional().describe('What lines were kept'),
  lines: z.array(z.string()),
  cut: z.string().optional().describe('What was left out (line and byte caps, redactions)'),
  redactions: z.number().int().describe('Values that looked like credentials, replaced by [REDACTED]'),
  otherPods: z.array(z.string()).optional().describe('Other pods of the same controller (replicas)'),
});
