#!/usr/bin/env node
/**
 * Writes data/catalog: the k0rdent catalog index this server ships (offline-first: the catalog tools answer from
 * it with no network), generated from a checkout or bare clone of github.com/k0rdent/catalog at a pinned commit.
 *
 * The index follows the catalog's published index.json (catalog scripts/web/generate_index.py build_version and
 * process_addon, for catalog version v1.11.0 and later): `metadata{generated, version}` and `addons[]` with name,
 * description, logo, docsUrl, supportType, deprecated, charts[{name, versions, appVersions, repository}] and
 * metadata{owner, lastUpdated, dependencies, tags, quality}. It is validated (ajv) against that index's schema,
 * data/catalog/index.schema.json: the catalog repository carries no schema file (generate_index.py builds it in
 * generate_schema/addons_items and publishes it as <site>/<version>/schema/index.json), so that file is the
 * schema those two functions produce for v1.11.0, written out unchanged in meaning.
 *
 * Added beside the published fields (the schema allows them): per addon `title` (data.yaml) and per chart
 * `nestingKey` (the upstream dependency name, `dep_name` in the app's charts/st-charts.yaml: the catalog chart
 * wraps the upstream one, so its values nest under that key; the published index lacks it) and `dependsOn` (the
 * charts it must be installed after, from the app's example/Chart.yaml `mcs_dep_index`, catalog
 * scripts/utils.py get_mcs_services). `charts` keeps charts.yaml's order, which is the install order.
 * `metadata.source` records the repository, the commit and its date; `metadata.generated` is the commit's date
 * (not the wall clock, so the file is reproducible), and `lastUpdated` is the newest Chart.lock `generated`
 * date (catalog generate_catalog_json.py get_last_updated), not a directory's mtime as generate_index.py uses.
 *
 *   node scripts/catalog-index.mjs /work/.mirror/k0rdent+catalog/repo           write data/catalog/index.json
 *   node scripts/catalog-index.mjs REPO --check                                  exit 1 when it would differ (at the recorded commit)
 *   node scripts/catalog-index.mjs REPO --commit SHA                             another revision than HEAD
 *   node scripts/catalog-index.mjs REPO --out DIR                                write elsewhere
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const SITE_URL = 'https://catalog.k0rdent.io';
const REPOSITORY = 'https://github.com/k0rdent/catalog';
/** generate_index.py DEFAULT_CHART_REPOS. */
const DEFAULT_CHART_REPOS = {
  community: 'oci://ghcr.io/k0rdent/catalog/charts',
  enterprise: 'oci://registry.mirantis.com/k0rdent-enterprise-catalog',
  partner: 'oci://ghcr.io/k0rdent/catalog/charts',
};

function usage(message) {
  console.error(`${message}\nusage: node scripts/catalog-index.mjs <catalog checkout or bare repo> [--check] [--out DIR]`);
  process.exit(2);
}

const args = process.argv.slice(2);
const source = args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--out' && args[i - 1] !== '--commit');
if (!source) usage('name the catalog repository');
const check = args.includes('--check');
const outIndex = args.indexOf('--out');
const outDir = outIndex >= 0 ? args[outIndex + 1] : join(root, 'data', 'catalog');
if (!outDir) usage('--out needs a directory');

