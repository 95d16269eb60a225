/**
 * The cluster charts kcm ships, as the simulated kcm knows them: the values JSON Schemas and versions
 * copied from kcm into data/k0rdent/schemas, plus the Chart.yaml facts (description, providers,
 * contracts) and values.yaml defaults the schemas do not carry.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { k0rdentDataDir } from './data-dir.js';
import { isJsonObject, type JsonObject, type JsonValue } from './resources.js';

export interface Chart {
  name: string;
  /** The version kcm ships (schemas/VERSIONS.txt). */
  latestVersion: string;
  /** values.schema.json as shipped, stored verbatim in the schema ConfigMap. */
  schemaText: string;
  schema: JsonObject;
  description: string;
  providers: string[];
  providerContracts: Record<string, string>;
  /** Chart default values, as reported in ClusterTemplate `status.config`. */
  defaults: JsonObject;
}

export interface ChartCatalog {
  readonly charts: readonly Chart[];
  get(name: string): Chart | undefined;
}

/** The k0s release the charts' values.yaml pin (required `k0s.version` has no schema default). */
const K0S_VERSION = 'v1.32.6+k0s.0';

const K0SMOTRON = ['control-plane-k0sproject-k0smotron', 'bootstrap-k0sproject-k0smotron'];

/** Chart.yaml annotations and values.yaml defaults (kcm `templates/cluster/<chart>/`). */
const CHART_FACTS: Record<string, { description: string; providers: string[]; values: Record<string, JsonValue> }> = {
  'azure-standalone-cp': {
    description: 'A KCM template to deploy a k0s cluster on Azure with bootstrapped control plane nodes.',
    providers: ['infrastructure-azure', ...K0SMOTRON],
    values: { controlPlaneNumber: 3, workersNumber: 2, 'controlPlane.rootVolumeSize': 30, 'worker.rootVolumeSize': 30 },
  },
  'aws-standalone-cp': {
    description: 'A KCM template to deploy a k0s cluster on AWS with bootstrapped control plane nodes.',
    providers: ['infrastructure-aws', ...K0SMOTRON],
    values: {
      controlPlaneNumber: 3,
      workersNumber: 2,
      'controlPlane.iamInstanceProfile': 'control-plane.cluster-api-provider-aws.sigs.k8s.io',
      'worker.iamInstanceProfile': 'nodes.cluster-api-provider-aws.sigs.k8s.io',
      'clusterIdentity.name': 'aws-cluster-identity',
      'clusterIdentity.kind': 'AWSClusterStaticIdentity',
      'controlPlane.imageLookup.format': 'ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*',
      'controlPlane.imageLookup.org': '099720109477',
      'worker.imageLookup.format': 'ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*',
      'worker.imageLookup.org': '099720109477',
      'k0s.version': K0S_VERSION,
    },
  },
  'gcp-standalone-cp': {
    description: 'A KCM template to deploy a k0s cluster on GCP with bootstrapped control plane nodes.',
    providers: ['infrastructure-gcp', ...K0SMOTRON],
    values: { controlPlaneNumber: 3, workersNumber: 2, 'network.name': 'default' },
  },
  'azure-hosted-cp': {
    description: 'A KCM template to deploy a k0s cluster on Azure with control plane components within the management cluster.',
    providers: ['infrastructure-azure', ...K0SMOTRON],
    values: { controlPlaneNumber: 3, workersNumber: 2 },
  },
  'openstack-standalone-cp': {
    description: 'A KCM template to deploy a k0s cluster on OpenStack with bootstrapped control plane nodes.',
    providers: ['infrastructure-openstack', ...K0SMOTRON],
    values: { controlPlaneNumber: 3, workersNumber: 2, 'identityRef.cloudName': 'openstack', 'k0s.version': K0S_VERSION },
  },
  'vsphere-standalone-cp': {
    description: 'A KCM template to deploy a k0s cluster on vSphere with bootstrapped control plane nodes.',
    providers: ['infrastructure-vsphere', ...K0SMOTRON],
    values: { controlPlaneNumber: 3, workersNumber: 2 },
  },
  'adopted-cluster': {
    description: 'A KCM template to adopt an already existing kubernetes cluster.',
    providers: ['infrastructure-internal'],
    values: { consecutiveFailureThreshold: 3 },
  },
  'docker-hosted-cp': {
    description: 'A KCM template to deploy a k0s cluster in Docker with control plane components within the management cluster.',
    providers: ['infrastructure-docker', ...K0SMOTRON],
    values: { workersNumber: 1 },
  },
};

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

