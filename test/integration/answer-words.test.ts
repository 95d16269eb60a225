/**
 * The words of answers that steer the next call (issue 25 item 5): an unknown verb-like tool name suggests the
 * tool that does it (create → deploy, remove → delete), not the nearest spelling; "did you mean …?" is never
 * followed by a stray "."; a ServiceTemplate `values` problem names `values.…` paths throughout; a protocol error
 * shows its code once; the shutdown note offers "its task" only to a call that was one.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GetTaskResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { interruption } from '../../src/clusters/wait-ready.js';
import type { WaitResult } from '../../src/clusters/wait.js';
import { useHarness, useSandbox } from '../helpers/lifecycle.js';

describe('answer words (issue 25 item 5)', () => {
  const env = useSandbox({ provisionSeconds: 1, deleteSeconds: 1 }, { authMode: 'DEV_ALLOW_ANY' });
  const snake = useHarness(() => env.sandbox, { authMode: 'DEV_ALLOW_ANY', toolNameStyle: 'snake' });

  for (const [asked, meant] of [
    ['k0.clusters.create', 'k0.clusters.deploy'],
    ['k0.clusters.new', 'k0.clusters.deploy'],
    ['k0.clusters.remove', 'k0.clusters.delete'],
    ['k0.clusters.destroy', 'k0.clusters.delete'],
    ['k0.clusters.services.add', 'k0.clusters.services.apply'],
    ['k0.clusters.services.delete', 'k0.clusters.services.remove'],
    ['k0.catalog.remove', 'k0.catalog.uninstall'],
    ['k0.catalog.add', 'k0.catalog.install'],
    ['k0.clusters.lsit', 'k0.clusters.list'],
  ] as const) {
    it(`an unknown ${asked} → did you mean "${meant}"? (no stray period)`, async () => {
      const error = await env.harness.error(asked, {});
      assert.equal(error.code, 'invalidParams');
      assert.ok(error.message.includes(`did you mean "${meant}"? tools/list`), error.message);
    });
  }

  it('snake style: k0_clusters_create → k0_clusters_deploy', async () => {
    const error = await snake.harness.error('k0_clusters_create', {});
    assert.ok(error.message.includes('did you mean "k0_clusters_deploy"?'), error.message);
  });

  it('an unknown tool with nothing near ends its first sentence with a period', async () => {
    const error = await env.harness.error('zzz', {});
    assert.match(error.message, /^there is no tool "zzz"\. tools\/list names the tools this server offers$/);
  });

  it('an unknown argument: did you mean "dryRun"? Its arguments are … (never "?.")', async () => {
    const error = await env.harness.error('k0.clusters.update', { name: 'alpha-dev-cluster', dryrun: true });
    assert.match(error.message, /did you mean "dryRun"\? Its arguments are: name, /);
    assert.doesNotMatch(error.message, /\?\./);
  });

  it('a ServiceTemplate values typo names values.… paths, the suggestion too; nothing written', async () => {
    const before = env.sandbox.store.currentResourceVersion();
    const error = await env.harness.error('k0.clusters.services.apply', {
      cluster: 'alpha-dev-cluster',
      namespace: 'team-alpha',
      template: 'ingress-nginx-4-11-3',
      values: { controler: { replicaCount: 2 } },
    });
    assert.equal(error.code, 'invalidParams');
    assert.match(error.message, /values\.controler is not a setting of [^;]*; did you mean values\.controller\?/);
    assert.doesNotMatch(error.message, /config\./);
    assert.doesNotMatch(error.message, /\?\./);
    assert.equal(env.sandbox.store.currentResourceVersion(), before);
  });

  it('a protocol error the SDK raises shows its code once (MCP error -32602: …, never twice)', async () => {
    await assert.rejects(env.harness.client.readResource({ uri: 'nope://x' }), (error: Error & { code?: number }) => {
      assert.equal(error.code, -32602);
      assert.match(error.message, /^MCP error -32602: (?!MCP error)/);
      return true;
    });
    await assert.rejects(
      env.harness.client.request({ method: 'tasks/get', params: { taskId: 'forged' } }, GetTaskResultSchema),
      (error: Error & { code?: number }) => {
        assert.match(error.message, /^MCP error -?\d+: (?!MCP error)/);
        return true;
      },
    );
  });

  it('the shutdown note offers "its task" only to a call that ran as one', () => {
    const outcome = { interrupted: true } as WaitResult;
    const plain = interruption(outcome, 'the deployment continues', false);
    assert.equal(plain.interrupted, true);
    assert.doesNotMatch(plain.note ?? '', /task/);
    assert.match(plain.note ?? '', /follow it with k0\.clusters\.get or k0\.clusters\.list$/);
    assert.match(interruption(outcome, 'the deployment continues', true).note ?? '', /k0\.clusters\.get, k0\.clusters\.list or its task$/);
    assert.deepEqual(interruption({ interrupted: false } as WaitResult, 'x', true), {});
  });
});
