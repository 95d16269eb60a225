/**
 * What k0.providers.list returns, as zod schemas: the one description of this result. The manager's types are
 * inferred from them (./manager.ts) and the tool's output schema is built from them
 * (src/mcp/tools/day-two-schemas.ts), so a result the schema does not allow fails `tsc`.
 */
import { z } from 'zod';

export const providerSummary = z.object({
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
});

export const providerPage = z.object({
  items: z.array(providerSummary),
  continue: z.string().optional().describe('Present when more items exist: pass it back as `continue`'),
  interfacesFrom: z.enum(['cluster', 'builtin']),
  managementError: z.string().optional(),
});
