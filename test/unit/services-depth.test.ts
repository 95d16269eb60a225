/**
 * The pure parts of services in depth and MultiClusterServices, as tables: a clusterSelector as a list query (an empty
 * one matches nothing, as kcm), kcm's ServiceSet and Sveltos' ClusterSummary names, kcm's chain upgrade paths (the
 * longest path kept per destination, templatechain_common.go:152-190), what the view makes of servicesUpgradePaths,
 * and the top-level values check with a catalog nesting key.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertSelector, selectorQuery } from '../../src/services/cluster-selector.js';
import { clusterSummaryName as viewSummaryName, upgradesOf } from '../../src/services/status.js';
import { catalogNestingKey, unknownTopLevelKeys } from '../../src/services/values-keys.js';
import { clusterSummaryName, serviceSetName } from '../../src/sandbox/kcm/services-sets.js';
import { chainUpgradePaths } from '../../src/sandbox/kcm/services.js';
import type { KubeObject } from '../../src/sandbox/apiserver/types.js';

describe('clusterSelector as a list query', () => {
  const cases: [string, Parameters<typeof selectorQuery>[0], string | undefined][] = [
    ['empty: no cluster', {}, undefined],
    ['empty members: no cluster', { matchLabels: {}, matchExpressions: [] }, undefined],
    ['labels, sorted', { matchLabels: { team: 'alpha', env: 'dev' } }, 'env=dev,team=alpha'],
    [
      'expressions',
      {
        matchExpressions: [
          { key: 'env', operator: 'In', values: ['staging', 'dev'] },
          { key: 'tier', operator: 'NotIn', values: ['x'] },
          { key: 'owner', operator: 'Exists' },
          { key: 'legacy', operator: 'DoesNotExist' },
        ],
      },
      'env in (dev,staging),tier notin (x),owner,!legacy',
    ],
  ];
  for (const [what, selector, query] of cases) it(what, () => assert.equal(selectorQuery(selector), query));

  it('In without values and Exists with values are invalidParams', () => {
    assert.throws(() => assertSelector({ matchExpressions: [{ key: 'env', operator: 'In' }] }), /needs at least one value/);
    assert.throws(() => assertSelector({ matchExpressions: [{ key: 'env', operator: 'Exists', values: ['a'] }] }), /takes no `values`/);
  });
});

describe('names kcm and Sveltos give', () => {
  it('ServiceSet: the deployment own, <cd>-<first 4 bytes of sha256(mcs)> for a MultiClusterService', () => {
    assert.equal(serviceSetName('alpha-dev-cluster'), 'alpha-dev-cluster');
    assert.match(serviceSetName('beta-staging-cluster', 'platform-monitoring'), /^beta-staging-cluster-[0-9a-f]{8}$/);
    assert.notEqual(serviceSetName('c', 'a'), serviceSetName('c', 'b'));
  });
  it('ClusterSummary of a Profile on a CAPI cluster: p--<profile>-capi-<cluster>, the same in the sandbox and the view', () => {
    assert.equal(clusterSummaryName('alpha-dev-cluster', 'alpha-dev-cluster'), 'p--alpha-dev-cluster-capi-alpha-dev-cluster');
    assert.equal(viewSummaryName('x-1a2b3c4d', 'x'), clusterSummaryName('x-1a2b3c4d', 'x'));
  });
});

describe('chain upgrade paths (kcm UpgradePaths)', () => {
  const chain = (supported: unknown[]): KubeObject =>
    ({
      apiVersion: 'k0rdent.mirantis.com/v1beta1',
      kind: 'ServiceTemplateChain',
      metadata: { name: 'c' },
      spec: { supportedTemplates: supported },
    }) as unknown as KubeObject;
  it('a template the chain does not support has no paths', () => assert.equal(chainUpgradePaths(chain([{ name: 'a' }]), 'b'), undefined));
  it('no upgrades: none', () => assert.deepEqual(chainUpgradePaths(chain([{ name: 'a' }]), 'a'), []));
  it('direct and transitive, the longest path per destination, versions defaulting to the name', () => {
    const paths = chainUpgradePaths(
      chain([
        {
          name: 'a-1',
          availableUpgrades: [
            { name: 'a-2', version: '2' },
            { name: 'a-3', version: '3' },
          ],
        },
        { name: 'a-2', availableUpgrades: [{ name: 'a-3', version: '3' }] },
        { name: 'a-3', availableUpgrades: [{ name: 'a-4' }] },
        { name: 'a-4' },
      ]),
      'a-1',
    );
    assert.deepEqual(paths, [
      [{ name: 'a-2', version: '2' }],
      [
        { name: 'a-2', version: '2' },
        { name: 'a-3', version: '3' },
      ],
      [
        { name: 'a-2', version: '2' },
        { name: 'a-3', version: '3' },
        { name: 'a-4', version: 'a-4' },
      ],
    ]);
  });
  it('the view lists every template on the paths but the current one', () => {
    const cd = {
      status: {
        servicesUpgradePaths: [
          { name: 'k', namespace: 'k', template: 'k-1', availableUpgrades: [{ versions: [{ name: 'k-1', version: 'k-1' }] }] },
          {
            name: 'm',
            namespace: 'default',
            template: 'm-1',
            availableUpgrades: [{ versions: [{ name: 'm-2' }, { name: 'm-3' }] }, { versions: [{ name: 'm-2' }] }],
          },
        ],
      },
    };
    const upgrades = upgradesOf(cd as never);
    assert.deepEqual(upgrades.get('k/k'), []);
    assert.deepEqual(upgrades.get('default/m'), ['m-2', 'm-3']);
  });
});

describe('values top level against the chart', () => {
  const t = 'team-alpha/x';
  it('nothing known: nothing checked', () =>
    assert.deepEqual(unknownTopLevelKeys({ anything: 1 }, undefined, undefined, undefined, t), []));
  it('an open schema: nothing checked', () =>
    assert.deepEqual(
      unknownTopLevelKeys({ anything: 1 }, { type: 'object', properties: { a: {} }, additionalProperties: true }, undefined, undefined, t),
      [],
    ));
  it('defaults and schema keys, plus global, are known; a typo names the nearest key', () => {
    const problems = unknownTopLevelKeys(
      { replicaCount: 1, global: {}, replicaCont: 2 },
      { properties: { replicaCount: {} } },
      { crds: {} },
      undefined,
      t,
    );
    assert.deepEqual(problems, ['values.replicaCont is not a setting of ServiceTemplate team-alpha/x; did you mean values.replicaCount?']);
  });
  it('a catalog wrapper nests the upstream settings', () => {
    const [problem] = unknownTopLevelKeys({ controller: {} }, undefined, {}, 'ingress-nginx', t);
    assert.match(problem ?? '', /nest under values\["ingress-nginx"\] — did you mean values\["ingress-nginx"\]\.controller\?/);
    assert.deepEqual(unknownTopLevelKeys({ 'ingress-nginx': { controller: {} } }, undefined, {}, 'ingress-nginx', t), []);
  });
  it('a chart of the catalog name whose own keys do not nest is the upstream chart', () => {
    assert.deepEqual(unknownTopLevelKeys({ controller: {} }, undefined, { controller: {} }, 'ingress-nginx', t), []);
  });
  it('the nesting key comes from the bundled catalog, for a version it lists', () => {
    assert.equal(catalogNestingKey('ingress-nginx', '4.15.1'), 'ingress-nginx');
    assert.equal(catalogNestingKey('ingress-nginx', '0.0.1'), undefined);
    assert.equal(catalogNestingKey(undefined, '4.15.1'), undefined);
  });
});
