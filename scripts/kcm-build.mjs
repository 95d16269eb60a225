// npm run kcm:build — builds kcm's manager (github.com/K0rdent/kcm/cmd, the version test/kcm-manager/go.mod
// requires) into .kcm/bin/manager (gitignored), and assembles beside it, from Go module files only, what the
// real-kcm sandbox (`k0rdent-mcp sandbox --api kcm`) installs and seeds:
//   .kcm/crds/<set>/*.yaml   kcm's own CRDs and those of the modules kcm requires or drives (one folder per set)
//   .kcm/kcm/                kcm's Release, ProviderTemplates + ClusterTemplates, ProviderInterfaces, webhooks.yaml,
//                            config/dev/*-credentials.yaml
//   .kcm/charts/{cluster,provider}/<chart>/   the chart folders the simulated source-controller serves
//   .kcm/manifest.json       the modules (path, version, h1: sum, directory) and what came from each
// A no-op when the Go version, go.mod/go.sum, this script and the flags are those of the last build. Runs
// `go build` at the lowest CPU priority.
// Usage: node scripts/kcm-build.mjs [--force] [--check] [--no-build]   (--check: exit 1 when a build is needed;
// --no-build: assemble only, no go build and no stamp)
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, parse as parseYaml, stringify } from 'yaml';
import { buildGoProgram } from './lib/go-build.mjs';
import { k0smotronStubCrd, STUB_SOURCE, stubPlural } from './lib/k0smotron-stubs.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const moduleDir = join(root, 'test', 'kcm-manager');
// K0RDENT_KCM_DIR: another output folder (src/sandbox/real-kcm/assets.ts reads the same variable).
const outRoot = process.env.K0RDENT_KCM_DIR || join(root, '.kcm');
const outDir = join(outRoot, 'bin');
const binary = join(outDir, 'manager');
const stampFile = join(outDir, 'build-stamp.json');
const args = new Set(process.argv.slice(2));
const ldflags = '-s -w';

/**
 * Modules kcm does not require but whose files carry CRDs the sandbox needs, pinned with the h1: sum the
 * module proxy served (go.sum of test/kcm-manager holds only the build list; `go mod download` of a module
 * outside it verifies against the checksum database, and this pin keeps the bytes fixed).
 * - Flux at the versions of the API modules kcm v1.11.4 requires (helm-controller/api v1.6.2,
 *   source-controller/api v1.9.3): the API modules carry only Go types, the controller modules the CRDs.
 * - The infrastructure providers at the appVersion of kcm v1.11.4's provider charts
 *   (templates/provider/cluster-api-provider-<p>/Chart.yaml): their identity kinds (named by the charts'
 *   interface.yaml) and the infrastructure kinds the cluster charts render.
 * - Cluster API's test module at kcm's CAPI version: CAPD (DockerCluster, DevCluster, ...).
 */
const EXTRA_MODULES = [
  { path: 'github.com/fluxcd/helm-controller', version: 'v1.6.2', sum: 'h1:cEirkQjLFF721EomwtH5fHuhpiYCW9HkAje1HTzCTsM=' },
  { path: 'github.com/fluxcd/source-controller', version: 'v1.9.3', sum: 'h1:Zj1gfvK/2MFIm/K3vh5fSHoJBoggLKMuLWf5ZEmaF0w=' },
  { path: 'sigs.k8s.io/cluster-api-provider-aws/v2', version: 'v2.12.1', sum: 'h1:Qt4c7roIXEpe0wtTocE2tIWgShhcCSuLwQGgIiUFSZo=' },
  { path: 'sigs.k8s.io/cluster-api-provider-azure', version: 'v1.26.0', sum: 'h1:r8j3FPec1GZ9SMx0f2Z9Pd0qXYu+qUOfR0U/TTgZ+6w=' },
  { path: 'sigs.k8s.io/cluster-api-provider-vsphere', version: 'v1.16.1', sum: 'h1:6fN9Df5EBtxzI5546L4kzevCyE/wM9qWv8ZS+iAU9f8=' },
  { path: 'sigs.k8s.io/cluster-api-provider-gcp', version: 'v1.12.0', sum: 'h1:RFdAxck4j62e320n8uUbFcro4zxdYZnTWj0mAHZ+CFo=' },
  { path: 'sigs.k8s.io/cluster-api-provider-openstack', version: 'v0.14.6', sum: 'h1:yOln3Hd6JOFe2mkOGckFdWwFNhJdcNWrlfgwMdxmzto=' },
  { path: 'sigs.k8s.io/cluster-api-provider-kubevirt', version: 'v0.11.2', sum: 'h1:+DyQP1xvAD34Cce/5efG1sJFwJZ3pxwoj17oEuKv/EI=' },
  { path: 'sigs.k8s.io/cluster-api/test', version: 'v1.13.4', sum: 'h1:xc4RvGAS2dm+gRP2WekobBYVmRCVXNLA2R0s+tg9SJk=' },
];

