/**
 * The sandbox's token table on a real API server: each user becomes a static token (kube-apiserver
 * `--token-auth-file`) and real RBAC, so kube-apiserver itself allows and denies. A user with `["*"]`
 * is bound to cluster-admin; any other user may get/list/watch namespaces cluster-wide (as the
 * embedded sandbox allows) and do everything inside each of its namespaces through a RoleBinding there,
 * and get/list/watch everything inside each of its `readOnly` namespaces (a RoleBinding to a viewer role).
 */
import type { KubeObject, ResourceKey } from '../apiserver/types.js';
import { READ_VERBS, type TokenTable } from '../apiserver/auth.js';
import { KubeApiError, type KubeRest } from './rest.js';

const FIELD_MANAGER = 'k0rdent-sandbox-rbac';
const CLUSTER_ROLES: ResourceKey = { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'clusterroles' };
const CLUSTER_ROLE_BINDINGS: ResourceKey = { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'clusterrolebindings' };
const ROLE_BINDINGS: ResourceKey = { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'rolebindings' };
const NAMESPACE_READER = 'k0rdent-sandbox:namespace-reader';
const NAMESPACE_USER = 'k0rdent-sandbox:namespace-user';
const NAMESPACE_VIEWER = 'k0rdent-sandbox:namespace-viewer';

/** kube-apiserver's static token file: token,user,uid (no groups; RBAC binds the user itself). */
export function tokensCsv(table: TokenTable): string {
  for (const u of table.users) {
    if (/[,"\n]/.test(u.token) || /[,"\n]/.test(u.name))
      throw new Error(`token table: user ${JSON.stringify(u.name)}: a token or name with , " or a newline cannot be a static token`);
  }
  return table.users.map((u) => `${u.token},${u.name},${u.name}`).join('\n') + '\n';
}

/** A binding name from a user name: DNS-1123 subdomain characters only. */
function bindingName(user: string): string {
  return `k0rdent-sandbox:${user.toLowerCase().replace(/[^a-z0-9.-]/g, '-')}`;
}

/** Writes the roles and bindings; returns the namespaces named by the table that do not exist (left unbound). */
export async function applyTokenRbac(rest: KubeRest, table: TokenTable, existingNamespaces: Set<string>): Promise<string[]> {
  const skipped: string[] = [];
  const create = async (resource: ResourceKey, object: KubeObject): Promise<void> => {
    try {
      await rest.create(resource, object, FIELD_MANAGER);
    } catch (err) {
      if (!(err instanceof KubeApiError && err.status === 409)) throw err;
    }
  };
  await create(CLUSTER_ROLES, {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: NAMESPACE_READER },
    rules: [{ apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'list', 'watch'] }],
  });
  await create(CLUSTER_ROLES, {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: NAMESPACE_USER },
    rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }],
  });
  await create(CLUSTER_ROLES, {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: NAMESPACE_VIEWER },
    rules: [{ apiGroups: ['*'], resources: ['*'], verbs: READ_VERBS }],
  });
  for (const user of table.users) {
    const subjects = [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user.name }];
    if (user.namespaces.includes('*')) {
      await create(CLUSTER_ROLE_BINDINGS, {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: bindingName(user.name) },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
        subjects,
      });
      continue;
    }
    await create(CLUSTER_ROLE_BINDINGS, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: `${bindingName(user.name)}:namespaces` },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: NAMESPACE_READER },
      subjects,
    });
    for (const namespace of user.namespaces) {
      if (!existingNamespaces.has(namespace)) {
        skipped.push(namespace);
        continue;
      }
      await create(ROLE_BINDINGS, {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: bindingName(user.name), namespace },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: NAMESPACE_USER },
        subjects,
      });
    }
    for (const namespace of user.readOnly ?? []) {
      if (user.namespaces.includes(namespace)) continue;
      if (!existingNamespaces.has(namespace)) {
        skipped.push(namespace);
        continue;
      }
      await create(ROLE_BINDINGS, {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: `${bindingName(user.name)}:view`, namespace },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: NAMESPACE_VIEWER },
        subjects,
      });
    }
  }
  return skipped;
}
