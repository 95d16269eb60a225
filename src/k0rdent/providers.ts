/**
 * The identity kinds of the ProviderInterfaces kcm ships (data/k0rdent/providers, from kcm
 * `templates/provider/cluster-api-provider-*\/templates/interface.yaml`), for when a cluster's own
 * ProviderInterface objects cannot be read. The cluster's objects win (src/providers/catalog.ts).
 */
import type { ProviderInterfaceInfo } from './provider-fit.js';

const SECRET = { kind: 'Secret', apiVersion: 'v1' };

const BUILTIN: readonly ProviderInterfaceInfo[] = [
  {
    name: 'cluster-api-provider-aws',
    infrastructure: 'infrastructure-aws',
    provider: 'aws',
    identityKinds: ['AWSClusterStaticIdentity', 'AWSClusterRoleIdentity', 'AWSClusterControllerIdentity'].map((kind) => ({
      kind,
      apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta2',
    })),
  },
  {
    name: 'cluster-api-provider-azure',
    infrastructure: 'infrastructure-azure',
    provider: 'azure',
    identityKinds: [{ kind: 'AzureClusterIdentity', apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1' }, SECRET],
  },
  { name: 'cluster-api-provider-docker', infrastructure: 'infrastructure-docker', provider: 'docker', identityKinds: [SECRET] },
  { name: 'cluster-api-provider-gcp', infrastructure: 'infrastructure-gcp', provider: 'gcp', identityKinds: [SECRET] },
  {
    name: 'cluster-api-provider-k0sproject-k0smotron',
    infrastructure: 'infrastructure-k0sproject-k0smotron',
    provider: 'k0sproject-k0smotron',
    identityKinds: [SECRET],
  },
  { name: 'cluster-api-provider-kubevirt', infrastructure: 'infrastructure-kubevirt', provider: 'kubevirt', identityKinds: [SECRET] },
  {
    name: 'cluster-api-provider-openstack',
    infrastructure: 'infrastructure-openstack',
    provider: 'openstack',
    identityKinds: [SECRET, { kind: 'OpenStackClusterIdentity', apiVersion: 'infrastructure.cluster.x-k8s.io/v1alpha1' }],
  },
  {
    name: 'cluster-api-provider-vsphere',
    infrastructure: 'infrastructure-vsphere',
    provider: 'vsphere',
    identityKinds: [{ kind: 'VSphereClusterIdentity', apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1' }, SECRET],
  },
];

export function builtinInterfaces(): ProviderInterfaceInfo[] {
  return BUILTIN.map((i) => ({ ...i, identityKinds: [...i.identityKinds] }));
}

/** The cloud of a template: the `infrastructure-<p>` entry of `status.providers`, without the prefix. */
export function cloudFromProviders(providers: readonly string[]): string | undefined {
  const infra = providers.map((p) => p.trim()).find((p) => p.startsWith('infrastructure-'));
  return infra === undefined ? undefined : infra.slice('infrastructure-'.length);
}
