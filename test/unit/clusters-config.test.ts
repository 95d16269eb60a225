import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { checkConfig, mergeValues, outlineConfig } from '../../src/shared/config-schema.js';
import { describeChange } from '../../src/clusters/changes.js';
import { assertUpgradeAllowed, deploymentDifferences, buildClusterDeployment, plainReference } from '../../src/clusters/deploy.js';
import { editDistance, nearestName } from '../../src/shared/suggest.js';
import { structureProblems } from '../../src/shared/config-guard.js';
import { AppError, echo } from '../../src/errors.js';
import { parseDuration, POLL_INTERVAL, STALL_THRESHOLD, TIMEOUT, type DurationBounds } from '../../src/config/duration.js';

const azureSchema = JSON.parse(
  readFileSync(new URL('../../../data/k0rdent/schemas/azure-standalone-cp.values.schema.json', import.meta.url), 'utf8'),
) as Record<string, unknown>;
const awsSchema = JSON.parse(
  readFileSync(new URL('../../../data/k0rdent/schemas/aws-standalone-cp.values.schema.json', import.meta.url), 'utf8'),
) as Record<string, unknown>;
// Chart defaults as kcm reports them in status.config (values.yaml): required strings default to "".
const azureDefaults = {
  controlPlaneNumber: 3,
  workersNumber: 2,
  location: '',
  subscriptionID: '',
  controlPlane: { vmSize: '', rootVolumeSize: 30 },
  worker: { vmSize: '', rootVolumeSize: 30 },
};
const azureBaseline = {
  location: 'westus2',
  subscriptionID: 'sub-1',
  controlPlane: { vmSize: 'Standard_A4_v2' },
  worker: { vmSize: 'Standard_A4_v2' },
  controlPlaneNumber: 1,
  workersNumber: 1,
};

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
    const problems = checkConfig(azureSchema, azureDefaults, {
      location: 'westus2',
      subscriptionID: 's',
      controlPlane: { vmSize: 'x' },
      worker: { vmSize: 'y' },
    });
    assert.deepEqual(problems, []);
  });
  it('schema violations name the path', () => {
    const problems = checkConfig(azureSchema, azureDefaults, { ...azureBaseline, controlPlaneNumber: 0 });
    assert.ok(
      problems.some((p) => p.startsWith('config.controlPlaneNumber ')),
      problems.join('\n'),
    );
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

describe('config keys are checked, not guessed', () => {
  it('an undefined key at any depth is named by path with the nearest defined key, every problem in one answer', () => {
    const problems = checkConfig(azureSchema, azureDefaults, {
      ...azureBaseline,
      workerNumber: 3,
      controlPlane: { vmSzie: 'x', vmSize: 'y' },
    });
    assert.ok(
      problems.includes('config.workerNumber is not a setting of this template; did you mean config.workersNumber?'),
      problems.join('\n'),
    );
    assert.ok(
      problems.includes('config.controlPlane.vmSzie is not a setting of this template; did you mean config.controlPlane.vmSize?'),
      problems.join('\n'),
    );
  });
  it('objects the schema leaves open (additionalProperties) accept any key', () => {
    assert.deepEqual(
      checkConfig(awsSchema, {}, { clusterLabels: { anything: 'x' }, k0s: { version: 'v1', network: { whatever: true } } }).filter((p) =>
        p.includes('not a setting'),
      ),
      [],
    );
  });
  it('__proto__, constructor and prototype keys, depth over 32 and more than 256 KiB are refused, without recursion', () => {
    const hostile = JSON.parse('{"a":{"__proto__":{"x":1}},"constructor":1}') as Record<string, unknown>;
    const problems = structureProblems(hostile, 'config');
    assert.equal(problems.length, 2, problems.join('\n'));
    let deep: Record<string, unknown> = {};
    const root = deep;
    for (let i = 0; i < 5000; i++) deep = (deep['n'] = {}) as Record<string, unknown>;
    assert.match(structureProblems(root, 'config').join(), /deeper than 32 levels/);
    assert.match(structureProblems({ big: 'x'.repeat(300 * 1024) }, 'config').join(), /at most 262144/);
    assert.deepEqual(structureProblems(azureBaseline, 'config'), []);
  });
  it('values echoed in messages are cut to about 200 characters', () => {
    const text = echo('x'.repeat(1_000_000));
    assert.ok(text.length < 240, String(text.length));
  });
});

describe('config outline for listTemplates', () => {
  it('from the schema: required keys without clusterIdentity, types, descriptions, small defaults from status.config', () => {
    const outline = outlineConfig(azureSchema, { ...azureDefaults, k0s: { version: 'v1', api: { extraArgs: { a: 'x'.repeat(200) } } } });
    assert.equal(outline.source, 'schema');
    assert.deepEqual(outline.required, [
      'controlPlaneNumber',
      'workersNumber',
      'location',
      'subscriptionID',
      'controlPlane',
      'worker',
      'controlPlane.vmSize',
      'worker.vmSize',
    ]);
    assert.equal(outline.properties.controlPlaneNumber?.type, 'integer');
    assert.equal(outline.properties.controlPlaneNumber?.default, 3);
    assert.equal(outline.properties.location?.default, '');
    assert.ok(outline.properties.location?.description);
    assert.equal(outline.properties.k0s?.default, undefined, 'large defaults are left out');
    assert.ok('clusterIdentity' in outline.properties);
  });
  it('has no holes: nested required keys (AWS controlPlane.instanceType) and the keys of bare objects from their defaults', () => {
    const awsDefaults = {
      controlPlane: { instanceType: '', iamInstanceProfile: 'cp', imageLookup: { format: 'x', org: '1' } },
      worker: { instanceType: '' },
      k0s: { version: 'v1' },
      clusterLabels: { team: 'a' },
    };
    const outline = outlineConfig(awsSchema, awsDefaults);
    for (const path of [
      'controlPlaneNumber',
      'workersNumber',
      'region',
      'controlPlane.instanceType',
      'controlPlane.iamInstanceProfile',
      'controlPlane.imageLookup.format',
      'controlPlane.imageLookup.org',
      'worker.instanceType',
      'k0s.version',
    ]) {
      assert.ok(outline.required.includes(path), `${path} in ${outline.required.join(', ')}`);
    }
    assert.ok(!outline.required.includes('clusterIdentity'));
    assert.deepEqual(outline.properties.clusterLabels?.keys, ['team'], 'a bare object shows the keys of its default');
    assert.ok(outline.properties.controlPlane?.keys?.includes('instanceType'), 'an object with properties shows its keys');
  });
  it('from status.config defaults when there is no schema', () => {
    const outline = outlineConfig(undefined, { replicas: 2, name: 'x' });
    assert.deepEqual(outline, {
      source: 'defaults',
      required: [],
      properties: { name: { type: 'string', default: 'x' }, replicas: { type: 'integer', default: 2 } },
    });
    assert.deepEqual(outlineConfig(undefined, { nested: { b: 1, a: 2 } }).properties.nested?.keys, ['a', 'b']);
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
  for (const [wanted, expected] of table)
    it(`${wanted} → ${expected ?? 'no suggestion'}`, () => assert.equal(nearestName(wanted, templates), expected));
});

describe('deploy inputs', () => {
  it('ns/name is accepted only for the target namespace', () => {
    assert.equal(plainReference('azure-standalone-cp-1-0-15', 'template', 'team-alpha'), 'azure-standalone-cp-1-0-15');
    assert.equal(plainReference('team-alpha/azure-standalone-cp-1-0-15', 'template', 'team-alpha'), 'azure-standalone-cp-1-0-15');
    assert.throws(
      () => plainReference('kcm-system/azure-standalone-cp-1-0-15', 'template', 'team-alpha'),
      (e: unknown) => e instanceof AppError && e.code === 'invalidParams' && e.message.includes('own namespace'),
    );
    assert.throws(
      () => plainReference('Bad_Name', 'credential', 'team-alpha'),
      (e: unknown) => e instanceof AppError && e.code === 'invalidParams',
    );
  });
  it('the manifest always carries spec.config and the managed labels win', () => {
    const manifest = buildClusterDeployment({
      name: 'c',
      namespace: 'n',
      template: 't',
      credential: 'k',
      labels: { env: 'dev', 'app.kubernetes.io/managed-by': 'someone' },
      config: undefined,
    });
    assert.deepEqual(manifest.spec, { template: 't', credential: 'k', config: {} });
    assert.deepEqual(manifest.metadata.labels, {
      env: 'dev',
      'app.kubernetes.io/managed-by': 'k0rdent-mcp',
      'k0rdent.mirantis.com/managed': 'true',
    });
    assert.equal(manifest.apiVersion, 'k0rdent.mirantis.com/v1beta1');
    assert.equal(manifest.kind, 'ClusterDeployment');
  });
});

describe('durations keep their bounds (pollInterval >= 1s, stallThreshold >= 10s, timeouts 1s..24h), never rounded to 0', () => {
  const table: [string, DurationBounds, number | undefined][] = [
    ['30s', POLL_INTERVAL, 30_000],
    ['10m', STALL_THRESHOLD, 600_000],
    ['1h30m', TIMEOUT, 5_400_000],
    ['1.5s', POLL_INTERVAL, 1500],
    ['1s', POLL_INTERVAL, 1000],
    ['24h', TIMEOUT, 86_400_000],
    ['1000.4ms', POLL_INTERVAL, 1001],
    ['500ms', POLL_INTERVAL, undefined],
    ['1ms', POLL_INTERVAL, undefined],
    ['0.4ms', POLL_INTERVAL, undefined],
    ['0s', TIMEOUT, undefined],
    ['9s', STALL_THRESHOLD, undefined],
    ['1ms', STALL_THRESHOLD, undefined],
    ['999ms', TIMEOUT, undefined],
    ['30', TIMEOUT, undefined],
    ['', TIMEOUT, undefined],
    ['-1s', TIMEOUT, undefined],
    ['1d', TIMEOUT, undefined],
    ['25h', TIMEOUT, undefined],
    ['24h1ms', TIMEOUT, undefined],
  ];
  for (const [text, bounds, ms] of table) {
    it(`"${text}" (min ${bounds.minMs}ms) → ${ms ?? 'invalidParams'}`, () => {
      if (ms === undefined)
        assert.throws(
          () => parseDuration(text, 'pollInterval', bounds),
          (e: unknown) => e instanceof AppError && e.code === 'invalidParams' && e.message.includes('pollInterval'),
        );
      else assert.equal(parseDuration(text, 'pollInterval', bounds), ms);
    });
  }
});

describe('deploy over an existing deployment: what differs', () => {
  const existing = {
    metadata: { labels: { a: '1', 'k0rdent.mirantis.com/component': 'kcm' } },
    spec: { template: 't', credential: 'c', config: { workersNumber: 1, worker: { vmSize: 'x' } } },
  };
  it('the same template, credential, config and labels: nothing (labels others added do not count)', () => {
    assert.deepEqual(
      deploymentDifferences(existing, {
        metadata: { labels: { a: '1' } },
        spec: { template: 't', credential: 'c', config: { workersNumber: 1, worker: { vmSize: 'x' } } },
      }),
      [],
    );
  });
  it('lists every differing path with old and new values', () => {
    const changes = deploymentDifferences(existing, {
      metadata: { labels: { a: '2' } },
      spec: { template: 't2', credential: 'c', config: { workersNumber: 3, worker: { vmSize: 'x' }, extra: true } },
    });
    assert.deepEqual(changes.map(describeChange), [
      'template: "t" → "t2"',
      'config.extra: (absent) → true',
      'config.workersNumber: 1 → 3',
      'labels["a"]: "1" → "2"',
    ]);
  });
});

describe('template change on an existing deployment', () => {
  const existing = {
    metadata: { name: 'c', namespace: 'n' },
    spec: { template: 'azure-standalone-cp-1-0-15' },
    status: { availableUpgrades: ['azure-standalone-cp-1-0-16'] },
  };
  it('same template or an available upgrade passes', () => {
    assertUpgradeAllowed(existing, 'azure-standalone-cp-1-0-15');
    assertUpgradeAllowed(existing, 'azure-standalone-cp-1-0-16');
  });
  it('anything else is invalidParams naming the available upgrades', () => {
    assert.throws(
      () => assertUpgradeAllowed(existing, 'azure-standalone-cp-1-0-45'),
      (e: unknown) => e instanceof AppError && e.code === 'invalidParams' && e.message.includes('azure-standalone-cp-1-0-16'),
    );
    assert.throws(
      () => assertUpgradeAllowed({ ...existing, status: {} }, 'x'),
      (e: unknown) => e instanceof AppError && /no available upgrades/.test(e.message),
    );
  });
});
