/**
 * The sandbox's reading of the shipped charts (src/sandbox/kcm/chart-required.ts) against what Helm's render reports
 * for a config that nulls an object the templates dereference. The expected texts are Helm's (helm v3.21.3 engine.go
 * cleanupExecError passes text/template's ExecError on as is), taken from `.helm/bin/helm template` on the same values
 * (its multi-line wording put back on one line); kcm-differential-charts holds one of them against real kcm. Where the
 * reading cannot tell whether the render reaches the nil pointer it reports none (the config passes, as before the
 * reading knew nil pointers): docs/sandbox.md "chart render".
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadChartCatalog } from '../../src/sandbox/kcm/charts.js';
import { mergeValues } from '../../src/sandbox/kcm/config-validation.js';
import type { JsonObject } from '../../src/sandbox/kcm/resources.js';

const nil = (chart: string, file: string, at: string, chain: string, field: string): string =>
  `template: ${chart}/templates/${file}:${at}: executing "${chart}/templates/${file}" at <${chain}>: nil pointer evaluating interface {}.${field}`;

const AZURE = { location: 'westus2', subscriptionID: 'x', controlPlane: { vmSize: 'a' }, worker: { vmSize: 'b' } };

const rows: { chart: string; config: JsonObject; expected: string | undefined; why: string }[] = [
  {
    chart: 'azure-standalone-cp',
    config: { ...AZURE, bastion: null },
    expected: nil('azure-standalone-cp', 'azurecluster.yaml', '13:16', '.Values.bastion.enabled', 'enabled'),
    why: 'a guard on a nulled object: the chain node sits at its second field (.bastion)',
  },
  {
    chart: 'aws-standalone-cp',
    config: { clusterNetwork: null },
    expected: nil('aws-standalone-cp', 'k0scontrolplane.yaml', '122:47', '.Values.clusterNetwork.pods.cidrBlocks', 'pods'),
    why: 'a three-field chain: the first nil part names the field',
  },
  {
    chart: 'aws-standalone-cp',
    config: { clusterNetwork: { pods: null } },
    expected: nil('aws-standalone-cp', 'k0scontrolplane.yaml', '122:47', '.Values.clusterNetwork.pods.cidrBlocks', 'cidrBlocks'),
    why: 'a nested null',
  },
  {
    chart: 'docker-hosted-cp',
    config: { k0s: null },
    expected: nil('docker-hosted-cp', 'machinedeployment.yaml', '22:36', '.Values.k0s.version', 'version'),
    why: 'inside `(split "+" .Values.k0s.version)._0`: the parenthesised pipeline runs',
  },
  {
    chart: 'aws-standalone-cp',
    config: { auth: null },
    expected: undefined,
    why: 'Helm fails inside `or $files … .Values.auth.configSecret.name` (26:80); the reading cannot evaluate $files, so it cannot tell',
  },
  {
    chart: 'openstack-standalone-cp',
    config: { controlPlane: null },
    expected: undefined,
    why: 'Helm fails inside an include ("error calling include: …"), wording the reading does not write',
  },
];

describe('chart render: nil pointers of the reading against Helm', () => {
  const catalog = loadChartCatalog();
  for (const row of rows) {
    it(`${row.chart} ${JSON.stringify(row.config)}: ${row.why}`, () => {
      const chart = catalog.get(row.chart);
      assert.ok(chart, row.chart);
      assert.equal(chart.requirements.check(mergeValues(chart.values, row.config)), row.expected);
    });
  }
});
