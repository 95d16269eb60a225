/**
 * The services acceptance of issue 22 on the real-kcm backend, through a real MCP client: a MultiClusterService
 * applied with k0.multiClusterServices.apply reaches the matching cluster (a recorded watch sees the service Deployed
 * in the status real kcm writes) through ServiceSet `<cd>-<hash>`, which the services view shows; the service-fault
 * label fails one install and the view names the failing object and its message. The same acceptance on the
 * embedded sandbox is services-multi-cluster.test.ts ('applied, the matching cluster gets the service', the dry run's
 * write count) and services-depth.test.ts (the fault, ServiceSet `<cd>-<hash>`); the rows this file had for the embedded sandbox and the kube backend (the simulated kcm, 11 s and
 * 45 s at load) were cut for the kcm row (33 s): the same assertions, against kcm's own computation.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { kcmSkipReason } from '../helpers/backend.js';
import { KubeConfig } from '@kubernetes/client-node';
import { kubectlFor } from '../helpers/kubectl.js';
import { until } from '../helpers/until.js';
import { KubeRest, resourcePath } from '../../src/sandbox/kube/rest.js';
import { useBackend } from '../helpers/lifecycle.js';
import { recordWatch } from '../helpers/watch.js';
import { CLUSTER_DEPLOYMENTS } from '../../src/sandbox/kcm/resources.js';
import { SERVICE_FAULT_LABEL } from '../../src/sandbox/kcm/services.js';
import type { KubeObject } from '../../src/sandbox/apiserver/types.js';

type Json = Record<string, unknown>;
const stateOf = (cd: KubeObject, name: string): unknown =>
  (((cd as { status?: { services?: Json[] } }).status?.services ?? []) as Json[]).find((s) => s['name'] === name)?.['state'];

// Issue 22's services acceptance on real kcm: kcm v1.11.4's own ServiceSet controller writes a Sveltos Profile per
// ServiceSet and reads the state back from the ClusterSummary the world's Sveltos writes (src/sandbox/world/sveltos.ts).
// kcm checks an MCS's templates in the system namespace (multiclusterservice_controller.go:127) but builds the Profile
// from the templates of the ServiceSet's namespace, the cluster's (adapters/sveltos/serviceset_controller.go:793-797
// getHelmCharts): an install has them in both (AccessManagement distributes them); here they are made in both, of the
// catalog charts the world serves, from a repository of this file's own. One MCS with two services on
// alpha-dev-cluster, one failed by the service-fault label, gives both halves in one wait (kcm polls the summaries
// every 10 s). kcm v1.11.4 has no health verifier: the failure is the release's message, which names the object.
const MCS_TEMPLATES = [
  { name: 'mcs-cert-manager-1-21-1', chart: 'cert-manager', version: '1.21.1', release: 'cert-manager', namespace: 'cert-manager' },
  { name: 'mcs-ingress-nginx-4-15-1', chart: 'ingress-nginx', version: '4.15.1', release: 'ingress-nginx', namespace: 'ingress' },
];
const MCS_REPOSITORY = 'services-backends-charts';
const HELM_REPOSITORIES = { group: 'source.toolkit.fluxcd.io', version: 'v1', plural: 'helmrepositories' };
const SERVICE_TEMPLATES = { group: 'k0rdent.mirantis.com', version: 'v1beta1', plural: 'servicetemplates' };
const MCS = { group: 'k0rdent.mirantis.com', version: 'v1beta1', plural: 'multiclusterservices' };

// Not a matrix file (one row): run-tests keeps it whole in the real-kcm lane (scripts/run-tests.mjs usesKcm), as kcm-faults.
describe('services on real kcm: an MCS reaches the matching cluster; the service fault is named (kcm)', { skip: kcmSkipReason() }, () => {
  const env = useBackend('kcm', { provisionSeconds: 1, deleteSeconds: 1 });
  const rest = (): KubeRest => {
    const kc = new KubeConfig();
    kc.loadFromString(env.backend.adminKubeconfig);
    return new KubeRest(kc);
  };
  const label = async (value: string): Promise<void> => {
    const kubectl = kubectlFor(env.backend.adminKubeconfig);
    try {
      const done = await kubectl.run(['label', '--overwrite', 'clusterdeployment', 'alpha-dev-cluster', '-n', 'team-alpha', value]);
      assert.equal(done.code, 0, done.stderr);
    } finally {
      kubectl.close();
    }
  };
  // The world is the run's, shared with the files after this one: the MCS, the label and the templates go (as the
  // admin: useBackend's own after hook has closed the harness by then).
  after(async () => {
    const admin = rest();
    await admin.raw({ method: 'DELETE', path: resourcePath(MCS, undefined, 'kcm-alpha-services') });
    await label(`${SERVICE_FAULT_LABEL}-`).catch(() => undefined);
    await until(
      'the MCS gone',
      async () => (await admin.raw({ method: 'GET', path: resourcePath(MCS, undefined, 'kcm-alpha-services') })).status === 404,
      {
        timeoutMs: 60_000,
        everyMs: 500,
      },
    ).catch(() => undefined);
    for (const namespace of ['kcm-system', 'team-alpha']) {
      for (const t of MCS_TEMPLATES) await admin.raw({ method: 'DELETE', path: resourcePath(SERVICE_TEMPLATES, namespace, t.name) });
      await admin.raw({ method: 'DELETE', path: resourcePath(HELM_REPOSITORIES, namespace, MCS_REPOSITORY) });
    }
  });

  it('an MCS of two catalog services: one Deployed on alpha-dev-cluster, the faulted one Failed and named with its message', async () => {
    for (const namespace of ['kcm-system', 'team-alpha']) {
      await rest().create(
        HELM_REPOSITORIES,
        {
          apiVersion: 'source.toolkit.fluxcd.io/v1',
          kind: 'HelmRepository',
          metadata: { name: MCS_REPOSITORY, namespace },
          spec: { url: 'oci://ghcr.io/k0rdent/catalog/charts', type: 'oci', interval: '10m0s' },
        } as unknown as KubeObject,
        'test',
      );
      for (const t of MCS_TEMPLATES)
        await rest().create(
          SERVICE_TEMPLATES,
          {
            apiVersion: 'k0rdent.mirantis.com/v1beta1',
            kind: 'ServiceTemplate',
            // kcm's component label already on: kcm adds it first and requeues the template 5 s later
            // (servicetemplate_controller.go:75-80, ratelimit.go:26), before it even creates the HelmChart.
            metadata: { name: t.name, namespace, labels: { 'k0rdent.mirantis.com/component': 'kcm' } },
            spec: {
              helm: {
                chartSpec: {
                  chart: t.chart,
                  version: t.version,
                  interval: '10m0s',
                  sourceRef: { kind: 'HelmRepository', name: MCS_REPOSITORY },
                },
              },
            },
          } as unknown as KubeObject,
          'test',
        );
    }
    // A precondition, not an assertion: kcm's webhook refuses an MCS naming a template it has not validated yet.
    await until(
      'kcm validated the four templates',
      async () => {
        for (const namespace of ['kcm-system', 'team-alpha'])
          for (const t of MCS_TEMPLATES)
            if ((((await env.backend.get(SERVICE_TEMPLATES, namespace, t.name))?.status ?? {}) as { valid?: boolean }).valid !== true)
              return undefined;
        return true;
      },
      { timeoutMs: 120_000, everyMs: 250 },
    );
    await label(`${SERVICE_FAULT_LABEL}=cert-manager`);
    const watch = await recordWatch(env.backend, CLUSTER_DEPLOYMENTS, {
      namespace: 'team-alpha',
      fieldSelector: 'metadata.name=alpha-dev-cluster',
    });
    try {
      const applied = await env.harness.ok<{ status: string }>('k0.multiClusterServices.apply', {
        name: 'kcm-alpha-services',
        clusterSelector: { matchLabels: { team: 'alpha' } },
        services: MCS_TEMPLATES.map((t) => ({ name: t.release, template: t.name, namespace: t.namespace })),
      });
      assert.equal(applied.status, 'created');
      await watch.seen(
        'ingress-nginx Deployed and cert-manager Failed on alpha-dev-cluster',
        (e) => stateOf(e.object, 'ingress-nginx') === 'Deployed' && stateOf(e.object, 'cert-manager') === 'Failed',
        { timeoutMs: 90_000 },
      );
    } finally {
      watch.stop();
    }
    const view = await env.harness.ok<{ failing: string[]; services: Json[]; serviceSets: Json[] }>('k0.clusters.services.status', {
      cluster: 'alpha-dev-cluster',
      namespace: 'team-alpha',
    });
    assert.equal(view.failing.length, 1, JSON.stringify(view.failing));
    assert.match(view.failing[0]!, /^cert-manager\/cert-manager: .*Deployment\/cert-manager\/cert-manager not ready.*ImagePullBackOff/);
    const hash = createHash('sha256').update('kcm-alpha-services').digest('hex').slice(0, 8);
    const ingressState = view.services.find((v) => v['name'] === 'ingress-nginx');
    assert.equal(ingressState?.['from'], 'MultiClusterService kcm-alpha-services');
    assert.equal(ingressState?.['serviceSet'], `team-alpha/alpha-dev-cluster-${hash}`);
    assert.ok(view.serviceSets.some((v) => v['name'] === `alpha-dev-cluster-${hash}` && v['multiClusterService'] === 'kcm-alpha-services'));
  });
});
