/** Questions asked of a catalog index: search, look-up with nearest names, versions, template names. Pure. */
import semver from 'semver';
import { AppError } from '../errors.js';
import { nearestName } from '../shared/suggest.js';
import { TOOL, toolRef } from '../tool-names.js';
import type { CatalogAddon, CatalogIndex } from './index-data.js';
import type { CatalogListResult } from './results.js';

export interface ListFilter {
  query?: string | undefined;
  tag?: string | undefined;
  supportType?: string | undefined;
}

const SUMMARY_MAX = 100;

function matchesQuery(addon: CatalogAddon, words: string[]): boolean {
  const text = [addon.name, addon.title ?? '', addon.description, ...(addon.metadata?.tags ?? []), ...addon.charts.map((c) => c.name)]
    .join(' ')
    .toLowerCase();
  return words.every((w) => text.includes(w));
}

/** The apps matching every given filter (query: every word in name, title, description, tags or chart names). */
export function listAddons(index: CatalogIndex, filter: ListFilter): Omit<CatalogListResult, 'catalog'> {
  const words = (filter.query ?? '').toLowerCase().split(/\s+/).filter(Boolean);
  const tag = filter.tag?.toLowerCase();
  const support = filter.supportType?.toLowerCase();
  const found = index.addons.filter(
    (a) =>
      (words.length === 0 || matchesQuery(a, words)) &&
      (tag === undefined || (a.metadata?.tags ?? []).some((t) => t.toLowerCase() === tag)) &&
      (support === undefined || a.supportType === support),
  );
  return {
    total: found.length,
    items: found.map((a) => ({
      name: a.name,
      ...(a.title && a.title !== a.name ? { title: a.title } : {}),
      supportType: a.supportType,
      tags: a.metadata?.tags ?? [],
      latest: a.charts[0]?.versions[0] ?? '',
      ...(words.length > 0
        ? { summary: a.description.length > SUMMARY_MAX ? `${a.description.slice(0, SUMMARY_MAX - 1)}…` : a.description }
        : {}),
      ...(a.deprecated ? { deprecated: true } : {}),
    })),
  };
}

/** Every tag the index uses, sorted: the answer to a tag that matches nothing. */
export function tagsOf(index: CatalogIndex): string[] {
  return [...new Set(index.addons.flatMap((a) => a.metadata?.tags ?? []))].sort();
}

/** The app, or notFound naming the nearest app names (an app's chart name also finds it). */
export function findAddon(index: CatalogIndex, app: string): CatalogAddon {
  const wanted = app.trim().toLowerCase();
  const addon = index.addons.find((a) => a.name === wanted) ?? index.addons.find((a) => a.charts.some((c) => c.name === wanted));
  if (addon) return addon;
  const names = index.addons.map((a) => a.name);
  const nearest = nearestName(wanted, names);
  const containing = names.filter((n) => wanted.length >= 3 && (n.includes(wanted) || wanted.includes(n))).slice(0, 5);
  const suggestions = [...new Set([...(nearest ? [nearest] : []), ...containing])];
  throw new AppError(
    'notFound',
    `the k0rdent catalog has no app "${app.slice(0, 100)}".${suggestions.length > 0 ? ` Did you mean ${suggestions.map((s) => `"${s}"`).join(', ')}?` : ''} Search with ${toolRef(TOOL.catalogList)} {query}`,
    // The details of the one not-found shape (src/shared/not-found.ts); the catalog has no namespaces.
    {
      kind: 'CatalogApp',
      name: app.slice(0, 100),
      ...(suggestions[0] !== undefined ? { suggestion: suggestions[0] } : {}),
      nearest: suggestions,
      listTool: toolRef(TOOL.catalogList),
    },
  );
}

/** The versions every chart of the app lists (for one chart: its versions), newest first. */
export function installableVersions(addon: CatalogAddon): string[] {
  const [first, ...rest] = addon.charts;
  if (!first) return [];
  return first.versions.filter((v) => rest.every((c) => c.versions.includes(v)));
}

/**
 * The version of each chart to install: `version` for every chart (which must list it), or each chart's newest
 * (the catalog's own install code, generate_catalog_json.py generate_install_code: `version or versions[0]`).
 */
export function chartVersions(addon: CatalogAddon, version: string | undefined): { chart: string; version: string }[] {
  if (version === undefined) return addon.charts.map((c) => ({ chart: c.name, version: c.versions[0] ?? '' }));
  const wanted = version.trim().replace(/^v(?=\d)/, '');
  const missing = addon.charts.find((c) => !c.versions.includes(wanted));
  if (missing) {
    const versions = addon.charts.length === 1 ? missing.versions : installableVersions(addon);
    const nearest = nearestName(wanted, versions);
    throw new AppError(
      'notFound',
      `the k0rdent catalog lists no version "${version.slice(0, 50)}" of ${addon.name}${addon.charts.length > 1 ? ` (chart ${missing.name})` : ''}; versions: ${versions.join(', ')}.${nearest ? ` Did you mean "${nearest}"?` : ''}`,
      { versions, ...(nearest ? { nearest } : {}) },
    );
  }
  return addon.charts.map((c) => ({ chart: c.name, version: wanted }));
}

/** kgst's ServiceTemplate name: `<chart>-<version with dots as dashes>` (catalog apps/k0rdent-utils/charts/kgst service-template.yaml). */
export function serviceTemplateName(chart: string, version: string): string {
  return `${chart}-${version.replace(/\./g, '-')}`;
}

/** The newest of `versions` when it is newer than `installed` (semver; loose, so "v1.2" compares). */
export function newerThan(installed: string, versions: readonly string[]): string | undefined {
  const newest = versions[0];
  const a = semver.coerce(installed);
  const b = newest === undefined ? null : semver.coerce(newest);
  if (a === null || b === null || newest === undefined) return undefined;
  return semver.gt(b, a) ? newest : undefined;
}
