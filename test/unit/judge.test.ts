/**
 * The one judge of every wait and task (src/k0rdent/judge.ts), as a table over the condition sequences the
 * simulated kcm writes (recorded by test/fixtures/record-kcm-sequences.ts into kcm-sequences.json) plus a
 * few states built from kcm's source. Each row: the object (or its absence), the target, what the judge says.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  DELETED_WHILE_WAITING,
  judge,
  type CapiObservation,
  type GoneTarget,
  type JudgeTarget,
  type ObservedDeployment,
  type ReadyTarget,
  type Verdict,
} from '../../src/k0rdent/judge.js';
import { progressLine } from '../../src/clusters/progress.js';
import { needsMachineCounts, taskState } from '../../src/tasks/task-state.js';
import { decodeTaskId, encodeTaskId } from '../../src/tasks/task-id.js';
import type { FollowTask } from '../../src/tasks/task-id.js';

interface Recorded {
  event: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: ObservedDeployment & { metadata: { name: string; uid: string; generation: number } };
}
const fixture = JSON.parse(readFileSync(new URL('../../../test/fixtures/kcm-sequences.json', import.meta.url), 'utf8')) as {
  sequences: Record<string, { states: Recorded[] }>;
};
/** State `i` of a recorded sequence. */
function at(sequence: string, i: number): Recorded['object'] {
  const state = fixture.sequences[sequence]?.states[i];
  assert.ok(state, `recorded ${sequence}[${i}]`);
  return state.object;
}
const conditionOf = (object: ObservedDeployment, type: string) =>
  ((object.status as { conditions?: { type: string; message?: string }[] } | undefined)?.conditions ?? []).find((c) => c.type === type);

const A = at('provision', 0).metadata.uid;
const B = at('recreated', 0).metadata.uid;
const RELEASE_V1 = conditionOf(at('provision', 6), 'HelmReleaseReady')?.message;
const RELEASE_V2 = conditionOf(at('config-change', 5), 'HelmReleaseReady')?.message;
const CHART = 'azure-standalone-cp@1.0.45';
const deleteSpec = { cleanupOnDeletion: true };

const ready = (generation: number, extra: Partial<Omit<ReadyTarget, 'kind'>> = {}): ReadyTarget => ({
  kind: 'ready',
  generation,
  uid: A,
  ...extra,
});
const gone = (extra: Partial<Omit<GoneTarget, 'kind'>> = {}): GoneTarget => ({ kind: 'gone', uid: A, spec: deleteSpec, ...extra });
const BAD = at('failed-render', 0).metadata.uid;

interface Expect {
  verdict: Verdict;
  phase: string | RegExp;
  /** `done/total name`. */
  step?: string;
  failure?: string;
  replaced?: boolean;
}

