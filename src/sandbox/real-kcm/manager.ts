/**
 * kcm's manager (built by `npm run kcm:build`) as a child process in its own process group, with the flags of
 * an out-of-cluster run (kcm v1.11.4 `cmd/main.go`): the admin kubeconfig, leader election in kcm-system
 * (hard-coded on; the namespace must exist), metrics and health probes off, the webhook server on a free port
 * with certificates from `src/sandbox/apiserver/tls.ts`, none of the bootstrap objects created by kcm itself
 * (the sandbox seeds them in kcm's order), the built-in Sveltos ServiceSet controller on (its default,
 * cmd/main.go:148, :459-478; the world simulates Sveltos below it, ../world/sveltos.ts), and the CAPI poller at 2 s
 * (kcm does not watch CAPI Clusters; the poller is how it sees them change). KCM_NAME is what kcm's chart sets
 * (templates/provider/kcm/templates/deployment.yaml:75-76): the adapter Deployment of its StateManagementProvider. kcm's webhook server binds every interface (there is no host
 * flag): the port is free on all of them, and nothing else of the sandbox listens beyond loopback.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { join } from 'node:path';
import { kcmManagerBinary } from './assets.js';

export const KCM_SYSTEM_NAMESPACE = 'kcm-system';
/** kcm's Deployment in a k0rdent install (`<fullname>-controller-manager`), passed to the manager as KCM_NAME. */
export const KCM_DEPLOYMENT = 'kcm-controller-manager';

export interface KcmManagerOptions {
  /** A system:masters kubeconfig file. */
  kubeconfigFile: string;
  /** Where certificates and the log go. */
  dir: string;
  certPem: string;
  keyPem: string;
  /** Free on every interface (freePortAllInterfaces). */
  webhookPort: number;
  /** CAPI poll interval (default 2s). */
  capiPollInterval?: string;
  log?: (line: string) => void;
  /** Each whole line kcm writes (the sandbox's kcm-controller-manager pod log). */
  onLine?: (line: string) => void;
}

export interface KcmManager {
  readonly pid: number;
  readonly webhookPort: number;
  /** kcm's JSON log (stderr and stdout). */
  readonly logFile: string;
  /** The last lines of the log, for error messages. */
  tail(lines?: number): string;
  readonly exited: Promise<number | null>;
  close(): Promise<void>;
}

/** A port free on every interface (kcm binds `:PORT`). */
export function freePortAllInterfaces(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function startKcmManager(options: KcmManagerOptions): Promise<KcmManager> {
  const certDir = join(options.dir, 'certs');
  mkdirSync(certDir, { recursive: true });
  writeFileSync(join(certDir, 'tls.crt'), options.certPem);
  writeFileSync(join(certDir, 'tls.key'), options.keyPem, { mode: 0o600 });
  const webhookPort = options.webhookPort;
  const logFile = join(options.dir, 'kcm.log');
  const logStream = createWriteStream(logFile);
  const args = [
    `--kubeconfig=${options.kubeconfigFile}`,
    `--leader-election-namespace=${KCM_SYSTEM_NAMESPACE}`,
    '--metrics-bind-address=0',
    '--health-probe-bind-address=0',
    `--webhook-port=${webhookPort}`,
    `--webhook-cert-dir=${certDir}`,
    '--create-management=false',
    '--create-access-management=false',
    '--create-release=false',
    '--create-templates=false',
    `--capi-cluster-poll-interval=${options.capiPollInterval ?? '2s'}`,
    '--zap-devel=false',
    '--zap-log-level=info',
  ];
  const child = spawn(kcmManagerBinary(), args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    env: { ...process.env, POD_NAMESPACE: KCM_SYSTEM_NAMESPACE, KCM_NAME: KCM_DEPLOYMENT },
  });
  const recent: string[] = [];
  let partial = '';
  const onData = (chunk: Buffer): void => {
    logStream.write(chunk);
    if (options.onLine) {
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (line.trim() !== '') options.onLine(line);
    }
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      recent.push(line);
      if (recent.length > 200) recent.shift();
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const signal = (sig: NodeJS.Signals): void => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, sig);
    } catch {
      // already gone
    }
  };
  let closing: Promise<void> | undefined;
  const manager: KcmManager = {
    pid: child.pid ?? -1,
    webhookPort,
    logFile,
    exited,
    tail: (lines = 30) => recent.slice(-lines).join('\n'),
    close: () =>
      (closing ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          signal('SIGTERM');
          const timer = setTimeout(() => signal('SIGKILL'), 10_000);
          await exited;
          clearTimeout(timer);
        }
        signal('SIGKILL');
        await new Promise<void>((resolve) => logStream.end(resolve));
      })()),
  };
  // Ready when its webhook server accepts connections (the manager starts it with the controllers).
  const until = Date.now() + 120_000;
  let gone = false;
  void exited.then(() => (gone = true));
  while (!(await listening(webhookPort))) {
    if (gone) {
      await manager.close();
      throw new Error(`kcm's manager exited (${String(child.exitCode)}) before serving its webhooks:\n${manager.tail()}`);
    }
    if (Date.now() > until) {
      await manager.close();
      throw new Error(`kcm's manager did not serve its webhooks on :${webhookPort} in 120s:\n${manager.tail()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  options.log?.(`kcm manager pid ${String(child.pid)}, webhooks on :${webhookPort}, log ${logFile}`);
  return manager;
}
