/**
 * Which controller answers for a kind, and how its pods are found. k0rdent runs every controller in its
 * system namespace (kcm-system): kcm itself (chart templates/provider/kcm, pod labels
 * `app.kubernetes.io/name=kcm`), Flux's helm-controller and source-controller (flux2 chart, `app=<name>`),
 * and the Cluster API providers the CAPI operator installs (`cluster.x-k8s.io/provider=<type>-<name>`, the
 * label clusterctl and the operator put on every provider component). The kind's API group says which one;
 * infrastructure kinds are told apart by their prefix (AWS → capa, Azure → capz, ...). Pure.
 */
export interface ControllerInfo {
  /** Short name (capa, capz, capi, kcm, helm-controller, ...). */
  label: string;
  /** Label selector of its pods in the system namespace. */
  selector: string;
  /** The container that runs it. */
  container: string;
}

const provider = (label: string, name: string): ControllerInfo => ({
  label,
  selector: `cluster.x-k8s.io/provider=${name}`,
  container: 'manager',
});

export const CONTROLLERS = {
  kcm: { label: 'kcm', selector: 'app.kubernetes.io/name=kcm', container: 'manager' },
  helm: { label: 'helm-controller', selector: 'app=helm-controller', container: 'manager' },
  source: { label: 'source-controller', selector: 'app=source-controller', container: 'manager' },
  capi: provider('capi', 'cluster-api'),
  capa: provider('capa', 'infrastructure-aws'),
  capz: provider('capz', 'infrastructure-azure'),
  capg: provider('capg', 'infrastructure-gcp'),
  capo: provider('capo', 'infrastructure-openstack'),
  capv: provider('capv', 'infrastructure-vsphere'),
  capk: provider('capk', 'infrastructure-kubevirt'),
  capd: provider('capd', 'infrastructure-docker'),
  k0smotronInfra: provider('k0smotron', 'infrastructure-k0sproject-k0smotron'),
  k0smotronControlPlane: provider('k0smotron', 'control-plane-k0sproject-k0smotron'),
  k0smotronBootstrap: provider('k0smotron', 'bootstrap-k0sproject-k0smotron'),
} as const satisfies Record<string, ControllerInfo>;

const INFRA_PREFIXES: [RegExp, ControllerInfo][] = [
  [/^AWS/, CONTROLLERS.capa],
  [/^Azure/, CONTROLLERS.capz],
  [/^GCP/, CONTROLLERS.capg],
  [/^OpenStack/, CONTROLLERS.capo],
  [/^VSphere/, CONTROLLERS.capv],
  [/^Kubevirt/, CONTROLLERS.capk],
  [/^(Docker|Dev)/, CONTROLLERS.capd],
  [/^(Remote|K0smotron)/, CONTROLLERS.k0smotronInfra],
];

/** The API group of an apiVersion ('' for core). */
function groupOf(apiVersion: string | undefined): string | undefined {
  if (apiVersion === undefined) return undefined;
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/** The kinds whose group is not told by the caller: k0rdent's, Flux's and Cluster API's well-known kinds. */
const KIND_GROUPS: Record<string, string> = {
  ClusterDeployment: 'k0rdent.mirantis.com',
  ClusterTemplate: 'k0rdent.mirantis.com',
  Credential: 'k0rdent.mirantis.com',
  ServiceTemplate: 'k0rdent.mirantis.com',
  MultiClusterService: 'k0rdent.mirantis.com',
  HelmRelease: 'helm.toolkit.fluxcd.io',
  HelmChart: 'source.toolkit.fluxcd.io',
  HelmRepository: 'source.toolkit.fluxcd.io',
  OCIRepository: 'source.toolkit.fluxcd.io',
  GitRepository: 'source.toolkit.fluxcd.io',
  Cluster: 'cluster.x-k8s.io',
  Machine: 'cluster.x-k8s.io',
  MachineSet: 'cluster.x-k8s.io',
  MachineDeployment: 'cluster.x-k8s.io',
  MachinePool: 'cluster.x-k8s.io',
  MachineHealthCheck: 'cluster.x-k8s.io',
  K0sControlPlane: 'controlplane.cluster.x-k8s.io',
  K0smotronControlPlane: 'controlplane.cluster.x-k8s.io',
  K0sWorkerConfig: 'bootstrap.cluster.x-k8s.io',
  K0sControllerConfig: 'bootstrap.cluster.x-k8s.io',
};

/** Kinds the logs tool knows how to place, for "did you mean" answers. */
export function knownKinds(): string[] {
  return [
    ...Object.keys(KIND_GROUPS),
    'AWSCluster',
    'AWSMachine',
    'AzureCluster',
    'AzureMachine',
    'GCPCluster',
    'GCPMachine',
    'OpenStackCluster',
    'OpenStackMachine',
    'VSphereCluster',
    'VSphereMachine',
    'AWSClusterStaticIdentity',
    'AzureClusterIdentity',
  ].sort();
}

/** The group of a kind named without one (undefined when the kind is not one this server places). */
export function groupOfKind(kind: string): string | undefined {
  if (KIND_GROUPS[kind] !== undefined) return KIND_GROUPS[kind];
  if (INFRA_PREFIXES.some(([prefix]) => prefix.test(kind))) return 'infrastructure.cluster.x-k8s.io';
  return undefined;
}

/** The controller responsible for objects of `kind` (group from `apiVersion`, else from the kind). */
export function controllerForKind(apiVersion: string | undefined, kind: string): ControllerInfo | undefined {
  const group = groupOf(apiVersion) ?? groupOfKind(kind);
  switch (group) {
    case 'k0rdent.mirantis.com':
      return CONTROLLERS.kcm;
    case 'helm.toolkit.fluxcd.io':
      return CONTROLLERS.helm;
    case 'source.toolkit.fluxcd.io':
      return CONTROLLERS.source;
    case 'cluster.x-k8s.io':
      return CONTROLLERS.capi;
    case 'controlplane.cluster.x-k8s.io':
      return kind.startsWith('K0s') ? CONTROLLERS.k0smotronControlPlane : undefined;
    case 'bootstrap.cluster.x-k8s.io':
      return kind.startsWith('K0s') ? CONTROLLERS.k0smotronBootstrap : undefined;
    case 'infrastructure.cluster.x-k8s.io':
      return INFRA_PREFIXES.find(([prefix]) => prefix.test(kind))?.[1];
    default:
      return undefined;
  }
}