/** CRD sets from modules kcm requires (their version from test/kcm-manager's build list), as kcm's own envtest installs them (Makefile `external-crd`). */
const REQUIRED_SETS = [
  { set: 'capi', module: 'sigs.k8s.io/cluster-api', dir: 'config/crd/bases' },
  { set: 'capi-operator', module: 'sigs.k8s.io/cluster-api-operator', dir: 'config/crd/bases' },
  { set: 'ipam-in-cluster', module: 'sigs.k8s.io/cluster-api-ipam-provider-in-cluster', dir: 'config/crd/bases' },
  { set: 'sveltos', module: 'github.com/projectsveltos/libsveltos', dir: 'config/crd/bases' },
  { set: 'sveltos', module: 'github.com/projectsveltos/addon-controller', dir: 'config/crd/bases' },
  // kcm's Makefile installs only the Backup kind of velero (velero.io_backups.yaml).
  { set: 'velero', module: 'github.com/vmware-tanzu/velero', dir: 'config/crd/v1/bases', only: ['velero.io_backups.yaml'] },
];

function fail(message) {
  console.error(`kcm:build: ${message}`);
  process.exit(1);
}

function go(goArgs, options = {}) {
  const r = spawnSync('go', goArgs, { cwd: moduleDir, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options });
  if (r.status !== 0) fail(`go ${goArgs.join(' ')} failed (exit ${r.status ?? r.signal}):\n${r.stderr}`);
  return r.stdout;
}

const goMod = readFileSync(join(moduleDir, 'go.mod'), 'utf8');
const kcmVersion = /^\s*github\.com\/K0rdent\/kcm\s+(v\S+)/m.exec(goMod)?.[1];
if (!kcmVersion) fail('test/kcm-manager/go.mod does not require github.com/K0rdent/kcm');

// What the assembly below depends on besides the modules go.sum pins: this script and the stub writer.
const assemblyDigest = createHash('sha256')
  .update(readFileSync(fileURLToPath(import.meta.url)))
  .update(readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'lib', 'k0smotron-stubs.mjs')))
  .update(readFileSync(join(moduleDir, 'go.sum')))
  .digest('hex');
const manifestFile = join(outRoot, 'manifest.json');
const assembled = (() => {
  try {
    return JSON.parse(readFileSync(manifestFile, 'utf8')).assemblyDigest === assemblyDigest;
  } catch {
    return false;
  }
})();

const started = Date.now();
// GOFLAGS=-mod=readonly: the module files are those go.mod/go.sum pin; nothing is resolved anew.
const goEnv = { ...process.env, GOFLAGS: [process.env.GOFLAGS, '-mod=readonly'].filter(Boolean).join(' ') };

// 1. The manager, as kube:build and helm:build build theirs (scripts/lib/go-build.mjs: nice 19, a stamp, a no-op
//    when the Go version, go.mod/go.sum, this script and the flags are those of the last build; --check, --force).
const built = args.has('--no-build')
  ? 'skipped'
  : buildGoProgram({
      label: 'kcm:build',
      moduleDir,
      target: 'github.com/K0rdent/kcm/cmd',
      binary,
      stampFile,
      ldflags,
      script: fileURLToPath(import.meta.url),
      args,
      extraStamp: { kcmVersion },
      note: 'a cold build takes ~20 min on 2 cores',
    });
if (built === 'up-to-date' && assembled && !args.has('--force')) process.exit(0);
if (args.has('--check')) {
  console.log('kcm:build: the files beside the manager need assembling');
  process.exit(1);
}
const buildSeconds = Math.round((Date.now() - started) / 1000);

