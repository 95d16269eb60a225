/**
 * What the catalog manager returns, as zod schemas: the one description of these results. The manager's types are
 * inferred from them and the catalog tools' output schemas are built from them (src/mcp/tools/catalog-schemas.ts).
 */
import { z } from 'zod';
import { waitEnd } from '../clusters/results.js';

export const catalogOrigin = z
  .object({
    source: z.enum(['bundled', 'cache', 'remote']).describe('bundled: shipped with this server; cache/remote: from CATALOG_INDEX_URL'),
    date: z.string().describe("The index's date"),
    stale: z.boolean().describe('Older than CATALOG_MAX_AGE_DAYS'),
    commit: z.string().optional().describe('Catalog commit the bundled index was made from'),
    warning: z.string().optional(),
  })
  .describe('Which catalog index answered');

export const catalogListItem = z.object({
  name: z.string(),
  title: z.string().optional(),
  supportType: z.string(),
  tags: z.array(z.string()),
  latest: z.string().describe('Newest version'),
  summary: z.string().optional(),
  deprecated: z.boolean().optional(),
});

export const catalogListResult = z.object({
  catalog: catalogOrigin,
  total: z.number().int().describe('Apps matching'),
  items: z.array(catalogListItem),
});

export const installedTemplate = z.object({
  namespace: z.string(),
  name: z.string(),
  chart: z.string(),
  version: z.string(),
  valid: z.boolean(),
  validationError: z.string().optional(),
  newerVersion: z.string().optional().describe('Newest catalog version, when newer than this one'),
  helmRelease: z.string().optional().describe('Installed by this Helm release (kgst)'),
});

export const catalogChartInfo = z.object({
  name: z.string(),
  versions: z.array(z.string()).describe('Newest first'),
  repository: z.string().describe('Chart repository (after CATALOG_MIRRORS)'),
  nestingKey: z.string().optional().describe("Service values nest under this key (the upstream chart's name)"),
  dependsOn: z.array(z.string()).optional().describe('Charts of this app to install first'),
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
  versions: z.array(z.string()).describe('Installable versions, newest first'),
  charts: z.array(catalogChartInfo).describe('In install order'),
  installed: z.array(installedTemplate).describe('ServiceTemplates of these charts in the readable namespaces'),
});

export const installedObject = z.object({
  kind: z.string(),
  name: z.string(),
  namespace: z.string(),
  status: z
    .enum(['created', 'updated', 'unchanged', 'dryRun', 'helmRelease'])
    .describe('helmRelease: a Helm release (kgst) owns it; reported, not changed'),
  helmRelease: z.string().optional(),
  chart: z.string().optional(),
  version: z.string().optional(),
  valid: z.boolean().optional().describe("kcm's status.valid (ServiceTemplates)"),
  validationError: z.string().optional(),
});

export const catalogInstallResult = z.object({
  catalog: catalogOrigin,
  app: z.string(),
  version: z.string(),
  namespace: z.string(),
  objects: z.array(installedObject).describe('HelmRepository, then one ServiceTemplate per chart in install order'),
  wait: z
    .object({
      valid: z.boolean().describe('Every ServiceTemplate is valid'),
      timedOut: z.boolean(),
      message: z.string(),
      ...waitEnd,
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
      status: z
        .enum(['deleted', 'not_found', 'refused', 'helmRelease', 'dryRun', 'cancelled'])
        .describe('refused: kcm keeps a ServiceTemplate in use, or this server did not install it'),
      usedBy: z.array(z.string()).optional().describe('ClusterDeployments (ns/name) and MultiClusterServices using it'),
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
