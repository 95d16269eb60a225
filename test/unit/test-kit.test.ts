/**
 * The test kit is the only place that waits (docs/testing.md): no test file outside test/helpers/ defines its
 * own poller (until / poll / eventually / waitFor ...) or sleeps (`new Promise((r) => setTimeout(r, ms))`,
 * node:timers/promises). A local poller has its own idea of slow and fails first on a loaded machine; a sleep
 * before an assertion of absence proves nothing when the machine is slow. Use until/within
 * (test/helpers/until.ts), a recorded watch (test/helpers/watch.ts) or a write marker (backend.writeMarker()).
 *
 * The kit is also the only place that starts a sandbox: a suite takes one from test/helpers/lifecycle.ts
 * (useSandbox, useBackend, sandboxFor, backendFor, backendsFor) or long-ops.ts (sandboxProcessFor), which close
 * it in `after` also when a test or the start-up failed; a hand-written start-up forgets that on some path.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from '../helpers/cli-process.js';

const TEST_ROOT = join(REPO_ROOT, 'test');
/** Not TypeScript tests: the Go modules of the test control plane and of kcm. */
const SKIPPED_DIRS = new Set(['helpers', 'kube-control-plane', 'kcm-manager', 'node_modules']);
/** This file: its examples of what the scan finds. */
const SELF = 'test/unit/test-kit.test.ts';

function testSources(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return SKIPPED_DIRS.has(entry) ? [] : testSources(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/**
 * Files of other engineers' suites that still start their sandbox by hand (issue 19 item 4), waiting for their
 * owners to move them onto the fixtures: only the start-up rule is waived for them. Do not add to this list.
 */
const START_UP_PENDING = new Set<string>();

/** The comment, on the line above, of code that is not a test's and cannot use the kit. */
const ALLOWED = 'test-kit: allowed (';

interface Rule {
  what: string;
  pattern: RegExp;
}

const RULES: Rule[] = [
  {
    what: 'a hand-written sandbox start-up (use a fixture of test/helpers/lifecycle.ts or sandboxProcessFor of long-ops.ts)',
    pattern:
      /\b(?:startSandbox|startBackend|startKubeSandbox|startRealKcmSandbox|startSandboxProcess|createSandbox)\s*\(|\bnew\s+Sandbox\s*\(/,
  },
  {
    what: 'a file-local poller (use until/within from test/helpers/until.ts)',
    pattern:
      /\b(?:function\s*\*?\s*|(?:const|let|var)\s+)(until\w*|poll\w*|eventually\w*|waitFor\w*|waitUntil\w*|retry\w*|sleep\w*|delay\w*|pause\w*)\b\s*(?:<[^>]*>)?\s*(?:=\s*(?:async\s*)?(?:\(|\w+\s*=>)|\()/,
  },
  {
    what: 'a sleep (wait on an event, a recorded watch, or until(); assert absence after backend.writeMarker())',
    pattern: /new Promise(?:<[^>]*>)?\(\s*\(?\s*(\w+)\s*\)?\s*=>\s*\{?\s*(?:void\s+)?setTimeout\(\s*\1\s*,/,
  },
  {
    what: 'a sleep from node:timers/promises',
    pattern: /from\s+['"](?:node:)?timers\/promises['"]/,
  },
];

/** What each rule finds in `text`: the rule and the 1-based line. */
export function findViolations(text: string): { what: string; line: number; source: string }[] {
  const found: { what: string; line: number; source: string }[] = [];
  const lines = text.split('\n');
  lines.forEach((source, index) => {
    // Code that is not a test's (a loader hook written into a child process) says so on the line above.
    if (lines[index - 1]?.includes(ALLOWED)) return;
    for (const rule of RULES) if (rule.pattern.test(source)) found.push({ what: rule.what, line: index + 1, source: source.trim() });
  });
  return found;
}

describe('the test kit is the only place that waits or starts a sandbox', () => {
  it('finds the patterns it is meant to find (so the scan below can fail)', () => {
    for (const bad of [
      'async function until<T>(probe: () => T, what: string): Promise<T> {',
      'async function poll(check: () => boolean) {',
      'sandbox = await startSandbox({ provisionSeconds: 1 });',
      'const backend = await startBackend(choice.name, { tls: true });',
      'const started = await Promise.all(names.map((n) => startBackend(n)));',
      'const proc = await startSandboxProcess(8, 2);',
      'const eventually = async (probe: () => boolean) => {',
      'const waitFor = (check) => {',
      'await new Promise((r) => setTimeout(r, 1500));',
      'await new Promise((resolve) => setTimeout(resolve, Math.min(a, b)));',
      'await new Promise<void>((done) => { setTimeout(done, 10); });',
      "import { setTimeout as sleep } from 'node:timers/promises';",
    ])
      assert.equal(findViolations(bad).length, 1, bad);
    for (const fine of [
      "await until('the deployment to be Ready', () => ready(), 30_000);",
      'const timer = setTimeout(() => child.kill(), 30_000);',
      'const untilReady = await harness.call(name, args);',
      'new Promise<void>((resolve) => server.listen(0, resolve));',
      'const sandbox = sandboxFor({ provisionSeconds: 1 });',
      'const env = useBackend(choice.name, { provisionSeconds: 1 }, { namespaceFilter: /^team-/ });',
      'const fast = sandboxProcessFor(6);',
    ])
      assert.deepEqual(findViolations(fine), [], fine);
  });

  it('no test file outside test/helpers/ defines a poller, sleeps or starts a sandbox by hand', () => {
    const offenders: string[] = [];
    for (const file of testSources(TEST_ROOT)) {
      const path = relative(REPO_ROOT, file).split(sep).join('/');
      if (path === SELF) continue;
      for (const v of findViolations(readFileSync(file, 'utf8'))) {
        if (START_UP_PENDING.has(path) && v.what === RULES[0]!.what) continue;
        offenders.push(`${path}:${v.line}: ${v.what}\n    ${v.source}`);
      }
    }
    assert.deepEqual(offenders, [], `\n${offenders.join('\n')}`);
  });

  it("a matrix file's suites outside the matrix say outsideMatrix(), so that they run once when the file is run in two parts", () => {
    // scripts/run-tests.mjs runs a file of the backend matrix with kcm as a `kcm` and a `rest` process; a top-level
    // describe that is not per backend would run in both.
    const offenders: string[] = [];
    for (const file of testSources(TEST_ROOT)) {
      if (relative(REPO_ROOT, file).split(sep).join('/') === SELF) continue;
      const text = readFileSync(file, 'utf8');
      if (!/testBackends\(\{\s*kcm:\s*true\s*\}\)/.test(text)) continue;
      text.split('\n').forEach((line, index) => {
        if (/^describe\(/.test(line) && !line.includes('outsideMatrix()'))
          offenders.push(`${relative(REPO_ROOT, file).split(sep).join('/')}:${index + 1}: ${line.trim()}`);
      });
    }
    assert.deepEqual(offenders, [], `\n${offenders.join('\n')}`);
  });
});
