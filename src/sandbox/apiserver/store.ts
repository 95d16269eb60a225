/**
 * MemoryStore: the sandbox's etcd. Objects indexed by resource → namespace → name, one global
 * monotonically increasing resourceVersion, a bounded event history for watch replay, the admission hook
 * registry (mutating and validating phases), and a small garbage collector (foreground deletion, dependents, terminating namespaces).
 * Methods act as the system: no auth, no validation, no admission (the HTTP layer adds those).
 */
import { randomUUID } from 'node:crypto';
import { alreadyExists, notFound } from './errors.js';
import { CORE_EVENTS, EVENTS_V1, eventFromStorage, eventToStorage } from './event-conversion.js';
import { NAMESPACES, resourceId } from './resources.js';
import type {
  AdmissionHook,
  AdmissionPhase,
  AdmissionRequest,
  AdmissionResult,
  KubeObject,
  ListOptions,
  ResourceKey,
  Store,
  StoreEvent,
} from './types.js';
import { matchesLabelSelector, parseLabelSelector } from './selectors.js';
import { clone, deepEqual } from './util.js';

export const FOREGROUND_FINALIZER = 'foregroundDeletion';

export interface MemoryStoreOptions {
  /** Events kept for watch replay (default 20000); a watch from an older resourceVersion gets 410. */
  historySize?: number;
}

/** A persisted event with its resourceVersion (the object's RV after the change). */
export interface HistoryEntry {
  rv: number;
  event: StoreEvent;
}

interface Slot {
  key: ResourceKey;
  byNamespace: Map<string, Map<string, KubeObject>>;
  count: number;
}

type Listener = (event: StoreEvent) => void;

/** A resource served from another one's storage, converted on the way in and out (as API versions are). */
interface StoreView {
  storage: ResourceKey;
  fromStorage: (object: KubeObject) => KubeObject;
  toStorage: (object: KubeObject) => KubeObject;
}

/** events.k8s.io/v1 Events are the core/v1 Events, as on kube-apiserver (./event-conversion.ts). */
const BUILTIN_VIEWS: ReadonlyMap<string, StoreView> = new Map([
  [resourceId(EVENTS_V1), { storage: CORE_EVENTS, fromStorage: eventFromStorage, toStorage: eventToStorage }],
]);

export class MemoryStore implements Store {
  private rv = 0;
  private readonly slots = new Map<string, Slot>();
  private readonly history: HistoryEntry[] = [];
  private compactedRv = 0;
  private readonly historySize: number;
  private readonly listeners = new Set<Listener>();
  private readonly queue: StoreEvent[] = [];
  private dispatching = false;
  private readonly admission: Record<AdmissionPhase, { group: string; plural: string; hook: AdmissionHook }[]> = {
    mutating: [],
    validating: [],
  };
  /** owner uid → keys of objects naming it in ownerReferences */
  private readonly dependents = new Map<string, Set<string>>();
  /** keys of objects waiting for the garbage collector (foregroundDeletion, terminating namespaces) */
  private readonly gcPending = new Set<string>();
  private gcTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(options: MemoryStoreOptions = {}) {
    this.historySize = options.historySize ?? 20_000;
  }

  // ---- reads -------------------------------------------------------------------------------------

  get(resource: ResourceKey, namespace: string | undefined, name: string): KubeObject | undefined {
    const obj = this.peek(resource, namespace, name);
    return obj ? clone(obj) : undefined;
  }

  /** The view `resource` is, if it is served from another resource's storage. */
  private viewOf(resource: ResourceKey): StoreView | undefined {
    return BUILTIN_VIEWS.get(resourceId(resource));
  }

