import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { checkConfig, mergeValues, outlineConfig } from '../../src/clusters/config-schema.js';
import { appliedNothing, assertUpgradeAllowed, buildClusterDeployment, plainReference } from '../../src/clusters/deploy.js';
import { editDistance, nearestName } from '../../src/clusters/suggest.js';
import { AppError } from '../../src/errors.js';
import { parseDuration } from '../../src/mcp/tools/duration.js';

const azureSchema = JSON.parse(readFileSync(new URL('../../../data/k0rdent/schemas/azure-standalone-cp.values.schema.json', import.meta.url), 'utf8')) as Record<string, unknown>;
const awsSchema = JSON.parse(readFileSync(new URL('../../../data/k0rdent/schemas/aws-standalone-cp.values.schema.json', import.meta.url), 'utf8')) as Record<string, unknown>;
// Chart defaults as kcm reports them in status.config (values.yaml): required strings default to "".
const azureDefaults = { controlPlaneNumber: 3, workersNumber: 2, location: '', subscriptionID: '', controlPlane: { vmSize: '', rootVolumeSize: 30 }, worker: { vmSize: '', rootVolumeSize: 30 } };
const azureBaseline = { location: 'westus2', subscriptionID: 'sub-1', controlPlane: { vmSize: 'Standard_A4_v2' }, worker: { vmSize: 'Standard_A4_v2' }, controlPlaneNumber: 1, workersNumber: 1 };

describe('template config check (chart JSON Schema + non-empty required keys)', () => {
  it('the Azure baseline passes and clusterIdentity is never demanded', () => {
    assert.deepEqual(checkConfig(azureSchema, azureDefaults, azureBaseline), []);
  });
  it('an empty config reports the empty-string defaults of required keys by JSON path', () => {
    const problems = checkConfig(azureSchema, azureDefaults, {});
    assert.deepEqual(
      problems.map((p) => p.split(' ')[0]),
      ['config.location', 'config.subscriptionID', 'config.controlPlane.vmSize', 'config.worker.vmSize'],
    );
    assert.ok(problems.every((p) => p.includes('must not be empty')));
  });
  it('required keys with non-empty defaults pass (controlPlaneNumber, workersNumber)', () => {
    const problems = checkConfig(azureSchema, azureDefaults, { location: 'westus2', subscriptionID: 's', controlPlane: { vmSize: 'x' }, worker: { vmSize: 'y' } });
    assert.deepEqual(problems, []);
  });
  it('schema violations name the path', () => {
    const problems = checkConfig(azureSchema, azureDefaults, { ...azureBaseline, controlPlaneNumber: 0 });
    assert.ok(problems.some((p) => p.startsWith('config.controlPlaneNumber ')), problems.join('\n'));
  });
  it('a missing required key without a default is reported', () => {
    const problems = checkConfig(awsSchema, { controlPlaneNumber: 3, workersNumber: 2 }, {});
    assert.ok(problems.includes('config.region is required'), problems.join('\n'));
    assert.ok(!problems.some((p) => p.includes('clusterIdentity')), problems.join('\n'));
  });
  it('without a schema nothing is checked', () => {
    assert.deepEqual(checkConfig(undefined, azureDefaults, {}), []);
  });
  it('merge: caller wins, objects merge, arrays replace', () => {
    assert.deepEqual(mergeValues({ a: { b: 1, c: 2 }, l: [1, 2] }, { a: { c: 3 }, l: [9] }), { a: { b: 1, c: 3 }, l: [9] });
  });
});

describe('config outline for listTemplates', () => {
  it('from the schema: required keys without clusterIdentity, types, descriptions, small defaults from status.config', () => {
    const outline = outlineConfig(azureSchema, { ...azureDefaults, k0s: { version: 'v1', api: { extraArgs: { a: 'x'.repeat(200) } } } });
    assert.equal(outline.source, 'schema');
    assert.deepEqual(outline.required, ['controlPlaneNumber', 'workersNumber', 'location', 'subscriptionID', 'controlPlane', 'worker']);
    assert.equal(outline.properties.controlPlaneNumber?.type, 'integer');
    assert.equal(outline.properties.controlPlaneNumber?.default, 3);
    assert.equal(outline.properties.location?.default, '');
    assert.ok(outline.properties.location?.description);
    assert.equal(outline.properties.k0s?.default, undefined, 'large defaults are left out');
    assert.ok('clusterIdentity' in outline.properties);
  });
  it('from status.config defaults when there is no schema', () => {
    const outline = outlineConfig(undefined, { replicas: 2, name: 'x' });
    assert.deepEqual(outline, { source: 'defaults', required: [], properties: { name: { type: 'string', default: 'x' }, replicas: { type: 'integer', default: 2 } } });
  });
  it('none when there is neither', () => {
    assert.deepEqual(outlineConfig(undefined, undefined), { source: 'none', required: [], properties: {} });
  });
});

