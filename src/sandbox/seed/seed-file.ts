/** `--seed FILE`: a YAML (or JSON) multi-document file of objects that replaces the default data. */
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import type { KubeObject, ResourceKey, Store } from '../apiserver/types.js';
import { isJsonObject } from '../kcm/resources.js';
import { ensureNamespace } from './objects.js';

/** Finds the served resource of an apiVersion + kind. */
export type ResourceLookup = (apiVersion: string, kind: string) => { key: ResourceKey; namespaced: boolean } | undefined;

function objectsOf(document: unknown, where: string): KubeObject[] {
  if (document === null || document === undefined) return [];
  if (!isJsonObject(document)) throw new Error(`${where}: not an object`);
  if (typeof document['kind'] === 'string' && document['kind'].endsWith('List') && Array.isArray(document['items'])) {
    return document['items'].flatMap((item, i) => objectsOf(item, `${where} items[${i}]`));
  }
  const metadata = document['metadata'];
  if (
    typeof document['apiVersion'] !== 'string' ||
    typeof document['kind'] !== 'string' ||
    !isJsonObject(metadata) ||
    typeof metadata['name'] !== 'string'
  ) {
    throw new Error(`${where}: apiVersion, kind and metadata.name are required`);
  }
  return [document as unknown as KubeObject];
}

/** Reads every object of the file; throws with the document's position on a malformed one. */
export function readSeedFile(file: string): KubeObject[] {
  const text = readFileSync(file, 'utf8');
  return parseAllDocuments(text).flatMap((doc, index) => {
    if (doc.errors.length > 0) throw new Error(`${file}: document ${index + 1}: ${doc.errors[0]!.message}`);
    return objectsOf(doc.toJSON(), `${file}: document ${index + 1}`);
  });
}

/** Puts the file's objects into the store, creating namespaces they need (system writes). */
export function seedFromFile(store: Store, file: string, lookup: ResourceLookup): number {
  const objects = readSeedFile(file);
  const prepared = objects.map((object) => {
    const found = lookup(object.apiVersion, object.kind);
    if (!found)
      throw new Error(`${file}: ${object.apiVersion} ${object.kind} "${object.metadata.name}": the sandbox does not serve this kind`);
    const metadata = { ...object.metadata };
    if (found.namespaced) metadata.namespace ??= 'default';
    else delete metadata.namespace;
    return { key: found.key, object: { ...object, metadata } };
  });
  // Namespaces first, so objects in them (and ones owned by templates) land in order.
  prepared.sort((a, b) => Number(b.key.plural === 'namespaces') - Number(a.key.plural === 'namespaces'));
  for (const { key, object } of prepared) {
    if (object.metadata.namespace) ensureNamespace(store, object.metadata.namespace);
    if (key.plural === 'namespaces' && store.get(key, undefined, object.metadata.name)) continue;
    store.create(key, object);
  }
  return prepared.length;
}
