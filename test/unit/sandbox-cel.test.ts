/**
 * The parts of kube-apiserver's CEL rule evaluation that kcm's CRDs do not use, on a synthetic schema (the
 * acceptance rows with kcm's own rules run through the HTTP API on both backends: kcm-fidelity-cel.test.ts).
 * Each case cites k8s.io/apiextensions-apiserver v0.34.4 pkg/apiserver/schema/cel/validation.go (validation.go).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isCelMap, type CelList, type CelValue } from '@bufbuild/cel';
import { compareSemver, ipString, parseQuantity, parseSemver } from '../../src/sandbox/apiserver/cel-library/index.js';
import { CelRules, escapeProperty, kubeEquals, kubeListAdd, toCel } from '../../src/sandbox/apiserver/cel.js';
import type { JsonSchema } from '../../src/sandbox/apiserver/resources.js';

const schema: JsonSchema = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      'x-kubernetes-validations': [
        { rule: 'self.min <= self.max', messageExpression: "'min ' + string(self.min) + ' is above max ' + string(self.max)" },
        { rule: "self.mode != 'off'", reason: 'FieldValueForbidden', message: 'mode off is not allowed' },
        {
          rule: 'has(self.replicas) || self.mode != "auto"',
          fieldPath: '.replicas',
          reason: 'FieldValueRequired',
          message: 'replicas are needed in auto mode',
        },
        { rule: 'self.missing == 1' },
      ],
      properties: {
        min: { type: 'integer' },
        max: { type: 'integer' },
        mode: { type: 'string' },
        replicas: { type: 'integer' },
        missing: { type: 'integer' },
        items: {
          type: 'array',
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['name'],
          items: {
            type: 'object',
            properties: {
              name: { type: 'string' },
              size: { type: 'integer', 'x-kubernetes-validations': [{ rule: 'self >= oldSelf', message: 'size may only grow' }] },
            },
          },
        },
        labels: { type: 'object', additionalProperties: { type: 'string', 'x-kubernetes-validations': [{ rule: 'self.size() < 5' }] } },
      },
    },
  },
};

const rules = new CelRules(schema);
const obj = (spec: Record<string, unknown>): Record<string, unknown> => ({ spec: { missing: 1, min: 1, max: 2, mode: 'on', ...spec } });

describe('sandbox CEL rules (x-kubernetes-validations)', () => {
  it('messageExpression gives the message; reason picks Forbidden/Required; fieldPath extends the path (validation.go fieldErrorForReason)', () => {
    const { causes } = rules.validate(obj({ min: 3, mode: 'off' }), undefined);
    assert.deepEqual(causes, [
      { reason: 'FieldValueInvalid', message: 'Invalid value: "object": min 3 is above max 2', field: 'spec' },
      { reason: 'FieldValueForbidden', message: 'Forbidden: mode off is not allowed', field: 'spec' },
    ]);
    const required = rules.validate(obj({ mode: 'auto' }), undefined).causes;
    assert.deepEqual(required, [
      { reason: 'FieldValueRequired', message: 'Required value: replicas are needed in auto mode', field: 'spec.replicas' },
    ]);
  });

  it('an evaluation error is `<error> evaluating rule: <rule>` with cel-go wording (validation.go validateExpressions)', () => {
    const { causes } = rules.validate({ spec: { min: 1, max: 2, mode: 'on' } }, undefined);
    assert.deepEqual(causes, [
      {
        reason: 'FieldValueInvalid',
        message: 'Invalid value: "object": no such key: missing evaluating rule: self.missing == 1',
        field: 'spec',
      },
    ]);
  });

  it('transition rules run only with an old value; map-list items correlate by key (validation.go validateArray, maplist.go)', () => {
    const created = obj({ items: [{ name: 'a', size: 1 }] });
    assert.deepEqual(rules.validate(created, undefined).causes, [], 'no oldSelf on CREATE: the rule is skipped');
    const shrunk = obj({
      items: [
        { name: 'b', size: 9 },
        { name: 'a', size: 0 },
      ],
    });
    assert.deepEqual(
      rules.validate(shrunk, created).causes,
      [{ reason: 'FieldValueInvalid', message: 'Invalid value: "integer": size may only grow', field: 'spec.items[1].size' }],
      'a is compared with the old a; the new b has no old value',
    );
  });

  it('ratcheting: an unchanged node that fails a rule without oldSelf warns instead of failing (validation.go shouldRatchetError)', () => {
    const bad = obj({ labels: { team: 'toolong' } });
    const cause = {
      reason: 'FieldValueInvalid',
      message: 'Invalid value: "string": failed rule: self.size() < 5',
      field: 'spec.labels[team]',
    };
    assert.deepEqual(rules.validate(bad, undefined).causes, [cause], 'on CREATE it fails');
    const again = rules.validate(obj({ labels: { team: 'toolong' }, mode: 'on2' }), bad);
    assert.deepEqual(again.causes, []);
    assert.deepEqual(again.warnings, ['spec.labels[team]: Invalid value: "string": failed rule: self.size() < 5']);
    assert.deepEqual(rules.validate(obj({ labels: { team: 'longer!' } }), bad).causes, [{ ...cause }], 'a changed value is not ratcheted');
  });

  it('values are typed by the schema; property names are escaped as k8s.io/apiserver pkg/cel/escaping.go', () => {
    assert.equal(toCel(3, { type: 'integer' }), 3n);
    assert.equal(toCel(3, { type: 'number' }), 3);
    assert.equal(escapeProperty('namespace'), '__namespace__');
    assert.equal(escapeProperty('a-b.c/d__e'), 'a__dash__b__dot__c__slash__d__underscores__e');
    assert.equal(escapeProperty('1x'), undefined);
    assert.equal(escapeProperty('a b'), undefined);
  });
  it('`==` compares set and map lists regardless of order, atomic lists in order; `+` unites and merges them (k8s.io/apiserver pkg/cel/common/valuesunstructured.go:287-423)', () => {
    const set: JsonSchema = { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } };
    const map: JsonSchema = {
      type: 'array',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['name'],
      items: { type: 'object', properties: { name: { type: 'string' }, port: { type: 'integer' } } },
    };
    const atomic: JsonSchema = { type: 'array', items: { type: 'string' } };
    const eq = (a: unknown, b: unknown, s: JsonSchema): boolean => kubeEquals(toCel(a, s) as CelValue, toCel(b, s) as CelValue);
    assert.equal(eq(['a', 'b'], ['b', 'a'], set), true);
    assert.equal(eq(['a', 'b'], ['a', 'c'], set), false);
    assert.equal(eq(['a', 'b'], ['b', 'a'], atomic), false);
    const ports = [
      { name: 'x', port: 1 },
      { name: 'y', port: 2 },
    ];
    assert.equal(eq(ports, [...ports].reverse(), map), true);
    assert.equal(eq(ports, [ports[0], { name: 'y', port: 3 }], map), false, 'the item with the same key differs');
    const holder: JsonSchema = { type: 'object', properties: { tags: set }, 'x-kubernetes-validations': [{ rule: 'self == oldSelf' }] };
    const immutable = new CelRules(holder);
    assert.deepEqual(immutable.validate({ tags: ['b', 'a'] }, { tags: ['a', 'b'] }).causes, [], 'a set list inside an object');
    assert.equal(immutable.validate({ tags: ['c', 'a'] }, { tags: ['a', 'b'] }).causes.length, 1);
    const add = (a: unknown, b: unknown, s: JsonSchema): unknown[] =>
      [...kubeListAdd(toCel(a, s) as CelList, toCel(b, s) as CelList)].map((v) => (isCelMap(v) ? Object.fromEntries(v) : v));
    assert.deepEqual(add(['a', 'b'], ['c', 'a', 'c'], set), ['a', 'b', 'c'], 'a set list: union in order');
    assert.deepEqual(
      add(
        ports,
        [
          { name: 'y', port: 9 },
          { name: 'z', port: 3 },
        ],
        map,
      ),
      [
        { name: 'x', port: 1n },
        { name: 'y', port: 9n },
        { name: 'z', port: 3n },
      ],
      'a map list: merge by key',
    );
    assert.deepEqual(add(['a'], ['a'], atomic), ['a', 'a'], 'an atomic list: concatenation');
  });
  it('optionalOldSelf: oldSelf is an optional value, empty on CREATE (validation.go:399-418)', () => {
    const once = new CelRules({
      type: 'object',
      properties: {
        v: {
          type: 'string',
          'x-kubernetes-validations': [
            { rule: "oldSelf.orValue('') == '' || oldSelf.value() == self", optionalOldSelf: true, message: 'set once' },
          ],
        },
      },
    });
    assert.deepEqual(once.validate({ v: 'a' }, undefined).causes, [], 'CREATE: oldSelf has no value');
    assert.deepEqual(once.validate({ v: 'a' }, { v: 'a' }).causes, []);
    assert.deepEqual(once.validate({ v: 'b' }, { v: 'a' }).causes, [
      { reason: 'FieldValueInvalid', message: 'Invalid value: "string": set once', field: 'v' },
    ]);
  });

  it('Kubernetes library: quantities parse as ParseQuantity (nano units), addresses print as netip (RFC 5952)', () => {
    assert.equal(parseQuantity('1Gi'), 1073741824n * 1_000_000_000n);
    assert.equal(parseQuantity('1.5k'), 1_500_000_000_000n);
    assert.equal(parseQuantity('100m'), 100_000_000n);
    assert.equal(parseQuantity('-1e3'), -1_000_000_000_000n);
    assert.equal(parseQuantity('1.0000000001'), 1_000_000_001n, 'rounded up past nano');
    assert.equal(parseQuantity('.'), 0n);
    assert.equal(parseQuantity('1e'), "unable to parse quantity's suffix");
    assert.equal(parseQuantity('x'), "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
    assert.equal(ipString({ family: 6, bytes: [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1] }), '2001:db8::1:0:0:1');
    assert.equal(ipString({ family: 6, bytes: [...Array<number>(15).fill(0), 1] }), '::1');
    assert.equal(ipString({ family: 4, bytes: [10, 0, 0, 1] }), '10.0.0.1');
    const rules = new CelRules({
      type: 'object',
      properties: {
        l: {
          type: 'array',
          items: { type: 'integer' },
          'x-kubernetes-validations': [{ rule: 'self.isSorted() && self.sum() == 6 && self.max() == 3 && self.indexOf(2) == 1' }],
        },
        s: {
          type: 'string',
          'x-kubernetes-validations': [
            {
              rule: "self.findAll('[0-9]') == ['1', '2'] && ip('::1').isLoopback() && quantity(self.find('[0-9]+')).compareTo(quantity('12')) == 0",
            },
          ],
        },
      },
    });
    assert.deepEqual(rules.validate({ l: [1, 2, 3], s: 'a12' }, undefined).causes, []);
    assert.equal(
      rules.validate({ l: [], s: 'a12' }, undefined).causes[0]?.message,
      'Invalid value: "array": failed rule: self.isSorted() && self.sum() == 6 && self.max() == 3 && self.indexOf(2) == 1',
    );
  });
  it('Kubernetes library: format.<name>().validate answers an optional list of apimachinery validation messages (format.go)', () => {
    const rules = new CelRules({
      type: 'object',
      properties: {
        v: {
          type: 'string',
          'x-kubernetes-validations': [
            {
              rule: '!format.dns1123Label().validate(self).hasValue()',
              messageExpression: 'format.dns1123Label().validate(self).value()[0]',
            },
            { rule: "!format.named('dns1123LabelPrefix').value().validate(self).hasValue()", message: 'not a prefix' },
          ],
        },
      },
    });
    assert.deepEqual(rules.validate({ v: 'my-name' }, undefined).causes, []);
    assert.deepEqual(
      rules.validate({ v: 'a.b' }, undefined).causes.map((c) => c.message),
      ['Invalid value: "string": must not contain dots', 'Invalid value: "string": not a prefix'],
    );
    assert.deepEqual(
      rules.validate({ v: 'ab_-' }, undefined).causes.length,
      1,
      'the prefix check drops two characters, as apimachinery does',
    );
  });
  it('Kubernetes library: cidr() and its methods follow netip.Prefix (cidr.go)', () => {
    const rules = new CelRules({
      type: 'object',
      properties: {
        v: {
          type: 'string',
          'x-kubernetes-validations': [
            {
              rule: "cidr(self).containsIP('10.1.2.3') && !cidr(self).containsIP('::1') && cidr(self).containsCIDR('10.1.0.0/16') && !cidr(self).containsCIDR('0.0.0.0/0')",
            },
            { rule: "string(cidr(self).masked()) == '10.0.0.0/8' && cidr(self).ip() == ip('10.0.0.0') && cidr(self).prefixLength() == 8" },
          ],
        },
      },
    });
    assert.deepEqual(rules.validate({ v: '10.0.0.0/8' }, undefined).causes, []);
    assert.equal(rules.validate({ v: '10.0.0.0/33' }, undefined).causes[0]?.message.includes('prefix length out of range'), true);
  });
  it('Kubernetes library: url() parses as Go net/url (ParseRequestURI to check, Parse to read) and its getters (urls.go)', () => {
    const rules = new CelRules({
      type: 'object',
      properties: {
        v: {
          type: 'string',
          'x-kubernetes-validations': [
            {
              rule: "url(self).getScheme() == 'https' && url(self).getHostname() == '::1' && url(self).getPort() == '80' && url(self).getEscapedPath() == '/a%20b' && url(self).getQuery()['k'] == ['v w']",
            },
          ],
        },
      },
    });
    assert.deepEqual(rules.validate({ v: 'HTTPS://[::1]:80/a%20b?k=v+w#f' }, undefined).causes, []);
    assert.equal(
      rules.validate({ v: 'a.b' }, undefined).causes[0]?.message,
      'Invalid value: "string": URL parse error during conversion from string: parse "a.b": invalid URI for request evaluating rule: ' +
        "url(self).getScheme() == 'https' && url(self).getHostname() == '::1' && url(self).getPort() == '80' && url(self).getEscapedPath() == '/a%20b' && url(self).getQuery()['k'] == ['v w']",
    );
  });
  it('Kubernetes library: semver parses and orders as blang/semver, normalizes as semverlib.go (semver.go Parse, Compare)', () => {
    const order = ['1.0.0-1', '1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0', '1.0.1', '1.1.0'].map((v) => parseSemver(v));
    order.forEach((v, i) => i > 0 && assert.equal(compareSemver(order[i - 1]!, v), -1));
    assert.equal(compareSemver(parseSemver('1.0.0+a'), parseSemver('1.0.0+b')), 0, 'build metadata is not compared');
    assert.throws(() => parseSemver('01.2.3'), /Major number must not contain leading zeroes "01"/);
    assert.throws(() => parseSemver('1.2'), /No Major.Minor.Patch elements found/);
    assert.deepEqual(parseSemver('v01.2', true), { major: 1n, minor: 2n, patch: 0n, pre: [] });
  });
});
