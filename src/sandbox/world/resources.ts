/**
 * The kinds of the world below kcm, with the API versions the cluster charts write them in
 * (data/k0rdent/charts/<chart>/templates) and their CRDs in data/world/crds (scripts/world-crds.mjs).
 */
import type { KubeObject, ResourceKey } from '../apiserver/types.js';
import { CLUSTER_DEPLOYMENTS } from '../kcm/resources.js';

export interface WorldKind {
  kind: string;
  resource: ResourceKey;
}

const key = (group: string, version: string, plural: string): ResourceKey => ({ group, version, plural });

export const HELM_RELEASES = key('helm.toolkit.fluxcd.io', 'v2', 'helmreleases');
export const HELM_CHARTS = key('source.toolkit.fluxcd.io', 'v1', 'helmcharts');
export const HELM_REPOSITORIES = key('source.toolkit.fluxcd.io', 'v1', 'helmrepositories');

export const CAPI_GROUP = 'cluster.x-k8s.io';
export const INFRA_GROUP = 'infrastructure.cluster.x-k8s.io';
export const CONTROL_PLANE_GROUP = 'controlplane.cluster.x-k8s.io';
export const BOOTSTRAP_GROUP = 'bootstrap.cluster.x-k8s.io';

export const CLUSTERS = key(CAPI_GROUP, 'v1beta2', 'clusters');
export const MACHINE_DEPLOYMENTS = key(CAPI_GROUP, 'v1beta2', 'machinedeployments');
export const MACHINE_SETS = key(CAPI_GROUP, 'v1beta2', 'machinesets');
export const MACHINES = key(CAPI_GROUP, 'v1beta2', 'machines');

/** Every kind the charts render or the providers create, by kind name. */
const KINDS: WorldKind[] = [
  { kind: 'HelmRelease', resource: HELM_RELEASES },
  { kind: 'HelmChart', resource: HELM_CHARTS },
  { kind: 'HelmRepository', resource: HELM_REPOSITORIES },
  { kind: 'Cluster', resource: CLUSTERS },
  { kind: 'MachineDeployment', resource: MACHINE_DEPLOYMENTS },
  { kind: 'MachineSet', resource: MACHINE_SETS },
  { kind: 'Machine', resource: MACHINES },
  { kind: 'K0sControlPlane', resource: key(CONTROL_PLANE_GROUP, 'v1beta2', 'k0scontrolplanes') },
  { kind: 'K0smotronControlPlane', resource: key(CONTROL_PLANE_GROUP, 'v1beta2', 'k0smotroncontrolplanes') },
  { kind: 'K0sWorkerConfigTemplate', resource: key(BOOTSTRAP_GROUP, 'v1beta2', 'k0sworkerconfigtemplates') },
  { kind: 'K0sWorkerConfig', resource: key(BOOTSTRAP_GROUP, 'v1beta2', 'k0sworkerconfigs') },
  { kind: 'K0sControllerConfig', resource: key(BOOTSTRAP_GROUP, 'v1beta2', 'k0scontrollerconfigs') },
  { kind: 'AWSCluster', resource: key(INFRA_GROUP, 'v1beta2', 'awsclusters') },
  { kind: 'AWSMachineTemplate', resource: key(INFRA_GROUP, 'v1beta2', 'awsmachinetemplates') },
  { kind: 'AWSMachine', resource: key(INFRA_GROUP, 'v1beta2', 'awsmachines') },
  { kind: 'AzureCluster', resource: key(INFRA_GROUP, 'v1beta1', 'azureclusters') },
  { kind: 'AzureMachineTemplate', resource: key(INFRA_GROUP, 'v1beta1', 'azuremachinetemplates') },
  { kind: 'AzureMachine', resource: key(INFRA_GROUP, 'v1beta1', 'azuremachines') },
  { kind: 'GCPCluster', resource: key(INFRA_GROUP, 'v1beta1', 'gcpclusters') },
  { kind: 'GCPMachineTemplate', resource: key(INFRA_GROUP, 'v1beta1', 'gcpmachinetemplates') },
  { kind: 'GCPMachine', resource: key(INFRA_GROUP, 'v1beta1', 'gcpmachines') },
  { kind: 'OpenStackCluster', resource: key(INFRA_GROUP, 'v1beta1', 'openstackclusters') },
  { kind: 'OpenStackMachineTemplate', resource: key(INFRA_GROUP, 'v1beta1', 'openstackmachinetemplates') },
  { kind: 'OpenStackMachine', resource: key(INFRA_GROUP, 'v1beta1', 'openstackmachines') },
  { kind: 'VSphereCluster', resource: key(INFRA_GROUP, 'v1beta2', 'vsphereclusters') },
  { kind: 'VSphereMachineTemplate', resource: key(INFRA_GROUP, 'v1beta2', 'vspheremachinetemplates') },
  { kind: 'VSphereMachine', resource: key(INFRA_GROUP, 'v1beta2', 'vspheremachines') },
  { kind: 'DevCluster', resource: key(INFRA_GROUP, 'v1beta2', 'devclusters') },
  { kind: 'DevMachineTemplate', resource: key(INFRA_GROUP, 'v1beta2', 'devmachinetemplates') },
  { kind: 'DevMachine', resource: key(INFRA_GROUP, 'v1beta2', 'devmachines') },
];

const byKind = new Map(KINDS.map((k) => [k.kind, k.resource]));

/** The resource of a world kind; undefined for a kind the world does not simulate (e.g. SveltosCluster). */
export function resourceOfKind(kind: string): ResourceKey | undefined {
  return byKind.get(kind);
}

export function apiVersionOf(resource: ResourceKey): string {
  return resource.group === '' ? resource.version : `${resource.group}/${resource.version}`;
}

/**
 * What a KubeCache attached to a real API server must watch for the world (../kube/cache.ts): every world
 * kind, the ClusterDeployments (whose labels ask for faults) and the Namespaces the event recorder checks.
 */
export const WORLD_RESOURCES: ResourceKey[] = [...KINDS.map((k) => k.resource), CLUSTER_DEPLOYMENTS, key('', 'v1', 'namespaces')];

export function sameKey(a: Pick<ResourceKey, 'group' | 'plural'>, b: Pick<ResourceKey, 'group' | 'plural'>): boolean {
  return a.group === b.group && a.plural === b.plural;
}

/** `namespace/name`. */
export function ref(object: KubeObject): string {
  return `${object.metadata.namespace ?? ''}/${object.metadata.name}`;
}

/** The controller that reconciles a kind (whose log a line about it goes to). */
export function providerOfKind(kind: string): 'capa' | 'capz' | 'capg' | 'capo' | 'capv' | 'capd' | undefined {
  if (kind.startsWith('AWS')) return 'capa';
  if (kind.startsWith('Azure')) return 'capz';
  if (kind.startsWith('GCP')) return 'capg';
  if (kind.startsWith('OpenStack')) return 'capo';
  if (kind.startsWith('VSphere')) return 'capv';
  if (kind.startsWith('Dev')) return 'capd';
  return undefined;
}
