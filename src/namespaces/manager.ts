/**
 * k0.namespaces.list: the readable namespaces with what helps choose one — whether deploy and delete may
 * write there (the namespace filter) and how many credentials, templates and deployments each holds. The
 * counts come from one metadata-only LIST per kind across all namespaces, so the cost does not grow with
 * the namespace count; an identity refused the cluster-wide LIST gets per-namespace LISTs instead.
 */
import type { CallOptions, KubeObject } from '../kube/k0rdent-api.js';
import type { ReadContext } from '../shared/read-context.js';
import { AppError } from '../errors.js';
import { CLUSTER_DEPLOYMENT, CLUSTER_TEMPLATE, CREDENTIAL, type K0rdentResource } from '../k0rdent/resources.js';
import { pageOf } from '../paging.js';

export const DEFAULT_NAMESPACE_LIMIT = 100;
const NAMESPACE_CONCURRENCY = 8;

export interface NamespaceSummary {
  name: string;
  /** The global namespace (shared templates and credentials). */
  global: boolean;
  /** deploy/delete may write here (the namespace filter matches). */
  writable: boolean;
  credentials: number;
  templates: number;
  deployments: number;
}

export interface NamespacePage {
  items: NamespaceSummary[];
  continue?: string;
  /** `cluster`: one LIST per kind; `namespaces`: per-namespace LISTs (cluster-wide LIST refused). */
  countedBy: 'cluster' | 'namespaces';
}

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
  call: CallOptions,
): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (let i = 0; i < namespaces.length; i += NAMESPACE_CONCURRENCY) {
    const batch = namespaces.slice(i, i + NAMESPACE_CONCURRENCY);
    const sizes = await Promise.all(
      batch.map((ns) =>
        ctx.api.listMetadata(resource, ns, call).then(
          (items) => items.length,
          (error: unknown) => {
            if (error instanceof AppError && error.code === 'forbidden') return 0;
            throw error;
          },
        ),
      ),
    );
    batch.forEach((ns, j) => counts.set(ns, sizes[j] ?? 0));
  }
  return counts;
}

export async function listNamespaces(
  ctx: ReadContext,
  request: { limit?: number | undefined; continue?: string | undefined },
  call: CallOptions,
): Promise<NamespacePage> {
  const readable = await ctx.readableNamespaces(call);
  const kinds = [CREDENTIAL, CLUSTER_TEMPLATE, CLUSTER_DEPLOYMENT] as const;
  let countedBy: NamespacePage['countedBy'] = 'cluster';
  let counts: Map<string, number>[];
  try {
    counts = await Promise.all(kinds.map(async (kind) => countBy(await ctx.api.listMetadata(kind, undefined, call))));
  } catch (error) {
    if (!(error instanceof AppError && error.code === 'forbidden')) throw error;
    countedBy = 'namespaces';
    counts = await Promise.all(kinds.map((kind) => perNamespace(ctx, kind, readable, call)));
  }
  const [credentials, templates, deployments] = counts as [Map<string, number>, Map<string, number>, Map<string, number>];
  const G = ctx.policy.rules.globalNamespace;
  const all = readable.map((name) => ({
    name,
    global: name === G,
    writable: ctx.policy.isWritable(name),
    credentials: credentials.get(name) ?? 0,
    templates: templates.get(name) ?? 0,
    deployments: deployments.get(name) ?? 0,
  }));
  const page = pageOf(all, request.limit ?? DEFAULT_NAMESPACE_LIMIT, request.continue, 'namespaces');
  return { ...page, countedBy };
}
