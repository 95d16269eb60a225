/**
 * A KcmReader over a fixed list of objects, for unit tests of the simulated kcm's checks (src/sandbox/kcm/api.ts): `get`
 * by resource, namespace and name; `list` by resource, and by namespace when asked.
 */
import type { KubeObject, ResourceKey } from '../../src/sandbox/apiserver/types.js';
import type { KcmReader } from '../../src/sandbox/kcm/api.js';

export function fixedReader(objects: { resource: ResourceKey; object: KubeObject }[]): KcmReader {
  const same = (a: ResourceKey, b: ResourceKey): boolean => a.group === b.group && a.plural === b.plural;
  return {
    get: (resource, namespace, name) =>
      objects.find((o) => same(o.resource, resource) && o.object.metadata.namespace === namespace && o.object.metadata.name === name)
        ?.object,
    list: (resource, options) =>
      objects
        .filter(
          (o) => same(o.resource, resource) && (options?.namespace === undefined || o.object.metadata.namespace === options.namespace),
        )
        .map((o) => o.object),
  };
}
