// Writes data/chart-versions.txt: every version of each cluster chart kcm published to its OCI repository
// oci://ghcr.io/k0rdent/kcm/charts. kcm's release workflow pushes the charts of templates/ at each release tag
// (.github/workflows/release.yml "Push charts to GHCR": `REGISTRY_REPO="oci://ghcr.io/k0rdent/kcm/charts" make
// helm-push`); the tags before v0.0.6 pushed to oci://ghcr.io/mirantis/hmc/charts and are left out. So a version is
// published when some tag whose release.yml names the k0rdent repository has templates/cluster/<chart>/Chart.yaml at it.
//
//   node scripts/chart-versions.mjs <kcm git dir>    (a clone or bare mirror of github.com/k0rdent/kcm with its tags)
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const gitDir = process.argv[2];
if (!gitDir) {
  console.error('usage: node scripts/chart-versions.mjs <kcm git dir>');
  process.exit(2);
}
const git = (...args) => execFileSync('git', ['--git-dir', gitDir, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
const show = (rev) => {
  try {
    return git('show', rev);
  } catch {
    return undefined;
  }
};
const semver = (v) =>
  v
    .replace(/^v/, '')
    .split(/[.-]/)
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
const bySemver = (a, b) => {
  const [x, y] = [semver(a), semver(b)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if (x[i] === y[i]) continue;
    if (x[i] === undefined) return -1;
    if (y[i] === undefined) return 1;
    return typeof x[i] === 'number' && typeof y[i] === 'number' ? x[i] - y[i] : String(x[i]) < String(y[i]) ? -1 : 1;
  }
  return 0;
};

const versions = new Map();
const tags = git('tag').split('\n').filter(Boolean).sort(bySemver);
const used = [];
for (const tag of tags) {
  if (!show(`${tag}:.github/workflows/release.yml`)?.includes('oci://ghcr.io/k0rdent/kcm/charts')) continue;
  used.push(tag);
  const charts = git('ls-tree', '--name-only', `${tag}:templates/cluster`).split('\n').filter(Boolean);
  for (const chart of charts) {
    const version = /^version:\s*["']?([^"'\s]+)/m.exec(show(`${tag}:templates/cluster/${chart}/Chart.yaml`) ?? '')?.[1];
    if (!version) continue;
    if (!versions.has(chart)) versions.set(chart, new Set());
    versions.get(chart).add(version);
  }
}
const head = git('rev-parse', 'HEAD').trim();
const lines = [
  '# The versions of each cluster chart kcm published to oci://ghcr.io/k0rdent/kcm/charts: templates/cluster/<chart>/Chart.yaml',
  '# at every release tag whose .github/workflows/release.yml pushes there. Written by `node scripts/chart-versions.mjs`',
  `# from github.com/k0rdent/kcm at ${head}, ${used.length} tags (${used[0]} … ${used.at(-1)}). One chart a line: <chart> <version>…`,
  ...[...versions.keys()].sort().map((chart) => `${chart} ${[...versions.get(chart)].sort(bySemver).join(' ')}`),
];
const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'data', 'chart-versions.txt');
writeFileSync(out, lines.join('\n') + '\n');
console.log(`chart-versions: ${versions.size} charts from ${used.length} tags → ${out}`);
