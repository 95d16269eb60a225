/**
 * The npm package as a user gets it: `npm pack` ships what runs (dist/src with resolvable source maps,
 * data/, LICENSE) and nothing of the tests or the bench; the packed tarball, installed into an empty
 * folder (offline, from the npm cache that `npm ci` filled), gives a `k0rdent-mcp` binary that answers
 * `--version` and an MCP handshake over stdio with --sandbox.
 *
 * `npm pack` runs with --ignore-scripts here: `npm test` has just built dist/, and a prepack rebuild
 * would rewrite dist/ under the test files running in parallel.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, posix, relative } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { cleanEnv, REPO_ROOT, stopAll, tempDir } from '../helpers/cli-process.js';

const run = promisify(execFile);
after(stopAll);

interface PackResult {
  name: string;
  version: string;
  filename: string;
  files: { path: string }[];
}

interface PackageJson {
  name: string;
  version: string;
  license: string;
  bin: Record<string, string>;
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  engines: Record<string, string>;
}

const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as PackageJson;

async function npmPack(args: string[], cwd = REPO_ROOT): Promise<PackResult> {
  const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', ...args], {
    cwd,
    env: { ...process.env, npm_config_loglevel: 'error' },
    maxBuffer: 64 * 1024 * 1024,
  });
  const [result] = JSON.parse(stdout) as PackResult[];
  assert.ok(result, 'npm pack --json printed no result');
  return result;
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

describe('the npm package', () => {
  let packed: PackResult;
  let files: Set<string>;

  before(async () => {
    packed = await npmPack(['--dry-run']);
    files = new Set(packed.files.map((f) => f.path));
  });

  it('has scripts that build dist/ when packed (prepack) and when installed from git or a folder (prepare)', () => {
    assert.match(pkg.scripts.prepack ?? '', /build-package\.mjs/);
    assert.match(pkg.scripts.prepare ?? '', /build-package\.mjs/);
    assert.equal(pkg.license, 'Apache-2.0');
  });

  it('ships the binary, every compiled module of src/, the data and the LICENSE', () => {
    for (const required of ['package.json', 'README.md', 'LICENSE', pkg.bin['k0rdent-mcp']!.replace(/^\.\//, '')]) {
      assert.ok(files.has(required), `${required} is not in the package`);
    }
    const sources = walk(join(REPO_ROOT, 'src'))
      .filter((f) => f.endsWith('.ts'))
      .map((f) => relative(REPO_ROOT, f).split('\\').join('/'));
    assert.ok(sources.length > 50, `expected the src/ tree, found ${sources.length} files`);
    for (const source of sources) {
      const compiled = `dist/${source.replace(/\.ts$/, '.js')}`;
      assert.ok(files.has(compiled), `${compiled} (from ${source}) is not in the package`);
      assert.ok(files.has(source), `${source} is not in the package (its source map points at it)`);
    }
    const data = walk(join(REPO_ROOT, 'data')).map((f) => relative(REPO_ROOT, f).split('\\').join('/'));
    for (const file of data) assert.ok(files.has(file), `${file} is not in the package`);
    const license = readFileSync(join(REPO_ROOT, 'LICENSE'), 'utf8');
    assert.match(license, /^\s*Apache License\s+Version 2\.0, January 2004/);
    assert.match(license, /END OF TERMS AND CONDITIONS/);
  });

  it('ships nothing of the tests, the bench, the docs sources or the tooling', () => {
    const stray = [...files].filter(
      (f) =>
        /^(test|bench|dist\/test|dist\/bench|node_modules|openspec|docs|scripts|\.ci)\//.test(f) ||
        f.endsWith('.tgz') ||
        f === 'tsconfig.json',
    );
    assert.deepEqual(stray, []);
  });

  it('has no dangling source map: every map is next to its module and names only shipped sources', () => {
    // A module whose source was deleted may linger in a developer's dist/ (tsc never cleans it); prepack's
    // clean build drops it, so it is not judged here.
    const stale = (f: string): boolean => !existsSync(join(REPO_ROOT, f.replace(/^dist\//, '').replace(/\.js\.map$/, '.ts')));
    const maps = [...files].filter((f) => f.endsWith('.map') && !stale(f));
    assert.ok(maps.length > 0, 'the build emits source maps');
    for (const map of maps) {
      assert.ok(files.has(map.replace(/\.map$/, '')), `${map} has no module`);
      const parsed = JSON.parse(readFileSync(join(REPO_ROOT, map), 'utf8')) as { sources: string[]; sourceRoot?: string };
      for (const source of parsed.sources) {
        const target = posix.normalize(posix.join(posix.dirname(map), parsed.sourceRoot ?? '', source));
        assert.ok(files.has(target), `${map} points at ${target}, which is not in the package`);
      }
    }
  });

  it(
    'installs from the packed tarball into an empty folder: npx k0rdent-mcp --version and a stdio handshake with --sandbox',
    { timeout: 240_000 },
    async () => {
      const dir = tempDir('k0mcp-pack-');
      const tarball = await npmPack(['--pack-destination', dir]);
      assert.equal(tarball.filename, `${pkg.name}-${pkg.version}.tgz`);
      // A consumer's lock: the tarball plus this repository's resolved runtime tree (no dev dependencies),
      // so `npm ci --offline` needs nothing but the tarballs in the npm cache. A runtime import of a dev
      // dependency would fail below.
      const lock = JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as {
        packages: Record<string, { dev?: boolean }>;
      };
      const spec = `file:${tarball.filename}`;
      const packages: Record<string, unknown> = {
        '': { name: 'consumer', version: '1.0.0', dependencies: { [pkg.name]: spec } },
        [`node_modules/${pkg.name}`]: {
          version: pkg.version,
          resolved: spec,
          license: pkg.license,
          dependencies: pkg.dependencies,
          bin: pkg.bin,
          engines: pkg.engines,
        },
      };
      for (const [path, entry] of Object.entries(lock.packages))
        if (path.startsWith('node_modules/') && entry.dev !== true) packages[path] = entry;
      writeFileSync(
        join(dir, 'package.json'),
        JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, dependencies: { [pkg.name]: spec } }),
      );
      writeFileSync(
        join(dir, 'package-lock.json'),
        JSON.stringify({ name: 'consumer', version: '1.0.0', lockfileVersion: 3, requires: true, packages }),
      );
      const env = { ...cleanEnv(), npm_config_loglevel: 'error', npm_config_update_notifier: 'false' };
      try {
        await run('npm', ['ci', '--offline', '--no-audit', '--no-fund'], { cwd: dir, env, maxBuffer: 16 * 1024 * 1024 });
      } catch (error) {
        throw new Error(
          `npm ci --offline of the packed tarball failed (is the npm cache filled? run npm ci in the repo first): ${(error as Error).message}`,
        );
      }
      const installed = join(dir, 'node_modules', pkg.name);
      assert.ok(lstatSync(installed).isDirectory(), 'the package is unpacked from the tarball, not linked to the checkout');

      const version = await run('npx', ['--no-install', 'k0rdent-mcp', '--version'], { cwd: dir, env });
      assert.equal(version.stdout.trim(), pkg.version);

      const transport = new StdioClientTransport({
        command: 'npx',
        args: ['--no-install', 'k0rdent-mcp', 'stdio', '--sandbox'],
        cwd: dir,
        env: env as Record<string, string>,
        stderr: 'pipe',
      });
      let stderr = '';
      transport.stderr?.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
      const client = new Client({ name: 'package-test', version: '1.0.0' });
      try {
        await client.connect(transport);
      } catch (error) {
        throw new Error(`the installed k0rdent-mcp did not answer initialize: ${(error as Error).message}; stderr:\n${stderr}`);
      }
      try {
        assert.deepEqual(client.getServerVersion(), { name: 'k0rdent-mcp', version: pkg.version });
        const { tools } = await client.listTools();
        assert.ok(
          tools.some((t) => t.name === 'k0.clusters.listTemplates'),
          `tools: ${tools.map((t) => t.name).join(', ')}`,
        );
        // The data/ shipped in the package seeds the sandbox: the real chart schemas back the templates.
        const result = await client.callTool({ name: 'k0.clusters.listTemplates', arguments: { scope: 'global', detail: 'full' } });
        assert.ok(!result.isError, JSON.stringify(result.structuredContent));
        const items = (result.structuredContent as { items: { name: string; configSchema?: { required?: string[] } }[] }).items;
        const azure = items.find((t) => t.name === 'azure-standalone-cp-1-0-15');
        assert.ok(azure, `templates: ${items.map((t) => t.name).join(', ')}`);
        assert.ok((azure.configSchema?.required ?? []).length > 0, 'the template outline comes from the shipped chart schema');
      } finally {
        await client.close();
      }
    },
  );
});
