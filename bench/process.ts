/**
 * Process-level figures, through the real CLI (`node dist/src/cli/main.js`): cold start of `stdio`
 * (spawn → tools/list answered, and spawn → a first tool call answered right after initialize) next
 * to `node -e 0` in the same run, idle RSS, and RSS of `serve` with 200 sessions open.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

/** dist/bench → repository root. */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = process.env.BENCH_CLI ?? join(ROOT, 'dist', 'src', 'cli', 'main.js');

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...extra };
}

/** Resident set size of a process in MiB (Linux /proc). */
export function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

/** spawn → exit of `node -e 0`, the yardstick for a Node process that does nothing. */
export async function nodeNoop(): Promise<number> {
  const started = performance.now();
  await new Promise<void>((res, rej) => {
    const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    child.on('error', rej);
    child.on('exit', () => res());
  });
  return performance.now() - started;
}

interface Rpc {
  send(message: Record<string, unknown>): void;
  /** Bytes of the response line to request `id` (once answered). */
  bytes(id: number): number;
  response(id: number): Promise<Record<string, unknown>>;
  waitForLog(msg: RegExp, timeoutMs?: number): Promise<void>;
  /** performance.now() when the first log line whose msg matches arrived (read as stderr arrives), if it did. */
  loggedAt(msg: RegExp): number | undefined;
  pid: number;
  stop(): Promise<void>;
}

