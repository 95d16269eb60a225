/**
 * Honest "not found": a namespace that does not exist is `notFound` naming the readable namespaces and the
 * nearest one (instead of an empty list or a silent `not_found`), and a name absent from one namespace is
 * looked up in the other readable ones so the answer can say where it is. Only run on the unhappy path.
 */
import { AppError, echo, type ErrorCode } from '../errors.js';
import {
  ACCESS_MANAGEMENT_NAME,
  CLUSTER_DEPLOYMENT,
  CLUSTER_TEMPLATE,
  CREDENTIAL,
  SERVICE_TEMPLATE,
  type K0rdentResource,
} from '../k0rdent/resources.js';
import type { NamespacePolicy } from '../policy/index.js';
import type { CallOptions, K0rdentApi } from '../kube/k0rdent-api.js';
import { TOOL, toolRef, type ToolId } from '../tool-names.js';
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

/** A namespaced kind a tool takes by name, and the tool that lists what there is of it. */
export interface NamedKind {
  readonly resource: K0rdentResource;
  readonly listTool: ToolId;
  /** Plural noun for "lists the … there" (e.g. "deployments"). */
  readonly noun: string;
}

/** The kinds whose absence every tool answers in the one shape (missingObject); keyed by kind. */
export const NAMED_KINDS: Readonly<Record<string, NamedKind>> = {
  [CLUSTER_DEPLOYMENT.kind]: { resource: CLUSTER_DEPLOYMENT, listTool: TOOL.clustersList, noun: 'deployments' },
  [CLUSTER_TEMPLATE.kind]: { resource: CLUSTER_TEMPLATE, listTool: TOOL.clustersListTemplates, noun: 'cluster templates' },
  [CREDENTIAL.kind]: { resource: CREDENTIAL, listTool: TOOL.clustersListCredentials, noun: 'credentials' },
  [SERVICE_TEMPLATE.kind]: { resource: SERVICE_TEMPLATE, listTool: TOOL.servicesListTemplates, noun: 'service templates' },
};

/** What a not-found answer found out: the nearest name in the namespace asked, the other namespaces holding the exact name. */
export interface MissingFacts {
  kind: string;
  name: string;
  namespace: string;
  /** The nearest existing name in `namespace` (a typo is the usual cause). */
  suggestion?: string;
  /** Other readable namespaces where an object of exactly this name exists. */
  existsIn: string[];
  /** The tool that lists what there is. */
  listTool: string;
}

/** Names in `namespace`, or [] when this identity may not list them. */
async function namesIn(api: K0rdentApi, resource: K0rdentResource, namespace: string, call: CallOptions): Promise<string[]> {
  try {
    return (await api.listMetadata(resource, namespace, call)).map((o) => o.metadata?.name ?? '').filter((n) => n !== '');
  } catch (error) {
    if (error instanceof AppError && (error.code === 'forbidden' || error.code === 'unauthorized')) return [];
    throw error;
  }
}

/**
 * Why `name` is not in `namespace`, looked up on the unhappy path only: throws `notFound` for a namespace that
 * does not exist; else the nearest name there and the other readable namespaces holding the exact name.
 */
export async function missingFacts(
  api: K0rdentApi,
  policy: NamespacePolicy,
  kind: NamedKind,
  name: string,
  namespace: string,
  call: CallOptions,
): Promise<MissingFacts> {
  await assertNamespaceExists(api, policy, namespace, call);
  const [names, existsIn] = await Promise.all([
    namesIn(api, kind.resource, namespace, call),
    namespacesHolding(api, policy, kind.resource, name, namespace, call),
  ]);
  // The exact name elsewhere explains the miss better than a look-alike here (which would only mislead).
  const suggestion =
    existsIn.length > 0
      ? undefined
      : nearestName(
          name,
          names.filter((n) => n !== name),
        );
  return {
    kind: kind.resource.kind,
    name,
    namespace,
    ...(suggestion !== undefined ? { suggestion } : {}),
    existsIn,
    listTool: toolRef(kind.listTool),
  };
}

/**
 * The one sentence of hints: "Did you mean "x"? ClusterDeployment "y" exists in namespace "z"; pass that
 * `namespace` to act on it. k0.clusters.list {namespace: "n"} lists the deployments there."
 */
