/**
 * The providers a kcm management cluster runs: the ProviderInterface objects the provider charts install
 * (data/k0rdent/providers, copied from kcm `templates/provider/<provider>/templates/interface.yaml`), the
 * ProviderTemplates of the release (kcm `templates/provider/kcm-templates/files/release.yaml` and each
 * provider's `Chart.yaml` version and `cluster.x-k8s.io/*` annotations), and the Management `kcm` whose
 * status lists every installed component with the CAPI providers it exposes (kcm `api/v1beta1/
 * management_types.go`, `region_types.go` ComponentsCommonStatus; `internal/controller/components/
 * reconciler.go:133` always adds `infrastructure-internal`, and `:439` copies a template's providers into
 * its component's `exposedProviders`).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { KubeObject, Store } from '../apiserver/types.js';
import { k0rdentDataDir } from '../kcm/data-dir.js';
import { COMPONENT_LABEL, K0RDENT_API_VERSION, K0RDENT_GROUP, K0RDENT_VERSION, MANAGEMENTS, type JsonObject } from '../kcm/resources.js';
import { timestamp } from './objects.js';

export const PROVIDER_INTERFACES = { group: K0RDENT_GROUP, version: K0RDENT_VERSION, plural: 'providerinterfaces' };
export const PROVIDER_TEMPLATES = { group: K0RDENT_GROUP, version: K0RDENT_VERSION, plural: 'providertemplates' };

export const RELEASE = 'kcm-1-12-0';

interface Component {
  /** Component (and chart) name, as in the Release's `providers[].name`. */
  name: string;
  version: string;
  /** `cluster.x-k8s.io/provider` of the chart: the CAPI providers it exposes. */
  providers: string[];
  /** `cluster.x-k8s.io/v1beta1` / `v1beta2` annotations: the provider's contract versions. */
  contracts: Record<string, string>;
}

const K0SMOTRON = ['infrastructure-k0sproject-k0smotron', 'bootstrap-k0sproject-k0smotron', 'control-plane-k0sproject-k0smotron'];

/** The provider components of the release, with their charts' versions and annotations. */
export const PROVIDER_COMPONENTS: readonly Component[] = [
  {
    name: 'cluster-api-provider-k0sproject-k0smotron',
    version: '1.0.33',
    providers: K0SMOTRON,
    contracts: { v1beta1: 'v1beta1', v1beta2: 'v1beta2' },
  },
  { name: 'cluster-api-provider-azure', version: '1.0.31', providers: ['infrastructure-azure'], contracts: { v1beta1: 'v1beta1' } },
  {
    name: 'cluster-api-provider-vsphere',
    version: '1.0.21',
    providers: ['infrastructure-vsphere'],
    contracts: { v1beta1: 'v1beta1', v1beta2: 'v1beta2' },
  },
  { name: 'cluster-api-provider-aws', version: '1.0.26', providers: ['infrastructure-aws'], contracts: { v1beta1: 'v1beta1_v1beta2' } },
  { name: 'cluster-api-provider-openstack', version: '1.0.29', providers: ['infrastructure-openstack'], contracts: { v1beta1: 'v1beta1' } },
  {
    name: 'cluster-api-provider-docker',
    version: '1.0.24',
    providers: ['infrastructure-docker'],
    contracts: { v1beta1: 'v1beta1', v1beta2: 'v1beta2' },
  },
  { name: 'cluster-api-provider-gcp', version: '1.0.25', providers: ['infrastructure-gcp'], contracts: { v1beta1: 'v1beta1' } },
  { name: 'cluster-api-provider-ipam', version: '1.0.13', providers: ['ipam-in-cluster'], contracts: {} },
  { name: 'cluster-api-provider-infoblox', version: '1.0.12', providers: ['ipam-infoblox'], contracts: {} },
  { name: 'cluster-api-provider-kubevirt', version: '1.0.10', providers: ['infrastructure-kubevirt'], contracts: { v1beta1: 'v1alpha1' } },
  { name: 'projectsveltos', version: '1.12.1', providers: [], contracts: {} },
];

