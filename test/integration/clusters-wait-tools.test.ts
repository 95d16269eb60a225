/**
 * k0.clusters.deploy / delete with wait=true over MCP when the API refuses the wait (401/403): the call
 * succeeds with the apply/delete result and a `waitError`, validated by the SDK client against the output
 * schema, logged as a success of the call plus a warning for the wait.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { AZURE_BASELINE, structured } from '../helpers/clusters-harness.js';
import { until } from '../helpers/until.js';
import { useSandbox } from '../helpers/lifecycle.js';

const CD = { group: 'k0rdent.mirantis.com', version: 'v1beta1', plural: 'clusterdeployments' };
const WATCH_PATH = /^\/apis\/k0rdent\.mirantis\.com\/v1beta1\/namespaces\/team-alpha\/clusterdeployments$/;

type WaitResult = {
  name: string;
  namespace: string;
  uid?: string;
  status: string;
  ready?: boolean;
  gone?: boolean;
  timedOut?: boolean;
  waitError?: { code: string; message: string };
  error?: unknown;
};

function success(result: CallToolResult): WaitResult {
  assert.ok(!result.isError, `unexpected error: ${JSON.stringify(result.structuredContent)}`);
  const text = (result.content as { type: string; text: string }[])[0]?.text ?? '';
  assert.deepEqual(JSON.parse(text), result.structuredContent);
  return structured<WaitResult>(result);
}

describe('wait=true ended by 401/403 over MCP: the result of the apply/delete plus waitError', () => {
  const env = useSandbox({ provisionSeconds: 60, deleteSeconds: 60, log: (line) => log.push(line) }, { authMode: 'DEV_ALLOW_ANY' });
  const log: string[] = [];

  it('deploy: a watch refused with 403 → created + waitError forbidden, not an error result; one watch only', async (t) => {
    t.after(() => env.sandbox.faults.clear());
    env.sandbox.faults.add({ path: WATCH_PATH, method: 'GET', status: 403 });
    log.length = 0;
    const result = success(
      await env.harness.call('k0.clusters.deploy', {
        name: 'mcp-wait-403',
        namespace: 'team-alpha',
        template: 'azure-standalone-cp-1-0-15',
        credential: 'azure-cluster-credential',
        config: AZURE_BASELINE,
        wait: true,
        pollInterval: '1s',
        provisionTimeout: '20s',
      }),
    );
    assert.equal(result.status, 'created');
    assert.equal(result.uid, env.sandbox.store.get(CD, 'team-alpha', 'mcp-wait-403')?.metadata.uid);
    assert.equal(result.ready, false);
    assert.equal(result.timedOut, false);
    assert.equal(result.error, undefined);
    assert.equal(result.waitError?.code, 'forbidden');
    assert.match(result.waitError?.message ?? '', /watch ClusterDeployment team-alpha\/mcp-wait-403/);
    assert.equal(log.filter((l) => l.includes('watch=true') && l.includes('metadata.name%3Dmcp-wait-403')).length, 1, 'not retried');
    const line = env.harness.logs.find(
      (l) => l.tool === 'k0.clusters.deploy' && l.cluster === 'mcp-wait-403' && typeof l.outcome === 'string',
    );
    assert.equal(line?.outcome, 'success');
    assert.ok(
      env.harness.logs.some((l) => l.level === 40 && l.errorCode === 'forbidden' && l.cluster === 'mcp-wait-403'),
      'the wait failure is a warning',
    );
  });

  it('delete: the re-check GET refused with 401 → deleted + waitError unauthorized', async (t) => {
    t.after(() => env.sandbox.faults.clear());
    success(
      await env.harness.call('k0.clusters.deploy', {
        name: 'mcp-del-401',
        namespace: 'team-alpha',
        template: 'azure-standalone-cp-1-0-15',
        credential: 'azure-cluster-credential',
        config: AZURE_BASELINE,
      }),
    );
    // kcm deletes a deployment with nothing provisioned at once; once its ServiceSet exists (ServicesInReadyState,
    // kcm clusterdeployment_controller.go:392, :1672) the deletion waits for it (here: deleteSeconds).
    await until('mcp-del-401 to carry ServicesInReadyState', () =>
      (
        env.sandbox.store.get(CD, 'team-alpha', 'mcp-del-401')?.['status'] as { conditions?: { type: string }[] } | undefined
      )?.conditions?.find((c) => c.type === 'ServicesInReadyState'),
    );
    env.sandbox.faults.add({ path: /\/namespaces\/team-alpha\/clusterdeployments\/mcp-del-401$/, method: 'GET', status: 401 });
    const result = success(
      await env.harness.call('k0.clusters.delete', {
        name: 'mcp-del-401',
        namespace: 'team-alpha',
        wait: true,
        pollInterval: '1s',
        deletionTimeout: '20s',
      }),
    );
    assert.equal(result.status, 'deleted');
    assert.ok(env.sandbox.store.get(CD, 'team-alpha', 'mcp-del-401')?.metadata.deletionTimestamp);
    assert.equal(result.gone, false);
    assert.equal(result.timedOut, false);
    assert.equal(result.waitError?.code, 'unauthorized');
  });

  it('delete: the name re-created under another uid while the wait cannot watch → deleted, not a timeout (as kubectl wait)', async (t) => {
    t.after(() => env.sandbox.faults.clear());
    const name = 'mcp-del-recreated';
    success(
      await env.harness.call('k0.clusters.deploy', {
        name,
        namespace: 'team-alpha',
        template: 'azure-standalone-cp-1-0-15',
        credential: 'azure-cluster-credential',
        config: AZURE_BASELINE,
      }),
    );
    // Its ServiceSet makes kcm's deletion last deleteSeconds (see the 401 case above).
    await until(`${name} to carry ServicesInReadyState`, () =>
      (env.sandbox.store.get(CD, 'team-alpha', name)?.['status'] as { conditions?: { type: string }[] } | undefined)?.conditions?.find(
        (c) => c.type === 'ServicesInReadyState',
      ),
    );
    const before = env.sandbox.store.get(CD, 'team-alpha', name);
    assert.ok(before);
    // Every watch fails: the wait learns only from its re-check GETs, so it never sees the DELETED event.
    env.sandbox.faults.add({ path: WATCH_PATH, method: 'GET', status: 500 });
    let replaced: string | undefined;
    const progress: string[] = [];
    const result = success(
      await env.harness.call(
        'k0.clusters.delete',
        { name, namespace: 'team-alpha', wait: true, pollInterval: '1s', deletionTimeout: '20s' },
        {
          onprogress: ({ message }) => {
            progress.push(message ?? '');
            if (replaced !== undefined) return;
            // The wait has read the object being deleted: remove it and create another under the same name in
            // one step of the store, so no read of the wait can fall between them.
            const current = env.sandbox.store.get(CD, 'team-alpha', name);
            assert.ok(current?.metadata.deletionTimestamp, 'the first state the wait reports is the deletion');
            env.sandbox.store.update(CD, { ...current, metadata: { ...current.metadata, finalizers: [] } });
            const { metadata, spec } = before;
            replaced = env.sandbox.store.create(CD, {
              apiVersion: before.apiVersion,
              kind: before.kind,
              metadata: { name: metadata.name, namespace: metadata.namespace, labels: metadata.labels ?? {} },
              spec,
            }).metadata.uid;
          },
          resetTimeoutOnProgress: true,
        },
      ),
    );
    assert.ok(replaced, 'the object was re-created during the wait');
    assert.notEqual(replaced, before.metadata.uid);
    assert.equal(result.status, 'deleted');
    assert.equal(result.gone, true, `ended ${JSON.stringify(result)} after ${progress.join(' | ')}`);
    assert.equal(result.timedOut, false);
    assert.equal((result as { phase?: string }).phase, 'Deleted');
    // The new object is left alone.
    assert.equal(env.sandbox.store.get(CD, 'team-alpha', name)?.metadata.uid, replaced);
  });
});
