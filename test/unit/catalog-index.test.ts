/**
 * The bundled catalog index: it passes the catalog's published index schema (the check a refreshed index must pass),
 * holds the figures of catalog 0925d33 (113 apps, 125 charts, 279 chart versions), and is what
 * scripts/catalog-index.mjs makes from the pinned commit when that repository is at hand. The queries over it and
 * the CATALOG_* settings, in tables.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseIndex, bundledIndex } from '../../src/catalog/index-data.js';
import { chartVersions, findAddon, newerThan, serviceTemplateName } from '../../src/catalog/query.js';
import { CatalogSource } from '../../src/catalog/source.js';
import { packageRoot } from '../../src/config/package.js';
import { parseConfig } from '../../src/config/settings.js';
import { AppError } from '../../src/errors.js';

const CATALOG_REPO = process.env['K0RDENT_CATALOG_REPO'] ?? '/work/.mirror/k0rdent+catalog/repo';
const text = readFileSync(join(packageRoot(), 'data', 'catalog', 'index.json'), 'utf8');

describe('the bundled catalog index', () => {
  it('passes the published index schema and holds catalog 0925d33’s figures', async () => {
    const index = await parseIndex(text, 'data/catalog/index.json');
    assert.equal(index.metadata.source?.commit, '0925d33b9d73c073a0457dd8220bd053bdad5468');
    assert.equal(index.addons.length, 113);
    assert.equal(index.addons.flatMap((a) => a.charts).length, 125);
    assert.equal(index.addons.flatMap((a) => a.charts.flatMap((c) => c.versions)).length, 279);
    assert.ok(Buffer.byteLength(text) < 150_000, 'small enough to ship');
  });

  it(
    'is what scripts/catalog-index.mjs makes from the pinned commit',
    { skip: !existsSync(CATALOG_REPO) && `no catalog repository at ${CATALOG_REPO}` },
    () => {
      execFileSync(process.execPath, [join(packageRoot(), 'scripts', 'catalog-index.mjs'), CATALOG_REPO, '--check'], { stdio: 'pipe' });
    },
  );

  it('refuses what is not an index, saying why', async () => {
    for (const [body, why] of [
      ['not json', /not JSON/],
      ['{"metadata":{"generated":"2026-01-01T00:00:00Z","version":"1"},"addons":[{"name":"x"}]}', /must have required property/],
      ['{"metadata":{"generated":"2026-01-01T00:00:00Z","version":"1"},"addons":[]}', /no addons/],
    ] as const) {
      await assert.rejects(
        parseIndex(body, 'test'),
        (error: unknown) => error instanceof AppError && error.code === 'unavailable' && why.test(error.message),
      );
    }
  });
});

describe('catalog queries', () => {
  const index = bundledIndex();
  it('an app by name or by one of its charts; nearest names otherwise', () => {
    assert.equal(findAddon(index, 'istiod').name, 'istio');
    assert.throws(
      () => findAddon(index, 'cert-manger'),
      (e: unknown) => e instanceof AppError && e.code === 'notFound' && /"cert-manager"/.test(e.message),
    );
  });
  it('versions: the newest of each chart, or the one asked for in every chart; a v prefix is accepted', () => {
    const istio = findAddon(index, 'istio');
    assert.deepEqual(
      chartVersions(istio, undefined).map((v) => v.version),
      ['1.30.3', '1.30.3', '1.30.3'],
    );
    assert.deepEqual(
      chartVersions(istio, 'v1.27.1').map((v) => `${v.chart}@${v.version}`),
      ['istio-base@1.27.1', 'istiod@1.27.1', 'istio-gateway@1.27.1'],
    );
    assert.throws(
      () => chartVersions(istio, '1.27.2'),
      (e: unknown) => e instanceof AppError && e.details?.nearest === '1.27.1',
    );
  });
  it('template names and newer versions', () => {
    assert.equal(serviceTemplateName('ingress-nginx', '4.15.1'), 'ingress-nginx-4-15-1');
    assert.equal(newerThan('4.11.3', ['4.15.1', '4.11.5']), '4.15.1');
    assert.equal(newerThan('4.15.1', ['4.15.1']), undefined);
  });
  it('mirrors rewrite whole path prefixes only', () => {
    const source = new CatalogSource({
      indexUrl: undefined,
      cacheDir: undefined,
      maxAgeDays: 180,
      mirrors: [{ from: 'oci://ghcr.io/k0rdent/catalog/charts', to: 'oci://m/c' }],
    });
    assert.equal(source.mirrorOf('oci://ghcr.io/k0rdent/catalog/charts'), 'oci://m/c');
    assert.equal(source.mirrorOf('oci://ghcr.io/k0rdent/catalog/charts/sub'), 'oci://m/c/sub');
    assert.equal(source.mirrorOf('oci://ghcr.io/k0rdent/catalog/chartsx'), 'oci://ghcr.io/k0rdent/catalog/chartsx');
  });
  it('stale: older than CATALOG_MAX_AGE_DAYS', async () => {
    const date = Date.parse(bundledIndex().metadata.source?.date ?? '');
    const young = new CatalogSource(
      { indexUrl: undefined, cacheDir: undefined, mirrors: [], maxAgeDays: 30 },
      () => date + 29 * 86_400_000,
    );
    const old = new CatalogSource({ indexUrl: undefined, cacheDir: undefined, mirrors: [], maxAgeDays: 30 }, () => date + 31 * 86_400_000);
    assert.equal((await young.current()).stale, false);
    assert.equal((await old.current()).stale, true);
  });
});

describe('CATALOG_* settings', () => {
  const parse = (raw: Record<string, string>) => parseConfig({ kubeconfigPath: '/x', ...raw }, { sandbox: false }).settings;
  it('absent: no catalog settings (the defaults)', () => {
    assert.equal(parse({}).catalog, undefined);
  });
  it('a mirror map of oci:// pairs; anything else is a config error naming CATALOG_MIRRORS', () => {
    assert.deepEqual(parse({ catalogMirrors: 'oci://ghcr.io/k0rdent/catalog/charts=oci://registry.local/c/, ' }).catalog?.mirrors, [
      { from: 'oci://ghcr.io/k0rdent/catalog/charts', to: 'oci://registry.local/c' },
    ]);
    for (const bad of ['https://ghcr.io/x=oci://y/z', 'oci://a/b', 'oci://a/b=oci://c/d=oci://e/f', 'oci://a/b=http://c'])
      assert.throws(() => parse({ catalogMirrors: bad }), /CATALOG_MIRRORS.*oci:\/\//);
  });
  it('the index URL must be http(s); the age a whole number of days', () => {
    assert.equal(
      parse({ catalogIndexUrl: 'https://catalog.k0rdent.io/latest/index.json' }).catalog?.indexUrl,
      'https://catalog.k0rdent.io/latest/index.json',
    );
    assert.throws(() => parse({ catalogIndexUrl: 'ftp://x/index.json' }), /CATALOG_INDEX_URL/);
    assert.throws(() => parse({ catalogMaxAgeDays: '1.5' }), /CATALOG_MAX_AGE_DAYS/);
  });
});
