/**
 * AccessManagement's rules as kcm reads them (kcm `api/v1beta1/accessmanagement_types.go`): the generic
 * `resources` entries, the deprecated one-field-per-Kind lists they supersede, the API group defaulting of
 * the built-in Kinds, and a RESTMapper over the resources the sandbox serves. Shared by the controller
 * (./access-management.ts) and the webhook (./access-management-webhook.ts). Pure.
 */
import type { ResourceDef } from '../apiserver/resources.js';
import { registryWithWorld } from '../world/crds.js';
import type { ResourceKey } from '../apiserver/types.js';
import { K0RDENT_GROUP, isJsonObject, type JsonObject } from './resources.js';

/** The deprecated fields and their Kinds, in synthesizeResourceRules' order (accessmanagement_types.go:162-167). */
export const DEPRECATED_FIELDS = [
  ['clusterTemplateChains', 'ClusterTemplateChain'],
  ['serviceTemplateChains', 'ServiceTemplateChain'],
  ['credentials', 'Credential'],
  ['clusterAuthentications', 'ClusterAuthentication'],
  ['dataSources', 'DataSource'],
  ['clusterAuditPolicies', 'ClusterAuditPolicy'],
] as const;

/** builtinResourceKinds (accessmanagement_types.go:231-238). */
export const BUILTIN_KINDS: readonly string[] = DEPRECATED_FIELDS.map(([, kind]) => kind);

export interface GroupKind {
  group: string;
  kind: string;
}

/** schema.GroupKind.String(): `Kind.group`, or the Kind alone for the core group. */
export function groupKindString(gk: GroupKind): string {
  return gk.group === '' ? gk.kind : `${gk.kind}.${gk.group}`;
}

/** ResourceRule.GroupKind (accessmanagement_types.go:249-256): an omitted apiGroup is k0rdent's only for a built-in Kind. */
export function groupKindOf(rule: JsonObject): GroupKind {
  const kind = typeof rule['kind'] === 'string' ? rule['kind'] : '';
  const apiGroup = typeof rule['apiGroup'] === 'string' ? rule['apiGroup'] : '';
  return { group: apiGroup === '' && BUILTIN_KINDS.includes(kind) ? K0RDENT_GROUP : apiGroup, kind };
}

const nonEmptyList = (value: unknown): value is unknown[] => Array.isArray(value) && value.length > 0;

function synthesize(rule: JsonObject): JsonObject[] {
  const out: JsonObject[] = [];
  for (const [field, kind] of DEPRECATED_FIELDS) {
    const names = rule[field];
    if (nonEmptyList(names)) out.push({ apiGroup: K0RDENT_GROUP, kind, names: names.map(String) });
  }
  return out;
}

/** EffectiveResources (accessmanagement_types.go:142-148): `resources` wins outright; else the deprecated lists. */
export function effectiveResources(rule: JsonObject): JsonObject[] {
  const resources = rule['resources'];
  if (nonEmptyList(resources)) return resources.filter(isJsonObject);
  return synthesize(rule);
}

/**
 * MigrateAccessRules (accessmanagement_types.go:270-319): deprecated lists become `resources` entries
 * (appended), the deprecated fields are cleared, built-in Kinds get their apiGroup. Undefined when nothing changes.
 */
export function migrateAccessRules(rules: unknown): JsonObject[] | undefined {
  if (!Array.isArray(rules) || rules.length === 0) return undefined;
  let changed = false;
  const migrated = rules.map((raw): JsonObject[keyof JsonObject] => {
    if (!isJsonObject(raw)) return raw as JsonObject[keyof JsonObject];
    const rule: JsonObject = { ...raw };
    const synthesized = synthesize(rule);
    if (synthesized.length > 0) {
      rule['resources'] = [...(Array.isArray(rule['resources']) ? rule['resources'] : []), ...synthesized];
      changed = true;
    }
    // Cleared only when one of them is non-empty (HasDeprecatedFields, :124-131); omitempty drops them then.
    if (DEPRECATED_FIELDS.some(([field]) => nonEmptyList(rule[field]))) for (const [field] of DEPRECATED_FIELDS) delete rule[field];
    if (Array.isArray(rule['resources'])) {
      rule['resources'] = rule['resources'].map((r) => {
        if (!isJsonObject(r) || (typeof r['apiGroup'] === 'string' && r['apiGroup'] !== '') || !BUILTIN_KINDS.includes(String(r['kind'])))
          return r;
        changed = true;
        return { ...r, apiGroup: K0RDENT_GROUP };
      });
    }
    return rule;
  });
  return changed ? (migrated as JsonObject[]) : undefined;
}

/** A RESTMapping: the resource serving a GroupKind and its scope. */
export interface KindMapping {
  resource: ResourceKey;
  namespaced: boolean;
}

export type KindMapper = (gk: GroupKind) => KindMapping | { error: string };

/** apimachinery meta.NoKindMatchError without searched versions (pkg/api/meta/errors.go). */
function noKindMatch(gk: GroupKind): string {
  return `no matches for kind "${gk.kind}" in group "${gk.group}"`;
}

/** A RESTMapper over the resources the sandbox serves (the API server's discovery). */
export function kindMapper(defs: readonly ResourceDef[]): KindMapper {
  return (gk) => {
    // events.k8s.io and core both serve Event; a group names one of them.
    const def = defs.find((d) => d.group === gk.group && d.kind === gk.kind);
    if (!def) return { error: noKindMatch(gk) };
    return { resource: { group: def.group, version: def.version, plural: def.plural }, namespaced: def.namespaced };
  };
}

let defaultMapper: KindMapper | undefined;

/**
 * The mapper over every resource the embedded sandbox serves (core kinds, the k0rdent CRDs and the world's: Flux,
 * Cluster API, the providers, sveltos), built once: kcm 8373a24 resolves a rule's Kind with its manager's RESTMapper,
 * i.e. the API server's discovery. On the kube backend that is also what the simulated kcm's cache watches
 * (src/sandbox/kube/sandbox.ts); kube-apiserver's other built-in groups (apps, rbac, ...) are not mapped there.
 */
export function defaultKindMapper(): KindMapper {
  defaultMapper ??= kindMapper(registryWithWorld().defs);
  return defaultMapper;
}
