import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ADMIN, allowed, Authenticator, authorize, parseTokenTable } from '../../src/sandbox/apiserver/auth.js';
import type { ApiError } from '../../src/sandbox/apiserver/errors.js';

const table = parseTokenTable(`
users:
  - { name: alice, token: t-alice, namespaces: [team-alpha] }
  - { name: root, token: t-root, namespaces: ["*"] }
`);

describe('sandbox token table', () => {
  it('without a table everyone is system:admin', () => {
    assert.equal(new Authenticator(undefined).authenticate(undefined), ADMIN);
  });
  it('maps bearer tokens to users; unknown or missing tokens are 401', () => {
    const auth = new Authenticator(table);
    assert.equal(auth.authenticate('Bearer t-alice').name, 'alice');
    assert.equal(auth.authenticate('Bearer t-root').namespaces, '*');
    for (const header of [undefined, 'Bearer nope', 'Basic dXNlcg==']) {
      assert.throws(
        () => auth.authenticate(header),
        (e: ApiError) => e.code === 401 && e.reason === 'Unauthorized',
      );
    }
  });
  it('rejects a malformed table', () => {
    assert.throws(() => parseTokenTable('users: [{ name: x }]'), /non-empty token/);
    assert.throws(() => parseTokenTable('nothing: here'), /expected/);
  });
  it('authorizes inside the user namespaces only; namespaces are readable by everyone', () => {
    const alice = new Authenticator(table).authenticate('Bearer t-alice');
    const cd = { group: 'k0rdent.mirantis.com', plural: 'clusterdeployments' };
    assert.equal(allowed(alice, { ...cd, verb: 'create', namespace: 'team-alpha' }), true);
    assert.equal(allowed(alice, { ...cd, verb: 'list', namespace: 'team-beta' }), false);
    assert.equal(allowed(alice, { ...cd, verb: 'list' }), false, 'cluster-wide list');
    assert.equal(allowed(alice, { group: '', plural: 'namespaces', verb: 'list' }), true);
    assert.equal(allowed(alice, { group: '', plural: 'namespaces', verb: 'create' }), false);
    assert.throws(
      () => authorize(alice, { group: 'k0rdent.mirantis.com', plural: 'credentials', verb: 'list' }),
      (e: ApiError) =>
        e.code === 403 &&
        e.message ===
          'credentials.k0rdent.mirantis.com is forbidden: User "alice" cannot list resource "credentials" in API group "k0rdent.mirantis.com" at the cluster scope',
    );
    assert.throws(
      () => authorize(alice, { group: '', plural: 'configmaps', verb: 'get', namespace: 'kcm-system', name: 'x' }),
      (e: ApiError) =>
        e.message ===
        'configmaps "x" is forbidden: User "alice" cannot get resource "configmaps" in API group "" in the namespace "kcm-system"',
    );
  });
});
