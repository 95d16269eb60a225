/**
 * The Kubernetes access of each cluster-manager operation (./manager.ts and the modules it calls), as RBAC
 * rules. Keep it next to the code: a new request in the manager needs its verb here, or the RBAC test
 * (test/integration/rbac.test.ts) fails and the manifests' ClusterRole would deny it in a cluster.
 */
import { CLUSTER_DEPLOYMENT, CLUSTER_TEMPLATE, CREDENTIAL, K0RDENT_GROUP, PROVIDER_INTERFACE } from '../k0rdent/resources.js';
import { access, PERMISSION_REVIEWS, type KubeAccess } from '../kube/access.js';

/** `list namespaces`: the readable namespaces (docs/tools.md "Namespaces"), and the target namespace in OIDC_REQUIRED. */
const NAMESPACES = access('', 'namespaces', 'list');
/** The `schema-ct-*` ConfigMap of a template. */
const SCHEMA_CONFIGMAPS = access('', 'configmaps', 'get');
/** The ProviderInterfaces: which providers a credential serves (src/providers/catalog.ts). */
export const PROVIDER_INTERFACES = access(K0RDENT_GROUP, PROVIDER_INTERFACE.plural, 'list');
/** A wait's machine counts: the CAPI Cluster and its Machines (./wait-capi.ts; refused = left out, not an error). */
const WAIT_MACHINE_COUNTS = [access('cluster.x-k8s.io', 'clusters', 'list'), access('cluster.x-k8s.io', 'machines', 'list')];

/**
 * The day-one fields (./deploy-fields.ts): the objects they reference (get; list for the nearest name), the served
 * ClusterDeployment CRD (which fields the installed kcm knows), the Management (its release, for that refusal) and
 * the credential's Region (get; list for the nearest name).
 */
const DAY_ONE = [
  access(K0RDENT_GROUP, 'clusterauthentications', 'get', 'list'),
  access(K0RDENT_GROUP, 'clusterauditpolicies', 'get', 'list'),
  access(K0RDENT_GROUP, 'datasources', 'get', 'list'),
  access(K0RDENT_GROUP, 'clusteripamclaims', 'get', 'list'),
  access('apiextensions.k8s.io', 'customresourcedefinitions', 'get'),
  access(K0RDENT_GROUP, 'managements', 'get'),
];

export const CLUSTER_ACCESS = {
  listCredentials: [NAMESPACES, access(K0RDENT_GROUP, CREDENTIAL.plural, 'list'), PROVIDER_INTERFACES],
  listTemplates: [NAMESPACES, access(K0RDENT_GROUP, CLUSTER_TEMPLATE.plural, 'list'), SCHEMA_CONFIGMAPS],
  list: [NAMESPACES, access(K0RDENT_GROUP, CLUSTER_DEPLOYMENT.plural, 'list')],
  // Checks (get, and list for the names to suggest), the schema, server-side apply (patch; create when the
  // deployment is new) and the wait (get + watch, and the CAPI machine counts of its progress).
  deploy: [
    NAMESPACES,
    access(K0RDENT_GROUP, CLUSTER_TEMPLATE.plural, 'get', 'list'),
    access(K0RDENT_GROUP, CREDENTIAL.plural, 'get', 'list'),
    SCHEMA_CONFIGMAPS,
    PROVIDER_INTERFACES,
    access(K0RDENT_GROUP, CLUSTER_DEPLOYMENT.plural, 'get', 'create', 'patch', 'watch'),
    ...WAIT_MACHINE_COUNTS,
    ...PERMISSION_REVIEWS,
    ...DAY_ONE,
    access(K0RDENT_GROUP, 'servicetemplates', 'get', 'list'),
    access(K0RDENT_GROUP, 'regions', 'get', 'list'),
  ],
  // Same as deploy; list finds a name absent from the namespace in the other readable ones (notFound hint).
  update: [
    NAMESPACES,
    access(K0RDENT_GROUP, CLUSTER_TEMPLATE.plural, 'get', 'list'),
    access(K0RDENT_GROUP, CREDENTIAL.plural, 'get', 'list'),
    SCHEMA_CONFIGMAPS,
    access(K0RDENT_GROUP, CLUSTER_DEPLOYMENT.plural, 'get', 'list', 'patch', 'watch'),
    ...WAIT_MACHINE_COUNTS,
    ...PERMISSION_REVIEWS,
    ...DAY_ONE,
  ],
  // list: a name absent from the namespace is looked up in the other readable ones (the not_found hint).
  delete: [
    NAMESPACES,
    access(K0RDENT_GROUP, CLUSTER_DEPLOYMENT.plural, 'get', 'list', 'delete', 'watch'),
    ...WAIT_MACHINE_COUNTS,
    ...PERMISSION_REVIEWS,
  ],
} as const satisfies Record<string, readonly KubeAccess[]>;