describe('nearest-name suggestion', () => {
  it('edit distance', () => {
    assert.equal(editDistance('kitten', 'sitting'), 3);
    assert.equal(editDistance('', 'abc'), 3);
    assert.equal(editDistance('same', 'same'), 0);
  });
  const templates = ['aws-standalone-cp-1-0-14', 'azure-standalone-cp-1-0-15', 'azure-standalone-cp-1-0-45'];
  const table: [string, string | undefined][] = [
    ['azure-standalone-cp-1-0-16', 'azure-standalone-cp-1-0-15'],
    ['azure-standalone-cp-1-0-44', 'azure-standalone-cp-1-0-45'],
    ['aws-standalone-cp-1-0-13', 'aws-standalone-cp-1-0-14'],
    ['gcp', undefined],
  ];
  for (const [wanted, expected] of table) it(`${wanted} → ${expected ?? 'no suggestion'}`, () => assert.equal(nearestName(wanted, templates), expected));
});

describe('deploy inputs', () => {
  it('ns/name is accepted only for the target namespace', () => {
    assert.equal(plainReference('azure-standalone-cp-1-0-15', 'template', 'team-alpha'), 'azure-standalone-cp-1-0-15');
    assert.equal(plainReference('team-alpha/azure-standalone-cp-1-0-15', 'template', 'team-alpha'), 'azure-standalone-cp-1-0-15');
    assert.throws(
      () => plainReference('kcm-system/azure-standalone-cp-1-0-15', 'template', 'team-alpha'),
      (e: unknown) => e instanceof AppError && e.code === 'invalidParams' && e.message.includes('own namespace'),
    );
    assert.throws(() => plainReference('Bad_Name', 'credential', 'team-alpha'), (e: unknown) => e instanceof AppError && e.code === 'invalidParams');
  });
  it('the manifest always carries spec.config and the managed labels win', () => {
    const manifest = buildClusterDeployment({ name: 'c', namespace: 'n', template: 't', credential: 'k', labels: { env: 'dev', 'app.kubernetes.io/managed-by': 'someone' }, config: undefined });
    assert.deepEqual(manifest.spec, { template: 't', credential: 'k', config: {} });
    assert.deepEqual(manifest.metadata.labels, { env: 'dev', 'app.kubernetes.io/managed-by': 'k0rdent-mcp', 'k0rdent.mirantis.com/managed': 'true' });
    assert.equal(manifest.apiVersion, 'k0rdent.mirantis.com/v1beta1');
    assert.equal(manifest.kind, 'ClusterDeployment');
  });
});

describe('durations', () => {
  const table: [string, number | undefined][] = [
    ['30s', 30_000],
    ['10m', 600_000],
    ['1h30m', 5_400_000],
    ['500ms', 500],
    ['1.5s', 1500],
    ['30', undefined],
    ['', undefined],
    ['-1s', undefined],
    ['1d', undefined],
    ['25h', undefined],
  ];
  for (const [text, ms] of table) {
    it(`"${text}" → ${ms ?? 'invalidParams'}`, () => {
      if (ms === undefined) assert.throws(() => parseDuration(text, 'pollInterval'), (e: unknown) => e instanceof AppError && e.code === 'invalidParams' && e.message.includes('pollInterval'));
      else assert.equal(parseDuration(text, 'pollInterval'), ms);
    });
  }
});

describe('deploy status: did the apply change anything?', () => {
  const obj = (rv: string, generation: number, labels: Record<string, string> = { a: '1' }) => ({ metadata: { resourceVersion: rv, generation, labels } });
  const table: [string, ReturnType<typeof obj>, ReturnType<typeof obj>, boolean][] = [
    ['same resourceVersion', obj('5', 1), obj('5', 1), true],
    ['a controller wrote status in between: same generation and labels', obj('5', 1), obj('7', 1), true],
    ['spec changed: generation bumped', obj('5', 1), obj('6', 2), false],
    ['labels changed', obj('5', 1), obj('6', 1, { a: '2' }), false],
  ];
  for (const [title, before, after, unchanged] of table) it(title, () => assert.equal(appliedNothing(before, after), unchanged));
});

describe('template change on an existing deployment', () => {
  const existing = { metadata: { name: 'c', namespace: 'n' }, spec: { template: 'azure-standalone-cp-1-0-15' }, status: { availableUpgrades: ['azure-standalone-cp-1-0-16'] } };
  it('same template or an available upgrade passes', () => {
    assertUpgradeAllowed(existing, 'azure-standalone-cp-1-0-15');
    assertUpgradeAllowed(existing, 'azure-standalone-cp-1-0-16');
  });
  it('anything else is invalidParams naming the available upgrades', () => {
    assert.throws(
      () => assertUpgradeAllowed(existing, 'azure-standalone-cp-1-0-45'),
      (e: unknown) => e instanceof AppError && e.code === 'invalidParams' && e.message.includes('azure-standalone-cp-1-0-16'),
    );
    assert.throws(() => assertUpgradeAllowed({ ...existing, status: {} }, 'x'), (e: unknown) => e instanceof AppError && /no available upgrades/.test(e.message));
  });
});
