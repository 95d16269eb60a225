// npm run helm:build — builds the real `helm` CLI (helm.sh/helm/v4/cmd/helm, the version test/helm-cli/go.mod
// requires) into .helm/bin/helm (gitignored), from Go modules only; a no-op when up to date. The chart's tests
// (test/integration/helm-chart.test.ts) run `helm lint` and `helm template` with it, and skip without it.
// Usage: node scripts/helm-build.mjs [--force] [--check]
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildGoProgram } from './lib/go-build.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const moduleDir = join(root, 'test', 'helm-cli');
const helmVersion = /^\s*helm\.sh\/helm\/v4\s+(v\S+)/m.exec(readFileSync(join(moduleDir, 'go.mod'), 'utf8'))?.[1];
if (!helmVersion) {
  console.error('helm:build: test/helm-cli/go.mod does not require helm.sh/helm/v4');
  process.exit(1);
}
// Without these, `helm version` reports v4.0+unreleased: stamp the version the release would have.
const ldflags = [
  '-s',
  '-w',
  `-X helm.sh/helm/v4/internal/version.version=${helmVersion}`,
  '-X helm.sh/helm/v4/internal/version.gitTreeState=clean',
].join(' ');
buildGoProgram({
  label: 'helm:build',
  moduleDir,
  target: 'helm.sh/helm/v4/cmd/helm',
  binary: join(root, '.helm', 'bin', 'helm'),
  ldflags,
  script: fileURLToPath(import.meta.url),
  args: new Set(process.argv.slice(2)),
  extraStamp: { helmVersion },
  note: 'a cold build takes a few minutes',
});
