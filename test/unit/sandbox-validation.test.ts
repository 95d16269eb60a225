import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../../src/sandbox/apiserver/errors.js';
import { defaultRegistry, loadCrds, packageRoot } from '../../src/sandbox/apiserver/resources.js';
import { join } from 'node:path';
import { pruneNulls, ratchets, SchemaValidator } from '../../src/sandbox/apiserver/validation.js';
import type { JsonSchema, ResourceDef } from '../../src/sandbox/apiserver/resources.js';
import type { KubeObject } from '../../src/sandbox/apiserver/types.js';

const registry = defaultRegistry();
const def = registry.find('k0rdent.mirantis.com', 'v1beta1', 'clusterdeployments')!;
const cd = (spec: Record<string, unknown>, name = 'foo'): KubeObject => ({
  apiVersion: 'k0rdent.mirantis.com/v1beta1',
  kind: 'ClusterDeployment',
  metadata: { name, namespace: 'ns' },
  spec,
});
// The ClusterDeployment CRD has x-kubernetes-validations: a blocking structural error adds this cause instead of
// the rules' verdicts (k8s.io/apiextensions-apiserver pkg/registry/customresource/strategy.go hasBlockingErr).
const NOT_CHECKED = {
  reason: 'FieldValueInvalid',
  field: '<nil>',
  message:
    'Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation',
};
const causes = (fn: () => unknown): { reason?: string; field?: string; message: string }[] => {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ApiError);
    assert.equal(e.code, 422);
    return e.details?.causes ?? [];
  }
  assert.fail('expected a 422');
};

describe('sandbox CRD loading', () => {
  it('parses names, scope and the status subresource from the real CRDs', () => {
    assert.deepEqual(def.shortNames, ['clusterd', 'cld']);
    assert.equal(def.namespaced, true);
    assert.equal(def.statusSubresource, true);
    assert.equal(def.kind, 'ClusterDeployment');
    assert.equal(registry.find('k0rdent.mirantis.com', 'v1beta1', 'managements')!.namespaced, false);
    assert.ok(registry.find('k0rdent.mirantis.com', 'v1beta1', 'credentials')!.schema);
  });
});

describe('sandbox schema validation', () => {
  const v = new SchemaValidator();
  it('accepts a valid object and applies schema defaults', () => {
    const obj = cd({ template: 't', credential: 'c' });
    v.validate(def, obj, 'Strict');
    assert.equal((obj.spec as Record<string, unknown>).propagateCredentials, true);
  });
  it('reports a wrong type with its path', () => {
    const c = causes(() => v.validate(def, cd({ template: 5 }), 'Ignore'));
    assert.deepEqual(c, [
      {
        reason: 'FieldValueTypeInvalid',
        field: 'spec.template',
        message: 'Invalid value: "integer": spec.template in body must be of type string: "integer"',
      },
      NOT_CHECKED,
    ]);
  });
  it('reports a missing required field', () => {
    const c = causes(() => v.validate(def, cd({ credential: 'c' }), 'Ignore'));
    assert.deepEqual(
      c.map((x) => [x.reason, x.field]),
      [
        ['FieldValueRequired', 'spec.template'],
        [NOT_CHECKED.reason, NOT_CHECKED.field],
      ],
    );
  });
  it('reports an unsupported enum value', () => {
    const c = causes(() => v.validate(def, cd({ template: 't', ipamClaim: { spec: { provider: 'dhcp' } } }), 'Ignore'));
    assert.deepEqual(c, [
      {
        reason: 'FieldValueNotSupported',
        field: 'spec.ipamClaim.spec.provider',
        message: 'Unsupported value: "dhcp": supported values: "in-cluster", "ipam-infoblox"',
      },
      NOT_CHECKED,
    ]);
  });
  it('prunes unknown fields silently, warns under Warn, rejects under Strict', () => {
    const quiet = cd({ template: 't', bogus: 1 });
    assert.deepEqual(v.validate(def, quiet, 'Ignore').warnings, []);
    assert.equal((quiet.spec as Record<string, unknown>).bogus, undefined);
    assert.deepEqual(v.validate(def, cd({ template: 't', bogus: 1 }), 'Warn').warnings, ['unknown field "spec.bogus"']);
    const c = causes(() => v.validate(def, cd({ template: 't', bogus: 1 }), 'Strict'));
    assert.equal(c[0]!.field, 'spec.bogus');
  });
  it('keeps fields under x-kubernetes-preserve-unknown-fields (spec.config)', () => {
    const obj = cd({ template: 't', config: { anything: { goes: [1] } } });
    v.validate(def, obj, 'Strict');
    assert.deepEqual((obj.spec as Record<string, unknown>).config, { anything: { goes: [1] } });
  });
  it('validates metadata.name as a DNS-1123 subdomain', () => {
    const c = causes(() => v.validate(def, cd({ template: 't' }, 'Not_Valid'), 'Ignore'));
    assert.equal(c[0]!.field, 'metadata.name');
    assert.match(c[0]!.message, /RFC 1123 subdomain/);
  });
});

