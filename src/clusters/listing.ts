/**
 * Listing across the readable namespaces at a cost that does not grow with the number of namespaces:
 * one cluster-wide LIST (paged) filtered by the policy; on 403, bounded-concurrency per-namespace
 * LISTs. Our own `continue` token wraps the server's so a page can end in the middle of a server page.
 */
import { AppError } from '../errors.js';
import type { K0rdentResource } from '../k0rdent/resources.js';
import type { CallOptions, K0rdentApi, KubeList, KubeObject } from './kube-api.js';

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
  /** namespace index (fallback) */
  i?: number;
}

function encodeToken(token: Token): string {
  return Buffer.from(JSON.stringify(token)).toString('base64url');
}

function decodeToken(text: string, queryKey: string): Token {
  try {
    const token = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Token;
    if (typeof token === 'object' && token !== null && ['o', 'c', 'n'].includes(token.m) && token.q === queryKey) return token;
  } catch {
    // fall through
  }
  throw new AppError('invalidParams', 'continue token is invalid or belongs to another query; repeat the same query without `continue` to start over');
}

const keyOf = (o: KubeObject): string => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;

/** Items of a re-read page that come after the last one already returned. */
function after(items: KubeObject[], last: string | undefined): KubeObject[] {
  if (last === undefined) return items;
  const index = items.findIndex((o) => keyOf(o) === last);
  return index >= 0 ? items.slice(index + 1) : items.filter((o) => keyOf(o) > last);
}

function clampLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_LIMIT;
  return Math.max(1, Math.min(MAX_LIMIT, Math.floor(limit)));
}

export async function listAcross(api: K0rdentApi, resource: K0rdentResource, scope: ListScope, query: ListQuery, call?: CallOptions): Promise<ListPage> {
  const limit = clampLimit(query.limit);
  const token = query.continue ? decodeToken(query.continue, scope.queryKey) : undefined;
  const base = { labelSelector: query.labelSelector };

  if (scope.namespace !== undefined) {
    const page = await api.list(resource, { ...base, namespace: scope.namespace, limit, continue: token?.c }, call);
    return { items: page.items, strategy: 'namespace', ...(page.continue ? { continue: encodeToken({ m: 'o', q: scope.queryKey, c: page.continue }) } : {}) };
  }

  if (token?.m !== 'n') {
    try {
      return await listClusterWide(api, resource, scope, limit, base.labelSelector, token, call);
    } catch (error) {
      if (!(error instanceof AppError && error.code === 'forbidden')) throw error;
    }
  }
  return listPerNamespace(api, resource, scope, limit, base.labelSelector, token?.m === 'n' ? token : undefined, call);
}

async function listClusterWide(api: K0rdentApi, resource: K0rdentResource, scope: ListScope, limit: number, labelSelector: string | undefined, token: Token | undefined, call?: CallOptions): Promise<ListPage> {
  const out: KubeObject[] = [];
  let serverToken = token?.c;
  let last = token?.a;
  // Pages start at `limit`; once the policy filters items out, larger pages keep the number of
  // round trips down (resuming skips by key, so the page size may differ between calls).
  let pageSize = limit;
  for (;;) {
    const page = await api.list(resource, { labelSelector, limit: pageSize, continue: serverToken }, call);
    const fresh = after(page.items, last);
    const kept = fresh.filter((o) => scope.include(o.metadata?.namespace ?? ''));
    if (kept.length < fresh.length) pageSize = MAX_LIMIT;
    for (let k = 0; k < kept.length; k++) {
      out.push(kept[k] as KubeObject);
      if (out.length === limit) {
        const next: Token | undefined =
          k + 1 < kept.length ? { m: 'c', q: scope.queryKey, c: serverToken, a: keyOf(kept[k] as KubeObject) } : page.continue ? { m: 'c', q: scope.queryKey, c: page.continue } : undefined;
        return { items: out, strategy: 'cluster', ...(next ? { continue: encodeToken(stripUndefined(next)) } : {}) };
      }
    }
    if (!page.continue) return { items: out, strategy: 'cluster' };
    serverToken = page.continue;
    last = undefined;
  }
}

function stripUndefined(token: Token): Token {
  return Object.fromEntries(Object.entries(token).filter(([, v]) => v !== undefined)) as unknown as Token;
}

async function listPerNamespace(api: K0rdentApi, resource: K0rdentResource, scope: ListScope, limit: number, labelSelector: string | undefined, token: Token | undefined, call?: CallOptions): Promise<ListPage> {
  const namespaces = [...(await scope.namespaces())].sort();
  const out: KubeObject[] = [];
  let index = token?.i ?? 0;
  let serverToken = token?.c;
  let last = token?.a;
  let answered = 0;
  let forbidden: AppError | undefined;
  while (index < namespaces.length) {
    const batch = namespaces.slice(index, index + NAMESPACE_CONCURRENCY);
    const remaining = limit - out.length;
    const results = await Promise.all(
      batch.map(async (namespace, j): Promise<KubeList | AppError> => {
        try {
          return await api.list(resource, { labelSelector, namespace, limit: remaining, continue: j === 0 ? serverToken : undefined }, call);
        } catch (error) {
          // A namespace the identity may not read is skipped; anything else fails the call.
          if (error instanceof AppError && error.code === 'forbidden') return error;
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
      const items = after(result.items, j === 0 ? last : undefined);
      for (let k = 0; k < items.length; k++) {
        out.push(items[k] as KubeObject);
        if (out.length === limit) {
          const next: Token | undefined =
            k + 1 < items.length
              ? { m: 'n', q: scope.queryKey, i: nsIndex, c: usedToken, a: keyOf(items[k] as KubeObject) }
              : result.continue
                ? { m: 'n', q: scope.queryKey, i: nsIndex, c: result.continue }
                : nsIndex + 1 < namespaces.length
                  ? { m: 'n', q: scope.queryKey, i: nsIndex + 1 }
                  : undefined;
          return { items: out, strategy: 'namespaces', ...(next ? { continue: encodeToken(stripUndefined(next)) } : {}) };
        }
      }
      if (result.continue) {
        // More in this namespace than the batch asked for: re-read from here.
        index = nsIndex;
        serverToken = result.continue;
        last = undefined;
        restart = true;
      }
    }
    if (!restart) {
      index += batch.length;
      serverToken = undefined;
      last = undefined;
    }
  }
  // Only a fresh listing where every namespace refused is a refusal; a later page may just end on one.
  if (answered === 0 && forbidden && token === undefined) throw forbidden;
  return { items: out, strategy: 'namespaces' };
}