const rows: [string, ObservedDeployment | undefined, JudgeTarget, Expect][] = [
  // Provisioning (recorded: provision).
  [
    'created, no status yet',
    at('provision', 0),
    ready(1),
    { verdict: 'pending', phase: 'Pending (no conditions reported yet)', step: '0/6 TemplateReady' },
  ],
  [
    'kcm added its finalizer, still no conditions',
    at('provision', 1),
    ready(1),
    { verdict: 'pending', phase: /^Pending/, step: '0/6 TemplateReady' },
  ],
  [
    'checks passed, HelmRelease progressing',
    at('provision', 2),
    ready(1),
    { verdict: 'pending', phase: 'Provisioning (HelmReleaseReady: Progressing)', step: '3/6 HelmReleaseReady' },
  ],
  [
    'HelmRelease reconciling',
    at('provision', 4),
    ready(1),
    { verdict: 'pending', phase: 'Provisioning (HelmReleaseReady: Progressing: Reconciliation in progress)', step: '3/6 HelmReleaseReady' },
  ],
  [
    'chart installed, CAPI cluster not yet up',
    at('provision', 5),
    ready(1),
    { verdict: 'pending', phase: /^Provisioning \(CAPIClusterSummary: IssuesReported/, step: '4/6 CAPIClusterSummary' },
  ],
  ['Ready for generation 1', at('provision', 6), ready(1), { verdict: 'ready', phase: 'Ready', step: '6/6 Ready' }],
  [
    'Ready, target uid unknown (an update that did not read it)',
    at('provision', 6),
    ready(1, { uid: undefined }),
    { verdict: 'ready', phase: 'Ready' },
  ],

  // A config change (recorded: config-change), generation 2.
  [
    'generation 2 written, kcm has not observed it (Ready of generation 1 does not count)',
    at('config-change', 0),
    ready(2, { previousRelease: RELEASE_V1 }),
    { verdict: 'pending', phase: 'Pending (kcm has not yet observed generation 2)', step: '0/6 TemplateReady' },
  ],
  [
    'observed, Ready@2 copied before helm-controller upgraded (previous release)',
    at('config-change', 1),
    ready(2, { previousRelease: RELEASE_V1 }),
    { verdict: 'pending', phase: 'Pending (HelmReleaseReady still reports the release from before the change)', step: '0/6 TemplateReady' },
  ],
  [
    'the same state without the previous release: nothing tells it apart from Ready',
    at('config-change', 1),
    ready(2),
    { verdict: 'ready', phase: 'Ready' },
  ],
  [
    'upgrade reconciling',
    at('config-change', 3),
    ready(2, { previousRelease: RELEASE_V1 }),
    { verdict: 'pending', phase: /^Provisioning \(HelmReleaseReady: Progressing/, step: '3/6 HelmReleaseReady' },
  ],
  [
    'upgraded, CAPI cluster catching up',
    at('config-change', 4),
    ready(2, { previousRelease: RELEASE_V1 }),
    { verdict: 'pending', phase: /^Provisioning \(CAPIClusterSummary/, step: '4/6 CAPIClusterSummary' },
  ],
  ['Ready for generation 2', at('config-change', 5), ready(2, { previousRelease: RELEASE_V1 }), { verdict: 'ready', phase: 'Ready' }],

  // A chart upgrade (recorded: chart-upgrade), generation 3.
  [
    'template changed, generation 3 not yet observed',
    at('chart-upgrade', 0),
    ready(3, { chart: CHART, previousRelease: RELEASE_V2 }),
    { verdict: 'pending', phase: 'Pending (kcm has not yet observed generation 3)' },
  ],
  [
    'Ready@3 still naming the old chart (upgrade not yet applied), by previous release',
    at('chart-upgrade', 1),
    ready(3, { chart: CHART, previousRelease: RELEASE_V2 }),
    { verdict: 'pending', phase: 'Pending (HelmReleaseReady still reports the release from before the change)' },
  ],
  [
    'Ready@3 still naming the old chart, by chart only',
    at('chart-upgrade', 2),
    ready(3, { chart: CHART }),
    { verdict: 'pending', phase: `Pending (HelmReleaseReady does not name chart ${CHART} yet)` },
  ],
  [
    'the new chart reconciling',
    at('chart-upgrade', 3),
    ready(3, { chart: CHART, previousRelease: RELEASE_V2 }),
    { verdict: 'pending', phase: /^Provisioning \(HelmReleaseReady/, step: '3/6 HelmReleaseReady' },
  ],
  [
    'Ready with the new chart',
    at('chart-upgrade', 5),
    ready(3, { chart: CHART, previousRelease: RELEASE_V2 }),
    { verdict: 'ready', phase: 'Ready' },
  ],
  [
    'someone else wrote generation 3 meanwhile: Ready@2 is stale for a wait on generation 2',
    at('chart-upgrade', 0),
    ready(2),
    { verdict: 'pending', phase: 'Pending (kcm has not yet observed generation 3)' },
  ],

  // A config the chart refuses (recorded: failed-render).
  [
    'failed render: still pending before kcm checks',
    at('failed-render', 1),
    ready(1, { uid: BAD }),
    { verdict: 'pending', phase: /^Pending/ },
  ],
  [
    'failed render: HelmChartReady False/Failed ends the wait',
    at('failed-render', 2),
    ready(1, { uid: BAD }),
    {
      verdict: 'failed',
      phase: /^Failed \(HelmChartReady: Failed: failed to validate template with provided configuration: .*must be integer\)$/,
      failure: 'HelmChartReady',
    },
  ],
  [
    'failed render, later status write',
    at('failed-render', 3),
    ready(1, { uid: BAD }),
    { verdict: 'failed', phase: /^Failed/, failure: 'HelmChartReady' },
  ],
  [
    'a failure of an earlier generation does not end a wait on the next (generation 2 not observed)',
    { ...at('failed-render', 3), metadata: { ...at('failed-render', 3).metadata, generation: 2 } },
    ready(2, { uid: at('failed-render', 3).metadata.uid }),
    { verdict: 'pending', phase: 'Pending (kcm has not yet observed generation 2)' },
  ],

  // Deletion (recorded: deletion), cleanupOnDeletion: 4 steps (kcm clusterdeployment_controller.go:1706-1743).
  [
    'deletionTimestamp set, kcm has not written Deleting yet',
    at('deletion', 0),
    gone(),
    { verdict: 'pending', phase: 'Deleting', step: '0/4 WaitingForCloudResourcesDeletion' },
  ],
  [
    'Deleting: WaitingForCloudResourcesDeletion',
    at('deletion', 1),
    gone(),
    { verdict: 'pending', phase: /^Deleting \(Deleting: WaitingForCloudResourcesDeletion/, step: '0/4 WaitingForCloudResourcesDeletion' },
  ],
  [
    'Deleting: WaitingForClusterDeletion',
    at('deletion', 3),
    gone(),
    { verdict: 'pending', phase: /^Deleting/, step: '1/4 WaitingForClusterDeletion' },
  ],
  [
    'Deleting: WaitingForHelmReleaseDeletion',
    at('deletion', 4),
    gone(),
    { verdict: 'pending', phase: /^Deleting/, step: '2/4 WaitingForHelmReleaseDeletion' },
  ],
  [
    'Deleting: WaitingForServiceSetsDeletion',
    at('deletion', 5),
    gone(),
    { verdict: 'pending', phase: /^Deleting/, step: '3/4 WaitingForServiceSetsDeletion' },
  ],
  ['absent after the DELETED event', undefined, gone(), { verdict: 'gone', phase: 'Deleted', step: '4/4 Deleted' }],
  [
    'a deployment with a data source has a fifth step (kcm :1740)',
    { ...at('deletion', 5), spec: { ...at('deletion', 5).spec, dataSource: 'db' } },
    gone(),
    { verdict: 'pending', phase: /^Deleting/, step: '3/5 WaitingForServiceSetsDeletion' },
  ],

  // Re-created under the same name (recorded: recreated): another uid is another object (kubectl wait delete.go:58-62).
  [
    'delete wait: the name holds a new object (no status yet)',
    at('recreated', 0),
    gone(),
    { verdict: 'gone', phase: 'Deleted', replaced: true },
  ],
  [
    'delete wait: the new object provisioning',
    at('recreated', 6),
    gone(),
    { verdict: 'gone', phase: 'Deleted', step: '4/4 Deleted', replaced: true },
  ],
  [
    'delete wait, uid unknown: an object not being deleted was created after the DELETE',
    at('recreated', 6),
    gone({ uid: undefined }),
    { verdict: 'gone', phase: 'Deleted', replaced: true },
  ],
  [
    'delete wait, uid unknown: an object being deleted may be the one',
    at('deletion', 3),
    gone({ uid: undefined }),
    { verdict: 'pending', phase: /^Deleting/, step: '1/4 WaitingForClusterDeletion' },
  ],
  [
    'deploy wait: the object waited for was replaced by another of the same name',
    at('recreated', 6),
    ready(1),
    { verdict: 'gone', phase: `${DELETED_WHILE_WAITING} (its name now holds another object)`, replaced: true },
  ],
  [
    'deploy wait of the new object itself (its uid) is not confused by the old one',
    at('recreated', 2),
    ready(1, { uid: B }),
    { verdict: 'pending', phase: /^Provisioning/, step: '3/6 HelmReleaseReady' },
  ],

  // Deletion seen by a deploy/update wait.
  [
    'deploy wait: deletion began although Ready (deletionTimestamp wins)',
    at('deletion', 0),
    ready(3),
    { verdict: 'deleting', phase: 'Deleting', step: '5/6 Ready' },
  ],
  [
    'deploy wait: deletion under way',
    at('deletion', 3),
    ready(3),
    { verdict: 'deleting', phase: /^Deleting \(Deleting: WaitingForClusterDeletion/ },
  ],
  ['deploy wait: the object is gone', undefined, ready(1), { verdict: 'gone', phase: DELETED_WHILE_WAITING }],
];

describe('the judge of every wait, over recorded kcm condition sequences', () => {
  it('has at least 30 rows', () => assert.ok(rows.length >= 30, `${rows.length} rows`));
  for (const [name, object, target, expected] of rows) {
    it(name, () => {
      const j = judge(object, target);
      assert.equal(j.verdict, expected.verdict);
      assert.equal(j.done, expected.verdict !== 'pending');
      if (typeof expected.phase === 'string') assert.equal(j.phase, expected.phase);
      else assert.match(j.phase, expected.phase);
      if (expected.step !== undefined) assert.equal(j.step && `${j.step.done}/${j.step.total} ${j.step.name}`, expected.step);
      assert.equal(j.failure?.type, expected.failure);
      assert.equal(j.replaced, expected.replaced ?? false);
      if (j.verdict === 'gone') assert.equal(j.object, undefined);
    });
  }
});

describe('the judge: fingerprint and detail', () => {
  it('every recorded state that changed the conditions changes the fingerprint; a repeat does not', () => {
    for (const [sequence, target] of [
      ['provision', ready(1)],
      ['deletion', gone()],
    ] as const) {
      const states = fixture.sequences[sequence]!.states.filter((s) => s.event !== 'DELETED');
      for (let i = 1; i < states.length; i++) {
        const [before, after] = [states[i - 1]!.object, states[i]!.object];
        const same =
          JSON.stringify(before.status) === JSON.stringify(after.status) && before.metadata.generation === after.metadata.generation;
        assert.equal(judge(before, target).fingerprint === judge(after, target).fingerprint, same, `${sequence}[${i}]`);
      }
    }
  });

  it('the detail hook adds to the judgement and its fingerprint (issue 21 builds on it)', () => {
    const object = at('provision', 5);
    const plain = judge(object, ready(1));
    const detailed = judge(object, ready(1), { detail: () => 'workers 0/1 ready' });
    assert.equal(detailed.detail, 'workers 0/1 ready');
    assert.equal(plain.detail, undefined);
    assert.notEqual(detailed.fingerprint, plain.fingerprint);
    assert.equal(detailed.phase, plain.phase);
    assert.equal(
      progressLine(detailed.phase, detailed.step, 250_000, detailed.detail),
      'Provisioning: CAPIClusterSummary (4/6), workers 0/1 ready, 4m10s',
    );
    assert.equal(progressLine(plain.phase, plain.step, 250_000, plain.detail), 'Provisioning: CAPIClusterSummary (4/6), 4m10s');
  });
});

/**
 * A scale from 1 to 3 workers (issue 21): kcm's Ready for the update's generation (recorded: config-change, Ready@2)
 * is not enough while the CAPI Cluster's counters (cluster-api api/core/v1beta2/cluster_types.go:1534-1574, as the
 * wait reads them through src/clusters/capi-summary.ts) have not reached the count asked for.
 */
describe('the judge: an update that changes the machine counts waits for the CAPI counters too', () => {
  const cp = { desired: 1, ready: 1, upToDate: 1 };
  const counters = (desired: number, ready: number, upToDate?: number): CapiObservation => ({
    controlPlane: cp,
    workers: { desired, ready, ...(upToDate !== undefined ? { upToDate } : {}) },
  });
  const scale = ready(2, { previousRelease: RELEASE_V1, machines: { workers: 3 } });
  const kcmReady = at('config-change', 5);
  const rows: [string, ObservedDeployment, CapiObservation | undefined, Verdict, RegExp][] = [
    [
      'kcm not Ready yet: pending whatever CAPI says',
      at('config-change', 4),
      counters(3, 3, 3),
      'pending',
      /^Provisioning \(CAPIClusterSummary/,
    ],
    [
      'kcm Ready before CAPI counted the new workers (desired still 1)',
      kcmReady,
      counters(1, 1, 1),
      'pending',
      /^Provisioning \(kcm reports Ready; Cluster API not there yet: workers 1\/3 ready, 1\/3 up to date, status\.workers\.desiredReplicas 1\)$/,
    ],
    ['kcm Ready, the counters not read yet', kcmReady, undefined, 'pending', /machine counters not read yet/],
    [
      'counters catching up: 3 desired, 1 ready',
      kcmReady,
      counters(3, 1, 3),
      'pending',
      /Cluster API not there yet: workers 1\/3 ready, 3\/3 up to date\)$/,
    ],
    ['counters caught up: 3 desired = ready = up to date', kcmReady, counters(3, 3, 3), 'ready', /^Ready$/],
    [
      'a provider that never reports up-to-date counters: the phase names the counter',
      kcmReady,
      counters(3, 3),
      'pending',
      /does not report status\.workers\.upToDateReplicas/,
    ],
    [
      'a CAPI Cluster without worker counters: the phase names the block',
      kcmReady,
      { controlPlane: cp },
      'pending',
      /does not report status\.workers\)$/,
    ],
    ["an adopted cluster without a CAPI Cluster: kcm's Ready alone", kcmReady, 'none', 'ready', /^Ready$/],
    ["the caller may not read CAPI Clusters: kcm's Ready alone", kcmReady, 'refused', 'ready', /^Ready$/],
  ];
  for (const [name, object, capi, verdict, phase] of rows) {
    it(name, () => {
      const j = judge(object, scale, { capi });
      assert.equal(j.verdict, verdict);
      assert.match(j.phase, phase);
      assert.equal(j.machinesBehind !== undefined, /kcm reports Ready/.test(j.phase));
    });
  }

  it('a template change waits for every counter to settle, at whatever count', () => {
    const upgrade = ready(2, { previousRelease: RELEASE_V1, machines: { workers: 'settled', controlPlane: 'settled' } });
    const rolling = judge(kcmReady, upgrade, {
      capi: { controlPlane: { desired: 3, ready: 3, upToDate: 1 }, workers: { desired: 2, ready: 2, upToDate: 2 } },
    });
    assert.equal(rolling.verdict, 'pending');
    assert.match(rolling.phase, /control plane 3\/3 ready, 1\/3 up to date\)$/);
    const settled = judge(kcmReady, upgrade, {
      capi: { controlPlane: { desired: 3, ready: 3, upToDate: 3 }, workers: { desired: 2, ready: 2, upToDate: 2 } },
    });
    assert.equal(settled.verdict, 'ready');
  });

  it('the counters are part of the fingerprint and the step is the last before Ready', () => {
    const a = judge(kcmReady, scale, { capi: counters(3, 1, 3) });
    const b = judge(kcmReady, scale, { capi: counters(3, 2, 3) });
    assert.notEqual(a.fingerprint, b.fingerprint);
    assert.equal(a.step && `${a.step.done}/${a.step.total} ${a.step.name}`, '5/6 Ready');
  });

  it('a target without machines is judged on kcm alone, as before', () => {
    assert.equal(judge(kcmReady, ready(2, { previousRelease: RELEASE_V1 }), { capi: counters(1, 1, 1) }).verdict, 'ready');
  });
});

describe('a follow task says what the judge says', () => {
  const task = (op: FollowTask['op'], generation: number): FollowTask => ({
    kind: 'follow',
    op,
    namespace: 'team-alpha',
    name: 'rec-a',
    uid: A,
    generation,
    created: Date.now(),
    timeoutMs: 60_000,
    result: {},
    nonce: 'n',
  });
  it('delete task: completed once the name holds another object (as the delete wait)', () => {
    const state = taskState(task('delete', 3), at('recreated', 0) as never, Date.now());
    assert.equal(state.status, 'completed');
    assert.equal(state.result['gone'], true);
  });
  it('deploy task: working → completed through the recorded provisioning; failed when replaced', () => {
    const statuses = fixture.sequences['provision']!.states.map((s) => taskState(task('deploy', 1), s.object as never, Date.now()).status);
    assert.deepEqual(statuses, ['working', 'working', 'working', 'working', 'working', 'working', 'completed']);
    assert.equal(taskState(task('deploy', 1), at('recreated', 6) as never, Date.now()).status, 'failed');
  });
  it('update task that scaled: working while kcm is Ready and CAPI has not counted the workers, then completed', () => {
    const t: FollowTask = { ...task('update', 2), previousRelease: RELEASE_V1, machines: { workers: 3 } };
    const kcmReady = at('config-change', 5) as never;
    assert.equal(needsMachineCounts(t, at('config-change', 4) as never), false, 'no CAPI read before kcm is Ready');
    assert.equal(needsMachineCounts(t, kcmReady), true);
    const behind = taskState(t, kcmReady, Date.now(), {
      capi: { workers: { desired: 3, ready: 1, upToDate: 3 } },
      detail: 'workers 1/3 ready, 2 provisioning',
    });
    assert.equal(behind.status, 'working');
    assert.match(behind.statusMessage, /workers 1\/3 ready/);
    assert.equal(taskState(t, kcmReady, Date.now(), { capi: { workers: { desired: 3, ready: 3, upToDate: 3 } } }).status, 'completed');
    assert.equal(taskState(t, kcmReady, Date.now(), { capi: 'none' }).status, 'completed');
    assert.equal(taskState(t, kcmReady, Date.now()).status, 'working', 'unread counters do not complete it');
    // The task id carries the machine target (a task is its id).
    const decoded = decodeTaskId(encodeTaskId(t));
    assert.deepEqual(decoded && decoded.kind === 'follow' ? decoded.machines : undefined, { workers: 3 });
  });
  it('update task with a chart: Ready still naming the old chart keeps it working', () => {
    const t = { ...task('update', 3), chart: CHART };
    assert.equal(taskState(t, at('chart-upgrade', 2) as never, Date.now()).status, 'working');
    assert.equal(taskState(t, at('chart-upgrade', 5) as never, Date.now()).status, 'completed');
  });
});
