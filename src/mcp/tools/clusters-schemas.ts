/**
 * The k0.clusters.* tool shapes (docs/tools.md): zod input and output schemas, the one source of truth
 * for the tools' types. Output schemas list the success fields as optional members next to the optional
 * `error` member, because the SDK client validates error results against the output schema too.
 */
import { z } from 'zod';
import { ERROR_CODES } from '../../errors.js';
import { toolErrorSchema } from '../errors.js';

export const namespace = z.string().min(1).max(63).describe('Kubernetes namespace (DNS-1123 label)');
export const limit = z.number().int().min(1).max(500).describe('Maximum number of items to return (default 100)');
export const continueToken = z.string().min(1).describe('The `continue` value of the previous page');
const labels = z.record(z.string(), z.string());

/** Success shape + optional error, every top-level member optional (see module comment). */
export function toolOutput<S extends z.ZodRawShape>(shape: S) {
  return z.object(shape).partial().extend({ error: toolErrorSchema.optional() });
}

// ---- inputs ----

export const listCredentialsInput = z.object({
  namespace: namespace.optional().describe('Only this namespace (the global namespace or one the namespace filter allows)'),
  limit: limit.optional(),
  continue: continueToken.optional(),
});

export const listTemplatesInput = z.object({
  scope: z
    .enum(['all', 'global', 'local'])
    .optional()
    .describe('all (default), global = only the global namespace, local = only the other readable namespaces'),
  namespace: namespace.optional(),
  limit: limit.optional(),
  continue: continueToken.optional(),
});

export const listDeploymentsInput = z.object({
  namespace: namespace.optional(),
  labelSelector: z.string().min(1).optional().describe('Kubernetes label selector, e.g. "env=dev,team in (a,b)"'),
  limit: limit.optional(),
  continue: continueToken.optional(),
});

export const deployInput = z.object({
  name: z.string().min(1).max(253).describe('ClusterDeployment name (DNS-1123 subdomain)'),
  template: z.string().min(1).max(317).describe('ClusterTemplate name in the target namespace (see k0.clusters.listTemplates)'),
  credential: z.string().min(1).max(317).describe('Credential name in the target namespace (see k0.clusters.listCredentials)'),
  namespace: namespace.optional().describe('Target namespace; default: see the namespace rules (dev default or first allowed namespace)'),
  labels: labels.optional().describe('Extra labels; the managed labels are always added'),
  config: z
    .record(z.string(), z.unknown())
    .optional()
    .describe(
      'Chart values (spec.config), checked against the template schema (unknown keys are refused); clusterIdentity is filled by kcm',
    ),
  dryRun: z.boolean().optional().describe('Server-side dry run: nothing is stored; returns the object the server would store'),
  wait: z.boolean().optional().describe('Follow the deployment until Ready, failure or provisionTimeout'),
  pollInterval: z
    .string()
    .max(64)
    .optional()
    .describe('Upper bound between re-checks when the watch breaks (default "30s", at least "1s")'),
  provisionTimeout: z.string().max(64).optional().describe('How long wait=true follows the deployment (default "30m", 1s..24h)'),
  stallThreshold: z
    .string()
    .max(64)
    .optional()
    .describe('Warn in the server log when no condition changed for this long (default "10m", at least "10s")'),
});

export const updateInput = z.object({
  name: z.string().min(1).max(253).describe('Name of the existing ClusterDeployment'),
  namespace: namespace.optional().describe('Its namespace; resolved like deploy when absent'),
  template: z
    .string()
    .min(1)
    .max(317)
    .optional()
    .describe("Upgrade to this ClusterTemplate: only one of the deployment's status.availableUpgrades"),
  credential: z.string().min(1).max(317).optional().describe('Switch to this Credential (same namespace, ready)'),
  config: z
    .record(z.string(), z.unknown())
    .optional()
    .describe(
      'JSON merge patch (RFC 7386) over the current spec.config: keys given are set, null removes a key, objects merge; the result is checked against the template schema',
    ),
  labels: labels.optional().describe('Labels to set; the managed labels are always kept'),
  adopt: z
    .boolean()
    .optional()
    .describe('Take over a deployment this server did not create (not labelled app.kubernetes.io/managed-by=k0rdent-mcp)'),
  dryRun: z.boolean().optional().describe('Server-side dry run: nothing is stored; lists what would change'),
  wait: z
    .boolean()
    .optional()
    .describe('Follow the deployment until kcm reconciled the new generation and it is Ready, failed or provisionTimeout passed'),
  pollInterval: z
    .string()
    .max(64)
    .optional()
    .describe('Upper bound between re-checks when the watch breaks (default "30s", at least "1s")'),
  provisionTimeout: z.string().max(64).optional().describe('How long wait=true follows the deployment (default "30m", 1s..24h)'),
  stallThreshold: z
    .string()
    .max(64)
    .optional()
    .describe('Warn in the server log when no condition changed for this long (default "10m", at least "10s")'),
});

