/**
 * The service entries of a ClusterDeployment (`spec.serviceSpec.services`, a list-map keyed by name and
 * namespace) and which of them a field manager owns, read from managedFields (FieldsV1
 * `k:{"name":"a","namespace":"b"}` keys, as structured-merge-diff serializes them). Pure.
 */
import { DEFAULT_SERVICE_NAMESPACE } from '../k0rdent/resources.js';
import { isJsonObject, type JsonObject } from '../shared/config-schema.js';
import type { KubeObject } from '../kube/k0rdent-api.js';

export interface ServiceKey {
  name: string;
  namespace: string;
}

export const keyText = (key: ServiceKey): string => `${key.namespace}/${key.name}`;

/** The entries as stored, with the namespace kcm (and the CRD default) gives an entry without one. */
export function serviceEntries(object: KubeObject | undefined): JsonObject[] {
  const serviceSpec = object?.spec?.serviceSpec;
  const raw = isJsonObject(serviceSpec) && Array.isArray(serviceSpec.services) ? serviceSpec.services : [];
  return raw.filter(isJsonObject);
}

export function keyOf(entry: JsonObject): ServiceKey {
  return {
    name: typeof entry.name === 'string' ? entry.name : '',
    namespace: typeof entry.namespace === 'string' && entry.namespace !== '' ? entry.namespace : DEFAULT_SERVICE_NAMESPACE,
  };
}

export function findEntry(object: KubeObject | undefined, key: ServiceKey): JsonObject | undefined {
  return serviceEntries(object).find((e) => keyText(keyOf(e)) === keyText(key));
}

interface ManagedFieldsEntry {
  manager?: unknown;
  operation?: unknown;
  subresource?: unknown;
  fieldsV1?: unknown;
}

function servicesFields(entry: ManagedFieldsEntry): JsonObject {
  const f = entry.fieldsV1;
  const spec = isJsonObject(f) ? f['f:spec'] : undefined;
  const serviceSpec = isJsonObject(spec) ? spec['f:serviceSpec'] : undefined;
  const services = isJsonObject(serviceSpec) ? serviceSpec['f:services'] : undefined;
  return isJsonObject(services) ? services : {};
}

function parseKey(pe: string): ServiceKey | undefined {
  if (!pe.startsWith('k:')) return undefined;
  try {
    const key = JSON.parse(pe.slice(2)) as unknown;
    if (!isJsonObject(key) || typeof key.name !== 'string') return undefined;
    return { name: key.name, namespace: typeof key.namespace === 'string' ? key.namespace : DEFAULT_SERVICE_NAMESPACE };
  } catch {
    return undefined;
  }
}

function entriesOf(object: KubeObject | undefined): ManagedFieldsEntry[] {
  const raw = object?.metadata?.managedFields;
  return Array.isArray(raw) ? (raw.filter(isJsonObject) as ManagedFieldsEntry[]) : [];
}

/** The entries `manager` applied (operation Apply on the main resource), each with the fields it set. */
export function appliedEntries(object: KubeObject | undefined, manager: string): { key: ServiceKey; fields: string[] }[] {
  const mine = entriesOf(object).find(
    (e) => e.manager === manager && e.operation === 'Apply' && (e.subresource === undefined || e.subresource === ''),
  );
  if (!mine) return [];
  return Object.entries(servicesFields(mine)).flatMap(([pe, node]) => {
    const key = parseKey(pe);
    if (!key) return [];
    const fields = isJsonObject(node)
      ? Object.keys(node)
          .filter((k) => k.startsWith('f:'))
          .map((k) => k.slice(2))
      : [];
    return [{ key, fields }];
  });
}

/** Every other field manager that owns something of the entry `key`. */
export function otherOwners(object: KubeObject | undefined, key: ServiceKey, manager: string): string[] {
  const owners = new Set<string>();
  for (const e of entriesOf(object)) {
    if (e.manager === manager && e.operation === 'Apply') continue;
    for (const pe of Object.keys(servicesFields(e))) {
      const k = parseKey(pe);
      if (k && keyText(k) === keyText(key) && typeof e.manager === 'string') owners.add(e.manager);
    }
  }
  return [...owners];
}

/**
 * What `manager` must apply to keep the entries it owns as they are: for each owned entry the fields it
 * set, with their live values. An apply that leaves an owned entry out removes it.
 */
export function ownedConfiguration(object: KubeObject | undefined, manager: string, except?: ServiceKey): JsonObject[] {
  const out: JsonObject[] = [];
  for (const { key, fields } of appliedEntries(object, manager)) {
    if (except && keyText(key) === keyText(except)) continue;
    const live = findEntry(object, key);
    if (!live) continue;
    const entry: JsonObject = { name: key.name, namespace: key.namespace };
    for (const field of fields) if (live[field] !== undefined) entry[field] = live[field];
    out.push(entry);
  }
  return out;
}
