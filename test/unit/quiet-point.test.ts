/**
 * The embedded sandbox's write marker (test/helpers/quiet.ts, what `backend.writeMarker()` returns on the sandbox):
 * it orders after a controller write that is still pending when it is asked — a reaction kcm has queued, and a
 * write a controller has put on a timer — so an absence asserted after it means something. Before, it was the
 * store's resourceVersion at the moment of asking, taken before such a write landed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MemoryStore } from '../../src/sandbox/apiserver/store.js';
import type { KubeObject } from '../../src/sandbox/apiserver/types.js';
import { startKcm, type KcmHandle } from '../../src/sandbox/kcm/index.js';
import { CONFIG_MAPS, CREDENTIALS } from '../../src/sandbox/kcm/resources.js';
import { seedStore } from '../../src/sandbox/seed/index.js';
import { quietPoint } from '../helpers/quiet.js';

const rv = (object: KubeObject | undefined): bigint => BigInt(object?.metadata.resourceVersion ?? '0');

function configMap(name: string, data: Record<string, string> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data };
}

describe('the embedded sandbox write marker (its quiet point)', () => {
  const store = new MemoryStore();
  let kcm: KcmHandle;
  before(async () => {
    seedStore(store);
    kcm = startKcm(store, { provisionSeconds: 0.2, deleteSeconds: 0.1 });
    await kcm.adopted;
    await quietPoint(store);
  });
  after(() => {
    kcm.close();
    store.close();
  });

  it("orders after a reaction kcm has queued but not written: a new Credential's status", async () => {
    const seeded = store.get(CREDENTIALS, 'kcm-system', 'azure-cluster-credential')!;
    const created = store.create(CREDENTIALS, {
      apiVersion: seeded.apiVersion,
      kind: seeded.kind,
      metadata: { name: 'marker-credential', namespace: 'kcm-system' },
      spec: structuredClone(seeded['spec']),
    });
    // What the marker was: the resourceVersion at the moment of asking, before kcm's status write.
    const asked = store.currentResourceVersion();
    assert.equal(asked, created.metadata.resourceVersion);
    assert.equal(store.get(CREDENTIALS, 'kcm-system', 'marker-credential')!['status'], undefined, "kcm's status write is still queued");

    const marker = await quietPoint(store);
    const reconciled = store.get(CREDENTIALS, 'kcm-system', 'marker-credential')!;
    assert.notEqual(reconciled['status'], undefined, 'the status kcm queued was written before the marker');
    assert.ok(rv(reconciled) > BigInt(asked) && rv(reconciled) <= BigInt(marker), `${rv(reconciled)} in (${asked}, ${marker}]`);
  });

  it('orders after writes a controller has put on a timer (three, 100 ms apart)', async () => {
    const step = (n: number): void => {
      const timer = setTimeout(() => {
        const current = store.get(CONFIG_MAPS, 'default', 'marker-timer')!;
        store.update(CONFIG_MAPS, { ...current, data: { step: String(n) } });
        if (n < 3) step(n + 1);
      }, 100);
      timer.unref();
    };
    store.create(CONFIG_MAPS, configMap('marker-timer', { step: '0' }));
    step(1);
    const marker = await quietPoint(store);
    const last = store.get(CONFIG_MAPS, 'default', 'marker-timer')!;
    assert.deepEqual(last['data'], { step: '3' }, 'every timed write landed before the marker');
    assert.ok(rv(last) <= BigInt(marker));
    assert.equal(await quietPoint(store), marker, 'a second marker with nothing written in between is the same');
  });

  it('fails, saying so, when the sandbox never goes quiet', async () => {
    store.create(CONFIG_MAPS, configMap('marker-busy'));
    let n = 0;
    const busy = setInterval(() => {
      const current = store.get(CONFIG_MAPS, 'default', 'marker-busy')!;
      store.update(CONFIG_MAPS, { ...current, data: { n: String(++n) } });
    }, 20);
    try {
      await assert.rejects(quietPoint(store, { timeoutMs: 400 }), /the sandbox did not go quiet within \d+ ms: \d+ writes/);
    } finally {
      clearInterval(busy);
    }
  });
});
