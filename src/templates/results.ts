/**
 * What k0.templates.get returns, as zod schemas: the one description of this result. The manager's types are
 * inferred from them (./manager.ts, ./example.ts) and the tool's output schema is built from them
 * (src/mcp/tools/day-two-schemas.ts), so a result the schema does not allow fails `tsc`.
 */
import { TOOL } from '../tool-names.js';
import { z } from 'zod';
import { templateFacts } from '../clusters/results.js';

export const requiredSetting = z.object({
  path: z.string(),
  type: z.string().optional(),
  description: z.string().optional(),
  default: z.unknown().optional(),
  mustFill: z.boolean(),
});

export const fittingCredential = z.object({ name: z.string(), ready: z.boolean(), provider: z.string(), providerBasis: z.string() });

export const templateDetails = z.object({
  ...templateFacts.shape,
  schemaSource: z.enum(['schema', 'none']),
  schema: z.record(z.string(), z.unknown()).optional().describe("detail=full: the chart's values JSON Schema, whole"),
  defaults: z.record(z.string(), z.unknown()).describe('status.config: defaults merged under spec.config'),
  required: z.array(requiredSetting).describe('Required settings (clusterIdentity excluded: kcm fills it)'),
  example: z
    .record(z.string(), z.unknown())
    .describe(
      `A config with the required settings: defaults where usable, "<FILL: path>" where a value must be given. The markers are not values: replace every one before deploying; ${TOOL.clustersDeploy}/update refuse a config that still holds one (invalidParams naming its path)`,
    ),
  toFill: z.array(z.string()).describe('Paths in `example` to replace before deploying'),
  credentials: z.array(fittingCredential).describe('Credentials in this namespace that fit the template'),
  upgradesTo: z.array(z.string()).describe('Templates a deployment of this one may be upgraded to (ClusterTemplateChains here)'),
  chains: z.array(z.string()),
});
