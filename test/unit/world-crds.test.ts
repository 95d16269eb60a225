/**
 * data/world/crds is what scripts/world-crds.mjs writes from the Go modules' config/crd/bases: the check
 * runs the script offline (GOPROXY=off) and is skipped only when the modules are not in the module cache.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { packageRoot } from '../../src/sandbox/apiserver/resources.js';
import { WORLD_RESOURCES } from '../../src/sandbox/world/index.js';

interface Crd {
  metadata: { name: string; annotations?: Record<string, string> };
  spec: { group: string; names: { plural: string; kind: string }; versions: { name: string }[] };
}

const root = packageRoot();
const crdDir = join(root, 'data', 'world', 'crds');

describe('the world CRDs', () => {
  it('match what scripts/world-crds.mjs generates from the module cache', (t) => {
    const run = spawnSync(process.execPath, [join(root, 'scripts', 'world-crds.mjs'), '--check'], {
      encoding: 'utf8',
      env: { ...process.env, GOPROXY: 'off', GOFLAGS: '-mod=mod' },
    });
    if (run.error || run.status === 3) {
      t.skip(`Go modules not in the module cache: ${run.error?.message ?? run.stderr.trim()}`);
      return;
    }
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /matches \(\d+ CRDs\)/);
  });

  it('serve one version of every kind the world writes, and only the k0smotron kinds are stubs', () => {
    const crds = readdirSync(crdDir).map((f) => parse(readFileSync(join(crdDir, f), 'utf8')) as Crd);
    const served = new Set(crds.flatMap((c) => c.spec.versions.map((v) => `${c.spec.group}/${v.name}/${c.spec.names.plural}`)));
    for (const r of WORLD_RESOURCES) {
      if (r.group === '' || r.group === 'k0rdent.mirantis.com') continue;
      assert.ok(served.has(`${r.group}/${r.version}/${r.plural}`), `${r.plural}.${r.group} ${r.version} has a CRD`);
    }
    for (const c of crds) assert.equal(c.spec.versions.length, 1, `${c.metadata.name} keeps one version`);
    const stubs = crds
      .filter((c) => c.metadata.annotations?.['k0rdent-mcp.io/generated'] === 'stub')
      .map((c) => c.spec.names.kind)
      .sort();
    assert.deepEqual(stubs, [
      'K0sControlPlane',
      'K0sControllerConfig',
      'K0sWorkerConfig',
      'K0sWorkerConfigTemplate',
      'K0smotronControlPlane',
    ]);
    const sources = new Set(crds.map((c) => String(c.metadata.annotations?.['k0rdent-mcp.io/source'] ?? '').split(' ')[0]));
    assert.ok(sources.has('sigs.k8s.io/cluster-api@v1.13.4'));
    assert.ok(sources.has('github.com/fluxcd/helm-controller@v1.6.2'));
  });
});
