/**
 * Server-side apply and managedFields bookkeeping, after sigs.k8s.io/structured-merge-diff/v6 (SMD)
 * merge/update.go as kube-apiserver runs it. Ownership is a field set per (manager, operation,
 * subresource) rendered as FieldsV1; the merge follows the resource's schema (./field-shape.ts):
 * structs and maps merge per key, `x-kubernetes-list-type: map` lists per item by their
 * `x-kubernetes-list-map-keys` (`k:{...}`), `set` lists per value (`v:...`), other lists are atomic.
 * - Apply: merge the configuration into the live object (typed/merge.go), the applier's set becomes the
 *   configuration's fields, prune what it applied before and no longer applies unless another manager
 *   owns it (Updater.prune), and conflict with other managers on fields the apply adds or modifies
 *   (Updater.update: managerSet ∩ (Modified ∪ Added)).
 * - Update (create/PUT/patch): the writer gains what it added or modified, others lose it
 *   (Updater.Update).
 * Only the metadata fields SSA tracks (labels, annotations, finalizers, ownerReferences) are owned, as
 * kube's stripMeta manager leaves them; .status is ignored on the main resource of a kind with a status
 * subresource and is all that counts on /status.
 */
import { ApiError, internalError } from './errors.js';
import { childOf, resolve, rootShape, type ListShape, type MapShape, type Shape } from './field-shape.js';
import {
  FieldTypeError,
  PathSet,
  compare,
  decodeFieldsV1,
  displayPath,
  encodeFieldsV1,
  ensureNamedFieldsAreMembers,
  indexList,
  toFieldSet,
  type Path,
} from './field-set.js';
import type { JsonSchema } from './resources.js';
import type { KubeObject } from './types.js';
import { clone, isObject, type JsonObject } from './util.js';

export { decodeFieldsV1, encodeFieldsV1 } from './field-set.js';

export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: JsonObject;
  subresource?: string;
}

const META_OWNED = ['labels', 'annotations', 'finalizers', 'ownerReferences'];
/** kube-apiserver names the fields of an object that had no managedFields at its first apply so. */
export const BEFORE_FIRST_APPLY = 'before-first-apply';

interface ViewOptions {
  /** Resource has a status subresource: the main resource ignores .status. */
  ignoreStatus: boolean;
  onlyStatus?: boolean;
}

/** The part of an object that field ownership covers. */
function ownedView(obj: JsonObject, options: ViewOptions): JsonObject {
  const view: JsonObject = {};
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'apiVersion' || k === 'kind' || v === undefined) continue;
    if (options.onlyStatus && k !== 'status') continue;
    if (k === 'status' && options.ignoreStatus && !options.onlyStatus) continue;
    if (k === 'metadata') {
      if (!isObject(v)) continue;
      const meta: JsonObject = {};
      for (const m of META_OWNED) if (v[m] !== undefined) meta[m] = v[m];
      if (Object.keys(meta).length > 0) view.metadata = meta;
      continue;
    }
    view[k] = v;
  }
  return view;
}

/** kube's stripMeta manager drops these exact paths from every set (metadata itself is not owned). */
function stripMeta(set: PathSet): PathSet {
  set.delete(['f:metadata']);
  set.delete(['f:apiVersion']);
  set.delete(['f:kind']);
  return set;
}

/** Leaf-and-member paths of the owned view of `obj` (what an apply of `obj` would own). */
export function ownedPaths(obj: JsonObject, options: ViewOptions & { schema?: JsonSchema }): PathSet {
  return stripMeta(toFieldSet(ownedView(obj, options), rootShape(options.schema)));
}

