/**
 * What a cluster chart renders, without a Helm engine: the kinds, names, finalizers and references are
 * read from the chart's own templates (data/k0rdent/charts/<chart>/templates, or the chart folder the
 * HelmChart was served from), and each object's spec is filled from the release's values the way the
 * templates use them (replicas from controlPlaneNumber/workersNumber, versions from k0s.version, the
 * machine size fields the providers' CRDs require). Templates guarded by `if gt (int .Values.workersNumber) 0`
 * render only with workers. Every object carries what Helm and helm-controller put on it: the
 * `app.kubernetes.io/managed-by: Helm` label, the `meta.helm.sh/release-*` annotations and helm-controller's
 * `helm.toolkit.fluxcd.io/name|namespace` labels (which kcm looks the Cluster up by:
 * kcm internal/controller/clusterdeployment_controller.go:1310 `client.MatchingLabels{FluxHelmChartNameKey: cd.Name}`).
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeObject } from '../apiserver/types.js';
import { isJsonObject, type JsonObject } from '../kcm/resources.js';

export const HELM_NAME_LABEL = 'helm.toolkit.fluxcd.io/name';
export const HELM_NAMESPACE_LABEL = 'helm.toolkit.fluxcd.io/namespace';
export const CLUSTER_NAME_LABEL = 'cluster.x-k8s.io/cluster-name';

interface TemplateInfo {
  file: string;
  apiVersion: string;
  kind: string;
  /** The include the metadata.name uses ("cluster.name", "k0scontrolplane.name", …). */
  nameInclude: string;
  workersOnly: boolean;
  finalizers: string[];
  /** kind → include of every `kind: X` / `name: {{ include "y" . }}` pair in the body (refs to other objects). */
  refs: { kind: string; include: string }[];
}

export interface ChartLayout {
  /** include name → suffix after the cluster name ("k0scontrolplane.name" → "-cp"). */
  suffixes: Map<string, string>;
  templates: TemplateInfo[];
}

const layouts = new Map<string, ChartLayout>();

/** Reads (once) the chart folder's templates into the kinds and names it renders. */
export function chartLayout(dir: string): ChartLayout {
  const cached = layouts.get(dir);
  if (cached) return cached;
  const suffixes = new Map<string, string>([['cluster.name', '']]);
  const helpers = join(dir, 'templates', '_helpers.tpl');
  if (existsSync(helpers)) {
    const text = readFileSync(helpers, 'utf8');
    for (const m of text.matchAll(/define "([^"]+)" -}}\s*{{- include "cluster\.name" \. }}([A-Za-z0-9-]*)\s*{{- end/g)) {
      suffixes.set(m[1]!, m[2]!);
    }
  }
  const templates: TemplateInfo[] = [];
  const folder = join(dir, 'templates');
  for (const file of existsSync(folder) ? readdirSync(folder).sort() : []) {
    if (!file.endsWith('.yaml')) continue;
    const text = readFileSync(join(folder, file), 'utf8');
    const kind = /^kind: *(\S+)/m.exec(text)?.[1];
    const apiVersion = /^apiVersion: *(\S+)/m.exec(text)?.[1];
    const nameInclude = /^ {2}name: *{{ *include "([^"]+)"/m.exec(text)?.[1];
    if (!kind || !apiVersion || !nameInclude) continue;
    const finalizers = [...(/^ {2}finalizers:\n((?: {4}- .*\n?)+)/m.exec(text)?.[1] ?? '').matchAll(/- (\S+)/g)].map((m) => m[1]!);
    const refs = [...text.matchAll(/^ +kind: *(\S+)\s*\n(?: +.*\n){0,2}? +name: *{{ *include "([^"]+)"/gm)].map((m) => ({
      kind: m[1]!,
      include: m[2]!,
    }));
    templates.push({
      file,
      apiVersion,
      kind,
      nameInclude,
      workersOnly: /^{{-? *if gt \(int \.Values\.workersNumber\) 0 *}}/m.test(text.split('\n').slice(0, 3).join('\n')),
      finalizers,
      refs,
    });
  }
  const layout = { suffixes, templates };
  layouts.set(dir, layout);
  return layout;
}

export interface ReleaseInput {
  chartDir: string;
  releaseName: string;
  namespace: string;
  /** The HelmRelease's name and namespace (helm-controller's labels). */
  helmRelease: { name: string; namespace: string };
  /** The values as rendered: the chart's values.yaml coalesced with the release's. */
  values: JsonObject;
}

const str = (v: unknown, fallback = ''): string => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : fallback);
const int = (v: unknown, fallback: number): number =>
  typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : Number.parseInt(String(v), 10) || fallback;
const obj = (v: unknown): JsonObject => (isJsonObject(v) ? v : {});

