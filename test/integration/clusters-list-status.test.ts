/**
 * Fleet health: k0.clusters.list's `status` filter and the one-line reason of each deployment that is not
 * ready, on the sandbox's scale seed (1,000 namespaces, 3,000 deployments) — read from each listed object, so
 * walking every page of `status: "failing"` takes no more requests than walking a plain list, and none per
 * deployment.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scaleNamespaceName } from '../../src/sandbox/seed/scale.js';
import { structured } from '../helpers/clusters-harness.js';
import { useSandbox } from '../helpers/lifecycle.js';
import { delta, sandboxCounters } from '../helpers/sandbox-counters.js';

interface Item {
  name: string;
  namespace: string;
  status: string;
  reason?: string;
}

describe('k0.clusters.list status filter at 1,000 namespaces', () => {
  const env = useSandbox({ scale: 1000 });

  async function walk(args: Record<string, unknown>): Promise<{ items: Item[]; requests: number; gets: number }> {
    const before = await sandboxCounters(env.sandbox.url);
    const items: Item[] = [];
    let next: string | undefined;
    do {
      const result = await env.harness.call('k0.clusters.list', { limit: 100, ...args, ...(next ? { continue: next } : {}) });
      assert.notEqual(result.isError, true, JSON.stringify(result.structuredContent));
      const page = structured<{ items: Item[]; continue?: string }>(result);
      items.push(...page.items);
      next = page.continue;
    } while (next !== undefined);
    const counted = delta(before, await sandboxCounters(env.sandbox.url));
    return { items, requests: counted.requests(), gets: counted.requests({ verb: 'get' }) };
  }

  it('every page of status "failing" or "ready" takes no more requests than a plain list, and none per deployment', async () => {
    const plain = await walk({});
    assert.ok(plain.items.length >= 3000, String(plain.items.length));
    const ready = await walk({ status: 'ready' });
    assert.deepEqual(
      ready.items.map((i) => `${i.namespace}/${i.name}`),
      plain.items.filter((i) => i.status === 'ready').map((i) => `${i.namespace}/${i.name}`),
    );
    assert.ok(
      ready.items.every((i) => i.reason === undefined),
      'a ready deployment carries no reason',
    );
    const failing = await walk({ status: 'failing' });
    assert.deepEqual(
      failing.items.map((i) => `${i.namespace}/${i.name}`),
      plain.items.filter((i) => i.status === 'failing').map((i) => `${i.namespace}/${i.name}`),
    );
    for (const run of [ready, failing]) {
      assert.equal(run.gets, 0, 'no request per deployment');
      assert.ok(run.requests <= plain.requests, `${run.requests} requests, plain: ${plain.requests}`);
    }
  });

  it('status filters in one namespace fill the page from later server pages too', async () => {
    const namespace = scaleNamespaceName(0);
    const readyOnes = await walk({ namespace, status: 'ready', limit: 1 });
    assert.deepEqual(readyOnes.items.map((i) => i.name).sort(), [
      `${namespace}-cluster-0`,
      `${namespace}-cluster-1`,
      `${namespace}-cluster-2`,
    ]);
    const none = await walk({ namespace, status: 'deleting' });
    assert.deepEqual(none.items, []);
  });
});