function zeroValue(schema: JsonObject, path: string, overrides: Record<string, JsonValue>): JsonValue | undefined {
  if (path in overrides) return overrides[path];
  if ('default' in schema) return schema['default'] as JsonValue;
  switch (schema['type']) {
    case 'string':
      return '';
    case 'integer':
    case 'number':
      return typeof schema['minimum'] === 'number' ? schema['minimum'] : 0;
    case 'boolean':
      return false;
    case 'array':
      return [];
    case 'object':
      return {};
    default:
      return undefined;
  }
}

/**
 * Builds the chart's default values from its schema: every object level, required leaves with their
 * zero value (Helm charts default them to "" / 0), `default`s, and the values.yaml overrides.
 */
function defaultsFromSchema(schema: JsonObject, overrides: Record<string, JsonValue>, prefix = ''): JsonObject {
  const out: JsonObject = {};
  const properties = isJsonObject(schema['properties']) ? schema['properties'] : {};
  const required = Array.isArray(schema['required']) ? schema['required'].filter((r): r is string => typeof r === 'string') : [];
  for (const [key, child] of Object.entries(properties)) {
    if (!isJsonObject(child)) continue;
    const path = prefix + key;
    if (child['type'] === 'object' && isJsonObject(child['properties'])) {
      const nested = defaultsFromSchema(child, overrides, path + '.');
      if (Object.keys(nested).length > 0 || required.includes(key)) out[key] = nested;
      continue;
    }
    if (required.includes(key) || 'default' in child || path in overrides) {
      const value = zeroValue(child, path, overrides);
      if (value !== undefined) out[key] = value;
    }
  }
  return out;
}

function loadVersions(dir: string): Map<string, string> {
  const versions = new Map<string, string>();
  for (const line of readFileSync(join(dir, 'VERSIONS.txt'), 'utf8').split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const [name, version] = trimmed.split(/\s+/);
    if (name && version && /^\d+\.\d+\.\d+$/.test(version)) versions.set(name, version);
  }
  return versions;
}

let catalog: ChartCatalog | undefined;

/** Every chart with a schema in data/k0rdent/schemas (loaded once per process). */
export function loadChartCatalog(): ChartCatalog {
  if (catalog) return catalog;
  const dir = join(k0rdentDataDir(), 'schemas');
  const versions = loadVersions(dir);
  const charts: Chart[] = [];
  for (const file of readdirSync(dir).sort()) {
    const match = /^(.+)\.values\.schema\.json$/.exec(file);
    if (!match) continue;
    const name = match[1]!;
    const version = versions.get(name);
    if (!version) continue;
    const schemaText = readFileSync(join(dir, file), 'utf8');
    const schema = JSON.parse(schemaText) as JsonObject;
    const facts = CHART_FACTS[name];
    const providers = facts?.providers ?? [`infrastructure-${name.split('-')[0]}`];
    charts.push({
      name,
      latestVersion: version,
      schemaText,
      schema,
      description: facts?.description ?? (typeof schema['description'] === 'string' ? schema['description'] : `A KCM cluster ${name} template`),
      providers,
      providerContracts: Object.fromEntries(providers.map((p) => [p, 'v1beta1'])),
      defaults: defaultsFromSchema(schema, facts?.values ?? {}),
    });
  }
  const byName = new Map(charts.map((c) => [c.name, c]));
  catalog = { charts, get: (name) => byName.get(name) };
  return catalog;
}
