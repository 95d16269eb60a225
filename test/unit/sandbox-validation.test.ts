import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../../src/sandbox/apiserver/errors.js';
import { defaultRegistry } from '../../src/sandbox/apiserver/resources.js';
import { SchemaValidator } from '../../src/sandbox/apiserver/validation.js';
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
