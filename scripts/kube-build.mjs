// npm run kube:build — builds the test control plane (test/kube-control-plane: embedded etcd,
// kube-apiserver, kube-controller-manager) into .kube-control-plane/bin (gitignored), from Go modules
// only (the module proxy `go env GOPROXY` names). A no-op when the sources, go.mod/go.sum, the Go
// version and the flags are those of the last build. Runs `go build` at the lowest CPU priority.
// Usage: node scripts/kube-build.mjs [--force] [--check]   (--check: exit 1 when a build is needed)
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildGoProgram } from './lib/go-build.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const moduleDir = join(root, 'test', 'kube-control-plane');
const outDir = join(root, '.kube-control-plane', 'bin');

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

buildGoProgram({
  label: 'kube:build',
  moduleDir,
  target: '.',
  binary: join(outDir, 'kube-control-plane'),
  stampFile: join(outDir, 'build-stamp.json'),
  ldflags,
  script: fileURLToPath(import.meta.url),
  args: new Set(process.argv.slice(2)),
  extraStamp: { kubeVersion },
  note: 'a cold build takes a long while',
});
