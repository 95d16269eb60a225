/**
 * data/k0rdent must stay an unchanged copy of the real k0rdent CRDs and chart schemas (shared/k0rdent,
 * copied from k0rdent/kcm): never hand-edited. Checked whenever shared/ sits beside the checkout, as it
 * does for developers and CI.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { packageRoot } from '../../src/config/package.js';
import { publishedChartVersions } from '../../src/sandbox/world/charts.js';

const data = join(packageRoot(), 'data', 'k0rdent');
const shared = join(packageRoot(), '..', 'shared', 'k0rdent');

/** Every file under root, as paths relative to it. */
function files(root: string, dir = ''): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true })
    .flatMap((entry) => {
      const path = dir === '' ? entry.name : `${dir}/${entry.name}`;
      return entry.isDirectory() ? files(root, path) : [path];
    })
    .sort();
}

describe('k0rdent data', () => {
  it('holds the CRDs, chart schemas, whole cluster charts and ProviderInterfaces', () => {
    const names = files(data);
    assert.ok(names.includes('crds/k0rdent.mirantis.com_clusterdeployments.yaml'));
    assert.ok(names.includes('schemas/azure-standalone-cp.values.schema.json'));
    assert.ok(names.includes('schemas/VERSIONS.txt'));
    assert.ok(names.includes('crds/k0rdent.mirantis.com_providerinterfaces.yaml'));
    assert.ok(names.includes('charts/aws-standalone-cp/Chart.yaml'));
    assert.ok(names.some((name) => name.startsWith('providers/') && name.endsWith('.interface.yaml')));
  });

  it('is byte-for-byte the copy in shared/k0rdent', { skip: existsSync(shared) ? false : `no ${shared} beside this checkout` }, () => {
    assert.deepEqual(files(data), files(shared));
    for (const name of files(shared)) {
      assert.ok(readFileSync(join(data, name)).equals(readFileSync(join(shared, name))), `${name} differs from shared/k0rdent`);
    }
  });

  it('keeps its own additions beside data/k0rdent: chart-versions.txt lists the version of every chart copied', () => {
    assert.ok(!existsSync(join(data, 'chart-versions.txt')), 'data/k0rdent holds only files copied from kcm');
    const published = publishedChartVersions();
    for (const chart of readdirSync(join(data, 'charts'))) {
      const version = /^version:\s*(\S+)/m.exec(readFileSync(join(data, 'charts', chart, 'Chart.yaml'), 'utf8'))?.[1];
      assert.ok(version, `${chart}: Chart.yaml has a version`);
      assert.ok(published.get(chart)?.has(version), `data/chart-versions.txt lists ${chart} ${version}`);
    }
  });
});
