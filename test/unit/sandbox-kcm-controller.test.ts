/** The simulated kcm on a bare store: webhook denials, mutating defaults, and the controller's condition walks. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { defaultRegistry } from '../../src/sandbox/apiserver/resources.js';
import { MemoryStore } from '../../src/sandbox/apiserver/store.js';
import { SchemaValidator } from '../../src/sandbox/apiserver/validation.js';
import type { AdmissionOperation, KubeObject, StoreEvent } from '../../src/sandbox/apiserver/types.js';
import { withReadyCondition, type Condition } from '../../src/sandbox/kcm/conditions.js';
import { mergeValues, validateChartValues } from '../../src/sandbox/kcm/config-validation.js';
import { loadChartCatalog } from '../../src/sandbox/kcm/charts.js';
import { startKcm, type KcmHandle } from '../../src/sandbox/kcm/index.js';
import {
  ACCESS_MANAGEMENTS,
  CLUSTER_DEPLOYMENTS,
  CLUSTER_TEMPLATE_CHAINS,
  CLUSTER_TEMPLATES,
  CONFIG_MAPS,
  CREDENTIALS,
  NAMESPACES,
} from '../../src/sandbox/kcm/resources.js';
import { seedStore } from '../../src/sandbox/seed/index.js';
import { AZURE_BASELINE } from '../helpers/clusters-harness.js';
import { until } from '../helpers/until.js';

type Rec = Record<string, unknown>;
const WEBHOOK_PREFIX = 'admission webhook "validation.clusterdeployment.k0rdent.mirantis.com" denied the request: ';

function deployment(namespace: string, name: string, specFields: Rec): KubeObject {
  return { apiVersion: 'k0rdent.mirantis.com/v1beta1', kind: 'ClusterDeployment', metadata: { name, namespace }, spec: specFields };
}

const conditionsOf = (o: KubeObject | undefined): Condition[] => (((o?.['status'] ?? {}) as Rec)['conditions'] ?? []) as Condition[];
const condition = (o: KubeObject | undefined, type: string): Condition | undefined => conditionsOf(o).find((c) => c.type === type);

describe('kcm admission', () => {
  const store = new MemoryStore();
  let kcm: KcmHandle;
  before(() => {
    seedStore(store);
    kcm = startKcm(store, { provisionSeconds: 0.2, deleteSeconds: 0.1 });
  });
  after(() => {
    kcm.close();
    store.close();
  });
  const admit = (operation: AdmissionOperation, object: KubeObject, oldObject?: KubeObject) =>
    store.admit({
      operation,
      resource: CLUSTER_DEPLOYMENTS,
      ...(operation === 'DELETE' ? {} : { object }),
      ...(oldObject ? { oldObject } : {}),
      dryRun: false,
      user: 'test',
    });

  // kcm internal/webhook/clusterdeployment_webhook.go:58-89 ValidateCreate; a NotFound from the cache is
  // answered 404 with its message alone (controller-runtime validator_custom.go:143-148), the rest 403.
  const denials: [string, KubeObject, number, string][] = [
    [
      'a template that only exists in kcm-system',
      deployment('team-beta', 'd', { template: 'azure-standalone-cp-1-0-45', credential: 'aws-cluster-credential', config: {} }),
      404,
      'ClusterTemplate.k0rdent.mirantis.com "azure-standalone-cp-1-0-45" not found',
    ],
    [
      'an invalid template',
      deployment('kcm-system', 'd', { template: 'azure-standalone-cp-0-0-1', credential: 'azure-cluster-credential', config: {} }),
      403,
      'the ClusterDeployment is invalid: the ClusterTemplate kcm-system/azure-standalone-cp-0-0-1 is invalid with the error: ',
    ],
    [
      'a missing credential (found missing by the providers check first, cluster_template.go:36-40)',
      deployment('kcm-system', 'd', { template: 'azure-standalone-cp-1-0-45', credential: 'nope', config: {} }),
      404,
      'Credential.k0rdent.mirantis.com "nope" not found',
    ],
    [
      'a credential that is not ready',
      deployment('kcm-system', 'd', { template: 'azure-standalone-cp-1-0-45', credential: 'azure-legacy-credential', config: {} }),
      403,
      'the ClusterDeployment is invalid: the Credential kcm-system/azure-legacy-credential is not Ready',
    ],
    [
      'a credential of another cloud',
      deployment('kcm-system', 'd', { template: 'azure-standalone-cp-1-0-45', credential: 'aws-cluster-credential', config: {} }),
      403,
      'the ClusterDeployment is invalid: provider infrastructure-azure does not support ClusterIdentity Kind AWSClusterStaticIdentity from the Credential kcm-system/aws-cluster-credential',
    ],
  ];
  for (const [what, object, code, detail] of denials) {
    it(`denies ${what} with kcm's wording`, () => {
      const result = admit('CREATE', object);
      assert.equal(result.allowed, false);
      if (result.allowed) return;
      assert.equal(result.code, code);
      assert.equal(result.reason, code === 404 ? 'NotFound' : 'Forbidden');
      assert.ok(result.message.startsWith(WEBHOOK_PREFIX + detail), result.message);
    });
  }

  it('admits a valid deployment unchanged', () => {
    const result = admit(
      'CREATE',
      deployment('kcm-system', 'd', {
        template: 'azure-standalone-cp-1-0-45',
        credential: 'azure-cluster-credential',
        config: AZURE_BASELINE,
      }),
    );
    assert.deepEqual(result, { allowed: true });
  });

  it('defaults a missing config to the template config and dryRun, as the mutating webhook does', () => {
    const result = admit(
      'CREATE',
      deployment('team-alpha', 'd', { template: 'azure-standalone-cp-1-0-45', credential: 'azure-cluster-credential' }),
    );
    assert.equal(result.allowed, true);
    const mutated = result.allowed ? result.object : undefined;
    const templateConfig = ((store.get(CLUSTER_TEMPLATES, 'team-alpha', 'azure-standalone-cp-1-0-45')?.['status'] ?? {}) as Rec)['config'];
    assert.deepEqual((mutated?.['spec'] as Rec)['config'], templateConfig);
    assert.equal((mutated?.['spec'] as Rec)['dryRun'], true);
  });

  it('reports a missing template from the mutating webhook when config is absent, as kcm does', () => {
    const result = admit(
      'CREATE',
      deployment('finance', 'd', { template: 'aws-standalone-cp-1-0-43', credential: 'finance-aws-credential' }),
    );
    assert.equal(result.allowed, false);
    if (!result.allowed) {
      assert.equal(
        result.message,
        'admission webhook "mutation.clusterdeployment.k0rdent.mirantis.com" denied the request: ClusterTemplate.k0rdent.mirantis.com "aws-standalone-cp-1-0-43" not found',
      );
    }
  });

  it('refuses to delete a deployment a Region is built on', () => {
    const cd = store.get(CLUSTER_DEPLOYMENTS, 'team-alpha', 'alpha-dev-cluster')!;
    assert.equal(admit('DELETE', cd, cd).allowed, true);
    store.create(
      { group: 'k0rdent.mirantis.com', version: 'v1beta1', plural: 'regions' },
      {
        apiVersion: 'k0rdent.mirantis.com/v1beta1',
        kind: 'Region',
        metadata: { name: 'eu' },
        spec: { clusterDeployment: { name: 'alpha-dev-cluster', namespace: 'team-alpha' } },
      },
    );
    const result = admit('DELETE', cd, cd);
    assert.equal(result.allowed, false);
    if (!result.allowed) assert.equal(result.message, WEBHOOK_PREFIX + 'ClusterDeployment cannot be deleted: referenced by Region "eu"');
  });

  it('allows an upgrade the template chain offers and forbids one it does not', () => {
    const old = store.get(CLUSTER_DEPLOYMENTS, 'team-beta', 'beta-staging-cluster')!;
    assert.deepEqual((old['status'] as Rec)['availableUpgrades'], ['aws-standalone-cp-1-0-43']);
    const upgraded = { ...old, spec: { ...(old['spec'] as Rec), template: 'aws-standalone-cp-1-0-43' } };
    assert.equal(admit('UPDATE', upgraded, old).allowed, true);
    const alpha = store.get(CLUSTER_DEPLOYMENTS, 'team-alpha', 'alpha-dev-cluster')!;
    const downgrade = { ...alpha, spec: { ...(alpha['spec'] as Rec), template: 'azure-standalone-cp-1-0-15' } };
    const result = admit('UPDATE', downgrade, alpha);
    assert.equal(result.allowed, false);
    if (!result.allowed) assert.ok(result.message.startsWith(WEBHOOK_PREFIX + 'cluster upgrade is forbidden'), result.message);
  });

  it('forbids deleting a template a deployment uses', () => {
    const template = store.get(CLUSTER_TEMPLATES, 'team-alpha', 'azure-standalone-cp-1-0-45')!;
    const result = store.admit({ operation: 'DELETE', resource: CLUSTER_TEMPLATES, oldObject: template, dryRun: false, user: 'test' });
    assert.equal(result.allowed, false);
    if (!result.allowed) assert.match(result.message, /template deletion is forbidden/);
  });
});

describe('kcm controller', () => {
  const store = new MemoryStore();
  let kcm: KcmHandle;
  const events: StoreEvent[] = [];
  before(async () => {
    seedStore(store);
    kcm = startKcm(store, { provisionSeconds: 0.3, deleteSeconds: 0.2 });
    store.subscribe((e) => {
      if (e.resource.plural === 'clusterdeployments') events.push(e);
    });
    // The seeded deployments' world (HelmRelease, CAPI Cluster) is up: a spec change upgrades a release that exists.
    await kcm.adopted;
  });
  after(() => {
    kcm.close();
    store.close();
  });

  it('adds its finalizer and walks a deployment from Unknown to Ready=True', async () => {
    store.create(
      CLUSTER_DEPLOYMENTS,
      deployment('kcm-system', 'walk', {
        template: 'azure-standalone-cp-1-0-15',
        credential: 'azure-cluster-credential',
        config: AZURE_BASELINE,
      }),
    );
    await until('Ready=True', () => condition(store.get(CLUSTER_DEPLOYMENTS, 'kcm-system', 'walk'), 'Ready')?.status === 'True');
    const done = store.get(CLUSTER_DEPLOYMENTS, 'kcm-system', 'walk')!;
    assert.ok(done.metadata.finalizers?.includes('k0rdent.mirantis.com/cluster-deployment'));
    assert.equal((done['status'] as Rec)['observedGeneration'], done.metadata.generation);
    const ready = condition(done, 'Ready')!;
    assert.deepEqual([ready.reason, ready.message], ['Succeeded', 'Object is ready']);
    for (const type of ['TemplateReady', 'CredentialReady', 'HelmChartReady', 'HelmReleaseReady', 'CAPIClusterSummary']) {
      const c = condition(done, type);
      assert.equal(c?.status, 'True', type);
      assert.equal(typeof c?.lastTransitionTime, 'string');
      assert.equal(c?.observedGeneration, done.metadata.generation);
    }
    const readyStates = events
      .filter((e) => e.object.metadata.name === 'walk')
      .map((e) => condition(e.object, 'Ready'))
      .filter((c): c is Condition => c !== undefined)
      .map((c) => `${c.status}/${c.reason}`);
    const distinct = readyStates.filter((s, i) => s !== readyStates[i - 1]);
    assert.deepEqual(distinct, ['Unknown/Progressing', 'False/Progressing', 'True/Succeeded']);
    assert.equal(done.metadata.labels?.['k0rdent.mirantis.com/component'], 'kcm');
    const reasons = store
      .list({ group: '', version: 'v1', plural: 'events' }, { namespace: 'kcm-system' })
      .filter((e) => (e['involvedObject'] as Rec)['name'] === 'walk' && (e['involvedObject'] as Rec)['kind'] === 'ClusterDeployment')
      .map((e) => e['reason']);
    assert.deepEqual(reasons.sort(), ['CAPIClusterIsProvisioning', 'CAPIClusterIsReady', 'HelmReleaseCreated', 'HelmReleaseIsReady']);
  });

  it('reports a config the chart schema rejects in HelmChartReady and fails Ready', async () => {
    store.create(
      CLUSTER_DEPLOYMENTS,
      deployment('kcm-system', 'bad-config', {
        template: 'azure-standalone-cp-1-0-45',
        credential: 'azure-cluster-credential',
        config: { ...AZURE_BASELINE, controlPlaneNumber: 'three' },
      }),
    );
    await until(
      'HelmChartReady=False',
      () => condition(store.get(CLUSTER_DEPLOYMENTS, 'kcm-system', 'bad-config'), 'HelmChartReady')?.status === 'False',
    );
    const object = store.get(CLUSTER_DEPLOYMENTS, 'kcm-system', 'bad-config');
    const chart = condition(object, 'HelmChartReady')!;
    assert.match(chart.message, /^failed to validate template with provided configuration: .*controlPlaneNumber.*integer/);
    const ready = condition(object, 'Ready')!;
    assert.deepEqual([ready.status, ready.reason], ['False', 'Failed']);
    const warning = store
      .list({ group: '', version: 'v1', plural: 'events' }, { namespace: 'kcm-system' })
      .find((e) => (e['involvedObject'] as Rec)['name'] === 'bad-config');
    assert.deepEqual([warning?.['type'], warning?.['reason']], ['Warning', 'ValidationError']);
  });

  it('stops after validation in dryRun: no HelmRelease condition, Ready as kcm computes it', async () => {
    store.create(
      CLUSTER_DEPLOYMENTS,
      deployment('kcm-system', 'dry', {
        template: 'azure-standalone-cp-1-0-45',
        credential: 'azure-cluster-credential',
        config: AZURE_BASELINE,
        dryRun: true,
      }),
    );
    await until(
      'HelmChartReady=True',
      () => condition(store.get(CLUSTER_DEPLOYMENTS, 'kcm-system', 'dry'), 'HelmChartReady')?.status === 'True',
    );
    // The marker for "no further step": a deployment created now walks all the way to CAPIClusterSummary; the
    // controller's timers fire in due order, so a step of 'dry' after validation would have come before it.
    store.create(
      CLUSTER_DEPLOYMENTS,
      deployment('kcm-system', 'dry-marker', {
        template: 'azure-standalone-cp-1-0-45',
        credential: 'azure-cluster-credential',
        config: AZURE_BASELINE,
      }),
    );
    await until(
      'the marker deployment provisioned',
      () => condition(store.get(CLUSTER_DEPLOYMENTS, 'kcm-system', 'dry-marker'), 'CAPIClusterSummary')?.status === 'True',
    );
    const object = store.get(CLUSTER_DEPLOYMENTS, 'kcm-system', 'dry');
    assert.equal(condition(object, 'HelmReleaseReady'), undefined);
    assert.equal(condition(object, 'CAPIClusterSummary'), undefined);
    assert.equal(condition(object, 'Ready')?.status, 'True');
  });

  it('installs the release once dryRun is turned off (a new generation)', async () => {
    const dry = store.get(CLUSTER_DEPLOYMENTS, 'kcm-system', 'dry')!;
    store.update(CLUSTER_DEPLOYMENTS, { ...dry, spec: { ...(dry['spec'] as Rec), dryRun: false } });
    await until(
      'provisioning after dryRun',
      () => condition(store.get(CLUSTER_DEPLOYMENTS, 'kcm-system', 'dry'), 'CAPIClusterSummary')?.status === 'True',
    );
    const release = condition(store.get(CLUSTER_DEPLOYMENTS, 'kcm-system', 'dry'), 'HelmReleaseReady')!;
    assert.equal(release.reason, 'InstallSucceeded');
    assert.match(release.message, /^Helm install succeeded for release kcm-system\/dry\.v1 with chart azure-standalone-cp@1\.0\.45$/);
  });

  it('writes only statuses the ClusterDeployment CRD accepts (Strict)', () => {
    const def = defaultRegistry().get(CLUSTER_DEPLOYMENTS)!;
    const validator = new SchemaValidator();
    assert.ok(events.length > 5);
    for (const e of events)
      assert.doesNotThrow(() => validator.validate(def, structuredClone(e.object), 'Strict'), `${e.type} ${e.object.metadata.name}`);
  });

  it("walks Deleting through kcm's reasons, then removes its finalizer so the object goes", async () => {
    await until('walk ready', () => condition(store.get(CLUSTER_DEPLOYMENTS, 'kcm-system', 'walk'), 'Ready')?.status === 'True');
    const from = events.length;
    store.delete(CLUSTER_DEPLOYMENTS, 'kcm-system', 'walk', 'Foreground');
    await until('deletion', () => store.get(CLUSTER_DEPLOYMENTS, 'kcm-system', 'walk') === undefined);
    const mine = events.slice(from).filter((e) => e.object.metadata.name === 'walk');
    const reasons = mine.map((e) => condition(e.object, 'Deleting')?.reason).filter((r): r is string => r !== undefined);
    const distinct = reasons.filter((r, i) => r !== reasons[i - 1]);
    // No cleanupOnDeletion, no dataSource: kcm never waits on those; DeletionCompleted is never written
    // (kcm internal/controller/clusterdeployment_controller.go:1601-1605, :1715-1744).
    assert.deepEqual(distinct, ['WaitingForClusterDeletion', 'WaitingForHelmReleaseDeletion', 'WaitingForServiceSetsDeletion']);
    const deleting = mine.filter((e) => condition(e.object, 'Deleting'));
    assert.ok(
      deleting.every((e) => condition(e.object, 'Ready')?.status === 'False' && condition(e.object, 'Ready')?.reason === 'Deleting'),
    );
    assert.equal(mine.at(-1)?.type, 'DELETED');
    const def = defaultRegistry().get(CLUSTER_DEPLOYMENTS)!;
    const validator = new SchemaValidator();
    for (const e of mine) assert.doesNotThrow(() => validator.validate(def, structuredClone(e.object), 'Strict'));
  });

  // kcm copies the HelmRelease's Ready condition as it reads it right after updating the release
  // (internal/controller/clusterdeployment_controller.go:548-575 at v1.11.4): that is still the previous
  // generation's "install succeeded ….v1", so Ready=True at generation 2 comes at once, before helm-controller
  // has upgraded the release; the walk restarts when the world below kcm rolls the cluster out (Ready=False while
  // the CAPI Cluster changes) and ends Ready again with the release's .v2. Waiting for "Ready at generation 2"
  // ended at that first Ready (this was a todo); the restart is read from the store's events, never polled for.
  it('restarts the walk when the spec changes (new generation)', async () => {
    const before = store.get(CLUSTER_DEPLOYMENTS, 'team-alpha', 'alpha-dev-cluster')!;
    const spec = before['spec'] as Rec;
    const seen: KubeObject[] = [];
    const unsubscribe = store.subscribe((event) => {
      if (
        event.resource.plural === 'clusterdeployments' &&
        event.object.metadata.namespace === 'team-alpha' &&
        event.object.metadata.name === 'alpha-dev-cluster'
      )
        seen.push(structuredClone(event.object));
    });
    const generation2 = (): KubeObject[] => seen.filter((o) => o.metadata.generation === 2);
    const readyWithV2 = (o: KubeObject): boolean =>
      condition(o, 'Ready')?.status === 'True' && /upgrade succeeded.*\.v2/.test(condition(o, 'HelmReleaseReady')?.message ?? '');
    try {
      store.update(CLUSTER_DEPLOYMENTS, { ...before, spec: { ...spec, config: { ...(spec['config'] as Rec), workersNumber: 3 } } });
      await until('the walk of generation 2 to leave Ready and come back with the release .v2', () => {
        const left = generation2().findIndex((o) => condition(o, 'Ready')?.status !== 'True');
        return left >= 0 && generation2().slice(left).some(readyWithV2);
      });
    } finally {
      unsubscribe();
    }
    const now = store.get(CLUSTER_DEPLOYMENTS, 'team-alpha', 'alpha-dev-cluster')!;
    assert.ok(readyWithV2(now), JSON.stringify(conditionsOf(now)));
    assert.equal(condition(now, 'Ready')?.observedGeneration, 2);
  });
});

describe('kcm AccessManagement', () => {
  it('copies the chains, their templates and credentials a new rule selects into the target namespaces', async () => {
    const store = new MemoryStore();
    seedStore(store);
    const kcm = startKcm(store, { provisionSeconds: 0.2, deleteSeconds: 0.2 });
    after(() => {
      kcm.close();
      store.close();
    });
    const am = store.get(ACCESS_MANAGEMENTS, undefined, 'kcm')!;
    const rules = (am['spec'] as Rec)['accessRules'] as Rec[];
    store.update(ACCESS_MANAGEMENTS, {
      ...am,
      spec: {
        accessRules: [
          ...rules,
          { targetNamespaces: { list: ['finance'] }, resources: [{ kind: 'ClusterTemplateChain', names: ['aws-templates'] }] },
          { targetNamespaces: { selector: { matchLabels: { team: 'gamma' } } }, credentials: ['azure-cluster-credential'] },
        ],
      },
    });
    // The chain controller copies the templates; the template controller then gives each its status.
    await until('templates copied to finance and reconciled', () => {
      const copies = store.list(CLUSTER_TEMPLATES, { namespace: 'finance' });
      return copies.length === 2 && copies.every((t) => ((t['status'] ?? {}) as Rec)['valid'] === true);
    });
    for (const t of store.list(CLUSTER_TEMPLATES, { namespace: 'finance' })) {
      assert.equal(t.metadata.labels?.['k0rdent.mirantis.com/managed'], 'true');
      assert.equal(((t['status'] ?? {}) as Rec)['valid'], true);
      assert.ok(store.get(CONFIG_MAPS, 'finance', `schema-ct-${t.metadata.name}`), `schema ConfigMap of ${t.metadata.name}`);
    }
    assert.ok(store.get(CLUSTER_TEMPLATE_CHAINS, 'finance', 'aws-templates'));
    await until(
      'AccessManagement status',
      () => ((store.get(ACCESS_MANAGEMENTS, undefined, 'kcm')?.['status'] ?? {}) as Rec)['observedGeneration'] === 2,
    );

    store.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-gamma', labels: { team: 'gamma' } } });
    // Copied without status (kcm accessmanagement_controller.go:475-486); the credential controller then writes it.
    await until(
      'credential copied to a new matching namespace',
      () => ((store.get(CREDENTIALS, 'team-gamma', 'azure-cluster-credential')?.['status'] ?? {}) as Rec)['ready'] === true,
    );
    const copy = store.get(CREDENTIALS, 'team-gamma', 'azure-cluster-credential')!;
    assert.equal(((copy['spec'] as Rec)['identityRef'] as Rec)['namespace'], 'team-gamma');
    assert.equal(((copy['status'] ?? {}) as Rec)['ready'], true);
    assert.equal(store.list(CLUSTER_TEMPLATES, { namespace: 'team-gamma' }).length, 0);

    const deploy = store.admit({
      operation: 'CREATE',
      resource: CLUSTER_DEPLOYMENTS,
      object: deployment('finance', 'fin', {
        template: 'aws-standalone-cp-1-0-43',
        credential: 'finance-aws-credential',
        config: { region: 'us-east-1' },
      }),
      dryRun: false,
      user: 'test',
    });
    assert.equal(deploy.allowed, true);
  });
});

describe('kcm and namespace deletion', () => {
  it('leaves a deleted namespace Terminating: its Credential goes first, and kcm cannot delete a deployment without it', async () => {
    const store = new MemoryStore();
    seedStore(store);
    const kcm = startKcm(store, { provisionSeconds: 0.2, deleteSeconds: 0.2 });
    after(() => {
      kcm.close();
      store.close();
    });
    const namespaces = { group: '', version: 'v1', plural: 'namespaces' };
    store.delete(namespaces, undefined, 'team-alpha');
    // kcm's Credential finalizer only releases ClusterIdentities (credential_controller.go:160-180), then
    // getClusterScope fails before reconcileDelete (clusterdeployment_controller.go:187-197, :165-175).
    await until('the Credential goes', () => store.get(CREDENTIALS, 'team-alpha', 'azure-cluster-credential') === undefined);
    await until(
      'CredentialReady=False',
      () => condition(store.get(CLUSTER_DEPLOYMENTS, 'team-alpha', 'alpha-dev-cluster'), 'CredentialReady')?.status === 'False',
    );
    const stuck = store.get(CLUSTER_DEPLOYMENTS, 'team-alpha', 'alpha-dev-cluster')!;
    assert.ok(stuck.metadata.deletionTimestamp);
    assert.deepEqual(stuck.metadata.finalizers, ['k0rdent.mirantis.com/cluster-deployment']);
    assert.equal(
      condition(stuck, 'CredentialReady')?.message,
      'failed to get Credential team-alpha/azure-cluster-credential: Credential.k0rdent.mirantis.com "azure-cluster-credential" not found',
    );
    assert.ok(store.get(namespaces, undefined, 'team-alpha')?.metadata.deletionTimestamp, 'the namespace stays Terminating');
  });
});

describe('kcm helpers', () => {
  it('computes Ready as kcm does: failures, then CAPI progress, then unknowns', () => {
    const now = '2026-01-01T00:00:00Z';
    const c = (type: string, status: Condition['status']): Condition => ({
      type,
      status,
      reason: 'r',
      message: `${type} msg`,
      lastTransitionTime: now,
    });
    const ready = (list: Condition[]) => withReadyCondition(list, 1, now).find((x) => x.type === 'Ready')!;
    assert.equal(ready([c('TemplateReady', 'True'), c('HelmChartReady', 'False')]).reason, 'Failed');
    assert.equal(ready([c('TemplateReady', 'True'), c('CAPIClusterSummary', 'False')]).reason, 'Progressing');
    assert.equal(ready([c('TemplateReady', 'True'), c('CAPIClusterSummary', 'False')]).status, 'False');
    assert.equal(ready([c('TemplateReady', 'Unknown')]).status, 'Unknown');
    assert.equal(ready([c('TemplateReady', 'True')]).status, 'True');
    // A True Deleting makes Ready False/Deleting (kcm internal/util/conditions/ready_condition.go:28-39).
    assert.deepEqual(
      (({ status, reason, message }) => ({ status, reason, message }))(ready([c('TemplateReady', 'True'), c('Deleting', 'True')])),
      { status: 'False', reason: 'Deleting', message: 'Deleting msg' },
    );
  });

  it("reports chart defaults that satisfy each chart's own schema, as values.yaml does", () => {
    const charts = loadChartCatalog().charts;
    assert.ok(charts.length >= 8);
    for (const chart of charts)
      assert.equal(validateChartValues(chart.name, chart.schemaText ?? '', chart.values, {}), undefined, chart.name);
  });

  it('merges values as Helm does and validates against the chart schema', () => {
    assert.deepEqual(mergeValues({ a: { b: 1, c: 2 }, d: 3 }, { a: { b: 5 }, d: null }), { a: { b: 5, c: 2 } });
    const chart = loadChartCatalog().get('aws-standalone-cp')!;
    assert.equal(
      validateChartValues(chart.name, chart.schemaText ?? '', chart.values, {
        region: 'us-east-1',
        controlPlane: { instanceType: 't3.small' },
      }),
      undefined,
    );
    const error = validateChartValues(chart.name, chart.schemaText ?? '', chart.values, { workersNumber: -1 });
    assert.match(String(error), /aws-standalone-cp: at '\/workersNumber'/);
  });
});