/** helm's `trunc 63 | trimSuffix "-"` of the release name (the charts' "cluster.name"). */
export function clusterNameOf(releaseName: string): string {
  return releaseName.slice(0, 63).replace(/-$/, '');
}

/** The Kubernetes version a MachineDeployment's machines run: k0s.version without the "+k0s.N" suffix. */
export function kubeVersionOf(values: JsonObject): string {
  return str(obj(values['k0s'])['version'], 'v1.32.5+k0s.1').replace(/\+k0s.+$/, '');
}

/** The machine size fields each provider's machine CRD requires, from the chart values of that role. */
function machineSpec(kind: string, role: JsonObject, values: JsonObject): JsonObject {
  switch (kind) {
    case 'AWSMachineTemplate':
      return {
        instanceType: str(role['instanceType'], 't3.medium'),
        iamInstanceProfile: str(role['iamInstanceProfile'], 'nodes.cluster-api-provider-aws.sigs.k8s.io'),
        rootVolume: { size: int(role['rootVolumeSize'], 32) },
        publicIP: values['publicIP'] === true,
      };
    case 'AzureMachineTemplate':
      return {
        vmSize: str(role['vmSize'] ?? values['vmSize'], 'Standard_A4_v2'),
        osDisk: { osType: 'Linux', diskSizeGB: int(role['rootVolumeSize'] ?? values['rootVolumeSize'], 30) },
      };
    case 'GCPMachineTemplate':
      return { instanceType: str(role['instanceType'], 'n1-standard-2') };
    case 'OpenStackMachineTemplate':
      return { flavor: str(role['flavor'], 'm1.medium'), image: { filter: { name: str(obj(role['image'])['name'], 'ubuntu-22.04') } } };
    case 'VSphereMachineTemplate':
      return {
        template: str(role['vmTemplate'], 'ubuntu-2204-kube'),
        network: { devices: [{ networkName: str(role['network'], 'VM Network'), dhcp4: true }] },
      };
    case 'DevMachineTemplate':
      return { backend: { docker: {} } };
    default:
      return {};
  }
}

function infraClusterSpec(kind: string, values: JsonObject): JsonObject {
  const identity = obj(values['clusterIdentity']);
  switch (kind) {
    case 'AWSCluster':
      return {
        region: str(values['region']),
        identityRef: { kind: str(identity['kind'], 'AWSClusterStaticIdentity'), name: str(identity['name']) },
      };
    case 'AzureCluster':
      return {
        location: str(values['location'], 'westus2'),
        subscriptionID: str(values['subscriptionID']),
        identityRef: {
          apiVersion: str(identity['apiVersion']),
          kind: str(identity['kind'], 'AzureClusterIdentity'),
          name: str(identity['name']),
          namespace: str(identity['namespace']),
        },
      };
    case 'GCPCluster':
      return {
        project: str(values['project'], 'project'),
        region: str(values['region'], 'us-central1'),
        network: { name: str(obj(values['network'])['name'], 'default') },
      };
    case 'OpenStackCluster':
      return {
        identityRef: {
          cloudName: str(obj(values['identityRef'])['cloudName'], 'openstack'),
          name: str(identity['name'], str(obj(values['identityRef'])['name'], 'openstack-cloud-config')),
          type: 'Secret',
        },
      };
    case 'VSphereCluster':
      return {
        server: str(obj(values['vsphere'])['server'], 'vcenter.example.com'),
        thumbprint: str(obj(values['vsphere'])['thumbprint']),
      };
    case 'DevCluster':
      return { backend: { docker: {} } };
    default:
      return {};
  }
}

