import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluatePath, humanDuration, wantsTable } from '../../src/sandbox/apiserver/table.js';

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
});
