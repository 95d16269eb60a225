/**
 * The cluster charts kcm ships, read from the copies in data/k0rdent/charts/<chart>/ (kcm
 * `templates/cluster/<chart>/`): Chart.yaml (version, description, provider annotations), values.yaml
 * (what kcm stores as a ClusterTemplate's `status.config`), values.schema.json (the schema ConfigMap) and
 * the templates' `required` checks (./chart-required.ts).
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { loadChartRequirements, type ChartRequirements } from './chart-required.js';
import { k0rdentDataDir } from './data-dir.js';
import { isJsonObject, type JsonObject, type JsonValue } from './resources.js';

export interface Chart {
  name: string;
  /** Chart.yaml `version`: the version kcm ships. */
  latestVersion: string;
  /** values.schema.json as shipped, stored verbatim in the schema ConfigMap; undefined when the chart has none. */
  schemaText: string | undefined;
  schema: JsonObject | undefined;
  /** Chart.yaml `description` as Helm's Metadata.Validate leaves it (whitespace runs of one char each become a space). */
  description: string;
  /** The `cluster.x-k8s.io/provider` annotation, split, sorted and compacted (kcm api/v1beta1/templates_common.go:107). */
  providers: string[];
  /** The `cluster.x-k8s.io/<provider>` contract annotations (kcm api/v1beta1/templates_common.go:132 getCAPIContracts). */
  providerContracts: Record<string, string>;
  /** Chart.yaml annotations, verbatim. */
  annotations: Record<string, string>;
  /** values.yaml, parsed: the chart's default values, reported as ClusterTemplate `status.config`. */
  values: JsonObject;
  /** The templates' `required` checks. */
  requirements: ChartRequirements;
}

export interface ChartCatalog {
  readonly charts: readonly Chart[];
  get(name: string): Chart | undefined;
}

/**
 * ClusterIdentity kinds each infrastructure provider accepts in a Credential (kcm
 * `templates/provider/cluster-api-provider-*\/templates/interface.yaml`).
 */
export const IDENTITY_KINDS: Record<string, readonly string[]> = {
  'infrastructure-aws': ['AWSClusterStaticIdentity', 'AWSClusterRoleIdentity', 'AWSClusterControllerIdentity'],
  'infrastructure-azure': ['AzureClusterIdentity', 'Secret'],
  'infrastructure-openstack': ['OpenStackClusterIdentity', 'Secret'],
  'infrastructure-vsphere': ['VSphereClusterIdentity', 'Secret'],
  'infrastructure-gcp': ['Secret'],
  'infrastructure-docker': ['Secret'],
  'infrastructure-kubevirt': ['Secret'],
  'infrastructure-k0sproject-k0smotron': ['Secret'],
  'infrastructure-internal': ['Secret'],
};

/** kcm's template naming: `<chart>-<maj>-<min>-<patch>`. */
export function templateNameFor(chart: string, version: string): string {
  return `${chart}-${version.replaceAll('.', '-')}`;
}

/** Splits a kcm template name back into chart and version, if it follows the convention. */
export function parseTemplateName(name: string): { chart: string; version: string } | undefined {
  const match = /^(.+)-(\d+)-(\d+)-(\d+)$/.exec(name);
  if (!match) return undefined;
  return { chart: match[1]!, version: `${match[2]}.${match[3]}.${match[4]}` };
}

/** Chart name and version from a ClusterTemplate's `spec.helm.chartSpec` (or its name as a fallback). */
export function chartOfTemplate(template: { metadata: { name: string }; spec?: unknown }): { chart: string; version: string } | undefined {
  const spec = isJsonObject(template.spec) ? template.spec : {};
  const helm = isJsonObject(spec['helm']) ? spec['helm'] : {};
  const chartSpec = isJsonObject(helm['chartSpec']) ? helm['chartSpec'] : undefined;
  const fromName = parseTemplateName(template.metadata.name);
  if (chartSpec && typeof chartSpec['chart'] === 'string') {
    const version = typeof chartSpec['version'] === 'string' ? chartSpec['version'] : fromName?.version;
    return version ? { chart: chartSpec['chart'], version } : undefined;
  }
  return fromName;
}

