/**
 * What a tool asks of the Kubernetes API, as RBAC would grant it: API group, resource (plural) and verbs.
 * Every tool declares its access (src/mcp/tools/registry.ts, `access`); the manifests' ClusterRole
 * (deploy/base/rbac.yaml) grants exactly their union, and a test holds both to the requests the tools
 * really make (test/integration/rbac.test.ts).
 */

/** The Kubernetes authorization verbs a tool may need (server-side apply is `patch`, plus `create` when it creates). */
export type RbacVerb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete';

export interface KubeAccess {
  /** API group: '' for the core group. */
  readonly group: string;
  /** Resource plural, as in RBAC rules (`clusterdeployments`, `configmaps`). */
  readonly resource: string;
  readonly verbs: readonly RbacVerb[];
}

/** One access entry. */
export function access(group: string, resource: string, ...verbs: RbacVerb[]): KubeAccess {
  return { group, resource, verbs };
}

/** The union of several declarations, one entry per group/resource with its verbs sorted. */
export function mergeAccess(lists: readonly (readonly KubeAccess[])[]): KubeAccess[] {
  const byKey = new Map<string, { group: string; resource: string; verbs: Set<RbacVerb> }>();
  for (const list of lists) {
    for (const entry of list) {
      const key = `${entry.group}/${entry.resource}`;
      const merged = byKey.get(key) ?? { group: entry.group, resource: entry.resource, verbs: new Set<RbacVerb>() };
      for (const verb of entry.verbs) merged.verbs.add(verb);
      byKey.set(key, merged);
    }
  }
  return [...byKey.values()]
    .map((e) => ({ group: e.group, resource: e.resource, verbs: [...e.verbs].sort() }))
    .sort((a, b) => `${a.group}/${a.resource}`.localeCompare(`${b.group}/${b.resource}`));
}

/**
 * The caller's own permission reviews ("may I?", src/shared/access-review.ts): a SelfSubjectRulesReview per
 * namespace, a SelfSubjectAccessReview when that review is incomplete. kube-apiserver grants both to every
 * authenticated user (bootstrap ClusterRole system:basic-user); the manifests grant them too so the role stays
 * the exact union of what the tools do.
 */
export const PERMISSION_REVIEWS: readonly KubeAccess[] = [
  access('authorization.k8s.io', 'selfsubjectrulesreviews', 'create'),
  access('authorization.k8s.io', 'selfsubjectaccessreviews', 'create'),
];
