/**
 * The simulated kcm's view of a real API server: an informer-style cache (LIST, then WATCH from the
 * list's resourceVersion through client-node's Watch; a 410 Gone or a broken watch re-lists) per
 * resource, and writes as API calls: object PUTs with the cached resourceVersion (a stale one is a
 * 409 the controller retries) and status-subresource patches. An answered write updates the cache at
 * once (read-your-writes, as controller-runtime's cache does not, but kcm never depends on the lag),
 * so a reconcile step never computes from an older object than the one it just wrote.
 */
import { Watch } from '@kubernetes/client-node';
import type { KubeObject, ListOptions, ResourceKey, StoreEvent, WatchEventType } from '../apiserver/types.js';
import { matchesLabelSelector, parseLabelSelector } from '../apiserver/selectors.js';
import type { KcmApi } from '../kcm/api.js';
import { KubeApiError, resourcePath, type KubeRest } from './rest.js';

interface ObjectList {
  kind?: string;
  metadata?: { resourceVersion?: string; continue?: string };
  items?: KubeObject[];
}

export interface KubeCacheOptions {
  /** fieldManager of every write (kcm's is its manager name). */
  fieldManager?: string;
  log?: (line: string) => void;
}

const id = (r: Pick<ResourceKey, 'group' | 'plural'>): string => `${r.group}/${r.plural}`;
const objectKey = (namespace: string | undefined, name: string): string => `${namespace ?? ''}/${name}`;

/** resourceVersions of one etcd are its revisions: increasing integers (a test control plane's own). */
function newer(a: KubeObject, b: KubeObject | undefined): boolean {
  if (!b) return true;
  try {
    return BigInt(a.metadata.resourceVersion ?? '0') >= BigInt(b.metadata.resourceVersion ?? '0');
  } catch {
    return true;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
  });
}

export class KubeCache implements KcmApi {
  private readonly slots = new Map<string, Map<string, KubeObject>>();
  private readonly keys = new Map<string, ResourceKey>();
  private readonly listeners = new Set<(event: StoreEvent) => void>();
  /** The resourceVersion each object was deleted at: a write's response that arrives after the DELETED event must not bring it back. */
  private readonly deletedAt = new Map<string, string>();
  private readonly watches = new Set<AbortController>();
  private readonly fieldManager: string;
  private readonly log: (line: string) => void;
  private closed = false;

  constructor(
    private readonly rest: KubeRest,
    resources: ResourceKey[],
    options: KubeCacheOptions = {},
  ) {
    for (const r of resources) {
      this.keys.set(id(r), r);
      this.slots.set(id(r), new Map());
    }
    this.fieldManager = options.fieldManager ?? 'kcm-controller-manager';
    this.log = options.log ?? (() => undefined);
  }

  /** Lists every resource, starts the watches, and resolves once every cache holds its first list. */
  async start(): Promise<void> {
    await Promise.all(
      [...this.keys.values()].map(async (resource) => {
        const rv = await this.relist(resource, false);
        void this.watchLoop(resource, rv);
      }),
    );
  }

  close(): void {
    this.closed = true;
    for (const w of this.watches) w.abort();
    this.watches.clear();
    this.listeners.clear();
  }

  get(resource: ResourceKey, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.slot(resource).get(objectKey(namespace, name));
  }

  list(resource: ResourceKey, options: ListOptions = {}): KubeObject[] {
    const requirements = options.labelSelector ? parseLabelSelector(options.labelSelector) : undefined;
    return [...this.slot(resource).values()].filter(
      (o) =>
        (options.namespace === undefined || o.metadata.namespace === options.namespace) &&
        (!requirements || matchesLabelSelector(requirements, o.metadata.labels)),
    );
  }