export const CORE_COMPONENTS = [
  { key: 'kcm', template: 'kcm-1-12-0', version: '1.12.0' },
  { key: 'capi', template: 'cluster-api-1-1-15', version: '1.1.15' },
] as const;

export function templateName(name: string, version: string): string {
  return `${name}-${version.replaceAll('.', '-')}`;
}

/** The ProviderInterface objects shipped in data/k0rdent/providers, unchanged. */
export function providerInterfaceObjects(): KubeObject[] {
  const dir = join(k0rdentDataDir(), 'providers');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.interface.yaml'))
    .sort()
    .map((f) => parse(readFileSync(join(dir, f), 'utf8')) as KubeObject);
}

function providerTemplate(name: string, version: string, providers: string[], contracts: Record<string, string>): KubeObject {
  return {
    apiVersion: K0RDENT_API_VERSION,
    kind: 'ProviderTemplate',
    metadata: {
      name: templateName(name, version),
      labels: { [COMPONENT_LABEL]: 'kcm' },
      annotations: { 'helm.sh/resource-policy': 'keep' },
    },
    spec: {
      helm: { chartSpec: { chart: name, version, interval: '10m0s', sourceRef: { kind: 'HelmRepository', name: 'kcm-templates' } } },
    },
    status: {
      valid: true,
      chartVersion: version,
      chartRef: { kind: 'HelmChart', name: templateName(name, version), namespace: 'kcm-system' },
      ...(providers.length > 0 ? { providers } : {}),
      ...(Object.keys(contracts).length > 0 ? { capiContracts: contracts } : {}),
      observedGeneration: 1,
    },
  };
}

export function seedProviders(store: Store): void {
  for (const pi of providerInterfaceObjects()) store.create(PROVIDER_INTERFACES, pi);
  for (const core of CORE_COMPONENTS)
    store.create(PROVIDER_TEMPLATES, providerTemplate(core.template.replace(/-\d+-\d+-\d+$/, ''), core.version, [], {}));
  for (const c of PROVIDER_COMPONENTS) store.create(PROVIDER_TEMPLATES, providerTemplate(c.name, c.version, c.providers, c.contracts));

  const components: JsonObject = {};
  for (const core of CORE_COMPONENTS) components[core.key] = { success: true, template: core.template };
  for (const c of PROVIDER_COMPONENTS) {
    components[c.name] = {
      success: true,
      template: templateName(c.name, c.version),
      ...(c.providers.length > 0 ? { exposedProviders: c.providers } : {}),
    };
  }
  const available = [...new Set(['infrastructure-internal', ...PROVIDER_COMPONENTS.flatMap((c) => c.providers)])].sort();
  const capiContracts: JsonObject = {};
  for (const c of PROVIDER_COMPONENTS) for (const p of c.providers) if (Object.keys(c.contracts).length > 0) capiContracts[p] = c.contracts;
  store.create(MANAGEMENTS, {
    apiVersion: K0RDENT_API_VERSION,
    kind: 'Management',
    metadata: { name: 'kcm', labels: { [COMPONENT_LABEL]: 'kcm' }, finalizers: ['k0rdent.mirantis.com/management'] },
    spec: { release: RELEASE, core: { capi: {}, kcm: {} }, providers: PROVIDER_COMPONENTS.map((c) => ({ name: c.name })) },
    status: {
      release: RELEASE,
      availableProviders: available,
      capiContracts,
      components,
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          // kcm management_controller.go:746-752 (setReadyCondition).
          reason: 'AllComponentsHealthy',
          message: 'All components are successfully installed',
          lastTransitionTime: timestamp(),
          observedGeneration: 1,
        },
      ],
      observedGeneration: 1,
    },
  });
}
