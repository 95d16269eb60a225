/**
 * A tools/call that asked for a task (MCP 2025-11-25, `params.task`): the tool runs as usual but without
 * waiting — validation, policy, confirmation and the write, through the one envelope — and the client gets
 * the task as soon as the write is done. The task id encodes what the waited call would have followed
 * (./task-id.ts); a call that ended before anything was left to follow becomes a settled task holding its
 * result. The registry (src/mcp/tools/registry.ts) calls in here for tools that declare `task`.
 */
import type { CallToolResult, CreateTaskResult } from '@modelcontextprotocol/sdk/types.js';
import type { Written } from '../clusters/types.js';
import { TASK_POLL_INTERVAL_MS } from './cluster-task-store.js';
import { encodeTaskId, taskNonce, type TaskOperation, type TaskRef } from './task-id.js';

/** Whether a tools/call asked for a task: `params.task` is an object (`{}` or `{ ttl }`). */
export function asksForTask(params: Record<string, unknown>): boolean {
  const task = params.task;
  return typeof task === 'object' && task !== null && !Array.isArray(task);
}

/** What a tool declares to run as a task. */
export interface TaskDeclaration<A> {
  operation: TaskOperation;
  /** How long the task follows the object (the call's provisionTimeout / deletionTimeout). */
  timeoutMs: (args: A) => number;
}

/** The part of a tool call the task needs: its hooks, to learn what the write produced. */
interface HookedCall {
  readonly hooks: { onWritten?: ((written: Written) => void) | undefined };
}

export interface TaskCall<A, C extends HookedCall> {
  /** Runs the tool without waiting, noting what it wrote. */
  run(args: A, call: C, run: (args: A, call: C) => Promise<Record<string, unknown>>): Promise<Record<string, unknown>>;
  /** The CreateTaskResult for the call's result. */
  created(result: CallToolResult): CreateTaskResult;
}

export function taskCall<A extends Record<string, unknown>, C extends HookedCall>(
  declaration: TaskDeclaration<A>,
  now: () => number = Date.now,
): TaskCall<A, C> {
  const created = now();
  let written: Written | undefined;
  let value: Record<string, unknown> | undefined;
  let timeoutMs = 0;
  return {
    async run(args, call, run) {
      timeoutMs = declaration.timeoutMs(args);
      const hooks = { ...call.hooks, onWritten: (w: Written) => (written = w) };
      value = await run({ ...args, wait: false }, { ...call, hooks });
      return value;
    },
    created(result) {
      const nonce = taskNonce();
      const ref: TaskRef =
        written !== undefined && value !== undefined && result.isError !== true
          ? {
              kind: 'follow',
              op: declaration.operation,
              namespace: written.namespace,
              name: written.name,
              uid: written.uid,
              generation: written.generation,
              ...(written.chart !== undefined ? { chart: written.chart } : {}),
              ...(written.previousRelease !== undefined ? { previousRelease: written.previousRelease } : {}),
              ...(written.machines !== undefined ? { machines: written.machines } : {}),
              created,
              timeoutMs,
              result: value,
              nonce,
            }
          : {
              kind: 'settled',
              created,
              isError: result.isError === true,
              result: (result.structuredContent ?? {}) as Record<string, unknown>,
              nonce,
            };
      const at = new Date(created).toISOString();
      const settled = ref.kind === 'settled';
      return {
        task: {
          taskId: encodeTaskId(ref),
          status: settled ? (ref.isError ? 'failed' : 'completed') : 'working',
          statusMessage: settled
            ? ref.isError
              ? 'the call failed; tasks/result has the error'
              : 'done; tasks/result has the result'
            : `written; following ${written?.namespace}/${written?.name}`,
          ttl: null,
          createdAt: at,
          lastUpdatedAt: at,
          pollInterval: TASK_POLL_INTERVAL_MS,
        },
      };
    },
  };
}