function now(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function entriesOf(obj: KubeObject | undefined): ManagedFieldsEntry[] {
  const raw = obj?.metadata.managedFields;
  return Array.isArray(raw) ? (raw.filter((e) => isObject(e)) as unknown as ManagedFieldsEntry[]) : [];
}

function sameEntry(e: ManagedFieldsEntry, manager: string, operation: string, subresource: string | undefined): boolean {
  return e.manager === manager && e.operation === operation && (e.subresource ?? '') === (subresource ?? '');
}

interface Tracked {
  entry: ManagedFieldsEntry;
  set: PathSet;
  changed: boolean;
}

function render(entries: Tracked[]): ManagedFieldsEntry[] {
  return entries
    .filter((e) => e.set.size > 0)
    .map((e) => (e.changed ? { ...e.entry, time: now(), fieldsV1: encodeFieldsV1(e.set) } : e.entry));
}

function typeError(err: unknown, kind: string, apiVersion: string, what: string): never {
  if (err instanceof FieldTypeError) {
    const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
    throw internalError(`failed to create typed ${what} object (${group}/${version}, Kind=${kind}): ${err.message}`);
  }
  throw err;
}

// ---- merge (SMD typed/merge.go with ruleKeepRHS) ----

function isEmpty(v: unknown): boolean {
  return v === undefined || v === null || (isObject(v) && Object.keys(v).length === 0) || (Array.isArray(v) && v.length === 0);
}

function merge(lhs: unknown, rhs: unknown, shape: Shape, path: Path): unknown {
  if (rhs === undefined) return clone(lhs);
  if (lhs === undefined || rhs === null) return clone(rhs);
  const s = resolve(shape, rhs);
  if (s.kind === 'map' && !s.atomic && isObject(lhs) && isObject(rhs) && !(isEmpty(lhs) && isEmpty(rhs)))
    return mergeMap(lhs, rhs, s, path);
  if (s.kind === 'list' && s.type !== 'atomic' && Array.isArray(lhs) && Array.isArray(rhs) && !(isEmpty(lhs) && isEmpty(rhs)))
    return mergeList(lhs, rhs, s, path);
  return clone(rhs);
}

function mergeMap(lhs: JsonObject, rhs: JsonObject, shape: MapShape, path: Path): JsonObject {
  const out: JsonObject = {};
  for (const k of new Set([...Object.keys(lhs), ...Object.keys(rhs)])) {
    const v = merge(lhs[k], rhs[k], childOf(shape, k).shape, [...path, `f:${k}`]);
    // An explicit null in an apply configuration clears the field (nulls are pruned before storage).
    if (v !== undefined && v !== null) out[k] = v;
  }
  return out;
}

/** List order as SMD's mergingWalker.visitListItems: shared items in the configuration's order, live-only items kept in place. */
function mergeList(lhs: unknown[], rhs: unknown[], shape: ListShape, path: Path): unknown[] {
  const r = indexList(shape, rhs, path, false);
  const l = indexList(shape, lhs, path, true);
  const sharedOrder = r.pes.filter((pe) => l.byPE.has(pe));
  let nextShared = sharedOrder.shift();
  const mergedR = new Set<string>();
  const out: unknown[] = [];
  const item = (pe: string): void => {
    const v = merge(l.byPE.get(pe), r.byPE.get(pe), shape.element, [...path, pe]);
    if (v !== undefined) out.push(v);
  };
  let li = 0;
  let ri = 0;
  while (li < l.pes.length || ri < r.pes.length) {
    if (li < l.pes.length && ri < r.pes.length) {
      const pe = l.pes[li]!;
      if (pe === r.pes[ri]) {
        mergedR.add(pe);
        item(pe);
        li++;
        ri++;
        nextShared = sharedOrder.shift();
        continue;
      }
      if (r.byPE.has(pe) && nextShared !== undefined && nextShared !== pe) {
        li++;
        continue;
      }
    }
    if (li < l.pes.length) {
      const pe = l.pes[li]!;
      if (!r.byPE.has(pe)) {
        item(pe);
        li++;
        continue;
      } else if (mergedR.has(pe)) {
        li++;
      }
    }
    if (ri < r.pes.length) {
      const pe = r.pes[ri]!;
      mergedR.add(pe);
      item(pe);
      ri++;
      if (nextShared === pe) nextShared = sharedOrder.shift();
    }
  }
  return out;
}

// ---- removal (SMD typed/remove.go, removing mode) ----

/** Removes every path of `toRemove` (with its subtree); maps and lists it empties go too, top-level sections stay. */
function removeItems(value: unknown, shape: Shape, toRemove: PathSet, path: Path): unknown {
  const s = resolve(shape, value);
  if (s.kind === 'map' && !s.atomic && isObject(value)) {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value)) {
      const p = [...path, `f:${k}`];
      if (toRemove.has(p) && path.length > 0) continue;
      const kept = toRemove.hasUnder(p) ? removeItems(v, childOf(s, k).shape, toRemove, p) : v;
      if (kept !== undefined) out[k] = kept;
    }
    return Object.keys(out).length > 0 || path.length <= 1 ? out : undefined;
  }
  if (s.kind === 'list' && s.type !== 'atomic' && Array.isArray(value)) {
    const out: unknown[] = [];
    for (const v of value) {
      const p = [...path, indexItemPE(s, v, path)];
      if (toRemove.has(p)) continue;
      const kept = toRemove.hasUnder(p) ? removeItems(v, s.element, toRemove, p) : v;
      if (kept !== undefined) out.push(kept);
    }
    return out.length > 0 ? out : undefined;
  }
  return value;
}

