import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  deploymentPhase,
  describePhase,
  failedCondition,
  failedFor,
  isReady,
  readConditions,
  reconciliationGap,
  type Condition,
  type GenerationTarget,
} from '../../src/k0rdent/conditions.js';
import { credentialFit, fitsTemplate, interfacesFrom, type CredentialFacts, type CredentialFit } from '../../src/k0rdent/provider-fit.js';
import { builtinInterfaces, cloudFromProviders } from '../../src/k0rdent/providers.js';
import { deletionStep, type DeletionSpec, type Step } from '../../src/k0rdent/steps.js';

describe('which providers a credential serves (ProviderInterfaces, DOMAIN section 1)', () => {
  const interfaces = builtinInterfaces();
  const secretProviders = ['azure', 'docker', 'gcp', 'internal', 'k0sproject-k0smotron', 'kubevirt', 'openstack', 'vsphere'];
  const table: [string, CredentialFacts, CredentialFit][] = [
    [
      'AzureClusterIdentity → azure',
      { name: 'x', identityKind: 'AzureClusterIdentity' },
      { provider: 'azure', providers: ['azure'], basis: 'identityKind' },
    ],
    [
      'AWSClusterRoleIdentity → aws',
      { name: 'x', identityKind: 'AWSClusterRoleIdentity' },
      { provider: 'aws', providers: ['aws'], basis: 'identityKind' },
    ],
    [
      'VSphereClusterIdentity → vsphere',
      { name: 'x', identityKind: 'VSphereClusterIdentity' },
      { provider: 'vsphere', providers: ['vsphere'], basis: 'identityKind' },
    ],
    [
      'a Secret named for gcp → gcp',
      { name: 'gcp-cluster-credential', identityKind: 'Secret', identityName: 'gcp-cloud-sa' },
      { provider: 'gcp', providers: ['gcp'], basis: 'name' },
    ],
    [
      "a Secret of kcm's docker manifest → docker",
      { name: 'docker-stub-credential', identityKind: 'Secret', identityName: 'docker-cluster-secret' },
      { provider: 'docker', providers: ['docker'], basis: 'name' },
    ],
    [
      'an adopted Secret → internal',
      { name: 'adopted-cluster-cred', identityKind: 'Secret', identityName: 'adopted-cluster-kubeconf' },
      { provider: 'internal', providers: ['internal'], basis: 'name' },
    ],
    [
      'the label pins it, over the name',
      { name: 'gcp-thing', labels: { 'cluster.x-k8s.io/provider': 'infrastructure-openstack' }, identityKind: 'Secret' },
      { provider: 'openstack', providers: ['openstack'], basis: 'label' },
    ],
    [
      'an unnamed Secret: every provider whose interface accepts one',
      { name: 'team-cred', identityKind: 'Secret', identityName: 'blob' },
      { provider: 'ambiguous', providers: secretProviders, basis: 'interfaces' },
    ],
    ['an unknown kind', { name: 'x', identityKind: 'SomethingElse' }, { provider: 'unknown', providers: [], basis: 'none' }],
  ];
  for (const [what, facts, fit] of table) it(what, () => assert.deepEqual(credentialFit(facts, interfaces), fit));
  it('a template fits when every infrastructure provider it needs is served', () => {
    const gcp = credentialFit({ name: 'gcp-cluster-credential', identityKind: 'Secret' }, interfaces);
    assert.equal(fitsTemplate(gcp, ['infrastructure-gcp', 'control-plane-k0sproject-k0smotron']), true);
    assert.equal(fitsTemplate(gcp, ['infrastructure-docker']), false);
    assert.equal(fitsTemplate(gcp, ['bootstrap-x']), false);
  });
  it('reads ProviderInterface objects by their CAPI provider label', () => {
    const read = interfacesFrom([
      {
        metadata: { name: 'cluster-api-provider-docker', labels: { 'cluster.x-k8s.io/provider': 'infrastructure-docker' } },
        spec: { clusterIdentities: [{ group: '', version: 'v1', kind: 'Secret' }] },
      },
      { metadata: { name: 'no-label' } },
    ]);
    assert.deepEqual(read, [
      {
        name: 'cluster-api-provider-docker',
        infrastructure: 'infrastructure-docker',
        provider: 'docker',
        identityKinds: [{ kind: 'Secret', apiVersion: 'v1' }],
      },
    ]);
  });
  it('cloud is the infrastructure-* provider', () => {
    assert.equal(
      cloudFromProviders(['bootstrap-k0sproject-k0smotron', 'infrastructure-azure', 'control-plane-k0sproject-k0smotron']),
      'azure',
    );
    assert.equal(cloudFromProviders([' infrastructure-aws']), 'aws');
    assert.equal(cloudFromProviders(['bootstrap-x']), undefined);
  });
});

