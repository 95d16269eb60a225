/**
 * Spawns the real CLI (`node dist/src/cli/main.js ...`) for process-level tests: captured stdout and
 * stderr, a clean environment (no inherited K0RDENT_* / AUTH_* variables), helpers to wait for a log
 * line and to stop the process. Every spawned process is killed in `stopAll()` (call it in `after`).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** dist/test/helpers → repository root. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const CLI = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');

export interface CliProcess {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first stderr JSON log line whose `msg` matches. */
  waitForLog(msg: RegExp, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Resolves with the exit code (signal → null). */
  exited(): Promise<number | null>;
  stop(): Promise<number | null>;
}

const live = new Set<ChildProcess>();

export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', NODE_ENV: 'test', ...extra };
}

export function startCli(args: string[], env: Record<string, string> = {}): CliProcess {
  const child = spawn(process.execPath, [CLI, ...args], { env: cleanEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
  live.add(child);
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  // 'close' (not 'exit'): it fires after stdout/stderr are drained, so captured output is complete.
  const exit = new Promise<number | null>((res) =>
    child.on('close', (code) => {
      live.delete(child);
      res(code);
    }),
  );
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    waitForLog(msg, timeoutMs = 60_000) {
      return new Promise((res, rej) => {
        const timer = setTimeout(() => {
          cleanup();
          rej(new Error(`no log line matching ${msg} within ${timeoutMs} ms; stderr:\n${err}`));
        }, timeoutMs);
        const check = (): void => {
          for (const line of err.split('\n')) {
            if (!line.startsWith('{')) continue;
            try {
              const parsed = JSON.parse(line) as Record<string, unknown>;
              if (typeof parsed.msg === 'string' && msg.test(parsed.msg)) {
                cleanup();
                res(parsed);
                return;
              }
            } catch {
              // partial line; wait for more
            }
          }
        };
        const onExit = (): void => {
          cleanup();
          rej(new Error(`process exited before logging ${msg}; stderr:\n${err}`));
        };
        const cleanup = (): void => {
          clearTimeout(timer);
          child.stderr!.off('data', check);
          child.off('close', onExit);
        };
        child.stderr!.on('data', check);
        child.on('close', onExit);
        check();
      });
    },
    exited: () => exit,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exit;
    },
  };
}

/** Starts `serve` on a free loopback port and returns the process and its base URL. */
export async function startServe(args: string[], env: Record<string, string>): Promise<{ proc: CliProcess; base: string }> {
  const proc = startCli(['serve', ...args], { LISTEN_ADDR: '127.0.0.1:0', ...env });
  const line = await proc.waitForLog(/serving MCP over Streamable HTTP/);
  const url = new URL(String(line.url));
  return { proc, base: `${url.protocol}//${url.host}` };
}

/** Runs the CLI to completion (for fail-fast cases). */
export async function runCli(
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 60_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const proc = startCli(args, env);
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), timeoutMs);
  const code = await proc.exited();
  clearTimeout(timer);
  return { code, stdout: proc.stdout(), stderr: proc.stderr() };
}

export function stopAll(): void {
  for (const child of live) child.kill('SIGKILL');
}

export function tempDir(prefix = 'k0mcp-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A kubeconfig for `server` (plain HTTP allowed via insecure-skip-tls-verify) in a temp file. */
export function writeKubeconfig(server: string, opts: { token?: string; dir?: string; extraUser?: string } = {}): string {
  const dir = opts.dir ?? tempDir();
  const file = join(dir, 'kubeconfig.yaml');
  const user = opts.extraUser ?? `    token: ${opts.token ?? 'operator-kubeconfig-token'}`;
  writeFileSync(
    file,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: mgmt',
      '  cluster:',
      `    server: ${server}`,
      ...(server.startsWith('http:') ? ['    insecure-skip-tls-verify: true'] : []),
      'users:',
      '- name: operator',
      '  user:',
      user,
      'contexts:',
      '- name: mgmt',
      '  context: {cluster: mgmt, user: operator}',
      'current-context: mgmt',
      '',
    ].join('\n'),
  );
  return file;
}

/** A kubeconfig for an API server that is not there (connection refused). */
export function unreachableKubeconfig(): string {
  return writeKubeconfig('http://127.0.0.1:1');
}
