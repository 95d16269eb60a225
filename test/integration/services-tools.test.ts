/**
 * The service tools through a real MCP client against the sandbox, with kubectl as the independent
 * client: the acceptance of issue 10. Service A is applied by the tool (field manager mcp.services),
 * service B by `kubectl apply --server-side --field-manager=other`; both stay, re-applying A changes
 * only A, removing A leaves B owned by other.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sandboxWriteCount, startHarness, type Harness, okOf as ok, errorOf } from '../helpers/clusters-harness.js';
import { kubectlFor, type Kubectl } from '../helpers/kubectl.js';
import { settled } from '../helpers/until.js';
import { sandboxFor } from '../helpers/lifecycle.js';

type Json = Record<string, unknown>;
interface Deployment {
  metadata: { resourceVersion: string; generation: number; managedFields?: { manager: string; operation: string; fieldsV1: Json }[] };
  spec: { serviceSpec?: { services?: Json[] } };
  status: { services?: Json[]; conditions?: { type: string; status: string; message: string }[] };
}

const SERVICES_KEYS = (fields: Json | undefined): string[] =>
  Object.keys(
    (((fields?.['f:spec'] as Json | undefined)?.['f:serviceSpec'] as Json | undefined)?.['f:services'] as Json | undefined) ?? {},
  );

describe('service tools over MCP against the sandbox (kubectl as the independent client)', () => {
  const sandbox = sandboxFor({ provisionSeconds: 1, deleteSeconds: 1 });
  let dev: Harness;
  let kubectl: Kubectl;
  const cd = (): Promise<Deployment> =>
    kubectl.json<Deployment>(['get', 'clusterdeployment', 'alpha-dev-cluster', '-n', 'team-alpha', '--show-managed-fields']);
  const entries = async (): Promise<Json[]> => (await cd()).spec.serviceSpec?.services ?? [];
  const owner = (d: Deployment, manager: string): Json | undefined =>
    d.metadata.managedFields?.find((m) => m.manager === manager && m.operation === 'Apply')?.fieldsV1;
  const applyB = (values?: string) =>
    kubectl.run(
      ['apply', '--server-side', '--field-manager=other', '-f', '-'],
      [
        'apiVersion: k0rdent.mirantis.com/v1beta1',
        'kind: ClusterDeployment',
        'metadata: {name: alpha-dev-cluster, namespace: team-alpha}',
        'spec:',
        '  serviceSpec:',
        '    services:',
        '    - name: kyverno',
        '      namespace: kyverno',
        '      template: kyverno-3-2-6',
        ...(values ? [`      values: ${JSON.stringify(values)}`] : []),
      ].join('\n'),
    );

  /** Waits until kcm has stopped writing (no resourceVersion change for 1s), so a dry run's "nothing persisted" is measurable. */
  const quiet = (): Promise<string> =>
    settled('the sandbox resourceVersion', () => sandbox.store.currentResourceVersion(), { stableMs: 1000, timeoutMs: 60_000 });

  before(async () => {
    dev = await startHarness(sandbox, { authMode: 'DEV_ALLOW_ANY' });
    kubectl = kubectlFor(sandbox.kubeconfig);
  });
  after(async () => {
    kubectl.close();
    await dev.close();
  });

  it('k0.services.listTemplates shows chart, version, validity, Kubernetes constraint and values schema', async () => {
    const page = ok<{ items: Json[] }>(await dev.call('k0.services.listTemplates', { namespace: 'team-alpha' }));
    const ingress = page.items.find((t) => t.name === 'ingress-nginx-4-11-3');
    assert.deepEqual(ingress, {
      name: 'ingress-nginx-4-11-3',
      namespace: 'team-alpha',
      chart: 'ingress-nginx',
      version: '4.11.3',
      description: 'Ingress controller for Kubernetes using NGINX as a reverse proxy and load balancer',
      valid: true,
      kubernetesConstraint: '>=1.21.0-0',
      hasValuesSchema: true,
    });
    assert.equal(page.items.find((t) => t.name === 'kyverno-3-2-6')?.hasValuesSchema, false);
    const system = ok<{ items: Json[] }>(await dev.call('k0.services.listTemplates', { namespace: 'kcm-system' }));
    const velero = system.items.find((t) => t.name === 'velero-8-0-0');
    assert.equal(velero?.valid, false);
    assert.match(String(velero?.validationError), /no 'velero' chart with version matching '8.0.0' found/);
  });

  it('A by the tool and B by kubectl both stay; re-applying A changes only A; removing A leaves B owned by other', async () => {
    const a = ok(
      await dev.call('k0.clusters.services.apply', {
        cluster: 'alpha-dev-cluster',
        namespace: 'team-alpha',
        template: 'cert-manager-1-16-2',
        serviceNamespace: 'cert-manager',
        values: { crds: { enabled: true } },
      }),
    );
    assert.equal(a.status, 'created');
    assert.equal(a.name, 'cert-manager', 'the default name is the chart name');
    assert.deepEqual(a.entry, {
      name: 'cert-manager',
      namespace: 'cert-manager',
      template: 'cert-manager-1-16-2',
      values: 'crds:\n  enabled: true\n',
    });
    const b = await applyB();
    assert.equal(b.code, 0, b.stderr);
    assert.deepEqual(
      (await entries()).map((e) => e.name).sort(),
      ['cert-manager', 'ingress-nginx', 'kyverno'],
      'the seeded entry, A and B',
    );
    const beforeReapply = await cd();

    const again = ok(
      await dev.call('k0.clusters.services.apply', {
        cluster: 'alpha-dev-cluster',
        namespace: 'team-alpha',
        template: 'cert-manager-1-16-2',
        serviceNamespace: 'cert-manager',
        values: 'crds:\n  enabled: true\nreplicaCount: 2\n',
      }),
    );
    assert.equal(again.status, 'updated');
    const afterReapply = await cd();
    const byName = (d: Deployment, n: string): Json | undefined => d.spec.serviceSpec?.services?.find((e) => e.name === n);
    assert.equal(byName(afterReapply, 'cert-manager')?.values, 'crds:\n  enabled: true\nreplicaCount: 2\n');
    assert.deepEqual(byName(afterReapply, 'kyverno'), byName(beforeReapply, 'kyverno'));
    assert.deepEqual(byName(afterReapply, 'ingress-nginx'), byName(beforeReapply, 'ingress-nginx'));
    assert.deepEqual(owner(afterReapply, 'other'), owner(beforeReapply, 'other'), 'other keeps exactly what it owned');
    assert.deepEqual(SERVICES_KEYS(owner(afterReapply, 'mcp.services')), ['k:{"name":"cert-manager","namespace":"cert-manager"}']);

    const unchanged = ok(
      await dev.call('k0.clusters.services.apply', {
        cluster: 'alpha-dev-cluster',
        namespace: 'team-alpha',
        template: 'cert-manager-1-16-2',
        serviceNamespace: 'cert-manager',
        values: 'crds:\n  enabled: true\nreplicaCount: 2\n',
      }),
    );
    assert.equal(unchanged.status, 'unchanged');

    const removed = ok(
      await dev.call('k0.clusters.services.remove', {
        cluster: 'alpha-dev-cluster',
        namespace: 'team-alpha',
        name: 'cert-manager',
        serviceNamespace: 'cert-manager',
      }),
    );
    assert.equal(removed.status, 'removed');
    const final = await cd();
    assert.deepEqual((final.spec.serviceSpec?.services ?? []).map((e) => e.name).sort(), ['ingress-nginx', 'kyverno']);
    assert.deepEqual(
      SERVICES_KEYS(owner(final, 'other')),
      ['k:{"name":"kyverno","namespace":"kyverno"}'],
      'kubectl shows B still owned by other',
    );
    assert.equal(owner(final, 'mcp.services'), undefined, 'mcp.services owns nothing any more');

    const again2 = ok(
      await dev.call('k0.clusters.services.remove', {
        cluster: 'alpha-dev-cluster',
        namespace: 'team-alpha',
        name: 'cert-manager',
        serviceNamespace: 'cert-manager',
      }),
    );
    assert.equal(again2.status, 'not_found');
    const foreign = errorOf(
      await dev.call('k0.clusters.services.remove', {
        cluster: 'alpha-dev-cluster',
        namespace: 'team-alpha',
        name: 'kyverno',
        serviceNamespace: 'kyverno',
      }),
    );
    assert.equal(foreign.code, 'conflict');
    assert.match(foreign.message, /was not applied by this server \(field manager "mcp\.services"\) but by "other"/);
    assert.deepEqual((await entries()).map((e) => e.name).sort(), ['ingress-nginx', 'kyverno']);
  });

  it('an entry another manager applied is a conflict, not changed or co-owned', async () => {
    const taken = errorOf(
      await dev.call('k0.clusters.services.apply', {
        cluster: 'alpha-dev-cluster',
        namespace: 'team-alpha',
        template: 'kyverno-3-2-6',
        serviceNamespace: 'kyverno',
        values: 'admissionController:\n  replicas: 3\n',
      }),
    );
    assert.equal(taken.code, 'conflict');
    assert.match(
      taken.message,
      /service kyverno\/kyverno of ClusterDeployment team-alpha\/alpha-dev-cluster exists and was applied by "other", not by this server \(field manager "mcp\.services"\)/,
    );
    const seeded = errorOf(
      await dev.call('k0.clusters.services.apply', {
        cluster: 'alpha-dev-cluster',
        namespace: 'team-alpha',
        template: 'ingress-nginx-4-11-3',
        serviceNamespace: 'ingress-nginx',
      }),
    );
    assert.match(
      seeded.message,
      /applied by "before-first-apply"/,
      'the seeded entry (written without field tracking) is not taken either',
    );
    assert.equal((await entries()).find((e) => e.name === 'kyverno')?.values, undefined);
  });

  it('bad input is invalidParams before any write: missing template (available + nearest), schema violation (path), undefined dependsOn', async () => {
    const writes = await sandboxWriteCount(sandbox);
    const missing = errorOf(
      await dev.call('k0.clusters.services.apply', {
        cluster: 'alpha-dev-cluster',
        namespace: 'team-alpha',
        template: 'cert-manager-1-16',
      }),
    );
    assert.equal(missing.code, 'invalidParams');
    assert.match(
      missing.message,
      /^ServiceTemplate "cert-manager-1-16" does not exist in namespace "team-alpha".*Available in "team-alpha": cert-manager-1-16-2, ingress-nginx-4-11-3, kube-prometheus-stack-65-1-1, kyverno-3-2-6\. Did you mean "cert-manager-1-16-2"\?$/,
    );
    assert.deepEqual(missing.details, {
      templates: {
        available: ['cert-manager-1-16-2', 'ingress-nginx-4-11-3', 'kube-prometheus-stack-65-1-1', 'kyverno-3-2-6'],
        nearest: 'cert-manager-1-16-2',
      },
    });

    const schema = errorOf(
      await dev.call('k0.clusters.services.apply', {
        cluster: 'alpha-dev-cluster',
        namespace: 'team-alpha',
        template: 'ingress-nginx-4-11-3',
        name: 'edge',
        values: 'controller:\n  replicaCount: two\n',
      }),
    );
    assert.equal(schema.code, 'invalidParams');
    assert.match(
      schema.message,
      /values do not satisfy the chart schema of ServiceTemplate team-alpha\/ingress-nginx-4-11-3: values\.controller\.replicaCount must be integer/,
    );

    const dep = errorOf(
      await dev.call('k0.clusters.services.apply', {
        cluster: 'alpha-dev-cluster',
        namespace: 'team-alpha',
        template: 'kube-prometheus-stack-65-1-1',
        dependsOn: [{ name: 'ingres-nginx', namespace: 'ingress-nginx' }],
      }),
    );
    assert.equal(dep.code, 'invalidParams');
    assert.match(
      dep.message,
      /dependsOn names ingress-nginx\/ingres-nginx, not a service of ClusterDeployment team-alpha\/alpha-dev-cluster.*Did you mean "ingress-nginx\/ingress-nginx"\?/,
    );

    const yaml = errorOf(
      await dev.call('k0.clusters.services.apply', {
        cluster: 'alpha-dev-cluster',
        namespace: 'team-alpha',
        template: 'kyverno-3-2-6',
        name: 'k2',
        values: 'a: [1',
      }),
    );
    assert.match(yaml.message, /^values is not valid YAML/);
    const cluster = errorOf(
      await dev.call('k0.clusters.services.apply', { cluster: 'alpha-dev-clustr', namespace: 'team-alpha', template: 'kyverno-3-2-6' }),
    );
    assert.equal(cluster.code, 'notFound');
    assert.match(cluster.message, /Did you mean "alpha-dev-cluster"\?/);
    assert.equal(await sandboxWriteCount(sandbox), writes, 'no write request reached the API server');
  });

  it('the Kubernetes version of the cluster must satisfy the template’s constraint', async () => {
    const writes = await sandboxWriteCount(sandbox);
    // A deployment on a template that reports its Kubernetes version (status.k8sVersion from spec.k8sVersion).
    const templates = { group: 'k0rdent.mirantis.com', version: 'v1beta1', plural: 'clustertemplates' };
    const base = sandbox.store.get(templates, 'team-alpha', 'azure-standalone-cp-1-0-45')!;
    sandbox.store.create(templates, {
      apiVersion: base.apiVersion,
      kind: base.kind,
      metadata: { name: 'azure-k8s-1-31', namespace: 'team-alpha' },
      spec: { ...(base.spec as Json), k8sVersion: 'v1.31.2' },
      status: { ...(base.status as Json), k8sVersion: 'v1.31.2' },
    });
    const cds = { group: 'k0rdent.mirantis.com', version: 'v1beta1', plural: 'clusterdeployments' };
    sandbox.store.create(cds, {
      apiVersion: 'k0rdent.mirantis.com/v1beta1',
      kind: 'ClusterDeployment',
      metadata: { name: 'k131', namespace: 'team-alpha' },
      spec: { template: 'azure-k8s-1-31', credential: 'azure-cluster-credential' },
    });
    const before = await sandboxWriteCount(sandbox);
    const legacy = sandbox.store.get(
      { group: 'k0rdent.mirantis.com', version: 'v1beta1', plural: 'servicetemplates' },
      'kcm-system',
      'ingress-nginx-3-40-0',
    )!;
    sandbox.store.create(
      { group: 'k0rdent.mirantis.com', version: 'v1beta1', plural: 'servicetemplates' },
      { ...legacy, metadata: { name: 'ingress-nginx-3-40-0', namespace: 'team-alpha' } },
    );
    const r = errorOf(
      await dev.call('k0.clusters.services.apply', { cluster: 'k131', namespace: 'team-alpha', template: 'ingress-nginx-3-40-0' }),
    );
    assert.equal(r.code, 'invalidParams');
    assert.match(
      r.message,
      /ServiceTemplate team-alpha\/ingress-nginx-3-40-0 supports Kubernetes <1\.22\.0-0, but ClusterDeployment team-alpha\/k131 runs v1\.31\.2/,
    );
    assert.equal(await sandboxWriteCount(sandbox), before);
    assert.ok(before >= writes);
  });

  it('dry run stores nothing and returns the entry the server would store', async () => {
    const rv = await quiet();
    const before = await cd();
    const dry = ok(
      await dev.call('k0.clusters.services.apply', {
        cluster: 'alpha-dev-cluster',
        namespace: 'team-alpha',
        template: 'kube-prometheus-stack-65-1-1',
        serviceNamespace: 'monitoring',
        dryRun: true,
      }),
    );
    assert.equal(dry.status, 'dryRun');
    assert.deepEqual(dry.entry, { name: 'kube-prometheus-stack', namespace: 'monitoring', template: 'kube-prometheus-stack-65-1-1' });
    assert.equal(sandbox.store.currentResourceVersion(), rv, 'the store persisted nothing');
    assert.equal((await cd()).metadata.resourceVersion, before.metadata.resourceVersion);
    assert.equal(
      (await entries()).some((e) => e.name === 'kube-prometheus-stack'),
      false,
    );
  });

  it('wait=true follows status.services to Deployed with progress notifications; remove dryRun keeps it', async () => {
    const progress: { message?: string; total?: number; progress: number }[] = [];
    const result = ok(
      await dev.call(
        'k0.clusters.services.apply',
        {
          cluster: 'alpha-dev-cluster',
          namespace: 'team-alpha',
          template: 'kube-prometheus-stack-65-1-1',
          serviceNamespace: 'monitoring',
          wait: true,
          timeout: '30s',
          pollInterval: '1s',
        },
        { onprogress: (p) => progress.push(p), timeout: 40_000 },
      ),
    );
    assert.equal(result.deployed, true, JSON.stringify(result));
    assert.equal(result.state, 'Deployed');
    assert.equal(result.servicesReady, '3/3');
    assert.ok(
      progress.some((p) => /^Provisioning/.test(p.message ?? '')),
      `progress: ${JSON.stringify(progress)}`,
    );
    assert.ok(
      progress.every((p) => p.total === 2),
      'steps: Pending, Provisioning, Deployed/Failed',
    );
    assert.ok(
      progress.every((p, i) => i === 0 || p.progress > progress[i - 1]!.progress),
      'progress strictly increases',
    );
    const d = await cd();
    assert.equal(d.status.services?.find((s) => s.name === 'kube-prometheus-stack')?.state, 'Deployed');
    assert.deepEqual(d.status.conditions?.find((c) => c.type === 'ServicesInReadyState')?.message, '3/3');

    const rv = await quiet();
    const dry = ok(
      await dev.call('k0.clusters.services.remove', {
        cluster: 'alpha-dev-cluster',
        namespace: 'team-alpha',
        name: 'kube-prometheus-stack',
        serviceNamespace: 'monitoring',
        dryRun: true,
      }),
    );
    assert.equal(dry.status, 'dryRun');
    assert.equal(sandbox.store.currentResourceVersion(), rv);
    assert.ok((await entries()).some((e) => e.name === 'kube-prometheus-stack'));
  });

  it('wait=true ends Failed with kcm’s message when Helm rejects the values', async () => {
    // Templated values are kcm's to render, so the tool does not check them; the sandbox's Helm does.
    const result = ok(
      await dev.call(
        'k0.clusters.services.apply',
        {
          cluster: 'alpha-dev-cluster',
          namespace: 'team-alpha',
          template: 'cert-manager-1-16-2',
          serviceNamespace: 'cert-manager',
          values: "replicaCount: '{{ .Cluster.metadata.name }}'\n",
          wait: true,
          timeout: '30s',
          pollInterval: '1s',
        },
        { timeout: 40_000 },
      ),
    );
    assert.equal(result.deployed, false);
    assert.equal(result.state, 'Failed');
    assert.match(
      String(result.failureMessage),
      /^values don't meet the specifications of the schema\(s\) in the following chart\(s\): cert-manager: at '\/replicaCount': must be integer/,
    );
    assert.equal(result.servicesReady, '3/4');
    const d = await cd();
    assert.deepEqual(d.status.conditions?.find((c) => c.type === 'Ready')?.message, '3/4 Services are ready.');
  });

  it('k0.multiClusterServices.list shows the seeded MultiClusterService with its clusters; unreadable ones are only counted', async () => {
    const page = ok<{ items: Json[] }>(await dev.call('k0.multiClusterServices.list', {}));
    const mcs = page.items.find((m) => m.name === 'platform-monitoring');
    assert.ok(mcs);
    assert.deepEqual(mcs.clusterSelector, { matchLabels: { env: 'staging' } });
    assert.deepEqual(mcs.services, [{ name: 'kube-prometheus-stack', namespace: 'monitoring', template: 'kube-prometheus-stack-65-1-1' }]);
    assert.deepEqual(mcs.clusters, [{ name: 'beta-staging-cluster', namespace: 'team-beta', deployed: true }]);
    assert.equal(mcs.hiddenClusters, 0);
    // kcm v1.11.4 writes no ServicesInReadyState on a MultiClusterService (multiclusterservice_controller.go:105-245):
    // no servicesReady; its three checks, the clusters' count and Ready.
    assert.equal(mcs.servicesReady, undefined);
    assert.deepEqual(
      (mcs.conditions as { type: string; status: string; message?: string }[]).map((c) => [c.type, c.status, c.message ?? '']),
      [
        ['ServicesReferencesValidation', 'True', ''],
        ['ServicesDependencyValidation', 'True', ''],
        ['MultiClusterServiceDependencyValidation', 'True', ''],
        ['ClusterInReadyState', 'True', '1/1'],
        ['Ready', 'True', 'Object is ready'],
      ],
    );
    const alphaOnly = await startHarness(sandbox, { authMode: 'OIDC_REQUIRED', namespaceFilter: /^team-alpha$/ });
    try {
      const filtered = ok<{ items: Json[] }>(await alphaOnly.call('k0.multiClusterServices.list', {}));
      const seen = filtered.items.find((m) => m.name === 'platform-monitoring');
      assert.deepEqual([seen?.clusters, seen?.hiddenClusters], [[], 1]);
    } finally {
      await alphaOnly.close();
    }
  });
});
