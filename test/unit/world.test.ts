/**
 * The world below kcm on a bare store, with kcm's part played by the test: a HelmChart and a HelmRelease as
 * kcm writes them, then Flux, Cluster API and the providers take over. Transitions are read from a
 * recorded watch; final states are awaited on store events, never by polling.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { MemoryStore } from '../../src/sandbox/apiserver/store.js';
import type { KubeObject, ResourceKey, StoreEvent } from '../../src/sandbox/apiserver/types.js';
import { storeApi } from '../../src/sandbox/kcm/api.js';
import { CLUSTER_DEPLOYMENTS, NAMESPACES } from '../../src/sandbox/kcm/resources.js';
import { startWorld, type WorldHandle } from '../../src/sandbox/world/index.js';
import { within } from '../helpers/until.js';
import { CLUSTERS, HELM_CHARTS, HELM_RELEASES, HELM_REPOSITORIES, MACHINES, resourceOfKind } from '../../src/sandbox/world/resources.js';

type Rec = Record<string, unknown>;
const NS = 'kcm-system';
const statusOf = (o: KubeObject | undefined): Rec => ((o?.['status'] ?? {}) as Rec) ?? {};
const cond = (o: KubeObject | undefined, type: string): Rec | undefined =>
  ((statusOf(o)['conditions'] ?? []) as Rec[]).find((c) => c['type'] === type);

/** Resolves at the first store event after which `check` holds (at once when it holds now): event-driven, bounded by `within`. */
function storeReaches(store: MemoryStore, check: () => boolean): Promise<void> {
  if (check()) return Promise.resolve();
  return new Promise((resolve) => {
    const unsubscribe = store.subscribe(() => {
      if (!check()) return;
      unsubscribe();
      resolve();
    });
  });
}

const reach = (store: MemoryStore, check: () => boolean, what: string, timeoutMs = 8000): Promise<void> =>
  within(what, storeReaches(store, check), timeoutMs);

function record(store: MemoryStore, resource: ResourceKey): StoreEvent[] {
  const events: StoreEvent[] = [];
  store.subscribe((e) => {
    if (e.resource.group === resource.group && e.resource.plural === resource.plural) events.push(e);
  });
  return events;
}