function indexItemPE(shape: ListShape, item: unknown, path: Path): string {
  return indexList(shape, [item], path, true).pes[0]!;
}

// ---- apply ----

export interface ApplyOptions {
  manager: string;
  force: boolean;
  apiVersion: string;
  /** Resource has a status subresource: the main resource ignores .status. */
  ignoreStatus: boolean;
  /** Applying to /status. */
  subresource?: 'status';
  /** The CRD's openAPIV3Schema (list/map merge types); undefined for the core kinds. */
  schema?: JsonSchema;
}

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * Fields listed in the live object's client-side-apply annotation: the API server lets an apply take
 * those over without a conflict, so `kubectl apply --server-side` after `kubectl apply` just works.
 */
function lastAppliedPaths(live: KubeObject | undefined, options: ApplyOptions): PathSet {
  const raw = live?.metadata.annotations?.[LAST_APPLIED];
  if (!raw) return new PathSet();
  try {
    const parsed: unknown = JSON.parse(raw);
    return isObject(parsed) ? ownedPaths(parsed, { ignoreStatus: options.ignoreStatus, schema: options.schema }) : new PathSet();
  } catch {
    return new PathSet();
  }
}

/** Writes the merged owned view back onto the object (the parts outside the view stay as they are). */
function writeView(base: KubeObject, before: JsonObject, after: JsonObject): void {
  const target = base as unknown as JsonObject;
  for (const k of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (k === 'metadata') continue;
    if (after[k] === undefined) delete target[k];
    else target[k] = after[k];
  }
  const meta = isObject(after.metadata) ? after.metadata : {};
  for (const m of META_OWNED) {
    if (meta[m] === undefined) delete base.metadata[m];
    else base.metadata[m] = meta[m];
  }
}

/**
 * Server-side apply of `config` onto `live` (undefined = create). Returns the merged object with updated
 * managedFields, or throws 409 Conflict (FieldManagerConflict causes) when force=false and another manager
 * owns a field this apply adds or changes.
 */
