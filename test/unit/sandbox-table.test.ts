import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluatePath, humanDuration, toTable, wantsTable } from '../../src/sandbox/apiserver/table.js';
import { defaultRegistry } from '../../src/sandbox/apiserver/resources.js';

describe('sandbox Table rendering', () => {
  const obj = { spec: { template: 't' }, status: { conditions: [{ type: 'Ready', status: 'True' }, { type: 'Other', status: 'False' }] } };
  it('evaluates the JSONPath forms used by printer columns', () => {
    assert.equal(evaluatePath(obj, '.spec.template'), 't');
    assert.equal(evaluatePath(obj, '.status.conditions[?(@.type=="Ready")].status'), 'True');
    assert.equal(evaluatePath(obj, ".status.conditions[?(@.type=='Other')].status"), 'False');
    assert.equal(evaluatePath(obj, '.status.conditions[?(@.type=="Missing")].status'), undefined);
    assert.equal(evaluatePath(obj, '.spec.nothing'), undefined);
  });
  it('renders ages like kubectl', () => {
    const cases: [number, string][] = [
      [5_000, '5s'],
      [119_000, '119s'],
      [150_000, '2m30s'],
      [30 * 60_000, '30m'],
      [5 * 3600_000 + 60_000, '5h1m'],
      [30 * 3600_000, '30h'],
      [3 * 86400_000, '3d'],
      [400 * 86400_000, '400d'],
    ];
    for (const [ms, text] of cases) assert.equal(humanDuration(ms), text);
  });
  it('answers with a Table only when the first Accept asks for one', () => {
    assert.equal(wantsTable('application/json;as=Table;v=v1;g=meta.k8s.io,application/json'), true);
    assert.equal(wantsTable('application/json, */*'), false);
    assert.equal(wantsTable(undefined), false);
  });
  it('prints events like the API server: name only under -o wide, object as kind/name', () => {
    const def = defaultRegistry().find('', 'v1', 'events')!;
    const event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'demo.123', namespace: 'ns' },
      involvedObject: { kind: 'ClusterDeployment', name: 'demo' },
      type: 'Normal',
      reason: 'Provisioning',
      message: 'started',
      lastTimestamp: new Date(Date.now() - 5_000).toISOString(),
    };
    const table = toTable(def, [event], {}, null) as { columnDefinitions: { name: string; priority: number }[]; rows: { cells: unknown[] }[] };
    assert.deepEqual(table.columnDefinitions.map((c) => `${c.name}:${c.priority}`), ['Last Seen:0', 'Type:0', 'Reason:0', 'Object:0', 'Message:0', 'Name:1']);
    assert.deepEqual(table.rows[0]!.cells.slice(1), ['Normal', 'Provisioning', 'clusterdeployment/demo', 'started', 'demo.123']);
    assert.match(String(table.rows[0]!.cells[0]), /^\d+s$/);
  });
});
