/**
 * Where the catalog index comes from, offline first: the index this package ships (`bundled`), or — only when
 * CATALOG_INDEX_URL is set — one fetched from that URL (`remote`) and kept on disk with its ETag (`cache`).
 * A fetch is a conditional GET at most once per REFRESH_MS; a 304 keeps the cache, a 200 must pass the
 * published schema (./index-data.ts parseIndex) before it replaces the cache (written to a temporary file and
 * renamed), and an answer that does not is an `unavailable` error with the cache untouched. An unreachable URL
 * is not an error: the cache (else the bundled index) answers, with a warning. Every view says its source, the
 * index's date and whether it is older than CATALOG_MAX_AGE_DAYS. The mirror map rewrites chart repositories.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { CatalogSettings } from '../config/types.js';
import { AppError } from '../errors.js';
import { bundledIndex, parseIndex, type CatalogIndex } from './index-data.js';

export type IndexSource = 'bundled' | 'cache' | 'remote';

export interface IndexView {
  index: CatalogIndex;
  source: IndexSource;
  /** When the index was generated (the pinned catalog commit's date for the bundled one). */
  date: string;
  stale: boolean;
  /** The catalog commit the bundled index was generated from. */
  commit?: string;
  /** Why the answer is not from the URL (unreachable), or that the cache could not be written. */
  warning?: string;
}

/** A fetched index is used this long before the URL is asked again (with If-None-Match). */
export const REFRESH_MS = 60 * 60 * 1000;
const FETCH_TIMEOUT_MS = 10_000;
/** An index larger than this is refused (the full catalog is about 120 KB). */
const MAX_INDEX_BYTES = 8 * 1024 * 1024;
const DAY_MS = 86_400_000;

interface CacheMeta {
  url: string;
  etag?: string;
  fetchedAt: number;
}

interface Loaded {
  index: CatalogIndex;
  meta: CacheMeta;
  source: 'cache' | 'remote';
}

export const DEFAULT_CATALOG_SETTINGS: CatalogSettings = { indexUrl: undefined, cacheDir: undefined, mirrors: [], maxAgeDays: 180 };

export function defaultCacheDir(): string {
  const base = process.env['XDG_CACHE_HOME'] || join(homedir(), '.cache');
  return join(base, 'k0rdent-mcp');
}

export class CatalogSource {
  private readonly settings: CatalogSettings;
  private loaded: Loaded | undefined;
  private diskRead = false;
  private refreshing: Promise<IndexView> | undefined;

  constructor(
    settings: CatalogSettings | undefined,
    private readonly now: () => number = Date.now,
  ) {
    this.settings = settings ?? DEFAULT_CATALOG_SETTINGS;
  }

  private get dir(): string {
    return join(this.settings.cacheDir ?? defaultCacheDir(), 'catalog');
  }

