// Runs the compiled test files (dist/test/**/*.test.js), each in its own node process, several at a time.
//
//   npm test                                  every file
//   npm test -- clusters-tools                the files whose path contains "clusters-tools"
//   npm test -- clusters-tools "dev mode"     a filter that names no file is a test-name pattern
//   npm test -- --name "^deploy .* ready$"    an explicit test-name pattern (node's --test-name-pattern)
//   npm test -- --concurrency 2               files at a time (default TEST_CONCURRENCY, else 4)
//
// The real-kcm world (issue 20 item 3): when a file to run uses the `kcm` backend (its source says
// `testBackends({ kcm: true })` or `useBackend('kcm'`, with the shared world's 1 s timings) and kcm is built, one world is brought up for the run
// (scripts/kcm-world.mjs, in its own process group, stopped at the end and when the runner goes) and passed to those
// files as K0RDENT_KCM_WORLD; they run one at a time on it (a lane: their writeMarker reads the whole cluster), while
// the other files run beside them. K0RDENT_KCM_WORLD_SHARED=0: each file brings up its own, as `node --test` does.
// The lane is the run's critical path, so a file of the backend matrix (`testBackends({ kcm: true })`) is run as two
// processes (K0RDENT_TEST_PART, test/helpers/backend.ts testPart): `kcm`, its real-kcm suites (in the lane when it
// uses the shared world), and `rest`, its sandbox and kube suites, beside it; a free worker starts the next lane job
// first, and while the world comes up one worker takes only the shortest files, so that it is free when the world is.
//
// `pretest` is `npm run build`, an incremental `tsc -b`: a run in which nothing changed does not recompile.
// Why a scheduler here rather than `node --test --test-concurrency`: most files wait on timers (provisioning,
// heartbeats, deadlines) rather than on the CPU, so the longest files start first (the durations of the last run
// on this checkout, else the SLOW list below) and the slots never wait behind one file; each file's output is
// printed whole when it ends (no interleaving); the files that need other node flags (*.gc.test: --expose-gc)
// share the same slots instead of running as a second, sequential pass; and the closing table gives the wall
// time of each group and the slowest files, which is what the suite's budget is measured with.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

const groupOf = (f) => (f.endsWith('.gc.test.js') ? 'gc' : SLOW.includes(f) ? 'slow' : f.split('/')[0]);
const nodeArgs = (f) => [
  ...(f.endsWith('.gc.test.js') ? ['--expose-gc'] : []),
  '--test-reporter=spec',
  ...namePatterns.map((p) => `--test-name-pattern=${p}`),
  join(root, f),
];

