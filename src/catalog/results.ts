/**
 * What the catalog manager returns, as zod schemas: the one description of these results. The manager's types are
 * inferred from them and the catalog tools' output schemas are built from them (src/mcp/tools/catalog-schemas.ts).
 */
import { z } from 'zod';

export const catalogOrigin = z.object({
  source: z.enum(['bundled', 'cache', 'remote']),
  date: z.string(),
  stale: z.boolean(),
  commit: z.string().optional(),
  warning: z.string().optional(),
});

export const catalogListItem = z.object({
  name: z.string(),
  title: z.string().optional(),
  supportType: z.string(),
  tags: z.array(z.string()),
  latest: z.string(),
  summary: z.string().optional(),
  deprecated: z.boolean().optional(),
});

export const catalogListResult = z.object({
  catalog: catalogOrigin,
  total: z.number(),
  items: z.array(catalogListItem),
});

export const installedTemplate = z.object({
  namespace: z.string(),
  name: z.string(),
  chart: z.string(),
  version: z.string(),
  valid: z.boolean(),
  validationError: z.string().optional(),
  newerVersion: z.string().optional(),
  helmRelease: z.string().optional(),
});

export const catalogChartInfo = z.object({
  name: z.string(),
  versions: z.array(z.string()),
  repository: z.string(),
  nestingKey: z.string().optional(),
  dependsOn: z.array(z.string()).optional(),
});

export const catalogGetResult = z.object({
  catalog: catalogOrigin,
  name: z.string(),
  title: z.string().optional(),
  description: z.string(),
  supportType: z.string(),
  deprecated: z.boolean(),
  tags: z.array(z.string()),
  docsUrl: z.string(),
  versions: z.array(z.string()),
  charts: z.array(catalogChartInfo),
  installed: z.array(installedTemplate),
});

export const installedObject = z.object({
  kind: z.string(),
  name: z.string(),
  status: z.enum(['created', 'updated', 'unchanged', 'dryRun', 'helmRelease']),
  helmRelease: z.string().optional(),
  valid: z.boolean().optional(),
  validationError: z.string().optional(),
});

export const catalogInstallResult = z.object({
  catalog: catalogOrigin,
  app: z.string(),
  version: z.string(),
  namespace: z.string(),
  objects: z.array(installedObject),
  wait: z
    .object({
      valid: z.boolean(),
      timedOut: z.boolean(),
      message: z.string(),
      waitError: z.string().optional(),
      interrupted: z.boolean().optional(),
    })
    .optional(),
  next: z.string().optional(),
});

export const catalogUninstallResult = z.object({
  app: z.string(),
  version: z.string(),
  namespace: z.string(),
  items: z.array(
    z.object({
      name: z.string(),
      status: z.enum(['deleted', 'not_found', 'refused', 'helmRelease', 'dryRun', 'cancelled']),
      usedBy: z.array(z.string()).optional(),
      message: z.string().optional(),
    }),
  ),
});

export type CatalogOrigin = z.infer<typeof catalogOrigin>;
export type CatalogListResult = z.infer<typeof catalogListResult>;
export type CatalogGetResult = z.infer<typeof catalogGetResult>;
export type InstalledTemplate = z.infer<typeof installedTemplate>;
export type InstalledObject = z.infer<typeof installedObject>;
export type CatalogInstallResult = z.infer<typeof catalogInstallResult>;
export type CatalogUninstallResult = z.infer<typeof catalogUninstallResult>;