  /**
   * A persisted event as a watch of `resource` sees it: itself for the same resource, converted when
   * `resource` is a view of the event's storage, undefined otherwise.
   */
  eventFor(resource: ResourceKey, event: StoreEvent): StoreEvent | undefined {
    const id = resourceId(event.resource);
    if (id === resourceId(resource)) return event;
    const view = this.viewOf(resource);
    if (!view || resourceId(view.storage) !== id) return undefined;
    return {
      type: event.type,
      resource: { group: resource.group, version: resource.version, plural: resource.plural },
      object: view.fromStorage(event.object),
      ...(event.oldObject ? { oldObject: view.fromStorage(event.oldObject) } : {}),
    };
  }

  list(resource: ResourceKey, options: ListOptions = {}): KubeObject[] {
    const view = this.viewOf(resource);
    if (view) return this.list(view.storage, options).map(view.fromStorage);
    const selector = options.labelSelector ? parseLabelSelector(options.labelSelector) : undefined;
    return this.peekList(resource, options.namespace)
      .filter((o) => !selector || matchesLabelSelector(selector, o.metadata.labels))
      .map((o) => clone(o));
  }

  /** The stored object itself (do not mutate). */
  peek(resource: ResourceKey, namespace: string | undefined, name: string): KubeObject | undefined {
    const view = this.viewOf(resource);
    if (view) {
      const stored = this.peek(view.storage, namespace, name);
      return stored ? view.fromStorage(stored) : undefined;
    }
    return this.slots
      .get(resourceId(resource))
      ?.byNamespace.get(namespace ?? '')
      ?.get(name);
  }

  /** Stored objects (do not mutate), sorted by namespace then name. */
  peekList(resource: ResourceKey, namespace?: string): KubeObject[] {
    const view = this.viewOf(resource);
    if (view) return this.peekList(view.storage, namespace).map(view.fromStorage);
    const slot = this.slots.get(resourceId(resource));
    if (!slot) return [];
    const out: KubeObject[] = [];
    if (namespace !== undefined) {
      const names = slot.byNamespace.get(namespace);
      if (names) for (const name of [...names.keys()].sort()) out.push(names.get(name)!);
      return out;
    }
    for (const ns of [...slot.byNamespace.keys()].sort()) {
      const names = slot.byNamespace.get(ns)!;
      for (const name of [...names.keys()].sort()) out.push(names.get(name)!);
    }
    return out;
  }

  count(resource: ResourceKey, namespace?: string): number {
    const view = this.viewOf(resource);
    if (view) return this.count(view.storage, namespace);
    const slot = this.slots.get(resourceId(resource));
    if (!slot) return 0;
    return namespace === undefined ? slot.count : (slot.byNamespace.get(namespace)?.size ?? 0);
  }

  currentResourceVersion(): string {
    return String(this.rv);
  }

