// Runs every compiled test file (dist/test/**/*.test.js) with node's test runner.
// Node 20's `node --test` has no glob support, so the file list is built here.
// Usage: node scripts/run-tests.mjs [substring-filter ...]
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = 'dist/test';
const filters = process.argv.slice(2);

function walk(dir) {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

const files = walk(root)
  .filter((f) => f.endsWith('.test.js'))
  .filter((f) => filters.length === 0 || filters.some((s) => relative(root, f).includes(s)))
  .sort();

if (files.length === 0) {
  console.error(`no test files found under ${root} (did the build run?)`);
  process.exit(1);
}

// Files named *.gc.test.js force garbage collections (deadline tests): they run with --expose-gc.
const groups = [
  { files: files.filter((f) => !f.endsWith('.gc.test.js')), execArgv: [] },
  { files: files.filter((f) => f.endsWith('.gc.test.js')), execArgv: ['--expose-gc'] },
].filter((g) => g.files.length > 0);

let status = 0;
for (const group of groups) {
  const result = spawnSync(
    process.execPath,
    [...group.execArgv, '--test', '--test-reporter=spec', '--test-concurrency=2', ...group.files],
    { stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test', OPENSPEC_TELEMETRY: '0' } },
  );
  if ((result.status ?? 1) !== 0) status = result.status ?? 1;
}
process.exit(status);
