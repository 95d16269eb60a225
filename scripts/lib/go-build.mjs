// One Go program of the test harness built from Go modules only (the module proxy `go env GOPROXY` names),
// at the lowest CPU priority, into a gitignored folder, with a stamp so that a second build is a no-op when
// the Go version, the module's go.mod/go.sum/*.go, the flags and the calling script are those of the last one.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * @param {{ label: string, moduleDir: string, target: string, binary: string, ldflags: string,
 *           script: string, args: Set<string>, extraStamp?: Record<string, unknown>, note?: string,
 *           stampFile?: string }} spec
 *   target: the package to build (`.` or a tool's import path); script: the calling script's path (hashed).
 * @returns {'up-to-date' | 'built'} (exits 1 on failure, or with --check when a build is needed)
 */
export function buildGoProgram(spec) {
  const { label, moduleDir, target, binary, ldflags, script, args } = spec;
  const outDir = dirname(binary);
  const stampFile = spec.stampFile ?? join(outDir, `${label.replace(/\W+/g, '-')}-stamp.json`);
  const go = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (go.status !== 0) {
    console.error(`${label}: the Go toolchain is missing (\`go version\` failed); it is needed to build ${target}`);
    process.exit(1);
  }
  const hash = createHash('sha256');
  hash.update(go.stdout.trim());
  hash.update(ldflags);
  hash.update(target);
  hash.update(readFileSync(script));
  for (const file of readdirSync(moduleDir)
    .filter((f) => f.endsWith('.go') || f === 'go.mod' || f === 'go.sum')
    .sort()) {
    hash.update(file);
    hash.update(readFileSync(join(moduleDir, file)));
  }
  const digest = hash.digest('hex');
  const stamp = existsSync(stampFile) ? JSON.parse(readFileSync(stampFile, 'utf8')) : undefined;
  if (!args.has('--force') && stamp?.digest === digest && existsSync(binary)) {
    console.log(`${label}: up to date (${binary})`);
    return 'up-to-date';
  }
  if (args.has('--check')) {
    console.log(`${label}: a build is needed`);
    process.exit(1);
  }
  mkdirSync(outDir, { recursive: true });
  const started = Date.now();
  console.log(`${label}: building ${target} (go build at nice 19${spec.note ? `; ${spec.note}` : ''})`);
  const tmp = `${binary}.tmp`;
  const build = spawnSync('nice', ['-n', '19', 'go', 'build', '-trimpath', '-ldflags', ldflags, '-o', tmp, target], {
    cwd: moduleDir,
    stdio: 'inherit',
    // -mod=readonly: the build uses go.mod/go.sum as committed; nothing is resolved anew.
    env: { ...process.env, GOFLAGS: [process.env.GOFLAGS, '-mod=readonly'].filter(Boolean).join(' ') },
  });
  if (build.status !== 0) {
    console.error(`${label}: go build failed (exit ${build.status ?? build.signal})`);
    process.exit(1);
  }
  renameSync(tmp, binary);
  const seconds = Math.round((Date.now() - started) / 1000);
  const size = statSync(binary).size;
  writeFileSync(
    stampFile,
    JSON.stringify({ digest, target, ...spec.extraStamp, seconds, size, builtAt: new Date().toISOString() }, null, 2) + '\n',
  );
  console.log(`${label}: built ${binary} (${(size / 1024 / 1024).toFixed(1)} MiB) in ${seconds}s`);
  return 'built';
}
