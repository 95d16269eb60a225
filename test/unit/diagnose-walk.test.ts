/**
 * The walk below a ClusterDeployment and its first broken link, over hand-made objects shaped as kcm, Flux,
 * Cluster API v1beta2 and the providers write them (a fake reader: no API server). One row per fault of
 * the sandbox world, plus a healthy cluster, absent CRDs, the request budget and the other cluster shapes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyseChain } from '../../src/diagnose/index.js';
import type { ControllerInfo } from '../../src/logs/controllers.js';
import { BudgetSpent, type ChainReader, type ListOptions } from '../../src/diagnose/reader.js';
import type { ServedKind } from '../../src/kube/discovery.js';
import type { KubeObject } from '../../src/kube/k0rdent-api.js';
import type { EventSummary } from '../../src/events/summaries.js';
import { createNamespacePolicy } from '../../src/policy/index.js';
import { hasStatus, summarizeDeployment } from '../../src/clusters/summaries.js';
import { summarizeCapi } from '../../src/clusters/capi-summary.js';

const NOW = Date.parse('2026-12-07T07:00:00Z');
const T0 = '2026-12-07T06:59:00Z';
const NS = 'team-alpha';
const CD = 'alpha-aws';

const KINDS: [string, string, string, boolean][] = [
  ['k0rdent.mirantis.com', 'v1beta1', 'ClusterDeployment', true],
  ['k0rdent.mirantis.com', 'v1beta1', 'ClusterTemplate', true],
  ['k0rdent.mirantis.com', 'v1beta1', 'Credential', true],
  ['infrastructure.cluster.x-k8s.io', 'v1beta2', 'AWSClusterStaticIdentity', false],
  ['infrastructure.cluster.x-k8s.io', 'v1beta2', 'AWSCluster', true],
  ['infrastructure.cluster.x-k8s.io', 'v1beta2', 'AWSMachine', true],
  ['source.toolkit.fluxcd.io', 'v1', 'HelmChart', true],
  ['source.toolkit.fluxcd.io', 'v1', 'HelmRepository', true],
  ['helm.toolkit.fluxcd.io', 'v2', 'HelmRelease', true],
  ['cluster.x-k8s.io', 'v1beta2', 'Cluster', true],
  ['cluster.x-k8s.io', 'v1beta2', 'MachineDeployment', true],
  ['cluster.x-k8s.io', 'v1beta2', 'Machine', true],
  ['controlplane.cluster.x-k8s.io', 'v1beta1', 'K0sControlPlane', true],
  ['controlplane.cluster.x-k8s.io', 'v1beta1', 'K0smotronControlPlane', true],
  ['bootstrap.cluster.x-k8s.io', 'v1beta1', 'K0sWorkerConfig', true],
  ['bootstrap.cluster.x-k8s.io', 'v1beta1', 'K0sControllerConfig', true],
  ['apps', 'v1', 'StatefulSet', true],
  ['', 'v1', 'Pod', true],
];

class FakeReader implements ChainReader {
  requests = 0;
  constructor(
    private readonly objects: KubeObject[],
    private readonly options: { absent?: string[]; budget?: number; events?: EventSummary[]; logs?: Record<string, string[]> } = {},
  ) {}
  private spend(): void {
    if (this.requests >= (this.options.budget ?? 100)) throw new BudgetSpent();
    this.requests++;
  }
  async kind(group: string, kind: string): Promise<ServedKind | undefined> {
    if (this.options.absent?.includes(kind)) return undefined;
    const k = KINDS.find(([g, , n]) => g === group && n === kind);
    return k ? { group: k[0], version: k[1], kind: k[2], plural: `${k[2].toLowerCase()}s`, namespaced: k[3], subresources: [] } : undefined;
  }
  async get(kind: ServedKind, namespace: string | undefined, name: string): Promise<KubeObject | undefined> {
    this.spend();
    return this.objects.find(
      (o) => o.kind === kind.kind && o.metadata?.name === name && (namespace === undefined || o.metadata?.namespace === namespace),
    );
  }
  async list(kind: ServedKind, namespace: string | undefined, options: ListOptions): Promise<KubeObject[]> {
    this.spend();
    const terms = (options.labelSelector ?? '')
      .split(',')
      .filter(Boolean)
      .map((t) => t.split('=') as [string, string]);
    return this.objects.filter(
      (o) =>
        o.kind === kind.kind &&
        (namespace === undefined || o.metadata?.namespace === namespace) &&
        terms.every(([key, value]) => o.metadata?.labels?.[key] === value),
    );
  }
  async controllerLog(controller: ControllerInfo): Promise<string[] | undefined> {
    this.spend();
    this.spend();
    return this.options.logs?.[controller.label];
  }
  async warnings(): Promise<EventSummary[]> {
    this.spend();
    return this.options.events ?? [];
  }
}

const meta = (name: string, extra: Record<string, unknown> = {}) => ({ name, namespace: NS, ...extra });
const ok = (type: string, reason = 'Ready') => ({ type, status: 'True', reason, lastTransitionTime: T0 });
const no = (type: string, reason: string, message: string, extra: Record<string, unknown> = {}) => ({
  type,
  status: 'False',
  reason,
  message,
  lastTransitionTime: T0,
  ...extra,
});
const clusterLabel = { 'cluster.x-k8s.io/cluster-name': CD };

/** A healthy aws-standalone-cp deployment with one control plane and one worker, every object as its controller leaves it. */
function healthy(): KubeObject[] {
  return [
    {
      kind: 'ClusterDeployment',
      apiVersion: 'k0rdent.mirantis.com/v1beta1',
      metadata: meta(CD, { finalizers: ['k0rdent.mirantis.com/cluster-deployment'] }),
      spec: { template: 'aws-standalone-cp-1-0-14', credential: 'aws-cluster-credential', config: {} },
      status: {
        conditions: [
          ok('TemplateReady'),
          ok('CredentialReady'),
          ok('HelmChartReady'),
          ok('HelmReleaseReady'),
          ok('CAPIClusterSummary'),
          ok('Ready', 'Succeeded'),
        ],
      },
    },
    {
      kind: 'ClusterTemplate',
      metadata: meta('aws-standalone-cp-1-0-14'),
      spec: { helm: { chartSpec: { chart: 'aws-standalone-cp' } } },
      status: {
        valid: true,
        chartVersion: '1.0.14',
        providers: ['infrastructure-aws', 'control-plane-k0sproject-k0smotron'],
        chartRef: { kind: 'HelmChart', name: 'aws-standalone-cp-1-0-14', namespace: 'kcm-system' },
      },
    },
    {
      kind: 'Credential',
      metadata: meta('aws-cluster-credential'),
      spec: {
        identityRef: { apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta2', kind: 'AWSClusterStaticIdentity', name: 'aws-identity' },
      },
      status: { ready: true },
    },
    { kind: 'AWSClusterStaticIdentity', metadata: { name: 'aws-identity' }, spec: {} },
    {
      kind: 'HelmChart',
      metadata: { name: 'aws-standalone-cp-1-0-14', namespace: 'kcm-system' },
      spec: { chart: 'aws-standalone-cp', sourceRef: { kind: 'HelmRepository', name: 'kcm-templates' } },
      status: { conditions: [ok('Ready', 'ChartPullSucceeded')], artifact: { revision: '1.0.14' } },
    },
    {
      kind: 'HelmRepository',
      metadata: { name: 'kcm-templates', namespace: 'kcm-system' },
      status: { conditions: [ok('Ready', 'Succeeded')] },
    },
    {
      kind: 'HelmRelease',
      metadata: meta(CD),
      status: {
        conditions: [ok('Ready', 'InstallSucceeded'), ok('Released', 'InstallSucceeded')],
        history: [{ status: 'deployed', chartName: 'aws-standalone-cp', chartVersion: '1.0.14' }],
      },
    },
    {
      kind: 'Cluster',
      metadata: meta(CD, { labels: { 'helm.toolkit.fluxcd.io/name': CD } }),
      spec: {
        infrastructureRef: { apiGroup: 'infrastructure.cluster.x-k8s.io', kind: 'AWSCluster', name: CD },
        controlPlaneRef: { apiGroup: 'controlplane.cluster.x-k8s.io', kind: 'K0sControlPlane', name: `${CD}-cp` },
      },
      status: {
        phase: 'Provisioned',
        initialization: { infrastructureProvisioned: true, controlPlaneInitialized: true },
        controlPlane: { desiredReplicas: 1, replicas: 1, readyReplicas: 1, upToDateReplicas: 1 },
        workers: { desiredReplicas: 1, replicas: 1, readyReplicas: 1, upToDateReplicas: 1 },
        conditions: [
          ok('Available'),
          ok('InfrastructureReady'),
          ok('ControlPlaneInitialized'),
          ok('WorkersAvailable'),
          { type: 'Deleting', status: 'False', reason: 'NotDeleting' },
        ],
      },
    },
    {
      kind: 'AWSCluster',
      metadata: meta(CD, { labels: clusterLabel, finalizers: ['awscluster.infrastructure.cluster.x-k8s.io'] }),
      status: { ready: true, conditions: [ok('Ready'), ok('VpcReady')] },
    },
    {
      kind: 'K0sControlPlane',
      metadata: meta(`${CD}-cp`, { labels: clusterLabel }),
      spec: { replicas: 1 },
      status: { ready: true, initialized: true, replicas: 1, readyReplicas: 1, conditions: [ok('Ready')] },
    },
    {
      kind: 'MachineDeployment',
      metadata: meta(`${CD}-md`, { labels: clusterLabel }),
      spec: { replicas: 1 },
      status: { phase: 'Running', replicas: 1, readyReplicas: 1, availableReplicas: 1, upToDateReplicas: 1, conditions: [ok('Available')] },
    },
    machine(`${CD}-cp-0`, { 'cluster.x-k8s.io/control-plane': '' }, 'K0sControllerConfig', 'aws:///us-east-2a/i-0cp'),
    machine(`${CD}-md-x1`, { 'cluster.x-k8s.io/deployment-name': `${CD}-md` }, 'K0sWorkerConfig', 'aws:///us-east-2a/i-0w1'),
    awsMachine(`${CD}-cp-0`, 'aws:///us-east-2a/i-0cp'),
    awsMachine(`${CD}-md-x1`, 'aws:///us-east-2a/i-0w1'),
    {
      kind: 'K0sControllerConfig',
      metadata: meta(`${CD}-cp-0`, { labels: clusterLabel }),
      status: { ready: true, dataSecretName: `${CD}-cp-0` },
    },
    {
      kind: 'K0sWorkerConfig',
      metadata: meta(`${CD}-md-x1`, { labels: clusterLabel }),
      status: { ready: true, dataSecretName: `${CD}-md-x1` },
    },
  ];
}

function machine(name: string, labels: Record<string, string>, bootstrapKind: string, providerID?: string): KubeObject {
  return {
    kind: 'Machine',
    metadata: meta(name, { labels: { ...clusterLabel, ...labels } }),
    spec: {
      clusterName: CD,
      ...(providerID ? { providerID } : {}),
      infrastructureRef: { apiGroup: 'infrastructure.cluster.x-k8s.io', kind: 'AWSMachine', name },
      bootstrap: { configRef: { apiGroup: 'bootstrap.cluster.x-k8s.io', kind: bootstrapKind, name } },
    },
    status: {
      phase: providerID ? 'Running' : 'Provisioning',
      ...(providerID ? { nodeRef: { name: `ip-${name}` } } : {}),
      conditions: providerID ? [ok('Ready'), ok('NodeHealthy')] : [],
    },
  };
}

function awsMachine(name: string, providerID?: string): KubeObject {
  return {
    kind: 'AWSMachine',
    metadata: meta(name, { labels: clusterLabel }),
    spec: providerID ? { providerID } : {},
    status: { ready: true, instanceState: 'running' },
  };
}

function replace(objects: KubeObject[], kind: string, name: string, change: (o: KubeObject) => KubeObject): KubeObject[] {
  return objects.map((o) => (o.kind === kind && o.metadata?.name === name ? change(structuredClone(o)) : o));
}

const policy = createNamespacePolicy({
  globalNamespace: 'kcm-system',
  filter: undefined,
  authMode: 'DEV_ALLOW_ANY',
  defaultNamespaceDev: 'kcm-system',
});

async function diagnose(objects: KubeObject[], options: ConstructorParameters<typeof FakeReader>[1] = {}) {
  const reader = new FakeReader(objects, options);
  const deployment = objects.find((o) => o.kind === 'ClusterDeployment') as KubeObject;
  const { walked, selected } = await analyseChain(reader, policy, deployment, NOW);
  return { ...walked, ...selected, requests: reader.requests };
}

describe('diagnose: the walk and the first broken link', () => {
  it('a healthy cluster: every object ok, no firstBroken, within the request budget', async () => {
    const d = await diagnose(healthy());
    assert.equal(d.firstBroken, undefined);
    assert.deepEqual(
      d.nodes.map((n) => `${n.kind}/${n.name}:${n.status}`),
      [
        `ClusterDeployment/${CD}:ok`,
        'ClusterTemplate/aws-standalone-cp-1-0-14:ok',
        'Credential/aws-cluster-credential:ok',
        'AWSClusterStaticIdentity/aws-identity:ok',
        'HelmChart/aws-standalone-cp-1-0-14:ok',
        'HelmRepository/kcm-templates:ok',
        `HelmRelease/${CD}:ok`,
        `Cluster/${CD}:ok`,
        `AWSCluster/${CD}:ok`,
        `K0sControlPlane/${CD}-cp:ok`,
        `MachineDeployment/${CD}-md:ok`,
        `Machine/${CD}-cp-0:ok`,
        `AWSMachine/${CD}-cp-0:ok`,
        `K0sControllerConfig/${CD}-cp-0:ok`,
        `Machine/${CD}-md-x1:ok`,
        `AWSMachine/${CD}-md-x1:ok`,
        `K0sWorkerConfig/${CD}-md-x1:ok`,
      ],
    );
    assert.ok(d.requests <= 30, `${d.requests} requests`);
    const cluster = d.nodes.find((n) => n.kind === 'Cluster');
    assert.match(cluster?.state ?? '', /Provisioned.*control plane 1\/1 ready.*workers 1\/1 ready/);
    assert.equal(
      d.nodes.find((n) => n.kind === 'Machine')?.parent,
      d.nodes.findIndex((n) => n.kind === 'K0sControlPlane'),
      'control plane machines hang under the control plane',
    );
  });

  it('helm-install-failure: the HelmRelease, its Flux reason, and the helm-controller log as the next step', async () => {
    const objects = replace(
      healthy().filter(
        (o) =>
          ![
            'Cluster',
            'AWSCluster',
            'K0sControlPlane',
            'MachineDeployment',
            'Machine',
            'AWSMachine',
            'K0sWorkerConfig',
            'K0sControllerConfig',
          ].includes(o.kind ?? ''),
      ),
      'HelmRelease',
      CD,
      (o) => ({
        ...o,
        status: {
          conditions: [
            no(
              'Ready',
              'InstallFailed',
              'Helm install failed for release team-alpha/alpha-aws with chart aws-standalone-cp@1.0.14: context deadline exceeded',
            ),
            { type: 'Stalled', status: 'True', reason: 'RetriesExceeded', message: 'Failed to install after 1 attempt(s)' },
          ],
          history: [{ status: 'failed', chartName: 'aws-standalone-cp', chartVersion: '1.0.14' }],
          installFailures: 1,
        },
      }),
    );
    const d = await diagnose(objects);
    assert.equal(d.firstBroken?.kind, 'HelmRelease');
    assert.equal(d.firstBroken?.name, CD);
    assert.ok(['InstallFailed', 'RetriesExceeded'].includes(d.firstBroken?.reason ?? ''), d.firstBroken?.reason);
    assert.match(d.firstBroken?.next ?? '', /helm-controller/);
    assert.deepEqual(d.firstBroken?.nextCall, {
      tool: 'k0.logs.get',
      arguments: { for: { kind: 'HelmRelease', name: CD, namespace: NS } },
    });
  });

  it('infra-error: the AWSCluster with the provider message, not the Cluster that repeats it', async () => {
    const message = 'failed to create new VPC: VpcLimitExceeded: The maximum number of VPCs has been reached.';
    let objects = replace(healthy(), 'AWSCluster', CD, (o) => ({
      ...o,
      status: {
        ready: false,
        conditions: [
          no('Ready', 'VpcReconciliationFailed', message, { severity: 'Error' }),
          no('VpcReady', 'VpcReconciliationFailed', message, { severity: 'Error' }),
        ],
      },
    }));
    objects = replace(objects, 'Cluster', CD, (o) => ({
      ...o,
      status: {
        phase: 'Provisioning',
        initialization: { infrastructureProvisioned: false },
        conditions: [no('InfrastructureReady', 'VpcReconciliationFailed', `AWSCluster status.ready is false: ${message}`)],
      },
    }));
    const d = await diagnose(objects);
    assert.equal(d.firstBroken?.kind, 'AWSCluster');
    assert.equal(d.firstBroken?.reason, 'VpcReconciliationFailed');
    assert.match(d.firstBroken?.message ?? '', /VpcLimitExceeded/);
    assert.match(d.firstBroken?.next ?? '', /capa/);
  });

  it('machine-without-provider-id: the Machine whose provisioned infra machine never set spec.providerID', async () => {
    let objects = replace(healthy(), 'Machine', `${CD}-md-x1`, () =>
      machine(`${CD}-md-x1`, { 'cluster.x-k8s.io/deployment-name': `${CD}-md` }, 'K0sWorkerConfig'),
    );
    objects = replace(objects, 'AWSMachine', `${CD}-md-x1`, () => awsMachine(`${CD}-md-x1`));
    const d = await diagnose(objects);
    assert.equal(d.firstBroken?.kind, 'Machine');
    assert.equal(d.firstBroken?.name, `${CD}-md-x1`);
    assert.equal(d.firstBroken?.reason, 'NoProviderID');
    assert.match(d.firstBroken?.message ?? '', /providerID/);
    // The provider, not Cluster API, has to set it: the next step reads the provider's log for the AWSMachine.
    assert.match(d.firstBroken?.next ?? '', /spec\.providerID on AWSMachine .*capa/);
    assert.deepEqual(d.firstBroken?.nextCall, {
      tool: 'k0.logs.get',
      arguments: { for: { kind: 'AWSMachine', name: `${CD}-md-x1`, namespace: NS } },
    });
  });

  it('a deployment kcm has not reconciled yet (no condition): its absent HelmRelease is still to come, not broken', async () => {
    const below = new Set(['HelmRelease', 'Cluster', 'AWSCluster', 'K0sControlPlane', 'MachineDeployment', 'Machine', 'AWSMachine']);
    const objects = replace(
      healthy().filter((o) => !below.has(o.kind ?? '')),
      'ClusterDeployment',
      CD,
      (o) => ({ ...o, status: {} }),
    );
    const d = await diagnose(objects);
    assert.equal(d.firstBroken, undefined, JSON.stringify(d.firstBroken));
    assert.equal(d.waitingOn?.kind, 'HelmRelease');
  });

  it("a Machine a moment before Cluster API copies its infra machine's providerID is on its way; a minute later it is broken", async () => {
    const id = 'aws:///us-west-2a/i-0123456789abcdef0';
    const justReady = new Date(NOW - 2_000).toISOString();
    const longReady = new Date(NOW - 5 * 60_000).toISOString();
    const at = (since: string) => {
      let objects = replace(healthy(), 'Machine', `${CD}-md-x1`, () =>
        machine(`${CD}-md-x1`, { 'cluster.x-k8s.io/deployment-name': `${CD}-md` }, 'K0sWorkerConfig'),
      );
      objects = replace(objects, 'AWSMachine', `${CD}-md-x1`, () => ({
        ...awsMachine(`${CD}-md-x1`, id),
        status: { ready: true, conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: since }] },
      }));
      return diagnose(objects);
    };
    const fresh = await at(justReady);
    assert.equal(fresh.firstBroken, undefined, JSON.stringify(fresh.firstBroken));
    const stale = await at(longReady);
    assert.equal(stale.firstBroken?.kind, 'Machine');
    assert.equal(stale.firstBroken?.reason, 'NoProviderID');
    assert.match(stale.firstBroken?.message ?? '', new RegExp(id));
  });

  it('control-plane-not-initialized: the control plane that says why', async () => {
    const objects = replace(healthy(), 'K0sControlPlane', `${CD}-cp`, (o) => ({
      ...o,
      status: {
        ready: false,
        initialized: false,
        conditions: [
          no('ControlPlaneReady', 'ControlPlaneInitializationFailed', 'k0s controller failed to start: etcd did not become healthy'),
        ],
      },
    }));
    const d = await diagnose(objects);
    assert.equal(d.firstBroken?.kind, 'K0sControlPlane');
    assert.match(d.firstBroken?.next ?? '', /k0smotron/);
  });

  it("control-plane-not-initialized as the world shows it: conditions that read as progress, the error only in k0smotron's log", async () => {
    const objects = replace(healthy(), 'K0sControlPlane', `${CD}-cp`, (o) => ({
      ...o,
      status: {
        ready: false,
        initialized: false,
        initialization: { controlPlaneInitialized: false },
        conditions: [
          no('Available', 'NotAvailable', 'Control plane is not yet available'),
          no('ControlPlaneReady', 'NotReady', 'Waiting for the control plane to be initialized'),
        ],
      },
    }));
    const waitingMachine = replace(objects, 'Machine', `${CD}-cp-0`, (m) => ({
      ...m,
      status: {
        phase: 'Provisioned',
        conditions: [
          {
            type: 'NodeHealthy',
            status: 'Unknown',
            reason: 'InspectionFailed',
            message: 'Waiting for a Node with spec.providerID aws:///us-east-2a/i-0cp to exist',
            lastTransitionTime: T0,
          },
        ],
      },
    }));
    const quiet = await diagnose(waitingMachine);
    assert.equal(quiet.firstBroken, undefined, 'InspectionFailed while waiting for a Node is progress');
    const line = `E1207 06:59:30.000000       1 k0s_controlplane_controller.go:112] "Reconciler error" err="failed to get the control plane status: Get \\"https://alpha-aws-apiserver:6443/readyz\\": dial tcp 10.0.1.15:6443: connect: connection refused" controller="k0scontrolplane" controllerKind="K0sControlPlane" K0sControlPlane="${NS}/${CD}-cp" name="${CD}-cp"`;
    const d = await diagnose(waitingMachine, { logs: { k0smotron: ['I1207 06:59:00.000000       1 x.go:1] "Scaling up"', line] } });
    assert.equal(d.firstBroken?.kind, 'K0sControlPlane');
    assert.equal(d.firstBroken?.reason, 'ReconcilerError');
    assert.match(d.firstBroken?.message ?? '', /connection refused/);
    assert.ok(d.notes.some((n) => n.includes('k0smotron')));
  });

  it("a Cluster's summary of its children and CAPI's probe while provisioning are not failures; an OCI HelmRepository has no status", async () => {
    let objects = replace(healthy(), 'Cluster', CD, (o) => ({
      ...o,
      status: {
        phase: 'Provisioning',
        conditions: [
          no('RemoteConnectionProbe', 'ProbeFailed', 'Remote connection not established yet'),
          no('InfrastructureReady', 'NotReady', 'AWSCluster status.initialization.provisioned is false'),
        ],
      },
    }));
    objects = replace(objects, 'HelmRepository', 'kcm-templates', (o) => ({
      ...o,
      spec: { type: 'oci', url: 'oci://ghcr.io/k0rdent/kcm/charts' },
      status: {},
    }));
    const d = await diagnose(objects);
    assert.equal(d.firstBroken, undefined, JSON.stringify(d.firstBroken));
    assert.equal(d.nodes.find((n) => n.kind === 'HelmRepository')?.status, 'ok');
    // With the infrastructure cluster's kind not served, the Cluster's own report of it is the answer.
    const failing = replace(objects, 'Cluster', CD, (o) => ({
      ...o,
      status: {
        phase: 'Provisioning',
        conditions: [no('InfrastructureReady', 'VpcReconciliationFailed', 'failed to create VPC: VpcLimitExceeded')],
      },
    }));
    const e = await diagnose(failing, { absent: ['AWSCluster'] });
    assert.equal(e.firstBroken?.kind, 'Cluster');
    assert.equal(e.firstBroken?.reason, 'VpcReconciliationFailed');
  });

  it('waiting is not broken, but waiting past the stuck threshold is', async () => {
    const waiting = (since: string) =>
      replace(healthy(), 'K0sControlPlane', `${CD}-cp`, (o) => ({
        ...o,
        status: {
          initialized: false,
          conditions: [
            {
              type: 'Available',
              status: 'False',
              reason: 'WaitingForControlPlane',
              message: 'Waiting for the first control plane machine',
              lastTransitionTime: since,
            },
          ],
        },
      }));
    const fresh = await diagnose(waiting(T0));
    assert.equal(fresh.firstBroken, undefined);
    const stuck = await diagnose(waiting('2026-12-07T06:00:00Z'));
    assert.equal(stuck.firstBroken?.kind, 'K0sControlPlane');
    assert.match(stuck.firstBroken?.reason ?? '', /^Stuck/);
  });

  it('deletion-blocked: the object and the finalizer that hold the deletion', async () => {
    const deleting = { deletionTimestamp: '2026-12-07T06:50:00Z' };
    let objects = healthy().filter(
      (o) =>
        ![
          'Machine',
          'AWSMachine',
          'K0sWorkerConfig',
          'K0sControllerConfig',
          'MachineDeployment',
          'K0sControlPlane',
          'HelmRelease',
        ].includes(o.kind ?? ''),
    );
    objects = replace(objects, 'ClusterDeployment', CD, (o) => ({ ...o, metadata: { ...o.metadata, ...deleting } }));
    objects = replace(objects, 'Cluster', CD, (o) => ({
      ...o,
      metadata: { ...o.metadata, ...deleting, finalizers: ['cluster.cluster.x-k8s.io'] },
    }));
    objects = replace(objects, 'AWSCluster', CD, (o) => ({
      ...o,
      metadata: { ...o.metadata, ...deleting, finalizers: ['sandbox.k0rdent-mcp.io/blocked'] },
    }));
    const d = await diagnose(objects);
    // Without the HelmRelease there is no walk to the Cluster: kcm deletes it first, so the deletion shows at the deployment.
    assert.equal(d.firstBroken?.kind ?? d.waitingOn?.kind, 'ClusterDeployment');
    objects.push(
      ...healthy()
        .filter((o) => o.kind === 'HelmRelease')
        .map((o) => ({ ...o, metadata: { ...o.metadata, ...deleting, finalizers: ['finalizers.fluxcd.io'] } })),
    );
    const e = await diagnose(objects);
    assert.equal(e.firstBroken?.kind, 'AWSCluster');
    assert.equal(e.firstBroken?.reason, 'DeletionBlocked');
    assert.match(e.firstBroken?.message ?? '', /sandbox\.k0rdent-mcp\.io\/blocked/);
  });

  it('deleting: the bootstrap configs and infrastructure machines going before their Machines are no broken link', async () => {
    const deleting = { deletionTimestamp: '2026-12-07T06:50:00Z' };
    const gone = ['K0sWorkerConfig', 'K0sControllerConfig', 'AWSMachine'];
    let objects = healthy().filter((o) => !gone.includes(o.kind ?? ''));
    objects = replace(objects, 'ClusterDeployment', CD, (o) => ({ ...o, metadata: { ...o.metadata, ...deleting } }));
    objects = replace(objects, 'AWSCluster', CD, (o) => ({
      ...o,
      metadata: { ...o.metadata, ...deleting, finalizers: ['sandbox.k0rdent-mcp.io/blocked'] },
    }));
    const d = await diagnose(objects);
    assert.equal(d.firstBroken?.kind, 'AWSCluster', JSON.stringify(d.firstBroken));
    assert.ok(!d.nodes.some((n) => gone.includes(n.kind) && n.status === 'missing'), JSON.stringify(d.nodes));
    // Not deleting: the same absence is what is broken (a Machine waiting for its bootstrap config).
    const live = await diagnose(healthy().filter((o) => o.kind !== 'K0sWorkerConfig'));
    assert.equal(live.firstBroken?.kind, 'K0sWorkerConfig', JSON.stringify(live.firstBroken));
  });

  it('an absent CRD is a node saying so, not an error', async () => {
    const d = await diagnose(healthy(), { absent: ['AWSMachine', 'MachinePool'] });
    const node = d.nodes.find((n) => n.kind === 'AWSMachine');
    assert.equal(node?.status, 'notServed');
    assert.match(node?.state ?? '', /CRD is not installed/);
    assert.equal(d.nodes.filter((n) => n.kind === 'AWSMachine').length, 1, 'said once');
  });

  it('the request budget stops the walk with a note, never more requests', async () => {
    const d = await diagnose(healthy(), { budget: 6 });
    assert.equal(d.requests, 6);
    assert.ok(d.notes.some((n) => /budget/.test(n)));
    assert.ok(d.nodes.some((n) => n.status === 'notRead'));
  });

  it('an invalid template and a missing credential identity are the broken links', async () => {
    const objects = replace(healthy(), 'ClusterTemplate', 'aws-standalone-cp-1-0-14', (o) => ({
      ...o,
      status: { valid: false, validationError: 'chart aws-standalone-cp 1.0.14 not found' },
    }));
    const d = await diagnose(objects);
    assert.equal(d.firstBroken?.kind, 'ClusterTemplate');
    assert.equal(d.firstBroken?.reason, 'TemplateInvalid');
    // kcm made the Credential ready, so it found the identity: not finding it here is no broken link.
    const quiet = await diagnose(healthy().filter((o) => o.kind !== 'AWSClusterStaticIdentity'));
    assert.equal(quiet.firstBroken, undefined);
    assert.equal(quiet.nodes.find((n) => n.kind === 'AWSClusterStaticIdentity')?.status, 'missing');
    const notReady = replace(
      healthy().filter((o) => o.kind !== 'AWSClusterStaticIdentity'),
      'Credential',
      'aws-cluster-credential',
      (o) => ({
        ...o,
        status: {
          ready: false,
          conditions: [no('CredentialReady', 'Failed', 'ClusterIdentity object of Kind=AWSClusterStaticIdentity aws-identity not found')],
        },
      }),
    );
    const e = await diagnose(notReady);
    assert.equal(e.firstBroken?.kind, 'AWSClusterStaticIdentity');
    assert.equal(e.firstBroken?.reason, 'NotFound');
  });

  it('a regional deployment stops at the HelmRelease and says which Region', async () => {
    const objects = replace(healthy(), 'ClusterDeployment', CD, (o) => ({ ...o, status: { ...o.status, region: 'eu-west' } }));
    const d = await diagnose(objects);
    assert.equal(d.shape, 'regional');
    assert.equal(d.region, 'eu-west');
    assert.ok(!d.nodes.some((n) => n.kind === 'HelmRelease'));
    assert.ok(d.notes.some((n) => n.includes('eu-west')));
  });

  it('a hosted control plane is walked to its kmc StatefulSet and pods', async () => {
    let objects = replace(healthy(), 'Cluster', CD, (o) => ({
      ...o,
      spec: { ...o.spec, controlPlaneRef: { apiGroup: 'controlplane.cluster.x-k8s.io', kind: 'K0smotronControlPlane', name: `${CD}-cp` } },
    }));
    objects = objects.filter((o) => o.kind !== 'K0sControlPlane' && o.metadata?.name !== `${CD}-cp-0`);
    objects.push(
      { kind: 'K0smotronControlPlane', metadata: meta(`${CD}-cp`), spec: { replicas: 1 }, status: { ready: false, conditions: [] } },
      {
        kind: 'StatefulSet',
        metadata: meta(`kmc-${CD}-cp`),
        spec: { replicas: 1, selector: { matchLabels: { app: 'k0smotron', cluster: `${CD}-cp` } } },
        status: { readyReplicas: 0 },
      },
      {
        kind: 'Pod',
        metadata: meta(`kmc-${CD}-cp-0`, { labels: { app: 'k0smotron', cluster: `${CD}-cp` } }),
        status: {
          phase: 'Running',
          containerStatuses: [
            {
              name: 'controller',
              restartCount: 4,
              state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container' } },
            },
          ],
        },
      },
    );
    const d = await diagnose(objects);
    assert.ok(d.nodes.some((n) => n.kind === 'StatefulSet' && n.name === `kmc-${CD}-cp`));
    assert.equal(d.firstBroken?.kind, 'Pod');
    assert.equal(d.firstBroken?.reason, 'CrashLoopBackOff');
    assert.deepEqual(d.firstBroken?.nextCall, { tool: 'k0.logs.get', arguments: { namespace: NS, pod: `kmc-${CD}-cp-0` } });
  });

  it('an adopted cluster ends at its SveltosCluster', async () => {
    let objects = replace(healthy(), 'ClusterTemplate', 'aws-standalone-cp-1-0-14', (o) => ({
      ...o,
      status: { ...o.status, providers: ['infrastructure-internal'] },
    }));
    objects = objects.filter(
      (o) => !['Cluster', 'AWSCluster', 'K0sControlPlane', 'MachineDeployment', 'Machine', 'AWSMachine'].includes(o.kind ?? ''),
    );
    const d = await diagnose(objects);
    assert.equal(d.shape, 'adopted');
    assert.ok(!d.nodes.some((n) => n.kind === 'Cluster'));
    assert.ok(
      d.nodes.some((n) => n.kind === 'SveltosCluster' && n.status === 'notServed'),
      'the Sveltos CRD is absent here: said so',
    );
  });

  it('Warning events are attached to the objects they are about', async () => {
    const events: EventSummary[] = [
      {
        name: 'e1',
        namespace: NS,
        type: 'Warning',
        reason: 'FailedCreate',
        object: { kind: 'AWSCluster', name: CD, namespace: NS },
        message: 'quota',
        count: 3,
      },
    ];
    const d = await diagnose(healthy(), { events });
    assert.deepEqual(d.nodes.find((n) => n.kind === 'AWSCluster')?.warnings, [{ reason: 'FailedCreate', message: 'quota', count: 3 }]);
  });
});

