/**
 * kcm's AccessManagement controller (kcm `internal/controller/accessmanagement_controller.go`): the rules
 * of the singleton AccessManagement `kcm` distribute objects of any namespaced Kind from the system
 * namespace into the target namespaces (created when missing), as copies labelled
 * `k0rdent.mirantis.com/managed=true`; managed copies no rule selects any more are deleted; the outcome
 * per Kind is `status.resources`, the aggregate `status.error`, and `status.current` the rules applied.
 * Not followed: the ClusterRole of dynamic RBAC (ensureDynamicRBAC, :913-953): kcm here acts as admin, and kcm
 * v1.11.4, the real kcm this is held to (test/integration/kcm-differential-access.test.ts), has no dynamic RBAC either.
 */
import type { KubeObject, ResourceKey } from '../apiserver/types.js';
import { matchesLabelSelector, parseLabelSelector, type LabelRequirement } from '../apiserver/selectors.js';
import type { KcmApi } from './api.js';
import { effectiveResources, groupKindOf, groupKindString, type GroupKind, type KindMapper } from './access-rules.js';
import { recordEvent } from './events.js';
import {
  ACCESS_MANAGEMENTS,
  COMPONENT_LABEL,
  K0RDENT_GROUP,
  MANAGED_LABEL,
  MANAGEMENTS,
  NAMESPACES,
  SYSTEM_NAMESPACE,
  isJsonObject,
  section,
  type JsonObject,
} from './resources.js';

/** metav1.LabelSelector (matchLabels / matchExpressions) as requirements. */
function requirementsOf(selector: JsonObject): LabelRequirement[] {
  const out: LabelRequirement[] = [];
  const matchLabels = isJsonObject(selector['matchLabels']) ? selector['matchLabels'] : {};
  for (const [key, value] of Object.entries(matchLabels)) out.push({ key, op: 'eq', value: String(value) });
  const expressions = Array.isArray(selector['matchExpressions']) ? selector['matchExpressions'] : [];
  for (const e of expressions) {
    if (!isJsonObject(e) || typeof e['key'] !== 'string') continue;
    const values = Array.isArray(e['values']) ? e['values'].map(String) : [];
    const op = e['operator'];
    if (op === 'In') out.push({ key: e['key'], op: 'in', values });
    else if (op === 'NotIn') out.push({ key: e['key'], op: 'notin', values });
    else if (op === 'Exists') out.push({ key: e['key'], op: 'exists' });
    else if (op === 'DoesNotExist') out.push({ key: e['key'], op: 'notexists' });
  }
  return out;
}

/**
 * buildLabelSelector (:818-838): a non-empty stringSelector first, then a structured selector; undefined
 * when there is none (or it is empty), which selects everything. Throws kcm's error on a bad string.
 */
function labelSelector(selector: unknown, stringSelector: unknown): LabelRequirement[] | undefined {
  if (typeof stringSelector === 'string' && stringSelector !== '') {
    let requirements: LabelRequirement[];
    try {
      requirements = parseLabelSelector(stringSelector);
    } catch (err) {
      throw new Error(`failed to parse string selector "${stringSelector}": ${err instanceof Error ? err.message : String(err)}`);
    }
    return requirements.length > 0 ? requirements : undefined;
  }
  if (!isJsonObject(selector)) return undefined;
  const requirements = requirementsOf(selector);
  return requirements.length > 0 ? requirements : undefined;
}