describe('sandbox schema validation: kube-openapi wording, ratcheting, rules on the stored status', () => {
  const v = new SchemaValidator();
  const fixtures = join(packageRoot(), 'test', 'fixtures', 'crds');
  const defs = new Map<string, ResourceDef>(loadCrds(fixtures).map((d) => [d.plural, d]));
  const tightened = loadCrds(join(fixtures, 'updates')).find((d) => d.plural === 'ratchets')!;
  const widget = (spec: Record<string, unknown>): KubeObject => ({
    apiVersion: 'difftest.k0rdent-mcp.io/v1',
    kind: 'Widget',
    metadata: { name: 'w', namespace: 'ns' },
    spec,
  });

  it('words schema errors as kube-openapi and field.TooLong/TooMany do (k8s.io/apiextensions-apiserver pkg/apiserver/validation/validation.go:165-235)', () => {
    const got = causes(() =>
      v.validate(
        defs.get('widgets')!,
        widget({ count: 11, code: 'A1', short: 'abc', level: 0.3, items: ['x'], tags: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'] }),
        'Strict',
      ),
    );
    assert.deepEqual(
      got.map((c) => `${c.field} ${c.message}`),
      [
        'spec.tags Too many: 9: must have at most 8 items',
        'spec.count Invalid value: 11: spec.count in body should be less than or equal to 10',
        'spec.code Invalid value: "A1": spec.code in body should match \'^[a-z]+$\'',
        'spec.short Too long: may not be more than 2 bytes',
        'spec.level Invalid value: 0.3: spec.level in body should be a multiple of 0.5',
        'spec.items Invalid value: 1: spec.items in body should have at least 2 items',
        `<nil> ${NOT_CHECKED.message}`,
      ],
    );
  });

  it('ratchets an unchanged failing field on UPDATE; a changed one still fails (ratcheting.go; equality.go correlation)', () => {
    const old: KubeObject = {
      apiVersion: 'difftest.k0rdent-mcp.io/v1',
      kind: 'Ratchet',
      metadata: { name: 'r', namespace: 'ns' },
      spec: { name: 'long', note: 'a' },
    };
    const next = structuredClone(old);
    (next.spec as Record<string, unknown>)['note'] = 'b';
    assert.deepEqual(v.check(tightened, next, { old }), []);
    (next.spec as Record<string, unknown>)['name'] = 'longer';
    assert.deepEqual(
      causes(() => v.check(tightened, next, { old })).map((c) => c.message),
      ['Too long: may not be more than 3 bytes', NOT_CHECKED.message],
    );
    const schema: JsonSchema = tightened.schema!;
    assert.equal(ratchets(['spec', 'name'], next, old, schema), false);
    assert.equal(ratchets(['spec', 'note'], old, old, schema), true);
    const list: JsonSchema = {
      type: 'object',
      properties: { l: { type: 'array', items: { type: 'object', properties: { k: { type: 'string' }, v: { type: 'string' } } } } },
    };
    assert.equal(
      ratchets(['l', '0', 'v'], { l: [{ k: 'a', v: 'x' }, { k: 'b' }] }, { l: [{ k: 'a', v: 'x' }] }, list),
      false,
      'atomic list items do not correlate',
    );
    const mapList: JsonSchema = structuredClone(list);
    Object.assign((mapList.properties as Record<string, JsonSchema>)['l']!, {
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['k'],
    });
    assert.equal(
      ratchets(['l', '1', 'v'], { l: [{ k: 'b' }, { k: 'a', v: 'x' }] }, { l: [{ k: 'a', v: 'x' }] }, mapList),
      true,
      'map list items correlate by key',
    );
  });

  it('a main-resource write runs the rules on the stored status: a root rule reads it, a status rule ratchets to a warning (strategy.go:166-175, validation.go:458-463)', () => {
    const gauge = (specPhase: string): KubeObject => ({
      apiVersion: 'difftest.k0rdent-mcp.io/v1',
      kind: 'Gauge',
      metadata: { name: 'g', namespace: 'ns' },
      spec: { phase: specPhase },
      status: { phase: 'A' },
    });
    const got = causes(() => v.check(defs.get('gauges')!, gauge('B'), { skipStatus: true, old: gauge('A') }));
    assert.deepEqual(got, [
      { reason: 'FieldValueInvalid', message: 'Invalid value: "object": spec.phase must match status.phase', field: '<nil>' },
    ]);
    const old: KubeObject = {
      apiVersion: 'difftest.k0rdent-mcp.io/v1',
      kind: 'Ratchet',
      metadata: { name: 'r', namespace: 'ns' },
      spec: { name: 'abc' },
      status: { phase: 'Bad' },
    };
    const next: KubeObject = { ...structuredClone(old), spec: { name: 'abd' } };
    assert.deepEqual(v.check(tightened, next, { skipStatus: true, old }), ['status: Invalid value: "object": phase must not be Bad']);
    assert.deepEqual(next.status, { phase: 'Bad' }, 'the status is left on the object');
  });
  it('a format failure is a blocking type error; numeric formats are not checked; an integer past int64 is a "number" (kube-openapi formats.go)', () => {
    const widgets = defs.get('widgets')!;
    assert.deepEqual(
      causes(() => v.validate(widgets, widget({ when: 'abc' }), 'Strict')).map((c) => `${c.reason} ${c.field} ${c.message}`),
      [
        'FieldValueTypeInvalid spec.when Invalid value: "abc": spec.when in body must be of type date-time: "abc"',
        `FieldValueInvalid <nil> ${NOT_CHECKED.message}`,
      ],
    );
    v.validate(widgets, widget({ small: 3000000000, when: '2024-01-01T00:00:00Z' }), 'Strict');
    assert.deepEqual(
      causes(() => v.validate(widgets, widget({ big: 1e19 }), 'Strict')).map((c) => c.message),
      ['Invalid value: "number": spec.big in body must be of type integer: "number"', NOT_CHECKED.message],
    );
  });

  it('decoding drops a null the schema does not allow, defaults it when there is a default, keeps it where nullable (prunenulls.go, algorithm.go)', () => {
    const schema: JsonSchema = {
      type: 'object',
      properties: {
        a: { type: 'string' },
        b: { type: 'string', nullable: true },
        c: { type: 'string', default: 'x' },
        l: { type: 'array', items: { type: 'object', properties: { d: { type: 'integer' } } } },
        free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      },
    };
    const value: Record<string, unknown> = { a: null, b: null, c: null, l: [{ d: null }], free: { e: null } };
    pruneNulls(value, schema);
    assert.deepEqual(value, { b: null, c: 'x', l: [{}], free: { e: null } });
    const obj = widget({ never: null, maybe: null });
    v.validate(defs.get('widgets')!, obj, 'Strict');
    assert.deepEqual(obj.spec, { maybe: null });
  });
});
