/** Locates the k0rdent data shipped with the package (data/k0rdent: CRDs and chart schemas). */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/** The package root: the nearest ancestor of this module that holds package.json. */
export function packageRoot(): string {
  if (cached !== undefined) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) {
      cached = dir;
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('k0rdent sandbox: cannot find package.json above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

export function k0rdentDataDir(): string {
  return join(packageRoot(), 'data', 'k0rdent');
}
