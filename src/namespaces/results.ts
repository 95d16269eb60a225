/**
 * What k0.namespaces.list returns, as zod schemas: the one description of this result. The manager's types are
 * inferred from them (./manager.ts) and the tool's output schema is built from them
 * (src/mcp/tools/day-two-schemas.ts), so a result the schema does not allow fails `tsc`.
 */
import { z } from 'zod';

export const namespaceSummary = z.object({
  name: z.string(),
  global: z.boolean(),
  writable: z.boolean().describe('the filter and your permissions let you deploy, update or delete here'),
  canRead: z.boolean().optional(),
  canDeploy: z.boolean().optional(),
  canDelete: z.boolean().optional(),
  credentials: z.number().int().optional().describe('absent: you may not list them here'),
  templates: z.number().int().optional(),
  deployments: z.number().int().optional(),
});

export const namespacePage = z.object({
  items: z.array(namespaceSummary),
  continue: z.string().optional().describe('Present when more items exist: pass it back as `continue`'),
  countedBy: z.enum(['cluster', 'namespaces']),
});
