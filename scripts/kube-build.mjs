// npm run kube:build — builds the test control plane (test/kube-control-plane: embedded etcd,
// kube-apiserver, kube-controller-manager) into .kube-control-plane/bin (gitignored), from Go modules
// only (the module proxy `go env GOPROXY` names). A no-op when the sources, go.mod/go.sum, the Go
// version and the flags are those of the last build. Runs `go build` at the lowest CPU priority.
// Usage: node scripts/kube-build.mjs [--force] [--check]   (--check: exit 1 when a build is needed)
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const moduleDir = join(root, 'test', 'kube-control-plane');
const outDir = join(root, '.kube-control-plane', 'bin');
const binary = join(outDir, 'kube-control-plane');
const stampFile = join(outDir, 'build-stamp.json');
const args = new Set(process.argv.slice(2));

const goMod = readFileSync(join(moduleDir, 'go.mod'), 'utf8');
const kubeVersion = /^\s*k8s\.io\/kubernetes\s+(v\S+)/m.exec(goMod)?.[1];
if (!kubeVersion) throw new Error('test/kube-control-plane/go.mod does not require k8s.io/kubernetes');
const [, major, minor] = /^v(\d+)\.(\d+)/.exec(kubeVersion) ?? [];
// Without these the components report v0.0.0-master: the version the release would have stamped.
const ldflags = ['-s', '-w']
  .concat(
    ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version'].flatMap((pkg) => [
      `-X ${pkg}.gitVersion=${kubeVersion}`,
      `-X ${pkg}.gitMajor=${major}`,
      `-X ${pkg}.gitMinor=${minor}`,
      `-X ${pkg}.gitTreeState=clean`,
    ]),
  )
  .join(' ');

const go = spawnSync('go', ['version'], { encoding: 'utf8' });
if (go.status !== 0) {
  console.error('kube:build: the Go toolchain is missing (`go version` failed); it is needed to build the test control plane');
  process.exit(1);
}

const hash = createHash('sha256');
hash.update(go.stdout.trim());
hash.update(ldflags);
for (const file of readdirSync(moduleDir)
  .filter((f) => f.endsWith('.go') || f === 'go.mod' || f === 'go.sum')
  .sort()) {
  hash.update(file);
  hash.update(readFileSync(join(moduleDir, file)));
}
const digest = hash.digest('hex');
const stamp = existsSync(stampFile) ? JSON.parse(readFileSync(stampFile, 'utf8')) : undefined;
if (!args.has('--force') && stamp?.digest === digest && existsSync(binary)) {
  console.log(`kube:build: up to date (${binary}, ${kubeVersion})`);
  process.exit(0);
}
if (args.has('--check')) {
  console.log('kube:build: a build is needed');
  process.exit(1);
}

mkdirSync(outDir, { recursive: true });
const started = Date.now();
console.log(`kube:build: building k8s.io/kubernetes ${kubeVersion} control plane (go build at nice 19; a cold build takes a long while)`);
const tmp = `${binary}.tmp`;
const build = spawnSync('nice', ['-n', '19', 'go', 'build', '-trimpath', '-ldflags', ldflags, '-o', tmp, '.'], {
  cwd: moduleDir,
  stdio: 'inherit',
  env: { ...process.env, GOFLAGS: [process.env.GOFLAGS, '-mod=readonly'].filter(Boolean).join(' ') },
});
if (build.status !== 0) {
  console.error(`kube:build: go build failed (exit ${build.status ?? build.signal})`);
  process.exit(1);
}
renameSync(tmp, binary);
const seconds = Math.round((Date.now() - started) / 1000);
const size = statSync(binary).size;
writeFileSync(stampFile, JSON.stringify({ digest, kubeVersion, seconds, size, builtAt: new Date().toISOString() }, null, 2) + '\n');
console.log(`kube:build: built ${binary} (${(size / 1024 / 1024).toFixed(1)} MiB) in ${seconds}s`);
