import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../../src/errors.js';
import {
  assertNamespaceName,
  assertObjectName,
  createNamespacePolicy,
  isDns1123Label,
  isDns1123Subdomain,
  labelProblems,
  readableNamespaces,
  resolveTargetNamespace,
  type NamespaceRules,
} from '../../src/policy/index.js';

const EXISTING = ['default', 'finance', 'kcm-system', 'my-team-x', 'team-beta', 'team-alpha'];

function rules(mode: NamespaceRules['authMode'], filter?: RegExp): NamespaceRules {
  return { globalNamespace: 'kcm-system', filter, authMode: mode, defaultNamespaceDev: 'kcm-system' };
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    assert.ok(error instanceof AppError, `expected AppError, got ${String(error)}`);
    return error.code;
  }
}

describe('namespace rules (docs/tools.md "Namespaces")', () => {
  describe('readable namespaces', () => {
    const table: { title: string; filter?: RegExp; expected: string[] }[] = [
      { title: 'no filter: everything', expected: ['default', 'finance', 'kcm-system', 'my-team-x', 'team-alpha', 'team-beta'] },
      { title: 'anchored ^team-: G plus team-*', filter: /^team-/, expected: ['kcm-system', 'team-alpha', 'team-beta'] },
      {
        title: 'unanchored team: matches anywhere in the name',
        filter: /team/,
        expected: ['kcm-system', 'my-team-x', 'team-alpha', 'team-beta'],
      },
      { title: 'fully anchored ^finance$: G plus finance', filter: /^finance$/, expected: ['finance', 'kcm-system'] },
      { title: 'filter matching nothing: only G', filter: /^nothing$/, expected: ['kcm-system'] },
    ];
    for (const row of table) {
      it(row.title, () => assert.deepEqual(readableNamespaces(rules('DEV_ALLOW_ANY', row.filter), EXISTING), row.expected));
    }
    it('G is readable even when it does not exist in the list', () => {
      assert.deepEqual(readableNamespaces(rules('OIDC_REQUIRED', /^team-/), ['team-alpha']), ['kcm-system', 'team-alpha']);
    });
    it('a global-flag regex does not become stateful', () => {
      const policy = createNamespacePolicy(rules('DEV_ALLOW_ANY', /^team-/g));
      assert.equal(policy.isReadable('team-alpha'), true);
      assert.equal(policy.isReadable('team-alpha'), true);
      assert.equal(policy.isReadable('team-beta'), true);
    });
  });

  describe('explicit namespace checks', () => {
    const table: { ns: string; filter?: RegExp; read: string | undefined; write: string | undefined }[] = [
      { ns: 'team-alpha', filter: /^team-/, read: undefined, write: undefined },
      { ns: 'finance', filter: /^team-/, read: 'forbidden', write: 'forbidden' },
      { ns: 'kcm-system', filter: /^team-/, read: undefined, write: 'forbidden' },
      { ns: 'kcm-system', filter: undefined, read: undefined, write: undefined },
      { ns: 'my-team-x', filter: /team/, read: undefined, write: undefined },
      { ns: 'my-team-x', filter: /^team/, read: 'forbidden', write: 'forbidden' },
      { ns: 'Team-Alpha', filter: /^team-/, read: 'invalidParams', write: 'invalidParams' },
      { ns: 'team_alpha', filter: undefined, read: 'invalidParams', write: 'invalidParams' },
      { ns: 'a'.repeat(64), filter: undefined, read: 'invalidParams', write: 'invalidParams' },
    ];
    for (const row of table) {
      it(`${row.ns} with filter ${row.filter ?? 'none'}: read → ${row.read ?? 'allowed'}, write → ${row.write ?? 'allowed'}`, () => {
        const policy = createNamespacePolicy(rules('OIDC_REQUIRED', row.filter));
        assert.equal(
          codeOf(() => policy.assertReadable(row.ns)),
          row.read,
        );
        assert.equal(
          codeOf(() => policy.assertWritable(row.ns)),
          row.write,
        );
      });
    }
  });

  describe('target namespace resolution', () => {
    const table: {
      title: string;
      mode: NamespaceRules['authMode'];
      filter?: RegExp;
      requested?: string;
      existing?: string[];
      expected?: string;
      code?: string;
    }[] = [
      { title: 'dev, none given → CLUSTER_DEFAULT_NAMESPACE_DEV', mode: 'DEV_ALLOW_ANY', expected: 'kcm-system' },
      {
        title: 'dev with a filter matching the dev default, none given → the dev default',
        mode: 'DEV_ALLOW_ANY',
        filter: /^(kcm-system|team-)/,
        expected: 'kcm-system',
      },
      {
        title: 'dev with a filter that excludes the dev default, none given → forbidden',
        mode: 'DEV_ALLOW_ANY',
        filter: /^team-/,
        code: 'forbidden',
      },
      { title: 'dev, explicit allowed', mode: 'DEV_ALLOW_ANY', filter: /^team-/, requested: 'team-beta', expected: 'team-beta' },
      { title: 'dev, explicit forbidden', mode: 'DEV_ALLOW_ANY', filter: /^team-/, requested: 'finance', code: 'forbidden' },
      {
        title: 'production ^team-: first matching alphabetically',
        mode: 'OIDC_REQUIRED',
        filter: /^team-/,
        existing: EXISTING,
        expected: 'team-alpha',
      },
      {
        title: 'production unanchored team: my-team-x sorts first',
        mode: 'OIDC_REQUIRED',
        filter: /team/,
        existing: EXISTING,
        expected: 'my-team-x',
      },
      {
        title: 'production: G is skipped even when F matches it',
        mode: 'OIDC_REQUIRED',
        filter: /^(kcm-system|team-beta)$/,
        existing: EXISTING,
        expected: 'team-beta',
      },
      {
        title: 'production: nothing matches → forbidden',
        mode: 'OIDC_REQUIRED',
        filter: /^nothing/,
        existing: EXISTING,
        code: 'forbidden',
      },
      { title: 'production without filter → namespace is required', mode: 'OIDC_REQUIRED', existing: EXISTING, code: 'invalidParams' },
      { title: 'production, explicit allowed', mode: 'OIDC_REQUIRED', filter: /^team-/, requested: 'team-beta', expected: 'team-beta' },
      {
        title: 'production, explicit G not matched by F → forbidden',
        mode: 'OIDC_REQUIRED',
        filter: /^team-/,
        requested: 'kcm-system',
        code: 'forbidden',
      },
      { title: 'explicit invalid DNS-1123 label', mode: 'DEV_ALLOW_ANY', requested: '-bad-', code: 'invalidParams' },
    ];
    for (const row of table) {
      it(row.title, () => {
        const r = rules(row.mode, row.filter);
        if (row.code) {
          assert.equal(
            codeOf(() => resolveTargetNamespace(r, row.requested, row.existing ?? [])),
            row.code,
          );
        } else {
          assert.equal(resolveTargetNamespace(r, row.requested, row.existing ?? []), row.expected);
        }
      });
    }
    it('the policy lists namespaces only when the rules need them', async () => {
      let calls = 0;
      const lister = async (): Promise<string[]> => {
        calls++;
        return EXISTING;
      };
      assert.equal(
        await createNamespacePolicy(rules('DEV_ALLOW_ANY', /^(kcm-system|team-)/)).resolveTarget(undefined, lister),
        'kcm-system',
      );
      assert.equal(await createNamespacePolicy(rules('OIDC_REQUIRED', /^team-/)).resolveTarget('team-beta', lister), 'team-beta');
      assert.equal(calls, 0);
      assert.equal(await createNamespacePolicy(rules('OIDC_REQUIRED', /^team-/)).resolveTarget(undefined, lister), 'team-alpha');
      assert.equal(calls, 1);
    });
  });

  describe('DNS-1123 names', () => {
    const labels: [string, boolean][] = [
      ['team-alpha', true],
      ['a', true],
      ['0abc', true],
      ['a'.repeat(63), true],
      ['a'.repeat(64), false],
      ['Team', false],
      ['-a', false],
      ['a-', false],
      ['a.b', false],
      ['', false],
    ];
    for (const [value, ok] of labels) it(`label "${value.slice(0, 20)}" → ${ok}`, () => assert.equal(isDns1123Label(value), ok));
    const subdomains: [string, boolean][] = [
      ['my-cluster', true],
      ['my.cluster.v1', true],
      ['a'.repeat(253), true],
      ['a'.repeat(254), false],
      ['my_cluster', false],
      ['My-Cluster', false],
      ['a..b', false],
      ['.a', false],
    ];
    for (const [value, ok] of subdomains)
      it(`subdomain "${value.slice(0, 20)}" → ${ok}`, () => assert.equal(isDns1123Subdomain(value), ok));
    it('assert helpers raise invalidParams naming the field', () => {
      assert.throws(
        () => assertObjectName('Bad_Name', 'name'),
        (e: unknown) => e instanceof AppError && e.code === 'invalidParams' && e.message.includes('name "Bad_Name"'),
      );
      assert.throws(
        () => assertNamespaceName('x.y'),
        (e: unknown) => e instanceof AppError && e.message.includes('namespace "x.y"'),
      );
    });
    it('label keys and values', () => {
      assert.deepEqual(labelProblems({ env: 'dev', 'example.com/team': 'alpha', empty: '' }), []);
      assert.equal(labelProblems({ 'Bad Key': 'x' }).length, 1);
      assert.equal(labelProblems({ env: 'has space' }).length, 1);
      assert.equal(labelProblems({ 'UPPER.example/x': 'v' }).length, 1);
    });
  });
});
