/**
 * The CRDs of the world's kinds (data/world/crds, written by scripts/world-crds.mjs from the Go modules) and
 * the embedded sandbox's registry with them: the k0rdent kinds plus everything Flux, Cluster API and the
 * providers write.
 */
import { join } from 'node:path';
import { defaultRegistry, loadCrds, packageRoot, ResourceRegistry } from '../apiserver/resources.js';

export function worldCrdDir(): string {
  return join(packageRoot(), 'data', 'world', 'crds');
}

/** The core kinds, the k0rdent CRDs and the world's CRDs. */
export function registryWithWorld(): ResourceRegistry {
  return new ResourceRegistry([...defaultRegistry().defs, ...loadCrds(worldCrdDir())]);
}
