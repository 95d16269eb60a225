/**
 * k0.namespaces.list: the readable namespaces with what helps choose one — what the caller may do there
 * (canRead, canDeploy, canDelete: the namespace filter AND the API server's SelfSubjectRulesReview of the
 * caller's own permissions, one per namespace, remembered per identity: src/shared/access-review.ts) and how
 * many credentials, templates and deployments each holds. The counts come from one metadata-only LIST per
 * kind across all namespaces, so the cost does not grow with the namespace count; an identity refused the
 * cluster-wide LIST gets per-namespace LISTs instead, only where its review says it may list, and a count it
 * may not read is absent (never a 0 it did not see).
 */
import type { CallOptions, KubeObject } from '../kube/k0rdent-api.js';
import type { ReadContext } from '../shared/read-context.js';
import { AppError } from '../errors.js';
import { CLUSTER_DEPLOYMENT, CLUSTER_TEMPLATE, CREDENTIAL, K0RDENT_GROUP, type K0rdentResource } from '../k0rdent/resources.js';
import { mayI } from '../shared/access-review.js';
import { pageOf } from '../paging.js';
import type { z } from 'zod';
import type { namespacePage, namespaceSummary } from './results.js';

export const DEFAULT_NAMESPACE_LIMIT = 100;
const NAMESPACE_CONCURRENCY = 8;

/**
 * global: the global namespace (shared templates and credentials); writable: the namespace filter lets tools write
 * here and the API server lets the caller deploy, update or delete here; canRead: may list ClusterDeployments here
 * (absent: the API server gave no review); canDeploy / canDelete: filter and API server allow creating / deleting
 * ClusterDeployments here (k0.clusters.deploy / delete); the counts are absent when the caller may not list that kind.
 */
export type NamespaceSummary = z.infer<typeof namespaceSummary>;

/** What the caller may do in one namespace, by the API server's review; undefined per question it did not answer. */
interface Permissions {
  list: Partial<Record<K0rdentResource['plural'], boolean>>;
  create: boolean | undefined;
  patch: boolean | undefined;
  delete: boolean | undefined;
}

async function permissionsIn(ctx: ReadContext, namespace: string, call: CallOptions): Promise<Permissions> {
  const ask = async (verb: string, resource: K0rdentResource): Promise<boolean | undefined> =>
    (await mayI(ctx.api, { verb, group: K0RDENT_GROUP, resource: resource.plural, namespace }, call))?.allowed;
  const [credentials, templates, deployments, create, patch, del] = await Promise.all([
    ask('list', CREDENTIAL),
    ask('list', CLUSTER_TEMPLATE),
    ask('list', CLUSTER_DEPLOYMENT),
    ask('create', CLUSTER_DEPLOYMENT),
    ask('patch', CLUSTER_DEPLOYMENT),
    ask('delete', CLUSTER_DEPLOYMENT),
  ]);
  return {
    list: { [CREDENTIAL.plural]: credentials, [CLUSTER_TEMPLATE.plural]: templates, [CLUSTER_DEPLOYMENT.plural]: deployments },
    create,
    patch,
    delete: del,
  };
}

async function mapBatched<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += NAMESPACE_CONCURRENCY)
    out.push(...(await Promise.all(items.slice(i, i + NAMESPACE_CONCURRENCY).map(fn))));
  return out;
}

/** countedBy `cluster`: one LIST per kind; `namespaces`: per-namespace LISTs (cluster-wide LIST refused). */
export type NamespacePage = z.infer<typeof namespacePage>;

function countBy(items: readonly KubeObject[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const o of items) {
    const ns = o.metadata?.namespace ?? '';
    counts.set(ns, (counts.get(ns) ?? 0) + 1);
  }
  return counts;
}

async function perNamespace(
  ctx: ReadContext,
  resource: K0rdentResource,
  namespaces: readonly string[],
  permissions: ReadonlyMap<string, Permissions>,
  call: CallOptions,
): Promise<Map<string, number | undefined>> {
  const counts = new Map<string, number | undefined>();
  const sizes = await mapBatched(namespaces, async (ns) => {
    // The review says no: no LIST to be refused.
    if (permissions.get(ns)?.list[resource.plural] === false) return undefined;
    return ctx.api.listMetadata(resource, ns, call).then(
      (items) => items.length,
      (error: unknown) => {
        if (error instanceof AppError && error.code === 'forbidden') return undefined;
        throw error;
      },
    );
  });
  namespaces.forEach((ns, j) => counts.set(ns, sizes[j]));
  return counts;
}

export async function listNamespaces(
  ctx: ReadContext,
  request: { limit?: number | undefined; continue?: string | undefined },
  call: CallOptions,
): Promise<NamespacePage> {
  const readable = await ctx.readableNamespaces(call);
  // Only the page's namespaces are reviewed and counted.
  const { items: names, continue: next } = pageOf(readable, request.limit ?? DEFAULT_NAMESPACE_LIMIT, request.continue, 'namespaces');
  const reviews = await mapBatched(names, (ns) => permissionsIn(ctx, ns, call));
  const permissions = new Map(names.map((ns, i) => [ns, reviews[i] as Permissions]));
  const kinds = [CREDENTIAL, CLUSTER_TEMPLATE, CLUSTER_DEPLOYMENT] as const;
  let countedBy: NamespacePage['countedBy'] = 'cluster';
  let counts: Map<string, number | undefined>[];
  try {
    counts = await Promise.all(kinds.map(async (kind) => countBy(await ctx.api.listMetadata(kind, undefined, call))));
  } catch (error) {
    if (!(error instanceof AppError && error.code === 'forbidden')) throw error;
    countedBy = 'namespaces';
    counts = await Promise.all(kinds.map((kind) => perNamespace(ctx, kind, names, permissions, call)));
  }
  const [credentials, templates, deployments] = counts as [
    Map<string, number | undefined>,
    Map<string, number | undefined>,
    Map<string, number | undefined>,
  ];
  // A cluster-wide count covers every namespace (0 where none); a per-namespace one only those that answered.
  const count = (map: Map<string, number | undefined>, ns: string): number | undefined =>
    countedBy === 'cluster' ? (map.get(ns) ?? 0) : map.get(ns);
  const G = ctx.policy.rules.globalNamespace;
  const items = names.map((name): NamespaceSummary => {
    const filter = ctx.policy.isWritable(name);
    const p = permissions.get(name);
    // Without an answer from the API server, the filter alone (the API server still refuses what it does not allow).
    const api = (allowed: boolean | undefined): boolean => allowed !== false;
    const canDeploy = p?.create === undefined ? undefined : filter && p.create;
    const canDelete = p?.delete === undefined ? undefined : filter && p.delete;
    const canRead = p?.list[CLUSTER_DEPLOYMENT.plural];
    const summary: NamespaceSummary = {
      name,
      global: name === G,
      writable: filter && (api(p?.create) || api(p?.patch) || api(p?.delete)),
      ...(canRead !== undefined ? { canRead } : {}),
      ...(canDeploy !== undefined ? { canDeploy } : {}),
      ...(canDelete !== undefined ? { canDelete } : {}),
    };
    const c = count(credentials, name);
    const t = count(templates, name);
    const d = count(deployments, name);
    if (c !== undefined) summary.credentials = c;
    if (t !== undefined) summary.templates = t;
    if (d !== undefined) summary.deployments = d;
    return summary;
  });
  return { items, ...(next !== undefined ? { continue: next } : {}), countedBy };
}
