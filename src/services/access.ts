/**
 * The Kubernetes access of each service-manager operation (./manager.ts and ./checks.ts), as RBAC rules;
 * test/integration/rbac.test.ts holds them to the requests the tools make and to the manifests' ClusterRole.
 */
import {
  CLUSTER_DEPLOYMENT,
  CLUSTER_TEMPLATE,
  K0RDENT_GROUP,
  MULTI_CLUSTER_SERVICE,
  SERVICE_SET,
  SERVICE_TEMPLATE,
} from '../k0rdent/resources.js';
import { access, PERMISSION_REVIEWS, type KubeAccess } from '../kube/access.js';

/** `list namespaces`: the readable namespaces, and the target namespace in OIDC_REQUIRED. */
const NAMESPACES = access('', 'namespaces', 'list');

export const SERVICE_ACCESS = {
  listTemplates: [NAMESPACES, access(K0RDENT_GROUP, SERVICE_TEMPLATE.plural, 'list')],
  // The deployment (get; list for the not-found hint), the template (get; list for the names to suggest),
  // its schema ConfigMap, the cluster template's Kubernetes version, server-side apply (patch) and the
  // wait (get + watch).
  apply: [
    NAMESPACES,
    access(K0RDENT_GROUP, SERVICE_TEMPLATE.plural, 'get', 'list'),
    access('', 'configmaps', 'get'),
    access(K0RDENT_GROUP, CLUSTER_TEMPLATE.plural, 'get'),
    access(K0RDENT_GROUP, CLUSTER_DEPLOYMENT.plural, 'get', 'list', 'patch', 'watch'),
    ...PERMISSION_REVIEWS,
  ],
  remove: [NAMESPACES, access(K0RDENT_GROUP, CLUSTER_DEPLOYMENT.plural, 'get', 'list', 'patch'), ...PERMISSION_REVIEWS],
  // Cluster-scoped: one cluster-wide list.
  listMultiClusterServices: [access(K0RDENT_GROUP, MULTI_CLUSTER_SERVICE.plural, 'list')],
  // The services' templates and schemas (system namespace), the clusters the selector matches (a cluster-wide list;
  // per readable namespace when refused), the MultiClusterService itself (get; list for dependsOn and the names to
  // suggest), a create or a server-side apply (patch).
  applyMultiClusterService: [
    NAMESPACES,
    access(K0RDENT_GROUP, SERVICE_TEMPLATE.plural, 'get', 'list'),
    access('', 'configmaps', 'get'),
    access(K0RDENT_GROUP, CLUSTER_DEPLOYMENT.plural, 'list'),
    access(K0RDENT_GROUP, MULTI_CLUSTER_SERVICE.plural, 'get', 'list', 'create', 'patch'),
  ],
  // The deployment (get; a cluster-wide list by name when no namespace is given, a list for the nearest name), its
  // ServiceSets (list in its namespace) and the Sveltos ClusterSummary of each (get).
  status: [
    NAMESPACES,
    access(K0RDENT_GROUP, CLUSTER_DEPLOYMENT.plural, 'get', 'list'),
    access(K0RDENT_GROUP, SERVICE_SET.plural, 'list'),
    access('config.projectsveltos.io', 'clustersummaries', 'get'),
  ],
  deleteMultiClusterService: [
    NAMESPACES,
    access(K0RDENT_GROUP, CLUSTER_DEPLOYMENT.plural, 'list'),
    access(K0RDENT_GROUP, MULTI_CLUSTER_SERVICE.plural, 'get', 'list', 'delete'),
  ],
} as const satisfies Record<string, readonly KubeAccess[]>;
