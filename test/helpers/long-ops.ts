/**
 * Process-level fixtures for the long-operation tests: a `sandbox` process with slow provisioning and
 * `serve` processes on it, plus the deploy arguments they share.
 */
import { join } from 'node:path';
import { after, before } from 'node:test';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { CallToolResultSchema, type Task } from '@modelcontextprotocol/sdk/types.js';
import { AZURE_BASELINE } from './clusters-harness.js';
import { type CliProcess, startCli, startServe, tempDir } from './cli-process.js';
import { scaled } from './until.js';

export interface SandboxProcess {
  proc: CliProcess;
  kubeconfig: string;
}

/** `k0rdent-mcp sandbox` with the given provisioning / deletion times, its kubeconfig in a temp dir. */
export async function startSandboxProcess(provisionSeconds: number, deleteSeconds = 2): Promise<SandboxProcess> {
  const kubeconfig = join(tempDir(), 'kubeconfig');
  const proc = startCli([
    'sandbox',
    '--listen',
    '127.0.0.1:0',
    '--kubeconfig',
    kubeconfig,
    '--provision-seconds',
    String(provisionSeconds),
    '--delete-seconds',
    String(deleteSeconds),
  ]);
  await proc.waitForLog(/sandbox management cluster running/);
  return { proc, kubeconfig };
}

/**
 * A `k0rdent-mcp sandbox` process for the current describe: started in its `before`, stopped in its `after` (also
 * on failure). Its fields read what `before` started.
 */
export function sandboxProcessFor(provisionSeconds: number, deleteSeconds = 2): SandboxProcess {
  let sandbox: SandboxProcess | undefined;
  before(async () => {
    sandbox = await startSandboxProcess(provisionSeconds, deleteSeconds);
  });
  after(async () => {
    await sandbox?.proc.stop();
  });
  const current = (): SandboxProcess => {
    if (sandbox === undefined) throw new Error('the sandbox process is not started: read it inside a test or a hook after the fixture');
    return sandbox;
  };
  return {
    get proc() {
      return current().proc;
    },
    get kubeconfig() {
      return current().kubeconfig;
    },
  };
}

/** `serve` on that sandbox (its kubeconfig), with extra flags and environment. */
export function serveOn(
  sandbox: SandboxProcess,
  args: string[] = [],
  env: Record<string, string> = {},
): Promise<{ proc: CliProcess; base: string }> {
  return startServe(['--kubeconfig-path', sandbox.kubeconfig, ...args], env);
}

export function deployArgs(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    namespace: 'team-alpha',
    template: 'azure-standalone-cp-1-0-15',
    credential: 'azure-cluster-credential',
    config: AZURE_BASELINE,
    ...extra,
  };
}

/** Calls a tool as a task (`params.task`) and returns the task the server created. */
export async function createTask(client: Client, name: string, args: Record<string, unknown>): Promise<Task> {
  for await (const message of client.experimental.tasks.callToolStream({ name, arguments: args }, CallToolResultSchema, { task: {} })) {
    if (message.type === 'taskCreated') return message.task;
    throw new Error(`expected the task first, got ${message.type}: ${JSON.stringify(message)}`);
  }
  throw new Error('no task');
}

/**
 * Polls tasks/get (at the task's pollInterval, at most `everyMs`) until a terminal status; every state seen.
 * Fails after the scaled window (./until.ts).
 */
export async function untilTerminal(client: Client, taskId: string, everyMs = 1000, timeoutMs = 150_000): Promise<Task[]> {
  const seen: Task[] = [];
  const window = scaled(timeoutMs);
  const deadline = Date.now() + window;
  for (;;) {
    const task = await client.experimental.tasks.getTask(taskId);
    seen.push(task);
    if (['completed', 'failed', 'cancelled'].includes(task.status)) return seen;
    if (Date.now() > deadline) throw new Error(`task ${taskId} not terminal within ${window} ms: ${JSON.stringify(task)}`);
    await new Promise((resolve) => setTimeout(resolve, Math.min(task.pollInterval ?? everyMs, everyMs)));
  }
}
