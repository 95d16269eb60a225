/**
 * The self reviews kubectl's `auth` commands create, answered from the token table (./auth.ts) so that
 * each answer is what the server then allows:
 *   - authentication.k8s.io/v1 SelfSubjectReview (`kubectl auth whoami`): the user's name, uid and groups
 *     (k8s.io/kubernetes pkg/registry/authentication/selfsubjectreview/rest.go);
 *   - authorization.k8s.io/v1 SelfSubjectAccessReview (`kubectl auth can-i VERB RESOURCE`): `allowed()`
 *     (k8s.io/kubernetes pkg/registry/authorization/selfsubjectaccessreview/rest.go; 422 for a spec without
 *     exactly one of resourceAttributes / nonResourceAttributes, pkg/apis/authorization/validation);
 *   - authorization.k8s.io/v1 SelfSubjectRulesReview (`kubectl auth can-i --list`): the rules behind
 *     `allowed()`, in the shape RBAC lists them on the kube backend (pkg/registry/authorization/
 *     selfsubjectrulesreview/rest.go; 400 "no namespace on request" without spec.namespace).
 * The kube backend grants the same through real RBAC (src/sandbox/kube/rbac.ts) plus kube-apiserver's
 * bootstrap roles (plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go: system:basic-user,
 * system:discovery, system:public-info-viewer), which these rules mirror. One rule only the sandbox has:
 * `/metrics`, which it serves without a token.
 */
import { allowed, READ_VERBS, SELF_REVIEWS, type User } from './auth.js';
import { ApiError, badRequest, methodNotAllowed, notFoundResource, unsupportedMediaType } from './errors.js';
import { mediaType, parseBody, readBody, sendJson, type RequestContext } from './http.js';
import { PROTOBUF } from './protobuf.js';
import { isObject } from './util.js';

export const AUTHN_GROUP = 'authentication.k8s.io';
export const AUTHZ_GROUP = 'authorization.k8s.io';

export interface ReviewResource {
  group: string;
  version: 'v1';
  plural: string;
  singular: string;
  kind: string;
}

/** The review kinds served, per group (discovery lists them; each is create-only and cluster-scoped). */
export const REVIEW_RESOURCES: ReviewResource[] = [
  { group: AUTHN_GROUP, version: 'v1', plural: 'selfsubjectreviews', singular: 'selfsubjectreview', kind: 'SelfSubjectReview' },
  {
    group: AUTHZ_GROUP,
    version: 'v1',
    plural: 'selfsubjectaccessreviews',
    singular: 'selfsubjectaccessreview',
    kind: 'SelfSubjectAccessReview',
  },
  {
    group: AUTHZ_GROUP,
    version: 'v1',
    plural: 'selfsubjectrulesreviews',
    singular: 'selfsubjectrulesreview',
    kind: 'SelfSubjectRulesReview',
  },
];

export function reviewResource(group: string, version: string, plural: string): ReviewResource | undefined {
  return REVIEW_RESOURCES.find((r) => r.group === group && r.version === version && r.plural === plural);
}

/** system:discovery's and system:public-info-viewer's URLs (bootstrappolicy/policy.go), both bound to system:authenticated. */
const DISCOVERY_URLS = [
  '/api',
  '/api/*',
  '/apis',
  '/apis/*',
  '/healthz',
  '/livez',
  '/openapi',
  '/openapi/*',
  '/readyz',
  '/version',
  '/version/',
];
const PUBLIC_INFO_URLS = ['/healthz', '/livez', '/readyz', '/version', '/version/'];
/** Served by the sandbox without any token (./server.ts PUBLIC_PATHS); kube-apiserver needs system:monitoring for it. */
const SANDBOX_PUBLIC_URLS = ['/metrics'];

interface ResourceRule {
  verbs: string[];
  apiGroups: string[];
  resources: string[];
}
interface NonResourceRule {
  verbs: string[];
  nonResourceURLs: string[];
}

function nonResourceRules(user: User): NonResourceRule[] {
  const rules: NonResourceRule[] = [];
  if (user.namespaces === '*') rules.push({ verbs: ['*'], nonResourceURLs: ['*'] });
  rules.push({ verbs: ['get'], nonResourceURLs: DISCOVERY_URLS }, { verbs: ['get'], nonResourceURLs: PUBLIC_INFO_URLS });
  if (user.namespaces !== '*') rules.push({ verbs: ['get'], nonResourceURLs: SANDBOX_PUBLIC_URLS });
  return rules;
}

/** The resource rules `allowed()` applies to `namespace`. */
function resourceRules(user: User, namespace: string): ResourceRule[] {
  const all: ResourceRule = { verbs: ['*'], apiGroups: ['*'], resources: ['*'] };
  const reviews = SELF_REVIEWS.map((r) => ({ verbs: ['create'], apiGroups: [r.group], resources: r.plurals }));
  if (user.namespaces === '*') return [all, ...reviews];
  const rules: ResourceRule[] = [...reviews, { verbs: ['get', 'list', 'watch'], apiGroups: [''], resources: ['namespaces'] }];
  if (user.namespaces.includes(namespace)) rules.push(all);
  else if (user.readOnly?.includes(namespace)) rules.push({ verbs: [...READ_VERBS], apiGroups: ['*'], resources: ['*'] });
  return rules;
}