describe('fleet health: status and one-line reason of a deployment (k0.clusters.list)', () => {
  const cd = (conditions: Record<string, unknown>[], deleting = false): KubeObject => ({
    metadata: { name: 'x', namespace: NS, ...(deleting ? { deletionTimestamp: T0 } : {}) },
    spec: {},
    status: { conditions },
  });
  const rows: [string, KubeObject, string, RegExp | undefined][] = [
    ['ready', cd([ok('HelmReleaseReady'), ok('Ready', 'Succeeded')]), 'ready', undefined],
    [
      'kcm gave up: failing, with the failed critical condition',
      cd([
        ok('TemplateReady'),
        no('HelmReleaseReady', 'InstallFailed', 'Helm install failed: boom'),
        no('Ready', 'Failed', 'HelmRelease is not ready'),
      ]),
      'failing',
      /^HelmReleaseReady: InstallFailed: Helm install failed: boom$/,
    ],
    [
      'still on its way: progressing, with the first condition not True',
      cd([ok('TemplateReady'), no('CAPIClusterSummary', 'Provisioning', 'Cluster is provisioning'), no('Ready', 'Progressing', 'waiting')]),
      'progressing',
      /^CAPIClusterSummary: Provisioning: Cluster is provisioning$/,
    ],
    ['no conditions yet', cd([]), 'progressing', /not reported any condition/],
    [
      'deleting, with the Deleting reason',
      cd([{ type: 'Deleting', status: 'True', reason: 'WaitingForClusterDeletion', message: 'Cluster is deleting' }], true),
      'deleting',
      /^Deleting: WaitingForClusterDeletion: Cluster is deleting$/,
    ],
  ];
  for (const [title, object, status, reason] of rows) {
    it(title, () => {
      const summary = summarizeDeployment(object);
      assert.equal(summary.status, status);
      assert.equal(hasStatus(object, status as 'ready'), true);
      if (reason === undefined) assert.equal(summary.reason, undefined);
      else assert.match(summary.reason ?? '', reason);
    });
  }
});

describe('k0.clusters.get: the CAPI summary', () => {
  it('counters as CAPI v1beta2 writes them and Machines by phase, in one line', () => {
    const cluster = healthy().find((o) => o.kind === 'Cluster') as KubeObject;
    const scaling = {
      ...cluster,
      status: {
        ...cluster.status,
        workers: { desiredReplicas: 3, replicas: 3, readyReplicas: 2, upToDateReplicas: 3, availableReplicas: 2 },
      },
    };
    const machines = [
      machine('cp', {}, 'K0sControllerConfig', 'aws:///a/i-1'),
      machine('w1', {}, 'K0sWorkerConfig', 'aws:///a/i-2'),
      machine('w2', {}, 'K0sWorkerConfig', 'aws:///a/i-3'),
      machine('w3', {}, 'K0sWorkerConfig'),
    ];
    const summary = summarizeCapi(scaling, machines);
    assert.deepEqual(summary.workers, { desired: 3, ready: 2, upToDate: 3, available: 2 });
    assert.deepEqual(summary.machines, { Running: 3, Provisioning: 1 });
    assert.equal(summary.summary, 'control plane 1/1 ready, workers 2/3 ready, 1 provisioning');
    assert.equal(summary.controlPlaneInitialized, true);
  });
});
