/**
 * The namespace rules of docs/tools.md "Namespaces", in one place, used by every tool. Pure: callers pass the
 * existing namespaces when a rule needs them.
 */
import { AppError } from '../errors.js';
import type { AuthMode } from '../config/types.js';
import { assertNamespaceName } from './names.js';

export interface NamespaceRules {
  /** G: namespace of the global credentials and templates. */
  readonly globalNamespace: string;
  /** F: namespaces tools may touch; undefined = every namespace. */
  readonly filter: RegExp | undefined;
  readonly authMode: AuthMode;
  /** Target of deploy/delete without a namespace in DEV_ALLOW_ANY. */
  readonly defaultNamespaceDev: string;
}

/**
 * A filter test that is safe to call repeatedly: a `g`/`y` flag would make `RegExp.test` stateful.
 * Unanchored patterns match anywhere in the name, as Go's regexp.MatchString does.
 */
function filterMatches(filter: RegExp | undefined, namespace: string): boolean {
  if (filter === undefined) return true;
  const stateless = filter.global || filter.sticky ? new RegExp(filter.source, filter.flags.replace(/[gy]/g, '')) : filter;
  return stateless.test(namespace);
}

/** F matches `namespace` (always true without a filter). */
export function filterAllows(rules: NamespaceRules, namespace: string): boolean {
  return filterMatches(rules.filter, namespace);
}

/** Readable = G or F matches. */
export function isReadable(rules: NamespaceRules, namespace: string): boolean {
  return namespace === rules.globalNamespace || filterMatches(rules.filter, namespace);
}

/** The readable subset of `existing` (G is always included), sorted. */
export function readableNamespaces(rules: NamespaceRules, existing: readonly string[]): string[] {
  const set = new Set(existing.filter((ns) => isReadable(rules, ns)));
  set.add(rules.globalNamespace);
  return [...set].sort();
}

function describeFilter(rules: NamespaceRules): string {
  return rules.filter === undefined ? 'every namespace' : `namespaces matching /${rules.filter.source}/`;
}

/** An explicit namespace given to a read tool: G or F must match; otherwise `forbidden`. */
export function assertReadableNamespace(rules: NamespaceRules, namespace: string): void {
  assertNamespaceName(namespace);
  if (!isReadable(rules, namespace)) {
    throw new AppError(
      'forbidden',
      `namespace "${namespace}" is outside the namespaces this server may read (${rules.globalNamespace} and ${describeFilter(rules)}); choose one of those`,
      { namespace },
    );
  }
}

/** An explicit namespace given to deploy/delete: only F decides (G is not writable unless F matches it). */
export function assertWritableNamespace(rules: NamespaceRules, namespace: string): void {
  assertNamespaceName(namespace);
  if (!filterMatches(rules.filter, namespace)) {
    throw new AppError(
      'forbidden',
      `namespace "${namespace}" is outside the namespaces this server may change (${describeFilter(rules)}); choose one of those`,
      { namespace },
    );
  }
}

/** Whether resolving a target without an explicit namespace needs the list of existing namespaces. */
export function targetNeedsNamespaceList(rules: NamespaceRules, requested: string | undefined): boolean {
  return requested === undefined && rules.authMode === 'OIDC_REQUIRED' && rules.filter !== undefined;
}

/**
 * The namespace deploy/delete act in. Explicit: must pass the write check. None given: the dev default in
 * DEV_ALLOW_ANY (which F must match too); in OIDC_REQUIRED the first existing namespace (alphabetical) F matches other than G, else
 * `forbidden`; with no F, `invalidParams` (the caller has to say where).
 */
export function resolveTargetNamespace(rules: NamespaceRules, requested: string | undefined, existing: readonly string[] = []): string {
  if (requested !== undefined) {
    assertWritableNamespace(rules, requested);
    return requested;
  }
  if (rules.authMode === 'DEV_ALLOW_ANY') {
    // F is what tools may touch: the dev default gets no exemption from it.
    if (!filterMatches(rules.filter, rules.defaultNamespaceDev)) {
      throw new AppError(
        'forbidden',
        `the default target namespace "${rules.defaultNamespaceDev}" (CLUSTER_DEFAULT_NAMESPACE_DEV) is outside the namespaces this server may change (${describeFilter(rules)}); pass a \`namespace\` the filter allows, or ask the operator to set CLUSTER_DEFAULT_NAMESPACE_DEV to one`,
        { namespace: rules.defaultNamespaceDev },
      );
    }
    return rules.defaultNamespaceDev;
  }
  if (rules.filter === undefined) {
    throw new AppError(
      'invalidParams',
      'namespace is required: no namespace filter is configured, so there is no default target namespace; pass `namespace`',
    );
  }
  const candidates = existing.filter((ns) => ns !== rules.globalNamespace && filterMatches(rules.filter, ns)).sort();
  const first = candidates[0];
  if (first === undefined) {
    throw new AppError(
      'forbidden',
      `no existing namespace matches the namespace filter /${rules.filter.source}/ (other than ${rules.globalNamespace}); ask the operator to create one or pass an allowed \`namespace\``,
    );
  }
  return first;
}
