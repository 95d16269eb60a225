/**
 * What k0.events.list returns, as zod schemas: the one description of these results. The manager's types are
 * inferred from them (./summaries.ts, ./manager.ts) and the tool's output schema is built from them
 * (src/mcp/tools/day-two-schemas.ts), so a result the schema does not allow fails `tsc`.
 */
import { z } from 'zod';

export const eventObjectRef = z.object({ kind: z.string().optional(), name: z.string().optional(), namespace: z.string().optional() });

export const eventSummary = z.object({
  name: z.string(),
  namespace: z.string(),
  type: z.string().optional(),
  reason: z.string().optional(),
  object: eventObjectRef,
  message: z.string().optional().describe('One line'),
  count: z.number().int().describe('Occurrences (series.count, or the deprecated count)'),
  time: z.string().optional().describe('When it last happened'),
  firstTime: z.string().optional(),
  reportingController: z.string().optional(),
  action: z.string().optional(),
});

export const eventPage = z.object({
  items: z.array(eventSummary),
  continue: z.string().optional().describe('Present when more items exist: pass it back as `continue`'),
  source: z.enum(['events.k8s.io/v1', 'v1']).describe('The Events API that answered'),
  truncated: z.boolean().optional().describe('More events matched than are read at once; narrow the query'),
});