const c = (type: string, status: string, reason?: string, message?: string): Condition => ({
  type,
  status,
  ...(reason ? { reason } : {}),
  ...(message ? { message } : {}),
});

describe('readiness and phase from conditions (DOMAIN section 3)', () => {
  const table: {
    title: string;
    conditions: Condition[];
    deleting?: boolean;
    ready: boolean;
    phase: string;
    failed?: string;
    line: RegExp;
  }[] = [
    { title: 'no conditions yet', conditions: [], ready: false, phase: 'Pending', line: /^Pending/ },
    {
      title: 'progressing',
      conditions: [
        c('TemplateReady', 'True', 'Succeeded'),
        c('HelmChartReady', 'Unknown', 'Progressing'),
        c('Ready', 'Unknown', 'Progressing'),
      ],
      ready: false,
      phase: 'Provisioning',
      line: /^Provisioning \(HelmChartReady: Progressing\)$/,
    },
    {
      title: 'ready',
      conditions: [c('TemplateReady', 'True'), c('Ready', 'True', 'Succeeded', 'Object is ready')],
      ready: true,
      phase: 'Ready',
      line: /^Ready$/,
    },
    {
      title: 'failed names the failing critical condition',
      conditions: [
        c('HelmChartReady', 'False', 'Failed', 'failed to validate template with provided configuration: location is required'),
        c('Ready', 'False', 'Failed', 'x'),
      ],
      ready: false,
      phase: 'Failed',
      failed: 'HelmChartReady',
      line: /^Failed \(HelmChartReady: Failed: failed to validate/,
    },
    {
      title: 'Ready=False Progressing is not a failure',
      conditions: [c('CAPIClusterSummary', 'False', 'Provisioning'), c('Ready', 'False', 'Progressing')],
      ready: false,
      phase: 'Provisioning',
      line: /^Provisioning \(CAPIClusterSummary/,
    },
    {
      title: 'deletionTimestamp set → Deleting',
      conditions: [c('Ready', 'True')],
      deleting: true,
      ready: true,
      phase: 'Deleting',
      line: /^Deleting/,
    },
    {
      title: 'Deleting condition reason is reported',
      conditions: [c('Deleting', 'True', 'WaitingForClusterDeletion', 'machines are being deleted'), c('Ready', 'False', 'Deleting')],
      ready: false,
      phase: 'Deleting',
      line: /^Deleting \(Deleting: WaitingForClusterDeletion: machines are being deleted\)$/,
    },
  ];
  for (const row of table) {
    it(row.title, () => {
      assert.equal(isReady(row.conditions), row.ready);
      assert.equal(deploymentPhase(row.conditions, row.deleting), row.phase);
      assert.equal(failedCondition(row.conditions)?.type, row.failed);
      assert.match(describePhase(row.conditions, row.deleting), row.line);
    });
  }
  it('readConditions drops malformed entries', () => {
    assert.deepEqual(readConditions({ conditions: [c('Ready', 'True'), { foo: 1 }, null, 'x'] }), [c('Ready', 'True')]);
    assert.deepEqual(readConditions(undefined), []);
    assert.deepEqual(readConditions({ conditions: 'nope' }), []);
  });
});

describe('reconciled for the target generation (a Ready of an earlier generation or release never counts)', () => {
  const at = (type: string, status: string, generation: number, message = ''): Condition => ({
    type,
    status,
    reason: status === 'True' ? 'Succeeded' : 'Progressing',
    message,
    observedGeneration: generation,
  });
  const release = (generation: number, text: string): Condition => at('HelmReleaseReady', 'True', generation, text);
  const oldRelease = 'Helm install succeeded for release ns/c.v1 with chart azure-standalone-cp@1.0.15';
  const newRelease = 'Helm upgrade succeeded for release ns/c.v2 with chart azure-standalone-cp@1.0.45';
  const table: [string, unknown, Condition[], GenerationTarget, boolean][] = [
    ['status.observedGeneration behind', { observedGeneration: 1 }, [at('Ready', 'True', 1)], { generation: 2 }, false],
    [
      'Ready of the new generation but TemplateReady still of the old one',
      { observedGeneration: 2 },
      [at('Ready', 'True', 2), at('TemplateReady', 'True', 1)],
      { generation: 2 },
      false,
    ],
    [
      'every stamped condition at the target',
      { observedGeneration: 2 },
      [at('Ready', 'True', 2), at('TemplateReady', 'True', 2), release(2, newRelease)],
      { generation: 2 },
      true,
    ],
    [
      'the release copied from before the change',
      { observedGeneration: 2 },
      [at('Ready', 'True', 2), release(2, oldRelease)],
      { generation: 2, previousRelease: oldRelease },
      false,
    ],
    [
      'the release does not name the new chart yet',
      { observedGeneration: 2 },
      [at('Ready', 'True', 2), release(2, 'Helm upgrade succeeded for release ns/c.v2 with chart azure-standalone-cp@1.0.15')],
      { generation: 2, chart: 'azure-standalone-cp@1.0.45' },
      false,
    ],
    [
      'the new release names the new chart',
      { observedGeneration: 2 },
      [at('Ready', 'True', 2), release(2, newRelease)],
      { generation: 2, chart: 'azure-standalone-cp@1.0.45', previousRelease: oldRelease },
      true,
    ],
    [
      'a condition without observedGeneration (kcm ServicesInReadyState) does not block',
      { observedGeneration: 2 },
      [at('Ready', 'True', 2), c('ServicesInReadyState', 'True')],
      { generation: 2 },
      true,
    ],
  ];
  for (const [title, status, conditions, target, reconciled] of table)
    it(title, () => assert.equal(reconciliationGap(status, conditions, target) === undefined, reconciled));
  it('a failure counts only for the target generation', () => {
    const failedOld = [
      { ...at('Ready', 'False', 1), reason: 'Failed' },
      { ...at('HelmChartReady', 'False', 1), reason: 'Failed' },
    ];
    assert.equal(failedFor({ observedGeneration: 1 }, failedOld, 2), undefined);
    const failedNew = [
      { ...at('Ready', 'False', 2), reason: 'Failed' },
      { ...at('HelmChartReady', 'False', 2), reason: 'Failed' },
    ];
    assert.equal(failedFor({ observedGeneration: 2 }, failedNew, 2)?.type, 'HelmChartReady');
  });
});

describe('deletion steps follow the reasons kcm writes for this spec (kcm clusterdeployment_controller.go:1581-1584, :1715-1744)', () => {
  const deleting = (reason: string): Condition[] => [{ type: 'Deleting', status: 'True', reason, message: '' }];
  const table: [string, Condition[], boolean, DeletionSpec | undefined, Step][] = [
    [
      'a plain deployment starts at the Cluster: 0/3',
      deleting('WaitingForClusterDeletion'),
      false,
      {},
      { done: 0, total: 3, name: 'WaitingForClusterDeletion' },
    ],
    [
      'then the ServiceSets: 2/3',
      deleting('WaitingForServiceSetsDeletion'),
      false,
      undefined,
      { done: 2, total: 3, name: 'WaitingForServiceSetsDeletion' },
    ],
    ['gone completes it', [], true, {}, { done: 3, total: 3, name: 'Deleted' }],
    [
      'cleanupOnDeletion adds the cloud step first',
      deleting('WaitingForClusterDeletion'),
      false,
      { cleanupOnDeletion: true },
      { done: 1, total: 4, name: 'WaitingForClusterDeletion' },
    ],
    [
      'dataSource adds the ClusterDataSource step last',
      deleting('WaitingForClusterDataSourceDeletion'),
      false,
      { dataSource: 'db' },
      { done: 3, total: 4, name: 'WaitingForClusterDataSourceDeletion' },
    ],
    [
      'before kcm writes Deleting (or on Failed): the first step',
      [],
      false,
      { cleanupOnDeletion: true, dataSource: 'db' },
      { done: 0, total: 5, name: 'WaitingForCloudResourcesDeletion' },
    ],
    [
      'DeletionCompleted is no step (never written)',
      deleting('DeletionCompleted'),
      false,
      {},
      { done: 0, total: 3, name: 'WaitingForClusterDeletion' },
    ],
  ];
  for (const [what, conditions, gone, spec, step] of table) it(what, () => assert.deepEqual(deletionStep(conditions, gone, spec), step));
});