/** getTargetNamespaces (:609-637): the list as given (created on copy), or every namespace the selector matches. */
function targetNamespaces(store: KcmApi, target: unknown): string[] {
  const rule = isJsonObject(target) ? target : {};
  if (Array.isArray(rule['list']) && rule['list'].length > 0) return rule['list'].map(String);
  let requirements: LabelRequirement[] | undefined;
  try {
    requirements = labelSelector(rule['selector'], rule['stringSelector']);
  } catch (err) {
    throw new Error(
      `failed to collect target namespaces: failed to construct selector from target namespaces: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  return store
    .list(NAMESPACES)
    .filter((n) => !requirements || matchesLabelSelector(requirements, n.metadata.labels))
    .map((n) => n.metadata.name);
}

/** resolveResourceRuleNames (:446-465): `names` as given (even []), else the system objects the selector matches, sorted. */
function ruleNames(rule: JsonObject, system: Map<string, KubeObject>): string[] {
  if (Array.isArray(rule['names'])) return rule['names'].map(String);
  const requirements = labelSelector(rule['selector'], rule['stringSelector']);
  return [...system.values()]
    .filter((o) => !requirements || matchesLabelSelector(requirements, o.metadata.labels))
    .map((o) => o.metadata.name)
    .sort();
}

/** applyBuiltinNamespaceRewrite (:513-564): the three built-in Kinds whose copies point at another namespace. */
function rewriteNamespaces(gk: GroupKind, copy: KubeObject, sourceNamespace: string, targetNamespace: string): void {
  if (gk.group !== K0RDENT_GROUP || !isJsonObject(copy['spec'])) return;
  const spec = copy['spec'];
  const field =
    gk.kind === 'Credential'
      ? 'identityRef'
      : gk.kind === 'ClusterAuthentication'
        ? 'caSecret'
        : gk.kind === 'DataSource'
          ? 'certificateAuthority'
          : undefined;
  if (!field || !isJsonObject(spec[field])) return;
  const ref = spec[field];
  const current = typeof ref['namespace'] === 'string' ? ref['namespace'] : '';
  // Credential: a set namespace points at the copy's own namespace; the others: an empty one at the source's.
  if (gk.kind === 'Credential' && current !== '') spec[field] = { ...ref, namespace: targetNamespace };
  else if (gk.kind !== 'Credential' && current === '') spec[field] = { ...ref, namespace: sourceNamespace };
}

/** kube-apiserver refuses new objects in a terminating namespace (the embedded store's writes.ts says the same). */
function terminatingError(resource: ResourceKey, name: string, namespace: string): Error {
  return new Error(
    `${resource.plural}.${resource.group} "${name}" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`,
  );
}

/** EnsureNamespace (kcm internal/util/kube/secrets.go:196-214): get, else create it by name. */
async function ensureNamespace(store: KcmApi, namespace: string): Promise<void> {
  if (store.get(NAMESPACES, undefined, namespace)) return;
  try {
    await store.create(NAMESPACES, {
      apiVersion: 'v1',
      kind: 'Namespace',
      // What kube-apiserver fills in on create (the namespace strategy and its metadata.name label).
      metadata: { name: namespace, labels: { 'kubernetes.io/metadata.name': namespace } },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    });
  } catch (err) {
    throw new Error(
      `failed to ensure namespace ${namespace}: failed to create Namespace ${namespace}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

/** createManagedObject (:470-506): true when created, false when a copy already exists. */
async function createManagedObject(
  store: KcmApi,
  gk: GroupKind,
  resource: ResourceKey,
  source: KubeObject,
  namespace: string,
): Promise<boolean> {
  await ensureNamespace(store, namespace);
  const copy = structuredClone(source) as KubeObject & Record<string, unknown>;
  delete copy['status'];
  copy.metadata = { name: source.metadata.name, namespace, labels: { [MANAGED_LABEL]: 'true' } };
  rewriteNamespaces(gk, copy, source.metadata.namespace ?? '', namespace);
  if (store.get(resource, namespace, source.metadata.name)) return false; // AlreadyExists
  if (store.get(NAMESPACES, undefined, namespace)?.metadata.deletionTimestamp)
    throw terminatingError(resource, source.metadata.name, namespace);
  try {
    await store.create(resource, copy);
  } catch (err) {
    if (err instanceof Error && /already exists/.test(err.message)) return false;
    throw err;
  }
  return true;
}

interface KindStatus {
  apiGroup: string;
  kind: string;
  error?: string;
}

const joinErrors = (errors: string[]): string => errors.join('\n');

/**
 * One reconcile of AccessManagement `kcm` (Reconcile :123-162, reconcileObj :164-273): distribute, clean
 * up, write the status. Events as kcm's recorder records them on the AccessManagement.
 */
export async function reconcileAccessManagement(store: KcmApi, mapper: KindMapper, now: string): Promise<void> {
  const management = store.get(MANAGEMENTS, undefined, 'kcm');
  if (!management || management.metadata.deletionTimestamp) return;
  const am = store.get(ACCESS_MANAGEMENTS, undefined, 'kcm');
  if (!am) return;
  // AddKCMComponentLabel (:142-147): the update triggers the next reconcile.
  if (am.metadata.labels?.[COMPONENT_LABEL] !== 'kcm') {
    await store.update(ACCESS_MANAGEMENTS, {
      ...am,
      metadata: { ...am.metadata, labels: { ...am.metadata.labels, [COMPONENT_LABEL]: 'kcm' } },
    });
    return;
  }
  const event = (type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> =>
    recordEvent(store, am, { type, reason, message }, now);
  const spec = section(am, 'spec');
  const rules = (Array.isArray(spec['accessRules']) ? spec['accessRules'] : []).filter(isJsonObject);
  const status = section(am, 'status');
  const errors: string[] = [];

  const current: GroupKind[] = [];
  for (const rule of rules) {
    for (const r of effectiveResources(rule)) {
      const gk = groupKindOf(r);
      if (!current.some((c) => c.group === gk.group && c.kind === gk.kind)) current.push(gk);
    }
  }
  const isCurrent = (gk: GroupKind): boolean => current.some((c) => c.group === gk.group && c.kind === gk.kind);
  // staleManagedGroupKinds (:278-295): Kinds of the last status no rule names any more are still cleaned up.
  const stale: GroupKind[] = [];
  for (const s of Array.isArray(status['resources']) ? status['resources'].filter(isJsonObject) : []) {
    const gk = { group: typeof s['apiGroup'] === 'string' ? s['apiGroup'] : '', kind: typeof s['kind'] === 'string' ? s['kind'] : '' };
    if (!isCurrent(gk) && !stale.some((c) => c.group === gk.group && c.kind === gk.kind)) stale.push(gk);
  }

  const targets: string[][] = [];
  try {
    for (const rule of rules) targets.push(targetNamespaces(store, rule['targetNamespaces']));
  } catch (err) {
    await writeStatus(store, am, { ...status, error: err instanceof Error ? err.message : String(err) });
    return;
  }

  const statuses: KindStatus[] = [];
  for (const gk of [...current, ...stale]) {
    const kindStatus: KindStatus = { apiGroup: gk.group, kind: gk.kind };
    statuses.push(kindStatus);
    const fail = (message: string): void => {
      errors.push(message);
      kindStatus.error ??= message;
    };
    const mapping = mapper(gk);
    if ('error' in mapping) {
      const message = `failed to resolve ${groupKindString(gk)} (ensure the CRD is installed): ${mapping.error}`;
      kindStatus.error = message;
      errors.push(`failed to collect resources for ${groupKindString(gk)}: ${message}`);
      continue;
    }
    if (!mapping.namespaced) {
      await event(
        'Warning',
        'ClusterScopedKindSkipped',
        `Skipping ${groupKindString(gk)}: cluster-scoped Kinds cannot be distributed by AccessManagement`,
      );
      kindStatus.error = `skipped: ${groupKindString(gk)} is cluster-scoped and cannot be distributed by AccessManagement`;
      continue;
    }
    const system = new Map(store.list(mapping.resource, { namespace: SYSTEM_NAMESPACE }).map((o) => [o.metadata.name, o]));
    const managed = store
      .list(mapping.resource, { labelSelector: `${MANAGED_LABEL}=true` })
      .filter((o) => o.metadata.namespace !== SYSTEM_NAMESPACE);
    const keep = new Set<string>();
    if (isCurrent(gk)) {
      for (const [i, rule] of rules.entries()) {
        for (const r of effectiveResources(rule)) {
          const rgk = groupKindOf(r);
          if (rgk.group !== gk.group || rgk.kind !== gk.kind) continue;
          for (const namespace of targets[i] ?? []) {
            let names: string[];
            try {
              names = ruleNames(r, system);
            } catch (err) {
              fail(
                `failed to resolve names for ${groupKindString(gk)}: failed to construct selector: ${err instanceof Error ? err.message : String(err)}`,
              );
              continue;
            }
            for (const name of names) {
              keep.add(`${namespace}/${name}`);
              const source = system.get(name);
              if (!source) {
                fail(`${gk.kind} ${SYSTEM_NAMESPACE}/${name} is not found`);
                continue;
              }
              try {
                if (await createManagedObject(store, gk, mapping.resource, source, namespace)) {
                  await event('Normal', `${gk.kind}Created`, `Successfully created ${gk.kind} ${namespace}/${name}`);
                }
              } catch (err) {
                const message = err instanceof Error ? err.message : String(err);
                await event('Warning', `${gk.kind}CreationFailed`, `Failed to create ${gk.kind} ${namespace}/${name}: ${message}`);
                fail(message);
              }
            }
          }
        }
      }
    }
    // cleanupManagedResources (:566-586): every managed copy no rule keeps is deleted.
    for (const copy of managed) {
      const key = `${copy.metadata.namespace ?? ''}/${copy.metadata.name}`;
      if (keep.has(key)) continue;
      try {
        const deleted = await store.delete(mapping.resource, copy.metadata.namespace, copy.metadata.name);
        if (deleted) await event('Normal', `${gk.kind}Deleted`, `Successfully deleted ${gk.kind} ${key}`);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        await event('Warning', `${gk.kind}DeletionFailed`, `Failed to delete ${gk.kind} ${key}: ${message}`);
        fail(message);
      }
    }
  }

  // A stale Kind stays in status only while its cleanup failed (:256-265); sorted by group, then Kind.
  const resources = statuses
    .filter((s) => isCurrent({ group: s.apiGroup, kind: s.kind }) || s.error !== undefined)
    .sort((a, b) => (a.apiGroup < b.apiGroup ? -1 : a.apiGroup > b.apiGroup ? 1 : a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0))
    .map((s) => ({
      ...(s.apiGroup ? { apiGroup: s.apiGroup } : {}),
      ...(s.kind ? { kind: s.kind } : {}),
      ...(s.error ? { error: s.error } : {}),
    }));
  const next: JsonObject = { ...(status as JsonObject) };
  delete next['resources'];
  delete next['error'];
  if (resources.length > 0) next['resources'] = resources;
  if (errors.length > 0) next['error'] = joinErrors(errors);
  else if (rules.length > 0) next['current'] = spec['accessRules'] as JsonObject[];
  else delete next['current'];
  await writeStatus(store, am, next);
}

/** updateStatus (:639-644) with observedGeneration (:154); a write that changes nothing is a no-op at the API. */
async function writeStatus(store: KcmApi, am: KubeObject, status: JsonObject): Promise<void> {
  const latest = store.get(ACCESS_MANAGEMENTS, undefined, am.metadata.name) ?? am;
  await store.updateStatus(ACCESS_MANAGEMENTS, undefined, am.metadata.name, {
    ...status,
    observedGeneration: latest.metadata.generation ?? 1,
  });
}
