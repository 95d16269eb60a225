/**
 * Server-side apply and managedFields bookkeeping. Field ownership is tracked per (manager, operation,
 * subresource) as a set of leaf paths, rendered as FieldsV1 (`{"f:spec":{"f:template":{}}}`). Lists are
 * atomic (owned as a whole), maps are granular — enough for the k0rdent CRDs and kubectl's expectations.
 */
import { ApiError } from './errors.js';
import type { KubeObject } from './types.js';
import { clone, deepEqual, isObject, type JsonObject } from './util.js';

export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: JsonObject;
  subresource?: string;
}

type Path = string[];
type FieldSet = Map<string, Path>;

const key = (p: Path): string => JSON.stringify(p);

const META_OWNED = ['labels', 'annotations', 'finalizers', 'ownerReferences'];

/** Leaf paths of the fields a write sets (what SSA tracks): metadata labels/annotations/…, spec, data, …. */
export function ownedPaths(obj: JsonObject, options: { ignoreStatus: boolean; onlyStatus?: boolean }): FieldSet {
  const set: FieldSet = new Map();
  const walk = (value: unknown, path: Path): void => {
    if (isObject(value) && Object.keys(value).length > 0) {
      for (const [k, v] of Object.entries(value)) if (v !== undefined && v !== null) walk(v, [...path, k]);
      return;
    }
    set.set(key(path), path);
  };
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'apiVersion' || k === 'kind' || v === undefined || v === null) continue;
    if (options.onlyStatus && k !== 'status') continue;
    if (k === 'status' && options.ignoreStatus && !options.onlyStatus) continue;
    if (k === 'metadata') {
      if (!isObject(v)) continue;
      for (const m of META_OWNED) if (v[m] !== undefined) walk(v[m], ['metadata', m]);
      continue;
    }
    walk(v, [k]);
  }
  return set;
}

export function encodeFieldsV1(set: FieldSet): JsonObject {
  const root: JsonObject = {};
  for (const path of set.values()) {
    let cur = root;
    for (const seg of path) {
      const k = `f:${seg}`;
      if (!isObject(cur[k])) cur[k] = {};
      cur = cur[k] as JsonObject;
    }
  }
  return root;
}

export function decodeFieldsV1(fields: unknown): FieldSet {
  const set: FieldSet = new Map();
  const walk = (node: unknown, path: Path): void => {
    const children = isObject(node) ? Object.keys(node).filter((k) => k.startsWith('f:')) : [];
    const hasOtherKeys = isObject(node) && Object.keys(node).some((k) => k.startsWith('k:') || k.startsWith('v:') || k.startsWith('i:'));
    if (path.length > 0 && (children.length === 0 || hasOtherKeys)) {
      set.set(key(path), path);
      if (hasOtherKeys) return;
    }
    for (const c of children) walk((node as JsonObject)[c], [...path, c.slice(2)]);
  };
  walk(fields, []);
  return set;
}

function getAt(obj: unknown, path: Path): unknown {
  let cur = obj;
  for (const seg of path) {
    if (!isObject(cur)) return undefined;
    cur = cur[seg];
  }
  return cur;
}

function deleteAt(obj: JsonObject, path: Path): void {
  let cur: JsonObject = obj;
  for (const seg of path.slice(0, -1)) {
    const next = cur[seg];
    if (!isObject(next)) return;
    cur = next;
  }
  delete cur[path[path.length - 1]!];
  // Drop maps left empty by the removal, but never the top-level sections (spec, metadata, …).
  for (let i = path.length - 2; i >= 1; i--) {
    const container = getAt(obj, path.slice(0, i + 1));
    if (isObject(container) && Object.keys(container).length === 0) delete (getAt(obj, path.slice(0, i)) as JsonObject)[path[i]!];
    else break;
  }
}

/** RFC 7386-like merge of an apply configuration into the live object (lists replace, maps merge). */
function mergeInto(target: JsonObject, patch: JsonObject): void {
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) continue;
    if (v === null) {
      // An explicit null in an apply configuration clears the field.
      delete target[k];
      continue;
    }
    if (isObject(v) && isObject(target[k])) mergeInto(target[k] as JsonObject, v);
    else target[k] = clone(v);
  }
}

