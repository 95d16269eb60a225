/**
 * `npm run bench`: the performance figures of issue 13, each next to its yardstick from the same run.
 *   - cold start of `stdio` (spawn → tools/list; spawn → first tool call) vs `node -e 0`; idle RSS;
 *     `serve` with 200 sessions (RSS per session);
 *   - a 500-item list page vs a raw client-node LIST of the same page;
 *   - requests per list call for a namespace-limited user at 1,000 namespaces (TLS sandbox, --tokens);
 *   - listTemplates requests in steady state, and the other list tools and a deploy/delete lifecycle.
 * Nothing here asserts a time. Results go to a temp dir; `npm run bench -- --record` writes bench/RESULTS.md.
 * `--baseline <repo dir>` (a built checkout of an older commit) adds a "before" column measured in the
 * same run, interleaved with the current build.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import type { KubeConfig } from '@kubernetes/client-node';
import { startSandbox } from '../src/sandbox/sandbox.js';
import type { SandboxHandle } from '../src/sandbox/index.js';
import * as currentHarness from '../test/helpers/clusters-harness.js';
import { AZURE_BASELINE } from '../test/helpers/clusters-harness.js';
import { measureCalls, measureFirstCalls, rawList, type CallFigures, type HarnessModule } from './lists.js';
import { describeReadyLatency, measureReadyLatency } from './long-ops.js';
import { heapPerDefaultValidator, heapPerSession } from './session-heap.js';
import {
  CLI,
  GO_PEER,
  coldStartFirstCall,
  coldStartToolsList,
  goPeerColdStart,
  median,
  nodeNoop,
  serveSessions,
  wireSizes,
} from './process.js';

const SCALE = Number(process.env.BENCH_SCALE ?? 1000);
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 20);
/** The limited user's calls cost ~1,000 requests each before the fallback memory: fewer of them. */
const LIMITED_ITERATIONS = Math.min(ITERATIONS, 5);
const COLD_RUNS = Number(process.env.BENCH_COLD_RUNS ?? 7);
const SESSIONS = 200;
/** The namespace-limited user may read this many of the ~1,000 namespaces (no NAMESPACE_FILTER). */
const READABLE = 10;

interface Build {
  label: string;
  cli: string;
  harness: HarnessModule;
}

const args = process.argv.slice(2);
const record = args.includes('--record');
/** `--only start`: the start, memory and answer-size figures only (issues 24 and 25), recorded as their own section. */
const onlyStart = args.includes('--only') && args[args.indexOf('--only') + 1] === 'start';
const START_BEGIN = '<!-- BEGIN start and sizes: npm run bench -- --only start --record -->';
const START_END = '<!-- END start and sizes -->';
const baselineAt = args.indexOf('--baseline');
const baselineRoot = baselineAt >= 0 ? resolve(args[baselineAt + 1] ?? '') : undefined;

const ms = (v: number): string => v.toFixed(1);
const mib = (v: number): string => v.toFixed(1);
const ratio = (a: number, b: number): string => `${(a / b).toFixed(2)}×`;

