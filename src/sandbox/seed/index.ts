/** The sandbox's initial data: the default k0rdent management cluster, or a seed file, plus scale data. */
import type { Store } from '../apiserver/types.js';
import { loadChartCatalog, type ChartCatalog } from '../kcm/charts.js';
import { BASE_NAMESPACES, seedDefault } from './default-seed.js';
import { ensureNamespace } from './objects.js';
import { seedScale } from './scale.js';
import { seedFromFile, type ResourceLookup } from './seed-file.js';

export interface SeedOptions {
  /** Replaces the default data with the objects of this YAML file. */
  seedFile?: string;
  /** Adds N generated namespaces with credentials, templates and Ready deployments. */
  scale?: number;
  /** Needed with seedFile: maps apiVersion + kind to a served resource. */
  lookup?: ResourceLookup;
  catalog?: ChartCatalog;
}

export function seedStore(store: Store, options: SeedOptions = {}): void {
  const catalog = options.catalog ?? loadChartCatalog();
  if (options.seedFile) {
    if (!options.lookup) throw new Error('seedStore: a resource lookup is required with a seed file');
    for (const ns of BASE_NAMESPACES) ensureNamespace(store, ns);
    seedFromFile(store, options.seedFile, options.lookup);
  } else {
    seedDefault(store, catalog);
  }
  if (options.scale && options.scale > 0) seedScale(store, catalog, Math.floor(options.scale));
}

export type { ResourceLookup } from './seed-file.js';
