#!/usr/bin/env node
/**
 * Writes data/world/crds: the CustomResourceDefinitions of the kinds the simulated world below kcm
 * (src/sandbox/world) creates, taken from the `config/crd/bases` of the Go modules that carry them, at the
 * versions kcm v1.11.4 installs (kcm templates/provider/<provider>/Chart.yaml appVersion; CAPI and Flux from
 * kcm's go.mod). `go mod download -json MODULE@VERSION` names each module's directory.
 *
 * Each CRD keeps only the one API version the cluster charts write (data/k0rdent/charts/<chart>/templates),
 * marked served and storage, without its conversion webhook: the embedded API server stores every served
 * version apart, and one version is all the world writes. Nothing else is changed.
 *
 * No module the proxy serves carries the k0smotron kinds (github.com/k0sproject/k0smotron: kcm ships
 * k0smotron v2.0.4, whose module path has no /v2 suffix, so the proxy cannot serve it; the v1 tags tried are
 * refused). For those the script writes the stubs of scripts/lib/k0smotron-stubs.mjs (schemaless, status
 * subresource, annotated `k0rdent-mcp.io/generated: stub`; kcm:build writes the same) — the only CRDs here not
 * copied from a module.
 *
 *   node scripts/world-crds.mjs            write data/world/crds
 *   node scripts/world-crds.mjs --check    exit 1 when data/world/crds differs from what would be written
 *   node scripts/world-crds.mjs --out DIR  write elsewhere (the test compares)
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { k0smotronStubCrd } from './lib/k0smotron-stubs.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** module@version → the kinds taken from its config/crd/bases (file = <group>_<plural>.yaml) and the version kept. */
export const SOURCES = [
  {
    module: 'github.com/fluxcd/helm-controller@v1.6.2',
    dir: 'config/crd/bases',
    crds: [['helm.toolkit.fluxcd.io', 'helmreleases', 'v2']],
  },
  {
    module: 'github.com/fluxcd/source-controller@v1.9.3',
    dir: 'config/crd/bases',
    crds: [
      ['source.toolkit.fluxcd.io', 'helmcharts', 'v1'],
      ['source.toolkit.fluxcd.io', 'helmrepositories', 'v1'],
    ],
  },
  {
    module: 'sigs.k8s.io/cluster-api@v1.13.4',
    dir: 'config/crd/bases',
    crds: [
      ['cluster.x-k8s.io', 'clusters', 'v1beta2'],
      ['cluster.x-k8s.io', 'machinedeployments', 'v1beta2'],
      ['cluster.x-k8s.io', 'machinesets', 'v1beta2'],
      ['cluster.x-k8s.io', 'machines', 'v1beta2'],
    ],
  },
  {
    module: 'sigs.k8s.io/cluster-api/test@v1.13.4',
    dir: 'infrastructure/docker/config/crd/bases',
    crds: [
      ['infrastructure.cluster.x-k8s.io', 'devclusters', 'v1beta2'],
      ['infrastructure.cluster.x-k8s.io', 'devmachinetemplates', 'v1beta2'],
      ['infrastructure.cluster.x-k8s.io', 'devmachines', 'v1beta2'],
    ],
  },
  {
    module: 'sigs.k8s.io/cluster-api-provider-aws/v2@v2.12.1',
    dir: 'config/crd/bases',
    crds: [
      ['infrastructure.cluster.x-k8s.io', 'awsclusters', 'v1beta2'],
      ['infrastructure.cluster.x-k8s.io', 'awsmachinetemplates', 'v1beta2'],
      ['infrastructure.cluster.x-k8s.io', 'awsmachines', 'v1beta2'],
      ['infrastructure.cluster.x-k8s.io', 'awsclusterstaticidentities', 'v1beta2'],
    ],
  },
  {
    module: 'sigs.k8s.io/cluster-api-provider-azure@v1.26.0',
    dir: 'config/crd/bases',
    crds: [
      ['infrastructure.cluster.x-k8s.io', 'azureclusters', 'v1beta1'],
      ['infrastructure.cluster.x-k8s.io', 'azuremachinetemplates', 'v1beta1'],
      ['infrastructure.cluster.x-k8s.io', 'azuremachines', 'v1beta1'],
      ['infrastructure.cluster.x-k8s.io', 'azureclusteridentities', 'v1beta1'],
    ],
  },
  {
    module: 'sigs.k8s.io/cluster-api-provider-gcp@v1.12.0',
    dir: 'config/crd/bases',
    crds: [
      ['infrastructure.cluster.x-k8s.io', 'gcpclusters', 'v1beta1'],
      ['infrastructure.cluster.x-k8s.io', 'gcpmachinetemplates', 'v1beta1'],
      ['infrastructure.cluster.x-k8s.io', 'gcpmachines', 'v1beta1'],
    ],
  },
  {
    module: 'sigs.k8s.io/cluster-api-provider-openstack@v0.14.6',
    dir: 'config/crd/bases',
    crds: [
      ['infrastructure.cluster.x-k8s.io', 'openstackclusters', 'v1beta1'],
      ['infrastructure.cluster.x-k8s.io', 'openstackmachinetemplates', 'v1beta1'],
      ['infrastructure.cluster.x-k8s.io', 'openstackmachines', 'v1beta1'],
    ],
  },
  {
    module: 'sigs.k8s.io/cluster-api-provider-vsphere@v1.16.1',
    dir: 'config/default/crd/bases',
    crds: [
      ['infrastructure.cluster.x-k8s.io', 'vsphereclusters', 'v1beta2'],
      ['infrastructure.cluster.x-k8s.io', 'vspheremachinetemplates', 'v1beta2'],
      ['infrastructure.cluster.x-k8s.io', 'vspheremachines', 'v1beta2'],
      ['infrastructure.cluster.x-k8s.io', 'vsphereclusteridentities', 'v1beta1'],
    ],
  },
];