  subscribe(listener: (event: StoreEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async create(resource: ResourceKey, object: KubeObject): Promise<KubeObject> {
    return this.observe(resource, await this.rest.create(resource, object, this.fieldManager));
  }

  async update(resource: ResourceKey, object: KubeObject): Promise<KubeObject> {
    return this.observe(resource, await this.rest.replace(resource, object, this.fieldManager));
  }

  async updateStatus(resource: ResourceKey, namespace: string | undefined, name: string, status: unknown): Promise<KubeObject> {
    return this.observe(resource, await this.rest.replaceStatus(resource, namespace, name, status, this.fieldManager));
  }

  /** DELETE with background propagation; false when the API server answers 404 (kcm's IgnoreNotFound). */
  async delete(resource: ResourceKey, namespace: string | undefined, name: string): Promise<boolean> {
    const res = await this.rest.raw({
      method: 'DELETE',
      path: resourcePath(resource, namespace, name),
      body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' },
    });
    if (res.status === 404) return false;
    if (res.status >= 200 && res.status < 300) return true;
    const message = (res.body as { message?: string } | undefined)?.message ?? String(res.body);
    throw new KubeApiError(res.status, '', message, res.body);
  }

  /** A live GET that refreshes the cache (the webhooks' read-through when an object is not cached yet). */
  async fetch(resource: ResourceKey, namespace: string | undefined, name: string): Promise<KubeObject | undefined> {
    try {
      return this.observe(resource, await this.rest.get(resource, namespace, name));
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 404) return undefined;
      throw err;
    }
  }

  isCached(resource: Pick<ResourceKey, 'group' | 'plural'>): boolean {
    return this.keys.has(id(resource));
  }

  private slot(resource: Pick<ResourceKey, 'group' | 'plural'>): Map<string, KubeObject> {
    const slot = this.slots.get(id(resource));
    if (!slot) throw new Error(`kcm cache: ${resource.plural}.${resource.group || 'core'} is not watched`);
    return slot;
  }

  private observe(resource: ResourceKey, object: KubeObject): KubeObject {
    const slot = this.slots.get(id(resource));
    if (slot) {
      const key = objectKey(object.metadata.namespace, object.metadata.name);
      const tombstone = this.deletedAt.get(`${id(resource)} ${key}`);
      const gone = tombstone !== undefined && newer({ ...object, metadata: { ...object.metadata, resourceVersion: tombstone } }, object);
      if (!gone && newer(object, slot.get(key))) slot.set(key, object);
    }
    return object;
  }

  private emit(type: WatchEventType, resource: ResourceKey, object: KubeObject, oldObject?: KubeObject): void {
    const event: StoreEvent = { type, resource, object, ...(oldObject ? { oldObject } : {}) };
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (err) {
        this.log(`kcm cache: listener failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }

  /** LISTs (paged) and replaces the cache; after the first list, differences become events. */
  private async relist(resource: ResourceKey, notify: boolean): Promise<string> {
    const items: KubeObject[] = [];
    let rv = '';
    let token: string | undefined;
    let listKind = '';
    do {
      const page = await this.rest.json<ObjectList>({
        method: 'GET',
        path: resourcePath(resource, undefined),
        query: { limit: '500', continue: token },
      });
      items.push(...(page.items ?? []));
      listKind = page.kind ?? listKind;
      rv = page.metadata?.resourceVersion ?? rv;
      token = page.metadata?.continue || undefined;
    } while (token);
    const apiVersion = resource.group === '' ? resource.version : `${resource.group}/${resource.version}`;
    const slot = this.slot(resource);
    const seen = new Set<string>();
    for (const raw of items) {
      // Items of a list carry no apiVersion/kind; a watch event's object does. Keep one shape.
      const item = { ...raw, apiVersion: raw.apiVersion ?? apiVersion, kind: raw.kind ?? listKind.replace(/List$/, '') };
      const key = objectKey(item.metadata.namespace, item.metadata.name);
      seen.add(key);
      const old = slot.get(key);
      if (!newer(item, old)) continue;
      slot.set(key, item);
      if (notify && old?.metadata.resourceVersion !== item.metadata.resourceVersion)
        this.emit(old ? 'MODIFIED' : 'ADDED', resource, item, old);
    }
    for (const [key, old] of slot) {
      if (seen.has(key)) continue;
      slot.delete(key);
      if (notify) this.emit('DELETED', resource, old);
    }
    return rv;
  }

  private async watchLoop(resource: ResourceKey, fromVersion: string): Promise<void> {
    let rv = fromVersion;
    while (!this.closed) {
      const outcome = await this.watchOnce(resource, rv, (next) => (rv = next));
      if (this.closed) return;
      if (outcome === 'gone' || outcome === 'failed') {
        if (outcome === 'failed') await sleep(500);
        try {
          rv = await this.relist(resource, true);
        } catch (err) {
          this.log(`kcm cache: relist ${resource.plural} failed: ${err instanceof Error ? err.message : String(err)}`);
          await sleep(1000);
        }
      }
    }
  }

  /** One WATCH; 'closed' = the server ended it (resume from the last version), 'gone' = 410, re-list. */
  private watchOnce(resource: ResourceKey, rv: string, advance: (rv: string) => void): Promise<'closed' | 'gone' | 'failed'> {
    return new Promise((resolve) => {
      let gone = false;
      let settled = false;
      const finish = (outcome: 'closed' | 'gone' | 'failed'): void => {
        if (settled) return;
        settled = true;
        resolve(outcome);
      };
      const watch = new Watch(this.rest.kubeConfig);
      const path = resourcePath(resource, undefined);
      watch
        .watch(
          path,
          { resourceVersion: rv, allowWatchBookmarks: true },
          (phase: string, raw: unknown) => {
            const object = raw as KubeObject;
            if (phase === 'ERROR') {
              const status = raw as { code?: number };
              gone = status.code === 410;
              return;
            }
            if (object?.metadata?.resourceVersion) advance(object.metadata.resourceVersion);
            if (phase === 'BOOKMARK') return;
            this.onWatchEvent(resource, phase as WatchEventType, object);
          },
          (err: unknown) => {
            if (err && !this.closed && !gone)
              this.log(`kcm cache: watch ${resource.plural} ended: ${err instanceof Error ? err.message : String(err)}`);
            finish(gone ? 'gone' : err ? 'failed' : 'closed');
          },
        )
        .then(
          (controller) => {
            if (this.closed || settled) controller.abort();
            else this.watches.add(controller);
          },
          (err: unknown) => {
            gone = err instanceof Error && /\b410\b/.test(err.message);
            finish(gone ? 'gone' : 'failed');
          },
        );
    });
  }

  private onWatchEvent(resource: ResourceKey, type: WatchEventType, object: KubeObject): void {
    const slot = this.slot(resource);
    const key = objectKey(object.metadata.namespace, object.metadata.name);
    const old = slot.get(key);
    if (type === 'DELETED') {
      if (!old || newer(object, old)) slot.delete(key);
      if (object.metadata.resourceVersion) this.deletedAt.set(`${id(resource)} ${key}`, object.metadata.resourceVersion);
      this.emit('DELETED', resource, object, old);
      return;
    }
    this.deletedAt.delete(`${id(resource)} ${key}`);
    if (newer(object, old)) slot.set(key, object);
    this.emit(type, resource, object, old);
  }
}
