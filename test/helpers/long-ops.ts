/**
 * Process-level fixtures for the long-operation tests: a `sandbox` process with slow provisioning and
 * `serve` processes on it, plus the deploy arguments they share.
 */
import { join } from 'node:path';
import { AZURE_BASELINE } from './clusters-harness.js';
import { type CliProcess, startCli, startServe, tempDir } from './cli-process.js';

export interface SandboxProcess {
  proc: CliProcess;
  kubeconfig: string;
}

/** `k0rdent-mcp sandbox` with the given provisioning / deletion times, its kubeconfig in a temp dir. */
export async function startSandboxProcess(provisionSeconds: number, deleteSeconds = 2): Promise<SandboxProcess> {
  const kubeconfig = join(tempDir(), 'kubeconfig');
  const proc = startCli(['sandbox', '--listen', '127.0.0.1:0', '--kubeconfig', kubeconfig, '--provision-seconds', String(provisionSeconds), '--delete-seconds', String(deleteSeconds)]);
  await proc.waitForLog(/sandbox management cluster running/);
  return { proc, kubeconfig };
}

/** `serve` on that sandbox (its kubeconfig), with extra flags and environment. */
export function serveOn(sandbox: SandboxProcess, args: string[] = [], env: Record<string, string> = {}): Promise<{ proc: CliProcess; base: string }> {
  return startServe(['--kubeconfig-path', sandbox.kubeconfig, ...args], env);
}

export function deployArgs(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name, namespace: 'team-alpha', template: 'azure-standalone-cp-1-0-15', credential: 'azure-cluster-credential', config: AZURE_BASELINE, ...extra };
}
