/**
 * The k0.clusters.* tool shapes (docs/tools.md): zod input schemas, and the output schemas built from what
 * the cluster manager returns (src/clusters/results.ts) — the one source of truth for the tools' types.
 */
import { z } from 'zod';
import {
  credentialPage,
  deleteResult,
  deletionWait,
  deploymentPage,
  deployResult,
  templateDetail,
  templatePage,
  updateResult,
  waitOutcome,
} from '../../clusters/results.js';

export const namespace = z.string().min(1).max(63).describe('Kubernetes namespace (DNS-1123 label)');
export const limit = z.number().int().min(1).max(500).describe('Page size (default 100)');
export const continueToken = z.string().min(1).describe('`continue` of the previous page');
const labels = z.record(z.string(), z.string());

// ---- inputs ----

export const listCredentialsInput = z.object({
  namespace: namespace.optional().describe('Only this namespace: a smaller answer'),
  limit: limit.optional(),
  continue: continueToken.optional(),
});

export const listTemplatesInput = z.object({
  scope: z
    .enum(['all', 'global', 'local'])
    .optional()
    .describe('all (default), global = only the global namespace, local = only the other readable namespaces'),
  namespace: namespace.optional().describe("The deployment's namespace: only its templates"),
  detail: templateDetail.optional(),
  limit: limit.optional(),
  continue: continueToken.optional(),
});

export const listDeploymentsInput = z.object({
  namespace: namespace.optional(),
  status: z
    .enum(['failing', 'progressing', 'ready', 'deleting'])
    .optional()
    .describe('Only deployments in this state: failing (kcm gave up: Ready=False/Failed), progressing, ready, deleting'),
  labelSelector: z.string().min(1).optional().describe('Kubernetes label selector, e.g. "env=dev,team in (a,b)"'),
  limit: limit.optional(),
  continue: continueToken.optional(),
});

/** A name of an object in the target namespace. */
const ref = z.string().min(1).max(253);
/** ClusterDeployment spec fields besides template, credential and config (src/clusters/deploy-fields.ts). */
const dayOneFields = {
  cleanupOnDeletion: z.boolean().optional(),
  propagateCredentials: z.boolean().optional(),
  ipamClaim: ref.optional(),
  clusterAuth: ref.optional(),
  auditPolicy: ref.optional(),
  dataSource: ref.optional(),
};

export const deployInput = z.object({
  name: z.string().min(1).max(253).describe('ClusterDeployment name'),
  template: z.string().min(1).max(317).describe('ClusterTemplate in the target namespace'),
  credential: z.string().min(1).max(317).describe('Credential in the target namespace'),
  namespace: namespace.optional().describe("Target namespace (default: the server's)"),
  labels: labels.optional().describe('Extra labels; the managed labels are always added'),
  config: z
    .record(z.string(), z.unknown())
    .optional()
    .describe('Chart values (spec.config), checked against the template schema; kcm fills clusterIdentity'),
  ...dayOneFields,
  services: z
    .array(z.object({ template: ref, name: z.string().optional(), namespace: z.string().optional(), values: z.string().optional() }))
    .max(20)
    .optional(),
  dryRun: z.boolean().optional().describe('Server-side dry run: nothing is stored'),
  wait: z.boolean().optional().describe('Follow the deployment until Ready, failure or provisionTimeout'),
  pollInterval: z.string().max(64).optional().describe('Re-check period if the watch breaks (default "30s")'),
  provisionTimeout: z.string().max(64).optional().describe('How long wait=true follows it (default "30m")'),
  stallThreshold: z.string().max(64).optional().describe('Log a warning when no condition changed this long (default "10m")'),
});

export const updateInput = z.object({
  name: z.string().min(1).max(253).describe('Name of the existing ClusterDeployment'),
  namespace: namespace.optional().describe('Its namespace; resolved like deploy when absent'),
  template: z.string().min(1).max(317).optional().describe('Upgrade to one of its status.availableUpgrades'),
  credential: z.string().min(1).max(317).optional().describe('Switch to this Credential (same namespace, ready)'),
  config: z
    .record(z.string(), z.unknown())
    .optional()
    .describe('JSON merge patch over spec.config (null removes a key); the result is checked against the template schema'),
  labels: labels.optional().describe('Labels to set; the managed labels are always kept'),
  ...dayOneFields,
  adopt: z.boolean().optional().describe('Take over a deployment this server did not create'),
  dryRun: z.boolean().optional().describe('Server-side dry run: nothing is stored; lists what would change'),
  wait: z.boolean().optional().describe('Follow it until kcm reconciled the new generation: Ready, failed or provisionTimeout'),
  pollInterval: z.string().max(64).optional().describe('Re-check period if the watch breaks (default "30s")'),
  provisionTimeout: z.string().max(64).optional().describe('How long wait=true follows it (default "30m")'),
  stallThreshold: z.string().max(64).optional().describe('Log a warning when no condition changed this long (default "10m")'),
});

export const deleteInput = z.object({
  name: z.string().min(1).max(253).describe('ClusterDeployment name'),
  namespace: namespace.optional().describe('Namespace; resolved like deploy when absent'),
  wait: z.boolean().optional().describe('Follow the deletion until the object is gone or deletionTimeout passes'),
  pollInterval: z.string().max(64).optional().describe('Re-check period if the watch breaks (default "60s")'),
  deletionTimeout: z.string().max(64).optional().describe('How long wait=true follows the deletion (default "20m", 1s..24h)'),
});

// ---- outputs: the success shapes (the registry lists them with every member optional, plus `error`) ----

/** A write's answer: its result with the wait's members (wait=true) next to the write's, all optional. */
function withWait<R extends z.ZodObject, W extends z.ZodObject>(result: R, wait: W) {
  return result.omit({ wait: true }).extend(wait.partial().shape);
}

export const listCredentialsOutput = credentialPage;
export const listTemplatesOutput = templatePage;
export const listDeploymentsOutput = deploymentPage;
export const deployOutput = withWait(deployResult, waitOutcome);
/** update reports the generation it wrote (which is the one the wait was for) once, as a result member. */
export const updateOutput = withWait(updateResult, waitOutcome.omit({ generation: true }));
export const deleteOutput = withWait(deleteResult, deletionWait);
