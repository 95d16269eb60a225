/**
 * k0.providers.list: the infrastructure providers the management cluster runs — the Management `kcm`
 * status (`components` with their `exposedProviders`, `availableProviders`; kcm `api/v1beta1/
 * management_types.go`) and the ProviderTemplates — each with the ClusterIdentity kinds its
 * ProviderInterface accepts, the ClusterTemplates that need it and the Credentials that fit it, in the
 * readable namespaces.
 */
import type { CallOptions, KubeObject } from '../kube/k0rdent-api.js';
import { listAcross } from '../shared/listing.js';
import type { ReadContext } from '../shared/read-context.js';
import { AppError } from '../errors.js';
import { credentialFit, INTERNAL_PROVIDER, shortProvider, templateInfrastructure, withInternal } from '../k0rdent/provider-fit.js';
import {
  CLUSTER_TEMPLATE,
  CREDENTIAL,
  MANAGEMENT,
  MANAGEMENT_NAME,
  PROVIDER_TEMPLATE,
  type K0rdentResource,
} from '../k0rdent/resources.js';
import { pageOf } from '../paging.js';
import { providerInterfaces } from './catalog.js';
import type { z } from 'zod';
import type { providerPage, providerSummary } from './results.js';

/** Per provider, at most this many template names and credentials are listed (the counts are exact). */
export const MAX_LISTED = 50;
const MAX_PAGES = 20;

/**
 * name: short (`aws`, `internal`); available: listed in Management status.availableProviders; component,
 * template, version: the Management component exposing it, its ProviderTemplate and chart version.
 */
export type ProviderSummary = z.infer<typeof providerSummary>;
/** managementError: set when the Management object could not be read (its facts are then missing). */
export type ProviderPage = z.infer<typeof providerPage>;

type Raw = Record<string, unknown>;
const rec = (v: unknown): Raw => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Raw) : {});
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

async function everything(ctx: ReadContext, resource: K0rdentResource, call: CallOptions): Promise<KubeObject[]> {
  const include = (ns: string): boolean => ctx.policy.isReadable(ns);
  const scope = {
    namespace: undefined,
    include,
    namespaces: async () => (await ctx.readableNamespaces(call)).filter(include),
    queryKey: `providers|${resource.plural}`,
  };
  const out: KubeObject[] = [];
  let next: string | undefined;
  for (let i = 0; i < MAX_PAGES; i++) {
    const page = await listAcross(ctx.api, resource, scope, { limit: 500, continue: next }, call);
    out.push(...page.items);
    next = page.continue;
    if (next === undefined) break;
  }
  return out;
}

async function optional<T>(read: Promise<T>, fallback: T): Promise<{ value: T; error?: string }> {
  try {
    return { value: await read };
  } catch (error) {
    if (error instanceof AppError && (error.code === 'forbidden' || error.code === 'notFound'))
      return { value: fallback, error: error.message };
    throw error;
  }
}

export async function listProviders(
  ctx: ReadContext,
  request: { limit?: number | undefined; continue?: string | undefined },
  call: CallOptions,
): Promise<ProviderPage> {
  const [catalog, management, providerTemplates, templates, credentials] = await Promise.all([
    providerInterfaces(ctx.api, call, ctx.logger),
    optional(ctx.api.getClusterScoped(MANAGEMENT, MANAGEMENT_NAME, call), undefined),
    optional(
      ctx.api.list(PROVIDER_TEMPLATE, {}, call).then((l) => l.items),
      [] as KubeObject[],
    ),
    everything(ctx, CLUSTER_TEMPLATE, call),
    everything(ctx, CREDENTIAL, call),
  ]);
  const status = rec(management.value?.status);
  const available = new Set(strings(status.availableProviders));
  const components = rec(status.components);
  const templateByName = new Map(providerTemplates.value.map((t) => [t.metadata?.name ?? '', t]));
  const interfaces = withInternal(catalog.interfaces);
  const names = new Set(interfaces.map((i) => i.provider));
  for (const p of available) if (p.startsWith('infrastructure-')) names.add(shortProvider(p));

  const fits = credentials.map((c) => {
    const ref = rec(c.spec?.identityRef);
    return {
      c,
      fit: credentialFit(
        { name: c.metadata?.name ?? '', labels: c.metadata?.labels, identityKind: str(ref.kind), identityName: str(ref.name) },
        catalog.interfaces,
      ),
    };
  });
  const items: ProviderSummary[] = [...names].sort().map((name) => {
    const infrastructure = `infrastructure-${name}`;
    const pi = interfaces.find((i) => i.provider === name);
    const component = Object.entries(components).find(([, c]) => strings(rec(c).exposedProviders).includes(infrastructure));
    const template = component ? str(rec(component[1]).template) : undefined;
    const providerTemplate = template !== undefined ? templateByName.get(template) : undefined;
    const byTemplate = new Map<string, string[]>();
    for (const t of templates) {
      const providers = strings(t.status?.providers).length > 0 ? strings(t.status?.providers) : strings(t.spec?.providers);
      if (!templateInfrastructure(providers).includes(name)) continue;
      const list = byTemplate.get(t.metadata?.name ?? '') ?? [];
      list.push(t.metadata?.namespace ?? '');
      byTemplate.set(t.metadata?.name ?? '', list);
    }
    const fitting = fits.filter(({ fit }) => fit.providers.includes(name));
    const summary: ProviderSummary = {
      name,
      infrastructure,
      ...(pi?.description !== undefined ? { description: pi.description } : {}),
      available: available.has(infrastructure),
      ...(component ? { component: component[0], installed: rec(component[1]).success === true } : {}),
      ...(template !== undefined ? { template } : {}),
      ...(str(providerTemplate?.status?.chartVersion) !== undefined ? { version: str(providerTemplate?.status?.chartVersion) } : {}),
      identityKinds: pi?.identityKinds ?? [],
      templates: [...byTemplate]
        .sort(([a], [b]) => a.localeCompare(b))
        .slice(0, MAX_LISTED)
        .map(([n, namespaces]) => ({ name: n, namespaces: namespaces.sort().slice(0, MAX_LISTED) })),
      templateCount: [...byTemplate.values()].reduce((sum, list) => sum + list.length, 0),
      credentials: fitting.slice(0, MAX_LISTED).map(({ c, fit }) => ({
        name: c.metadata?.name ?? '',
        namespace: c.metadata?.namespace ?? '',
        ready: c.status?.ready === true,
        basis: fit.basis,
      })),
      credentialCount: fitting.length,
    };
    if (name === INTERNAL_PROVIDER && summary.description === undefined) summary.description = 'Adopted clusters (built into kcm)';
    return summary;
  });
  const page = pageOf(items, request.limit ?? 100, request.continue, 'providers');
  return {
    ...page,
    interfacesFrom: catalog.source,
    ...(management.error !== undefined || management.value === undefined
      ? { managementError: management.error ?? `Management ${MANAGEMENT_NAME} does not exist` }
      : {}),
  };
}
