/** The sandbox API server driven by @kubernetes/client-node 1.4. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  Watch,
  makeInformer,
  setHeaderOptions,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { CD, clusterDeployment, GROUP, startTestApiServer, VERSION, type TestApiServer } from './sandbox-apiserver-fixture.js';
import type { KubeObject } from '../../src/sandbox/apiserver/types.js';
import { buildKubeconfig } from '../../src/sandbox/apiserver/kubeconfig.js';
import { until } from '../helpers/until.js';

interface WatchEvent {
  type: string;
  name: string;
  rv: string;
  object: KubeObject;
}

function collectWatch(
  kc: KubeConfig,
  path: string,
  query: Record<string, string | boolean>,
): Promise<{ events: WatchEvent[]; stop: () => void; done: Promise<unknown> }> {
  const events: WatchEvent[] = [];
  let resolveDone: (v: unknown) => void = () => undefined;
  const done = new Promise((r) => (resolveDone = r));
  return new Watch(kc)
    .watch(
      path,
      query,
      (type: string, obj: KubeObject) =>
        events.push({ type, name: obj.metadata?.name, rv: obj.metadata?.resourceVersion ?? '', object: obj }),
      (err: unknown) => resolveDone(err),
    )
    .then((controller) => ({ events, stop: () => controller.abort(), done }));
}

describe('sandbox apiserver with client-node', () => {
  let t: TestApiServer;
  let kc: KubeConfig;
  let custom: CustomObjectsApi;
  const base = { group: GROUP, version: VERSION, plural: 'clusterdeployments' };
  const ssa = setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply);

  before(async () => {
    t = await startTestApiServer();
    kc = new KubeConfig();
    kc.loadFromString(buildKubeconfig({ url: t.server.url }));
    custom = kc.makeApiClient(CustomObjectsApi);
  });
  after(async () => {
    await t.close();
  });

  it('server-side apply creates, updates, and a no-op keeps the resourceVersion', async () => {
    const apply = (spec: Record<string, unknown>): Promise<KubeObject> =>
      custom.patchNamespacedCustomObject(
        {
          ...base,
          namespace: 'team-alpha',
          name: 'ssa-client',
          body: clusterDeployment('ssa-client', 'team-alpha', spec),
          fieldManager: 'k0rdent-mcp',
          force: true,
        },
        ssa,
      ) as Promise<KubeObject>;
    const created = await apply({});
    assert.equal(created.metadata.generation, 1);
    assert.ok(created.metadata.uid);
    const updated = await apply({ config: { clusterLabels: { team: 'alpha' } } });
    assert.equal(updated.metadata.generation, 2);
    assert.notEqual(updated.metadata.resourceVersion, created.metadata.resourceVersion);
    const again = await apply({ config: { clusterLabels: { team: 'alpha' } } });
    assert.equal(again.metadata.resourceVersion, updated.metadata.resourceVersion);
    assert.equal(t.store.get(CD, 'team-alpha', 'ssa-client')!.metadata.resourceVersion, updated.metadata.resourceVersion);
    const removed = await apply({});
    assert.equal((removed.spec as { config?: unknown }).config, undefined, 'a field no longer applied is removed');
  });

  it('dryRun=All returns the would-be object and persists nothing', async () => {
    const rvBefore = t.store.currentResourceVersion();
    const created = (await custom.createNamespacedCustomObject({
      ...base,
      namespace: 'team-alpha',
      body: clusterDeployment('dry', 'team-alpha'),
      dryRun: 'All',
    })) as KubeObject;
    assert.equal(created.metadata.name, 'dry');
    assert.ok(created.metadata.uid);
    assert.equal(t.store.get(CD, 'team-alpha', 'dry'), undefined);
    const applied = (await custom.patchNamespacedCustomObject(
      {
        ...base,
        namespace: 'team-alpha',
        name: 'dry2',
        body: clusterDeployment('dry2', 'team-alpha'),
        fieldManager: 'k0rdent-mcp',
        dryRun: 'All',
      },
      ssa,
    )) as KubeObject;
    assert.equal(applied.metadata.name, 'dry2');
    assert.equal(t.store.get(CD, 'team-alpha', 'dry2'), undefined);
    assert.equal(t.store.currentResourceVersion(), rvBefore);
  });

  it('create of an existing name is 409 AlreadyExists', async () => {
    await custom.createNamespacedCustomObject({ ...base, namespace: 'team-beta', body: clusterDeployment('dup', 'team-beta') });
    await assert.rejects(
      custom.createNamespacedCustomObject({ ...base, namespace: 'team-beta', body: clusterDeployment('dup', 'team-beta') }),
      (err: { code?: number; body?: string }) => {
        assert.equal(err.code, 409);
        assert.equal(JSON.parse(err.body!).reason, 'AlreadyExists');
        return true;
      },
    );
  });

  it('merge patch changes a field and bumps generation; json patch too', async () => {
    await custom.createNamespacedCustomObject({ ...base, namespace: 'team-beta', body: clusterDeployment('patched', 'team-beta') });
    const merged = (await custom.patchNamespacedCustomObject(
      { ...base, namespace: 'team-beta', name: 'patched', body: { spec: { dryRun: true } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    )) as KubeObject;
    assert.equal((merged.spec as { dryRun: boolean }).dryRun, true);
    assert.equal(merged.metadata.generation, 2);
    const jsonPatched = (await custom.patchNamespacedCustomObject({
      ...base,
      namespace: 'team-beta',
      name: 'patched',
      body: [{ op: 'replace', path: '/spec/dryRun', value: false }],
    })) as KubeObject;
    assert.equal((jsonPatched.spec as { dryRun: boolean }).dryRun, false);
    assert.equal(jsonPatched.metadata.generation, 3);
  });

  it('Watch delivers ADDED, MODIFIED, DELETED in order, and resuming from a resourceVersion loses nothing', async () => {
    const path = `/apis/${GROUP}/${VERSION}/namespaces/team-beta/clusterdeployments`;
    const w = await collectWatch(kc, path, {
      labelSelector: 'watch=me',
      resourceVersion: t.store.currentResourceVersion(),
      allowWatchBookmarks: true,
    });
    try {
      const created = t.store.create(CD, clusterDeployment('watched', 'team-beta', {}, { watch: 'me' }));
      const modified = t.store.get(CD, 'team-beta', 'watched')!;
      (modified.spec as Record<string, unknown>).dryRun = true;
      t.store.update(CD, modified);
      t.store.create(CD, clusterDeployment('not-selected', 'team-beta', {}, { watch: 'other' }));
      t.store.delete(CD, 'team-beta', 'watched');
      assert.ok(await until('w.events.length >= 3', () => w.events.length >= 3), `events: ${JSON.stringify(w.events.map((e) => e.type))}`);
      assert.deepEqual(
        w.events.map((e) => `${e.type} ${e.name}`),
        ['ADDED watched', 'MODIFIED watched', 'DELETED watched'],
      );
      // Resume from the ADDED event's resourceVersion: the later two events are replayed.
      const resumed = await collectWatch(kc, path, { labelSelector: 'watch=me', resourceVersion: created.metadata.resourceVersion! });
      try {
        assert.ok(await until('resumed.events.length >= 2', () => resumed.events.length >= 2));
        assert.deepEqual(
          resumed.events.map((e) => e.type),
          ['MODIFIED', 'DELETED'],
        );
        assert.deepEqual(
          resumed.events.map((e) => e.rv),
          w.events.slice(1).map((e) => e.rv),
        );
      } finally {
        resumed.stop();
      }
    } finally {
      w.stop();
    }
  });

  it('an informer sees add/update/delete and survives the server closing its watch', async () => {
    t.store.create(
      { group: '', version: 'v1', plural: 'namespaces' },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'informed' } },
    );
    const informer = makeInformer<KubernetesObject>(
      kc,
      `/apis/${GROUP}/${VERSION}/namespaces/informed/clusterdeployments`,
      () => custom.listNamespacedCustomObject({ ...base, namespace: 'informed' }) as never,
    );
    const seen: string[] = [];
    informer.on('add', (o) => seen.push(`add ${o.metadata?.name}`));
    informer.on('update', (o) => seen.push(`update ${o.metadata?.name}`));
    informer.on('delete', (o) => seen.push(`delete ${o.metadata?.name}`));
    await informer.start();
    try {
      t.store.create(CD, clusterDeployment('inf', 'informed'));
      assert.ok(await until('seen.length >= 1', () => seen.length >= 1));
      t.server.faults.closeWatches();
      const cur = t.store.get(CD, 'informed', 'inf')!;
      (cur.spec as Record<string, unknown>).dryRun = true;
      t.store.update(CD, cur);
      t.store.delete(CD, 'informed', 'inf');
      assert.ok(await until('the informer to see the delete', () => seen.includes('delete inf')), `informer events: ${seen.join(', ')}`);
      assert.deepEqual(seen, ['add inf', 'update inf', 'delete inf']);
    } finally {
      await informer.stop();
    }
  });

  it('resourceVersion 0 starts with ADDED for the current state', async () => {
    const w = await collectWatch(kc, `/apis/${GROUP}/${VERSION}/namespaces/team-alpha/clusterdeployments`, {
      resourceVersion: '0',
      fieldSelector: 'metadata.name=ssa-client',
    });
    try {
      assert.ok(await until('w.events.length >= 1', () => w.events.length >= 1));
      assert.deepEqual(
        w.events.map((e) => `${e.type} ${e.name}`),
        ['ADDED ssa-client'],
      );
    } finally {
      w.stop();
    }
  });

  it('a list with limit/continue pages through every object', async () => {
    for (let i = 0; i < 7; i++) t.store.create(CD, clusterDeployment(`page-${i}`, 'kcm-system', {}, { paging: 'yes' }));
    const names: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = (await custom.listNamespacedCustomObject({
        ...base,
        namespace: 'kcm-system',
        labelSelector: 'paging=yes',
        limit: 3,
        ...(token ? { _continue: token } : {}),
      })) as { items: KubeObject[]; metadata: { continue?: string } };
      names.push(...page.items.map((i) => i.metadata.name));
      token = page.metadata.continue;
      pages += 1;
    } while (token);
    assert.equal(pages, 3);
    assert.deepEqual(
      names,
      [0, 1, 2, 3, 4, 5, 6].map((i) => `page-${i}`),
    );
  });

  it('core namespaces, configmaps and events with an involvedObject field selector', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    const nsList = await core.listNamespace();
    const names = nsList.items.map((n) => n.metadata?.name);
    for (const n of ['kcm-system', 'team-alpha', 'team-beta']) assert.ok(names.includes(n), `${n} in ${names.join(',')}`);
    assert.deepEqual(names, [...names].sort(), 'sorted by name');
    const created = await core.createNamespace({ body: { metadata: { name: 'fresh' } } });
    assert.equal(created.status?.phase, 'Active');
    await core.createNamespacedConfigMap({ namespace: 'team-alpha', body: { metadata: { name: 'cm1' }, data: { k: 'v' } } });
    const cm = await core.readNamespacedConfigMap({ namespace: 'team-alpha', name: 'cm1' });
    assert.equal(cm.data?.k, 'v');
    await core.createNamespacedEvent({
      namespace: 'team-alpha',
      body: {
        metadata: { name: 'ev1' },
        involvedObject: { kind: 'ClusterDeployment', name: 'ssa-client', namespace: 'team-alpha' },
        reason: 'Provisioning',
        message: 'm',
      },
    });
    await core.createNamespacedEvent({
      namespace: 'team-alpha',
      body: {
        metadata: { name: 'ev2' },
        involvedObject: { kind: 'ClusterDeployment', name: 'other', namespace: 'team-alpha' },
        reason: 'Provisioning',
        message: 'm',
      },
    });
    const events = await core.listNamespacedEvent({ namespace: 'team-alpha', fieldSelector: 'involvedObject.name=ssa-client' });
    assert.deepEqual(
      events.items.map((e) => e.metadata?.name),
      ['ev1'],
    );
  });

  it('a namespace that does not exist is 404 on create', async () => {
    await assert.rejects(
      custom.createNamespacedCustomObject({ ...base, namespace: 'nowhere', body: clusterDeployment('x', 'nowhere') }),
      (err: { code?: number; body?: string }) => {
        assert.equal(err.code, 404);
        assert.match(JSON.parse(err.body!).message, /namespaces "nowhere" not found/);
        return true;
      },
    );
  });

  it('foreground deletion waits for blocking dependents, then the garbage collector completes it', async () => {
    const owner = t.store.create(CD, clusterDeployment('owner', 'kcm-system'));
    const dep = t.store.create(CD, {
      ...clusterDeployment('dependent', 'kcm-system'),
      metadata: {
        name: 'dependent',
        namespace: 'kcm-system',
        finalizers: ['example.com/hold'],
        ownerReferences: [
          {
            apiVersion: `${GROUP}/${VERSION}`,
            kind: 'ClusterDeployment',
            name: 'owner',
            uid: owner.metadata.uid!,
            blockOwnerDeletion: true,
          },
        ],
      },
    });
    const res = (await custom.deleteNamespacedCustomObject({
      ...base,
      namespace: 'kcm-system',
      name: 'owner',
      propagationPolicy: 'Foreground',
    })) as KubeObject;
    assert.ok(res.metadata.deletionTimestamp);
    assert.ok(res.metadata.finalizers?.includes('foregroundDeletion'));
    // The garbage collector's step is the marker: once the dependent is being deleted, the owner must still wait.
    await until('the dependent to be deleted', () => t.store.get(CD, 'kcm-system', 'dependent')?.metadata.deletionTimestamp);
    assert.ok(t.store.get(CD, 'kcm-system', 'owner'), 'owner waits for its blocking dependent');
    assert.ok(t.store.get(CD, 'kcm-system', 'dependent')!.metadata.deletionTimestamp, 'dependent is being deleted');
    const held = t.store.get(CD, 'kcm-system', 'dependent')!;
    held.metadata.finalizers = [];
    t.store.update(CD, held);
    assert.equal(t.store.get(CD, 'kcm-system', 'dependent'), undefined);
    assert.ok(
      await until('the owner to go', () => t.store.get(CD, 'kcm-system', 'owner') === undefined),
      'owner disappears once no dependents remain',
    );
    assert.ok(dep.metadata.uid);
  });

  it('a watch from a resourceVersion older than the history gets 410 Expired', async () => {
    const small = await startTestApiServer({ historySize: 4 });
    try {
      const kc2 = new KubeConfig();
      kc2.loadFromString(buildKubeconfig({ url: small.server.url }));
      const first = small.store.currentResourceVersion();
      for (let i = 0; i < 10; i++) small.store.create(CD, clusterDeployment(`churn-${i}`, 'kcm-system'));
      const w = await collectWatch(kc2, `/apis/${GROUP}/${VERSION}/namespaces/kcm-system/clusterdeployments`, { resourceVersion: first });
      assert.ok(await until('w.events.length >= 1', () => w.events.length >= 1));
      assert.equal(w.events[0]!.type, 'ERROR');
      const status = w.events[0]!.object as unknown as { code: number; reason: string };
      assert.equal(status.code, 410);
      assert.equal(status.reason, 'Expired');
      w.stop();
    } finally {
      await small.close();
    }
  });
});
