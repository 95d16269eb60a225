/**
 * The catalog index refreshed from CATALOG_INDEX_URL, through a real MCP client, against an HTTP server on 127.0.0.1
 * only: the first answer is `remote` and is cached on disk with its ETag; a later server revalidates with
 * If-None-Match and answers from the cache on 304; an answer that is not a valid index is an `unavailable` error and
 * leaves the cache as it was; an unreachable URL falls back to the cache, else to the bundled index, with a warning;
 * CATALOG_MIRRORS rewrites the charts' repository and the HelmRepository install writes.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startHarness } from '../helpers/clusters-harness.js';
import { sandboxFor } from '../helpers/lifecycle.js';
import { packageRoot } from '../../src/config/package.js';
import type { CatalogSettings } from '../../src/config/types.js';
import { REFRESH_MS } from '../../src/catalog/source.js';

interface Origin {
  source: string;
  date: string;
  stale: boolean;
  warning?: string;
}

const bundledText = readFileSync(join(packageRoot(), 'data', 'catalog', 'index.json'), 'utf8');
/** A newer index than the bundled one: another date and one app only. */
const remote = (() => {
  const index = JSON.parse(bundledText) as { metadata: Record<string, unknown>; addons: { name: string }[] };
  return JSON.stringify({
    metadata: { generated: '2026-12-01T10:00:00Z', version: '1.12.0' },
    addons: index.addons.filter((a) => a.name === 'ingress-nginx'),
  });
})();

describe('k0.catalog.* with CATALOG_INDEX_URL (a server on 127.0.0.1)', () => {
  const sandbox = sandboxFor();
  const dir = mkdtempSync(join(tmpdir(), 'k0mcp-catalog-'));
  let server: Server;
  let url = '';
  let body = remote;
  const requests: IncomingHttpHeaders[] = [];
  before(async () => {
    server = createServer((req, res) => {
      requests.push(req.headers);
      if (req.headers['if-none-match'] === '"v1"' && body === remote) {
        res.writeHead(304).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', etag: '"v1"' }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/index.json`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  const settings = (extra: Partial<CatalogSettings> = {}): CatalogSettings => ({
    indexUrl: url,
    cacheDir: dir,
    mirrors: [],
    maxAgeDays: 180,
    ...extra,
  });
  const cacheFile = (name: string): string => join(dir, 'catalog', name);
  /** Makes the cached copy look fetched long ago, so the next server revalidates it. */
  const ageCache = (): void => {
    const meta = JSON.parse(readFileSync(cacheFile('index.meta.json'), 'utf8')) as { fetchedAt: number };
    writeFileSync(cacheFile('index.meta.json'), JSON.stringify({ ...meta, fetchedAt: meta.fetchedAt - 2 * REFRESH_MS }));
  };

  it('the first answer comes from the URL and is cached with its ETag', async () => {
    const harness = await startHarness(sandbox, { catalog: settings() });
    try {
      const list = await harness.ok<{ catalog: Origin; total: number }>('k0.catalog.list', {});
      assert.deepEqual([list.catalog.source, list.catalog.date, list.total], ['remote', '2026-12-01T10:00:00Z', 1]);
      assert.equal(readFileSync(cacheFile('index.json'), 'utf8'), remote);
      assert.equal((JSON.parse(readFileSync(cacheFile('index.meta.json'), 'utf8')) as { etag: string }).etag, '"v1"');
    } finally {
      await harness.close();
    }
  });

  it('a later server revalidates with If-None-Match and answers from the cache on 304', async () => {
    ageCache();
    const asked = requests.length;
    const harness = await startHarness(sandbox, { catalog: settings() });
    try {
      const app = await harness.ok<{ catalog: Origin }>('k0.catalog.get', { app: 'ingress-nginx' });
      assert.equal(app.catalog.source, 'cache');
      assert.equal(requests.length, asked + 1);
      assert.equal(requests[asked]?.['if-none-match'], '"v1"');
    } finally {
      await harness.close();
    }
  });

  it('an answer that is not a valid index is an unavailable error, and the cache is untouched', async () => {
    ageCache();
    const cached = readFileSync(cacheFile('index.json'), 'utf8');
    body = JSON.stringify({ metadata: { generated: 'yesterday', version: '1' }, addons: [{ name: 'Not An App' }] });
    const harness = await startHarness(sandbox, { catalog: settings() });
    try {
      const error = await harness.error('k0.catalog.list', {});
      assert.equal(error.code, 'unavailable');
      assert.equal(error.details?.reason, 'invalidIndex');
      assert.match(error.message, /not a valid k0rdent catalog index/);
      assert.equal(readFileSync(cacheFile('index.json'), 'utf8'), cached, 'the cache is untouched');
    } finally {
      body = remote;
      await harness.close();
    }
  });

  it('an unreachable URL answers from the bundled index, with a warning', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const harness = await startHarness(sandbox, {
      catalog: settings({ indexUrl: `http://127.0.0.1:${port}/index.json`, cacheDir: join(dir, 'empty') }),
    });
    try {
      const list = await harness.ok<{ catalog: Origin; total: number }>('k0.catalog.list', {});
      assert.equal(list.catalog.source, 'bundled');
      assert.match(list.catalog.warning ?? '', /could not be read/);
      assert.ok(list.total > 100);
    } finally {
      await harness.close();
    }
  });

  it('CATALOG_MIRRORS rewrites the charts’ repository, and install writes a HelmRepository of its own for the mirror', async () => {
    const harness = await startHarness(sandbox, {
      catalog: {
        indexUrl: undefined,
        cacheDir: undefined,
        mirrors: [{ from: 'oci://ghcr.io/k0rdent/catalog/charts', to: 'oci://registry.local:5000/k0rdent' }],
        maxAgeDays: 180,
      },
    });
    try {
      const app = await harness.ok<{ charts: { repository: string }[] }>('k0.catalog.get', { app: 'ingress-nginx' });
      assert.equal(app.charts[0]?.repository, 'oci://registry.local:5000/k0rdent');
      const dry = await harness.ok<{ objects: { kind: string; name: string }[] }>('k0.catalog.install', {
        app: 'ingress-nginx',
        dryRun: true,
      });
      assert.equal(dry.objects[0]?.name, 'k0rdent-catalog-mirror', 'kgst reserves k0rdent-catalog for the canonical URL');
    } finally {
      await harness.close();
    }
  });
});
