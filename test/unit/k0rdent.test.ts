import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { conditionsAreStale, deploymentPhase, describePhase, failedCondition, isReady, readConditions, type Condition } from '../../src/k0rdent/conditions.js';
import { cloudFromProviders, inferProvider } from '../../src/k0rdent/providers.js';

describe('provider inference from identityRef.kind (DOMAIN section 1)', () => {
  const table: [string | undefined, string, string[]][] = [
    ['AzureClusterIdentity', 'azure', ['azure']],
    ['AWSClusterStaticIdentity', 'aws', ['aws']],
    ['AWSClusterRoleIdentity', 'aws', ['aws']],
    ['AWSClusterControllerIdentity', 'aws', ['aws']],
    ['OpenStackClusterIdentity', 'openstack', ['openstack']],
    ['VSphereClusterIdentity', 'vsphere', ['vsphere']],
    ['Secret', 'ambiguous', ['azure', 'openstack', 'vsphere', 'gcp', 'docker', 'kubevirt', 'k0smotron', 'internal']],
    ['SomethingElse', 'unknown', []],
    [undefined, 'unknown', []],
  ];
  for (const [kind, provider, candidates] of table) {
    it(`${kind ?? '(none)'} → ${provider}`, () => assert.deepEqual(inferProvider(kind), { provider, candidates }));
  }
  it('cloud is the infrastructure-* provider', () => {
    assert.equal(cloudFromProviders(['bootstrap-k0sproject-k0smotron', 'infrastructure-azure', 'control-plane-k0sproject-k0smotron']), 'azure');
    assert.equal(cloudFromProviders([' infrastructure-aws']), 'aws');
    assert.equal(cloudFromProviders(['bootstrap-x']), undefined);
  });
});

const c = (type: string, status: string, reason?: string, message?: string): Condition => ({ type, status, ...(reason ? { reason } : {}), ...(message ? { message } : {}) });

describe('readiness and phase from conditions (DOMAIN section 3)', () => {
  const table: { title: string; conditions: Condition[]; deleting?: boolean; ready: boolean; phase: string; failed?: string; line: RegExp }[] = [
    { title: 'no conditions yet', conditions: [], ready: false, phase: 'Pending', line: /^Pending/ },
    {
      title: 'progressing',
      conditions: [c('TemplateReady', 'True', 'Succeeded'), c('HelmChartReady', 'Unknown', 'Progressing'), c('Ready', 'Unknown', 'Progressing')],
      ready: false,
      phase: 'Provisioning',
      line: /^Provisioning \(HelmChartReady: Progressing\)$/,
    },
    { title: 'ready', conditions: [c('TemplateReady', 'True'), c('Ready', 'True', 'Succeeded', 'Object is ready')], ready: true, phase: 'Ready', line: /^Ready$/ },
    {
      title: 'failed names the failing critical condition',
      conditions: [c('HelmChartReady', 'False', 'Failed', 'failed to validate template with provided configuration: location is required'), c('Ready', 'False', 'Failed', 'x')],
      ready: false,
      phase: 'Failed',
      failed: 'HelmChartReady',
      line: /^Failed \(HelmChartReady: Failed: failed to validate/,
    },
    { title: 'Ready=False Progressing is not a failure', conditions: [c('CAPIClusterSummary', 'False', 'Provisioning'), c('Ready', 'False', 'Progressing')], ready: false, phase: 'Provisioning', line: /^Provisioning \(CAPIClusterSummary/ },
    { title: 'deletionTimestamp set → Deleting', conditions: [c('Ready', 'True')], deleting: true, ready: true, phase: 'Deleting', line: /^Deleting/ },
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

describe('stale conditions (an earlier generation)', () => {
  const failed = { type: 'Ready', status: 'False', reason: 'Failed', observedGeneration: 1 };
  const table: [string, number | undefined, unknown, Condition[], boolean][] = [
    ['no generation known', undefined, {}, [failed], false],
    ['status.observedGeneration behind', 2, { observedGeneration: 1 }, [], true],
    ['Ready condition observed an older generation', 2, {}, [failed], true],
    ['up to date', 1, { observedGeneration: 1 }, [failed], false],
    ['no observedGeneration anywhere', 2, {}, [c('Ready', 'False', 'Failed')], false],
  ];
  for (const [title, generation, status, conditions, stale] of table) it(title, () => assert.equal(conditionsAreStale(generation, status, conditions), stale));
});
