/**
 * Listing across the readable namespaces at a cost that does not grow with the number of namespaces:
 * one cluster-wide LIST (paged) filtered by the policy; on 403, bounded-concurrency per-namespace
 * LISTs. The identity remembers for a short TTL (./list-access.ts) that the cluster-wide LIST was
 * refused and which namespaces refused theirs, so later calls list only where it may read.
 * Our own `continue` token wraps the server's so a page can end in the middle of a server page.
 */
import { AppError } from '../errors.js';
import type { K0rdentResource } from '../k0rdent/resources.js';
import type { CallOptions, K0rdentApi, KubeList, KubeObject } from '../kube/k0rdent-api.js';
import { listAccessOf, type ListAccess } from './list-access.js';

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 500;
export const NAMESPACE_CONCURRENCY = 8;

export interface ListScope {
  /** Exactly this namespace (already checked by the policy). */
  namespace?: string | undefined;
  /** Which namespaces' objects to keep from a cluster-wide list. */
  include: (namespace: string) => boolean;
  /** The namespaces to list one by one when the cluster-wide list is forbidden. */
  namespaces: () => Promise<string[]>;
  /** Distinguishes queries, so a token is not reused for another one. */
  queryKey: string;
  /** Which objects to keep (a filter on their state, e.g. k0.clusters.list's `status`); pages fill with kept ones. */
  keep?: ((object: KubeObject) => boolean) | undefined;
}

export interface ListQuery {
  labelSelector?: string | undefined;
  limit?: number | undefined;
  continue?: string | undefined;
}

export interface ListPage {
  items: KubeObject[];
  continue?: string;
  /** 'cluster' or 'namespaces' (fallback after 403) or 'namespace'. */
  strategy: 'cluster' | 'namespaces' | 'namespace';
}

interface Token {
  /** mode: one namespace, cluster-wide, per-namespace fallback */
  m: 'o' | 'c' | 'n';
  /** query key */
  q: string;
  /** server continue token for the page to (re)read */
  c?: string;
  /** key (ns/name) of the last item returned from that page */
  a?: string;
  /**
   * The page size that page was read with. Re-reading with the same server token AND the same size
   * yields the same page, so `a` is found in it; a smaller size could end before `a` (and everything
   * up to `a` would be returned again).
   */
  s?: number;
  /** namespace index (fallback) */
  i?: number;
  /** namespace name at index `i` (fallback): resume there even if the namespace list changed */
  n?: string;
}

function encodeToken(token: Token): string {
  return Buffer.from(JSON.stringify(stripUndefined(token))).toString('base64url');
}

const optional = (value: unknown, type: 'string' | 'number'): boolean => value === undefined || typeof value === type;

function decodeToken(text: string, queryKey: string): Token {
  try {
    const token = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Token;
    if (
      typeof token === 'object' &&
      token !== null &&
      ['o', 'c', 'n'].includes(token.m) &&
      token.q === queryKey &&
      optional(token.c, 'string') &&
      optional(token.a, 'string') &&
      optional(token.n, 'string') &&
      (token.s === undefined || (Number.isInteger(token.s) && token.s >= 1 && token.s <= MAX_LIMIT)) &&
      (token.i === undefined || (Number.isInteger(token.i) && token.i >= 0))
    ) {
      return token;
    }
  } catch {
    // fall through
  }
  throw new AppError(
    'invalidParams',
    'continue token is invalid or belongs to another query; repeat the same query without `continue` to start over',
  );
}

const keyOf = (o: KubeObject): string => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;

/**
 * Skips what an earlier call already returned when a server page is re-read: everything up to and
 * including the key `last`. The list comes in key order, so once an item after `last` is seen (or
 * `last` itself) the guard is done; until then it holds across server pages. If `last` is gone (deleted
 * since), items are skipped by key comparison instead of being returned again.
 */
class Skipper {
  constructor(private last: string | undefined) {}

  fresh(items: KubeObject[]): KubeObject[] {
    const last = this.last;
    if (last === undefined) return items;
    const index = items.findIndex((o) => keyOf(o) === last);
    if (index >= 0) {
      this.last = undefined;
      return items.slice(index + 1);
    }
    const first = items.findIndex((o) => keyOf(o) > last);
    if (first < 0) return [];
    this.last = undefined;
    return items.slice(first);
  }
}

function clampLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_LIMIT;
  return Math.max(1, Math.min(MAX_LIMIT, Math.floor(limit)));
}

export async function listAcross(
  api: K0rdentApi,
  resource: K0rdentResource,
  scope: ListScope,
  query: ListQuery,
  call?: CallOptions,
): Promise<ListPage> {
  const limit = clampLimit(query.limit);
  const token = query.continue ? decodeToken(query.continue, scope.queryKey) : undefined;
  const base = { labelSelector: query.labelSelector };

  // A state filter in one namespace reads on until the page is full, as the cluster-wide listing does.
  if (scope.namespace !== undefined && scope.keep !== undefined)
    return {
      ...(await listClusterWide(api, resource, scope, limit, base.labelSelector, token, call, scope.namespace)),
      strategy: 'namespace',
    };
  if (scope.namespace !== undefined) {
    const page = await api.list(resource, { ...base, namespace: scope.namespace, limit, continue: token?.c }, call);
    return {
      items: page.items,
      strategy: 'namespace',
      ...(page.continue ? { continue: encodeToken({ m: 'o', q: scope.queryKey, c: page.continue }) } : {}),
    };
  }

  const access = listAccessOf(api);
  if (token?.m !== 'n' && access.clusterRefusal(resource.plural) === undefined) {
    try {
      return await listClusterWide(api, resource, scope, limit, base.labelSelector, token, call);
    } catch (error) {
      if (!(error instanceof AppError && error.code === 'forbidden')) throw error;
      access.refuseCluster(resource.plural, error);
    }
  }
  return listPerNamespace(api, access, resource, scope, limit, base.labelSelector, token?.m === 'n' ? token : undefined, call);
}

async function listClusterWide(
  api: K0rdentApi,
  resource: K0rdentResource,
  scope: ListScope,
  limit: number,
  labelSelector: string | undefined,
  token: Token | undefined,
  call?: CallOptions,
  namespace?: string,
): Promise<ListPage> {
  const out: KubeObject[] = [];
  let serverToken = token?.c;
  const skip = new Skipper(token?.a);
  // Pages start at `limit` (or, when resuming inside a page, at the size that page was read with, so
  // the re-read is the same page); once the policy filters items out, larger pages keep the number of
  // round trips down.
  let pageSize = token?.a !== undefined && token.s !== undefined ? token.s : limit;
  for (;;) {
    const size = pageSize;
    const page = await api.list(resource, { labelSelector, limit: size, continue: serverToken, namespace }, call);
    const fresh = skip.fresh(page.items);
    const kept = fresh.filter((o) => scope.include(o.metadata?.namespace ?? '') && (scope.keep?.(o) ?? true));
    if (kept.length < fresh.length) pageSize = MAX_LIMIT;
    for (let k = 0; k < kept.length; k++) {
      out.push(kept[k] as KubeObject);
      if (out.length === limit) {
        const next: Token | undefined =
          k + 1 < kept.length
            ? { m: 'c', q: scope.queryKey, c: serverToken, a: keyOf(kept[k] as KubeObject), s: size }
            : page.continue
              ? { m: 'c', q: scope.queryKey, c: page.continue }
              : undefined;
        return { items: out, strategy: 'cluster', ...(next ? { continue: encodeToken(next) } : {}) };
      }
    }
    if (!page.continue) return { items: out, strategy: 'cluster' };
    // The skip guard (if `last` was not passed in this page) carries over to the next server page.
    serverToken = page.continue;
  }
}

function stripUndefined(token: Token): Token {
  return Object.fromEntries(Object.entries(token).filter(([, v]) => v !== undefined)) as unknown as Token;
}

/** Where a fallback token resumes: at its namespace by name (the list may have changed since), else by index. */
function resumeIndex(namespaces: string[], token: Token | undefined): number {
  if (token === undefined) return 0;
  if (token.n !== undefined) {
    const name = token.n;
    const index = namespaces.findIndex((ns) => ns >= name);
    return index < 0 ? namespaces.length : index;
  }
  return token.i ?? 0;
}

