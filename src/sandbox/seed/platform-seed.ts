/**
 * The platform objects around the Management: the Release it names, as kcm's kcm-templates chart installs
 * it (kcm templates/provider/kcm-templates/files/release.yaml: spec.version, spec.kcm/capi templates and one
 * template per provider; status.ready once every template is valid, kcm release_controller.go), and two
 * Regions (kcm api/v1beta1/region_types.go) — one ready, one paused with the region-pause annotation (:29) —
 * each onboarded from a kubeconfig Secret in the system namespace, with the status kcm's region controller
 * writes (components, available providers, Ready).
 */
import type { KubeObject, Store } from '../apiserver/types.js';
import { K0RDENT_API_VERSION, K0RDENT_GROUP, K0RDENT_VERSION, REGIONS, SECRETS, SYSTEM_NAMESPACE } from '../kcm/resources.js';
import { ownProviderTemplates } from '../kcm/provider-templates.js';
import { timestamp } from './objects.js';
import { CORE_COMPONENTS, PROVIDER_COMPONENTS, RELEASE, templateName } from './providers.js';

export const RELEASES = { group: K0RDENT_GROUP, version: K0RDENT_VERSION, plural: 'releases' };
export const REGION_PAUSE_ANNOTATION = 'k0rdent.mirantis.com/region-pause';
/** The seeded Regions: ready, and paused (kcm skips the ClusterDeployments of a paused region). */
export const SEEDED_REGIONS = { ready: 'region-west', paused: 'region-east' } as const;

function ready(message: string, reason = 'Succeeded'): Record<string, unknown> {
  return { type: 'Ready', status: 'True', reason, message, lastTransitionTime: timestamp(), observedGeneration: 1 };
}

function releaseObject(): KubeObject {
  const kcm = CORE_COMPONENTS.find((c) => c.key === 'kcm')!;
  const capi = CORE_COMPONENTS.find((c) => c.key === 'capi')!;
  return {
    apiVersion: K0RDENT_API_VERSION,
    kind: 'Release',
    metadata: { name: RELEASE, annotations: { 'helm.sh/resource-policy': 'keep' } },
    spec: {
      version: kcm.version,
      kcm: { template: kcm.template },
      capi: { template: capi.template },
      providers: PROVIDER_COMPONENTS.map((c) => ({ name: c.name, template: templateName(c.name, c.version) })),
    },
    status: { ready: true, observedGeneration: 1, conditions: [ready('All templates are valid', 'AllTemplatesValid')] },
  };
}

function regionObject(name: string, paused: boolean): KubeObject {
  // The aws and azure infrastructure providers, and k0smotron's bootstrap and control-plane providers that their
  // standalone templates need too (kcm checks every provider of the template against the Region's availableProviders).
  const providers = PROVIDER_COMPONENTS.filter((c) =>
    ['cluster-api-provider-aws', 'cluster-api-provider-azure', 'cluster-api-provider-k0sproject-k0smotron'].includes(c.name),
  );
  const components: Record<string, unknown> = {
    capi: { success: true, template: CORE_COMPONENTS.find((c) => c.key === 'capi')!.template },
  };
  for (const c of providers)
    components[c.name] = { success: true, template: templateName(c.name, c.version), exposedProviders: c.providers };
  return {
    apiVersion: K0RDENT_API_VERSION,
    kind: 'Region',
    metadata: { name, ...(paused ? { annotations: { [REGION_PAUSE_ANNOTATION]: 'true' } } : {}) },
    spec: {
      kubeConfig: { name: `${name}-kubeconfig`, key: 'value' },
      core: { capi: {} },
      providers: providers.map((c) => ({ name: c.name })),
    },
    status: {
      availableProviders: ['infrastructure-internal', ...providers.flatMap((c) => c.providers)].sort(),
      components,
      conditions: [ready('All components are successfully installed', 'AllComponentsHealthy')],
      observedGeneration: 1,
    },
  };
}

export function seedPlatform(store: Store): void {
  // The owners kcm's ProviderTemplate controller gives the templates the Release names (../kcm/provider-templates.ts).
  ownProviderTemplates(store, store.create(RELEASES, releaseObject()));
  for (const [name, paused] of [
    [SEEDED_REGIONS.ready, false],
    [SEEDED_REGIONS.paused, true],
  ] as const) {
    // The regional cluster's kubeconfig; the value is a placeholder, never read by anything here.
    store.create(SECRETS, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: `${name}-kubeconfig`, namespace: SYSTEM_NAMESPACE },
      type: 'Opaque',
      data: { value: Buffer.from('# the regional cluster kubeconfig (sandbox placeholder)\n').toString('base64') },
    } as KubeObject);
    store.create(REGIONS, regionObject(name, paused));
  }
}
