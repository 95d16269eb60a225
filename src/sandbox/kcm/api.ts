/**
 * What the simulated kcm needs from a Kubernetes API, so that one kcm attaches two ways: to the
 * embedded sandbox's store (`storeApi`) or to any API server through client-node (../kube/cache.ts).
 * Reads are cached and synchronous, as kcm reads through controller-runtime's cached client; writes are
 * API calls. A write that fails rejects its promise; the controller logs it and the next event retries.
 */
import type { KubeObject, ListOptions, ResourceKey, Store, StoreEvent } from '../apiserver/types.js';

/** The cached reads alone (what status and admission checks look at). The embedded store is one. */
export type KcmReader = Pick<KcmApi, 'get' | 'list'>;

export interface KcmApi {
  /** From the cache: what the last watch event (or this kcm's own last write) left. */
  get(resource: ResourceKey, namespace: string | undefined, name: string): KubeObject | undefined;
  list(resource: ResourceKey, options?: ListOptions): KubeObject[];
  /** Watch events of the resources kcm watches, in the order the API server sent them. */
  subscribe(listener: (event: StoreEvent) => void): () => void;
  create(resource: ResourceKey, object: KubeObject): Promise<KubeObject>;
  /** Replaces the object (finalizers, labels); optimistic on its resourceVersion where the API checks it. */
  update(resource: ResourceKey, object: KubeObject): Promise<KubeObject>;
  /** Replaces `.status` through the status subresource. */
  updateStatus(resource: ResourceKey, namespace: string | undefined, name: string, status: unknown): Promise<KubeObject>;
  /** Deletes (background propagation); resolves false when the object was not there (404). */
  delete(resource: ResourceKey, namespace: string | undefined, name: string): Promise<boolean>;
}

/** Runs a synchronous store write now (as the embedded kcm always did) and hands its outcome back as a promise. */
function now<T>(write: () => T): Promise<T> {
  try {
    return Promise.resolve(write());
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}

/** The embedded sandbox: the store is the cache and every write lands before the call returns. */
export function storeApi(store: Store): KcmApi {
  return {
    get: (resource, namespace, name) => store.get(resource, namespace, name),
    list: (resource, options) => store.list(resource, options),
    subscribe: (listener) => store.subscribe(listener),
    create: (resource, object) => now(() => store.create(resource, object)),
    update: (resource, object) => now(() => store.update(resource, object)),
    updateStatus: (resource, namespace, name, status) => now(() => store.updateStatus(resource, namespace, name, status)),
    delete: (resource, namespace, name) => {
      if (!store.get(resource, namespace, name)) return Promise.resolve(false);
      return now(() => {
        store.delete(resource, namespace, name, 'Background');
        return true;
      });
    },
  };
}
