// Builds dist/ when the package is packed or installed from source, so the `k0rdent-mcp` binary exists:
//   prepack  (npm pack / npm publish in a checkout)       → build
//   prepare  (npm install <git url> or <folder>)          → build, installing the dev dependencies first
//            when the checkout has none (a fresh clone: TypeScript is a dev dependency)
//   prepare  (npm ci / npm install inside this checkout)  → nothing: npm start and npm test build anyway
//   prepare  during npm pack / npm publish                → nothing: prepack has just built
import { spawnSync } from 'node:child_process';
import { existsSync, realpathSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const event = process.env.npm_lifecycle_event ?? 'prepack';
const command = process.env.npm_command ?? '';

function same(a, b) {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return false;
  }
}

function run(cmd, args) {
  const result = spawnSync(cmd, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'], env: process.env });
  if (result.status !== 0) {
    process.stderr.write(`k0rdent-mcp build: ${cmd} ${args.join(' ')} failed (exit ${result.status ?? result.signal})\n`);
    process.exit(result.status ?? 1);
  }
}

if (event === 'prepare') {
  if (command === 'pack' || command === 'publish') process.exit(0);
  if (process.env.INIT_CWD !== undefined && same(process.env.INIT_CWD, root)) process.exit(0);
}

const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
if (!existsSync(tsc)) {
  process.stderr.write('k0rdent-mcp build: no dev dependencies in this checkout; installing them from package-lock.json to build\n');
  // --ignore-scripts: this script runs from a lifecycle script itself and must not start again.
  run('npm', ['ci', '--include=dev', '--ignore-scripts', '--no-audit', '--no-fund']);
}
// A clean build: a stale file left in dist/ by a renamed source must not ship.
rmSync(join(root, 'dist'), { recursive: true, force: true });
run(process.execPath, [tsc, '-p', join(root, 'tsconfig.json')]);
// The answers the stdio front gives while the server loads (src/cli/start-cache.ts).
run(process.execPath, [join(root, 'scripts', 'start-answers.mjs')]);
// The start path in one file (src/cli/main.ts falls back to the modules without it).
run(process.execPath, [join(root, 'scripts', 'bundle-start.mjs')]);