function overlaps(a: Path, b: Path): boolean {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

function displayPath(p: Path): string {
  return '.' + p.join('.');
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

/** Drops from every entry the paths that no longer exist in `obj`, and empty entries. */
function reconcile(entries: { entry: ManagedFieldsEntry; set: FieldSet; changed: boolean }[], obj: JsonObject): ManagedFieldsEntry[] {
  const out: ManagedFieldsEntry[] = [];
  for (const e of entries) {
    for (const [k, p] of [...e.set]) {
      if (getAt(obj, p) === undefined) {
        e.set.delete(k);
        e.changed = true;
      }
    }
    if (e.set.size === 0) continue;
    out.push(e.changed ? { ...e.entry, time: now(), fieldsV1: encodeFieldsV1(e.set) } : e.entry);
  }
  return out;
}

export interface ApplyOptions {
  manager: string;
  force: boolean;
  apiVersion: string;
  /** Resource has a status subresource: the main resource ignores .status. */
  ignoreStatus: boolean;
  /** Applying to /status. */
  subresource?: 'status';
}

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * Fields listed in the live object's client-side-apply annotation: the API server lets an apply take
 * those over without a conflict, so `kubectl apply --server-side` after `kubectl apply` just works.
 */
function lastAppliedPaths(live: KubeObject | undefined, ignoreStatus: boolean): Path[] {
  const raw = live?.metadata.annotations?.[LAST_APPLIED];
  if (!raw) return [];
  try {
    const parsed: unknown = JSON.parse(raw);
    return isObject(parsed) ? [...ownedPaths(parsed, { ignoreStatus }).values()] : [];
  } catch {
    return [];
  }
}

/**
 * Server-side apply of `config` onto `live` (undefined = create). Returns the merged object with updated
 * managedFields, or throws 409 Conflict (FieldManagerConflict causes) when force=false and another manager
 * owns a field this apply sets to a different value.
 */
export function serverSideApply(live: KubeObject | undefined, config: KubeObject, options: ApplyOptions): KubeObject {
  const onlyStatus = options.subresource === 'status';
  const applied = ownedPaths(config as JsonObject, { ignoreStatus: options.ignoreStatus, onlyStatus });
  const base: KubeObject = live
    ? clone(live)
    : { apiVersion: config.apiVersion, kind: config.kind, metadata: { name: config.metadata.name, ...(config.metadata.namespace ? { namespace: config.metadata.namespace } : {}) } };
  const entries = entriesOf(live).map((entry) => ({ entry, set: decodeFieldsV1(entry.fieldsV1), changed: false }));
  const mine = entries.find((e) => sameEntry(e.entry, options.manager, 'Apply', options.subresource));
  const others = entries.filter((e) => e !== mine);

  // Conflicts: another manager owns an overlapping path whose value this apply changes.
  const lastApplied = options.subresource ? [] : lastAppliedPaths(live, options.ignoreStatus);
  const conflicts: { manager: string; entry: ManagedFieldsEntry; path: Path }[] = [];
  for (const other of others) {
    for (const [ok, op] of other.set) {
      for (const ap of applied.values()) {
        if (!overlaps(op, ap)) continue;
        const longer = op.length >= ap.length ? op : ap;
        if (deepEqual(getAt(live, longer), getAt(config, longer))) continue;
        if (options.force || lastApplied.some((p) => key(p) === key(longer))) {
          other.set.delete(ok);
          other.changed = true;
        } else if (!conflicts.some((c) => c.manager === other.entry.manager && key(c.path) === key(longer))) {
          conflicts.push({ manager: other.entry.manager, entry: other.entry, path: longer });
        }
        break;
      }
    }
  }
  if (conflicts.length > 0) throw conflictError(conflicts);

  // Merge the configuration in, then remove fields this manager applied before and no longer sends.
  const result = base as unknown as JsonObject;
  const { metadata: configMeta, apiVersion: _a, kind: _k, ...configBody } = config;
  const body: JsonObject = {};
  for (const [k, v] of Object.entries(configBody)) {
    if (onlyStatus && k !== 'status') continue;
    if (k === 'status' && options.ignoreStatus && !onlyStatus) continue;
    body[k] = v;
  }
  mergeInto(result, body);
  if (!onlyStatus && isObject(configMeta)) {
    const metaPatch: JsonObject = {};
    for (const m of META_OWNED) if (configMeta[m] !== undefined) metaPatch[m] = configMeta[m];
    mergeInto(base.metadata as JsonObject, metaPatch);
  }
  if (mine) {
    for (const [k, p] of mine.set) {
      if (applied.has(k) || [...applied.values()].some((a) => overlaps(a, p) && a.length < p.length)) continue;
      const coOwned = others.some((o) => [...o.set.values()].some((q) => overlaps(q, p)));
      if (!coOwned) deleteAt(result, p);
    }
  }

  const mineChanged = !mine || mine.set.size !== applied.size || [...applied.keys()].some((k) => !mine.set.has(k));
  const newMine = {
    entry: mine?.entry ?? { manager: options.manager, operation: 'Apply' as const, apiVersion: options.apiVersion, time: now(), fieldsType: 'FieldsV1' as const, fieldsV1: {}, ...(options.subresource ? { subresource: options.subresource } : {}) },
    set: applied,
    changed: mineChanged,
  };
  const ordered = mine ? entries.map((e) => (e === mine ? newMine : e)) : [...entries, newMine];
  const managed = reconcile(ordered, result);
  base.metadata.managedFields = managed;
  return base;
}

function conflictError(conflicts: { manager: string; entry: ManagedFieldsEntry; path: Path }[]): ApiError {
  const describe = (c: { entry: ManagedFieldsEntry }): string =>
    `conflict with "${c.entry.manager}"${c.entry.subresource ? ` with subresource "${c.entry.subresource}"` : ''} using ${c.entry.apiVersion}`;
  let message: string;
  if (conflicts.length === 1) {
    message = `Apply failed with 1 conflict: ${describe(conflicts[0]!)}: ${displayPath(conflicts[0]!.path)}`;
  } else {
    const byManager = new Map<string, { entry: ManagedFieldsEntry; paths: string[] }>();
    for (const c of conflicts) {
      const m = byManager.get(c.manager) ?? { entry: c.entry, paths: [] };
      m.paths.push(displayPath(c.path));
      byManager.set(c.manager, m);
    }
    const parts = [...byManager.values()].map((m) => `${describe(m).replace('conflict with', 'conflicts with')}:\n- ${m.paths.join('\n- ')}`);
    message = `Apply failed with ${conflicts.length} conflicts: ${parts.join('\n')}`;
  }
  return new ApiError(409, 'Conflict', message, {
    causes: conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: describe(c), field: displayPath(c.path) })),
  });
}