function stdioServer(env: Record<string, string>, cli: string, command?: { file: string; args: string[] }): Rpc {
  const child = command
    ? spawn(command.file, command.args, { env: cleanEnv(env), stdio: ['pipe', 'pipe', 'pipe'] })
    : spawn(process.execPath, [cli, 'stdio'], { env: cleanEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
  const waiting = new Map<number, (value: Record<string, unknown>) => void>();
  const answered = new Map<number, Record<string, unknown>>();
  /** Bytes of each response line, by id: what the server wrote on the wire. */
  const bytes = new Map<number, number>();
  let buffer = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    buffer += chunk;
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (line.trim() === '') continue;
      const message = JSON.parse(line) as Record<string, unknown>;
      if (typeof message.id === 'number') {
        bytes.set(message.id, Buffer.byteLength(line));
        const resolveIt = waiting.get(message.id);
        if (resolveIt) resolveIt(message);
        else answered.set(message.id, message);
      }
    }
  });
  /** Each log line's msg with the time its line arrived. */
  const logged: { msg: string; at: number }[] = [];
  let partial = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    partial += chunk;
    let nl: number;
    while ((nl = partial.indexOf('\n')) >= 0) {
      const line = partial.slice(0, nl);
      partial = partial.slice(nl + 1);
      if (line.startsWith('{')) logged.push({ msg: String((JSON.parse(line) as { msg?: unknown }).msg), at: performance.now() });
    }
  });
  return {
    pid: child.pid ?? 0,
    loggedAt: (msg) => logged.find((line) => msg.test(line.msg))?.at,
    bytes: (id) => bytes.get(id) ?? 0,
    send: (message) => child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', ...message })}\n`),
    response: (id) => {
      const done = answered.get(id);
      if (done) return Promise.resolve(done);
      return new Promise((res) => waiting.set(id, res));
    },
    waitForLog: async (msg, timeoutMs = 30_000) => {
      const until = Date.now() + timeoutMs;
      while (!stderr.split('\n').some((line) => line.startsWith('{') && msg.test(String((JSON.parse(line) as { msg?: unknown }).msg)))) {
        if (Date.now() > until) throw new Error(`no log line ${msg} within ${timeoutMs} ms:\n${stderr}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    stop: () =>
      new Promise<void>((res) => {
        child.on('exit', () => res());
        child.kill('SIGTERM');
      }),
  };
}

const INITIALIZE = {
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '1' } },
};

export interface ColdStart {
  toolsListMs: number;
  /** initialize answered → tools/list answered (tools/list sent as soon as initialize was answered). */
  initializeToToolsListMs: number;
  /** Bytes of the tools/list response line. */
  toolsListBytes: number;
  firstCallMs: number;
  /** RSS right after tools/list was answered. */
  rssAfterToolsListMiB: number;
  /** RSS once the server loaded behind the start answers and idled, before any tool call (no Kubernetes client). */
  idleRssMiB: number;
  /** RSS after one tool call (the Kubernetes client loaded, the API pinged) and a second of idling. */
  afterCallRssMiB: number;
  /** spawn → the server loaded behind the start answers ('serving MCP over stdio' logged). */
  serverLoadedMs: number;
  /** The first tool call on the loaded, idle server: sent → answered (it loads the Kubernetes client). */
  idleFirstCallMs: number;
  /** Then the same server answering listTemplates (unscoped, ~10 KB) in a row: median ms per call. */
  steadyCallMs: number;
}

/** Calls per cold start for {@link ColdStart.steadyCallMs}. */
const STEADY_CALLS = 20;

/** One cold start of `stdio`: spawn → initialize → tools/list; idle RSS; then RSS after one tool call. */
export async function coldStartToolsList(
  kubeconfigPath: string,
  cli = CLI,
): Promise<
  Pick<
    ColdStart,
    | 'toolsListMs'
    | 'initializeToToolsListMs'
    | 'toolsListBytes'
    | 'rssAfterToolsListMiB'
    | 'idleRssMiB'
    | 'afterCallRssMiB'
    | 'serverLoadedMs'
    | 'idleFirstCallMs'
    | 'steadyCallMs'
  >
> {
  const started = performance.now();
  const rpc = stdioServer({ K0RDENT_MGMT_KUBECONFIG_PATH: kubeconfigPath, LOG_LEVEL: 'info' }, cli);
  rpc.send({ id: 1, ...INITIALIZE });
  await rpc.response(1);
  const initialized = performance.now();
  rpc.send({ method: 'notifications/initialized' });
  rpc.send({ id: 2, method: 'tools/list' });
  const list = await rpc.response(2);
  const toolsListMs = performance.now() - started;
  const initializeToToolsListMs = performance.now() - initialized;
  const toolsListBytes = rpc.bytes(2);
  if (!Array.isArray((list.result as { tools?: unknown })?.tools)) throw new Error(`tools/list failed: ${JSON.stringify(list)}`);
  const rssAfterToolsListMiB = rssMiB(rpc.pid);
  // Idle: the server has loaded behind the start answers and nothing has called a tool (no Kubernetes client).
  await rpc.waitForLog(/serving MCP over stdio/);
  const serverLoadedMs = (rpc.loggedAt(/serving MCP over stdio/) ?? Number.NaN) - started;
  await new Promise((r) => setTimeout(r, 1000));
  const idleRssMiB = rssMiB(rpc.pid);
  // Then one tool call: the Kubernetes client loads and the API is pinged.
  const callAt = performance.now();
  rpc.send({ id: 3, method: 'tools/call', params: { name: 'k0.clusters.listCredentials', arguments: {} } });
  await rpc.response(3);
  const idleFirstCallMs = performance.now() - callAt;
  await rpc.waitForLog(/Kubernetes API reachable|Kubernetes API unreachable/);
  await new Promise((r) => setTimeout(r, 1000));
  const afterCallRssMiB = rssMiB(rpc.pid);
  // Calls in a row on the warm server: what the young generation's size may cost once it serves.
  const steady: number[] = [];
  for (let i = 0; i < STEADY_CALLS; i++) {
    const at = performance.now();
    rpc.send({ id: 10 + i, method: 'tools/call', params: { name: 'k0.clusters.listTemplates', arguments: {} } });
    const answer = await rpc.response(10 + i);
    if (answer.error !== undefined || (answer.result as { isError?: boolean } | undefined)?.isError === true)
      throw new Error(`listTemplates failed: ${JSON.stringify(answer).slice(0, 300)}`);
    steady.push(performance.now() - at);
  }
  await rpc.stop();
  return {
    toolsListMs,
    initializeToToolsListMs,
    toolsListBytes,
    rssAfterToolsListMiB,
    idleRssMiB,
    afterCallRssMiB,
    serverLoadedMs,
    idleFirstCallMs,
    steadyCallMs: median(steady),
  };
}

/**
 * The Go peer (containers/kubernetes-mcp-server, the Go binary inside the `kubernetes-mcp-server` npm package,
 * a dev dependency pinned to 0.0.67): its stdio start, spawn → tools/list, on the same kubeconfig. The binary is
 * spawned directly (not through the package's node wrapper), as a desktop client configured with it would.
 */
export const GO_PEER = (() => {
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  const name = `kubernetes-mcp-server-${process.platform}-${arch}`;
  const file = join(ROOT, 'node_modules', name, 'bin', name);
  const version = (() => {
    try {
      return (JSON.parse(readFileSync(join(ROOT, 'node_modules', 'kubernetes-mcp-server', 'package.json'), 'utf8')) as { version: string })
        .version;
    } catch {
      return undefined;
    }
  })();
  return { file, version, present: version !== undefined && existsSync(file) };
})();

export async function goPeerColdStart(
  kubeconfigPath: string,
): Promise<Pick<ColdStart, 'toolsListMs' | 'initializeToToolsListMs' | 'toolsListBytes' | 'rssAfterToolsListMiB'> & { tools: number }> {
  const started = performance.now();
  const rpc = stdioServer({}, '', { file: GO_PEER.file, args: ['--kubeconfig', kubeconfigPath] });
  rpc.send({ id: 1, ...INITIALIZE });
  await rpc.response(1);
  const initialized = performance.now();
  rpc.send({ method: 'notifications/initialized' });
  rpc.send({ id: 2, method: 'tools/list' });
  const list = await rpc.response(2);
  const toolsListMs = performance.now() - started;
  const initializeToToolsListMs = performance.now() - initialized;
  const tools = (list.result as { tools?: unknown[] } | undefined)?.tools;
  if (!Array.isArray(tools)) throw new Error(`Go peer tools/list failed: ${JSON.stringify(list).slice(0, 300)}`);
  const rssAfterToolsListMiB = rssMiB(rpc.pid);
  await rpc.stop();
  return { toolsListMs, initializeToToolsListMs, toolsListBytes: rpc.bytes(2), rssAfterToolsListMiB, tools: tools.length };
}

/** Bytes on the wire (the response line `stdio` writes) of a few answers whose size a model pays for. */
export async function wireSizes(
  kubeconfigPath: string,
  calls: { label: string; tool: string; args: Record<string, unknown> }[],
  cli = CLI,
): Promise<Map<string, number>> {
  const rpc = stdioServer({ K0RDENT_MGMT_KUBECONFIG_PATH: kubeconfigPath, LOG_LEVEL: 'warn' }, cli);
  const sizes = new Map<string, number>();
  try {
    rpc.send({ id: 1, ...INITIALIZE });
    await rpc.response(1);
    rpc.send({ method: 'notifications/initialized' });
    rpc.send({ id: 2, method: 'tools/list' });
    await rpc.response(2);
    sizes.set('tools/list', rpc.bytes(2));
    for (const [i, { label, tool, args }] of calls.entries()) {
      const id = 10 + i;
      rpc.send({ id, method: 'tools/call', params: { name: tool, arguments: args } });
      const answer = await rpc.response(id);
      if ((answer.result as { isError?: boolean } | undefined)?.isError === true)
        throw new Error(`${label}: ${JSON.stringify(answer).slice(0, 300)}`);
      sizes.set(label, rpc.bytes(id));
    }
  } finally {
    await rpc.stop();
  }
  return sizes;
}

/** One cold start of `stdio` with a tool call sent right after initialize: spawn → its result. */
export async function coldStartFirstCall(kubeconfigPath: string, tool: string, args: Record<string, unknown>, cli = CLI): Promise<number> {
  const started = performance.now();
  const rpc = stdioServer({ K0RDENT_MGMT_KUBECONFIG_PATH: kubeconfigPath, LOG_LEVEL: 'warn' }, cli);
  rpc.send({ id: 1, ...INITIALIZE });
  await rpc.response(1);
  rpc.send({ method: 'notifications/initialized' });
  rpc.send({ id: 2, method: 'tools/call', params: { name: tool, arguments: args } });
  const result = await rpc.response(2);
  const ms = performance.now() - started;
  if ((result.result as { isError?: boolean } | undefined)?.isError === true || result.error !== undefined) {
    throw new Error(`first call failed: ${JSON.stringify(result).slice(0, 500)}`);
  }
  await rpc.stop();
  return ms;
}

export interface SessionMemory {
  idleRssMiB: number;
  sessions: number;
  rssWithSessionsMiB: number;
  perSessionKiB: number;
}

/** `serve` idle, then with `count` initialized stateful sessions open: RSS and RSS per session. */
export async function serveSessions(kubeconfigPath: string, count: number, cli = CLI): Promise<SessionMemory> {
  const child = spawn(process.execPath, [cli, 'serve'], {
    // One caller opens every session: lift the per-caller cap (SESSION_LIMIT_PER_CALLER, default 100).
    env: cleanEnv({
      K0RDENT_MGMT_KUBECONFIG_PATH: kubeconfigPath,
      LISTEN_ADDR: '127.0.0.1:0',
      LOG_LEVEL: 'info',
      SESSION_LIMIT_PER_CALLER: String(count + 10),
    }),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const logged = async (msg: RegExp): Promise<Record<string, unknown>> => {
    const until = Date.now() + 30_000;
    for (;;) {
      for (const line of stderr.split('\n')) {
        if (!line.startsWith('{')) continue;
        const parsed = JSON.parse(line) as Record<string, unknown>;
        if (typeof parsed.msg === 'string' && msg.test(parsed.msg)) return parsed;
      }
      if (Date.now() > until) throw new Error(`serve did not log ${msg}:\n${stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  try {
    const url = String((await logged(/serving MCP over Streamable HTTP/)).url);
    await logged(/Kubernetes API reachable|Kubernetes API unreachable/);
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    // One session first, so code paths that load on the first session are not counted per session.
    const open = async (): Promise<void> => {
      const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', id: 1, ...INITIALIZE }) });
      const sessionId = res.headers.get('mcp-session-id');
      await res.text();
      if (!sessionId) throw new Error(`initialize failed: ${res.status}`);
      const note = await fetch(url, {
        method: 'POST',
        headers: { ...headers, 'mcp-session-id': sessionId },
        body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
      });
      await note.text();
    };
    await open();
    await new Promise((r) => setTimeout(r, 1000));
    const idleRssMiB = rssMiB(child.pid ?? 0);
    for (let i = 0; i < count; i++) await open();
    await new Promise((r) => setTimeout(r, 1000));
    const rssWithSessionsMiB = rssMiB(child.pid ?? 0);
    return { idleRssMiB, sessions: count, rssWithSessionsMiB, perSessionKiB: ((rssWithSessionsMiB - idleRssMiB) * 1024) / count };
  } finally {
    await new Promise<void>((res) => {
      child.on('exit', () => res());
      child.kill('SIGTERM');
    });
  }
}
