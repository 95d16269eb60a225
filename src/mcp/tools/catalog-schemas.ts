/** The catalog tool shapes (k0.catalog.*): zod input schemas, and their results from src/catalog/results.ts. */
import { z } from 'zod';
import { catalogGetResult, catalogInstallResult, catalogListResult, catalogUninstallResult } from '../../catalog/results.js';

const app = z.string().min(1).max(100).describe('e.g. "ingress-nginx"');
const version = z.string().min(1).max(50).optional().describe('Default: the newest');
const namespace = z.string().optional();

export const catalogListInput = z.object({
  query: z.string().max(200).optional().describe('Words to find'),
  tag: z.string().max(100).optional().describe('e.g. Networking'),
  supportType: z.enum(['community', 'enterprise', 'partner']).optional(),
});

export const catalogGetInput = z.object({ app });

export const catalogInstallInput = z.object({
  app,
  version,
  namespace,
  dryRun: z.boolean().optional(),
  wait: z.boolean().optional(),
  timeout: z.string().optional().describe('wait bound, default "5m"'),
});

export const catalogUninstallInput = z.object({
  app,
  version: z.string().min(1).max(50).optional().describe('Default: every version installed here'),
  namespace,
  dryRun: z.boolean().optional(),
});

export const catalogListOutput = catalogListResult;
export const catalogGetOutput = catalogGetResult;
export const catalogInstallOutput = catalogInstallResult;
export const catalogUninstallOutput = catalogUninstallResult;
