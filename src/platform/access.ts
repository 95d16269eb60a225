/** The Kubernetes access of k0.platform.status and k0.regions.list, as RBAC rules (see ../kube/access.ts). All cluster-scoped reads. */
import { K0RDENT_GROUP, MANAGEMENT, PROVIDER_TEMPLATE, REGION, RELEASE } from '../k0rdent/resources.js';
import { access, type KubeAccess } from '../kube/access.js';

export const PLATFORM_ACCESS = {
  status: [
    access(K0RDENT_GROUP, MANAGEMENT.plural, 'get'),
    access(K0RDENT_GROUP, RELEASE.plural, 'list'),
    access(K0RDENT_GROUP, PROVIDER_TEMPLATE.plural, 'list'),
    access(K0RDENT_GROUP, REGION.plural, 'list'),
  ],
  regionsList: [access(K0RDENT_GROUP, REGION.plural, 'list')],
} as const satisfies Record<string, readonly KubeAccess[]>;
