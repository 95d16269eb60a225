/**
 * The pure parts of issue 18's optimistic concurrency and placeholder refusal, as tables: which 409s are a
 * stale write (re-merge), an AlreadyExists (compare) or a failed uid precondition (replaced); which paths
 * two changes share; where a `<FILL: …>` marker sits in a config.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../../src/errors.js';
import { assertNoPlaceholders, findPlaceholders, placeholderLines } from '../../src/shared/config-guard.js';
import { isAlreadyExists, isPreconditionFailed, isStaleWrite, overlappingPaths, pathsOverlap } from '../../src/shared/optimistic.js';

const conflict = (reason: string, message: string): AppError => new AppError('conflict', message, { httpStatus: 409, reason });

describe('the 409s of a write, told apart', () => {
  const rows: [string, AppError, { stale: boolean; exists: boolean; replaced: boolean }][] = [
    [
      'stale resourceVersion (store.go Update)',
      conflict(
        'Conflict',
        'apply X: Operation cannot be fulfilled on clusterdeployments.k0rdent.mirantis.com "a": the object has been modified; please apply your changes to the latest version and try again',
      ),
      { stale: true, exists: false, replaced: false },
    ],
    [
      'uid of a missing object (patch.go applyPatch)',
      conflict(
        'Conflict',
        'Operation cannot be fulfilled on clusterdeployments.k0rdent.mirantis.com "a": uid mismatch: the provided object specified uid u, and no existing object was found',
      ),
      { stale: true, exists: false, replaced: false },
    ],
    [
      'create of a taken name',
      conflict('AlreadyExists', 'clusterdeployments.k0rdent.mirantis.com "a" already exists'),
      { stale: false, exists: true, replaced: false },
    ],
    [
      'DELETE uid precondition (delete.go BeforeDelete)',
      conflict(
        'Conflict',
        'Operation cannot be fulfilled on ClusterDeployment.k0rdent.mirantis.com "a": the UID in the precondition (u) does not match the UID in record (v). The object might have been deleted and then recreated',
      ),
      { stale: false, exists: false, replaced: true },
    ],
    [
      'DELETE uid precondition raced in storage (interfaces.go Preconditions.Check)',
      conflict(
        'Conflict',
        'Operation cannot be fulfilled on clusterdeployments.k0rdent.mirantis.com "a": Precondition failed: UID in precondition: u, UID in object meta: v',
      ),
      { stale: false, exists: false, replaced: true },
    ],
    [
      'server-side apply ownership conflict',
      conflict('Conflict', 'Apply failed with 1 conflict: conflict with "kubectl" using k0rdent.mirantis.com/v1beta1: .spec.template'),
      { stale: false, exists: false, replaced: false },
    ],
  ];
  for (const [name, error, expected] of rows) {
    it(name, () => {
      assert.deepEqual({ stale: isStaleWrite(error), exists: isAlreadyExists(error), replaced: isPreconditionFailed(error) }, expected);
    });
  }
  it('a conflict the product raised itself (no HTTP status) is none of them', () => {
    const own = new AppError('conflict', 'the object has been modified', { reason: 'Conflict' });
    assert.deepEqual([isStaleWrite(own), isAlreadyExists(own), isPreconditionFailed(own)], [false, false, false]);
  });
});

describe('paths two writers both changed', () => {
  const rows: [string, string, boolean][] = [
    ['config.workersNumber', 'config.workersNumber', true],
    ['config.worker', 'config.worker.vmSize', true],
    ['config.worker.vmSize', 'config.worker', true],
    ['config.worker', 'config.workersNumber', false],
    ['labels["a"]', 'labels["ab"]', false],
    ['config', 'config["odd key"]', true],
    ['template', 'credential', false],
  ];
  for (const [a, b, overlap] of rows) it(`${a} / ${b} → ${overlap}`, () => assert.equal(pathsOverlap(a, b), overlap));
  it('names the caller’s paths that overlap', () => {
    assert.deepEqual(overlappingPaths([{ path: 'config.workersNumber' }, { path: 'labels["u1"]' }], [{ path: 'config.workersNumber' }]), [
      'config.workersNumber',
    ]);
  });
});

describe('placeholders in a config', () => {
  it('finds every marker, at any depth and inside other text, with its path', () => {
    const found = findPlaceholders(
      { location: '<FILL: location>', worker: { vmSize: 'x <FILL: worker.vmSize> y' }, list: ['<FILL>'], ok: 'FILL', n: 3 },
      'config',
    );
    assert.deepEqual(
      found.map((p) => [p.path, p.marker]),
      [
        ['config.list[0]', '<FILL>'],
        ['config.location', '<FILL: location>'],
        ['config.worker.vmSize', '<FILL: worker.vmSize>'],
      ],
    );
  });
  it('refuses with invalidParams naming the path and what the schema says goes there', () => {
    assert.throws(
      () => assertNoPlaceholders({ location: '<FILL: location>' }, 'config', () => 'string: Azure location to use'),
      (e: unknown) =>
        e instanceof AppError &&
        e.code === 'invalidParams' &&
        /config\.location is still the placeholder "<FILL: location>": put the real value there \(string: Azure location to use\)/.test(
          e.message,
        ),
    );
    assert.doesNotThrow(() => assertNoPlaceholders({ location: 'westus2', note: 'fill <in>' }, 'config'));
  });
  it('in templated YAML text, by line', () => {
    assert.deepEqual(placeholderLines('a: {{ .Cluster.name }}\nb: "<FILL: b>"\n'), [{ line: 2, marker: '<FILL: b>' }]);
  });
});
