/**
 * The Kubernetes access of the troubleshooting tools, as RBAC rules (see src/clusters/access.ts): every kind
 * the walk below a ClusterDeployment may read — Flux's, Cluster API's, the control plane and bootstrap kinds
 * of k0smotron, and the infrastructure kinds of the providers k0rdent ships charts for
 * (kcm templates/cluster/*) — and the pods and logs of the controllers. Never Secrets. Discovery (`/apis`)
 * is a non-resource URL every authenticated user may read (system:discovery).
 */
import { CLUSTER_DEPLOYMENT, CLUSTER_TEMPLATE, CREDENTIAL, K0RDENT_GROUP, SERVICE_TEMPLATE } from '../k0rdent/resources.js';
import { access, type KubeAccess } from '../kube/access.js';

const NAMESPACES = access('', 'namespaces', 'list');
const EVENTS = [access('events.k8s.io', 'events', 'list'), access('', 'events', 'list')];
const INFRA = 'infrastructure.cluster.x-k8s.io';

/** Infrastructure clusters the charts create (read by name from Cluster.spec.infrastructureRef). */
const INFRA_CLUSTERS = [
  'awsclusters',
  'awsmanagedclusters',
  'azureclusters',
  'azureasomanagedclusters',
  'gcpclusters',
  'gcpmanagedclusters',
  'openstackclusters',
  'vsphereclusters',
  'kubevirtclusters',
  'devclusters',
  'dockerclusters',
  'remoteclusters',
];
/** Infrastructure machines (listed per kind, labelled with the cluster name). */
const INFRA_MACHINES = [
  'awsmachines',
  'azuremachines',
  'gcpmachines',
  'openstackmachines',
  'vspheremachines',
  'kubevirtmachines',
  'devmachines',
  'dockermachines',
  'remotemachines',
];
/** The ClusterIdentity kinds Credentials name (kcm ProviderInterfaces). */
const IDENTITIES = [
  'awsclusterstaticidentities',
  'awsclusterroleidentities',
  'awsclustercontrolleridentities',
  'azureclusteridentities',
  'vsphereclusteridentities',
];

export const TROUBLESHOOT_ACCESS = {
  diagnose: [
    NAMESPACES,
    ...EVENTS,
    access(K0RDENT_GROUP, CLUSTER_DEPLOYMENT.plural, 'get', 'list'),
    access(K0RDENT_GROUP, CLUSTER_TEMPLATE.plural, 'get'),
    access(K0RDENT_GROUP, CREDENTIAL.plural, 'get'),
    access('source.toolkit.fluxcd.io', 'helmcharts', 'get'),
    access('source.toolkit.fluxcd.io', 'helmrepositories', 'get'),
    access('helm.toolkit.fluxcd.io', 'helmreleases', 'get'),
    access('cluster.x-k8s.io', 'clusters', 'list'),
    access('cluster.x-k8s.io', 'machinedeployments', 'list'),
    access('cluster.x-k8s.io', 'machinepools', 'list'),
    access('cluster.x-k8s.io', 'machines', 'list'),
    ...INFRA_CLUSTERS.map((plural) => access(INFRA, plural, 'get')),
    ...INFRA_MACHINES.map((plural) => access(INFRA, plural, 'list')),
    ...IDENTITIES.map((plural) => access(INFRA, plural, 'get')),
    access('controlplane.cluster.x-k8s.io', 'k0scontrolplanes', 'get'),
    access('controlplane.cluster.x-k8s.io', 'k0smotroncontrolplanes', 'get'),
    access('controlplane.cluster.x-k8s.io', 'awsmanagedcontrolplanes', 'get'),
    access('controlplane.cluster.x-k8s.io', 'gcpmanagedcontrolplanes', 'get'),
    access('controlplane.cluster.x-k8s.io', 'azureasomanagedcontrolplanes', 'get'),
    access('bootstrap.cluster.x-k8s.io', 'k0sworkerconfigs', 'list'),
    access('bootstrap.cluster.x-k8s.io', 'k0scontrollerconfigs', 'list'),
    access('lib.projectsveltos.io', 'sveltosclusters', 'get'),
    access('apps', 'statefulsets', 'get'),
    access('', 'pods', 'list'),
  ],
  // get/list: `for` a k0rdent object tools name must exist (notFound in the one shape, src/shared/not-found.ts).
  logs: [
    access('', 'pods', 'get', 'list'),
    access('', 'pods/log', 'get'),
    NAMESPACES,
    access(K0RDENT_GROUP, CLUSTER_DEPLOYMENT.plural, 'get', 'list'),
    access(K0RDENT_GROUP, CLUSTER_TEMPLATE.plural, 'get', 'list'),
    access(K0RDENT_GROUP, CREDENTIAL.plural, 'get', 'list'),
    access(K0RDENT_GROUP, SERVICE_TEMPLATE.plural, 'get', 'list'),
  ],
} as const satisfies Record<string, readonly KubeAccess[]>;
