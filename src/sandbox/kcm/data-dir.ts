/** Locates the k0rdent data shipped with the package (data/k0rdent: CRDs and chart schemas). */
import { join } from 'node:path';
import { packageRoot } from '../apiserver/resources.js';

export function k0rdentDataDir(): string {
  return join(packageRoot(), 'data', 'k0rdent');
}