export interface UpdateOptions {
  manager: string;
  apiVersion: string;
  ignoreStatus: boolean;
  subresource?: 'status';
}

/**
 * managedFields for a non-apply write (create, PUT, merge/json patch): the writer's `Update` entry gains
 * every field it set or changed (taking it from other managers); fields that disappeared are dropped.
 */
export function recordUpdate(old: KubeObject | undefined, next: KubeObject, options: UpdateOptions): KubeObject {
  const onlyStatus = options.subresource === 'status';
  const written = ownedPaths(next as JsonObject, { ignoreStatus: options.ignoreStatus, onlyStatus });
  const changed: FieldSet = new Map();
  for (const [k, p] of written) if (!old || !deepEqual(getAt(old, p), getAt(next, p))) changed.set(k, p);
  const entries = entriesOf(old).map((entry) => ({ entry, set: decodeFieldsV1(entry.fieldsV1), changed: false }));
  if (changed.size > 0) {
    for (const e of entries) {
      for (const [k, p] of [...e.set]) {
        if ([...changed.values()].some((c) => overlaps(c, p))) {
          e.set.delete(k);
          e.changed = true;
        }
      }
    }
    let mine = entries.find((e) => sameEntry(e.entry, options.manager, 'Update', options.subresource));
    if (!mine) {
      mine = {
        entry: { manager: options.manager, operation: 'Update', apiVersion: options.apiVersion, time: now(), fieldsType: 'FieldsV1', fieldsV1: {}, ...(options.subresource ? { subresource: options.subresource } : {}) },
        set: new Map(),
        changed: true,
      };
      entries.push(mine);
    }
    for (const [k, p] of changed) mine.set.set(k, p);
    mine.changed = true;
  }
  const out = clone(next);
  const managed = reconcile(entries, out as JsonObject);
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
