/**
 * The SDK's TaskStore over the cluster, one per MCP server (so per session, or per request when stateless):
 * it keeps nothing. tasks/get decodes the id, reads the ClusterDeployment with the session's own identity
 * (the namespace policy first, then RBAC) and computes the state; tasks/result returns the state's result;
 * tasks/cancel records the cancellation on the object (an annotation, so every replica sees it) behind the
 * gate of every write (READ_ONLY, then the namespace write rule) and deletes nothing. An unknown id is
 * answered with the id cut (a forged one can be megabytes). Task creation happens in ./tool-tasks.ts, which
 * hands the encoded task to createTask.
 */
import { TOOL, toolRef } from '../tool-names.js';
import type { CreateTaskOptions, TaskStore } from '@modelcontextprotocol/sdk/experimental/tasks/interfaces.js';
import {
  ErrorCode,
  McpError,
  type CallToolResult,
  type Request,
  type RequestId,
  type Result,
  type Task,
} from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import { clip, isAppError } from '../errors.js';
import { CLUSTER_DEPLOYMENT } from '../k0rdent/resources.js';
import type { K0rdentApi } from '../kube/k0rdent-api.js';
import type { NamespacePolicy } from '../policy/index.js';
import { decodeTaskId, type FollowTask, type TaskRef } from './task-id.js';
import { needsMachineCounts, taskState, type MachineCounts, type TaskState } from './task-state.js';
import { readCapiSummary } from '../clusters/capi-summary.js';
import { ENRICH_TIMEOUT_MS } from '../clusters/wait.js';
import { capiObservation, capiProgressDetail } from '../clusters/wait-capi.js';

/** Annotation on the ClusterDeployment listing the nonces of cancelled tasks (comma-separated, newest last). */
export const CANCELLED_TASKS_ANNOTATION = 'k0rdent-mcp.mirantis.com/cancelled-tasks';
const KEPT_CANCELLATIONS = 20;

/** Suggested time between tasks/get calls: each one is one GET with the caller's identity. */
export const TASK_POLL_INTERVAL_MS = 2000;

export interface ClusterTaskStoreDeps {
  api: K0rdentApi;
  policy: NamespacePolicy;
  logger: Logger;
  /** READ_ONLY: tasks/cancel writes nothing (a cancellation is a write: the annotation). */
  readOnly: boolean;
  /**
   * Aborted when the server shuts down: task requests are answered at once with an error instead of
   * following on (tasks/result would otherwise poll until the task ends, past the shutdown).
   */
  stopping?: AbortSignal | undefined;
  /** The clock (tests). */
  now?: () => number;
}

/** The result a settled or follow task hands to tasks/result: the waited call's result, as the tool returns it. */
function callResult(value: Record<string, unknown>, isError: boolean): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(value) }], structuredContent: value, ...(isError ? { isError: true } : {}) };
}

/** The id is echoed cut: a forged id can be megabytes. */
function notFound(taskId: string): McpError {
  return new McpError(ErrorCode.InvalidParams, `Task not found: ${clip(taskId, 80)}`);
}

export class ClusterTaskStore implements TaskStore {
  constructor(private readonly deps: ClusterTaskStoreDeps) {}

  private now(): number {
    return this.deps.now?.() ?? Date.now();
  }

  /** Tasks are made by the tools themselves (./tool-tasks.ts): the id is the task, nothing is stored. */
  createTask(_params: CreateTaskOptions, _requestId: RequestId, request: Request): Promise<Task> {
    return Promise.reject(
      new McpError(
        ErrorCode.InvalidRequest,
        `${request.method} cannot create a task here; only ${toolRef(TOOL.clustersDeploy)}, update and delete run as tasks`,
      ),
    );
  }

  /** Throws (rather than answering null) for an unknown id: the SDK's own "not found" quotes the id whole. */
  async getTask(taskId: string): Promise<Task> {
    // tasks/result polls through here: at shutdown it is answered (an error) within one poll interval.
    if (this.deps.stopping?.aborted)
      throw new McpError(
        ErrorCode.InternalError,
        'unavailable: the server is shutting down; the task goes on in the cluster: ask tasks/get or tasks/result again on a running server',
      );
    const ref = decodeTaskId(taskId);
    if (ref === undefined) throw notFound(taskId);
    const state = await this.stateOf(ref);
    if (state === undefined) throw notFound(taskId);
    return {
      taskId,
      status: state.status,
      statusMessage: state.statusMessage,
      ttl: null,
      createdAt: new Date(ref.created).toISOString(),
      lastUpdatedAt: state.lastUpdatedAt,
      pollInterval: TASK_POLL_INTERVAL_MS,
    };
  }

  async getTaskResult(taskId: string): Promise<Result> {
    const ref = decodeTaskId(taskId);
    if (ref === undefined) throw notFound(taskId);
    if (ref.kind === 'settled') return callResult(ref.result, ref.isError);
    const state = await this.stateOf(ref);
    if (state === undefined) throw notFound(taskId);
    return callResult(state.result, false);
  }

  /** The state lives in the cluster: nothing to store. */
  storeTaskResult(): Promise<void> {
    return Promise.resolve();
  }