// 2. The module files.
/** `go list -m -json` of a module in test/kcm-manager's build list (its MVS version), downloaded. */
function requiredModule(path) {
  const info = JSON.parse(go(['mod', 'download', '-json', path], { env: goEnv }));
  if (info.Error || !info.Dir) fail(`go mod download ${path}: ${info.Error ?? 'no Dir'}`);
  return { path: info.Path, version: info.Version, sum: info.Sum, dir: info.Dir };
}
function extraModule({ path, version, sum }) {
  const r = spawnSync('go', ['mod', 'download', '-json', `${path}@${version}`], {
    cwd: moduleDir,
    encoding: 'utf8',
    env: { ...process.env, GOFLAGS: '-mod=mod' },
  });
  const info = JSON.parse(r.stdout || '{}');
  if (info.Error || !info.Dir) fail(`go mod download ${path}@${version}: ${info.Error ?? r.stderr}`);
  if (info.Sum !== sum) fail(`${path}@${version}: the proxy served ${info.Sum}, pinned ${sum}`);
  return { path: info.Path, version: info.Version, sum: info.Sum, dir: info.Dir };
}

const kcm = requiredModule('github.com/K0rdent/kcm');
const modules = [kcm];
const provenance = {};

for (const sub of ['crds', 'kcm', 'charts']) rmSync(join(outRoot, sub), { recursive: true, force: true });

function crdsOf(file) {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => d.toJSON())
    .filter((o) => o && o.kind === 'CustomResourceDefinition');
}
function writeCrd(set, crd, from) {
  const dir = join(outRoot, 'crds', set);
  mkdirSync(dir, { recursive: true });
  const file = `${crd.metadata.name}.yaml`;
  if (existsSync(join(dir, file))) return;
  writeFileSync(join(dir, file), stringify(crd, { lineWidth: 0 }));
  (provenance[set] ??= []).push(`${crd.spec.names.kind} (${crd.spec.group}) from ${from}`);
}
function copyCrdDir(set, mod, rel, only) {
  const dir = join(mod.dir, rel);
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') && (!only || only.includes(f)))
    .sort();
  if (files.length === 0) fail(`${mod.path}@${mod.version}: no CRDs in ${rel}`);
  for (const f of files) for (const crd of crdsOf(join(dir, f))) writeCrd(set, crd, `${mod.path}@${mod.version}/${rel}/${f}`);
}

// kcm's own 22: the management chart's and the regional chart's (as kcm's envtest, internal/controller/suite_test.go:103-106).
copyCrdDir('kcm', kcm, 'templates/provider/kcm/templates/crds');
copyCrdDir('kcm', kcm, 'templates/provider/kcm-regional/templates/crds');

for (const { set, module, dir, only } of REQUIRED_SETS) {
  const mod = requiredModule(module);
  if (!modules.some((m) => m.path === mod.path)) modules.push(mod);
  copyCrdDir(set, mod, dir, only);
}

const extras = EXTRA_MODULES.map(extraModule);
modules.push(...extras);
const [helmController, sourceController] = extras;
copyCrdDir('flux', helmController, 'config/crd/bases');
copyCrdDir('flux', sourceController, 'config/crd/bases');

// kcm's objects: the Release and the templates (kcm-templates/files), the ProviderInterfaces, webhooks.yaml.
const templatesDir = join(kcm.dir, 'templates');
const kcmOut = join(outRoot, 'kcm');
mkdirSync(join(kcmOut, 'templates'), { recursive: true });
mkdirSync(join(kcmOut, 'interfaces'), { recursive: true });
cpSync(join(templatesDir, 'provider/kcm-templates/files/release.yaml'), join(kcmOut, 'release.yaml'));
for (const f of readdirSync(join(templatesDir, 'provider/kcm-templates/files/templates')).sort())
  cpSync(join(templatesDir, 'provider/kcm-templates/files/templates', f), join(kcmOut, 'templates', f));
cpSync(join(templatesDir, 'provider/kcm/templates/webhooks.yaml'), join(kcmOut, 'webhooks.yaml'));
// kcm's development credentials (config/dev/<provider>-credentials.yaml): the identity objects and Secrets the
// sandbox creates behind its Credentials, as kcm's `make dev-creds-apply` does.
mkdirSync(join(kcmOut, 'dev-credentials'), { recursive: true });
for (const f of readdirSync(join(kcm.dir, 'config/dev')).filter((x) => x.endsWith('-credentials.yaml')))
  cpSync(join(kcm.dir, 'config/dev', f), join(kcmOut, 'dev-credentials', f));