describe('the world below kcm', () => {
  let store: MemoryStore;
  let world: WorldHandle;
  const logs: { controller: string; line: string; subject?: { kind: string; name: string } }[] = [];

  before(async () => {
    store = new MemoryStore();
    world = await startWorld(storeApi(store), {
      provisionSeconds: 0.6,
      deleteSeconds: 0.3,
      logSink: (controller, namespace, line, subject) => {
        assert.equal(namespace, NS);
        logs.push({ controller, line, ...(subject ? { subject } : {}) });
      },
    });
    store.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    store.create(HELM_REPOSITORIES, {
      apiVersion: 'source.toolkit.fluxcd.io/v1',
      kind: 'HelmRepository',
      metadata: { name: 'kcm-templates', namespace: NS },
      spec: { type: 'oci', url: 'oci://ghcr.io/k0rdent/kcm/charts' },
    });
    store.create(HELM_CHARTS, {
      apiVersion: 'source.toolkit.fluxcd.io/v1',
      kind: 'HelmChart',
      metadata: { name: 'aws-standalone-cp-1-0-43', namespace: NS },
      spec: {
        chart: 'aws-standalone-cp',
        version: '1.0.43',
        sourceRef: { kind: 'HelmRepository', name: 'kcm-templates' },
        interval: '10m0s',
      },
    });
  });

  after(async () => {
    await world.close();
    store.close();
  });

  /** A ClusterDeployment and the HelmRelease kcm creates for it (kcm internal/helm/release.go ReconcileHelmRelease). */
  function deploy(name: string, values: Rec, fault?: string): void {
    const cd = store.create(CLUSTER_DEPLOYMENTS, {
      apiVersion: 'k0rdent.mirantis.com/v1beta1',
      kind: 'ClusterDeployment',
      metadata: { name, namespace: NS, ...(fault ? { labels: { 'sandbox.k0rdent-mcp.io/fault': fault } } : {}) },
      spec: { template: 'aws-standalone-cp-1-0-43', credential: 'aws-cred' },
    });
    store.create(HELM_RELEASES, {
      apiVersion: 'helm.toolkit.fluxcd.io/v2',
      kind: 'HelmRelease',
      metadata: {
        name,
        namespace: NS,
        labels: { 'k0rdent.mirantis.com/managed': 'true' },
        ownerReferences: [{ apiVersion: cd.apiVersion, kind: 'ClusterDeployment', name, uid: cd.metadata.uid ?? '' }],
      },
      spec: {
        chartRef: { kind: 'HelmChart', name: 'aws-standalone-cp-1-0-43', namespace: NS },
        interval: '10m0s',
        releaseName: name,
        values: { region: 'us-west-2', clusterIdentity: { kind: 'AWSClusterStaticIdentity', name: 'aws-id' }, ...values },
      },
    });
  }

  it('source-controller serves the chart and writes the HelmChart status Flux writes', async () => {
    await reach(
      store,
      () => cond(store.get(HELM_CHARTS, NS, 'aws-standalone-cp-1-0-43'), 'Ready')?.['status'] === 'True',
      'HelmChart Ready',
    );
    const chart = store.get(HELM_CHARTS, NS, 'aws-standalone-cp-1-0-43')!;
    const status = statusOf(chart);
    const artifact = status['artifact'] as Rec;
    assert.equal(cond(chart, 'Ready')?.['reason'], 'ChartPullSucceeded');
    assert.equal(cond(chart, 'Ready')?.['message'], "pulled 'aws-standalone-cp' chart with version '1.0.43'");
    assert.equal(status['observedGeneration'], 1);
    assert.equal(artifact['revision'], '1.0.43');
    assert.equal(artifact['path'], `helmchart/${NS}/aws-standalone-cp-1-0-43/aws-standalone-cp-1.0.43.tgz`);
    assert.equal(status['url'], artifact['url']);
    assert.ok(String(artifact['url']).startsWith(world.artifactUrl));
    assert.deepEqual(chart.metadata.finalizers, ['finalizers.fluxcd.io']);
    const res = await fetch(String(artifact['url']));
    assert.equal(res.status, 200);
    const data = Buffer.from(await res.arrayBuffer());
    assert.equal(artifact['digest'], `sha256:${createHash('sha256').update(data).digest('hex')}`);
    assert.equal(artifact['size'], data.length);
    const tar = gunzipSync(data).toString('latin1');
    assert.match(tar, /aws-standalone-cp\/Chart\.yaml/);
    assert.match(tar, /aws-standalone-cp\/templates\/awscluster\.yaml/);
    assert.equal((await fetch(`${world.artifactUrl}/helmchart/${NS}/nope/x.tgz`)).status, 404);
    // An OCI HelmRepository is static: no status, no finalizer (helmrepository_controller.go:699-727).
    assert.deepEqual(statusOf(store.get(HELM_REPOSITORIES, NS, 'kcm-templates')), {});
  });

  it('installs a cluster chart and brings its Cluster, control plane and Machines up', async () => {
    const releases = record(store, HELM_RELEASES);
    deploy('c1', { controlPlaneNumber: 1, workersNumber: 2 });
    await reach(store, () => cond(store.get(CLUSTERS, NS, 'c1'), 'Available')?.['status'] === 'True', 'Cluster c1 Available');
    const readies = releases
      .filter((e) => e.object.metadata.name === 'c1')
      .map((e) => cond(e.object, 'Ready')?.['message'])
      .filter(Boolean);
    assert.deepEqual(
      [...new Set(readies)],
      [
        "Running 'install' action with timeout of 5m0s",
        'Helm install succeeded for release kcm-system/c1.v1 with chart aws-standalone-cp@1.0.43',
      ],
    );
    const hr = store.get(HELM_RELEASES, NS, 'c1')!;
    const hrStatus = statusOf(hr);
    const history = hrStatus['history'] as Rec[];
    assert.equal(hrStatus['observedGeneration'], hr.metadata.generation);
    assert.equal(history[0]!['status'], 'deployed');
    assert.equal(history[0]!['version'], 1);
    assert.equal(history[0]!['configDigest'], hrStatus['lastAttemptedConfigDigest']);
    assert.equal(cond(hr, 'Released')?.['reason'], 'InstallSucceeded');

    const cluster = store.get(CLUSTERS, NS, 'c1')!;
    assert.equal(cluster.metadata.labels?.['helm.toolkit.fluxcd.io/name'], 'c1');
    assert.equal(cluster.metadata.labels?.['helm.toolkit.fluxcd.io/namespace'], NS);
    assert.equal(statusOf(cluster)['phase'], 'Provisioned');
    assert.deepEqual(statusOf(cluster)['initialization'], { infrastructureProvisioned: true, controlPlaneInitialized: true });
    assert.deepEqual(statusOf(cluster)['workers'], {
      desiredReplicas: 2,
      replicas: 2,
      readyReplicas: 2,
      availableReplicas: 2,
      upToDateReplicas: 2,
    });
    for (const type of [
      'InfrastructureReady',
      'ControlPlaneInitialized',
      'ControlPlaneAvailable',
      'WorkersAvailable',
      'RemoteConnectionProbe',
    ])
      assert.equal(cond(cluster, type)?.['status'], 'True', type);
    const aws = store.get(resourceOfKind('AWSCluster')!, NS, 'c1')!;
    assert.equal(statusOf(aws)['ready'], true);
    assert.ok(aws.metadata.finalizers?.includes('k0rdent.mirantis.com/cleanup'));
    assert.ok(store.get(resourceOfKind('K0sControlPlane')!, NS, 'c1-cp'));
    assert.ok(store.get(resourceOfKind('AWSMachineTemplate')!, NS, 'c1-worker-mt'));
    const machines = store.list(MACHINES, { namespace: NS, labelSelector: 'cluster.x-k8s.io/cluster-name=c1' });
    assert.equal(machines.length, 3);
    for (const m of machines) {
      assert.equal(statusOf(m)['phase'], 'Running');
      assert.match(String((m['spec'] as Rec)['providerID']), /^aws:\/\/\/us-west-2a\/i-0[0-9a-f]{16}$/);
      assert.deepEqual(statusOf(m)['nodeRef'], { name: m.metadata.name });
    }
    assert.ok(
      logs.some((l) => l.controller === 'helm-controller' && l.line.includes('Helm install succeeded for release kcm-system/c1.v1')),
    );
    assert.ok(logs.some((l) => l.controller === 'capa-controller-manager' && l.subject?.name === 'c1'));
  });

  it('scales workers on an upgrade, with a new release revision', async () => {
    const hr = store.get(HELM_RELEASES, NS, 'c1')!;
    store.update(HELM_RELEASES, {
      ...hr,
      spec: { ...(hr['spec'] as Rec), values: { ...((hr['spec'] as Rec)['values'] as Rec), workersNumber: 3 } },
    });
    await reach(
      store,
      () => (statusOf(store.get(CLUSTERS, NS, 'c1'))['workers'] as Rec | undefined)?.['readyReplicas'] === 3,
      'three ready workers',
    );
    const status = statusOf(store.get(HELM_RELEASES, NS, 'c1'));
    assert.equal(
      cond(store.get(HELM_RELEASES, NS, 'c1'), 'Ready')?.['message'],
      'Helm upgrade succeeded for release kcm-system/c1.v2 with chart aws-standalone-cp@1.0.43',
    );
    assert.deepEqual(
      (status['history'] as Rec[]).map((s) => [s['version'], s['status']]),
      [
        [2, 'deployed'],
        [1, 'superseded'],
      ],
    );
  });

  it('uninstalls in CAPI order and waits for kcm to release the infrastructure cluster', async () => {
    const clusters = record(store, CLUSTERS);
    store.delete(HELM_RELEASES, NS, 'c1');
    const infra = resourceOfKind('AWSCluster')!;
    // kcm's part (releaseProviderCluster): the cleanup finalizer goes once no Machine is left.
    await reach(
      store,
      () => store.list(MACHINES, { namespace: NS, labelSelector: 'cluster.x-k8s.io/cluster-name=c1' }).length === 0,
      'no Machines',
    );
    const aws = store.get(infra, NS, 'c1')!;
    store.update(infra, {
      ...aws,
      metadata: { ...aws.metadata, finalizers: (aws.metadata.finalizers ?? []).filter((f) => f !== 'k0rdent.mirantis.com/cleanup') },
    });
    await reach(store, () => !store.get(HELM_RELEASES, NS, 'c1') && !store.get(CLUSTERS, NS, 'c1'), 'HelmRelease and Cluster gone');
    const reasons = clusters
      .map((e) => cond(e.object, 'Deleting'))
      .filter((c) => c?.['status'] === 'True')
      .map((c) => c?.['reason']);
    const order = [...new Set(reasons)];
    assert.deepEqual(order, ['WaitingForWorkersDeletion', 'WaitingForControlPlaneDeletion', 'WaitingForInfrastructureDeletion']);
    assert.equal(store.get(resourceOfKind('K0sControlPlane')!, NS, 'c1-cp'), undefined);
  });

  it('faults: infra-error shows the provider error on the infrastructure cluster and the Cluster', async () => {
    deploy('f-infra', { controlPlaneNumber: 1, workersNumber: 1 }, 'infra-error');
    const infra = resourceOfKind('AWSCluster')!;
    await reach(
      store,
      () => cond(store.get(CLUSTERS, NS, 'f-infra'), 'InfrastructureReady')?.['reason'] === 'VpcReconciliationFailed',
      'InfrastructureReady mirrors VpcReady',
    );
    const aws = store.get(infra, NS, 'f-infra')!;
    assert.equal(cond(aws, 'VpcReady')?.['status'], 'False');
    assert.match(
      String(cond(aws, 'VpcReady')?.['message']),
      /^failed to create new managed VPC: VpcLimitExceeded: The maximum number of VPCs has been reached\./,
    );
    assert.match(String(cond(store.get(CLUSTERS, NS, 'f-infra'), 'InfrastructureReady')?.['message']), /VpcLimitExceeded/);
    assert.ok(
      logs.some((l) => l.controller === 'capa-controller-manager' && l.line.includes('VpcLimitExceeded') && l.line.startsWith('E')),
    );
  });

  it('faults: helm-install-failure fails the release as helm-controller does', async () => {
    deploy('f-helm', { controlPlaneNumber: 1, workersNumber: 1 }, 'helm-install-failure');
    await reach(store, () => cond(store.get(HELM_RELEASES, NS, 'f-helm'), 'Ready')?.['status'] === 'False', 'HelmRelease failed');
    const hr = store.get(HELM_RELEASES, NS, 'f-helm')!;
    assert.equal(cond(hr, 'Ready')?.['reason'], 'InstallFailed');
    assert.match(
      String(cond(hr, 'Ready')?.['message']),
      /^Helm install failed for release kcm-system\/f-helm with chart aws-standalone-cp@1\.0\.43: /,
    );
    assert.equal(cond(hr, 'Stalled')?.['message'], 'Failed to install after 1 attempt(s)');
    assert.equal((statusOf(hr)['history'] as Rec[])[0]!['status'], 'failed');
    assert.equal(store.get(CLUSTERS, NS, 'f-helm'), undefined);
  });

  it('faults: machine-without-provider-id and control-plane-not-initialized stop where CAPI says so', async () => {
    deploy('f-pid', { controlPlaneNumber: 1, workersNumber: 1 }, 'machine-without-provider-id');
    deploy('f-cp', { controlPlaneNumber: 1, workersNumber: 1 }, 'control-plane-not-initialized');
    // The instance runs (the AWSMachine is ready) but no providerID ever comes: the Machine stays Provisioning.
    const awsMachines = resourceOfKind('AWSMachine')!;
    const workerWaiting = (): boolean =>
      store
        .list(MACHINES, { namespace: NS, labelSelector: 'cluster.x-k8s.io/cluster-name=f-pid' })
        .filter((m) => m.metadata.labels?.['cluster.x-k8s.io/control-plane'] === undefined)
        .some((m) => {
          const infra = store.get(awsMachines, NS, m.metadata.name);
          return (
            statusOf(infra)['ready'] === true &&
            !(infra?.['spec'] as Rec)['providerID'] &&
            cond(m, 'NodeHealthy')?.['message'] === 'Waiting for AWSMachine to report spec.providerID'
          );
        });
    await reach(store, workerWaiting, 'a worker waiting for its providerID');
    assert.equal(cond(store.get(CLUSTERS, NS, 'f-pid'), 'ControlPlaneInitialized')?.['status'], 'True');
    await reach(
      store,
      () =>
        /Waiting for a Node with spec\.providerID aws:/.test(
          String(cond(store.get(CLUSTERS, NS, 'f-cp'), 'ControlPlaneMachinesReady')?.['message']),
        ),
      'control plane machine without a Node',
    );
    assert.equal(cond(store.get(CLUSTERS, NS, 'f-cp'), 'ControlPlaneInitialized')?.['message'], 'Control plane not yet initialized');
    assert.ok(logs.some((l) => l.controller === 'k0smotron' && l.line.includes('connection refused')));
    assert.ok(
      logs.some(
        (l) =>
          l.controller === 'capi-controller-manager' &&
          l.line.includes('Waiting for infrastructure provider to set spec.providerID on AWSMachine'),
      ),
    );
  });
});
