/**
 * The OpenSpec change for the cluster tools (seed task 6.5) and the project's specs validate under
 * `--strict`, and every task of the change is checked off. Runs the real openspec CLI, telemetry off.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { packageRoot } from '../../src/config/package.js';

const root = packageRoot();
const CHANGE = 'add-cluster-provisioning-tools';

function openspec(...args: string[]): { status: number | null; output: string } {
  const cli = join(root, 'node_modules', '@fission-ai', 'openspec', 'bin', 'openspec.js');
  const result = spawnSync(process.execPath, [cli, ...args, '--no-interactive', '--no-color'], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, OPENSPEC_TELEMETRY: '0', CI: 'true' },
    timeout: 60_000,
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('OpenSpec', () => {
  it(`openspec validate ${CHANGE} --strict passes`, () => {
    const { status, output } = openspec('validate', CHANGE, '--strict');
    assert.equal(status, 0, output);
    assert.match(output, /is valid/);
  });

  it('every change and spec validates under --strict', () => {
    const { status, output } = openspec('validate', '--all', '--strict');
    assert.equal(status, 0, output);
    assert.match(output, /0 failed/);
  });

  it(`every task of ${CHANGE} is done`, () => {
    const tasks = readFileSync(join(root, 'openspec', 'changes', CHANGE, 'tasks.md'), 'utf8');
    const open = tasks.split('\n').filter((line) => /^- \[ \]/.test(line));
    const done = tasks.split('\n').filter((line) => /^- \[x\]/.test(line));
    assert.deepEqual(open, []);
    assert.ok(done.length >= 25, `${done.length} tasks checked off`);
  });
});