  /** The index to answer from now (see the module comment). */
  async current(signal?: AbortSignal): Promise<IndexView> {
    const url = this.settings.indexUrl;
    if (url === undefined) return this.view(bundledIndex(), 'bundled');
    if (!this.diskRead) {
      this.diskRead = true;
      this.loaded = await this.readCache(url);
    }
    if (this.loaded && this.now() - this.loaded.meta.fetchedAt < REFRESH_MS) return this.view(this.loaded.index, this.loaded.source);
    this.refreshing ??= this.refresh(url, signal).finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  /** `repository` with the first matching mirror applied (a prefix match on whole path segments). */
  mirrorOf(repository: string): string {
    for (const { from, to } of this.settings.mirrors) {
      if (repository === from || repository.startsWith(`${from}/`)) return to + repository.slice(from.length);
    }
    return repository;
  }

  private view(index: CatalogIndex, source: IndexSource, warning?: string): IndexView {
    const date = index.metadata.source?.date ?? index.metadata.generated;
    const age = this.now() - Date.parse(date);
    return {
      index,
      source,
      date,
      stale: Number.isFinite(age) ? age > this.settings.maxAgeDays * DAY_MS : true,
      ...(index.metadata.source?.commit ? { commit: index.metadata.source.commit } : {}),
      ...(warning !== undefined ? { warning } : {}),
    };
  }

  private async readCache(url: string): Promise<Loaded | undefined> {
    try {
      const meta = JSON.parse(await readFile(join(this.dir, 'index.meta.json'), 'utf8')) as CacheMeta;
      if (meta.url !== url) return undefined;
      const index = await parseIndex(await readFile(join(this.dir, 'index.json'), 'utf8'), `the cache ${this.dir}`);
      return { index, meta, source: 'cache' };
    } catch {
      // No cache, another URL's, or a damaged one: the next fetch writes a fresh one.
      return undefined;
    }
  }

  private async refresh(url: string, signal: AbortSignal | undefined): Promise<IndexView> {
    const previous = this.loaded;
    const fallback = (why: string): IndexView => {
      const warning = `the catalog index URL ${url} could not be read (${why}); answering from ${previous ? `the cached copy fetched ${new Date(previous.meta.fetchedAt).toISOString()}` : 'the index this server ships'}`;
      return previous ? this.view(previous.index, 'cache', warning) : this.view(bundledIndex(), 'bundled', warning);
    };
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), FETCH_TIMEOUT_MS);
    const onAbort = (): void => timeout.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    let response: Response;
    try {
      response = await fetch(url, {
        headers: { accept: 'application/json', ...(previous?.meta.etag ? { 'if-none-match': previous.meta.etag } : {}) },
        signal: timeout.signal,
        redirect: 'follow',
      });
    } catch (error) {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (signal?.aborted) throw new AppError('unavailable', 'reading the catalog index was cancelled by the caller', { cancelled: true });
      return fallback(
        timeout.signal.aborted ? `no answer in ${FETCH_TIMEOUT_MS / 1000}s` : error instanceof Error ? error.message : String(error),
      );
    }
    try {
      if (response.status === 304 && previous) {
        const meta = { ...previous.meta, fetchedAt: this.now() };
        this.loaded = { ...previous, meta, source: 'cache' };
        await this.writeMeta(meta).catch(() => undefined);
        return this.view(previous.index, 'cache');
      }
      if (response.status !== 200) return fallback(`HTTP ${response.status}`);
      const text = await response.text();
      if (Buffer.byteLength(text) > MAX_INDEX_BYTES) return fallback(`the answer is larger than ${MAX_INDEX_BYTES} bytes`);
      // Throws (unavailable, invalidIndex) before anything is written: the cache stays as it was.
      const index = await parseIndex(text, url);
      const etag = response.headers.get('etag') ?? undefined;
      const meta: CacheMeta = { url, ...(etag ? { etag } : {}), fetchedAt: this.now() };
      this.loaded = { index, meta, source: 'remote' };
      const unwritten = await this.writeCache(text, meta).then(
        () => undefined,
        (error: unknown) =>
          `the cache ${this.dir} could not be written (${error instanceof Error ? error.message : String(error)}); the index is kept in memory only`,
      );
      return this.view(index, 'remote', unwritten);
    } catch (error) {
      if (error instanceof AppError) throw error;
      return fallback(error instanceof Error ? error.message : String(error));
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** The index first, then its meta, each through a rename: a reader never sees half a file. */
  private async writeCache(text: string, meta: CacheMeta): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const tmp = join(this.dir, `.index.${process.pid}.tmp`);
    await writeFile(tmp, text);
    await rename(tmp, join(this.dir, 'index.json'));
    await this.writeMeta(meta);
  }

  private async writeMeta(meta: CacheMeta): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const tmp = join(this.dir, `.index.meta.${process.pid}.tmp`);
    await writeFile(tmp, JSON.stringify(meta));
    await rename(tmp, join(this.dir, 'index.meta.json'));
  }
}