export function serverSideApply(live: KubeObject | undefined, config: KubeObject, options: ApplyOptions): KubeObject {
  const view: ViewOptions = { ignoreStatus: options.ignoreStatus, ...(options.subresource ? { onlyStatus: true } : {}) };
  const root = rootShape(options.schema);
  const liveView = live ? ownedView(live as JsonObject, view) : {};
  const configView = ownedView(config as JsonObject, view);
  let applied: PathSet;
  let mergedView: JsonObject;
  try {
    applied = stripMeta(toFieldSet(configView, root));
    mergedView = merge(liveView, configView, root, []) as JsonObject;
  } catch (err) {
    typeError(err, config.kind, options.apiVersion, 'patch');
  }
  const base: KubeObject = live
    ? clone(live)
    : {
        apiVersion: config.apiVersion,
        kind: config.kind,
        metadata: { name: config.metadata.name, ...(config.metadata.namespace ? { namespace: config.metadata.namespace } : {}) },
      };

  let entries: Tracked[] = entriesOf(live).map((entry) => ({ entry, set: decodeFieldsV1(entry.fieldsV1), changed: false }));
  if (live && entries.length === 0) {
    // An object written without field tracking: its fields go to before-first-apply (an Update
    // manager), so the first applier conflicts on what it changes instead of silently taking it.
    const existing = ownedPaths(live as JsonObject, { ...view, schema: options.schema });
    if (existing.size > 0) {
      entries = [
        {
          entry: {
            manager: BEFORE_FIRST_APPLY,
            operation: 'Update',
            apiVersion: options.apiVersion,
            time: now(),
            fieldsType: 'FieldsV1',
            fieldsV1: {},
          },
          set: existing,
          changed: true,
        },
      ];
    }
  }
  const mine = entries.find((e) => sameEntry(e.entry, options.manager, 'Apply', options.subresource));
  const others = entries.filter((e) => e !== mine);

  // Prune (Updater.prune): what this manager applied last time and no longer applies goes, unless
  // another manager (or this configuration) still owns it.
  if (mine) {
    const owned = others.reduce((acc, o) => acc.union(o.set), applied);
    const last = ensureNamedFieldsAreMembers(mine.set, root);
    const toRemove = last.difference(ensureNamedFieldsAreMembers(owned, root));
    if (toRemove.size > 0) mergedView = (removeItems(mergedView, root, toRemove, []) as JsonObject | undefined) ?? {};
  }

  // Conflicts and lost ownership (Updater.update): others lose what this apply removed, and conflict on
  // what it added or modified — unless forced, or taken over from a client-side apply.
  let cmp;
  try {
    cmp = compare(liveView, mergedView, root);
  } catch (err) {
    typeError(err, config.kind, options.apiVersion, 'live');
  }
  const changedByApply = cmp.modified.union(cmp.added);
  const lastApplied = options.subresource ? new PathSet() : lastAppliedPaths(live, options);
  const conflicts: { entry: ManagedFieldsEntry; path: Path }[] = [];
  for (const other of others) {
    const taken = other.set.intersection(changedByApply);
    for (const p of taken.values()) {
      if (!options.force && !lastApplied.has(p)) conflicts.push({ entry: other.entry, path: p });
    }
    const lost = taken.union(other.set.intersection(cmp.removed));
    if (lost.size > 0) {
      other.set = other.set.difference(lost);
      other.changed = true;
    }
  }
  if (conflicts.length > 0) throw conflictError(conflicts);

  writeView(base, liveView, mergedView);
  const mineChanged = !mine || !mine.set.equals(applied);
  const newMine: Tracked = {
    entry: mine?.entry ?? {
      manager: options.manager,
      operation: 'Apply',
      apiVersion: options.apiVersion,
      time: now(),
      fieldsType: 'FieldsV1',
      fieldsV1: {},
      ...(options.subresource ? { subresource: options.subresource } : {}),
    },
    set: applied,
    changed: mineChanged,
  };
  const ordered = mine ? entries.map((e) => (e === mine ? newMine : e)) : [...entries, newMine];
  base.metadata.managedFields = render(ordered);
  if ((base.metadata.managedFields as unknown[]).length === 0) delete base.metadata.managedFields;
  return base;
}

