// Runs the compiled test files (dist/test/**/*.test.js), each in its own node process, several at a time.
//
//   npm test                                  every file
//   npm test -- clusters-tools                the files whose path contains "clusters-tools"
//   npm test -- clusters-tools "dev mode"     a filter that names no file is a test-name pattern
//   npm test -- --name "^deploy .* ready$"    an explicit test-name pattern (node's --test-name-pattern)
//   npm test -- --concurrency 2               files at a time (default TEST_CONCURRENCY, else 4)
//
// `pretest` is `npm run build`, an incremental `tsc -b`: a run in which nothing changed does not recompile.
// Why a scheduler here rather than `node --test --test-concurrency`: most files wait on timers (provisioning,
// heartbeats, deadlines) rather than on the CPU, so the longest files start first (the durations of the last run
// on this checkout, else the SLOW list below) and the slots never wait behind one file; each file's output is
// printed whole when it ends (no interleaving); the files that need other node flags (*.gc.test: --expose-gc)
// share the same slots instead of running as a second, sequential pass; and the closing table gives the wall
// time of each group and the slowest files, which is what the suite's budget is measured with.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';

const root = 'dist/test';
const durationsFile = 'dist/.test-durations.json';

// Files known to take the longest wall time (a fresh checkout has no recorded durations): they start first.
const SLOW = [
  'integration/long-ops-heartbeat.test.js',
  'integration/kube-deadlines.gc.test.js',
  'integration/package.test.js',
  'integration/tools-property.test.js',
  'integration/tools-property-semantic.test.js',
];

function usage(message) {
  if (message) console.error(message);
  console.error('usage: node scripts/run-tests.mjs [file-filter | name-pattern ...] [--name <pattern>] [--concurrency <n>]');
  process.exit(2);
}

const fileFilters = [];
const namePatterns = [];
let concurrency = Number(process.env.TEST_CONCURRENCY ?? 4);
const argv = process.argv.slice(2);
const positional = [];
for (let i = 0; i < argv.length; i++) {
  const arg = argv[i];
  const value = () => argv[++i] ?? usage(`${arg} needs a value`);
  if (arg === '--name' || arg === '-t') namePatterns.push(value());
  else if (arg.startsWith('--name=')) namePatterns.push(arg.slice('--name='.length));
  else if (arg === '--concurrency' || arg === '-j') concurrency = Number(value());
  else if (arg.startsWith('--concurrency=')) concurrency = Number(arg.slice('--concurrency='.length));
  else if (arg.startsWith('-')) usage(`unknown option ${arg}`);
  else positional.push(arg);
}
if (!Number.isInteger(concurrency) || concurrency < 1) usage(`--concurrency must be a positive integer, got ${concurrency}`);

