/** The real kubectl (/usr/bin/kubectl) against a kubeconfig text, with its own --kubeconfig and cache in a temp dir. */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const KUBECTL = '/usr/bin/kubectl';

export interface KubectlResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface Kubectl {
  run(args: string[], stdin?: string): Promise<KubectlResult>;
  /** Runs and parses `-o json` output; fails with stderr when kubectl does. */
  json<T = Record<string, unknown>>(args: string[]): Promise<T>;
  close(): void;
}

export function kubectlFor(kubeconfig: string): Kubectl {
  const dir = mkdtempSync(join(tmpdir(), 'kubectl-'));
  const path = join(dir, 'kubeconfig');
  writeFileSync(path, kubeconfig, { mode: 0o600 });
  const base = ['--kubeconfig', path, '--cache-dir', join(dir, 'cache'), '--request-timeout', '20s'];
  const run = (args: string[], stdin?: string): Promise<KubectlResult> =>
    new Promise((resolve, reject) => {
      const child = spawn(KUBECTL, [...base, ...args], {
        stdio: ['pipe', 'pipe', 'pipe'],
        env: { PATH: process.env.PATH ?? '/usr/bin', HOME: dir },
      });
      let stdout = '';
      let stderr = '';
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
      child.stdin.end(stdin ?? '');
    });
  return {
    run,
    json: async <T>(args: string[]): Promise<T> => {
      const r = await run([...args, '-o', 'json']);
      if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${r.stderr}`);
      return JSON.parse(r.stdout) as T;
    },
    close: () => rmSync(dir, { recursive: true, force: true }),
  };
}
