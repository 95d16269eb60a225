/**
 * Loads the sandbox's seed data into a real API server: the seed is built exactly as for the embedded
 * sandbox (into a scratch store), then every object is created in the order the seed wrote them
 * (owners before dependents), ownerReferences pointing at the new uids, and each status written
 * through the status subresource where the resource has one.
 */
import type { KubeObject, OwnerReference, ResourceKey } from '../apiserver/types.js';
import type { ResourceRegistry } from '../apiserver/resources.js';
import { MemoryStore } from '../apiserver/store.js';
import { seedStore, type SeedOptions } from '../seed/index.js';
import { KubeApiError, type KubeRest } from './rest.js';

const FIELD_MANAGER = 'k0rdent-sandbox-seed';

interface Seeded {
  resource: ResourceKey;
  object: KubeObject;
}

/** The seed's objects in creation order, each in its final state. */
export function buildSeed(registry: ResourceRegistry, options: Omit<SeedOptions, 'lookup'>): Seeded[] {
  const scratch = new MemoryStore();
  const order = new Map<string, Seeded>();
  const unsubscribe = scratch.subscribe((event) => {
    const key = `${event.resource.group}/${event.resource.plural}/${event.object.metadata.namespace ?? ''}/${event.object.metadata.name}`;
    if (event.type === 'DELETED') order.delete(key);
    else order.set(key, { resource: event.resource, object: event.object });
  });
  try {
    seedStore(scratch, {
      ...options,
      lookup: (apiVersion, kind) => {
        const def = registry.findByKind(apiVersion, kind);
        return def ? { key: { group: def.group, version: def.version, plural: def.plural }, namespaced: def.namespaced } : undefined;
      },
    });
  } finally {
    unsubscribe();
    scratch.close();
  }
  return [...order.values()];
}

function forCreate(object: KubeObject, uids: Map<string, string>): KubeObject {
  const {
    uid: _uid,
    resourceVersion: _rv,
    creationTimestamp: _ct,
    generation: _g,
    managedFields: _mf,
    deletionTimestamp: _dt,
    ...metadata
  } = object.metadata;
  const owners = (object.metadata.ownerReferences ?? [])
    .map((o): OwnerReference | undefined => (uids.has(o.uid) ? { ...o, uid: uids.get(o.uid) ?? o.uid } : undefined))
    .filter((o): o is OwnerReference => o !== undefined);
  const copy: KubeObject = { ...object, metadata: { ...metadata } };
  if (owners.length > 0) copy.metadata.ownerReferences = owners;
  else delete copy.metadata.ownerReferences;
  return copy;
}

/** Creates the seed in the API server; returns how many objects were written. */
export async function pushSeed(rest: KubeRest, registry: ResourceRegistry, seeded: Seeded[]): Promise<number> {
  const uids = new Map<string, string>();
  let written = 0;
  for (const { resource, object } of seeded) {
    const def = registry.get(resource);
    let created: KubeObject;
    try {
      created = await rest.create(resource, forCreate(object, uids), FIELD_MANAGER);
      written += 1;
    } catch (err) {
      // The control plane makes default, kube-system, kube-public and kube-node-lease itself.
      if (err instanceof KubeApiError && err.status === 409 && resource.plural === 'namespaces') {
        created = await rest.get(resource, undefined, object.metadata.name);
      } else {
        throw err;
      }
    }
    if (object.metadata.uid && created.metadata.uid) uids.set(object.metadata.uid, created.metadata.uid);
    const status = object['status'];
    if (def?.statusSubresource && def.custom && status !== undefined) {
      await rest.replaceStatus(resource, created.metadata.namespace, created.metadata.name, status, FIELD_MANAGER);
    }
  }
  return written;
}