// The files that use the real-kcm backend with the shared world's timings (provisionSeconds 1, deleteSeconds 1:
// test/helpers/backend.ts SHARED_KCM_OPTIONS), which attach to the world this run shares. A file that asks for other
// timings brings up its own world (startBackend), outside the lane.
const sourceOf = (f) => readFileSync(join('test', f.replace(/\.js$/, '.ts')), 'utf8');
const usesKcm = (f) => {
  const source = sourceOf(f);
  return (
    /testBackends\(\{\s*kcm:\s*true\s*\}\)|useBackend\(\s*'kcm'/.test(source) &&
    /provisionSeconds:\s*1,\s*deleteSeconds:\s*1\b|SHARED_KCM_OPTIONS/.test(source)
  );
};
/** A file of the backend matrix: its real-kcm suites can run apart from the rest (K0RDENT_TEST_PART). */
const isMatrix = (f) => /testBackends\(\{\s*kcm:\s*true\s*\}\)/.test(sourceOf(f));
const requestedBackends = (process.env.K0RDENT_TEST_BACKEND ?? '')
  .split(',')
  .map((b) => b.trim())
  .filter(Boolean);
const kcmFiles = new Set(requestedBackends.length > 0 && !requestedBackends.includes('kcm') ? [] : files.filter(usesKcm));
// Split only when the run covers kcm and another backend (unset = all three). A matrix file outside the lane (its own
// world: other timings) is split too: its two parts run side by side rather than one after the other.
const splits =
  (requestedBackends.length === 0 || requestedBackends.includes('kcm')) &&
  (requestedBackends.length === 0 || requestedBackends.some((b) => b !== 'kcm'));
/** What a worker runs: a file, or one part of it. `key` names it in the durations and the closing table. */
const jobs = files.flatMap((file) =>
  splits && isMatrix(file)
    ? [
        { file, part: 'kcm', key: `${file}#kcm` },
        { file, part: 'rest', key: `${file}#rest` },
      ]
    : [{ file, part: undefined, key: file }],
);
/** A job of the lane: on the shared world, one at a time. */
const inLaneJob = (job) => kcmFiles.has(job.file) && job.part !== 'rest';
const world = { state: 'none', file: undefined, child: undefined, dir: undefined, began: 0, ready: 0, output: [] };
// Workers with nothing they may start wait here until the world settles or the lane frees.
const waiting = [];
const changed = () => new Promise((resolve) => waiting.push(resolve));
const wake = () => waiting.splice(0).forEach((resolve) => resolve());
function startWorld() {
  world.dir = mkdtempSync(join(tmpdir(), 'k0rdent-kcm-world-'));
  world.state = 'starting';
  world.began = Date.now();
  const child = spawn(process.execPath, ['scripts/kcm-world.mjs', world.dir], { detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
  world.child = child;
  let buffered = '';
  const settle = (state) => {
    if (world.state !== 'starting') return;
    world.state = state;
    world.ready = Date.now();
    wake();
  };
  child.stdout.on('data', (chunk) => {
    buffered += chunk.toString('utf8');
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      world.output.push(line);
      const ready = /^kcm world ready (.+)$/.exec(line);
      if (ready) {
        world.file = ready[1];
        settle('ready');
      }
    }
  });
  child.stderr.on('data', (chunk) => world.output.push(chunk.toString('utf8').trimEnd()));
  child.on('exit', () => settle('none'));
  child.on('error', () => settle('none'));
}
async function stopWorld() {
  const child = world.child;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.stdin.end();
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    // already gone
  }
  const timer = setTimeout(() => {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }, 60_000);
  await exited;
  clearTimeout(timer);
}
if (kcmFiles.size > 0 && !process.env.K0RDENT_KCM_WORLD && process.env.K0RDENT_KCM_WORLD_SHARED !== '0') startWorld();
for (const signal of ['SIGINT', 'SIGTERM'])
  process.on(signal, () => {
    void stopWorld().finally(() => process.exit(130));
  });
let kcmBusy = false;
// Longest first (the durations of the last run on this checkout; a part without one counts as half its file).
const expectedJob = (job) => recorded[job.key] ?? (job.part && recorded[job.file] ? recorded[job.file] / 2 : expected(job.file));
const queue = [...jobs].sort((a, b) => expectedJob(b) - expectedJob(a) || a.key.localeCompare(b.key));

const started = Date.now();
const results = [];
if (namePatterns.length > 0) console.log(`test names matching: ${namePatterns.map((p) => JSON.stringify(p)).join(', ')}`);
const splitCount = jobs.length - files.length;
console.log(
  `${files.length} test file(s)${splitCount > 0 ? ` (${splitCount} of them in two parts)` : ''}, ${Math.min(concurrency, jobs.length)} at a time`,
);

function runFile(job) {
  const f = job.file;
  return new Promise((resolve) => {
    const begin = Date.now();
    const shared = kcmFiles.has(f) && job.part !== 'rest' && world.state === 'ready' ? { K0RDENT_KCM_WORLD: world.file } : {};
    const part = job.part ? { K0RDENT_TEST_PART: job.part } : {};
    const child = spawn(process.execPath, nodeArgs(f), {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_ENV: 'test', OPENSPEC_TELEMETRY: '0', ...shared, ...part },
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
        console.log(`\n── ${job.key} ${ok ? 'passed' : `FAILED (${signal ?? `exit ${code}`})`} in ${((end - begin) / 1000).toFixed(1)} s`);
        if (text) console.log(text);
      }
      results.push({ file: job.key, group: groupOf(f), lane: inLaneJob(job), ok, begin, end });
      resolve();
    });
  });
}

// The next job this worker may start. A lane job waits for the world and for the lane, and goes first once both are
// free (the lane is the critical path). While the world comes up, worker 0 takes only the shortest other jobs, so
// that a worker is free to start the lane when the world is ready.
function next(id) {
  const take = (index) => (index < 0 ? undefined : queue.splice(index, 1)[0]);
  if (world.state === 'none') return take(0);
  if (world.state === 'ready' && !kcmBusy) {
    const lane = queue.findIndex(inLaneJob);
    if (lane >= 0) return take(lane);
  }
  const others = queue.map((job, index) => (inLaneJob(job) ? -1 : index)).filter((index) => index >= 0);
  if (id === 0 && world.state === 'starting' && queue.some(inLaneJob)) return take(others.at(-1) ?? -1);
  return take(others[0] ?? -1);
}
async function worker(id) {
  while (queue.length > 0) {
    const job = next(id);
    if (job === undefined) {
      await changed();
      continue;
    }
    const inLane = inLaneJob(job) && world.state === 'ready';
    if (inLane) kcmBusy = true;
    await runFile(job);
    if (inLane) {
      kcmBusy = false;
      wake();
    }
  }
}
try {
  await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, (_, id) => worker(id)));
} finally {
  await stopWorld();
  if (world.dir) rmSync(world.dir, { recursive: true, force: true });
}

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
if (world.began > 0) {
  const lane = results.filter((r) => r.lane);
  const laneSpan = lane.length > 0 ? Math.max(...lane.map((r) => r.end)) - Math.min(...lane.map((r) => r.begin)) : 0;
  console.log(
    world.file
      ? `   real-kcm world: up in ${seconds(world.ready - world.began)}, shared by ${lane.length} job(s) run one at a time over ${seconds(laneSpan)} (busy ${seconds(lane.reduce((sum, r) => sum + r.end - r.begin, 0))}), lane done at ${seconds(Math.max(...lane.map((r) => r.end), started) - started)} of the run`
      : `   real-kcm world: not started (${world.output.slice(-3).join(' | ')}); its files ran without it`,
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
