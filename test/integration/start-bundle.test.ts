/**
 * The binary runs its start path from the build's bundle (scripts/bundle-start.mjs, src/cli/main.ts) when it is
 * fresh, and from the modules themselves when a file it was made from is newer (a plain `tsc -b` after the build).
 * Which one ran is read from a module-loading hook in the child that records every module it loads.
 */
import assert from 'node:assert/strict';
import { readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { REPO_ROOT, runCli, tempDir } from '../helpers/cli-process.js';

const HOOKS = `
import { appendFileSync } from 'node:fs';
export async function load(url, context, nextLoad) {
  if (url.includes('/dist/src/')) appendFileSync(process.env.LOADED_LOG, url + '\\n');
  return nextLoad(url, context);
}
`;
const REGISTER = `import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n`;

async function loadedBy(args: string[]): Promise<{ code: number | null; loaded: string[] }> {
  const dir = tempDir();
  writeFileSync(join(dir, 'hooks.mjs'), HOOKS);
  writeFileSync(join(dir, 'register.mjs'), REGISTER);
  const log = join(dir, 'loaded.log');
  writeFileSync(log, '');
  const { code } = await runCli(args, {
    NODE_OPTIONS: `--import=${pathToFileURL(join(dir, 'register.mjs')).href}`,
    LOADED_LOG: log,
  });
  return { code, loaded: readFileSync(log, 'utf8').split('\n').filter(Boolean) };
}

const named = (loaded: string[], file: string): boolean => loaded.some((url) => url.endsWith(`/dist/src/cli/${file}`));

describe('the start bundle', () => {
  it('a fresh bundle runs the commands: neither commands.js nor the configuration modules load on their own', async () => {
    const { code, loaded } = await loadedBy(['stdio', '--help']);
    assert.equal(code, 0);
    assert.ok(named(loaded, 'start.bundle.js'), loaded.join('\n'));
    assert.ok(!named(loaded, 'commands.js') && !loaded.some((url) => url.includes('/dist/src/config/')), loaded.join('\n'));
  });

  it('a file newer than the bundle (tsc after the build) runs the modules themselves', async () => {
    const commands = join(REPO_ROOT, 'dist', 'src', 'cli', 'commands.js');
    const { atime, mtime } = statSync(commands);
    utimesSync(commands, atime, new Date(Date.now() + 60_000));
    try {
      const { code, loaded } = await loadedBy(['stdio', '--help']);
      assert.equal(code, 0);
      assert.ok(named(loaded, 'commands.js'), loaded.join('\n'));
      assert.ok(!named(loaded, 'start.bundle.js'), loaded.join('\n'));
    } finally {
      utimesSync(commands, atime, mtime);
    }
  });
});