const identityKinds = new Map(); // group/kind -> provider chart
for (const provider of readdirSync(join(templatesDir, 'provider')).sort()) {
  const file = join(templatesDir, 'provider', provider, 'templates', 'interface.yaml');
  if (!existsSync(file)) continue;
  cpSync(file, join(kcmOut, 'interfaces', `${provider}.yaml`));
  const pi = parseYaml(readFileSync(file, 'utf8'));
  for (const id of pi?.spec?.clusterIdentities ?? []) {
    if (id.group) identityKinds.set(`${id.group}/${id.kind}`, provider);
    for (const ref of id.references ?? []) if (ref.group) identityKinds.set(`${ref.group}/${ref.kind}`, provider);
  }
}

// The charts, as the simulated source-controller serves them.
cpSync(join(templatesDir, 'cluster'), join(outRoot, 'charts', 'cluster'), { recursive: true });
cpSync(join(templatesDir, 'provider'), join(outRoot, 'charts', 'provider'), { recursive: true });

// The kinds the cluster charts render (apiVersion group + kind of every `kind:` document in their templates).
const renderedKinds = new Map(); // group/kind -> chart
for (const chart of readdirSync(join(templatesDir, 'cluster')).sort()) {
  const tdir = join(templatesDir, 'cluster', chart, 'templates');
  if (!existsSync(tdir)) continue;
  for (const f of readdirSync(tdir)) {
    const text = readFileSync(join(tdir, f), 'utf8');
    for (const m of text.matchAll(/^apiVersion:\s*(\S+)\s*\n(?:[^\n]*\n){0,2}?kind:\s*(\w+)/gm)) {
      const group = m[1].includes('/') ? m[1].slice(0, m[1].lastIndexOf('/')) : '';
      if (!group) continue;
      // A FooTemplate is stamped into Foo objects (CAPI's MachineSet, the bootstrap and control-plane providers).
      for (const kind of m[2].endsWith('Template') ? [m[2], m[2].slice(0, -'Template'.length)] : [m[2]])
        if (!renderedKinds.has(`${group}/${kind}`)) renderedKinds.set(`${group}/${kind}`, chart);
    }
  }
}

// Provider CRDs: every CRD under a provider module's config/**/crd/bases whose group/kind is an identity kind or a rendered kind.
const wanted = new Map([...renderedKinds, ...identityKinds]);
const covered = new Set();
for (const dir of [join(outRoot, 'crds')]) {
  for (const set of readdirSync(dir))
    for (const f of readdirSync(join(dir, set)))
      for (const crd of crdsOf(join(dir, set, f))) covered.add(`${crd.spec.group}/${crd.spec.names.kind}`);
}
function crdBaseDirs(dir) {
  const found = [];
  const walk = (d, depth) => {
    if (depth > 5) return;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (!e.isDirectory()) continue;
      const p = join(d, e.name);
      if (e.name === 'bases' && basename(d) === 'crd') found.push(p);
      else walk(p, depth + 1);
    }
  };
  if (existsSync(join(dir, 'config'))) walk(join(dir, 'config'), 0);
  // CAPD lives in cluster-api/test under test/infrastructure/docker/config/crd/bases.
  if (existsSync(join(dir, 'infrastructure'))) walk(join(dir, 'infrastructure'), 0);
  return found.sort();
}
/**
 * The CAPI contract labels (`cluster.x-k8s.io/<contract>: <api versions>`) a provider's config/crd/kustomization.yaml
 * puts on its CRDs (`commonLabels`, or `labels[].pairs`): CAPI and kcm find a provider object's API version by them
 * (kcm's deletion reads the infrastructure Cluster through them).
 */