  /** Events with rv > `since`, or undefined when `since` is older than the retained history (410). */
  eventsSince(since: number): HistoryEntry[] | undefined {
    if (since < this.compactedRv) return undefined;
    let lo = 0;
    let hi = this.history.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.history[mid]!.rv <= since) lo = mid + 1;
      else hi = mid;
    }
    return this.history.slice(lo);
  }

  /** The oldest resourceVersion a watch can still resume from. */
  oldestResumableVersion(): number {
    return this.compactedRv;
  }

  // ---- writes ------------------------------------------------------------------------------------

  create(resource: ResourceKey, object: KubeObject): KubeObject {
    const view = this.viewOf(resource);
    if (view) return view.fromStorage(this.create(view.storage, view.toStorage(object)));
    const ns = object.metadata.namespace ?? '';
    const name = object.metadata.name;
    if (this.peek(resource, ns, name)) throw alreadyExists(resource.group, resource.plural, name);
    const obj = clone(object);
    if (!ns) delete obj.metadata.namespace;
    obj.metadata.uid = randomUUID();
    // Custom resources carry metadata.generation; the core kinds served here (namespaces, configmaps,
    // secrets, events) do not, as on a real API server.
    if (resource.group !== '') obj.metadata.generation = 1;
    else delete obj.metadata.generation;
    obj.metadata.creationTimestamp = now();
    delete obj.metadata.deletionTimestamp;
    const stored = this.persist(resource, obj, undefined);
    return clone(stored);
  }

  update(resource: ResourceKey, object: KubeObject): KubeObject {
    const view = this.viewOf(resource);
    if (view) return view.fromStorage(this.update(view.storage, view.toStorage(object)));
    const ns = object.metadata.namespace ?? '';
    const name = object.metadata.name;
    const existing = this.peek(resource, ns, name);
    if (!existing) throw notFound(resource.group, resource.plural, name);
    const obj = clone(object);
    if (!ns) delete obj.metadata.namespace;
    obj.metadata.uid = existing.metadata.uid;
    obj.metadata.creationTimestamp = existing.metadata.creationTimestamp;
    obj.metadata.resourceVersion = existing.metadata.resourceVersion;
    obj.metadata.generation = existing.metadata.generation;
    if (existing.metadata.deletionTimestamp) obj.metadata.deletionTimestamp = existing.metadata.deletionTimestamp;
    else delete obj.metadata.deletionTimestamp;
    if (!obj.metadata.finalizers?.length) delete obj.metadata.finalizers;
    if (deepEqual(obj, existing)) return clone(existing);
    if (resource.group !== '' && specChanged(existing, obj)) obj.metadata.generation = (existing.metadata.generation ?? 0) + 1;
    if (obj.metadata.deletionTimestamp && !obj.metadata.finalizers?.length) {
      this.remove(resource, obj);
      this.deleteDependents(obj);
      return clone(obj);
    }
    const stored = this.persist(resource, obj, existing);
    if (stored.metadata.deletionTimestamp) this.markForGc(resource, stored);
    return clone(stored);
  }

  updateStatus(resource: ResourceKey, namespace: string | undefined, name: string, status: unknown): KubeObject {
    const view = this.viewOf(resource);
    if (view) return view.fromStorage(this.updateStatus(view.storage, namespace, name, status));
    const existing = this.peek(resource, namespace, name);
    if (!existing) throw notFound(resource.group, resource.plural, name);
    if (deepEqual(existing.status, status)) return clone(existing);
    const obj = clone(existing);
    if (status === undefined) delete obj.status;
    else obj.status = clone(status);
    return clone(this.persist(resource, obj, existing));
  }

  delete(
    resource: ResourceKey,
    namespace: string | undefined,
    name: string,
    propagationPolicy?: 'Foreground' | 'Background' | 'Orphan',
  ): KubeObject | undefined {
    const view = this.viewOf(resource);
    if (view) {
      const remaining = this.delete(view.storage, namespace, name, propagationPolicy);
      return remaining ? view.fromStorage(remaining) : undefined;
    }
    const existing = this.peek(resource, namespace, name);
    if (!existing) throw notFound(resource.group, resource.plural, name);
    const obj = clone(existing);
    if (propagationPolicy === 'Orphan') this.orphanDependents(obj);
    if (resourceId(resource) === resourceId(NAMESPACES)) return this.deleteNamespace(obj, existing);
    if (propagationPolicy === 'Foreground') {
      const finalizers = obj.metadata.finalizers ?? [];
      const alreadyForeground = finalizers.includes(FOREGROUND_FINALIZER);
      if (!alreadyForeground) obj.metadata.finalizers = [...finalizers, FOREGROUND_FINALIZER];
      obj.metadata.deletionTimestamp ??= now();
      obj.metadata.deletionGracePeriodSeconds ??= 0;
      const stored = deepEqual(obj, existing) ? existing : this.persist(resource, obj, existing);
      this.deleteDependents(stored);
      this.markForGc(resource, stored);
      return clone(stored);
    }
    if (obj.metadata.finalizers?.length) {
      if (!obj.metadata.deletionTimestamp) {
        obj.metadata.deletionTimestamp = now();
        obj.metadata.deletionGracePeriodSeconds = 0;
        return clone(this.persist(resource, obj, existing));
      }
      return clone(existing);
    }
    this.remove(resource, obj);
    this.deleteDependents(obj);
    return undefined;
  }

  subscribe(listener: (event: StoreEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  registerMutatingAdmission(resource: Pick<ResourceKey, 'group' | 'plural'>, hook: AdmissionHook): void {
    this.admission.mutating.push({ group: resource.group, plural: resource.plural, hook });
  }

  registerValidatingAdmission(resource: Pick<ResourceKey, 'group' | 'plural'>, hook: AdmissionHook): void {
    this.admission.validating.push({ group: resource.group, plural: resource.plural, hook });
  }

  /**
   * The mutating phase: hooks run in registration order, each sees the previous one's object; the first
   * denial wins (k8s.io/apiserver pkg/admission/plugin/webhook/mutating/dispatcher.go: webhooks in order,
   * each on the object the previous one patched).
   */
  admitMutating(request: AdmissionRequest): AdmissionResult {
    let current = request;
    let mutated: KubeObject | undefined;
    // Every webhook's warnings reach the client (mutating/dispatcher.go:325-327), denied or not.
    const warnings: string[] = [];
    for (const a of this.hooksFor('mutating', request)) {
      const result = a.hook(current, this);
      warnings.push(...(result.warnings ?? []));
      if (!result.allowed) return withWarnings(result, warnings);
      if (result.object) {
        mutated = result.object;
        current = { ...current, object: mutated };
      }
    }
    return withWarnings(mutated ? { allowed: true, object: mutated } : { allowed: true }, warnings);
  }

  /**
   * The validating phase: every hook sees the same (final) object; the first denial wins. A validating hook
   * cannot change the object (kube-apiserver has no patch in a validating webhook's response), so one that
   * returns an object is a programming error.
   */
  admitValidating(request: AdmissionRequest): AdmissionResult {
    // validating/dispatcher.go:326-328: the warnings of every webhook called, with a denial too.
    const warnings: string[] = [];
    for (const a of this.hooksFor('validating', request)) {
      const result = a.hook(request, this);
      warnings.push(...(result.warnings ?? []));
      if (!result.allowed) return withWarnings(result, warnings);
      if (result.object)
        throw new Error(
          `validating admission hook for ${request.resource.plural}.${request.resource.group} returned an object; register it with registerMutatingAdmission`,
        );
    }
    return withWarnings({ allowed: true }, warnings);
  }

  /** Both phases, as a write sees them: mutation, then validation of the mutated object. */
  admit(request: AdmissionRequest): AdmissionResult {
    const mutation = this.admitMutating(request);
    if (!mutation.allowed) return mutation;
    const validation = this.admitValidating(mutation.object ? { ...request, object: mutation.object } : request);
    const warnings = [...(mutation.warnings ?? []), ...(validation.warnings ?? [])];
    if (!validation.allowed) return withWarnings(validation, warnings);
    return withWarnings(mutation, warnings);
  }

  private hooksFor(phase: AdmissionPhase, request: AdmissionRequest): { hook: AdmissionHook }[] {
    return this.admission[phase].filter((a) => a.group === request.resource.group && a.plural === request.resource.plural);
  }

  /** Stops the garbage collector timer. */
  close(): void {
    this.closed = true;
    if (this.gcTimer) clearTimeout(this.gcTimer);
    this.gcTimer = undefined;
  }

  // ---- internals ---------------------------------------------------------------------------------

  private slot(resource: ResourceKey): Slot {
    const id = resourceId(resource);
    let slot = this.slots.get(id);
    if (!slot) {
      slot = { key: { group: resource.group, version: resource.version, plural: resource.plural }, byNamespace: new Map(), count: 0 };
      this.slots.set(id, slot);
    }
    return slot;
  }

  private persist(resource: ResourceKey, obj: KubeObject, old: KubeObject | undefined): KubeObject {
    this.rv += 1;
    obj.metadata.resourceVersion = String(this.rv);
    const slot = this.slot(resource);
    const ns = obj.metadata.namespace ?? '';
    let names = slot.byNamespace.get(ns);
    if (!names) slot.byNamespace.set(ns, (names = new Map()));
    if (!names.has(obj.metadata.name)) slot.count += 1;
    names.set(obj.metadata.name, obj);
    if (old) this.unindexOwners(resource, old);
    this.indexOwners(resource, obj);
    this.record({ type: old ? 'MODIFIED' : 'ADDED', resource: slot.key, object: obj, ...(old ? { oldObject: old } : {}) });
    if (old) this.scheduleGc();
    return obj;
  }

  private remove(resource: ResourceKey, obj: KubeObject): void {
    const slot = this.slot(resource);
    const ns = obj.metadata.namespace ?? '';
    const names = slot.byNamespace.get(ns);
    const old = names?.get(obj.metadata.name);
    if (!names || !old) return;
    names.delete(obj.metadata.name);
    if (names.size === 0) slot.byNamespace.delete(ns);
    slot.count -= 1;
    this.unindexOwners(resource, old);
    this.gcPending.delete(objectKey(resource, old));
    this.rv += 1;
    const gone = clone(obj);
    gone.metadata.resourceVersion = String(this.rv);
    this.record({ type: 'DELETED', resource: slot.key, object: gone, oldObject: old });
    this.scheduleGc();
  }

  private record(event: StoreEvent): void {
    this.history.push({ rv: this.rv, event });
    if (this.history.length > this.historySize * 1.25) {
      const drop = this.history.length - this.historySize;
      this.compactedRv = this.history[drop - 1]!.rv;
      this.history.splice(0, drop);
    }
    this.queue.push(event);
    if (this.dispatching) return;
    this.dispatching = true;
    try {
      while (this.queue.length > 0) {
        const next = this.queue.shift()!;
        for (const listener of [...this.listeners]) {
          try {
            listener(next);
          } catch {
            // A failing listener must not break the write path or the other listeners.
          }
        }
      }
    } finally {
      this.dispatching = false;
    }
  }

  private indexOwners(resource: ResourceKey, obj: KubeObject): void {
    for (const ref of obj.metadata.ownerReferences ?? []) {
      let set = this.dependents.get(ref.uid);
      if (!set) this.dependents.set(ref.uid, (set = new Set()));
      set.add(objectKey(resource, obj));
    }
  }

  private unindexOwners(resource: ResourceKey, obj: KubeObject): void {
    for (const ref of obj.metadata.ownerReferences ?? []) {
      const set = this.dependents.get(ref.uid);
      set?.delete(objectKey(resource, obj));
      if (set && set.size === 0) this.dependents.delete(ref.uid);
    }
  }

  private dependentObjects(uid: string | undefined): { resource: ResourceKey; obj: KubeObject }[] {
    if (!uid) return [];
    const out: { resource: ResourceKey; obj: KubeObject }[] = [];
    for (const key of this.dependents.get(uid) ?? []) {
      const found = this.byObjectKey(key);
      if (found) out.push(found);
    }
    return out;
  }

  private byObjectKey(key: string): { resource: ResourceKey; obj: KubeObject } | undefined {
    const [id, ns, name] = JSON.parse(key) as [string, string, string];
    const slot = this.slots.get(id);
    const obj = slot?.byNamespace.get(ns)?.get(name);
    return slot && obj ? { resource: slot.key, obj } : undefined;
  }

  private deleteDependents(owner: KubeObject): void {
    for (const { resource, obj } of this.dependentObjects(owner.metadata.uid)) {
      if (obj.metadata.deletionTimestamp) continue;
      try {
        this.delete(resource, obj.metadata.namespace, obj.metadata.name, 'Background');
      } catch {
        // already gone
      }
    }
  }

  private orphanDependents(owner: KubeObject): void {
    for (const { resource, obj } of this.dependentObjects(owner.metadata.uid)) {
      const next = clone(obj);
      next.metadata.ownerReferences = (next.metadata.ownerReferences ?? []).filter((r) => r.uid !== owner.metadata.uid);
      if (next.metadata.ownerReferences.length === 0) delete next.metadata.ownerReferences;
      this.update(resource, next);
    }
  }

  private deleteNamespace(obj: KubeObject, existing: KubeObject): KubeObject | undefined {
    const name = obj.metadata.name;
    obj.metadata.deletionTimestamp ??= now();
    obj.status = { ...(typeof obj.status === 'object' && obj.status ? obj.status : {}), phase: 'Terminating' };
    const stored = deepEqual(obj, existing) ? existing : this.persist(NAMESPACES, obj, existing);
    for (const slot of [...this.slots.values()]) {
      for (const child of [...(slot.byNamespace.get(name)?.values() ?? [])]) {
        if (child.metadata.deletionTimestamp) continue;
        try {
          this.delete(slot.key, name, child.metadata.name, 'Background');
        } catch {
          // already gone
        }
      }
    }
    this.markForGc(NAMESPACES, stored);
    this.collectGarbage();
    return this.peek(NAMESPACES, undefined, name) ? clone(this.peek(NAMESPACES, undefined, name)!) : undefined;
  }

  private markForGc(resource: ResourceKey, obj: KubeObject): void {
    const isNamespace = resourceId(resource) === resourceId(NAMESPACES);
    if (isNamespace || obj.metadata.finalizers?.includes(FOREGROUND_FINALIZER)) {
      this.gcPending.add(objectKey(resource, obj));
      this.scheduleGc();
    }
  }

  private scheduleGc(): void {
    if (this.gcTimer || this.closed || this.gcPending.size === 0) return;
    this.gcTimer = setTimeout(() => {
      this.gcTimer = undefined;
      this.collectGarbage();
    }, 5);
    this.gcTimer.unref();
  }

  /** One garbage-collector pass: completes foreground deletions and empty terminating namespaces. */
  collectGarbage(): void {
    for (const key of [...this.gcPending]) {
      const found = this.byObjectKey(key);
      if (!found) {
        this.gcPending.delete(key);
        continue;
      }
      const { resource, obj } = found;
      if (resourceId(resource) === resourceId(NAMESPACES)) {
        if (this.namespaceEmpty(obj.metadata.name) && !obj.metadata.finalizers?.length) {
          this.gcPending.delete(key);
          this.remove(resource, obj);
        }
        continue;
      }
      if (!obj.metadata.finalizers?.includes(FOREGROUND_FINALIZER)) {
        this.gcPending.delete(key);
        continue;
      }
      const blocking = this.dependentObjects(obj.metadata.uid).some(({ obj: dep }) =>
        (dep.metadata.ownerReferences ?? []).some((r) => r.uid === obj.metadata.uid && r.blockOwnerDeletion === true),
      );
      if (blocking) continue;
      this.gcPending.delete(key);
      const next = clone(obj);
      next.metadata.finalizers = (next.metadata.finalizers ?? []).filter((f) => f !== FOREGROUND_FINALIZER);
      this.update(resource, next);
    }
  }

  private namespaceEmpty(ns: string): boolean {
    for (const slot of this.slots.values()) if ((slot.byNamespace.get(ns)?.size ?? 0) > 0) return false;
    return true;
  }
}

function objectKey(resource: ResourceKey, obj: KubeObject): string {
  return JSON.stringify([resourceId(resource), obj.metadata.namespace ?? '', obj.metadata.name]);
}

function now(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** True when anything outside metadata and status differs (what bumps metadata.generation). */
function specChanged(a: KubeObject, b: KubeObject): boolean {
  const strip = (o: KubeObject): Record<string, unknown> => {
    const { metadata: _m, status: _s, ...rest } = o;
    return rest;
  };
  return !deepEqual(strip(a), strip(b));
}

/** The result with these warnings (none: the result without a `warnings` key). */
function withWarnings(result: AdmissionResult, warnings: string[]): AdmissionResult {
  const { warnings: _drop, ...rest } = result;
  return (warnings.length > 0 ? { ...rest, warnings } : rest) as AdmissionResult;
}
