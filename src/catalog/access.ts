/**
 * The Kubernetes access of the catalog tools, as RBAC rules (see ../kube/access.ts); test/integration/rbac.test.ts
 * holds them to the requests the tools make and to the manifests' ClusterRole. k0.catalog.list reads only the index.
 */
import { CLUSTER_DEPLOYMENT, K0RDENT_GROUP, MULTI_CLUSTER_SERVICE, SERVICE_TEMPLATE } from '../k0rdent/resources.js';
import { access, type KubeAccess } from '../kube/access.js';
import { HELM_REPOSITORY } from './manager.js';

/** `list namespaces`: the readable namespaces, and the target namespace in OIDC_REQUIRED. */
const NAMESPACES = access('', 'namespaces', 'list');

export const CATALOG_ACCESS = {
  list: [],
  get: [NAMESPACES, access(K0RDENT_GROUP, SERVICE_TEMPLATE.plural, 'list')],
  // Server-side apply is `patch`, and `create` for an object that does not exist yet; the wait is get + watch.
  install: [
    NAMESPACES,
    access(HELM_REPOSITORY.group ?? '', HELM_REPOSITORY.plural, 'get', 'create', 'patch'),
    access(K0RDENT_GROUP, SERVICE_TEMPLATE.plural, 'get', 'create', 'patch', 'watch'),
  ],
  // The templates installed (list, when no version is given), and the users kcm would refuse the deletion for: the
  // namespace's deployments and the MultiClusterServices.
  uninstall: [
    NAMESPACES,
    access(K0RDENT_GROUP, SERVICE_TEMPLATE.plural, 'get', 'list', 'delete'),
    access(K0RDENT_GROUP, CLUSTER_DEPLOYMENT.plural, 'list'),
    access(K0RDENT_GROUP, MULTI_CLUSTER_SERVICE.plural, 'list'),
  ],
} as const satisfies Record<string, readonly KubeAccess[]>;