function contractLabels(basesDir) {
  const file = join(basesDir, '..', 'kustomization.yaml');
  if (!existsSync(file)) return {};
  const k = parseYaml(readFileSync(file, 'utf8')) ?? {};
  const pairs = { ...(k.commonLabels ?? {}), ...Object.assign({}, ...(k.labels ?? []).map((l) => l.pairs ?? {})) };
  return Object.fromEntries(Object.entries(pairs).filter(([key]) => key.startsWith('cluster.x-k8s.io/')));
}
/** The same labels set per CRD by the kustomization's patches (CAPZ: config/crd/patches/capicontract_in_<plural>.yaml). */
function patchedContractLabels(basesDir, crdName) {
  const dir = join(basesDir, '..', 'patches');
  if (!existsSync(dir)) return {};
  const labels = {};
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.yaml')))
    for (const doc of parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => d.toJSON()))
      if (doc?.kind === 'CustomResourceDefinition' && doc.metadata?.name === crdName)
        for (const [key, value] of Object.entries(doc.metadata.labels ?? {})) if (key.startsWith('cluster.x-k8s.io/')) labels[key] = value;
  return labels;
}
for (const mod of extras.slice(2)) {
  for (const dir of crdBaseDirs(mod.dir)) {
    const labels = contractLabels(dir);
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.yaml'))) {
      for (const crd of crdsOf(join(dir, f))) {
        const key = `${crd.spec.group}/${crd.spec.names.kind}`;
        if (!wanted.has(key) || covered.has(key)) continue;
        covered.add(key);
        const contract = { ...labels, ...patchedContractLabels(dir, crd.metadata.name) };
        if (Object.keys(contract).length > 0) crd.metadata.labels = { ...(crd.metadata.labels ?? {}), ...contract };
        writeCrd('providers', crd, `${mod.path}@${mod.version}/${dir.slice(mod.dir.length + 1)}/${f}`);
      }
    }
  }
}

// Kinds no served module carries (k0smotron's): the stubs of scripts/lib/k0smotron-stubs.mjs, the same that
// scripts/world-crds.mjs writes into data/world/crds. Which and why is in the manifest (`stubs`) and docs/sandbox.md.
const stubs = [];
for (const [key, from] of [...wanted].sort()) {
  if (covered.has(key)) continue;
  const group = key.slice(0, key.lastIndexOf('/'));
  const kind = key.slice(key.lastIndexOf('/') + 1);
  const plural = stubPlural(kind);
  const version = versionOf(group, kind);
  writeCrd('stubs', k0smotronStubCrd({ group, kind, plural, version }), `a stub: kind named by ${from}, ${STUB_SOURCE}`);
  stubs.push({ group, kind, version, namedBy: from });
}

/** The version a chart or interface names the kind with (the first seen). */
function versionOf(group, kind) {
  for (const chart of readdirSync(join(templatesDir, 'cluster'))) {
    const tdir = join(templatesDir, 'cluster', chart, 'templates');
    if (!existsSync(tdir)) continue;
    for (const f of readdirSync(tdir)) {
      const m = new RegExp(`^apiVersion:\\s*${group.replace(/\./g, '\\.')}/(\\S+)\\s*\\n(?:[^\\n]*\\n){0,2}?kind:\\s*${kind}\\b`, 'm').exec(
        readFileSync(join(tdir, f), 'utf8'),
      );
      if (m) return m[1];
    }
  }
  for (const f of readdirSync(join(kcmOut, 'interfaces'))) {
    const pi = parseYaml(readFileSync(join(kcmOut, 'interfaces', f), 'utf8'));
    for (const id of pi?.spec?.clusterIdentities ?? []) if (id.group === group && id.kind === kind) return id.version;
  }
  return 'v1beta1';
}

const counts = Object.fromEntries(readdirSync(join(outRoot, 'crds')).map((s) => [s, readdirSync(join(outRoot, 'crds', s)).length]));
const seconds = Math.round((Date.now() - started) / 1000);
const size = existsSync(binary) ? statSync(binary).size : 0;
writeFileSync(
  join(outRoot, 'manifest.json'),
  JSON.stringify(
    {
      kcmVersion,
      modules: modules.map(({ path, version, sum, dir }) => ({ path, version, sum, dir })),
      crdSets: counts,
      stubs,
      provenance,
      assemblyDigest,
      release: parseYaml(readFileSync(join(kcmOut, 'release.yaml'), 'utf8')).metadata.name,
    },
    null,
    2,
  ) + '\n',
);
console.log(
  `kcm:build: ${built === 'built' ? `built ${binary} (${(size / 1024 / 1024).toFixed(1)} MiB) in ${buildSeconds}s; ` : ''}assembled ${Object.entries(
    counts,
  )
    .map(([s, n]) => `${n} ${s}`)
    .join(', ')} CRDs (${stubs.length} stubs) in ${seconds - buildSeconds}s`,
);
