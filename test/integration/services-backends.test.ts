/**
 * The services acceptance of issue 22 on the backend matrix (embedded sandbox and the real kube-apiserver with the
 * simulated kcm attached over its API): a MultiClusterService applied through a real MCP client reaches the
 * matching cluster (a recorded watch sees the service Deployed) through ServiceSet `<cd>-<hash>`, which the services
 * view shows; the service-fault label fails one install and the view names the failing object and its message.
 * The write-count half (a dry run sends no write) is the embedded sandbox's, in services-multi-cluster.test.ts.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { testBackends } from '../helpers/backend.js';
import { kubectlFor } from '../helpers/kubectl.js';
import { useBackend } from '../helpers/lifecycle.js';
import { recordWatch } from '../helpers/watch.js';
import { CLUSTER_DEPLOYMENTS } from '../../src/sandbox/kcm/resources.js';
import { SERVICE_FAULT_LABEL } from '../../src/sandbox/kcm/services.js';
import type { KubeObject } from '../../src/sandbox/apiserver/types.js';

type Json = Record<string, unknown>;
const stateOf = (cd: KubeObject, name: string): unknown =>
  (((cd as { status?: { services?: Json[] } }).status?.services ?? []) as Json[]).find((s) => s['name'] === name)?.['state'];

for (const choice of testBackends()) {
  describe(`services in depth and MultiClusterServices (${choice.name})`, { skip: choice.skip }, () => {
    const env = useBackend(choice.name, { provisionSeconds: 1, deleteSeconds: 1 });

    it('an applied MultiClusterService reaches the matching cluster through ServiceSet <cd>-<hash>', async () => {
      const preview = await env.harness.ok<{ status: string; matchingClusters: string[] }>('k0.multiClusterServices.apply', {
        name: 'alpha-policies',
        clusterSelector: { matchLabels: { team: 'alpha' } },
        services: [{ template: 'kyverno-3-2-6', namespace: 'kyverno' }],
        dryRun: true,
      });
      assert.deepEqual(preview.matchingClusters, ['team-alpha/alpha-dev-cluster']);
      assert.equal(
        await env.backend.get(
          { group: 'k0rdent.mirantis.com', version: 'v1beta1', plural: 'multiclusterservices' },
          undefined,
          'alpha-policies',
        ),
        undefined,
      );
      const watch = await recordWatch(env.backend, CLUSTER_DEPLOYMENTS, {
        namespace: 'team-alpha',
        fieldSelector: 'metadata.name=alpha-dev-cluster',
      });
      try {
        const applied = await env.harness.ok<{ status: string }>('k0.multiClusterServices.apply', {
          name: 'alpha-policies',
          clusterSelector: { matchLabels: { team: 'alpha' } },
          services: [{ template: 'kyverno-3-2-6', namespace: 'kyverno' }],
        });
        assert.equal(applied.status, 'created');
        await watch.seen('kyverno Deployed on alpha-dev-cluster', (e) => stateOf(e.object, 'kyverno') === 'Deployed');
      } finally {
        watch.stop();
      }
      const view = await env.harness.ok<{ services: Json[]; serviceSets: Json[] }>('k0.clusters.services.status', {
        cluster: 'alpha-dev-cluster',
        namespace: 'team-alpha',
        name: 'kyverno',
      });
      const hash = createHash('sha256').update('alpha-policies').digest('hex').slice(0, 8);
      assert.equal(view.services[0]?.['from'], 'MultiClusterService alpha-policies');
      assert.equal(view.services[0]?.['serviceSet'], `team-alpha/alpha-dev-cluster-${hash}`);
      assert.ok(view.serviceSets.some((s) => s['name'] === `alpha-dev-cluster-${hash}` && s['multiClusterService'] === 'alpha-policies'));
      const deleted = await env.harness.ok<{ status: string }>('k0.multiClusterServices.delete', { name: 'alpha-policies' });
      assert.equal(deleted.status, 'deleted');
    });

    it('the service-fault label: the view names the failing object and its message', async () => {
      const kubectl = kubectlFor(env.backend.adminKubeconfig);
      try {
        const labelled = await kubectl.run([
          'label',
          'clusterdeployment',
          'alpha-dev-cluster',
          '-n',
          'team-alpha',
          `${SERVICE_FAULT_LABEL}=cert-manager`,
        ]);
        assert.equal(labelled.code, 0, labelled.stderr);
      } finally {
        kubectl.close();
      }
      const applied = await env.harness.ok<Json>(
        'k0.clusters.services.apply',
        {
          cluster: 'alpha-dev-cluster',
          namespace: 'team-alpha',
          template: 'cert-manager-1-16-2',
          serviceNamespace: 'cert-manager',
          wait: true,
          timeout: '90s',
        },
        { timeout: 120_000 },
      );
      assert.equal(applied.state, 'Failed');
      const view = await env.harness.ok<{ failing: string[] }>('k0.clusters.services.status', {
        cluster: 'alpha-dev-cluster',
        namespace: 'team-alpha',
      });
      assert.equal(view.failing.length, 1, JSON.stringify(view.failing));
      assert.match(
        view.failing[0]!,
        /^cert-manager\/cert-manager: Deployment: 1 Deployment unhealthy: cert-manager\/cert-manager .*context deadline exceeded/,
      );
    });
  });
}