/** RBAC's non-resource match (k8s.io/kubernetes pkg/apis/rbac/v1/evaluation_helpers.go NonResourceURLMatches). */
function nonResourceAllowed(user: User, verb: string, path: string): boolean {
  return nonResourceRules(user).some(
    (r) =>
      (r.verbs.includes('*') || r.verbs.includes(verb)) &&
      r.nonResourceURLs.some((u) => u === '*' || u === path || (u.endsWith('*') && path.startsWith(u.slice(0, -1)))),
  );
}

async function readReview(ctx: RequestContext, kind: string): Promise<Record<string, unknown>> {
  const type = mediaType(ctx.req.headers['content-type']);
  if (type !== '' && type !== 'application/json' && type !== 'application/yaml' && type !== PROTOBUF)
    throw unsupportedMediaType(['application/json', 'application/yaml', PROTOBUF]);
  const raw = await readBody(ctx.req);
  if (raw.length === 0) throw badRequest(`a ${kind} body is required`);
  const body = parseBody(raw, type || 'application/json', kind);
  if (!isObject(body)) throw badRequest(`${kind} must be an object`);
  return body;
}

/** POST to one of REVIEW_RESOURCES: `rest` is what follows the plural in the path (must be empty). */
export async function handleReview(ctx: RequestContext, review: ReviewResource, rest: string[]): Promise<void> {
  ctx.verb = 'create';
  ctx.resource = review.plural;
  if (rest.length > 0) throw notFoundResource();
  if ((ctx.req.method ?? 'GET') !== 'POST') throw methodNotAllowed(ctx.req.method ?? 'GET');
  const body = await readReview(ctx, review.kind);
  const apiVersion = `${review.group}/${review.version}`;
  const user = ctx.user;
  switch (review.kind) {
    case 'SelfSubjectReview': {
      const userInfo: Record<string, unknown> = { username: user.name };
      if (user.uid !== undefined) userInfo.uid = user.uid;
      userInfo.groups = user.groups;
      return sendJson(ctx, 201, {
        kind: review.kind,
        apiVersion,
        metadata: { creationTimestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') },
        status: { userInfo },
      });
    }
    case 'SelfSubjectRulesReview': {
      const spec = isObject(body.spec) ? body.spec : {};
      const namespace = typeof spec.namespace === 'string' ? spec.namespace : '';
      if (namespace === '') throw badRequest('no namespace on request');
      return sendJson(ctx, 201, {
        kind: review.kind,
        apiVersion,
        metadata: {},
        spec: {},
        status: { resourceRules: resourceRules(user, namespace), nonResourceRules: nonResourceRules(user), incomplete: false },
      });
    }
    default: {
      const spec = isObject(body.spec) ? body.spec : {};
      const attrs = isObject(spec.resourceAttributes) ? spec.resourceAttributes : undefined;
      const nonResource = isObject(spec.nonResourceAttributes) ? spec.nonResourceAttributes : undefined;
      if ((attrs === undefined) === (nonResource === undefined)) {
        const message = attrs
          ? `Invalid value: ${JSON.stringify({ path: nonResource?.path ?? '', verb: nonResource?.verb ?? '' })}: cannot be specified in combination with resourceAttributes`
          : 'Invalid value: null: exactly one of nonResourceAttributes or resourceAttributes must be specified';
        const field = attrs ? 'spec.nonResourceAttributes' : 'spec.resourceAttributes';
        throw new ApiError(422, 'Invalid', `.${AUTHZ_GROUP} "" is invalid: ${field}: ${message}`, {
          group: AUTHZ_GROUP,
          causes: [{ reason: 'FieldValueInvalid', message, field }],
        });
      }
      let ok: boolean;
      if (attrs) {
        const namespace = typeof attrs.namespace === 'string' && attrs.namespace !== '' ? attrs.namespace : undefined;
        ok = allowed(user, {
          verb: String(attrs.verb ?? ''),
          group: String(attrs.group ?? ''),
          plural: String(attrs.resource ?? ''),
          ...(namespace !== undefined ? { namespace } : {}),
        });
      } else {
        ok = nonResourceAllowed(user, String(nonResource?.verb ?? ''), String(nonResource?.path ?? ''));
      }
      // A denial carries no reason, as RBAC gives none (kubectl then prints just "no").
      const status = ok ? { allowed: true, reason: 'sandbox: allowed by the token table' } : { allowed: false };
      return sendJson(ctx, 201, { kind: review.kind, apiVersion, metadata: { creationTimestamp: null }, spec, status });
    }
  }
}