/** helm pkg/chart/metadata.go sanitizeString: every whitespace rune becomes a space, non-printables are dropped. */
export function sanitizeString(text: string): string {
  return [...text]
    .map((c) => (/\s/u.test(c) ? ' ' : c))
    .filter((c) => !/\p{C}/u.test(c))
    .join('');
}

/** Go's json.Marshal of a map: keys sorted at every level (what the API server then stores). */
function sortedKeys(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (!isJsonObject(value)) return value;
  const out: JsonObject = {};
  for (const key of Object.keys(value).sort()) out[key] = sortedKeys(value[key]!);
  return out;
}

/** kcm api/v1beta1/templates_common.go:107 getProvidersList: trimmed, sorted, compacted. */
export function providersList(annotation: string | undefined): string[] {
  const list = (annotation ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  return [...new Set(list)].sort();
}

/** A single CAPI contract version as kcm accepts it (kcm api/v1beta1/compatibility_contract.go:36 isCAPIContractSingleVersion). */
export const SINGLE_CONTRACT = /^v\d+((alpha|beta)\d+)?$/;

/** kcm api/v1beta1/templates_common.go:132 getCAPIContracts for a ClusterTemplate's chart annotations. */
function contractsFromAnnotations(annotations: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(annotations)) {
    if (!key.startsWith('cluster.x-k8s.io/')) continue;
    const name = key.slice('cluster.x-k8s.io/'.length);
    if (!/^(bootstrap-|control-plane-|infrastructure-)/.test(name)) continue;
    if (SINGLE_CONTRACT.test(value)) out[name] = value;
  }
  return sortedKeys(out) as Record<string, string>;
}

function readChart(dir: string, name: string): Chart | undefined {
  const chartYaml = join(dir, 'Chart.yaml');
  if (!existsSync(chartYaml)) return undefined;
  const meta = parseYaml(readFileSync(chartYaml, 'utf8')) as Record<string, unknown>;
  const version = typeof meta['version'] === 'string' ? meta['version'] : undefined;
  if (!version) return undefined;
  const annotations: Record<string, string> = {};
  if (isJsonObject(meta['annotations'])) {
    for (const [k, v] of Object.entries(meta['annotations'])) if (typeof v === 'string') annotations[k] = v;
  }
  const schemaFile = join(dir, 'values.schema.json');
  const schemaText = existsSync(schemaFile) ? readFileSync(schemaFile, 'utf8') : undefined;
  const valuesFile = join(dir, 'values.yaml');
  const parsed: unknown = existsSync(valuesFile) ? parseYaml(readFileSync(valuesFile, 'utf8')) : {};
  const chartName = typeof meta['name'] === 'string' ? meta['name'] : name;
  return {
    name: chartName,
    latestVersion: version,
    schemaText,
    schema: schemaText === undefined ? undefined : (JSON.parse(schemaText) as JsonObject),
    description: sanitizeString(typeof meta['description'] === 'string' ? meta['description'] : ''),
    providers: providersList(annotations['cluster.x-k8s.io/provider']),
    providerContracts: contractsFromAnnotations(annotations),
    annotations,
    values: isJsonObject(parsed) ? (sortedKeys(parsed) as JsonObject) : {},
    requirements: loadChartRequirements(chartName, dir),
  };
}

let catalog: ChartCatalog | undefined;

/** Every chart in data/k0rdent/charts (loaded once per process). */
export function loadChartCatalog(): ChartCatalog {
  if (catalog) return catalog;
  const dir = join(k0rdentDataDir(), 'charts');
  const charts: Chart[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const chart = readChart(join(dir, entry), entry);
    if (chart) charts.push(chart);
  }
  const byName = new Map(charts.map((c) => [c.name, c]));
  catalog = { charts, get: (name) => byName.get(name) };
  return catalog;
}
