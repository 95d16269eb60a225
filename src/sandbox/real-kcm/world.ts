/**
 * The simulated world below kcm (Flux's source- and helm-controller, Cluster API and the infrastructure
 * providers): src/sandbox/world/ (issue 20 items 2–3), started against the same API kcm uses. Until that module
 * is on main, K0RDENT_WORLD_MODULE names a module file that exports the same two things (a stand-in).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ResourceKey } from '../apiserver/types.js';
import type { KcmApi } from '../kcm/api.js';

export interface WorldOptions {
  /** Folders holding one folder per chart (`<root>/<chart>/Chart.yaml`): what the source-controller serves. */
  chartDirs: string[];
  provisionSeconds?: number;
  deleteSeconds?: number;
  log?: (line: string) => void;
}

export interface WorldHandle {
  close(): Promise<void> | void;
}

export interface WorldModule {
  /** The resources the world reads: the backend's cache lists and watches them. */
  worldResources: ResourceKey[];
  startWorld(api: KcmApi, options: WorldOptions): Promise<WorldHandle> | WorldHandle;
}

/** true, or why the world module is not there. */
export function worldAvailable(): true | string {
  const override = process.env['K0RDENT_WORLD_MODULE'];
  if (override) return existsSync(override) ? true : `K0RDENT_WORLD_MODULE=${override} does not exist`;
  return existsSync(fileURLToPath(new URL('../world/index.js', import.meta.url)))
    ? true
    : 'the simulated world (src/sandbox/world) is not in this build; K0RDENT_WORLD_MODULE may name a stand-in';
}

export async function loadWorld(): Promise<WorldModule> {
  const override = process.env['K0RDENT_WORLD_MODULE'];
  const own = new URL('../world/index.js', import.meta.url);
  const url = override ? pathToFileURL(override).href : own.href;
  if (!override && !existsSync(fileURLToPath(own)))
    throw new Error('the simulated world (src/sandbox/world) is not built into this package; set K0RDENT_WORLD_MODULE to a stand-in');
  const mod = (await import(url)) as Partial<WorldModule>;
  if (typeof mod.startWorld !== 'function' || !Array.isArray(mod.worldResources))
    throw new Error(`${url} does not export startWorld and worldResources`);
  return mod as WorldModule;
}