export const deleteInput = z.object({
  name: z.string().min(1).max(253).describe('ClusterDeployment name'),
  namespace: namespace.optional().describe('Namespace; resolved like deploy when absent'),
  wait: z.boolean().optional().describe('Follow the deletion until the object is gone or deletionTimeout passes'),
  pollInterval: z
    .string()
    .max(64)
    .optional()
    .describe('Upper bound between re-checks when the watch breaks (default "60s", at least "1s")'),
  deletionTimeout: z.string().max(64).optional().describe('How long wait=true follows the deletion (default "20m", 1s..24h)'),
});

// ---- outputs ----

const identityRef = z.object({
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  name: z.string().optional(),
  namespace: z.string().optional(),
});

export const credentialSummary = z.object({
  name: z.string(),
  namespace: z.string(),
  labels,
  provider: z
    .string()
    .describe(
      'The infrastructure provider it serves, from the ProviderInterfaces (see providerBasis); "ambiguous" when several remain (providerCandidates), "unknown" when none accepts its identity kind',
    ),
  providerCandidates: z.array(z.string()).describe('Every provider it may serve'),
  providerBasis: z
    .enum(['identityKind', 'label', 'name', 'interfaces', 'none'])
    .describe(
      "identityKind: only one provider accepts the kind; label: cluster.x-k8s.io/provider on the Credential; name: a provider named in its or its identity's name; interfaces: every provider accepting the kind (pin it with the label)",
    ),
  identityRef,
  region: z.string().optional(),
  description: z.string().optional(),
  createdAt: z.string().optional(),
  ready: z.boolean().describe('status.ready (kept in step with the CredentialReady condition)'),
  notReadyReason: z.string().optional().describe("When not ready: kcm's reason (the CredentialReady condition's message)"),
});

const configProperty = z.object({
  type: z.string().optional(),
  description: z.string().optional(),
  default: z.unknown().optional(),
  keys: z
    .array(z.string())
    .optional()
    .describe('Objects: the keys the schema defines, or where it leaves the object bare, the keys of its default'),
});

/** What every answer about a ClusterTemplate says of it (list entries and k0.templates.get). */
export const templateFacts = {
  name: z.string(),
  namespace: z.string(),
  description: z.string().optional(),
  providers: z.array(z.string()),
  cloud: z.string().optional(),
  version: z.string().optional(),
  k8sVersion: z.string().optional(),
  valid: z.boolean(),
  validationError: z.string().optional(),
};

export const templateSummary = z.object({
  ...templateFacts,
  labels,
  createdAt: z.string().optional(),
  configSchema: z.object({
    source: z.enum(['schema', 'defaults', 'none']),
    required: z
      .array(z.string())
      .describe(
        'Required keys as dotted paths, down to nested objects (e.g. controlPlane.instanceType); clusterIdentity excluded: kcm fills it',
      ),
    properties: z.record(z.string(), configProperty),
  }),
});

export const deploymentSummary = z.object({
  name: z.string(),
  namespace: z.string(),
  template: z.string().optional(),
  credential: z.string().optional(),
  labels,
  ready: z.boolean(),
  phase: z.string(),
  createdAt: z.string().optional(),
  deleting: z.boolean(),
});

