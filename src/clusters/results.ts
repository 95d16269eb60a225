/**
 * What the cluster manager returns, as zod schemas: the one description of these results. The manager's types
 * are inferred from them (./types.ts) and the k0.clusters.* tools' output schemas are built from them
 * (src/mcp/tools/clusters-schemas.ts), so a result the schema does not allow fails `tsc`. Compact summaries,
 * never whole objects, managedFields or secrets.
 */
import { TOOL } from '../tool-names.js';
import { z } from 'zod';
import { ERROR_CODES } from '../errors.js';

export const labels = z.record(z.string(), z.string());

export const identityRef = z.object({
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
export const templateFacts = z.object({
  name: z.string(),
  namespace: z.string(),
  description: z.string().optional(),
  providers: z.array(z.string()),
  cloud: z.string().optional(),
  version: z.string().optional(),
  k8sVersion: z.string().optional(),
  valid: z.boolean(),
  validationError: z.string().optional(),
});

/** `detail` of the template answers: a summary (the default), or with what `full` adds. */
export const templateDetail = z.enum(['summary', 'full']).describe('full adds labels, createdAt and the config outline');

export const templateSummary = templateFacts.extend({
  labels: labels.optional().describe('detail=full'),
  createdAt: z.string().optional().describe('detail=full'),
  configSchema: z
    .object({
      source: z.enum(['schema', 'defaults', 'none']),
      required: z
        .array(z.string())
        .describe(
          'Required keys as dotted paths, down to nested objects (e.g. controlPlane.instanceType); clusterIdentity excluded: kcm fills it',
        ),
      properties: z.record(z.string(), configProperty),
    })
    .optional()
    .describe(`detail=full: required keys and top-level properties (${TOOL.templatesGet} has the whole schema and an example)`),
});

export const deploymentSummary = z.object({
  name: z.string(),
  namespace: z.string(),
  template: z.string().optional(),
  credential: z.string().optional(),
  labels,
  ready: z.boolean(),
  phase: z.string(),
  status: z.enum(['ready', 'failing', 'progressing', 'deleting']).describe(`The fleet view of its state (${TOOL.clustersList} \`status\`)`),
  reason: z.string().optional().describe(`Not ready: the first condition that is not True, one line (${TOOL.clustersDiagnose} tells why)`),
  createdAt: z.string().optional(),
  deleting: z.boolean(),
});

export const compactCondition = z.object({
  type: z.string(),
  status: z.string(),
  reason: z.string().optional(),
  message: z.string().optional(),
  observedGeneration: z.number().optional().describe('The generation kcm reconciled when it set this condition'),
});

/** Why a wait ended early on an API failure (same codes as tool errors). */
export const waitError = z.object({ code: z.enum(ERROR_CODES), message: z.string() });

/** The members every wait reports, as optional result members. */
export const waitEnd = {
  waitError: waitError
    .optional()
    .describe('wait=true: the wait ended early on an API failure (e.g. unauthorized, forbidden); the apply/delete itself succeeded'),
  interrupted: z.boolean().optional().describe('wait=true: the server shut down during the wait; the operation continues in the cluster'),
  note: z.string().optional().describe('wait=true, interrupted: how to follow the operation from here'),
};

export const pageShape = { continue: z.string().optional().describe('Present when more items exist: pass it back as `continue`') };

/** One page of a list: its items and the token for the next page (absent on the last). */
export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), ...pageShape });
}

export const credentialPage = pageOf(credentialSummary);
export const templatePage = pageOf(templateSummary);
export const deploymentPage = pageOf(deploymentSummary);

/** How a wait for Ready ended (deploy, update with wait=true). */
export const waitOutcome = z.object({
  ready: z.boolean().describe('wait=true: Ready=True for the generation waited for, as kcm reconciled it'),
  generation: z.number().optional().describe('wait=true: the generation the wait was for'),
  timedOut: z.boolean(),
  phase: z.string().describe('wait=true: one-line phase'),
  conditions: z.array(compactCondition),
  failure: z.string().optional().describe('wait=true: the failing condition when Ready=False/Failed ended the wait'),
  ...waitEnd,
});

export const deployResult = z.object({
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
  region: z.string().optional().describe("The credential's Region (absent: the management cluster)"),
  warnings: z.array(z.string()).optional(),
  wait: waitOutcome.optional(),
});

export const updateResult = z.object({
  name: z.string(),
  namespace: z.string(),
  uid: z.string().optional(),
  resourceVersion: z.string().optional(),
  generation: z.number().optional().describe('metadata.generation after the write (the one wait=true waits for)'),
  status: z
    .enum(['updated', 'unchanged', 'dryRun', 'cancelled'])
    .describe('cancelled: the user declined the confirmation of a destructive change (CONFIRM_DESTRUCTIVE); nothing was written'),
  reason: z.string().optional().describe('cancelled: why'),
  changes: z
    .array(z.string())
    .describe('What changed (dryRun: would change; cancelled: would have changed, nothing was written), as "path: old → new"'),
  adopted: z.boolean().optional().describe('adopt=true took over a deployment this server had not created'),
  warnings: z.array(z.string()).optional(),
  wait: waitOutcome.optional(),
});

/** How a wait for a deletion ended. */
export const deletionWait = z.object({
  gone: z.boolean().describe('wait=true: a GET returned 404'),
  timedOut: z.boolean(),
  phase: z.string(),
  conditions: z.array(compactCondition),
  ...waitEnd,
});

export const deleteResult = z.object({
  name: z.string(),
  namespace: z.string(),
  status: z
    .enum(['deleted', 'not_found', 'cancelled'])
    .describe('cancelled: the user declined the confirmation (CONFIRM_DESTRUCTIVE); nothing was deleted'),
  reason: z.string().optional().describe('cancelled: why'),
  object: z
    .object({
      uid: z.string().optional(),
      template: z.string().optional(),
      credential: z.string().optional(),
      createdAt: z.string().optional(),
    })
    .optional()
    .describe('cancelled: the deployment that would have been deleted (it is still there)'),
  hint: z.string().optional().describe('not_found: the nearest deployment name in that namespace (nothing was deleted)'),
  wait: deletionWait.optional(),
});
