/**
 * The verb and resource of a Kubernetes API request, read from its method and URL the way the API
 * server's RequestInfoFactory does (kubernetes/kubernetes staging/src/k8s.io/apiserver/pkg/endpoints/
 * request/requestinfo.go, NewRequestInfo): GET on a collection is `list`, on a name `get`, with
 * `watch=true` `watch`; DELETE on a collection is `deletecollection`. Pure.
 */
export interface RequestInfo {
  verb: string;
  /** Plural resource, with `/subresource` when there is one; the first path segment for non-resource URLs. */
  resource: string;
}

const METHOD_VERBS: Record<string, string> = { POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete', GET: 'get', HEAD: 'get' };

export function requestInfo(method: string, url: string): RequestInfo {
  const parsed = new URL(url, 'http://localhost');
  const parts = parsed.pathname.split('/').filter((p) => p !== '');
  const upper = method.toUpperCase();
  let verb = METHOD_VERBS[upper] ?? upper.toLowerCase();
  // /api/v1/... or /apis/<group>/<version>/...
  const prefix = parts[0] === 'api' ? 2 : parts[0] === 'apis' ? 3 : -1;
  if (prefix < 0 || parts.length <= prefix) return { verb, resource: parts[0] ?? '' };
  let rest = parts.slice(prefix);
  // namespaces/<ns>/<resource>... is a namespaced resource; namespaces[/<name>] is the Namespace kind itself.
  if (rest[0] === 'namespaces' && rest.length >= 3) rest = rest.slice(2);
  const [resource = '', name, subresource] = rest;
  if (name === undefined) {
    if (verb === 'get') verb = parsed.searchParams.get('watch') === 'true' || parsed.searchParams.get('watch') === '1' ? 'watch' : 'list';
    else if (verb === 'delete') verb = 'deletecollection';
  }
  return { verb, resource: subresource !== undefined ? `${resource}/${subresource}` : resource };
}
