/**
 * Server-side apply in the sandbox, on the real ClusterDeployment CRD schema. Expected behaviour follows
 * sigs.k8s.io/structured-merge-diff/v6 (merge/update.go Apply/Update/prune, typed/merge.go,
 * fieldpath/serialize-pe.go) as kube-apiserver runs it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ApiError } from '../../src/sandbox/apiserver/errors.js';
import {
  decodeFieldsV1,
  encodeFieldsV1,
  ownedPaths,
  recordUpdate,
  serverSideApply,
  type ManagedFieldsEntry,
} from '../../src/sandbox/apiserver/managed-fields.js';
import { loadCrds } from '../../src/sandbox/apiserver/resources.js';
import type { KubeObject } from '../../src/sandbox/apiserver/types.js';

const AV = 'k0rdent.mirantis.com/v1beta1';
const schema = loadCrds().find((d) => d.kind === 'ClusterDeployment' && d.version === 'v1beta1')!.schema!;
type Json = Record<string, unknown>;
const cd = (spec: Json, labels?: Record<string, string>): KubeObject => ({
  apiVersion: AV,
  kind: 'ClusterDeployment',
  metadata: { name: 'foo', namespace: 'ns', ...(labels ? { labels } : {}) },
  spec,
});
const opts = (manager: string, force = false) => ({ manager, force, apiVersion: AV, ignoreStatus: true, schema });
const entries = (o: KubeObject): ManagedFieldsEntry[] => (o.metadata.managedFields ?? []) as ManagedFieldsEntry[];
const managers = (o: KubeObject): string[] => entries(o).map((m) => `${m.manager}/${m.operation}`);
const fieldsOf = (o: KubeObject, manager: string): Json => entries(o).find((m) => m.manager === manager)!.fieldsV1;
const spec = (o: KubeObject): Json => o.spec as Json;
const services = (o: KubeObject): Json[] => ((spec(o).serviceSpec as Json | undefined)?.services ?? []) as Json[];
const svc = (name: string, template: string, values?: string): Json => ({ name, template, ...(values !== undefined ? { values } : {}) });
const withServices = (...list: Json[]): KubeObject => cd({ serviceSpec: { services: list } });
const KEY_A = 'k:{"name":"a","namespace":"default"}';
const KEY_B = 'k:{"name":"b","namespace":"default"}';

describe('sandbox server-side apply: maps and scalars', () => {
  it('records FieldsV1 for exactly the applied fields', () => {
    const out = serverSideApply(undefined, cd({ template: 't', config: { a: 1 } }, { env: 'dev' }), opts('kubectl'));
    const entry = entries(out)[0]!;
    assert.equal(entry.operation, 'Apply');
    assert.equal(entry.fieldsType, 'FieldsV1');
    assert.deepEqual(entry.fieldsV1, {
      'f:metadata': { 'f:labels': { 'f:env': {} } },
      'f:spec': { 'f:config': { 'f:a': {} }, 'f:template': {} },
    });
  });

  it('FieldsV1 round-trips, members with children marked by "."', () => {
    const set = ownedPaths(withServices(svc('a', 't', 'x: 1')) as Json, { ignoreStatus: true, schema });
    const encoded = encodeFieldsV1(set);
    assert.deepEqual(encoded, {
      'f:spec': { 'f:serviceSpec': { 'f:services': { [KEY_A]: { '.': {}, 'f:name': {}, 'f:template': {}, 'f:values': {} } } } },
    });
    assert.ok(decodeFieldsV1(encoded).equals(set));
  });

  it('conflicts with another manager changing its field; force takes ownership', () => {
    const live = serverSideApply(undefined, cd({ template: 't1', credential: 'c' }), opts('alice'));
    assert.throws(
      () => serverSideApply(live, cd({ template: 't2' }), opts('bob')),
      (e: ApiError) => {
        assert.equal(e.code, 409);
        assert.equal(e.message, 'Apply failed with 1 conflict: conflict with "alice": .spec.template');
        assert.deepEqual(e.details?.causes, [
          { reason: 'FieldManagerConflict', message: `conflict with "alice"`, field: '.spec.template' },
        ]);
        return true;
      },
    );
    const forced = serverSideApply(live, cd({ template: 't2' }), opts('bob', true));
    assert.equal(spec(forced).template, 't2');
    assert.deepEqual(fieldsOf(forced, 'alice'), { 'f:spec': { 'f:credential': {} } });
  });

  it('the same value is co-owned without conflict, and survives when one owner drops it', () => {
    const live = serverSideApply(undefined, cd({ template: 't', credential: 'c' }), opts('alice'));
    const shared = serverSideApply(live, cd({ template: 't' }), opts('bob'));
    assert.deepEqual(managers(shared), ['alice/Apply', 'bob/Apply']);
    const aliceDrops = serverSideApply(shared, cd({ credential: 'c' }), opts('alice'));
    assert.equal(spec(aliceDrops).template, 't', 'bob still owns it');
  });

  it('removes a field its manager stops applying', () => {
    const live = serverSideApply(undefined, cd({ template: 't', dryRun: true }), opts('alice'));
    const next = serverSideApply(live, cd({ template: 't' }), opts('alice'));
    assert.equal(spec(next).dryRun, undefined);
  });

  it('an explicit null in the configuration clears the field', () => {
    const live = serverSideApply(undefined, cd({ template: 't', dryRun: true }), opts('alice'));
    const next = serverSideApply(live, cd({ template: 't', dryRun: null }), opts('alice'));
    assert.equal('dryRun' in spec(next), false);
  });

  it('takes over fields listed in the client-side-apply annotation without a conflict', () => {
    const csa = cd({ template: 't1' });
    csa.metadata.annotations = { 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify(cd({ template: 't1' })) };
    const live = recordUpdate(undefined, csa, { manager: 'kubectl-client-side-apply', apiVersion: AV, ignoreStatus: true, schema });
    const applied = serverSideApply(live, cd({ template: 't2' }), opts('kubectl'));
    assert.equal(spec(applied).template, 't2');
    const other = recordUpdate(undefined, cd({ template: 't1' }), { manager: 'someone', apiVersion: AV, ignoreStatus: true, schema });
    assert.throws(() => serverSideApply(other, cd({ template: 't2' }), opts('kubectl')), /conflict with "someone"/);
  });

  it('three conflicts are listed', () => {
    const live = serverSideApply(undefined, cd({ template: 't', credential: 'c', dryRun: true }), opts('alice'));
    assert.throws(
      () => serverSideApply(live, cd({ template: 'x', credential: 'y', dryRun: false }), opts('bob')),
      /Apply failed with 3 conflicts: conflicts with "alice":\n- \.spec\.credential\n- \.spec\.dryRun\n- \.spec\.template/,
    );
  });

  it('an object written without managedFields gives its fields to before-first-apply at the first apply', () => {
    const seeded = cd({ template: 't', credential: 'c' });
    assert.throws(() => serverSideApply(seeded, cd({ template: 'x' }), opts('kubectl')), /conflict with "before-first-apply"/);
    const added = serverSideApply(seeded, cd({ dryRun: true }), opts('kubectl'));
    assert.deepEqual(managers(added), ['before-first-apply/Update', 'kubectl/Apply']);
    assert.deepEqual(fieldsOf(added, 'before-first-apply'), { 'f:spec': { 'f:credential': {}, 'f:template': {} } });
  });
});

describe('sandbox server-side apply: x-kubernetes-list-type map (spec.serviceSpec.services keyed by name, namespace)', () => {
  const twoOwners = (): KubeObject => {
    const a = serverSideApply(undefined, withServices(svc('a', 'ingress-nginx-4-11-0', 'replicas: 1')), opts('mcp.services'));
    return serverSideApply(a, withServices(svc('b', 'cert-manager-1-16-2')), opts('other'));
  };

  it('two managers each own one entry; the key uses the schema default of namespace', () => {
    const live = twoOwners();
    assert.deepEqual(
      services(live).map((s) => s.name),
      ['a', 'b'],
    );
    assert.deepEqual(fieldsOf(live, 'mcp.services'), {
      'f:spec': { 'f:serviceSpec': { 'f:services': { [KEY_A]: { '.': {}, 'f:name': {}, 'f:template': {}, 'f:values': {} } } } },
    });
    assert.deepEqual(fieldsOf(live, 'other'), {
      'f:spec': { 'f:serviceSpec': { 'f:services': { [KEY_B]: { '.': {}, 'f:name': {}, 'f:template': {} } } } },
    });
  });

  it('re-applying one entry with other values changes only that entry, without a conflict', () => {
    const live = twoOwners();
    const next = serverSideApply(live, withServices(svc('a', 'ingress-nginx-4-11-0', 'replicas: 3')), opts('mcp.services'));
    assert.deepEqual(services(next), [svc('a', 'ingress-nginx-4-11-0', 'replicas: 3'), svc('b', 'cert-manager-1-16-2')]);
    assert.deepEqual(fieldsOf(next, 'other'), fieldsOf(live, 'other'));
  });

  it('an entry dropped from its only owner’s configuration is removed; the other entry and its owner stay', () => {
    const live = twoOwners();
    const next = serverSideApply(live, cd({ serviceSpec: { services: [] } }), opts('mcp.services'));
    assert.deepEqual(services(next), [svc('b', 'cert-manager-1-16-2')]);
    assert.deepEqual(fieldsOf(next, 'other'), {
      'f:spec': { 'f:serviceSpec': { 'f:services': { [KEY_B]: { '.': {}, 'f:name': {}, 'f:template': {} } } } },
    });
  });

  it('an entry another manager also applied survives when one owner drops it', () => {
    const live = twoOwners();
    const both = serverSideApply(live, withServices(svc('b', 'cert-manager-1-16-2'), svc('a', 'ingress-nginx-4-11-0')), opts('other'));
    const next = serverSideApply(both, cd({ serviceSpec: { services: [] } }), opts('mcp.services'));
    assert.deepEqual(
      services(next)
        .map((s) => s.name)
        .sort(),
      ['a', 'b'],
    );
    // mcp.services owned .values alone: it goes with its owner's configuration.
    assert.equal(services(next).find((s) => s.name === 'a')!.values, undefined);
  });

  it('conflicts only on the same key’s fields', () => {
    const live = twoOwners();
    assert.throws(
      () => serverSideApply(live, withServices(svc('a', 'ingress-nginx-4-11-0', 'replicas: 9')), opts('other')),
      (e: ApiError) => {
        assert.equal(e.code, 409);
        assert.equal(
          e.message,
          'Apply failed with 1 conflict: conflict with "mcp.services": .spec.serviceSpec.services[name="a",namespace="default"].values',
        );
        return true;
      },
    );
    const third = serverSideApply(live, withServices(svc('c', 'kyverno-3-2-6')), opts('third'));
    assert.deepEqual(
      services(third).map((s) => s.name),
      ['a', 'b', 'c'],
    );
  });

  it('entries in different namespaces are different keys', () => {
    const live = serverSideApply(undefined, withServices({ ...svc('a', 't1'), namespace: 'x' }), opts('alice'));
    const next = serverSideApply(live, withServices({ ...svc('a', 't2'), namespace: 'y' }), opts('bob'));
    assert.deepEqual(
      services(next).map((s) => `${String(s.namespace)}/${String(s.template)}`),
      ['x/t1', 'y/t2'],
    );
  });

  it('duplicate keys in a configuration are refused as the API server does', () => {
    assert.throws(
      () => serverSideApply(undefined, withServices(svc('a', 't'), svc('a', 'u')), opts('alice')),
      (e: ApiError) => e.code === 500 && /duplicate entries for key \[name="a",namespace="default"\]/.test(e.message),
    );
  });

  it('a non-apply write that adds an entry owns that entry (with ".") and takes only the fields it changed', () => {
    const live = twoOwners();
    const patched = structuredClone(live);
    (patched.spec as { serviceSpec: { services: Json[] } }).serviceSpec.services.push(svc('c', 'kyverno-3-2-6'));
    (patched.spec as { serviceSpec: { services: Json[] } }).serviceSpec.services[0]!.values = 'replicas: 2';
    const next = recordUpdate(live, patched, { manager: 'kubectl-edit', apiVersion: AV, ignoreStatus: true, schema });
    assert.deepEqual(fieldsOf(next, 'kubectl-edit'), {
      'f:spec': {
        'f:serviceSpec': {
          'f:services': {
            [KEY_A]: { 'f:values': {} },
            'k:{"name":"c","namespace":"default"}': { '.': {}, 'f:name': {}, 'f:template': {} },
          },
        },
      },
    });
    assert.deepEqual(fieldsOf(next, 'mcp.services'), {
      'f:spec': { 'f:serviceSpec': { 'f:services': { [KEY_A]: { '.': {}, 'f:name': {}, 'f:template': {} } } } },
    });
  });
});

describe('sandbox server-side apply: status.conditions (list-map keyed by type) and finalizers (set)', () => {
  const cond = (type: string, status: string): Json => ({
    type,
    status,
    reason: 'R',
    message: '',
    lastTransitionTime: '2026-01-01T00:00:00Z',
  });
  const statusOpts = (manager: string) => ({ ...opts(manager), subresource: 'status' as const });
  const withConditions = (...c: Json[]): KubeObject => ({ ...cd({}), status: { conditions: c } });

  it('two status managers each own one condition; one updating its own leaves the other', () => {
    const base = serverSideApply(undefined, cd({ template: 't' }), opts('kubectl'));
    const a = serverSideApply(base, withConditions(cond('Ready', 'False')), statusOpts('kcm'));
    const b = serverSideApply(a, withConditions(cond('Paused', 'False')), statusOpts('other'));
    const c = serverSideApply(b, withConditions(cond('Ready', 'True')), statusOpts('kcm'));
    assert.deepEqual(
      ((c.status as Json).conditions as Json[]).map((x) => `${String(x.type)}=${String(x.status)}`),
      ['Ready=True', 'Paused=False'],
    );
    const kcm = entries(c).find((e) => e.manager === 'kcm')!;
    assert.equal(kcm.subresource, 'status');
    assert.deepEqual(Object.keys((kcm.fieldsV1['f:status'] as Json)['f:conditions'] as Json), ['k:{"type":"Ready"}']);
    assert.equal(spec(c).template, 't', 'a /status apply leaves spec alone');
  });

  it('finalizers are a set: each manager owns its value, and dropping one keeps the other', () => {
    const fin = (...f: string[]): KubeObject => ({
      apiVersion: AV,
      kind: 'ClusterDeployment',
      metadata: { name: 'foo', namespace: 'ns', finalizers: f },
    });
    const a = serverSideApply(undefined, fin('a.example.com/x'), opts('alice'));
    const b = serverSideApply(a, fin('b.example.com/y'), opts('bob'));
    assert.deepEqual(b.metadata.finalizers, ['a.example.com/x', 'b.example.com/y']);
    assert.deepEqual(fieldsOf(b, 'bob'), { 'f:metadata': { 'f:finalizers': { 'v:"b.example.com/y"': {} } } });
    const c = serverSideApply(b, fin(), opts('alice'));
    assert.deepEqual(c.metadata.finalizers, ['b.example.com/y']);
  });
});

describe('sandbox managedFields for updates', () => {
  it('an Update takes the fields it changed from other managers', () => {
    const live = serverSideApply(undefined, cd({ template: 't', credential: 'c' }), opts('alice'));
    const next = recordUpdate(
      live,
      { ...live, spec: { template: 'other', credential: 'c' } },
      { manager: 'kubectl-edit', apiVersion: AV, ignoreStatus: true, schema },
    );
    assert.deepEqual(managers(next), ['alice/Apply', 'kubectl-edit/Update']);
    assert.deepEqual(entries(next)[0]!.fieldsV1, { 'f:spec': { 'f:credential': {} } });
    assert.deepEqual(entries(next)[1]!.fieldsV1, { 'f:spec': { 'f:template': {} } });
  });
  it('a create owns what it wrote, non-leaf maps as members', () => {
    const created = recordUpdate(undefined, cd({ template: 't', config: { a: 1 } }), {
      manager: 'kubectl-create',
      apiVersion: AV,
      ignoreStatus: true,
      schema,
    });
    assert.deepEqual(fieldsOf(created, 'kubectl-create'), { 'f:spec': { '.': {}, 'f:config': { '.': {}, 'f:a': {} }, 'f:template': {} } });
  });
  it('an applied change after an Update conflicts with the updater', () => {
    const created = recordUpdate(undefined, cd({ template: 't' }), {
      manager: 'kubectl-create',
      apiVersion: AV,
      ignoreStatus: true,
      schema,
    });
    assert.throws(() => serverSideApply(created, cd({ template: 'x' }), opts('kubectl')), /conflict with "kubectl-create"/);
  });
});
