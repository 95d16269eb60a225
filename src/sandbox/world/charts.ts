/**
 * The charts the world serves: one folder per chart under each chart root (data/k0rdent/charts by
 * default; for real kcm the kcm module's templates/cluster and templates/provider), packed as Helm
 * packages (`<chart>/…` in a gzipped ustar archive, as `helm package` writes them).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { parse as parseYaml } from 'yaml';
import { k0rdentDataDir } from '../kcm/data-dir.js';

export interface ChartFiles {
  name: string;
  /** Chart.yaml `version` as shipped. */
  version: string;
  appVersion: string;
  dir: string;
}

export function defaultChartRoots(): string[] {
  return [join(k0rdentDataDir(), 'charts'), catalogChartsDir()];
}

/** A few k0rdent catalog charts (data/catalog/charts, copied from github.com/k0rdent/catalog), for ServiceTemplates. */
export function catalogChartsDir(): string {
  return join(k0rdentDataDir(), '..', 'catalog', 'charts');
}

let published: Map<string, ReadonlySet<string>> | undefined;

/**
 * The versions kcm published of each cluster chart (data/chart-versions.txt, written by
 * scripts/chart-versions.mjs from kcm's release tags): the versions oci://ghcr.io/k0rdent/kcm/charts holds.
 * It lives beside data/k0rdent, not in it: data/k0rdent is kcm's files unchanged (test/unit/k0rdent-data).
 * The file ships with the package; a missing one is a broken install, so reading it fails loudly.
 */
export function publishedChartVersions(): Map<string, ReadonlySet<string>> {
  if (published) return published;
  const map = new Map<string, ReadonlySet<string>>();
  const file = join(k0rdentDataDir(), '..', 'chart-versions.txt');
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const [chart, ...versions] = line.trim().split(/\s+/);
    if (!chart || chart.startsWith('#')) continue;
    map.set(chart, new Set(versions));
  }
  published = map;
  return map;
}

/**
 * Whether the repository has this version of the chart: false only for an exact version of a cluster chart kcm
 * never published (a pull of it fails as for a chart the repository does not have: source-controller
 * internal/helm/repository/oci_chart_repository.go GetChartVersion takes an exact version as is, and the pull of
 * `<repo>/<chart>:<version>` then fails with the registry's not found). A version constraint, and a chart the
 * list does not cover (provider and catalog charts), are taken as present: the folder holds the version asked for.
 */
export function chartVersionPublished(chart: string, version: string | undefined): boolean {
  if (version === undefined || !/^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/.test(version)) return true;
  const versions = publishedChartVersions().get(chart);
  return versions === undefined || versions.has(version);
}

/** The chart folder of that name in the first root that has one. */
export function findChart(roots: readonly string[], name: string): ChartFiles | undefined {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) return undefined;
  for (const root of roots) {
    const dir = join(root, name);
    const file = join(dir, 'Chart.yaml');
    if (!existsSync(file)) continue;
    const meta = parseYaml(readFileSync(file, 'utf8')) as { version?: unknown; appVersion?: unknown } | null;
    return { name, version: String(meta?.version ?? ''), appVersion: String(meta?.appVersion ?? ''), dir };
  }
  return undefined;
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...listFiles(path));
    else out.push(path);
  }
  return out;
}

/** One ustar header block (POSIX.1-1988; names over 100 bytes use the 155-byte prefix). */
function header(name: string, size: number): Buffer {
  const block = Buffer.alloc(512);
  let prefix = '';
  let base = name;
  if (Buffer.byteLength(name) > 100) {
    const cut = name.lastIndexOf('/', 155);
    prefix = name.slice(0, cut);
    base = name.slice(cut + 1);
  }
  block.write(base, 0, 100, 'utf8');
  block.write('0000644\0', 100, 8, 'ascii');
  block.write('0000000\0', 108, 8, 'ascii');
  block.write('0000000\0', 116, 8, 'ascii');
  block.write(size.toString(8).padStart(11, '0') + '\0', 124, 12, 'ascii');
  block.write('00000000000\0', 136, 12, 'ascii');
  block.write('        ', 148, 8, 'ascii');
  block.write('0', 156, 1, 'ascii');
  block.write('ustar\0', 257, 6, 'ascii');
  block.write('00', 263, 2, 'ascii');
  block.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'ascii');
  return block;
}

export interface ChartPackage {
  data: Buffer;
  /** `sha256:<hex>` of the package, as source-controller writes an artifact's digest. */
  digest: string;
}

/**
 * The chart packed as `<chart>/<file>`; Chart.yaml's version is set to `version` (the version the
 * HelmChart asks for: source-controller pulls exactly that one, and the folder holds only the files of
 * the version kcm ships).
 */
export function packChart(chart: ChartFiles, version: string): ChartPackage {
  const blocks: Buffer[] = [];
  for (const path of listFiles(chart.dir)) {
    let content = readFileSync(path);
    const rel = relative(chart.dir, path).split('\\').join('/');
    if (rel === 'Chart.yaml' && version !== '' && version !== chart.version) {
      content = Buffer.from(content.toString('utf8').replace(/^version:.*$/m, `version: ${version}`));
    }
    blocks.push(header(`${chart.name}/${rel}`, content.length), content);
    const pad = (512 - (content.length % 512)) % 512;
    if (pad > 0) blocks.push(Buffer.alloc(pad));
  }
  blocks.push(Buffer.alloc(1024));
  const data = gzipSync(Buffer.concat(blocks));
  return { data, digest: `sha256:${createHash('sha256').update(data).digest('hex')}` };
}