async function main(): Promise<void> {
  const builds: Build[] = [];
  if (baselineRoot !== undefined) {
    const harness = (await import(
      pathToFileURL(join(baselineRoot, 'dist', 'test', 'helpers', 'clusters-harness.js')).href
    )) as HarnessModule;
    builds.push({ label: 'before', cli: join(baselineRoot, 'dist', 'src', 'cli', 'main.js'), harness });
  }
  builds.push({ label: baselineRoot !== undefined ? 'after' : 'this build', cli: CLI, harness: currentHarness });
  const loadStart = loadavg();
  const dir = mkdtempSync(join(tmpdir(), 'k0rdent-bench-'));
  const out: string[] = [];
  const cols = builds.map((b) => b.label);
  const header = (...first: string[]): void => {
    out.push(`| ${[...first, ...cols].join(' | ')} |`, `|${[...first, ...cols].map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`);
  };

  // ---- process figures (plain-HTTP sandbox; the API is only pinged and listed once) ----
  const small = await startSandbox({});
  const smallKc = join(dir, 'small-kubeconfig.yaml');
  writeFileSync(smallKc, small.kubeconfig);
  const noop: number[] = [];
  const goPeer = { toolsList: [] as number[], initToList: [] as number[], rss: [] as number[], bytes: 0, tools: 0 };
  const cold = builds.map(() => ({
    toolsList: [] as number[],
    initToList: [] as number[],
    listBytes: 0,
    firstCall: [] as number[],
    afterList: [] as number[],
    idle: [] as number[],
    afterCall: [] as number[],
    loaded: [] as number[],
    idleCall: [] as number[],
    steadyCall: [] as number[],
  }));
  try {
    for (let run = 0; run < COLD_RUNS; run++) {
      for (const [i, build] of builds.entries()) {
        noop.push(await nodeNoop());
        const c = await coldStartToolsList(smallKc, build.cli);
        cold[i]!.toolsList.push(c.toolsListMs);
        cold[i]!.initToList.push(c.initializeToToolsListMs);
        cold[i]!.listBytes = c.toolsListBytes;
        cold[i]!.afterList.push(c.rssAfterToolsListMiB);
        cold[i]!.idle.push(c.idleRssMiB);
        cold[i]!.afterCall.push(c.afterCallRssMiB);
        cold[i]!.loaded.push(c.serverLoadedMs);
        cold[i]!.idleCall.push(c.idleFirstCallMs);
        cold[i]!.steadyCall.push(c.steadyCallMs);
        cold[i]!.firstCall.push(await coldStartFirstCall(smallKc, 'k0.clusters.listCredentials', {}, build.cli));
      }
      if (GO_PEER.present) {
        const g = await goPeerColdStart(smallKc);
        goPeer.toolsList.push(g.toolsListMs);
        goPeer.initToList.push(g.initializeToToolsListMs);
        goPeer.rss.push(g.rssAfterToolsListMiB);
        goPeer.bytes = g.toolsListBytes;
        goPeer.tools = g.tools;
      }
    }
    const noopMs = median(noop);
    out.push(
      '## Start and memory',
      '',
      `\`node -e 0\` (spawn → exit), median of ${noop.length}: **${ms(noopMs)} ms**. Cold starts: median of ${COLD_RUNS} per build, interleaved.`,
      '',
    );
    header('figure');
    const row = (name: string, values: string[]): void => void out.push(`| ${name} | ${values.join(' | ')} |`);
    row(
      'stdio spawn → tools/list answered (ms)',
      cold.map((c) => `${ms(median(c.toolsList))} (${ratio(median(c.toolsList), noopMs)} node -e 0)`),
    );
    if (GO_PEER.present) {
      row(
        `stdio spawn → tools/list ÷ the Go peer's (kubernetes-mcp-server ${GO_PEER.version}, ${ms(median(goPeer.toolsList))} ms)`,
        cold.map((c) => ratio(median(c.toolsList), median(goPeer.toolsList))),
      );
    }
    row(
      'initialize answered → tools/list answered (ms)',
      cold.map((c) => ms(median(c.initToList))),
    );
    row(
      'stdio spawn → first tool call answered, sent right after initialize (ms)',
      cold.map((c) => ms(median(c.firstCall))),
    );
    row(
      'stdio spawn → server loaded behind the start answers (ms)',
      cold.map((c) => ms(median(c.loaded))),
    );
    row(
      'first tool call on the loaded, idle server: sent → answered, Kubernetes client loaded with it (ms)',
      cold.map((c) => ms(median(c.idleCall))),
    );
    row(
      'then listTemplates {} (unscoped) calls in a row on that server, median per call (ms)',
      cold.map((c) => ms(median(c.steadyCall))),
    );
    row(
      'RSS right after tools/list (MiB)',
      cold.map((c) => mib(median(c.afterList))),
    );
    row(
      'idle RSS after tools/list, server loaded, no tool call yet (MiB)',
      cold.map((c) => mib(median(c.idle))),
    );
    row(
      'RSS after the first tool call, Kubernetes client loaded and API pinged (MiB)',
      cold.map((c) => mib(median(c.afterCall))),
    );
    const sessions = [];
    for (const build of builds) sessions.push(await serveSessions(smallKc, SESSIONS, build.cli));
    row(
      `serve idle RSS (MiB)`,
      sessions.map((s) => mib(s.idleRssMiB)),
    );
    row(
      `serve RSS with ${SESSIONS} sessions (MiB)`,
      sessions.map((s) => mib(s.rssWithSessionsMiB)),
    );
    row(
      `serve RSS per session, ${SESSIONS} sessions (KiB)`,
      sessions.map((s) => s.perSessionKiB.toFixed(0)),
    );
    out.push('');
    if (GO_PEER.present) {
      out.push(
        `The Go peer in the same run (the binary of the npm package \`kubernetes-mcp-server\` ${GO_PEER.version}, spawned directly with \`--kubeconfig\` on the same sandbox, interleaved, median of ${goPeer.toolsList.length}): spawn → tools/list ${ms(median(goPeer.toolsList))} ms (${ratio(median(goPeer.toolsList), noopMs)} node -e 0), initialize → tools/list ${ms(median(goPeer.initToList))} ms, RSS after tools/list ${mib(median(goPeer.rss))} MiB, tools/list ${goPeer.bytes} bytes for ${goPeer.tools} tools.`,
        '',
      );
    }
    // Sizes on the wire (the response line stdio writes): what a model pays for each answer (issues 24 and 25).
    const calls = [
      { label: 'k0.clusters.listTemplates {} (unscoped)', tool: 'k0.clusters.listTemplates', args: {} },
      { label: 'k0.clusters.listTemplates {namespace: kcm-system}', tool: 'k0.clusters.listTemplates', args: { namespace: 'kcm-system' } },
      { label: 'k0.templates.get aws-standalone-cp-1-0-43', tool: 'k0.templates.get', args: { name: 'aws-standalone-cp-1-0-43' } },
    ];
    const sizes = [];
    for (const build of builds) sizes.push(await wireSizes(smallKc, calls, build.cli));
    const current = await wireSizes(smallKc, [
      { label: 'listTemplates detail=full', tool: 'k0.clusters.listTemplates', args: { detail: 'full' } },
      { label: 'templates.get detail=full', tool: 'k0.templates.get', args: { name: 'aws-standalone-cp-1-0-43', detail: 'full' } },
    ]).catch(() => new Map<string, number>());
    out.push('### Answer sizes on the wire (bytes of the JSON-RPC line stdio writes: structured result + its JSON text copy)', '');
    header('answer');
    for (const label of ['tools/list', ...calls.map((c) => c.label)]) {
      row(
        label,
        sizes.map(
          (m, i) => `${m.get(label) ?? 0}${label === 'tools/list' ? ` (${(cold[i]!.listBytes / 1024).toFixed(1)} KB at start)` : ''}`,
        ),
      );
    }
    out.push('');
    if (current.size > 0) {
      out.push(
        `With \`detail: "full"\` (${cols[cols.length - 1]}): listTemplates unscoped ${current.get('listTemplates detail=full')} bytes, templates.get AWS ${current.get('templates.get detail=full')} bytes.`,
        '',
      );
    }
    const heap = await heapPerSession(SESSIONS);
    const ajv = await heapPerDefaultValidator(SESSIONS);
    out.push(
      `Heap per session after a full GC, in process (Session + McpServer/Server + transport, ${SESSIONS} sessions, ${cols[cols.length - 1]}): **${heap.toFixed(1)} KiB**; the Ajv instance the SDK builds per Server when not given a shared validator weighs ${ajv.toFixed(1)} KiB on its own (same run). RSS per session is the noisier figure: it includes the HTTP transport, its event store and allocator slack.`,
      '',
    );
  } finally {
    await small.close();
  }

  if (onlyStart) return finish(out, loadStart);

  // ---- list figures (TLS sandbox at scale, token table) ----
  const limitedNamespaces = [
    'kcm-system',
    ...Array.from({ length: READABLE - 1 }, (_, i) => `scale-${String(Math.floor((i * SCALE) / (READABLE - 1))).padStart(4, '0')}`),
  ];
  const tokensFile = join(dir, 'tokens.json');
  writeFileSync(
    tokensFile,
    JSON.stringify({
      users: [
        { name: 'admin', token: 'bench-admin-token', namespaces: ['*'] },
        { name: 'limited', token: 'bench-limited-token', namespaces: limitedNamespaces },
      ],
    }),
  );
  const startedAt = performance.now();
  const sandbox: SandboxHandle = await startSandbox({ scale: SCALE, tls: true, tokensFile, provisionSeconds: 1, deleteSeconds: 1 });
  const sandboxMs = performance.now() - startedAt;
  const namespaceCount = sandbox.store.list({ group: '', version: 'v1', plural: 'namespaces' }).length;
  try {
    const figures = new Map<string, CallFigures[]>();
    const add = (name: string, value: CallFigures): void => void figures.set(name, [...(figures.get(name) ?? []), value]);
    const raw: { plain: number; keepAlive: number }[] = [];
    for (const build of builds) {
      const admin = await build.harness.startHarness(sandbox, { logLevel: 'warn' }, 'bench-admin-token');
      try {
        add(
          'k0.clusters.list, one page of 500, cluster-wide',
          await measureCalls(sandbox, admin, 'k0.clusters.list', { limit: 500 }, ITERATIONS),
        );
        const kc: KubeConfig = currentHarness.sandboxKubeConfig(sandbox, 'bench-admin-token');
        raw.push({ plain: await rawList(kc, 500, ITERATIONS, false), keepAlive: await rawList(kc, 500, ITERATIONS, true) });
        add(
          'listTemplates scope=all, first call (fresh identity)',
          await measureFirstCalls(
            sandbox,
            () => build.harness.startHarness(sandbox, { logLevel: 'warn' }, 'bench-admin-token'),
            'k0.clusters.listTemplates',
            { limit: 100 },
            3,
          ),
        );
        add(
          'listTemplates scope=all, steady state',
          await measureCalls(sandbox, admin, 'k0.clusters.listTemplates', { limit: 100 }, ITERATIONS),
        );
        add('listCredentials, cluster-wide', await measureCalls(sandbox, admin, 'k0.clusters.listCredentials', { limit: 100 }, ITERATIONS));
        add(
          'list deployments, cluster-wide, limit 100',
          await measureCalls(sandbox, admin, 'k0.clusters.list', { limit: 100 }, ITERATIONS),
        );
        add(
          'list deployments, one namespace',
          await measureCalls(sandbox, admin, 'k0.clusters.list', { namespace: 'scale-0001' }, ITERATIONS),
        );
      } finally {
        await admin.close();
      }
      const openLimited = (): Promise<Awaited<ReturnType<HarnessModule['startHarness']>>> =>
        build.harness.startHarness(sandbox, { logLevel: 'warn' }, 'bench-limited-token');
      add(
        `limited user (${READABLE} of ${namespaceCount} ns), list: first call`,
        await measureFirstCalls(sandbox, openLimited, 'k0.clusters.list', { limit: 100 }, 3),
      );
      const limited = await openLimited();
      try {
        add(
          `limited user (${READABLE} of ${namespaceCount} ns), list: later calls`,
          await measureCalls(sandbox, limited, 'k0.clusters.list', { limit: 100 }, LIMITED_ITERATIONS),
        );
        add(
          `limited user (${READABLE} of ${namespaceCount} ns), listCredentials: later calls`,
          await measureCalls(sandbox, limited, 'k0.clusters.listCredentials', { limit: 100 }, LIMITED_ITERATIONS),
        );
      } finally {
        await limited.close();
      }
    }

    out.push(
      '## Lists',
      '',
      `TLS sandbox: default seed + \`--scale ${SCALE}\` (${namespaceCount} namespaces, started in ${ms(sandboxMs)} ms), a token table with an admin and a user who may read ${READABLE} namespaces; no NAMESPACE_FILTER. MCP client in memory; ${ITERATIONS} calls per row after one warm-up (limited-user rows: ${LIMITED_ITERATIONS}), first-call rows: 3 fresh identities. Requests are resource requests counted by the sandbox API server.`,
      '',
    );
    out.push('### A page of 500 vs raw client-node', '');
    header('figure');
    const page = figures.get('k0.clusters.list, one page of 500, cluster-wide') ?? [];
    out.push(`| k0.clusters.list limit 500, p50 ms | ${page.map((f) => ms(f.p50)).join(' | ')} |`);
    out.push(
      `| raw client-node LIST limit 500 (its default: a new connection per request), median ms | ${raw.map((r) => ms(r.plain)).join(' | ')} |`,
    );
    out.push(`| raw client-node LIST limit 500 over a keep-alive agent, median ms | ${raw.map((r) => ms(r.keepAlive)).join(' | ')} |`);
    out.push(
      `| ratio to raw client-node (default / keep-alive) | ${page.map((f, i) => `${ratio(f.p50, raw[i]!.plain)} / ${ratio(f.p50, raw[i]!.keepAlive)}`).join(' | ')} |`,
    );
    out.push('');
    out.push('### Latency and API requests per call', '');
    out.push(`| scenario | ${cols.map((c) => `${c}: p50 ms | ${c}: requests | ${c}: 403s`).join(' | ')} |`);
    out.push(`|---|${cols.map(() => '---:|---:|---:').join('|')}|`);
    for (const [name, values] of figures) {
      out.push(`| ${name} | ${values.map((f) => `${ms(f.p50)} | ${f.requests.toFixed(1)} | ${f.forbidden.toFixed(1)}`).join(' | ')} |`);
    }
    out.push('');

    // Lifecycle (current build only): deploy → Ready → delete → gone against the simulated kcm.
    const admin = await currentHarness.startHarness(sandbox, { logLevel: 'warn' }, 'bench-admin-token');
    const lifecycle: number[] = [];
    const deletes: number[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        let started = performance.now();
        const deployed = await admin.call('k0.clusters.deploy', {
          name: `bench-${i}`,
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
        const deleted = await admin.call('k0.clusters.delete', {
          name: `bench-${i}`,
          wait: true,
          pollInterval: '5s',
          deletionTimeout: '60s',
        });
        if (deleted.isError) throw new Error(JSON.stringify(deleted.content));
        deletes.push(performance.now() - started);
      }
    } finally {
      await admin.close();
    }
    out.push(
      `Lifecycle with the simulated kcm (provision 1 s, delete 1 s), ${cols[cols.length - 1]}, 3 runs: deploy+wait Ready ${lifecycle.map(ms).join(' / ')} ms; delete+wait gone ${deletes.map(ms).join(' / ')} ms.`,
      '',
    );
  } finally {
    await sandbox.close();
  }

  out.push(...describeReadyLatency(await measureReadyLatency()));
  finish(out, loadStart);
}

function finish(out: string[], loadStart: number[]): void {
  const loadEnd = loadavg();
  const text = [
    '# Benchmark results',
    '',
    `Written by \`npm run bench\` on ${new Date().toISOString()} — Node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${Math.round(totalmem() / 2 ** 30)} GiB.`,
    `Load average at start ${loadStart.map((l) => l.toFixed(2)).join(' / ')}, at end ${loadEnd.map((l) => l.toFixed(2)).join(' / ')} (1/5/15 min).${baselineRoot !== undefined ? ` "before" = the build at ${baselineRoot}.` : ''}`,
    '',
    ...out,
  ].join('\n');
  process.stdout.write(`${text}\n`);
  const dir = mkdtempSync(join(tmpdir(), 'k0rdent-bench-out-'));
  const target = record ? new URL('../../bench/RESULTS.md', import.meta.url) : join(dir, 'RESULTS.md');
  if (onlyStart && record) {
    // The start section replaces its earlier self in RESULTS.md; the other figures stay as they were recorded.
    const nested = text.replace(/\n### /g, '\n#### ').replace(/\n## /g, '\n### ');
    const section = `${START_BEGIN}\n\n${nested.replace(/^# Benchmark results/, '## Start, memory and answer sizes (issues 24 and 25)')}\n\n${START_END}`;
    const previous = existsSync(target) ? readFileSync(target, 'utf8') : '# Benchmark results\n';
    const from = previous.indexOf(START_BEGIN);
    const to = previous.indexOf(START_END);
    const next =
      from >= 0 && to > from
        ? `${previous.slice(0, from)}${section}${previous.slice(to + START_END.length)}`
        : previous.replace(/^(# Benchmark results\n)/, `$1\n${section}\n`);
    writeFileSync(target, next);
  } else {
    writeFileSync(target, `${text}\n`);
  }
  process.stderr.write(
    `\nwritten to ${target instanceof URL ? target.pathname : target}${record ? '' : ' (npm run bench -- --record writes bench/RESULTS.md)'}\n`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