function conflictError(conflicts: { entry: ManagedFieldsEntry; path: Path }[]): ApiError {
  // kube-apiserver names an Apply manager alone and an Update manager with its apiVersion (the manager
  // identifier has no time): k8s.io/apimachinery pkg/util/managedfields/internal/conflict.go printManager.
  const describe = (e: ManagedFieldsEntry): string =>
    `conflict with "${e.manager}"${e.subresource ? ` with subresource "${e.subresource}"` : ''}${e.operation === 'Update' ? ` using ${e.apiVersion}` : ''}`;
  let message: string;
  if (conflicts.length === 1) {
    message = `Apply failed with 1 conflict: ${describe(conflicts[0]!.entry)}: ${displayPath(conflicts[0]!.path)}`;
  } else {
    const byManager = new Map<string, { entry: ManagedFieldsEntry; paths: string[] }>();
    for (const c of conflicts) {
      const m = byManager.get(c.entry.manager) ?? { entry: c.entry, paths: [] };
      m.paths.push(displayPath(c.path));
      byManager.set(c.entry.manager, m);
    }
    const parts = [...byManager.keys()].sort().map((k) => {
      const m = byManager.get(k)!;
      return `${describe(m.entry).replace('conflict with', 'conflicts with')}:\n- ${m.paths.join('\n- ')}`;
    });
    message = `Apply failed with ${conflicts.length} conflicts: ${parts.join('\n')}`;
  }
  return new ApiError(409, 'Conflict', message, {
    causes: conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: describe(c.entry), field: displayPath(c.path) })),
  });
}

// ---- update ----

export interface UpdateOptions {
  manager: string;
  apiVersion: string;
  ignoreStatus: boolean;
  subresource?: 'status';
  schema?: JsonSchema;
}

/**
 * managedFields for a non-apply write (create, PUT, merge/json patch), as SMD's Updater.Update: the
 * writer's `Update` entry gains every field it added or changed (taking it from other managers), and
 * fields that disappeared leave every entry.
 */
export function recordUpdate(old: KubeObject | undefined, next: KubeObject, options: UpdateOptions): KubeObject {
  const view: ViewOptions = { ignoreStatus: options.ignoreStatus, ...(options.subresource ? { onlyStatus: true } : {}) };
  const root = rootShape(options.schema);
  let cmp;
  try {
    cmp = compare(old ? ownedView(old as JsonObject, view) : undefined, ownedView(next as JsonObject, view), root);
  } catch (err) {
    typeError(err, next.kind, options.apiVersion, 'object');
  }
  stripMeta(cmp.added);
  stripMeta(cmp.modified);
  stripMeta(cmp.removed);
  const entries: Tracked[] = entriesOf(old).map((entry) => ({ entry, set: decodeFieldsV1(entry.fieldsV1), changed: false }));
  const changed = cmp.added.union(cmp.modified);
  let mine = entries.find((e) => sameEntry(e.entry, options.manager, 'Update', options.subresource));
  for (const e of entries) {
    if (e === mine) continue;
    const lost = e.set.intersection(changed.union(cmp.removed));
    if (lost.size > 0) {
      e.set = e.set.difference(lost);
      e.changed = true;
    }
  }
  if (changed.size > 0 || (mine && mine.set.intersection(cmp.removed).size > 0)) {
    if (!mine) {
      mine = {
        entry: {
          manager: options.manager,
          operation: 'Update',
          apiVersion: options.apiVersion,
          time: now(),
          fieldsType: 'FieldsV1',
          fieldsV1: {},
          ...(options.subresource ? { subresource: options.subresource } : {}),
        },
        set: new PathSet(),
        changed: true,
      };
      entries.push(mine);
    }
    mine.set = mine.set.difference(cmp.removed).union(changed);
    mine.changed = true;
  }
  const out = clone(next);
  const managed = render(entries);
  if (managed.length > 0) out.metadata.managedFields = managed;
  else delete out.metadata.managedFields;
  return out;
}

/** The manager of a non-apply write: `fieldManager`, else the User-Agent's program name, as the API server does. */
export function managerFromUserAgent(userAgent: string | undefined): string {
  if (!userAgent) return 'unknown';
  const head = userAgent.split('/')[0]!.trim();
  return head.length > 0 ? head.slice(0, 128) : 'unknown';
}
