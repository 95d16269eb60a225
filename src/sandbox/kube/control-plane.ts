/**
 * Starts the test control plane (test/kube-control-plane: embedded etcd, kube-apiserver,
 * kube-controller-manager with the garbage collector and namespace controllers) built by
 * `npm run kube:build`, and waits for its one JSON ready line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../apiserver/resources.js';
import { defaultCrdDir } from '../apiserver/resources.js';

/** Where `npm run kube:build` puts the binary; K0RDENT_KUBE_CONTROL_PLANE overrides it. */
export function controlPlaneBinary(): string {
  return process.env['K0RDENT_KUBE_CONTROL_PLANE'] || join(packageRoot(), '.kube-control-plane', 'bin', 'kube-control-plane');
}

export function controlPlaneBuilt(): boolean {
  return existsSync(controlPlaneBinary());
}

export interface ControlPlaneReport {
  ready: boolean;
  version: string;
  server: string;
  caFile: string;
  kubeconfig: string;
  kubeconfigs: Record<string, string>;
  etcd: string;
  pid: number;
  logDir: string;
}

export interface ControlPlane {
  readonly report: ControlPlaneReport;
  readonly server: string;
  readonly caPem: string;
  /** The admin (system:masters) kubeconfig, YAML. */
  readonly adminKubeconfig: string;
  /** Stops every component and removes the state directory. */
  close(): Promise<void>;
}

export interface ControlPlaneOptions {
  /** Extra static tokens in kube-apiserver's CSV format (token,user,uid,"groups"). */
  tokensCsv?: string;
  crdDir?: string;
  /** More CRD folders (each a --crds), e.g. data/world/crds for the world below kcm. */
  extraCrdDirs?: string[];
  /** CRD folders in place of crdDir (the real-kcm backend's sets). */
  crdDirs?: string[];
  host?: string;
  /** Fixed API server port (0 or absent = a free one). */
  port?: number;
  /** Startup bound; the cold start of kube-apiserver takes a few seconds, more on a loaded machine. */
  timeoutMs?: number;
  log?: (line: string) => void;
}

export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const binary = controlPlaneBinary();
  if (!existsSync(binary)) throw new Error(`the kube control plane is not built (${binary}); run npm run kube:build`);
  const dir = mkdtempSync(join(tmpdir(), 'k0rdent-kube-'));
  const args = ['run', '--dir', join(dir, 'state'), '--exit-on-stdin-close'];
  for (const crds of options.crdDirs ?? [options.crdDir ?? defaultCrdDir()]) args.push('--crds', crds);
  for (const extra of options.extraCrdDirs ?? []) args.push('--crds', extra);
  if (options.host) args.push('--host', options.host);
  if (options.port) args.push('--port', String(options.port));
  if (options.tokensCsv) {
    const file = join(dir, 'tokens.csv');
    writeFileSync(file, options.tokensCsv, { mode: 0o600 });
    args.push('--token-file', file);
  }
  // Its own process group (etcd runs inside it; kube-apiserver and kube-controller-manager are its children):
  // a stop signals the whole group, so nothing it started outlives it.
  const child = spawn(binary, args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  const signal = (sig: NodeJS.Signals): void => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, sig);
    } catch {
      // the group is gone
    }
  };
  const stderr: string[] = [];
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr.push(chunk);
    for (const line of chunk.split('\n')) if (line.trim() !== '') options.log?.(line);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let report: ControlPlaneReport;
  try {
    report = await waitForReport(child, exited, options.timeoutMs ?? 240_000, () => stderr.join(''));
  } catch (err) {
    signal('SIGKILL');
    await exited;
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  let closing: Promise<void> | undefined;
  return {
    report,
    server: report.server,
    caPem: readFileSync(report.caFile, 'utf8'),
    adminKubeconfig: readFileSync(report.kubeconfig, 'utf8'),
    close: () =>
      (closing ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          signal('SIGTERM');
          const timer = setTimeout(() => signal('SIGKILL'), 20_000);
          await exited;
          clearTimeout(timer);
        }
        // Whatever of the group outlived the binary (a child it did not reap).
        signal('SIGKILL');
        rmSync(dir, { recursive: true, force: true });
      })()),
  };
}

function waitForReport(
  child: ChildProcess,
  exited: Promise<number | null>,
  timeoutMs: number,
  stderr: () => string,
): Promise<ControlPlaneReport> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(
      () => reject(new Error(`the kube control plane was not ready in ${timeoutMs}ms:\n${stderr().slice(-4000)}`)),
      timeoutMs,
    );
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      for (;;) {
        const nl = buffered.indexOf('\n');
        if (nl < 0) break;
        const line = buffered.slice(0, nl).trim();
        buffered = buffered.slice(nl + 1);
        if (!line.startsWith('{')) continue;
        try {
          const parsed = JSON.parse(line) as ControlPlaneReport;
          if (parsed.ready) {
            clearTimeout(timer);
            resolve(parsed);
          }
        } catch {
          // not the report line
        }
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the kube control plane exited (${String(code)}) before it was ready:\n${stderr().slice(-4000)}`));
    });
  });
}
