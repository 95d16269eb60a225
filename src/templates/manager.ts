/**
 * k0.templates.get: one ClusterTemplate with what it takes to deploy it — its full chart JSON Schema (the
 * `schema-ct-*` ConfigMap, through the shared cache src/clusters/template-schemas.ts), defaults
 * (`status.config`), providers, version, the credentials in its namespace that fit it, the templates it may
 * be upgraded to (ClusterTemplateChains in that namespace) and an example config.
 */
import { isJsonObject } from '../shared/config-schema.js';
import type { CallOptions, KubeObject } from '../kube/k0rdent-api.js';
import type { ReadContext } from '../shared/read-context.js';
import { templateSchema } from '../clusters/template-schemas.js';
import { AppError } from '../errors.js';
import { accessManagementNote, missingObject, NAMED_KINDS } from '../shared/not-found.js';
import { credentialFit, fitsTemplate } from '../k0rdent/provider-fit.js';
import { cloudFromProviders } from '../k0rdent/providers.js';
import { CLUSTER_TEMPLATE, CLUSTER_TEMPLATE_CHAIN, CREDENTIAL } from '../k0rdent/resources.js';
import { assertObjectName } from '../policy/names.js';
import { providerInterfaces } from '../providers/catalog.js';
import { exampleConfig } from './example.js';
import type { z } from 'zod';
import type { fittingCredential, templateDetails } from './results.js';

export type FittingCredential = z.infer<typeof fittingCredential>;
/**
 * schema: the chart's values JSON Schema, whole; defaults: status.config, the chart defaults kcm merges under
 * spec.config; chains: names of the ClusterTemplateChains offering this template here.
 */
export type TemplateDetails = z.infer<typeof templateDetails>;

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** Templates a chain lets `name` be upgraded to, and the chains that offer it (kcm `clustertemplatechain_types.go`). */
export function upgradesFrom(chains: readonly KubeObject[], name: string): { upgradesTo: string[]; chains: string[] } {
  const upgrades = new Set<string>();
  const offering: string[] = [];
  for (const chain of chains) {
    const supported = Array.isArray(chain.spec?.supportedTemplates) ? chain.spec.supportedTemplates : [];
    for (const entry of supported) {
      if (!isJsonObject(entry) || entry.name !== name) continue;
      offering.push(chain.metadata?.name ?? '');
      for (const up of Array.isArray(entry.availableUpgrades) ? entry.availableUpgrades : [])
        if (isJsonObject(up) && typeof up.name === 'string') upgrades.add(up.name);
    }
  }
  return { upgradesTo: [...upgrades].sort(), chains: offering.sort() };
}

export async function getTemplate(
  ctx: ReadContext,
  request: { name: string; namespace?: string | undefined; detail?: 'summary' | 'full' | undefined },
  call: CallOptions,
  onNamespace?: (namespace: string) => void,
): Promise<TemplateDetails> {
  assertObjectName(request.name, 'name');
  const namespace = request.namespace ?? ctx.policy.rules.globalNamespace;
  ctx.policy.assertReadable(namespace);
  onNamespace?.(namespace);
  const template = await ctx.api.get(CLUSTER_TEMPLATE, namespace, request.name, call);
  if (template === undefined) {
    const global = ctx.policy.rules.globalNamespace;
    // In the global namespace only: say how it reaches this one, as deploy does (src/clusters/deploy.ts checkReferences).
    const inGlobal =
      namespace !== global && ctx.policy.isReadable(global)
        ? (await ctx.api.get(CLUSTER_TEMPLATE, global, request.name, call).catch(() => undefined)) !== undefined
        : false;
    throw await missingObject(
      ctx.api,
      ctx.policy,
      {
        kind: NAMED_KINDS[CLUSTER_TEMPLATE.kind]!,
        name: request.name,
        namespace,
        where:
          request.namespace === undefined ? `the global namespace "${namespace}" (the default; pass \`namespace\` for another)` : undefined,
        note: inGlobal ? accessManagementNote(CLUSTER_TEMPLATE.kind, request.name, namespace, global) : undefined,
      },
      call,
    );
  }
  const [schema, credentials, chains, catalog] = await Promise.all([
    templateSchema(ctx.api, template, call, ctx.logger),
    ctx.api.list(CREDENTIAL, { namespace, limit: 500 }, call),
    ctx.api.list(CLUSTER_TEMPLATE_CHAIN, { namespace, limit: 500 }, call).catch((error: unknown) => {
      if (error instanceof AppError && (error.code === 'forbidden' || error.code === 'notFound')) return { items: [] };
      throw error;
    }),
    providerInterfaces(ctx.api, call, ctx.logger),
  ]);
  const status = template.status ?? {};
  const providers = strings(status.providers).length > 0 ? strings(status.providers) : strings(template.spec?.providers);
  const defaults = isJsonObject(status.config) ? status.config : {};
  const fitting: FittingCredential[] = [];
  for (const c of credentials.items) {
    const ref = isJsonObject(c.spec?.identityRef) ? c.spec.identityRef : {};
    const fit = credentialFit(
      { name: c.metadata?.name ?? '', labels: c.metadata?.labels, identityKind: str(ref.kind), identityName: str(ref.name) },
      catalog.interfaces,
    );
    if (fitsTemplate(fit, providers))
      fitting.push({ name: c.metadata?.name ?? '', ready: c.status?.ready === true, provider: fit.provider, providerBasis: fit.basis });
  }
  const example = exampleConfig(schema, defaults);
  return compact({
    name: request.name,
    namespace,
    description: str(status.description),
    providers,
    cloud: cloudFromProviders(providers),
    version: str(status.chartVersion),
    k8sVersion: str(template.spec?.k8sVersion) ?? str(status.k8sVersion),
    valid: status.valid === true,
    validationError: str(status.validationError),
    schemaSource: schema === undefined ? ('none' as const) : ('schema' as const),
    // The whole schema only when asked (issue 25 item 4): ~10 KB of AWS's 15 KB; required and example say what to set.
    schema: request.detail === 'full' ? schema : undefined,
    defaults,
    ...example,
    credentials: fitting.sort((a, b) => a.name.localeCompare(b.name)),
    ...upgradesFrom(chains.items, request.name),
  });
}
