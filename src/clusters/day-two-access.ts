/**
 * The Kubernetes access of the day-two read tools, as RBAC rules (see ./access.ts). None reads Secrets.
 */
import {
  CLUSTER_DEPLOYMENT,
  CLUSTER_TEMPLATE,
  CLUSTER_TEMPLATE_CHAIN,
  CREDENTIAL,
  K0RDENT_GROUP,
  MANAGEMENT,
  PROVIDER_TEMPLATE,
  SERVICE_TEMPLATE,
} from '../k0rdent/resources.js';
import { access, PERMISSION_REVIEWS, type KubeAccess } from '../kube/access.js';
import { PROVIDER_INTERFACES } from './access.js';

const NAMESPACES = access('', 'namespaces', 'list');
/** events.k8s.io/v1 first; core/v1 when the server lacks it. */
const EVENTS = [access('events.k8s.io', 'events', 'list'), access('', 'events', 'list')];

export const DAY_TWO_ACCESS = {
  // get by namespace, or a LIST by name across namespaces; its recent Warning events.
  // … and the CAPI Cluster and its Machines (the capi summary: src/clusters/capi-summary.ts).
  get: [
    NAMESPACES,
    access(K0RDENT_GROUP, CLUSTER_DEPLOYMENT.plural, 'get', 'list'),
    ...EVENTS,
    access('cluster.x-k8s.io', 'clusters', 'list'),
    access('cluster.x-k8s.io', 'machines', 'list'),
  ],
  // get/list: no event for a named object of a kind tools name → does it exist (notFound in the one shape)?
  eventsList: [
    NAMESPACES,
    ...EVENTS,
    access(K0RDENT_GROUP, CLUSTER_DEPLOYMENT.plural, 'get', 'list'),
    access(K0RDENT_GROUP, CLUSTER_TEMPLATE.plural, 'get', 'list'),
    access(K0RDENT_GROUP, CREDENTIAL.plural, 'get', 'list'),
    access(K0RDENT_GROUP, SERVICE_TEMPLATE.plural, 'get', 'list'),
  ],
  // list: a name absent from the namespace gets the nearest one there and the namespaces holding it (notFound).
  templatesGet: [
    NAMESPACES,
    access(K0RDENT_GROUP, CLUSTER_TEMPLATE.plural, 'get', 'list'),
    access('', 'configmaps', 'get'),
    access(K0RDENT_GROUP, CREDENTIAL.plural, 'list'),
    access(K0RDENT_GROUP, CLUSTER_TEMPLATE_CHAIN.plural, 'list'),
    PROVIDER_INTERFACES,
  ],
  namespacesList: [
    NAMESPACES,
    access(K0RDENT_GROUP, CREDENTIAL.plural, 'list'),
    access(K0RDENT_GROUP, CLUSTER_TEMPLATE.plural, 'list'),
    access(K0RDENT_GROUP, CLUSTER_DEPLOYMENT.plural, 'list'),
    ...PERMISSION_REVIEWS,
  ],
  providersList: [
    NAMESPACES,
    PROVIDER_INTERFACES,
    access(K0RDENT_GROUP, MANAGEMENT.plural, 'get'),
    access(K0RDENT_GROUP, PROVIDER_TEMPLATE.plural, 'list'),
    access(K0RDENT_GROUP, CLUSTER_TEMPLATE.plural, 'list'),
    access(K0RDENT_GROUP, CREDENTIAL.plural, 'list'),
  ],
} as const satisfies Record<string, readonly KubeAccess[]>;
