/**
 * Honest "not found": a namespace that does not exist is `notFound` naming the readable namespaces and the
 * nearest one (instead of an empty list or a silent `not_found`), and a name absent from one namespace is
 * looked up in the other readable ones so the answer can say where it is. Only run on the unhappy path.
 */
import { AppError, echo } from '../errors.js';
import type { K0rdentResource } from '../k0rdent/resources.js';
import type { NamespacePolicy } from '../policy/index.js';
import type { CallOptions, K0rdentApi } from '../kube/k0rdent-api.js';
import { nearestName } from './suggest.js';

/** How many namespaces are probed one by one when a cluster-wide list is not allowed. */
const MAX_PROBED_NAMESPACES = 50;

/** Existing namespace names, or undefined when this identity may not list them (then nothing can be told). */
async function existingNamespaces(api: K0rdentApi, call: CallOptions): Promise<string[] | undefined> {
  try {
    return await api.listNamespaces(call);
  } catch (error) {
    if (error instanceof AppError && (error.code === 'forbidden' || error.code === 'unauthorized')) return undefined;
    throw error;
  }
}

/** Throws `notFound` when `namespace` does not exist, naming the readable namespaces and the nearest one. */
export async function assertNamespaceExists(api: K0rdentApi, policy: NamespacePolicy, namespace: string, call: CallOptions): Promise<void> {
  const existing = await existingNamespaces(api, call);
  if (existing === undefined || existing.includes(namespace)) return;
  const readable = policy.readable(existing).filter((ns) => existing.includes(ns));
  const suggestion = nearestName(namespace, readable);
  throw new AppError(
    'notFound',
    `namespace ${echo(namespace)} does not exist. Readable namespaces: ${readable.join(', ') || 'none'}.${suggestion ? ` Did you mean "${suggestion}"?` : ''}`,
    { namespace, readable, ...(suggestion ? { suggestion } : {}) },
  );
}

/** The other readable namespaces holding an object `name` of `resource` (sorted; empty when none or unknown). */
export async function namespacesHolding(
  api: K0rdentApi,
  policy: NamespacePolicy,
  resource: K0rdentResource,
  name: string,
  except: string,
  call: CallOptions,
): Promise<string[]> {
  const found = new Set<string>();
  try {
    const page = await api.list(resource, { fieldSelector: `metadata.name=${name}`, limit: 500 }, call);
    for (const item of page.items) {
      const ns = item.metadata?.namespace;
      if (item.metadata?.name === name && ns !== undefined && ns !== except && policy.isReadable(ns)) found.add(ns);
    }
    return [...found].sort();
  } catch (error) {
    if (!(error instanceof AppError) || (error.code !== 'forbidden' && error.code !== 'unauthorized')) return [];
  }
  // No cluster-wide list for this identity: probe the readable namespaces it may read, a bounded number.
  const existing = (await existingNamespaces(api, call).catch(() => undefined)) ?? [policy.rules.globalNamespace];
  const candidates = policy
    .readable(existing)
    .filter((ns) => ns !== except)
    .slice(0, MAX_PROBED_NAMESPACES);
  await Promise.all(
    candidates.map(async (ns) => {
      const object = await api.get(resource, ns, name, call).catch(() => undefined);
      if (object !== undefined) found.add(ns);
    }),
  );
  return [...found].sort();
}

/** "It exists in namespace(s) ...; pass `namespace`" or undefined. */
export function whereHint(kind: string, name: string, namespaces: readonly string[]): string | undefined {
  if (namespaces.length === 0) return undefined;
  const list = namespaces.map((ns) => `"${ns}"`).join(', ');
  return `${kind} "${name}" exists in namespace${namespaces.length > 1 ? 's' : ''} ${list}; pass that \`namespace\` to act on it`;
}
