import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ApiError } from '../../src/sandbox/apiserver/errors.js';
import { decodeFieldsV1, encodeFieldsV1, ownedPaths, recordUpdate, serverSideApply, type ManagedFieldsEntry } from '../../src/sandbox/apiserver/managed-fields.js';
import type { KubeObject } from '../../src/sandbox/apiserver/types.js';

const AV = 'k0rdent.mirantis.com/v1beta1';
const cd = (spec: Record<string, unknown>, labels?: Record<string, string>): KubeObject => ({
  apiVersion: AV,
  kind: 'ClusterDeployment',
  metadata: { name: 'foo', namespace: 'ns', ...(labels ? { labels } : {}) },
  spec,
});
const opts = (manager: string, force = false) => ({ manager, force, apiVersion: AV, ignoreStatus: true });
const managers = (o: KubeObject): string[] => (o.metadata.managedFields as ManagedFieldsEntry[]).map((m) => `${m.manager}/${m.operation}`);

describe('sandbox server-side apply', () => {
  it('records FieldsV1 for exactly the applied fields', () => {
    const out = serverSideApply(undefined, cd({ template: 't', config: { a: 1 } }, { env: 'dev' }), opts('kubectl'));
    const entry = (out.metadata.managedFields as ManagedFieldsEntry[])[0]!;
    assert.equal(entry.operation, 'Apply');
    assert.equal(entry.fieldsType, 'FieldsV1');
    assert.deepEqual(entry.fieldsV1, { 'f:metadata': { 'f:labels': { 'f:env': {} } }, 'f:spec': { 'f:template': {}, 'f:config': { 'f:a': {} } } });
  });

  it('FieldsV1 round-trips', () => {
    const set = ownedPaths(cd({ a: { b: 1, c: [1, 2] }, d: 'x' }) as Record<string, unknown>, { ignoreStatus: true });
    assert.deepEqual([...decodeFieldsV1(encodeFieldsV1(set)).keys()].sort(), [...set.keys()].sort());
  });

  it('conflicts with another manager changing its field; force takes ownership', () => {
    const live = serverSideApply(undefined, cd({ template: 't1', credential: 'c' }), opts('alice'));
    assert.throws(
      () => serverSideApply(live, cd({ template: 't2' }), opts('bob')),
      (e: ApiError) => {
        assert.equal(e.code, 409);
        assert.equal(e.message, 'Apply failed with 1 conflict: conflict with "alice" using k0rdent.mirantis.com/v1beta1: .spec.template');
        assert.deepEqual(e.details?.causes, [{ reason: 'FieldManagerConflict', message: `conflict with "alice" using ${AV}`, field: '.spec.template' }]);
        return true;
      },
    );
    const forced = serverSideApply(live, cd({ template: 't2' }), opts('bob', true));
    assert.equal((forced.spec as Record<string, unknown>).template, 't2');
    const alice = (forced.metadata.managedFields as ManagedFieldsEntry[]).find((m) => m.manager === 'alice')!;
    assert.deepEqual(alice.fieldsV1, { 'f:spec': { 'f:credential': {} } });
  });

  it('the same value is co-owned without conflict, and survives when one owner drops it', () => {
    const live = serverSideApply(undefined, cd({ template: 't', credential: 'c' }), opts('alice'));
    const shared = serverSideApply(live, cd({ template: 't' }), opts('bob'));
    assert.deepEqual(managers(shared), ['alice/Apply', 'bob/Apply']);
    const aliceDrops = serverSideApply(shared, cd({ credential: 'c' }), opts('alice'));
    assert.equal((aliceDrops.spec as Record<string, unknown>).template, 't', 'bob still owns it');
  });

  it('removes a field its manager stops applying', () => {
    const live = serverSideApply(undefined, cd({ template: 't', dryRun: true }), opts('alice'));
    const next = serverSideApply(live, cd({ template: 't' }), opts('alice'));
    assert.equal((next.spec as Record<string, unknown>).dryRun, undefined);
  });

  it('an explicit null in the configuration clears the field', () => {
    const live = serverSideApply(undefined, cd({ template: 't', dryRun: true }), opts('alice'));
    const next = serverSideApply(live, cd({ template: 't', dryRun: null }), opts('alice'));
    assert.equal('dryRun' in (next.spec as Record<string, unknown>), false);
  });

  it('takes over fields listed in the client-side-apply annotation without a conflict', () => {
    const csa = cd({ template: 't1' });
    csa.metadata.annotations = { 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify(cd({ template: 't1' })) };
    const live = recordUpdate(undefined, csa, { manager: 'kubectl-client-side-apply', apiVersion: AV, ignoreStatus: true });
    const applied = serverSideApply(live, cd({ template: 't2' }), opts('kubectl'));
    assert.equal((applied.spec as Record<string, unknown>).template, 't2');
    const other = recordUpdate(undefined, cd({ template: 't1' }), { manager: 'someone', apiVersion: AV, ignoreStatus: true });
    assert.throws(() => serverSideApply(other, cd({ template: 't2' }), opts('kubectl')), /conflict with "someone"/);
  });

  it('three conflicts are listed', () => {
    const live = serverSideApply(undefined, cd({ a: 1, b: 2, c: 3 }), opts('alice'));
    assert.throws(() => serverSideApply(live, cd({ a: 9, b: 9, c: 9 }), opts('bob')), /Apply failed with 3 conflicts: conflicts with "alice" using k0rdent.mirantis.com\/v1beta1:\n- \.spec\.a\n- \.spec\.b\n- \.spec\.c/);
  });
});

describe('sandbox managedFields for updates', () => {
  it('an Update takes the fields it changed from other managers', () => {
    const live = serverSideApply(undefined, cd({ template: 't', credential: 'c' }), opts('alice'));
    const next = recordUpdate(live, { ...live, spec: { template: 'other', credential: 'c' } }, { manager: 'kubectl-edit', apiVersion: AV, ignoreStatus: true });
    const entries = next.metadata.managedFields as ManagedFieldsEntry[];
    assert.deepEqual(entries.map((e) => `${e.manager}/${e.operation}`), ['alice/Apply', 'kubectl-edit/Update']);
    assert.deepEqual(entries[0]!.fieldsV1, { 'f:spec': { 'f:credential': {} } });
    assert.deepEqual(entries[1]!.fieldsV1, { 'f:spec': { 'f:template': {} } });
  });
  it('an applied change after an Update conflicts with the updater', () => {
    const created = recordUpdate(undefined, cd({ template: 't' }), { manager: 'kubectl-create', apiVersion: AV, ignoreStatus: true });
    assert.throws(() => serverSideApply(created, cd({ template: 'x' }), opts('kubectl')), /conflict with "kubectl-create"/);
  });
});
