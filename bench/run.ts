/**
 * `npm run bench`: measures the k0.clusters.* tools through a real MCP client against a sandbox at scale.
 * Figures are written to bench/RESULTS.md (and printed); nothing here asserts a time.
 *
 * Scenarios
 *  - list tools as an operator who may list cluster-wide (one LIST per resource),
 *  - list tools as a user limited to namespaces (403 on the cluster-wide LIST → per-namespace fallback),
 *  - deploy with wait=true to Ready, then delete with wait=true, against the simulated kcm.
 * Each scenario records latency percentiles and the API requests one call made (apiserver_request_total).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startSandbox } from '../src/sandbox/sandbox.js';
import type { SandboxHandle } from '../src/sandbox/index.js';
import { AZURE_BASELINE, startHarness, type Harness } from '../test/helpers/clusters-harness.js';

const SCALE = Number(process.env.BENCH_SCALE ?? 1000);
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 20);
const LIMITED_NAMESPACES = 50;

interface Row {
  scenario: string;
  calls: number;
  p50: number;
  p95: number;
  max: number;
  requestsPerCall: number;
  items: string;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function apiRequestCount(sandbox: SandboxHandle): Promise<number> {
  const text = await (await fetch(`${sandbox.url}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('apiserver_request_total{')) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

function itemCount(structured: Record<string, unknown> | undefined): number {
  if (structured === undefined) return 0;
  for (const value of Object.values(structured)) if (Array.isArray(value)) return value.length;
  return 0;
}

/** How many requests one /metrics scrape adds to apiserver_request_total (0 or 1). */
let scrapeCost = 0;

async function measure(
  scenario: string,
  sandbox: SandboxHandle,
  harness: Harness,
  tool: string,
  args: Record<string, unknown>,
  iterations = ITERATIONS,
): Promise<Row> {
  await harness.call(tool, args); // warm-up
  const durations: number[] = [];
  const before = await apiRequestCount(sandbox);
  let items = 0;
  for (let i = 0; i < iterations; i += 1) {
    const started = performance.now();
    const result = await harness.call(tool, args);
    durations.push(performance.now() - started);
    if (result.isError) throw new Error(`${scenario}: ${JSON.stringify(result.content)}`);
    items = itemCount(result.structuredContent);
  }
  const after = await apiRequestCount(sandbox);
  // The sandbox counts its own /metrics scrapes too: take the one scrape between `before` and `after` off.
  const sorted = [...durations].sort((a, b) => a - b);
  return {
    scenario,
    calls: iterations,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    max: sorted[sorted.length - 1] ?? 0,
    requestsPerCall: (after - before - scrapeCost) / iterations,
    items: String(items),
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'k0rdent-bench-'));
  const limited = Array.from({ length: LIMITED_NAMESPACES }, (_, i) => `scale-${String(i).padStart(4, '0')}`);
  const tokensFile = join(dir, 'tokens.yaml');
  writeFileSync(
    tokensFile,
    JSON.stringify({
      users: [
        { name: 'admin', token: 'bench-admin-token', namespaces: ['*'] },
        { name: 'limited', token: 'bench-limited-token', namespaces: ['kcm-system', ...limited] },
      ],
    }),
  );

  const startedAt = performance.now();
  const sandbox = await startSandbox({ scale: SCALE, tokensFile, provisionSeconds: 1, deleteSeconds: 1 });
  const startupMs = performance.now() - startedAt;
  const first = await apiRequestCount(sandbox);
  scrapeCost = (await apiRequestCount(sandbox)) - first;
  const rows: Row[] = [];
  try {
    const admin = await startHarness(sandbox, { logLevel: 'warn' }, 'bench-admin-token');
    rows.push(await measure('listCredentials, cluster-wide', sandbox, admin, 'k0.clusters.listCredentials', { limit: 100 }));
    rows.push(await measure('listTemplates scope=all, cluster-wide', sandbox, admin, 'k0.clusters.listTemplates', { limit: 100 }));
    rows.push(await measure('list deployments, cluster-wide', sandbox, admin, 'k0.clusters.list', { limit: 100 }));
    rows.push(await measure('list deployments, one namespace', sandbox, admin, 'k0.clusters.list', { namespace: 'scale-0001' }));

    const limitedHarness = await startHarness(
      sandbox,
      { logLevel: 'warn', authMode: 'OIDC_REQUIRED', namespaceFilter: /^scale-00[0-4]\d$/ },
      'bench-limited-token',
    );
    rows.push(
      await measure(`listCredentials, per-namespace fallback (${LIMITED_NAMESPACES + 1} ns)`, sandbox, limitedHarness, 'k0.clusters.listCredentials', { limit: 100 }),
    );
    rows.push(
      await measure(`list deployments, per-namespace fallback (${LIMITED_NAMESPACES + 1} ns)`, sandbox, limitedHarness, 'k0.clusters.list', { limit: 100 }),
    );

    // Lifecycle: deploy → Ready → delete → gone, against the simulated kcm (provision 1 s, delete 1 s).
    const lifecycle: number[] = [];
    const deleteDurations: number[] = [];
    for (let i = 0; i < 3; i += 1) {
      const name = `bench-${i}`;
      let started = performance.now();
      const deployed = await admin.call('k0.clusters.deploy', {
        name,
        template: 'azure-standalone-cp-1-0-15',
        credential: 'azure-cluster-credential',
        config: AZURE_BASELINE,
        wait: true,
        pollInterval: '5s',
        provisionTimeout: '60s',
      });
      if (deployed.isError) throw new Error(JSON.stringify(deployed.content));
      lifecycle.push(performance.now() - started);
      started = performance.now();
      const deleted = await admin.call('k0.clusters.delete', { name, wait: true, pollInterval: '5s', deletionTimeout: '60s' });
      if (deleted.isError) throw new Error(JSON.stringify(deleted.content));
      deleteDurations.push(performance.now() - started);
    }
    await limitedHarness.close();
    await admin.close();

    const fmt = (ms: number): string => ms.toFixed(1);
    const lines = [
      '# Benchmark results',
      '',
      `Written by \`npm run bench\` on ${new Date().toISOString()} — Node ${process.version}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB.`,
      `Sandbox: default seed + \`--scale ${SCALE}\` (started in ${fmt(startupMs)} ms). MCP client in memory; ${ITERATIONS} calls per row after one warm-up.`,
      '',
      '| scenario | p50 ms | p95 ms | max ms | API requests / call | items returned |',
      '|---|---:|---:|---:|---:|---:|',
      ...rows.map((r) => `| ${r.scenario} | ${fmt(r.p50)} | ${fmt(r.p95)} | ${fmt(r.max)} | ${r.requestsPerCall.toFixed(1)} | ${r.items} |`),
      '',
      `Lifecycle with the simulated kcm (provision 1 s, delete 1 s), 3 runs: deploy+wait Ready ${lifecycle.map(fmt).join(' / ')} ms; delete+wait gone ${deleteDurations.map(fmt).join(' / ')} ms.`,
      '',
    ];
    const text = lines.join('\n');
    process.stdout.write(text);
    writeFileSync(new URL('../../bench/RESULTS.md', import.meta.url), text);
  } finally {
    await sandbox.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
