/** Seed data of the sandbox: kcm-like templates, credentials, copies and scale data. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { defaultRegistry } from '../../src/sandbox/apiserver/resources.js';
import { MemoryStore } from '../../src/sandbox/apiserver/store.js';
import { SchemaValidator } from '../../src/sandbox/apiserver/validation.js';
import type { KubeObject } from '../../src/sandbox/apiserver/types.js';
import { chartOfTemplate, loadChartCatalog, templateNameFor } from '../../src/sandbox/kcm/charts.js';
import { mergeValues, validateChartValues } from '../../src/sandbox/kcm/config-validation.js';
import { startKcm } from '../../src/sandbox/kcm/index.js';
import type { JsonObject } from '../../src/sandbox/kcm/resources.js';
import {
  CLUSTER_DEPLOYMENTS,
  CLUSTER_TEMPLATES,
  CONFIG_MAPS,
  CREDENTIALS,
  MANAGEMENTS,
  ACCESS_MANAGEMENTS,
  NAMESPACES,
} from '../../src/sandbox/kcm/resources.js';
import { DEPLOYMENTS_PER_SCALE_NAMESPACE } from '../../src/sandbox/seed/scale.js';
import { seedStore } from '../../src/sandbox/seed/index.js';
import { until } from '../helpers/until.js';

type Rec = Record<string, unknown>;
const status = (o: KubeObject | undefined): Rec => (o?.['status'] ?? {}) as Rec;
const spec = (o: KubeObject | undefined): Rec => (o?.['spec'] ?? {}) as Rec;

const registry = defaultRegistry();
const lookup = (
  apiVersion: string,
  kind: string,
): { key: { group: string; version: string; plural: string }; namespaced: boolean } | undefined => {
  const def = registry.findByKind(apiVersion, kind);
  return def ? { key: { group: def.group, version: def.version, plural: def.plural }, namespaced: def.namespaced } : undefined;
};

describe('default seed', () => {
  const store = new MemoryStore();
  seedStore(store);
  after(() => store.close());
  const catalog = loadChartCatalog();

  it('creates the k0rdent namespaces', () => {
    const names = store.list(NAMESPACES).map((n) => n.metadata.name);
    for (const ns of ['kcm-system', 'team-alpha', 'team-beta', 'finance', 'default', 'kube-system']) assert.ok(names.includes(ns), ns);
  });

  it('has a kcm-system template for every shipped chart schema, plus the older releases', () => {
    const names = store.list(CLUSTER_TEMPLATES, { namespace: 'kcm-system' }).map((t) => t.metadata.name);
    assert.ok(catalog.charts.length >= 8);
    for (const chart of catalog.charts) assert.ok(names.includes(templateNameFor(chart.name, chart.latestVersion)), chart.name);
    assert.ok(names.includes('azure-standalone-cp-1-0-15'));
    assert.ok(names.includes('aws-standalone-cp-1-0-14'));
  });

  it('gives every valid template kcm status and a schema ConfigMap owned by it', () => {
    const templates = store.list(CLUSTER_TEMPLATES);
    const valid = templates.filter((t) => status(t)['valid'] === true);
    assert.ok(valid.length >= 10);
    for (const t of valid) {
      const s = status(t);
      assert.equal(s['schemaConfigMapName'], `schema-ct-${t.metadata.name}`);
      assert.match(String(s['chartVersion']), /^\d+\.\d+\.\d+$/);
      assert.ok(t.metadata.name.endsWith(String(s['chartVersion']).replaceAll('.', '-')), t.metadata.name);
      assert.ok(
        Array.isArray(s['providers']) && (s['providers'] as string[]).some((p) => p.startsWith('infrastructure-')),
        t.metadata.name,
      );
      assert.equal(typeof s['description'], 'string');
      assert.equal(typeof s['config'], 'object');
      assert.equal(t.metadata.labels?.['k0rdent.mirantis.com/component'], 'kcm');
      const cm = store.get(CONFIG_MAPS, t.metadata.namespace, `schema-ct-${t.metadata.name}`);
      assert.ok(cm, `schema ConfigMap of ${t.metadata.namespace}/${t.metadata.name}`);
      const schema = JSON.parse(String((cm['data'] as Rec)['schema'])) as Rec;
      assert.equal(schema['type'], 'object');
      assert.equal(cm.metadata.ownerReferences?.[0]?.uid, t.metadata.uid);
    }
  });

  it('reports the azure chart defaults kcm would, and its providers', () => {
    const s = status(store.get(CLUSTER_TEMPLATES, 'kcm-system', 'azure-standalone-cp-1-0-15'));
    // Sorted and compacted from the chart's cluster.x-k8s.io/provider annotation (kcm api/v1beta1/templates_common.go:107).
    assert.deepEqual(s['providers'], ['bootstrap-k0sproject-k0smotron', 'control-plane-k0sproject-k0smotron', 'infrastructure-azure']);
    const config = s['config'] as Rec;
    assert.equal(config['controlPlaneNumber'], 3);
    assert.equal(config['workersNumber'], 2);
    assert.equal(config['location'], '');
    assert.deepEqual(Object.keys(config['controlPlane'] as Rec).includes('vmSize'), true);
  });

  it("seeds only deployments whose config kcm's Helm dry run accepts (schema and the charts' required calls)", () => {
    const scaled = new MemoryStore();
    seedStore(scaled, { scale: 1 });
    const deployments = [...store.list(CLUSTER_DEPLOYMENTS), ...scaled.list(CLUSTER_DEPLOYMENTS)];
    assert.ok(deployments.length >= 5);
    for (const d of deployments) {
      const name = String(spec(d)['template']);
      const template =
        store.get(CLUSTER_TEMPLATES, d.metadata.namespace, name) ?? scaled.get(CLUSTER_TEMPLATES, d.metadata.namespace, name);
      assert.ok(template, `${d.metadata.namespace}/${name}`);
      const chart = catalog.get(chartOfTemplate(template)?.chart ?? '');
      assert.ok(chart, name);
      const values = mergeValues(chart.values, spec(d)['config'] as JsonObject);
      assert.equal(
        validateChartValues(chart.name, chart.schemaText ?? '', chart.values, spec(d)['config'] as JsonObject),
        undefined,
        `${d.metadata.namespace}/${d.metadata.name}`,
      );
      assert.equal(chart.requirements.check(values), undefined, `${d.metadata.namespace}/${d.metadata.name}`);
    }
    scaled.close();
  });

  it('has exactly one invalid template, with a validation error', () => {
    const invalid = store.list(CLUSTER_TEMPLATES).filter((t) => status(t)['valid'] !== true);
    assert.equal(invalid.length, 1);
    assert.ok(String(status(invalid[0])['validationError']).length > 0);
  });

  it('has ready credentials with kcm conditions, and one that is not ready', () => {
    for (const name of [
      'azure-cluster-credential',
      'aws-cluster-credential',
      'gcp-cluster-credential',
      'openstack-cluster-credential',
      'vsphere-cluster-credential',
    ]) {
      const c = store.get(CREDENTIALS, 'kcm-system', name);
      assert.equal(status(c)['ready'], true, name);
      const cond = (status(c)['conditions'] as Rec[])[0]!;
      assert.deepEqual(
        [cond['type'], cond['status'], cond['reason'], cond['message']],
        ['CredentialReady', 'True', 'Succeeded', 'Credential is ready'],
      );
    }
    assert.equal(
      (spec(store.get(CREDENTIALS, 'kcm-system', 'azure-cluster-credential'))['identityRef'] as Rec)['kind'],
      'AzureClusterIdentity',
    );
    assert.equal(
      (spec(store.get(CREDENTIALS, 'kcm-system', 'aws-cluster-credential'))['identityRef'] as Rec)['kind'],
      'AWSClusterStaticIdentity',
    );
    const notReady = store.list(CREDENTIALS, { namespace: 'kcm-system' }).filter((c) => status(c)['ready'] !== true);
    assert.equal(notReady.length, 1);
  });

  it('distributes copies to the team namespaces as AccessManagement does', () => {
    const alpha = store.get(CREDENTIALS, 'team-alpha', 'azure-cluster-credential');
    assert.equal(alpha?.metadata.labels?.['k0rdent.mirantis.com/managed'], 'true');
    assert.equal((spec(alpha)['identityRef'] as Rec)['namespace'], 'team-alpha');
    const alphaTemplates = store.list(CLUSTER_TEMPLATES, { namespace: 'team-alpha' });
    assert.ok(alphaTemplates.length > 0);
    assert.ok(
      alphaTemplates.every(
        (t) => t.metadata.labels?.['k0rdent.mirantis.com/managed'] === 'true' && String(t.metadata.name).includes('azure'),
      ),
    );
    assert.ok(store.list(CLUSTER_TEMPLATES, { namespace: 'team-beta' }).every((t) => t.metadata.name.startsWith('aws-')));
    assert.equal(store.list(CLUSTER_TEMPLATES, { namespace: 'finance' }).length, 0);
    assert.equal(store.list(CREDENTIALS, { namespace: 'finance' }).length, 1);
    const am = store.get(ACCESS_MANAGEMENTS, undefined, 'kcm');
    assert.ok(Array.isArray(spec(am)['accessRules']) && (spec(am)['accessRules'] as unknown[]).length === 2);
    assert.ok(store.get(MANAGEMENTS, undefined, 'kcm'));
  });

  it('has Ready deployments so lists are not empty', () => {
    const deployments = store.list(CLUSTER_DEPLOYMENTS);
    assert.ok(deployments.length >= 2);
    for (const d of deployments) {
      const ready = (status(d)['conditions'] as Rec[]).find((c) => c['type'] === 'Ready');
      assert.equal(ready?.['status'], 'True');
      assert.equal(ready?.['message'], 'Object is ready');
      assert.ok(d.metadata.finalizers?.includes('k0rdent.mirantis.com/cluster-deployment'));
    }
  });

  it('writes only objects that validate against their CRD with fieldValidation=Strict', () => {
    const validator = new SchemaValidator();
    let checked = 0;
    for (const def of registry.defs) {
      for (const object of store.list(def)) {
        assert.doesNotThrow(
          () => validator.validate(def, structuredClone(object), 'Strict'),
          `${def.kind} ${object.metadata.namespace ?? ''}/${object.metadata.name}`,
        );
        checked += 1;
      }
    }
    assert.ok(checked > 40);
  });

  it('lets the controller start on seeded data without rewriting it', async () => {
    // kcm adds what it would have created for seeded objects (HelmCharts, the HelmReleases of Ready deployments,
    // and the world below them), but rewrites none of the seeded objects themselves.
    const versions = (): Map<string, string> =>
      new Map(
        registry.defs.flatMap((d) =>
          store
            .list(d)
            .map((o) => [`${d.plural}/${o.metadata.namespace ?? ''}/${o.metadata.name}`, String(o.metadata.resourceVersion)] as const),
        ),
      );
    const before = versions();
    const rv = store.currentResourceVersion();
    const kcm = startKcm(store, { provisionSeconds: 1 });
    try {
      // The marker (was a 50 ms sleep): a Credential created after the start, which the controller does write
      // (its finalizer and status); once it is Ready, the controller has gone through the seed before it.
      const source = store.get(CREDENTIALS, 'kcm-system', 'azure-cluster-credential')!;
      store.create(CREDENTIALS, {
        apiVersion: source.apiVersion,
        kind: source.kind,
        metadata: { name: 'seed-marker', namespace: 'kcm-system' },
        spec: source['spec'],
      });
      await until('the marker Credential ready', () => status(store.get(CREDENTIALS, 'kcm-system', 'seed-marker'))['ready'] === true);
    } finally {
      kcm.close();
    }
    // kcm adds what it would have created for seeded objects (HelmCharts, the HelmReleases of Ready deployments,
    // and the world below them), but rewrites none of the seeded objects themselves.
    const after = versions();
    for (const [key, version] of before) assert.equal(after.get(key), version, key);
    const written = (store.eventsSince(Number(rv)) ?? [])
      .filter(
        (e) =>
          before.has(`${e.event.resource.plural}/${e.event.object.metadata.namespace ?? ''}/${e.event.object.metadata.name}`) ||
          e.event.object.kind === 'Credential',
      )
      .map((e) => `${e.event.object.kind} ${e.event.object.metadata.name}`);
    assert.deepEqual([...new Set(written)], ['Credential seed-marker'], 'of the seeded kinds, only the marker was written');
  });
});

describe('--scale', () => {
  it('adds N namespaces with a credential, a template and Ready deployments each', () => {
    const store = new MemoryStore();
    after(() => store.close());
    const before = new MemoryStore();
    seedStore(before);
    after(() => before.close());
    seedStore(store, { scale: 200 });
    const scaleNamespaces = store.list(NAMESPACES).filter((n) => n.metadata.name.startsWith('scale-'));
    assert.equal(scaleNamespaces.length, 200);
    assert.equal(scaleNamespaces[0]?.metadata.name, 'scale-0000');
    assert.equal(store.list(CREDENTIALS).length - before.list(CREDENTIALS).length, 200);
    assert.equal(store.list(CLUSTER_TEMPLATES).length - before.list(CLUSTER_TEMPLATES).length, 200);
    assert.equal(store.list(CLUSTER_DEPLOYMENTS).length - before.list(CLUSTER_DEPLOYMENTS).length, 200 * DEPLOYMENTS_PER_SCALE_NAMESPACE);
    const sample = store.list(CLUSTER_DEPLOYMENTS, { namespace: 'scale-0199' });
    assert.equal(sample.length, DEPLOYMENTS_PER_SCALE_NAMESPACE);
    for (const d of sample) {
      const ready = (status(d)['conditions'] as Rec[]).find((c) => c['type'] === 'Ready');
      assert.equal(ready?.['status'], 'True');
      const template = store.get(CLUSTER_TEMPLATES, 'scale-0199', String(spec(d)['template']));
      assert.equal(status(template)['valid'], true);
      assert.ok(store.get(CONFIG_MAPS, 'scale-0199', `schema-ct-${template?.metadata.name}`));
    }
  });
});

describe('--seed FILE', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sandbox-seed-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('replaces the default data, creating namespaces as needed; kcm fills in status', async () => {
    const file = join(dir, 'seed.yaml');
    writeFileSync(
      file,
      [
        'apiVersion: k0rdent.mirantis.com/v1beta1',
        'kind: Credential',
        'metadata: {name: my-cred, namespace: lab}',
        'spec: {identityRef: {apiVersion: infrastructure.cluster.x-k8s.io/v1beta1, kind: AzureClusterIdentity, name: id, namespace: lab}}',
        '---',
        'apiVersion: k0rdent.mirantis.com/v1beta1',
        'kind: ClusterTemplate',
        'metadata: {name: azure-standalone-cp-1-0-45, namespace: lab}',
        'spec: {helm: {chartSpec: {chart: azure-standalone-cp, version: 1.0.45, interval: 10m, sourceRef: {kind: HelmRepository, name: kcm-templates}}}}',
        '---',
        'apiVersion: k0rdent.mirantis.com/v1beta1',
        'kind: ClusterTemplate',
        'metadata: {name: aws-standalone-cp-1-0-43, namespace: lab}',
        'spec: {helm: {chartSpec: {chart: aws-standalone-cp, version: 1.0.43, interval: 10m, sourceRef: {kind: HelmRepository, name: kcm-templates}}}}',
        'status: {valid: true, chartVersion: 1.0.43, schemaConfigMapName: schema-ct-aws-standalone-cp-1-0-43, description: given}',
        '---',
        'apiVersion: v1',
        'kind: ConfigMap',
        'metadata: {name: plain}',
        'data: {a: b}',
      ].join('\n'),
    );
    const store = new MemoryStore();
    after(() => store.close());
    seedStore(store, { seedFile: file, lookup });
    assert.equal(store.list(CLUSTER_TEMPLATES).length, 2);
    assert.equal(store.list(NAMESPACES).filter((n) => n.metadata.name === 'kcm-system').length, 0);
    assert.ok(store.get(NAMESPACES, undefined, 'lab'));
    assert.ok(store.get(CONFIG_MAPS, 'default', 'plain'));
    const kcm = startKcm(store, { provisionSeconds: 1 });
    after(() => kcm.close());
    // The controller reconciles on later ticks (finalizer first, then status): wait for it, bounded.
    await until(
      'my-cred ready and the schema ConfigMap of aws-standalone-cp-1-0-43',
      () =>
        status(store.get(CREDENTIALS, 'lab', 'my-cred'))['ready'] === true &&
        store.get(CONFIG_MAPS, 'lab', 'schema-ct-aws-standalone-cp-1-0-43') !== undefined,
    );
    assert.equal(status(store.get(CREDENTIALS, 'lab', 'my-cred'))['ready'], true);
    const template = store.get(CLUSTER_TEMPLATES, 'lab', 'azure-standalone-cp-1-0-45');
    assert.equal(status(template)['valid'], true);
    assert.equal(status(template)['chartVersion'], '1.0.45');
    assert.ok(store.get(CONFIG_MAPS, 'lab', 'schema-ct-azure-standalone-cp-1-0-45'));
    const given = store.get(CLUSTER_TEMPLATES, 'lab', 'aws-standalone-cp-1-0-43');
    assert.equal(status(given)['description'], 'given');
    assert.ok(store.get(CONFIG_MAPS, 'lab', 'schema-ct-aws-standalone-cp-1-0-43'), 'schema ConfigMap of a template seeded with its status');
  });

  it('rejects a kind the sandbox does not serve, naming it', () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n');
    const store = new MemoryStore();
    after(() => store.close());
    assert.throws(() => seedStore(store, { seedFile: file, lookup }), /Deployment "x"/);
  });
});
