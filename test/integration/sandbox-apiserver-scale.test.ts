/** The sandbox API server with 10k+ objects: indexed lists, paging and filtered watches stay correct. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CD,
  clusterDeployment,
  GROUP,
  NS,
  namespaceObject,
  startTestApiServer,
  VERSION,
  type TestApiServer,
} from './sandbox-apiserver-fixture.js';
import { until } from '../helpers/until.js';

describe('sandbox apiserver at scale', () => {
  let t: TestApiServer;
  const NAMESPACES = 50;
  const PER_NAMESPACE = 220;
  before(async () => {
    t = await startTestApiServer({ namespaces: [] });
    for (let n = 0; n < NAMESPACES; n++) {
      t.store.create(NS, namespaceObject(`scale-${n}`));
      for (let i = 0; i < PER_NAMESPACE; i++)
        t.store.create(CD, clusterDeployment(`cd-${String(i).padStart(3, '0')}`, `scale-${n}`, {}, { shard: String(i % 4) }));
    }
  });
  after(async () => {
    await t.close();
  });

  const get = async (
    path: string,
  ): Promise<{
    items: { metadata: { name: string; namespace: string } }[];
    metadata: { continue?: string; remainingItemCount?: number };
  }> => {
    const res = await fetch(`${t.server.url}/apis/${GROUP}/${VERSION}${path}`);
    assert.equal(res.status, 200);
    return (await res.json()) as never;
  };

  it('lists one namespace out of 11000 objects', async () => {
    const page = await get('/namespaces/scale-7/clusterdeployments');
    assert.equal(page.items.length, PER_NAMESPACE);
    assert.ok(page.items.every((i) => i.metadata.namespace === 'scale-7'));
  });

  it('pages through everything with limit/continue, each object once', async () => {
    const seen = new Set<string>();
    let token: string | undefined;
    let first = true;
    do {
      const page = await get(`/clusterdeployments?limit=1000${token ? `&continue=${encodeURIComponent(token)}` : ''}`);
      if (first) assert.equal(page.metadata.remainingItemCount, NAMESPACES * PER_NAMESPACE - 1000);
      first = false;
      for (const i of page.items) seen.add(`${i.metadata.namespace}/${i.metadata.name}`);
      token = page.metadata.continue;
    } while (token);
    assert.equal(seen.size, NAMESPACES * PER_NAMESPACE);
  });

  it('a label-selected cluster-wide list returns exactly the matching shard', async () => {
    const page = await get('/clusterdeployments?labelSelector=shard%3D1');
    assert.equal(page.items.length, (NAMESPACES * PER_NAMESPACE) / 4);
  });

  it('a field-selected watch from resourceVersion 0 starts with just that object, then follows it', async () => {
    const ac = new AbortController();
    const res = await fetch(
      `${t.server.url}/apis/${GROUP}/${VERSION}/namespaces/scale-3/clusterdeployments?watch=true&resourceVersion=0&fieldSelector=metadata.name%3Dcd-042`,
      { signal: ac.signal },
    );
    const reader = res.body!.getReader();
    let text = '';
    const pump = (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          text += new TextDecoder().decode(value);
        }
      } catch {
        // aborted
      }
    })();
    try {
      assert.ok(await until('the first watch event', () => text.split('\n').filter(Boolean).length >= 1));
      const cur = t.store.get(CD, 'scale-3', 'cd-042')!;
      t.store.update(CD, { ...cur, metadata: { ...cur.metadata, labels: { shard: 'moved' } } });
      assert.ok(await until('the second watch event', () => text.split('\n').filter(Boolean).length >= 2));
      const events = text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { type: string; object: { metadata: { name: string } } });
      assert.deepEqual(
        events.map((e) => `${e.type} ${e.object.metadata.name}`),
        ['ADDED cd-042', 'MODIFIED cd-042'],
      );
    } finally {
      ac.abort();
      await pump;
    }
  });
});
