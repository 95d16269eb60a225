/**
 * Services in depth (issue 22 items 4 and 6), through a real MCP client on the embedded sandbox: the sandbox's kcm
 * keeps a ServiceSet per deployment (and per MultiClusterService reaching it, `<cd>-<hash>`) and a Sveltos
 * ClusterSummary per ServiceSet; the service-fault label fails one service's Helm install; k0.clusters.services.status
 * names the failing object and its message, the ServiceSet and the ClusterSummary's Helm summary, and what a service
 * can upgrade to (status.servicesUpgradePaths from a ServiceTemplateChain).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { sandboxWriteCount } from '../helpers/clusters-harness.js';
import { useSandbox } from '../helpers/lifecycle.js';
import { recordWatch } from '../helpers/watch.js';
import { CLUSTER_DEPLOYMENTS, SERVICE_TEMPLATE_CHAINS } from '../../src/sandbox/kcm/resources.js';
import { CLUSTER_SUMMARIES, SERVICE_SETS } from '../../src/sandbox/kcm/services-sets.js';
import { SERVICE_FAULT_LABEL } from '../../src/sandbox/kcm/services.js';
import type { KubeObject } from '../../src/sandbox/apiserver/types.js';

type Json = Record<string, unknown>;
interface Status {
  cluster: string;
  namespace: string;
  servicesReady?: string;
  services: Json[];
  serviceSets: Json[];
  failing: string[];
}

const featureStatus = (o: KubeObject): unknown =>
  ((o as { status?: { featureSummaries?: Json[] } }).status?.featureSummaries ?? [])[0]?.['status'];

describe('k0.clusters.services.status over the sandbox’s ServiceSets and ClusterSummaries', () => {
  const env = useSandbox({ provisionSeconds: 1, deleteSeconds: 1 });

  it('the service-fault label fails one install: the view names the failing object and its message', async () => {
    const store = env.sandbox.store;
    const cd = store.get(CLUSTER_DEPLOYMENTS, 'team-alpha', 'alpha-dev-cluster')!;
    store.update(CLUSTER_DEPLOYMENTS, {
      ...cd,
      metadata: { ...cd.metadata, labels: { ...cd.metadata.labels, [SERVICE_FAULT_LABEL]: 'cert-manager' } },
    });
    const summaries = await recordWatch(env.sandbox, CLUSTER_SUMMARIES, { namespace: 'team-alpha' });
    try {
      const applied = await env.harness.ok<Json>('k0.clusters.services.apply', {
        cluster: 'alpha-dev-cluster',
        namespace: 'team-alpha',
        template: 'cert-manager-1-16-2',
        serviceNamespace: 'cert-manager',
        wait: true,
        timeout: '60s',
      });
      assert.equal(applied.state, 'Failed');
      assert.match(String(applied.failureMessage), /Deployment\/cert-manager\/cert-manager not ready/);
      await summaries.seen('the ClusterSummary reports the Helm feature Failed', (e) => featureStatus(e.object) === 'Failed');
    } finally {
      summaries.stop();
    }

    const view = await env.harness.ok<Status>('k0.clusters.services.status', { cluster: 'alpha-dev-cluster', namespace: 'team-alpha' });
    assert.equal(view.failing.length, 1, JSON.stringify(view.failing));
    assert.match(
      view.failing[0]!,
      /^cert-manager\/cert-manager: Deployment: 1 Deployment unhealthy: cert-manager\/cert-manager \(0\/1 replicas available/,
    );
    assert.match(view.failing[0]!, /context deadline exceeded/);
    const certManager = view.services.find((s) => s['name'] === 'cert-manager')!;
    assert.equal(certManager['state'], 'Failed');
    assert.equal(certManager['from'], 'ClusterDeployment');
    assert.equal(certManager['serviceSet'], 'team-alpha/alpha-dev-cluster');
    assert.match(String(certManager['helmRelease']), /^Managing, not installed: context deadline exceeded/);
    const ingress = view.services.find((s) => s['name'] === 'ingress-nginx')!;
    assert.equal(ingress['state'], 'Deployed');
    assert.equal(ingress['helmRelease'], 'Managing, installed');
    const set = view.serviceSets.find((s) => s['name'] === 'alpha-dev-cluster')!;
    assert.equal(set['deployed'], false);
    assert.equal(set['providerReady'], true);
    assert.equal(set['servicesReady'], '1/2');
    assert.ok(
      (set['problems'] as string[]).some((p) =>
        p.startsWith(
          'ClusterSummary Helm Failed: chart=cert-manager, releaseNamespace=cert-manager, releaseName=cert-manager: context deadline exceeded',
        ),
      ),
      JSON.stringify(set['problems']),
    );
    // The ServiceSet as kcm writes it (serviceset_types.go): spec.cluster, the provider, the service states.
    const stored = env.sandbox.store.get(SERVICE_SETS, 'team-alpha', 'alpha-dev-cluster') as unknown as { spec: Json; status: Json };
    assert.equal(stored.spec['cluster'], 'alpha-dev-cluster');
    assert.deepEqual(stored.spec['provider'], { name: 'ksm-projectsveltos' });
    assert.equal(stored.status['deployed'], false);

    const one = await env.harness.ok<Status>('k0.clusters.services.status', { cluster: 'alpha-dev-cluster', name: 'ingress-nginx' });
    assert.deepEqual(
      one.services.map((s) => s['name']),
      ['ingress-nginx'],
    );
    assert.deepEqual(one.failing, []);
    const elsewhere = await env.harness.error('k0.clusters.services.status', { cluster: 'alpha-dev-cluster', namespace: 'team-beta' });
    assert.equal(elsewhere.code, 'notFound');
    assert.match(elsewhere.message, /ClusterDeployment "alpha-dev-cluster" exists in namespace "team-alpha"/);
    const clusterTypo = await env.harness.error('k0.clusters.services.status', { cluster: 'alpha-dev-clustr', namespace: 'team-alpha' });
    assert.match(clusterTypo.message, /Did you mean "alpha-dev-cluster"\?/);
    const typo = await env.harness.error('k0.clusters.services.status', { cluster: 'alpha-dev-cluster', name: 'cert-manger' });
    assert.equal(typo.code, 'notFound');
    assert.match(typo.message, /Did you mean "cert-manager"\?/);
  });

  it('a MultiClusterService reaches a cluster through ServiceSet <cd>-<hash>', async () => {
    const view = await env.harness.ok<Status>('k0.clusters.services.status', { cluster: 'beta-staging-cluster', namespace: 'team-beta' });
    const hash = createHash('sha256').update('platform-monitoring').digest('hex').slice(0, 8);
    const prometheus = view.services.find((s) => s['name'] === 'kube-prometheus-stack')!;
    assert.equal(prometheus['from'], 'MultiClusterService platform-monitoring');
    assert.equal(prometheus['serviceSet'], `team-beta/beta-staging-cluster-${hash}`);
    assert.deepEqual(
      view.serviceSets.map((s) => [s['name'], s['multiClusterService']]),
      [[`beta-staging-cluster-${hash}`, 'platform-monitoring']],
    );
  });

  it('status.servicesUpgradePaths from a ServiceTemplateChain shows what a service can upgrade to', async () => {
    const store = env.sandbox.store;
    store.create(SERVICE_TEMPLATE_CHAINS, {
      apiVersion: 'k0rdent.mirantis.com/v1beta1',
      kind: 'ServiceTemplateChain',
      metadata: { name: 'kyverno-chain', namespace: 'team-alpha' },
      spec: {
        supportedTemplates: [
          { name: 'kyverno-3-2-6', availableUpgrades: [{ name: 'kyverno-3-3-0', version: '3.3.0' }] },
          { name: 'kyverno-3-3-0', availableUpgrades: [{ name: 'kyverno-3-4-1', version: '3.4.1' }] },
          { name: 'kyverno-3-4-1' },
        ],
      },
      status: { valid: true },
    } as unknown as KubeObject);
    const watch = await recordWatch(env.sandbox, CLUSTER_DEPLOYMENTS, {
      namespace: 'team-alpha',
      fieldSelector: 'metadata.name=alpha-dev-cluster',
    });
    try {
      const cd = store.get(CLUSTER_DEPLOYMENTS, 'team-alpha', 'alpha-dev-cluster') as unknown as {
        spec: { serviceSpec: { services: Json[] } };
      };
      store.update(CLUSTER_DEPLOYMENTS, {
        ...(cd as unknown as KubeObject),
        spec: {
          ...cd.spec,
          serviceSpec: {
            ...cd.spec.serviceSpec,
            services: [
              ...cd.spec.serviceSpec.services,
              { name: 'kyverno', namespace: 'kyverno', template: 'kyverno-3-2-6', templateChain: 'kyverno-chain' },
            ],
          },
        },
      } as unknown as KubeObject);
      await watch.seen('servicesUpgradePaths lists kyverno', (e) =>
        (((e.object as { status?: { servicesUpgradePaths?: Json[] } }).status?.servicesUpgradePaths ?? []) as Json[]).some(
          (p) => p['name'] === 'kyverno',
        ),
      );
    } finally {
      watch.stop();
    }
    const view = await env.harness.ok<Status>('k0.clusters.services.status', {
      cluster: 'alpha-dev-cluster',
      namespace: 'team-alpha',
      name: 'kyverno',
    });
    assert.deepEqual(view.services[0]?.['upgradesTo'], ['kyverno-3-3-0', 'kyverno-3-4-1']);
  });

  it('values keys are checked against the chart: a catalog chart nests the upstream settings; a typo gets the nearest key', async () => {
    const installed = await env.harness.ok<Json>(
      'k0.catalog.install',
      { app: 'ingress-nginx', namespace: 'team-alpha', wait: true, timeout: '2m' },
      { timeout: 150_000 },
    );
    const template = String((installed['templates'] as Json[] | undefined)?.[0]?.['name'] ?? 'ingress-nginx-4-15-1');
    const before = await sandboxWriteCount(env.sandbox);
    const flat = await env.harness.error('k0.clusters.services.apply', {
      cluster: 'alpha-dev-cluster',
      namespace: 'team-alpha',
      template,
      name: 'edge',
      serviceNamespace: 'edge',
      values: { controller: { replicaCount: 2 } },
    });
    assert.equal(flat.code, 'invalidParams');
    assert.match(
      flat.message,
      /values\.controller is not a top-level setting .* nest under values\["ingress-nginx"\] — did you mean values\["ingress-nginx"\]\.controller\?/,
    );
    const typo = await env.harness.error('k0.clusters.services.apply', {
      cluster: 'alpha-dev-cluster',
      namespace: 'team-alpha',
      template: 'kyverno-3-2-6',
      values: 'admisionController:\n  replicas: 2\n',
    });
    assert.equal(typo.code, 'invalidParams');
    assert.match(
      typo.message,
      /values\.admisionController is not a setting of ServiceTemplate team-alpha\/kyverno-3-2-6; did you mean values\.admissionController\?/,
    );
    assert.equal(await sandboxWriteCount(env.sandbox), before, 'nothing was written');
    const nested = await env.harness.ok<Json>('k0.clusters.services.apply', {
      cluster: 'alpha-dev-cluster',
      namespace: 'team-alpha',
      template,
      name: 'edge',
      serviceNamespace: 'edge',
      values: { 'ingress-nginx': { controller: { replicaCount: 2 } } },
      dryRun: true,
    });
    assert.equal(nested.status, 'dryRun');
  });
});
