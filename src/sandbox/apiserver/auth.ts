/**
 * A small RBAC stand-in: bearer tokens map to users and the namespaces each may read and write
 * (`["*"]` = everything, cluster scope included), plus namespaces each may only read (`readOnly`: get,
 * list, watch, as kubectl's `view` ClusterRole bound there). Without a token table every request is system:admin.
 * Choice: every authenticated user may get/list/watch namespaces (so clients can discover where they may
 * work); writes to namespaces and cluster-wide requests need `["*"]`, as a namespaced RoleBinding would.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { forbidden, qualifiedResource, unauthorized } from './errors.js';
import { isObject } from './util.js';

export interface TokenUser {
  name: string;
  token: string;
  namespaces: string[];
  /** Namespaces where the user may only get, list and watch (not create, patch, delete). */
  readOnly?: string[];
}

export interface TokenTable {
  users: TokenUser[];
}

export interface User {
  name: string;
  /** The uid a SelfSubjectReview reports: the user name, as the kube backend's static token file gives it (src/sandbox/kube/rbac.ts). */
  uid?: string;
  /** Groups a SelfSubjectReview reports; every authenticated user is in system:authenticated. */
  groups: string[];
  /** '*' = all namespaces and the cluster scope. */
  namespaces: '*' | string[];
  /** Namespaces the user may only read (get, list, watch). */
  readOnly?: string[];
}

/** The verbs a read-only namespace grants. */
export const READ_VERBS = ['get', 'list', 'watch'];

/** Without a token table every request is this user (kube-apiserver's system:masters admin). */
export const ADMIN: User = { name: 'system:admin', groups: ['system:masters', 'system:authenticated'], namespaces: '*' };

export function parseTokenTable(text: string): TokenTable {
  const raw: unknown = parse(text);
  if (!isObject(raw) || !Array.isArray(raw.users)) throw new Error('token table: expected { users: [{ name, token, namespaces }] }');
  const users = raw.users.map((u, i) => {
    if (!isObject(u) || typeof u.name !== 'string' || typeof u.token !== 'string' || u.token.length === 0) {
      throw new Error(`token table: users[${i}] needs a string name and a non-empty token`);
    }
    const namespaces = Array.isArray(u.namespaces) ? u.namespaces.map(String) : [];
    if (u.readOnly !== undefined && !Array.isArray(u.readOnly))
      throw new Error(`token table: users[${i}].readOnly must be a list of namespaces`);
    const readOnly = Array.isArray(u.readOnly) ? u.readOnly.map(String) : [];
    return { name: u.name, token: u.token, namespaces, ...(readOnly.length > 0 ? { readOnly } : {}) };
  });
  return { users };
}

export function loadTokenTable(file: string): TokenTable {
  return parseTokenTable(readFileSync(file, 'utf8'));
}

export class Authenticator {
  private readonly byToken = new Map<string, User>();

  constructor(readonly table: TokenTable | undefined) {
    for (const u of table?.users ?? []) {
      this.byToken.set(u.token, {
        name: u.name,
        uid: u.name,
        groups: ['system:authenticated'],
        namespaces: u.namespaces.includes('*') ? '*' : u.namespaces,
        ...(u.readOnly ? { readOnly: u.readOnly } : {}),
      });
    }
  }

  /** The user for an Authorization header; throws 401 when tokens are configured and it is missing/unknown. */
  authenticate(authorization: string | undefined): User {
    if (!this.table) return ADMIN;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    const user = m ? this.byToken.get(m[1]!) : undefined;
    if (!user) throw unauthorized();
    return user;
  }
}

export interface Attributes {
  verb: string;
  group: string;
  plural: string;
  namespace?: string;
  name?: string;
}

/**
 * What every authenticated user may create, as kube-apiserver's bootstrap ClusterRole system:basic-user
 * grants (k8s.io/kubernetes plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go): its own reviews.
 */
export const SELF_REVIEWS: { group: string; plurals: string[] }[] = [
  { group: 'authorization.k8s.io', plurals: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'] },
  { group: 'authentication.k8s.io', plurals: ['selfsubjectreviews'] },
];

export function allowed(user: User, a: Attributes): boolean {
  if (user.namespaces === '*') return true;
  if (a.verb === 'create' && SELF_REVIEWS.some((r) => r.group === a.group && r.plurals.includes(a.plural))) return true;
  if (a.group === '' && a.plural === 'namespaces') return ['get', 'list', 'watch'].includes(a.verb);
  if (a.namespace === undefined) return false;
  if (user.readOnly?.includes(a.namespace) && READ_VERBS.includes(a.verb)) return true;
  return user.namespaces.includes(a.namespace);
}

/** Throws 403 worded like the API server's RBAC denial. */
export function authorize(user: User, a: Attributes): void {
  if (allowed(user, a)) return;
  const subject = a.name ? `${qualifiedResource(a.group, a.plural)} "${a.name}"` : qualifiedResource(a.group, a.plural);
  const scope = a.namespace !== undefined ? `in the namespace "${a.namespace}"` : 'at the cluster scope';
  throw forbidden(
    `${subject} is forbidden: User "${user.name}" cannot ${a.verb} resource "${a.plural}" in API group "${a.group}" ${scope}`,
    {
      ...(a.name ? { name: a.name } : {}),
      group: a.group,
      kind: a.plural,
    },
  );
}
