import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkIncludeObject, evaluatePath, humanDuration, toTable, wantsTable } from '../../src/sandbox/apiserver/table.js';
import { defaultRegistry } from '../../src/sandbox/apiserver/resources.js';

describe('sandbox Table rendering', () => {
  const obj = {
    spec: { template: 't' },
    status: {
      conditions: [
        { type: 'Ready', status: 'True' },
        { type: 'Other', status: 'False' },
      ],
    },
  };
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
    const table = toTable(def, [event], {}, null) as {
      columnDefinitions: { name: string; priority: number }[];
      rows: { cells: unknown[] }[];
    };
    assert.deepEqual(
      table.columnDefinitions.map((c) => `${c.name}:${c.priority}`),
      ['Last Seen:0', 'Type:0', 'Reason:0', 'Object:0', 'Message:0', 'Name:1'],
    );
    assert.deepEqual(table.rows[0]!.cells.slice(1), ['Normal', 'Provisioning', 'clusterdeployment/demo', 'started', 'demo.123']);
    assert.match(String(table.rows[0]!.cells[0]), /^\d+s$/);
  });
  it('fills CRD cells as the CRD table convertor does (tableconvertor.go cellForJSONValue)', () => {
    const def = {
      ...defaultRegistry().find('k0rdent.mirantis.com', 'v1beta1', 'clusterdeployments')!,
      printerColumns: [
        { name: 'S', type: 'string', jsonPath: '.spec.n' },
        { name: 'I', type: 'integer', jsonPath: '.spec.s' },
        { name: 'B', type: 'boolean', jsonPath: '.spec.b' },
        { name: 'M', type: 'string', jsonPath: '.spec.m' },
        { name: 'F', type: 'string', jsonPath: '.status.c[?(@.t=="x")].v' },
        { name: 'D', type: 'date', jsonPath: '.spec.d' },
        { name: 'X', type: 'string', jsonPath: '.spec.missing' },
      ],
    };
    const object = {
      apiVersion: 'k0rdent.mirantis.com/v1beta1',
      kind: 'ClusterDeployment',
      metadata: { name: 'demo', namespace: 'ns', resourceVersion: '7' },
      spec: { n: 3, s: 'three', b: true, m: { a: 1 }, d: 'not a time' },
      status: {
        c: [
          { t: 'x', v: 'first' },
          { t: 'x', v: 'second' },
        ],
      },
    };
    const table = toTable(def, [object], { resourceVersion: '7' }, null) as {
      columnDefinitions: { name: string; type: string; description: string }[];
      rows: { cells: unknown[] }[];
    };
    // A string column prints numbers; an integer column with a string is null; the first match only.
    assert.deepEqual(table.rows[0]!.cells, ['demo', '3', null, true, '{"a":1}', 'first', '<invalid>', null]);
    assert.deepEqual(
      table.columnDefinitions.map((c) => c.type),
      ['string', 'string', 'integer', 'boolean', 'string', 'string', 'date', 'string'],
    );
    assert.equal(table.columnDefinitions[1]!.description, 'Custom resource definition column (in JSONPath format): .spec.n');
  });
  it('refuses an includeObject kube-apiserver does not know (400, its wording)', () => {
    assert.throws(
      () => checkIncludeObject('Everything'),
      /Unable to convert to Table as requested: includeObject: Invalid value: "Everything": must be 'Metadata', 'Object', 'None', or empty/,
    );
    for (const ok of [null, '', 'Metadata', 'Object', 'None']) assert.doesNotThrow(() => checkIncludeObject(ok));
  });
});