async function listPerNamespace(
  api: K0rdentApi,
  access: ListAccess,
  resource: K0rdentResource,
  scope: ListScope,
  limit: number,
  labelSelector: string | undefined,
  token: Token | undefined,
  call?: CallOptions,
): Promise<ListPage> {
  const candidates = [...(await scope.namespaces())].sort();
  // Namespaces that refused this LIST within the TTL are not asked again.
  let remembered: AppError | undefined;
  const namespaces = candidates.filter((ns) => {
    const refusal = access.namespaceRefusal(resource.plural, ns);
    remembered ??= refusal;
    return refusal === undefined;
  });
  const out: KubeObject[] = [];
  let index = resumeIndex(namespaces, token);
  // The token's position inside its namespace applies only if that namespace is still the one at `index`.
  const resumesInside = token !== undefined && (token.n === undefined || namespaces[index] === token.n);
  let serverToken = resumesInside ? token.c : undefined;
  let skip = new Skipper(resumesInside ? token.a : undefined);
  // Re-read the page the token points into with the size it was read with (see Token.s).
  let firstSize = resumesInside && token.a !== undefined ? token.s : undefined;
  let answered = 0;
  let forbidden: AppError | undefined;
  const position = (nsIndex: number): Pick<Token, 'm' | 'q' | 'i' | 'n'> => ({
    m: 'n',
    q: scope.queryKey,
    i: nsIndex,
    n: namespaces[nsIndex],
  });
  while (index < namespaces.length) {
    const batch = namespaces.slice(index, index + NAMESPACE_CONCURRENCY);
    const remaining = limit - out.length;
    const sizes = batch.map((_, j) => (j === 0 && firstSize !== undefined ? firstSize : remaining));
    firstSize = undefined;
    const results = await Promise.all(
      batch.map(async (namespace, j): Promise<KubeList | AppError> => {
        try {
          const page = await api.list(
            resource,
            { labelSelector, namespace, limit: sizes[j], continue: j === 0 ? serverToken : undefined },
            call,
          );
          access.record(resource.plural, namespace, true);
          return page;
        } catch (error) {
          // A namespace the identity may not read is skipped (and remembered); anything else fails the call.
          if (error instanceof AppError && error.code === 'forbidden') {
            access.record(resource.plural, namespace, error);
            return error;
          }
          throw error;
        }
      }),
    );
    let restart = false;
    for (let j = 0; j < results.length && !restart; j++) {
      const result = results[j] as KubeList | AppError;
      const nsIndex = index + j;
      const usedToken = j === 0 ? serverToken : undefined;
      if (result instanceof AppError) {
        forbidden = result;
        continue;
      }
      answered++;
      const items = (j === 0 ? skip.fresh(result.items) : result.items).filter((o) => scope.keep?.(o) ?? true);
      for (let k = 0; k < items.length; k++) {
        out.push(items[k] as KubeObject);
        if (out.length === limit) {
          const next: Token | undefined =
            k + 1 < items.length
              ? { ...position(nsIndex), c: usedToken, a: keyOf(items[k] as KubeObject), s: sizes[j] }
              : result.continue
                ? { ...position(nsIndex), c: result.continue }
                : nsIndex + 1 < namespaces.length
                  ? position(nsIndex + 1)
                  : undefined;
          return { items: out, strategy: 'namespaces', ...(next ? { continue: encodeToken(next) } : {}) };
        }
      }
      if (result.continue) {
        // More in this namespace than the batch asked for: re-read from here. A skip guard not yet
        // passed (j = 0) carries over to the next server page of the same namespace.
        index = nsIndex;
        serverToken = result.continue;
        if (j !== 0) skip = new Skipper(undefined);
        restart = true;
      }
    }
    if (!restart) {
      index += batch.length;
      serverToken = undefined;
      skip = new Skipper(undefined);
    }
  }
  // Only a fresh listing where every namespace refused (now or within the TTL) is a refusal; a later
  // page may just end on one.
  const refused = forbidden ?? remembered;
  if (answered === 0 && refused && token === undefined) throw refused;
  return { items: out, strategy: 'namespaces' };
}