const git = (...a) => execFileSync('git', ['-C', source, ...a], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
// --commit picks the revision (default HEAD; with --check, the commit data/catalog/index.json records).
const commitIndex = args.indexOf('--commit');
const recorded = () => JSON.parse(readFileSync(join(outDir, 'index.json'), 'utf8')).metadata?.source?.commit;
const revision = commitIndex >= 0 ? args[commitIndex + 1] : check && existsSync(join(outDir, 'index.json')) ? recorded() : 'HEAD';
if (!revision) usage('--commit needs a revision');
const commit = git('rev-parse', `${revision}^{commit}`).trim();
const commitDate = new Date(git('log', '-1', '--format=%cI', commit).trim()).toISOString();

// The tree at that commit, whether `source` is a bare repository or a checkout (uncommitted edits are ignored).
const work = mkdtempSync(join(tmpdir(), 'catalog-index-'));
try {
  execFileSync('sh', ['-c', `git -C "$0" archive "$2" apps LICENSE versions.yaml | tar -x -C "$1"`, source, work, commit]);
  const index = buildIndex(work);
  const schema = JSON.parse(readFileSync(join(root, 'data', 'catalog', 'index.schema.json'), 'utf8'));
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormatsModule.default(ajv);
  const validate = ajv.compile(schema);
  if (!validate(index)) {
    console.error(validate.errors);
    throw new Error('the generated index does not follow data/catalog/index.schema.json');
  }
  // One addon per line: small, and a diff shows which apps changed.
  const text = `{"metadata":${JSON.stringify(index.metadata)},\n"addons":[\n${index.addons.map((a) => JSON.stringify(a)).join(',\n')}\n]}\n`;
  const license = readFileSync(join(work, 'LICENSE'), 'utf8');
  const files = { 'index.json': text, LICENSE: license };
  if (check) {
    const stale = Object.entries(files).filter(
      ([name, body]) => !existsSync(join(outDir, name)) || readFileSync(join(outDir, name), 'utf8') !== body,
    );
    if (stale.length > 0) {
      console.error(`data/catalog differs from catalog ${commit.slice(0, 8)}: ${stale.map(([n]) => n).join(', ')}`);
      process.exitCode = 1;
    }
  } else {
    mkdirSync(outDir, { recursive: true });
    for (const [name, body] of Object.entries(files)) writeFileSync(join(outDir, name), body);
    const charts = index.addons.reduce((n, a) => n + a.charts.length, 0);
    const versions = index.addons.reduce((n, a) => n + a.charts.reduce((m, c) => m + c.versions.length, 0), 0);
    console.log(
      `data/catalog/index.json: ${index.addons.length} apps, ${charts} charts, ${versions} chart versions, ${Buffer.byteLength(text)} bytes (catalog ${commit.slice(0, 8)}, ${commitDate})`,
    );
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

function readYaml(path) {
  return existsSync(path) ? parse(readFileSync(path, 'utf8')) : undefined;
}

function buildIndex(tree) {
  const versions = readYaml(join(tree, 'versions.yaml'));
  const catalogVersion = String(versions?.latest ?? '');
  if (!/^v\d+\.\d+\.\d+$/.test(catalogVersion)) throw new Error(`versions.yaml has no usable "latest" (${catalogVersion})`);
  const baseUrl = `${SITE_URL}/${catalogVersion}`;
  const appsDir = join(tree, 'apps');
  const addons = [];
  for (const app of readdirSync(appsDir).sort()) {
    const addon = buildAddon(join(appsDir, app), app, baseUrl);
    if (addon) addons.push(addon);
  }
  return {
    metadata: {
      generated: commitDate,
      version: catalogVersion.replace('v', ''),
      source: { repository: REPOSITORY, commit, date: commitDate, license: 'Apache-2.0' },
    },
    addons: addons.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
  };
}

/** generate_index.py process_addon: none for a missing data.yaml, an infra item or an app without charts. */
function buildAddon(dir, app, baseUrl) {
  const data = readYaml(join(dir, 'data.yaml'));
  if (!data || data.type === 'infra') return undefined;
  const chartsFile = readYaml(join(dir, 'charts', 'charts.yaml'));
  if (!chartsFile?.charts) return undefined;
  const supportType = String(data.support_type ?? 'community').toLowerCase();
  const repository = DEFAULT_CHART_REPOS[supportType] ?? DEFAULT_CHART_REPOS.community;
  const nesting = nestingKeys(readYaml(join(dir, 'charts', 'st-charts.yaml')));
  const dependsOn = exampleDependsOn(readYaml(join(dir, 'example', 'Chart.yaml')));
  const charts = Object.entries(chartsFile.charts).map(([name, list]) => {
    // utils.py try_add_charts_data: charts.yaml lists oldest first; the index lists newest first.
    const entries = [...(list ?? [])].reverse();
    const keys = nesting.get(name);
    const chart = {
      name,
      versions: entries.map((e) => String(e.version)),
      appVersions: entries.map((e) => String(e.appVersion ?? '')),
      repository,
    };
    if (keys !== undefined && keys.size === 1) chart.nestingKey = [...keys][0];
    else if (keys !== undefined && keys.size > 1) throw new Error(`${app}/${name}: st-charts.yaml gives several dep_names (${[...keys]})`);
    const after = dependsOn.get(name);
    if (after !== undefined && after.length > 0) chart.dependsOn = after;
    return chart;
  });
  const logo = String(data.logo ?? '');
  return {
    name: app,
    title: String(data.title ?? app),
    description: String(data.description ?? '')
      .split('\n')[0]
      .trim(),
    logo: /^https?:\/\//.test(logo) ? logo : `${baseUrl}/logos/${app}/${logo.replace(/^\.\//, '').split('/').pop()}`,
    docsUrl: `${baseUrl}/apps/${app}/`,
    supportType,
    deprecated: data.deprecated === true,
    charts,
    metadata: {
      owner: String(data.owner ?? 'k0rdent-team'),
      lastUpdated: lastUpdated(dir) ?? String(data.created ?? '').slice(0, 10),
      dependencies: Array.isArray(data.dependencies) ? data.dependencies.map(String) : [],
      tags: Array.isArray(data.tags) ? data.tags.map(String) : [],
      quality: {
        tested: ['validated_amd64', 'validated_arm64', 'validated_aws', 'validated_azure', 'validated_local'].some((k) => data[k] === 'y'),
        securityScanned: data.security_scanned === true,
      },
    },
  };
}

/** chart name → the dep_names st-charts.yaml gives it. */
function nestingKeys(stCharts) {
  const out = new Map();
  for (const entry of stCharts?.['st-charts'] ?? []) {
    if (!entry?.name || !entry.dep_name) continue;
    if (!out.has(entry.name)) out.set(entry.name, new Set());
    out.get(entry.name).add(String(entry.dep_name));
  }
  return out;
}

/** chart name → the charts it waits for: example/Chart.yaml dependencies[i].mcs_dep_index names an earlier one. */
function exampleDependsOn(chart) {
  const deps = Array.isArray(chart?.dependencies) ? chart.dependencies : [];
  const out = new Map();
  deps.forEach((dep) => {
    const index = dep?.mcs_dep_index;
    if (typeof index !== 'number' || !deps[index]?.name) return;
    const list = out.get(dep.name) ?? [];
    if (!list.includes(deps[index].name)) list.push(String(deps[index].name));
    out.set(String(dep.name), list);
  });
  return out;
}

/** The newest Chart.lock `generated` date of the app's charts (YYYY-MM-DD). */
function lastUpdated(dir) {
  const chartsDir = join(dir, 'charts');
  let newest;
  for (const entry of existsSync(chartsDir) ? readdirSync(chartsDir) : []) {
    const lock = readYaml(join(chartsDir, entry, 'Chart.lock'));
    const generated = lock?.generated ? new Date(String(lock.generated)) : undefined;
    if (generated && !Number.isNaN(generated.getTime()) && (!newest || generated > newest)) newest = generated;
  }
  return newest?.toISOString().slice(0, 10);
}