function walk(dir) {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

if (!existsSync(root)) usage(`no ${root}: run \`npm run build\` first (npm test does)`);
// A compiled test whose source is gone (renamed, or left by another branch) is not run.
const all = walk(root)
  .filter((f) => f.endsWith('.test.js'))
  .map((f) => relative(root, f).split(sep).join('/'))
  .filter((f) => existsSync(join('test', f.replace(/\.js$/, '.ts'))))
  .sort();

// "test/unit/policy.test.ts", "unit/policy", "policy.test.js" all name the same file.
const normalize = (filter) => filter.replace(/^(\.\/)?(dist\/)?test\//, '').replace(/\.(ts|js)$/, '');
for (const filter of positional) {
  if (all.some((f) => f.includes(normalize(filter)))) fileFilters.push(normalize(filter));
  else namePatterns.push(filter);
}

const files = all.filter((f) => fileFilters.length === 0 || fileFilters.some((s) => f.includes(s)));
if (files.length === 0) usage(`no test file under ${root} matches ${positional.join(' ')}`);

let recorded = {};
try {
  recorded = JSON.parse(readFileSync(durationsFile, 'utf8'));
} catch {
  // first run on this checkout
}
// Longest first; a file without a recorded duration counts as long (new files are often slow integration tests).
const expected = (f) => recorded[f] ?? (SLOW.includes(f) ? 1e9 - SLOW.indexOf(f) : 1e6);
const queue = [...files].sort((a, b) => expected(b) - expected(a) || a.localeCompare(b));

const groupOf = (f) => (f.endsWith('.gc.test.js') ? 'gc' : SLOW.includes(f) ? 'slow' : f.split('/')[0]);
const nodeArgs = (f) => [
  ...(f.endsWith('.gc.test.js') ? ['--expose-gc'] : []),
  '--test-reporter=spec',
  ...namePatterns.map((p) => `--test-name-pattern=${p}`),
  join(root, f),
];

const started = Date.now();
const results = [];
if (namePatterns.length > 0) console.log(`test names matching: ${namePatterns.map((p) => JSON.stringify(p)).join(', ')}`);
console.log(`${files.length} test file(s), ${Math.min(concurrency, files.length)} at a time`);

function runFile(f) {
  return new Promise((resolve) => {
    const begin = Date.now();
    const child = spawn(process.execPath, nodeArgs(f), {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_ENV: 'test', OPENSPEC_TELEMETRY: '0' },
    });
    const out = [];
    child.stdout.on('data', (chunk) => out.push(chunk));
    child.stderr.on('data', (chunk) => out.push(chunk));
    child.on('close', (code, signal) => {
      const end = Date.now();
      const ok = code === 0;
      // With a name filter, the tests it leaves out are listed as skipped: noise.
      const text = Buffer.concat(out)
        .toString('utf8')
        .split('\n')
        .filter((line) => !line.endsWith('# test name does not match pattern'))
        .join('\n')
        .trimEnd();
      // A name filter that selects nothing in this file leaves only the file's header: not worth printing.
      const quiet = ok && namePatterns.length > 0 && !/^\s*✔/m.test(text);
      if (!quiet) {
        console.log(`\n── ${f} ${ok ? 'passed' : `FAILED (${signal ?? `exit ${code}`})`} in ${((end - begin) / 1000).toFixed(1)} s`);
        if (text) console.log(text);
      }
      results.push({ file: f, group: groupOf(f), ok, begin, end });
      resolve();
    });
  });
}

async function worker() {
  for (let f = queue.shift(); f !== undefined; f = queue.shift()) await runFile(f);
}
await Promise.all(Array.from({ length: Math.min(concurrency, files.length) }, worker));

const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;
const wall = Date.now() - started;
const failed = results.filter((r) => !r.ok);
console.log(`\n── summary: ${results.length - failed.length} file(s) passed, ${failed.length} failed, wall ${seconds(wall)}`);
const groups = [...new Set(results.map((r) => r.group))].sort();
for (const group of groups) {
  const rs = results.filter((r) => r.group === group);
  const span = Math.max(...rs.map((r) => r.end)) - Math.min(...rs.map((r) => r.begin));
  const busy = rs.reduce((sum, r) => sum + r.end - r.begin, 0);
  console.log(
    `   group ${group.padEnd(12)} ${String(rs.length).padStart(3)} file(s)  wall ${seconds(span).padStart(8)}  file time ${seconds(busy)}`,
  );
}
console.log('   slowest files:');
for (const r of [...results].sort((a, b) => b.end - b.begin - (a.end - a.begin)).slice(0, 8))
  console.log(`     ${seconds(r.end - r.begin).padStart(8)}  ${r.file}`);
for (const r of failed) console.log(`   FAILED ${r.file}`);

// Only a whole-file run measures a file; a name filter runs part of it.
if (namePatterns.length === 0) {
  for (const r of results) recorded[r.file] = r.end - r.begin;
  mkdirSync(dirname(durationsFile), { recursive: true });
  writeFileSync(durationsFile, `${JSON.stringify(recorded, null, 2)}\n`);
}
process.exit(failed.length > 0 ? 1 : 0);
