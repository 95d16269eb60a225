/**
 * "May I?" without an API server: RBAC's rule matching over a SelfSubjectRulesReview's rules (wildcards,
 * resourceNames), the refusal's wording, the review memory (TTL, bound, shared in-flight, failures forgotten), and
 * the sandbox token table's readOnly namespaces.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../../src/errors.js';
import type { K0rdentApi, RulesReview } from '../../src/kube/k0rdent-api.js';
import { missingPermission, rulesAllow, type Permission } from '../../src/policy/may-i.js';
import { AccessReviews, MAX_REVIEWS } from '../../src/shared/access-review.js';
import { allowed, Authenticator, parseTokenTable } from '../../src/sandbox/apiserver/auth.js';

const CD = { group: 'k0rdent.mirantis.com', resource: 'clusterdeployments', namespace: 'team-beta' };
const create: Permission = { ...CD, verb: 'create' };

describe('RBAC rule matching', () => {
  it('verbs, groups and resources match exactly or by *', () => {
    assert.equal(rulesAllow([{ verbs: ['get', 'list', 'watch'], apiGroups: ['*'], resources: ['*'] }], create), false);
    assert.equal(rulesAllow([{ verbs: ['get', 'list', 'watch'], apiGroups: ['*'], resources: ['*'] }], { ...create, verb: 'list' }), true);
    assert.equal(rulesAllow([{ verbs: ['*'], apiGroups: ['k0rdent.mirantis.com'], resources: ['clusterdeployments'] }], create), true);
    assert.equal(rulesAllow([{ verbs: ['*'], apiGroups: [''], resources: ['clusterdeployments'] }], create), false, 'another group');
    assert.equal(rulesAllow([{ verbs: ['create'], apiGroups: ['*'], resources: ['credentials'] }], create), false, 'another resource');
    assert.equal(rulesAllow([], create), false);
  });
  it('a rule with resourceNames matches only a request for one of those names (never a create)', () => {
    const rule = { verbs: ['*'], apiGroups: ['*'], resources: ['*'], resourceNames: ['beta-staging-cluster'] };
    assert.equal(rulesAllow([rule], create), false);
    assert.equal(rulesAllow([rule], { ...CD, verb: 'patch', name: 'beta-staging-cluster' }), true);
    assert.equal(rulesAllow([rule], { ...CD, verb: 'patch', name: 'other' }), false);
  });
  it('the refusal names verb, resource and namespace, and says nothing was written', () => {
    const error = missingPermission(create, 'deploy', 'SelfSubjectRulesReview');
    assert.equal(error.code, 'forbidden');
    assert.match(error.message, /^you may not create clusterdeployments\.k0rdent\.mirantis\.com in namespace "team-beta"/);
    assert.match(error.message, /nothing was written/);
    assert.deepEqual(error.details?.missing, {
      verb: 'create',
      group: 'k0rdent.mirantis.com',
      resource: 'clusterdeployments',
      namespace: 'team-beta',
    });
  });
});

/** A fake API that counts rules reviews and answers from `answer`. */
function fakeApi(answer: (namespace: string) => Promise<RulesReview>): { api: K0rdentApi; calls: string[] } {
  const calls: string[] = [];
  const api = {
    rulesReview: (namespace: string) => {
      calls.push(namespace);
      return answer(namespace);
    },
  } as unknown as K0rdentApi;
  return { api, calls };
}

describe('the review memory', () => {
  const review: RulesReview = { rules: [], incomplete: false };

  it('one review per namespace within the TTL, shared while in flight; a new one after it', async () => {
    let now = 0;
    const reviews = new AccessReviews(1000, () => now);
    const { api, calls } = fakeApi(async () => review);
    await Promise.all([reviews.rulesIn(api, 'a', {}), reviews.rulesIn(api, 'a', {}), reviews.rulesIn(api, 'b', {})]);
    assert.deepEqual(calls, ['a', 'b']);
    now = 999;
    await reviews.rulesIn(api, 'a', {});
    assert.deepEqual(calls, ['a', 'b']);
    now = 1000;
    await reviews.rulesIn(api, 'a', {});
    assert.deepEqual(calls, ['a', 'b', 'a']);
  });

  it('a refused review is no answer (remembered); an outage is an error (asked again)', async () => {
    const reviews = new AccessReviews(1000, () => 0);
    let outage = true;
    const { api, calls } = fakeApi(async (ns) => {
      if (ns === 'refused') throw new AppError('forbidden', 'no');
      if (outage) throw new AppError('unavailable', 'down');
      return review;
    });
    assert.equal(await reviews.rulesIn(api, 'refused', {}), undefined);
    assert.equal(await reviews.rulesIn(api, 'refused', {}), undefined);
    await assert.rejects(reviews.rulesIn(api, 'x', {}), (e: unknown) => e instanceof AppError && e.code === 'unavailable');
    outage = false;
    assert.deepEqual(await reviews.rulesIn(api, 'x', {}), review);
    assert.deepEqual(calls, ['refused', 'x', 'x']);
  });

  it(`at most ${MAX_REVIEWS} namespaces remembered: the oldest goes first`, async () => {
    const reviews = new AccessReviews(60_000, () => 0);
    const { api, calls } = fakeApi(async () => review);
    for (let i = 0; i <= MAX_REVIEWS; i++) await reviews.rulesIn(api, `ns-${i}`, {});
    calls.length = 0;
    await reviews.rulesIn(api, `ns-${MAX_REVIEWS}`, {});
    await reviews.rulesIn(api, 'ns-1', {});
    assert.deepEqual(calls, []);
    await reviews.rulesIn(api, 'ns-0', {});
    assert.deepEqual(calls, ['ns-0'], 'the oldest was dropped to stay within the bound');
  });
});

describe('sandbox token table: readOnly namespaces', () => {
  it('get/list/watch there, nothing else', () => {
    const table = parseTokenTable('users:\n  - { name: viewer, token: t-v, namespaces: [team-alpha], readOnly: [team-beta] }\n');
    const user = new Authenticator(table).authenticate('Bearer t-v');
    const cd = { group: 'k0rdent.mirantis.com', plural: 'clusterdeployments' };
    for (const verb of ['get', 'list', 'watch']) assert.equal(allowed(user, { ...cd, verb, namespace: 'team-beta' }), true, verb);
    for (const verb of ['create', 'patch', 'update', 'delete'])
      assert.equal(allowed(user, { ...cd, verb, namespace: 'team-beta' }), false, verb);
    assert.equal(allowed(user, { ...cd, verb: 'create', namespace: 'team-alpha' }), true);
    assert.throws(() => parseTokenTable('users:\n  - { name: v, token: t, readOnly: team-beta }\n'), /readOnly must be a list/);
  });
});
