/**
 * The cluster manager on both backends (test/helpers/backend.ts): on kube, RBAC is kube-apiserver's own
 * (static tokens + Roles), admission is kcm's HTTPS webhooks and the wait watches real watch streams.
 * A token bound to its namespaces is denied elsewhere by the API server and the product says `forbidden`,
 * with nothing written; an unknown token is `unauthorized`.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { pino, type Logger } from 'pino';
import { ClusterManager } from '../../src/clusters/manager.js';
import { AppError } from '../../src/errors.js';
import { namespacePolicyFromSettings } from '../../src/policy/index.js';
import { testBackends, type Backend } from '../helpers/backend.js';
import { backendFor, tokensFile } from '../helpers/lifecycle.js';
import { AZURE_BASELINE, sandboxKubeConfig, testSettings } from '../helpers/clusters-harness.js';

const CD = { group: 'k0rdent.mirantis.com', version: 'v1beta1', plural: 'clusterdeployments' };

function silent(): Logger {
  return pino({ level: 'debug' }, new Writable({ write: (_c, _e, done) => done() }));
}

function manager(backend: Backend, overrides: Parameters<typeof testSettings>[0] = {}, token?: string): ClusterManager {
  const settings = testSettings(overrides);
  return new ClusterManager({
    kube: sandboxKubeConfig(backend, token),
    namespaces: namespacePolicyFromSettings(settings),
    fieldOwner: settings.deployFieldOwner,
    logger: silent(),
  });
}

/** admin everywhere; alice bound to kcm-system and team-alpha (the shared real-kcm world has both: backend.ts). */
const USERS = [
  { name: 'admin', token: 'admin-token-0123', namespaces: ['*'] },
  { name: 'alice', token: 'alice-token-0123', namespaces: ['kcm-system', 'team-alpha'] },
];

for (const choice of testBackends({ kcm: true })) {
  describe(`cluster manager on the ${choice.name} backend`, { skip: choice.skip }, () => {
    const backend = backendFor(choice.name, () => ({ tokensFile: tokensFile(USERS), provisionSeconds: 1, deleteSeconds: 1 }));

    it("the API server's own RBAC: forbidden outside the token's namespaces, nothing written; unknown token unauthorized", async () => {
      const alice = manager(backend, { authMode: 'OIDC_REQUIRED', namespaceFilter: /^team-/ }, 'alice-token-0123');
      const before = await backend.writeMarker();
      // The policy allows team-beta; alice's RBAC does not.
      await assert.rejects(
        alice.deploy({
          name: 'rbac-cluster',
          namespace: 'team-beta',
          template: 'aws-standalone-cp-1-0-14',
          credential: 'aws-cluster-credential',
          config: { region: 'us-east-2' },
        }),
        // Refused before the write by alice's own review (src/shared/access-review.ts), naming what is missing.
        (e: unknown) =>
          e instanceof AppError &&
          e.code === 'forbidden' &&
          /may not create clusterdeployments\S* in namespace "team-beta"/.test(e.message),
      );
      await assert.rejects(
        alice.delete({ name: 'beta-staging-cluster', namespace: 'team-beta' }),
        (e: unknown) => e instanceof AppError && e.code === 'forbidden',
      );
      assert.equal(await backend.writeMarker(), before, 'no write happened anywhere');
      assert.equal((await backend.get(CD, 'team-beta', 'beta-staging-cluster'))?.metadata.deletionTimestamp, undefined);
      // Inside its namespace the same token works; the cluster-wide LIST is refused and the manager falls back.
      const listed = await alice.listCredentials({});
      assert.ok(
        listed.items.some((c) => c.namespace === 'team-alpha' && c.name === 'azure-cluster-credential'),
        JSON.stringify(listed.items),
      );
      assert.ok(!listed.items.some((c) => c.namespace === 'team-beta'), 'nothing from a namespace alice may not read');
      const stranger = manager(backend, {}, 'no-such-token');
      await assert.rejects(stranger.listCredentials({}), (e: unknown) => e instanceof AppError && e.code === 'unauthorized');
    });

    it('deploys through kcm admission, waits until Ready, and a deployment being deleted cannot be re-deployed', async () => {
      const m = manager(backend, {}, 'admin-token-0123');
      const request = {
        name: 'backend-cluster',
        namespace: 'team-alpha',
        template: 'azure-standalone-cp-1-0-15',
        credential: 'azure-cluster-credential',
        config: AZURE_BASELINE,
      };
      const result = await m.deploy({ ...request, wait: { pollIntervalMs: 200, timeoutMs: 30_000 } });
      assert.equal(result.status, 'created');
      assert.equal(result.wait?.ready, true, JSON.stringify(result.wait));
      const stored = await backend.get(CD, 'team-alpha', 'backend-cluster');
      assert.ok(stored?.metadata.finalizers?.includes('k0rdent.mirantis.com/cluster-deployment'), 'kcm added its finalizer');
      assert.equal((await m.delete({ name: 'backend-cluster', namespace: 'team-alpha' })).status, 'deleted');
      await assert.rejects(m.deploy(request), (e: unknown) => e instanceof AppError && e.code === 'conflict');
    });

    it("kcm's webhook denial (missing template in the namespace) is invalidParams before anything is stored", async () => {
      const m = manager(backend, {}, 'admin-token-0123');
      await assert.rejects(
        m.deploy({
          name: 'no-template',
          namespace: 'team-beta',
          template: 'azure-standalone-cp-1-0-45',
          credential: 'aws-cluster-credential',
          config: AZURE_BASELINE,
        }),
        (e: unknown) => e instanceof AppError && e.code === 'invalidParams',
      );
      assert.equal(await backend.get(CD, 'team-beta', 'no-template'), undefined);
    });
  });
}
