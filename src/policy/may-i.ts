/**
 * "May I?": one permission question and RBAC's answer to it from the rules a SelfSubjectRulesReview lists,
 * and the `forbidden` a write gets before it is attempted. Pure: the review itself is made and cached per
 * identity in src/shared/access-review.ts.
 *
 * Matching follows RBAC's rule evaluation (k8s.io/kubernetes pkg/apis/rbac/v1/evaluation_helpers.go:
 * VerbMatches, APIGroupMatches, ResourceMatches, ResourceNameMatches): `*` matches any verb, group or
 * resource; a rule with resourceNames matches only a request for one of those names (so never a create,
 * which has no name yet).
 */
import { AppError } from '../errors.js';
import { TOOL, toolRef } from '../tool-names.js';

/** One permission question, as a SelfSubjectAccessReview's resourceAttributes put it. */
export interface Permission {
  verb: string;
  /** API group; '' for the core group. */
  group: string;
  /** Resource plural, as in RBAC rules. */
  resource: string;
  namespace: string;
  /** The object the request names (get, patch, delete); absent for create and list. */
  name?: string | undefined;
}

/** A resource rule as a SelfSubjectRulesReview lists it. */
export interface RbacRule {
  verbs: readonly string[];
  apiGroups: readonly string[];
  resources: readonly string[];
  resourceNames?: readonly string[] | undefined;
}

function ruleAllows(rule: RbacRule, p: Permission): boolean {
  if (!rule.verbs.includes('*') && !rule.verbs.includes(p.verb)) return false;
  if (!rule.apiGroups.includes('*') && !rule.apiGroups.includes(p.group)) return false;
  if (!rule.resources.includes('*') && !rule.resources.includes(p.resource)) return false;
  if (rule.resourceNames === undefined || rule.resourceNames.length === 0) return true;
  return p.name !== undefined && rule.resourceNames.includes(p.name);
}

/** Whether any of `rules` grants `p`. */
export function rulesAllow(rules: readonly RbacRule[], p: Permission): boolean {
  return rules.some((rule) => ruleAllows(rule, p));
}

/** `create clusterdeployments.k0rdent.mirantis.com in namespace "team-beta"`. */
export function describePermission(p: Permission): string {
  const resource = p.group === '' ? p.resource : `${p.resource}.${p.group}`;
  return `${p.verb} ${resource}${p.name !== undefined ? ` "${p.name}"` : ''} in namespace "${p.namespace}"`;
}

/**
 * The refusal of a write the API server would deny: which permission is missing, that nothing was written,
 * and where to go instead. `action` is what the caller asked for ("deploy", "delete ClusterDeployment x").
 */
export function missingPermission(p: Permission, action: string, reviewedBy: string): AppError {
  const resource = p.group === '' ? p.resource : `${p.resource}.${p.group}`;
  return new AppError(
    'forbidden',
    `you may not ${describePermission(p)} (the API server's ${reviewedBy} of your own permissions grants no such rule), so ${action} was not attempted and nothing was written. Choose a namespace where ${toolRef(TOOL.namespacesList)} shows you may, or ask an administrator for a Role granting "${p.verb}" on ${resource} in "${p.namespace}"`,
    {
      missing: {
        verb: p.verb,
        group: p.group,
        resource: p.resource,
        namespace: p.namespace,
        ...(p.name !== undefined ? { name: p.name } : {}),
      },
      reviewedBy,
    },
  );
}