// The Sveltos ClusterSummary (kcm v1.11.4 go.mod: addon-controller v1.12.0), whose status kcm reads service states
// from (src/sandbox/kcm/services-sets.ts writes it).
SOURCES.push({
  module: 'github.com/projectsveltos/addon-controller@v1.12.0',
  dir: 'config/crd/bases',
  crds: [['config.projectsveltos.io', 'clustersummaries', 'v1beta1']],
});

/** Kinds no served module carries (see the header): [group, kind, plural, version]. */
export const STUBS = [
  ['controlplane.cluster.x-k8s.io', 'K0sControlPlane', 'k0scontrolplanes', 'v1beta2'],
  ['controlplane.cluster.x-k8s.io', 'K0smotronControlPlane', 'k0smotroncontrolplanes', 'v1beta2'],
  ['bootstrap.cluster.x-k8s.io', 'K0sWorkerConfigTemplate', 'k0sworkerconfigtemplates', 'v1beta2'],
  ['bootstrap.cluster.x-k8s.io', 'K0sWorkerConfig', 'k0sworkerconfigs', 'v1beta2'],
  ['bootstrap.cluster.x-k8s.io', 'K0sControllerConfig', 'k0scontrollerconfigs', 'v1beta2'],
];

/** Exit code when a module cannot be had (no Go, or GOPROXY=off and the module is not in the cache). */
export const UNAVAILABLE = 3;

class Unavailable extends Error {}

function moduleDir(module) {
  let out;
  try {
    out = execFileSync('go', ['mod', 'download', '-json', module], {
      encoding: 'utf8',
      env: { ...process.env, GOFLAGS: '-mod=mod' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (err) {
    const stdout = err && typeof err === 'object' && 'stdout' in err ? String(err.stdout) : '';
    throw new Unavailable(
      `go mod download ${module}: ${stdout.match(/"Error": "([^"]*)"/)?.[1] ?? (err instanceof Error ? err.message : String(err))}`,
    );
  }
  const info = JSON.parse(out);
  if (info.Error || !info.Dir) throw new Unavailable(`go mod download ${module}: ${info.Error ?? 'no Dir'}`);
  return info.Dir;
}

/** The CRD with only `version` left, served and stored, and no conversion webhook. */
function singleVersion(crd, version, origin) {
  const v = crd.spec.versions.find((x) => x.name === version);
  if (!v) throw new Error(`${origin}: no version ${version} (has ${crd.spec.versions.map((x) => x.name).join(', ')})`);
  const { conversion: _conversion, ...spec } = crd.spec;
  const annotations = { ...(crd.metadata.annotations ?? {}), 'k0rdent-mcp.io/source': origin };
  return {
    ...crd,
    metadata: { ...crd.metadata, annotations },
    spec: { ...spec, versions: [{ ...v, served: true, storage: true, deprecated: undefined, deprecationWarning: undefined }] },
  };
}

/**
 * JSON (which is YAML: kube-apiserver's and kube-control-plane's `--crds` read it as such): the embedded
 * sandbox parses JSON about ten times faster than YAML, which keeps its start-up fast with 33 more CRDs.
 */
function asText(crd) {
  return JSON.stringify(crd, null, 1) + '\n';
}

/** file name → text of every CRD the world needs. */
export function buildWorldCrds() {
  const files = new Map();
  for (const source of SOURCES) {
    const dir = join(moduleDir(source.module), source.dir);
    for (const [group, plural, version] of source.crds) {
      const file = `${group}_${plural}.yaml`;
      const path = join(dir, file);
      if (!existsSync(path)) throw new Error(`${source.module}: ${source.dir}/${file} not found`);
      const crd = parse(readFileSync(path, 'utf8'));
      files.set(file, asText(singleVersion(crd, version, `${source.module} ${source.dir}/${file}`)));
    }
  }
  for (const [group, kind, plural, version] of STUBS)
    files.set(`${group}_${plural}.yaml`, asText(k0smotronStubCrd({ group, kind, plural, version })));
  return files;
}

function main() {
  const args = process.argv.slice(2);
  const check = args.includes('--check');
  const outIndex = args.indexOf('--out');
  const out = outIndex >= 0 ? args[outIndex + 1] : join(root, 'data', 'world', 'crds');
  let files;
  try {
    files = buildWorldCrds();
  } catch (err) {
    if (!(err instanceof Unavailable)) throw err;
    console.error(err.message);
    process.exit(UNAVAILABLE);
  }
  if (check) {
    const present = existsSync(out) ? readdirSync(out).filter((f) => f.endsWith('.yaml')) : [];
    const differ = [...files]
      .filter(([f, text]) => !existsSync(join(out, f)) || readFileSync(join(out, f), 'utf8') !== text)
      .map(([f]) => f);
    const extra = present.filter((f) => !files.has(f));
    if (differ.length + extra.length > 0) {
      console.error(`data/world/crds is stale: ${[...differ, ...extra].join(', ')} (run node scripts/world-crds.mjs)`);
      process.exit(1);
    }
    console.log(`data/world/crds matches (${files.size} CRDs)`);
    return;
  }
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  for (const [file, text] of files) writeFileSync(join(out, file), text);
  console.log(`wrote ${files.size} CRDs to ${out}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
