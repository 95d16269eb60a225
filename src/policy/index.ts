/** The namespace policy bound to the settings: what a Session exposes as `session.namespaces`. */
import type { Settings } from '../config/types.js';
import {
  assertReadableNamespace,
  assertWritableNamespace,
  filterAllows,
  isReadable,
  readableNamespaces,
  resolveTargetNamespace,
  targetNeedsNamespaceList,
  type NamespaceRules,
} from './namespaces.js';

export * from './namespaces.js';
export * from './names.js';

export interface NamespacePolicy {
  readonly rules: NamespaceRules;
  isReadable(namespace: string): boolean;
  /** F matches (the write check for an explicit namespace). */
  isWritable(namespace: string): boolean;
  readable(existing: readonly string[]): string[];
  assertReadable(namespace: string): void;
  assertWritable(namespace: string): void;
  /** Target of deploy/delete; `listExisting` is called only when the rules need the existing namespaces. */
  resolveTarget(requested: string | undefined, listExisting: () => Promise<string[]>): Promise<string>;
}

export function createNamespacePolicy(rules: NamespaceRules): NamespacePolicy {
  return {
    rules,
    isReadable: (ns) => isReadable(rules, ns),
    isWritable: (ns) => filterAllows(rules, ns),
    readable: (existing) => readableNamespaces(rules, existing),
    assertReadable: (ns) => assertReadableNamespace(rules, ns),
    assertWritable: (ns) => assertWritableNamespace(rules, ns),
    async resolveTarget(requested, listExisting) {
      const existing = targetNeedsNamespaceList(rules, requested) ? await listExisting() : [];
      return resolveTargetNamespace(rules, requested, existing);
    },
  };
}

export function namespacePolicyFromSettings(
  settings: Pick<Settings, 'globalNamespace' | 'namespaceFilter' | 'authMode' | 'defaultNamespaceDev'>,
): NamespacePolicy {
  return createNamespacePolicy({
    globalNamespace: settings.globalNamespace,
    filter: settings.namespaceFilter,
    authMode: settings.authMode,
    defaultNamespaceDev: settings.defaultNamespaceDev,
  });
}
