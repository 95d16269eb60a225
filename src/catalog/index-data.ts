/**
 * The k0rdent catalog index: its shape (the catalog's published index.json, catalog scripts/web/generate_index.py,
 * plus the fields scripts/catalog-index.mjs adds: title, each chart's nestingKey and dependsOn, metadata.source),
 * the copy this package ships (data/catalog/index.json, generated from a pinned catalog commit) and the check an
 * index fetched from elsewhere must pass (ajv against data/catalog/index.schema.json, the published schema) before
 * it is used. Knows neither Kubernetes nor MCP.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../errors.js';
import { packageRoot } from '../config/package.js';

export interface CatalogChart {
  name: string;
  /** Newest first. */
  versions: string[];
  appVersions: string[];
  /** The OCI (or HTTP) repository of the catalog's wrapper charts. */
  repository: string;
  /** The upstream dependency name: a service's values nest under this key (absent in the published index). */
  nestingKey?: string;
  /** Charts of the same app to install first. */
  dependsOn?: string[];
}

export interface CatalogAddon {
  name: string;
  title?: string;
  description: string;
  logo: string;
  docsUrl: string;
  supportType: 'community' | 'enterprise' | 'partner';
  deprecated: boolean;
  /** In install order. */
  charts: CatalogChart[];
  metadata?: {
    owner?: string;
    lastUpdated?: string;
    dependencies?: string[];
    tags?: string[];
    quality?: { tested?: boolean; securityScanned?: boolean };
  };
}

export interface CatalogIndex {
  metadata: {
    generated: string;
    version: string;
    source?: { repository: string; commit: string; date: string; license: string };
  };
  addons: CatalogAddon[];
}

export function catalogDataDir(): string {
  return join(packageRoot(), 'data', 'catalog');
}

let bundled: CatalogIndex | undefined;

/** The index this package ships (read once; about 80 KB of JSON). */
export function bundledIndex(): CatalogIndex {
  return (bundled ??= JSON.parse(readFileSync(join(catalogDataDir(), 'index.json'), 'utf8')) as CatalogIndex);
}

type Validate = ((data: unknown) => boolean) & { errors?: { instancePath: string; message?: string }[] | null };
let validator: Promise<Validate> | undefined;

/** ajv with the published schema, loaded on the first index fetched from a URL (never for the bundled one). */
function indexValidator(): Promise<Validate> {
  validator ??= (async () => {
    const [{ Ajv }, formats, schemaText] = await Promise.all([
      import('ajv'),
      import('ajv-formats'),
      readFile(join(catalogDataDir(), 'index.schema.json'), 'utf8'),
    ]);
    const ajv = new Ajv({ allErrors: true, strict: false });
    // ajv-formats is CommonJS; under NodeNext its default import is the module object.
    const addFormats = ((formats as unknown as { default: { default?: unknown } }).default.default ?? formats.default) as unknown as (
      a: typeof ajv,
    ) => void;
    addFormats(ajv);
    return ajv.compile(JSON.parse(schemaText) as object) as Validate;
  })();
  validator.catch(() => (validator = undefined));
  return validator;
}

/**
 * `text` as an index, or an `unavailable` error saying why not (`where` names its origin). Beyond the published
 * schema, every addon needs at least one chart with a version: an index without them cannot install anything.
 */
export async function parseIndex(text: string, where: string): Promise<CatalogIndex> {
  const invalid = (why: string): AppError =>
    new AppError(
      'unavailable',
      `the catalog index from ${where} is not a valid k0rdent catalog index (${why}); the cached index was left as it was. Fix the URL (CATALOG_INDEX_URL) or unset it to use the index this server ships`,
      { reason: 'invalidIndex' },
    );
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw invalid(`not JSON: ${error instanceof Error ? error.message.slice(0, 120) : String(error)}`);
  }
  const validate = await indexValidator();
  if (!validate(data)) {
    const first = (validate.errors ?? []).slice(0, 3).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`);
    throw invalid(first.join('; '));
  }
  const index = data as CatalogIndex;
  const empty = index.addons.find((a) => a.charts.length === 0 || a.charts.some((c) => c.versions.length === 0));
  if (empty) throw invalid(`addon "${empty.name}" lists no chart version`);
  if (index.addons.length === 0) throw invalid('it lists no addons');
  return index;
}
