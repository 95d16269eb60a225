import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ApiError } from '../../src/sandbox/apiserver/errors.js';
import { MemoryStore } from '../../src/sandbox/apiserver/store.js';
import type { KubeObject, ResourceKey, StoreEvent } from '../../src/sandbox/apiserver/types.js';
import { until } from '../helpers/until.js';

const CD: ResourceKey = { group: 'k0rdent.mirantis.com', version: 'v1beta1', plural: 'clusterdeployments' };
const NS: ResourceKey = { group: '', version: 'v1', plural: 'namespaces' };
const cd = (name: string, ns = 'a', extra: Partial<KubeObject['metadata']> = {}): KubeObject => ({
  apiVersion: 'k0rdent.mirantis.com/v1beta1',
  kind: 'ClusterDeployment',
  metadata: { name, namespace: ns, ...extra },
  spec: { template: 't' },
});

describe('sandbox MemoryStore', () => {
  it('assigns uid, creationTimestamp, generation and a monotonically increasing resourceVersion', () => {
    const s = new MemoryStore();
    const a = s.create(CD, cd('a1'));
    const b = s.create(CD, cd('b1', 'b'));
    assert.ok(a.metadata.uid && a.metadata.creationTimestamp);
    assert.equal(a.metadata.generation, 1);
    assert.ok(Number(b.metadata.resourceVersion) > Number(a.metadata.resourceVersion));
    assert.equal(s.currentResourceVersion(), b.metadata.resourceVersion);
    assert.throws(
      () => s.create(CD, cd('a1')),
      (e: ApiError) => e.code === 409 && e.reason === 'AlreadyExists',
    );
  });

  it('bumps generation on spec changes only; a no-op update persists nothing', () => {
    const s = new MemoryStore();
    const events: StoreEvent[] = [];
    s.subscribe((e) => events.push(e));
    const a = s.create(CD, cd('a1'));
    const labelled = s.update(CD, { ...a, metadata: { ...a.metadata, labels: { x: 'y' } } });
    assert.equal(labelled.metadata.generation, 1);
    const withStatus = s.updateStatus(CD, 'a', 'a1', { ready: true });
    assert.equal(withStatus.metadata.generation, 1);
    const specChanged = s.update(CD, { ...withStatus, spec: { template: 'u' } });
    assert.equal(specChanged.metadata.generation, 2);
    const same = s.update(CD, specChanged);
    assert.equal(same.metadata.resourceVersion, specChanged.metadata.resourceVersion);
    assert.deepEqual(
      events.map((e) => e.type),
      ['ADDED', 'MODIFIED', 'MODIFIED', 'MODIFIED'],
    );
    assert.equal(events[1]!.oldObject?.metadata.labels, undefined);
  });

  it('honours finalizers: deletionTimestamp first, removal when the last one goes', () => {
    const s = new MemoryStore();
    s.create(CD, cd('f', 'a', { finalizers: ['kcm'] }));
    const terminating = s.delete(CD, 'a', 'f');
    assert.ok(terminating?.metadata.deletionTimestamp);
    assert.ok(s.get(CD, 'a', 'f'));
    const cur = s.get(CD, 'a', 'f')!;
    s.update(CD, { ...cur, metadata: { ...cur.metadata, finalizers: [] } });
    assert.equal(s.get(CD, 'a', 'f'), undefined);
    assert.throws(
      () => s.delete(CD, 'a', 'f'),
      (e: ApiError) => e.code === 404,
    );
  });

  it('foreground deletion: the garbage collector removes the owner once dependents are gone', async () => {
    const s = new MemoryStore();
    const owner = s.create(CD, cd('owner'));
    s.create(
      CD,
      cd('child', 'a', {
        ownerReferences: [{ apiVersion: 'v', kind: 'K', name: 'owner', uid: owner.metadata.uid!, blockOwnerDeletion: true }],
      }),
    );
    const res = s.delete(CD, 'a', 'owner', 'Foreground');
    assert.deepEqual(res?.metadata.finalizers, ['foregroundDeletion']);
    assert.equal(s.get(CD, 'a', 'child'), undefined, 'the dependent (no finalizers) is deleted');
    await until('the owner to go', () => s.get(CD, 'a', 'owner') === undefined);
    s.close();
  });

  it('Orphan strips ownerReferences from dependents instead of deleting them', () => {
    const s = new MemoryStore();
    const owner = s.create(CD, cd('owner'));
    s.create(CD, cd('child', 'a', { ownerReferences: [{ apiVersion: 'v', kind: 'K', name: 'owner', uid: owner.metadata.uid! }] }));
    s.delete(CD, 'a', 'owner', 'Orphan');
    assert.equal(s.get(CD, 'a', 'owner'), undefined);
    assert.equal(s.get(CD, 'a', 'child')!.metadata.ownerReferences, undefined);
  });

  it('deleting a namespace deletes its objects, then the namespace', async () => {
    const s = new MemoryStore();
    s.create(NS, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'gone' } });
    s.create(CD, cd('x', 'gone'));
    s.create(CD, cd('y', 'gone', { finalizers: ['hold'] }));
    s.delete(NS, undefined, 'gone');
    assert.equal(s.get(CD, 'gone', 'x'), undefined);
    assert.equal((s.get(NS, undefined, 'gone')!.status as { phase: string }).phase, 'Terminating');
    const y = s.get(CD, 'gone', 'y')!;
    s.update(CD, { ...y, metadata: { ...y.metadata, finalizers: [] } });
    await until('the namespace to go', () => s.get(NS, undefined, 'gone') === undefined);
    s.close();
  });

  it('keeps a bounded history: replay after an RV, undefined (410) when too old', () => {
    const s = new MemoryStore({ historySize: 10 });
    const first = s.create(CD, cd('h0'));
    const later = s.eventsSince(Number(first.metadata.resourceVersion));
    assert.deepEqual(later, []);
    for (let i = 1; i < 30; i++) s.create(CD, cd(`h${i}`));
    assert.equal(s.eventsSince(Number(first.metadata.resourceVersion)), undefined);
    const recent = s.eventsSince(Number(s.currentResourceVersion()) - 3)!;
    assert.deepEqual(
      recent.map((e) => e.event.object.metadata.name),
      ['h27', 'h28', 'h29'],
    );
  });

  it('delivers events to every listener in resourceVersion order, even with writes inside a listener', () => {
    const s = new MemoryStore();
    const seen: string[] = [];
    s.subscribe((e) => {
      if (e.type === 'ADDED' && e.object.metadata.name === 'trigger') s.create(CD, cd('reaction'));
    });
    s.subscribe((e) => seen.push(`${e.object.metadata.resourceVersion}:${e.object.metadata.name}`));
    s.create(CD, cd('trigger'));
    assert.deepEqual(seen, ['1:trigger', '2:reaction']);
  });

  it('runs mutating hooks in order, then validating hooks on the mutated object; the first denial wins', () => {
    const s = new MemoryStore();
    const seen: string[] = [];
    s.registerValidatingAdmission(
      CD,
      (req) => (
        seen.push(`validate:${req.object?.metadata.labels?.a ?? '-'}`),
        req.object?.metadata.labels?.a === '2'
          ? { allowed: false, code: 403, reason: 'Forbidden', message: 'saw both mutations' }
          : { allowed: true }
      ),
    );
    s.registerMutatingAdmission(
      CD,
      (req) => (
        seen.push('mutate:1'),
        { allowed: true, object: { ...req.object!, metadata: { ...req.object!.metadata, labels: { a: '1' } } } }
      ),
    );
    s.registerMutatingAdmission(
      CD,
      (req) => (
        seen.push(`mutate:${req.object?.metadata.labels?.a ?? '-'}`),
        { allowed: true, object: { ...req.object!, metadata: { ...req.object!.metadata, labels: { a: '2' } } } }
      ),
    );
    assert.deepEqual(s.admitMutating({ operation: 'CREATE', resource: CD, object: cd('x'), dryRun: false, user: 'u' }).allowed, true);
    assert.deepEqual(
      seen,
      ['mutate:1', 'mutate:1'],
      'the validating hook is not part of the mutating phase; the second mutation sees the first',
    );
    seen.length = 0;
    const r = s.admit({ operation: 'CREATE', resource: CD, object: cd('x'), dryRun: false, user: 'u' });
    assert.deepEqual(r, { allowed: false, code: 403, reason: 'Forbidden', message: 'saw both mutations' });
    assert.deepEqual(seen, ['mutate:1', 'mutate:1', 'validate:2']);
    assert.deepEqual(s.admit({ operation: 'CREATE', resource: NS, dryRun: false, user: 'u' }), { allowed: true });
  });

  it('refuses a validating hook that returns an object (validating admission cannot mutate)', () => {
    const s = new MemoryStore();
    s.registerValidatingAdmission(CD, (req) => ({ allowed: true, object: req.object! }));
    assert.throws(
      () => s.admitValidating({ operation: 'CREATE', resource: CD, object: cd('x'), dryRun: false, user: 'u' }),
      /registerMutatingAdmission/,
    );
  });

  it('lists by namespace and label selector from its index, sorted', () => {
    const s = new MemoryStore();
    for (const ns of ['b', 'a']) for (const n of ['z', 'm']) s.create(CD, cd(n, ns, { labels: { ns } }));
    assert.deepEqual(
      s.list(CD).map((o) => `${o.metadata.namespace}/${o.metadata.name}`),
      ['a/m', 'a/z', 'b/m', 'b/z'],
    );
    assert.deepEqual(
      s.list(CD, { namespace: 'b' }).map((o) => o.metadata.name),
      ['m', 'z'],
    );
    assert.deepEqual(
      s.list(CD, { labelSelector: 'ns=a' }).map((o) => o.metadata.namespace),
      ['a', 'a'],
    );
    const copy = s.get(CD, 'a', 'm')!;
    copy.metadata.name = 'mutated';
    assert.equal(s.get(CD, 'a', 'm')!.metadata.name, 'm', 'reads return copies');
  });
});
