/**
 * Test fixture: a sandbox API server (MemoryStore + the k0rdent CRDs) in-process, a kubeconfig in a temp dir,
 * and a runner for the real kubectl binary with its own --kubeconfig and --cache-dir.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildKubeconfig, MemoryStore, startApiServer, type ApiServer, type TokenTable } from '../../src/sandbox/apiserver/server.js';
import type { KubeObject, ResourceKey } from '../../src/sandbox/apiserver/types.js';

export const KUBECTL = '/usr/bin/kubectl';
export const GROUP = 'k0rdent.mirantis.com';
export const VERSION = 'v1beta1';
export const CD: ResourceKey = { group: GROUP, version: VERSION, plural: 'clusterdeployments' };
export const NS: ResourceKey = { group: '', version: 'v1', plural: 'namespaces' };
export const CM: ResourceKey = { group: '', version: 'v1', plural: 'configmaps' };

export interface KubectlResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface TestApiServer {
  server: ApiServer;
  store: MemoryStore;
  dir: string;
  kubeconfigPath: string;
  /** Writes a kubeconfig for `token` and returns its path. */
  kubeconfigFor(token: string | undefined): string;
  kubectl(args: string[], options?: { kubeconfig?: string; input?: string }): Promise<KubectlResult>;
  close(): Promise<void>;
}

export function namespaceObject(name: string): KubeObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
}

export function clusterDeployment(
  name: string,
  namespace: string,
  spec: Record<string, unknown> = {},
  labels?: Record<string, string>,
): KubeObject {
  return {
    apiVersion: `${GROUP}/${VERSION}`,
    kind: 'ClusterDeployment',
    metadata: { name, namespace, ...(labels ? { labels } : {}) },
    spec: { template: 'azure-standalone-cp-1-0-15', credential: 'azure-cluster-credential', ...spec },
  };
}

export async function startTestApiServer(
  options: { tls?: boolean; tokens?: TokenTable; historySize?: number; namespaces?: string[] } = {},
): Promise<TestApiServer> {
  const store = new MemoryStore(options.historySize ? { historySize: options.historySize } : {});
  for (const ns of options.namespaces ?? ['kcm-system', 'team-alpha', 'team-beta']) store.create(NS, namespaceObject(ns));
  const server = await startApiServer({
    store,
    host: '127.0.0.1',
    port: 0,
    ...(options.tls ? { tls: true } : {}),
    ...(options.tokens ? { tokens: options.tokens } : {}),
  });
  const dir = mkdtempSync(join(tmpdir(), 'sandbox-apiserver-'));
  let counter = 0;
  const kubeconfigFor = (token: string | undefined): string => {
    const path = join(dir, `kubeconfig-${counter++}.yaml`);
    writeFileSync(
      path,
      buildKubeconfig({ url: server.url, ...(server.caPem ? { caPem: server.caPem } : {}), ...(token ? { token } : {}) }),
    );
    return path;
  };
  const kubeconfigPath = kubeconfigFor(undefined);
  const children = new Set<ReturnType<typeof spawn>>();
  const kubectl = (args: string[], o: { kubeconfig?: string; input?: string } = {}): Promise<KubectlResult> =>
    new Promise((resolve) => {
      const child = spawn(
        KUBECTL,
        ['--kubeconfig', o.kubeconfig ?? kubeconfigPath, '--cache-dir', join(dir, 'cache'), '--request-timeout', '20s', ...args],
        {
          env: { ...process.env, HOME: dir, KUBECONFIG: '' },
          stdio: ['pipe', 'pipe', 'pipe'],
        },
      );
      children.add(child);
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.on('close', (code) => {
        clearTimeout(timer);
        children.delete(child);
        resolve({ code, stdout, stderr });
      });
      child.stdin.end(o.input ?? '');
    });
  return {
    server,
    store,
    dir,
    kubeconfigPath,
    kubeconfigFor,
    kubectl,
    close: async () => {
      for (const c of children) c.kill('SIGKILL');
      await server.close();
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
