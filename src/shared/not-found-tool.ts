/**
 * The tool a model most likely meant by a name this server does not offer. Models guess verbs: `create`
 * where the tool that creates is `deploy` (or `apply`), `remove` where it is `delete`. A verb synonym is
 * tried before the nearest spelling, which would send `k0.clusters.create` to `k0.clusters.update`. Pure.
 */
import { nearestName } from './suggest.js';

/** A guessed verb → the verbs of this server's tools that do it, in order of preference. */
const VERB_SYNONYMS: Readonly<Record<string, readonly string[]>> = {
  create: ['deploy', 'apply', 'install'],
  new: ['deploy', 'apply', 'install'],
  add: ['apply', 'deploy', 'install'],
  make: ['deploy', 'apply'],
  provision: ['deploy'],
  install: ['apply', 'deploy'],
  remove: ['delete', 'remove', 'uninstall'],
  destroy: ['delete', 'remove', 'uninstall'],
  rm: ['delete', 'remove', 'uninstall'],
  del: ['delete', 'remove', 'uninstall'],
  uninstall: ['remove', 'delete'],
  delete: ['remove', 'uninstall'],
  upgrade: ['update'],
  scale: ['update'],
  patch: ['update'],
  edit: ['update'],
  describe: ['get'],
  show: ['get'],
  read: ['get'],
  ls: ['list'],
};

/** The offered tool `wanted` most likely means: its verb's synonym under the same prefix, else the nearest name. */
export function nearestTool(wanted: string, offered: readonly string[]): string | undefined {
  const match = /^(.*[._])([A-Za-z]+)$/.exec(wanted);
  if (match !== null) {
    const [, prefix, verb] = match as unknown as [string, string, string];
    for (const synonym of VERB_SYNONYMS[verb.toLowerCase()] ?? []) {
      const candidate = `${prefix}${synonym}`;
      if (offered.includes(candidate)) return candidate;
    }
  }
  return nearestName(wanted, offered);
}