export function missingHints(facts: MissingFacts, kind: NamedKind): string {
  const parts: string[] = [];
  if (facts.suggestion !== undefined) parts.push(`Did you mean "${facts.suggestion}"?`);
  const where = whereHint(facts.kind, facts.name, facts.existsIn);
  if (where !== undefined) parts.push(`${where}.`);
  parts.push(`${facts.listTool} {"namespace": "${facts.namespace}"} lists the ${kind.noun} there.`);
  return parts.join(' ');
}

/** The details of a not-found answer (the same keys from every tool). */
export function missingDetails(facts: MissingFacts): Record<string, unknown> {
  return {
    kind: facts.kind,
    name: facts.name,
    namespace: facts.namespace,
    ...(facts.suggestion !== undefined ? { suggestion: facts.suggestion } : {}),
    ...(facts.existsIn.length > 0 ? { existsIn: facts.existsIn } : {}),
    listTool: facts.listTool,
  };
}

export interface MissingObject {
  /** The kind asked for (a key of NAMED_KINDS). */
  kind: NamedKind;
  name: string;
  namespace: string;
  /** How the namespace is said, when not `namespace "x"` (e.g. "the global namespace kcm-system (the default)"). */
  where?: string | undefined;
  /** A sentence after the first (e.g. how the template reaches this namespace). */
  note?: string | undefined;
  /** A sentence said only when nothing near was found (e.g. "create it with deploy"). */
  otherwise?: string | undefined;
  code?: ErrorCode;
}

/**
 * The error for `name` absent from `namespace`, in the one shape every tool answers: what is missing, the
 * nearest name there, the readable namespaces where the exact name exists, the tool that lists what there is.
 * (A namespace that does not exist throws its own notFound first.)
 */
export async function missingObject(
  api: K0rdentApi,
  policy: NamespacePolicy,
  missing: MissingObject,
  call: CallOptions,
): Promise<AppError> {
  const facts = await missingFacts(api, policy, missing.kind, missing.name, missing.namespace, call);
  const near = facts.suggestion !== undefined || facts.existsIn.length > 0;
  const message = [
    `${facts.kind} ${echo(missing.name)} does not exist in ${missing.where ?? `namespace "${missing.namespace}"`}.`,
    ...(missing.note !== undefined ? [missing.note] : []),
    missingHints(facts, missing.kind),
    ...(!near && missing.otherwise !== undefined ? [missing.otherwise] : []),
  ].join(' ');
  return new AppError(missing.code ?? 'notFound', message, missingDetails(facts));
}

/** How a template of the global namespace reaches another one (kcm's AccessManagement, or a ClusterTemplateChain). */
export function accessManagementNote(kind: string, name: string, namespace: string, globalNamespace: string): string {
  return `${kind} "${name}" exists in the global namespace "${globalNamespace}": it must first be made available in "${namespace}" through the AccessManagement "${ACCESS_MANAGEMENT_NAME}" (spec.accessRules) or a ${kind === 'ServiceTemplate' ? 'ServiceTemplateChain' : 'ClusterTemplateChain'}.`;
}

/** No `name` of this kind in any readable namespace (no namespace was given): notFound naming the nearest readable one and where it is. */
export async function missingEverywhere(
  api: K0rdentApi,
  policy: NamespacePolicy,
  kind: NamedKind,
  name: string,
  call: CallOptions,
): Promise<AppError> {
  const all = await api.listMetadata(kind.resource, undefined, call).catch(() => []);
  const readable = all.filter((o) => policy.isReadable(o.metadata?.namespace ?? ''));
  const suggestion = nearestName(
    name,
    readable.map((o) => o.metadata?.name ?? '').filter((n) => n !== '' && n !== name),
  );
  const suggestionIn = [...new Set(readable.filter((o) => o.metadata?.name === suggestion).map((o) => o.metadata?.namespace ?? ''))].sort();
  const listTool = toolRef(kind.listTool);
  return new AppError(
    'notFound',
    `${kind.resource.kind} ${echo(name)} does not exist in any namespace this server may read.${suggestion !== undefined ? ` Did you mean "${suggestion}" (namespace ${suggestionIn.map((ns) => `"${ns}"`).join(', ')})?` : ''} ${listTool} lists the ${kind.noun} there are.`,
    { kind: kind.resource.kind, name, ...(suggestion !== undefined ? { suggestion, suggestionIn } : {}), listTool },
  );
}
