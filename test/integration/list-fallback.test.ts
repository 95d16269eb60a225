/**
 * List cost follows what the caller may read (issue 13 item 3): when the cluster-wide LIST is refused,
 * the first call probes the namespaces once; within the TTL later calls make no 403 probe and list only
 * the namespaces that answered. Counted at the sandbox API server (apiserver_request_total).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../../src/errors.js';
import { ListAccess } from '../../src/shared/list-access.js';
import { structured } from '../helpers/clusters-harness.js';
import { tokensFile, useSandbox } from '../helpers/lifecycle.js';
import { delta, sandboxCounters } from '../helpers/sandbox-counters.js';

const READABLE = ['kcm-system', 'team-alpha', 'scale-0003'];

describe('per-namespace fallback for a namespace-limited identity', () => {
  const env = useSandbox(
    { scale: 20, tokensFile: tokensFile([{ name: 'limited', token: 'limited-token', namespaces: READABLE }]) },
    { logLevel: 'warn' },
    'limited-token',
  );

  it('first call: namespaces + refused cluster-wide LIST + one probe per namespace; second: only the readable namespaces, no 403', async () => {
    const namespaceCount = env.sandbox.store.list({ group: '', version: 'v1', plural: 'namespaces' }).length;
    const before1 = await sandboxCounters(env.sandbox.url);
    const first = await env.harness.call('k0.clusters.list', {});
    assert.notEqual(first.isError, true, JSON.stringify(first.content));
    const d1 = delta(before1, await sandboxCounters(env.sandbox.url));
    assert.equal(d1.requests({ resource: 'namespaces' }), 1);
    assert.equal(d1.requests({ resource: 'clusterdeployments' }), 1 + namespaceCount, 'the cluster-wide LIST and one LIST per namespace');
    assert.equal(d1.requests({ code: '403' }), 1 + namespaceCount - READABLE.length);

    const before2 = await sandboxCounters(env.sandbox.url);
    const second = await env.harness.call('k0.clusters.list', {});
    const d2 = delta(before2, await sandboxCounters(env.sandbox.url));
    assert.equal(d2.requests({ code: '403' }), 0, 'no 403 probe within the TTL');
    assert.equal(d2.requests(), READABLE.length, 'one LIST per readable namespace, nothing else');
    assert.deepEqual(structured(second), structured(first), 'the same page');
    const namespaces = new Set(structured<{ items: { namespace: string }[] }>(second).items.map((i) => i.namespace));
    for (const ns of namespaces) assert.ok(READABLE.includes(ns), ns);
  });

  it('the memory is per resource: credentials probe once too, then list only the readable namespaces', async () => {
    await env.harness.call('k0.clusters.listCredentials', {});
    const before2 = await sandboxCounters(env.sandbox.url);
    const again = await env.harness.call('k0.clusters.listCredentials', {});
    assert.notEqual(again.isError, true, JSON.stringify(again.content));
    const d = delta(before2, await sandboxCounters(env.sandbox.url));
    assert.equal(d.requests({ code: '403' }), 0);
    assert.equal(d.requests(), READABLE.length);
  });

  it('paging through the fallback with continue still returns every readable item once', async () => {
    const all = structured<{ items: { namespace: string; name: string }[] }>(await env.harness.call('k0.clusters.list', {})).items.map(
      (i) => `${i.namespace}/${i.name}`,
    );
    const paged: string[] = [];
    let token: string | undefined;
    for (let i = 0; i < 20; i++) {
      const page = structured<{ items: { namespace: string; name: string }[]; continue?: string }>(
        await env.harness.call('k0.clusters.list', { limit: 2, ...(token ? { continue: token } : {}) }),
      );
      paged.push(...page.items.map((it) => `${it.namespace}/${it.name}`));
      token = page.continue;
      if (token === undefined) break;
    }
    assert.deepEqual(paged, all);
  });
});

describe('ListAccess (remembered for a TTL)', () => {
  const forbidden = new AppError('forbidden', 'no');

  it('forgets a refusal after the TTL, so RBAC changes show', () => {
    let now = 1000;
    const access = new ListAccess(30_000, () => now);
    access.refuseCluster('clusterdeployments', forbidden);
    access.record('clusterdeployments', 'team-a', forbidden);
    access.record('clusterdeployments', 'team-b', true);
    assert.equal(access.clusterRefusal('clusterdeployments'), forbidden);
    assert.equal(access.namespaceRefusal('clusterdeployments', 'team-a'), forbidden);
    assert.equal(access.namespaceRefusal('clusterdeployments', 'team-b'), undefined);
    assert.equal(access.namespaceRefusal('credentials', 'team-a'), undefined, 'per resource');
    now += 30_001;
    assert.equal(access.clusterRefusal('clusterdeployments'), undefined);
    assert.equal(access.namespaceRefusal('clusterdeployments', 'team-a'), undefined);
  });

  it('fetches the namespace list once per TTL, and remembers a refusal to list them', async () => {
    let now = 0;
    const access = new ListAccess(10_000, () => now);
    let fetches = 0;
    const fetch = async (): Promise<string[]> => {
      fetches++;
      return ['a', 'b'];
    };
    assert.deepEqual(await access.namespaces(fetch), ['a', 'b']);
    assert.deepEqual(await access.namespaces(fetch), ['a', 'b']);
    assert.equal(fetches, 1);
    now = 10_001;
    await access.namespaces(fetch);
    assert.equal(fetches, 2);
    const refusing = new ListAccess(10_000, () => now);
    let refusals = 0;
    const refuse = async (): Promise<string[]> => {
      refusals++;
      throw forbidden;
    };
    await assert.rejects(refusing.namespaces(refuse), forbidden);
    await assert.rejects(refusing.namespaces(refuse), forbidden);
    assert.equal(refusals, 1);
  });
});