export const condition = z.object({
  type: z.string(),
  status: z.string(),
  reason: z.string().optional(),
  message: z.string().optional(),
  observedGeneration: z.number().optional().describe('The generation kcm reconciled when it set this condition'),
});

export const waitError = z
  .object({ code: z.enum(ERROR_CODES), message: z.string() })
  .optional()
  .describe('wait=true: the wait ended early on an API failure (e.g. unauthorized, forbidden); the apply/delete itself succeeded');

export const interruption = {
  interrupted: z.boolean().optional().describe('wait=true: the server shut down during the wait; the operation continues in the cluster'),
  note: z.string().optional().describe('wait=true, interrupted: how to follow the operation from here'),
};

export const pageShape = { continue: z.string().optional().describe('Present when more items exist: pass it back as `continue`') };

export const listCredentialsOutput = toolOutput({ items: z.array(credentialSummary), ...pageShape });
export const listTemplatesOutput = toolOutput({ items: z.array(templateSummary), ...pageShape });
export const listDeploymentsOutput = toolOutput({ items: z.array(deploymentSummary), ...pageShape });

export const deployOutput = toolOutput({
  name: z.string(),
  namespace: z.string(),
  uid: z.string().optional(),
  resourceVersion: z.string().optional(),
  status: z.enum(['created', 'unchanged', 'dryRun']),
  object: z
    .object({
      metadata: z.object({ name: z.string(), namespace: z.string(), labels }),
      spec: z.record(z.string(), z.unknown()),
    })
    .optional()
    .describe('dryRun only: the object the server would store (compact)'),
  ready: z.boolean().optional().describe('wait=true: Ready=True for the generation waited for, as kcm reconciled it'),
  generation: z.number().optional().describe('wait=true: the generation the wait was for'),
  timedOut: z.boolean().optional(),
  phase: z.string().optional().describe('wait=true: one-line phase'),
  conditions: z.array(condition).optional(),
  failure: z.string().optional().describe('wait=true: the failing condition when Ready=False/Failed ended the wait'),
  waitError,
  ...interruption,
});

export const updateOutput = toolOutput({
  name: z.string(),
  namespace: z.string(),
  uid: z.string().optional(),
  resourceVersion: z.string().optional(),
  generation: z.number().optional().describe('metadata.generation after the write (the one wait=true waits for)'),
  status: z
    .enum(['updated', 'unchanged', 'dryRun', 'cancelled'])
    .describe('cancelled: the user declined the confirmation of a destructive change (CONFIRM_DESTRUCTIVE); nothing was written'),
  reason: z.string().optional().describe('cancelled: why'),
  changes: z.array(z.string()).describe('What changed (dryRun: would change), as "path: old → new"'),
  adopted: z.boolean().optional().describe('adopt=true took over a deployment this server had not created'),
  ready: z.boolean().optional().describe('wait=true: Ready=True for the new generation, as kcm reconciled it'),
  timedOut: z.boolean().optional(),
  phase: z.string().optional().describe('wait=true: one-line phase'),
  conditions: z.array(condition).optional(),
  failure: z.string().optional().describe('wait=true: the failing condition when Ready=False/Failed for the new generation ended the wait'),
  waitError,
});

export const deleteOutput = toolOutput({
  name: z.string(),
  namespace: z.string(),
  status: z
    .enum(['deleted', 'not_found', 'cancelled'])
    .describe('cancelled: the user declined the confirmation (CONFIRM_DESTRUCTIVE); nothing was deleted'),
  reason: z.string().optional().describe('cancelled: why'),
  hint: z.string().optional().describe('not_found: where a deployment of that name exists in another readable namespace'),
  gone: z.boolean().optional().describe('wait=true: a GET returned 404'),
  timedOut: z.boolean().optional(),
  phase: z.string().optional(),
  conditions: z.array(condition).optional(),
  waitError,
  ...interruption,
});

/** Strict success shapes (no error member), for tests and docs. */
export const successSchemas = {
  listCredentials: z.object({ items: z.array(credentialSummary), continue: z.string().optional() }),
  listTemplates: z.object({ items: z.array(templateSummary), continue: z.string().optional() }),
  list: z.object({ items: z.array(deploymentSummary), continue: z.string().optional() }),
};