/** The objects the chart renders for this release, in install order (Helm's kind order does not matter here). */
export function renderRelease(input: ReleaseInput): KubeObject[] {
  const layout = chartLayout(input.chartDir);
  const cluster = clusterNameOf(input.releaseName);
  const nameOf = (include: string): string => `${cluster}${layout.suffixes.get(include) ?? ''}`;
  const values = input.values;
  const workers = int(values['workersNumber'], 0);
  const controlPlanes = int(values['controlPlaneNumber'], 1);
  const k0sVersion = str(obj(values['k0s'])['version'], 'v1.32.5+k0s.1');
  const labels: Record<string, string> = {
    'app.kubernetes.io/managed-by': 'Helm',
    [HELM_NAME_LABEL]: input.helmRelease.name,
    [HELM_NAMESPACE_LABEL]: input.helmRelease.namespace,
  };
  const annotations = { 'meta.helm.sh/release-name': input.releaseName, 'meta.helm.sh/release-namespace': input.namespace };
  const rendered = layout.templates.filter((t) => !(t.workersOnly && workers <= 0));
  const kindsByRole = (predicate: (t: TemplateInfo) => boolean): TemplateInfo | undefined => rendered.find(predicate);
  const refOf = (t: TemplateInfo | undefined, kind: (k: string) => boolean): { kind: string; name: string } | undefined => {
    const r = t?.refs.find((x) => kind(x.kind));
    return r ? { kind: r.kind, name: nameOf(r.include) } : undefined;
  };
  const out: KubeObject[] = [];
  for (const t of rendered) {
    const [group] = t.apiVersion.includes('/') ? t.apiVersion.split('/') : [''];
    const name = nameOf(t.nameInclude);
    const meta = {
      name,
      namespace: input.namespace,
      labels: { ...labels, ...(t.kind === 'Cluster' ? stringMap(values['clusterLabels']) : {}) },
      annotations: { ...annotations, ...(t.kind === 'Cluster' ? stringMap(values['clusterAnnotations']) : {}) },
      ...(t.finalizers.length > 0 ? { finalizers: t.finalizers } : {}),
    };
    let spec: JsonObject;
    if (t.kind === 'Cluster') {
      const cp = kindsByRole((x) => x.apiVersion.startsWith('controlplane.'));
      const infra = kindsByRole((x) => x.apiVersion.startsWith('infrastructure.') && !x.kind.endsWith('Template'));
      spec = {
        ...(isJsonObject(values['clusterNetwork']) ? { clusterNetwork: values['clusterNetwork'] } : {}),
        ...(cp ? { controlPlaneRef: { apiGroup: 'controlplane.cluster.x-k8s.io', kind: cp.kind, name: nameOf(cp.nameInclude) } } : {}),
        ...(infra
          ? { infrastructureRef: { apiGroup: 'infrastructure.cluster.x-k8s.io', kind: infra.kind, name: nameOf(infra.nameInclude) } }
          : {}),
      };
    } else if (t.kind === 'MachineDeployment') {
      const bootstrap = refOf(t, (k) => k.endsWith('ConfigTemplate'));
      const infra = refOf(t, (k) => k.endsWith('MachineTemplate'));
      spec = {
        clusterName: cluster,
        replicas: workers,
        selector: { matchLabels: { [CLUSTER_NAME_LABEL]: cluster } },
        template: {
          metadata: { labels: { [CLUSTER_NAME_LABEL]: cluster } },
          spec: {
            version: kubeVersionOf(values),
            clusterName: cluster,
            bootstrap: {
              configRef: {
                apiGroup: 'bootstrap.cluster.x-k8s.io',
                kind: bootstrap?.kind ?? 'K0sWorkerConfigTemplate',
                name: bootstrap?.name ?? '',
              },
            },
            infrastructureRef: { apiGroup: 'infrastructure.cluster.x-k8s.io', kind: infra?.kind ?? '', name: infra?.name ?? '' },
          },
        },
      };
    } else if (t.kind === 'K0sControlPlane' || t.kind === 'K0smotronControlPlane') {
      const infra = refOf(t, (k) => k.endsWith('MachineTemplate'));
      spec = {
        replicas: controlPlanes,
        version: t.kind === 'K0smotronControlPlane' ? k0sVersion.replace('+', '-') : k0sVersion,
        ...(infra
          ? {
              machineTemplate: {
                infrastructureRef: {
                  apiVersion: 'infrastructure.cluster.x-k8s.io/' + infraVersion(rendered, infra.kind),
                  kind: infra.kind,
                  name: infra.name,
                  namespace: input.namespace,
                },
              },
            }
          : {}),
      };
    } else if (t.kind === 'K0sWorkerConfigTemplate') {
      spec = { template: { spec: { version: k0sVersion } } };
    } else if (t.kind.endsWith('MachineTemplate')) {
      const role = t.file.includes('controlplane')
        ? obj(values['controlPlane'])
        : t.file.includes('worker')
          ? obj(values['worker'])
          : values;
      spec = { template: { spec: machineSpec(t.kind, role, values) } };
    } else {
      spec = infraClusterSpec(t.kind, values);
    }
    out.push({ apiVersion: t.apiVersion, kind: t.kind, metadata: meta, spec, ...(group === '' ? {} : {}) });
  }
  return out;
}

function infraVersion(rendered: TemplateInfo[], kind: string): string {
  return rendered.find((t) => t.kind === kind)?.apiVersion.split('/')[1] ?? 'v1beta2';
}

function stringMap(value: unknown): Record<string, string> {
  if (!isJsonObject(value)) return {};
  return Object.fromEntries(Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

/** Helm's coalesce of the release's values over the chart's values.yaml (maps merged, the release wins). */
export function coalesceValues(defaults: JsonObject, overrides: JsonObject): JsonObject {
  const out: JsonObject = { ...defaults };
  for (const [k, v] of Object.entries(overrides)) {
    const base = out[k];
    out[k] = isJsonObject(base) && isJsonObject(v) ? coalesceValues(base, v) : v;
  }
  return out;
}