  /**
   * Only cancellation is a status a client can set; it is recorded on the object, so that every replica
   * (and `serve --stateless`) sees it. That record is a write, so it passes the gate every write passes,
   * in the same order, before any request: READ_ONLY, then the namespace write rule; then RBAC, as the
   * caller's own identity. A task id is not signed: a forged one can name any ClusterDeployment, and this
   * gate is what keeps it from writing where the caller's tools may not.
   */
  async updateTaskStatus(taskId: string, status: Task['status']): Promise<void> {
    if (status !== 'cancelled') return;
    const ref = decodeTaskId(taskId);
    if (ref === undefined) throw notFound(taskId);
    if (ref.kind === 'settled')
      throw new McpError(ErrorCode.InvalidParams, 'Cannot cancel task in terminal status: it ended when it was created');
    if (this.deps.readOnly)
      throw new McpError(
        ErrorCode.InvalidRequest,
        `forbidden: the server runs read-only (READ_ONLY=true) and records no cancellation; the operation continues in the cluster, follow it with ${toolRef(TOOL.clustersGet)}`,
      );
    if (!this.deps.policy.isWritable(ref.namespace))
      throw new McpError(
        ErrorCode.InvalidRequest,
        `forbidden: namespace ${clip(ref.namespace, 63)} is outside the namespaces this server may change, so no cancellation is recorded there; follow the deployment with ${toolRef(TOOL.clustersGet)}`,
      );
    const object = await this.read(ref);
    if (object === undefined || object.metadata?.uid !== ref.uid)
      throw new McpError(ErrorCode.InvalidParams, 'Cannot cancel task in terminal status: the ClusterDeployment it followed is gone');
    const annotations = (object.metadata?.annotations ?? {}) as Record<string, string>;
    const listed = (annotations[CANCELLED_TASKS_ANNOTATION] ?? '').split(',').filter((n) => n !== '' && n !== ref.nonce);
    const value = [...listed, ref.nonce].slice(-KEPT_CANCELLATIONS).join(',');
    await this.call(() => this.deps.api.annotate(CLUSTER_DEPLOYMENT, ref.namespace, ref.name, { [CANCELLED_TASKS_ANNOTATION]: value }));
    this.deps.logger.info(
      { namespace: ref.namespace, cluster: ref.name, operation: ref.op },
      'task cancelled: no longer followed (nothing deleted)',
    );
  }

  /** tasks/list is not offered (the capability is not declared): tasks are not kept anywhere to list. */
  listTasks(): Promise<{ tasks: Task[] }> {
    return Promise.reject(
      new McpError(
        ErrorCode.MethodNotFound,
        `tasks/list is not supported: tasks are read from the cluster by id; list deployments with ${toolRef(TOOL.clustersList)}`,
      ),
    );
  }

  private async stateOf(ref: TaskRef): Promise<TaskState | undefined> {
    if (ref.kind === 'settled') {
      const at = new Date(ref.created).toISOString();
      return {
        status: ref.isError ? 'failed' : 'completed',
        statusMessage: ref.isError ? 'the call failed' : 'done',
        result: ref.result,
        lastUpdatedAt: at,
      };
    }
    // The namespace policy decides before any API call; a namespace the caller may not read has no tasks.
    if (!this.deps.policy.isReadable(ref.namespace)) return undefined;
    const object = await this.read(ref);
    // An update that changed the machines is done once CAPI counts them too: read only when kcm already says Ready.
    const capi = needsMachineCounts(ref, object) ? await this.machineCounts(ref) : undefined;
    const state = taskState(ref, object, this.now(), capi);
    const cancelled =
      object?.metadata?.uid === ref.uid &&
      String(object.metadata?.annotations?.[CANCELLED_TASKS_ANNOTATION] ?? '')
        .split(',')
        .includes(ref.nonce);
    if (!cancelled) return state;
    return {
      ...state,
      status: 'cancelled',
      statusMessage: `cancelled (no longer followed); ${state.statusMessage}`,
      result: {
        ...state.result,
        note: `the task was cancelled; the ${ref.op === 'delete' ? 'deletion' : 'deployment'} continues in the cluster: follow it with ${toolRef(TOOL.clustersGet)} or ${toolRef(TOOL.clustersList)}`,
      },
    };
  }

  /** The CAPI Cluster's counters (src/clusters/wait-capi.ts); a refusal is 'refused', a failure unread (the task stays working). */
  private async machineCounts(ref: FollowTask): Promise<MachineCounts> {
    try {
      const summary = await readCapiSummary(this.deps.api, ref.namespace, ref.name, { timeoutMs: ENRICH_TIMEOUT_MS });
      return { capi: capiObservation(summary), detail: summary === undefined ? undefined : capiProgressDetail(summary) };
    } catch (error) {
      if (isAppError(error) && (error.code === 'forbidden' || error.code === 'unauthorized')) return { capi: 'refused' };
      this.deps.logger.debug({ namespace: ref.namespace, cluster: ref.name, error: String(error) }, 'task: machine counts not read');
      return { capi: undefined };
    }
  }

  private read(ref: FollowTask) {
    return this.call(() => this.deps.api.get(CLUSTER_DEPLOYMENT, ref.namespace, ref.name));
  }

  /** API failures reach the client as a JSON-RPC error with the coded message (e.g. "forbidden: ..."). */
  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (isAppError(error))
        throw new McpError(
          error.code === 'forbidden' || error.code === 'unauthorized' ? ErrorCode.InvalidRequest : ErrorCode.InternalError,
          `${error.code}: ${error.message}`,
        );
      throw error;
    }
  }
}

/** The task store of one session (runtime/types.ts Session): its identity (the manager's client), its namespace policy, its logger; READ_ONLY and the shutdown. */
export function clusterTaskStore(
  api: K0rdentApi,
  session: { readonly namespaces: NamespacePolicy; readonly logger: Logger },
  runtime: { readonly settings: { readonly readOnly: boolean }; readonly stopping?: AbortSignal | undefined },
): ClusterTaskStore {
  return new ClusterTaskStore({
    api,
    policy: session.namespaces,
    logger: session.logger,
    readOnly: runtime.settings.readOnly,
    stopping: runtime.stopping,
  });
}
