/**
 * The envelope of every tool call (the registry, ./registry.ts, sends every call through it): progress
 * and cancellation plumbing, one structured log line, the docs/operations.md "Metrics" metrics, AppError → tool
 * result with its message and details bounded (src/errors.ts: no echo of the input beyond a few KB), and an
 * answer for a call still running when the shutdown grace ends (stopRunningCalls). Handlers stay thin.
 */
import { TOOL, toolRef } from '../../tool-names.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { ManagerHooks } from '../../clusters/manager.js';
import { outcomeOf, type ToolOutcome } from '../../observability/instruments.js';
import { observeToolCall, type ToolMetrics } from '../../observability/tool-metrics.js';
import { sendClientLog } from '../client-log.js';
import { trackInflightCall } from '../../observability/server-metrics.js';
import { confirmerFor } from '../confirm.js';
import { AppError, boundError } from '../../errors.js';
import { asAppError, toolErrorResult, toolSuccessResult } from '../errors.js';
import type { ToolContext, ToolExtra } from '../context.js';

export type { ToolExtra };

/** What the log line says about the call; filled in as the call learns more (e.g. the resolved namespace). */
export interface CallFields {
  namespace?: string | undefined;
  template?: string | undefined;
  credential?: string | undefined;
  cluster?: string | undefined;
}

export interface CallSpec {
  /** Dotted tool name (the `tool` label and log field), or `unknown` for a name no tool has. */
  tool: string;
  operation: string;
  /** The tool may write (what a call stopped by shutdown says about what it left behind). */
  writes?: boolean | undefined;
  metrics?: ToolMetrics | undefined;
  fields: CallFields;
}

/** What a handler gets besides its arguments. */
export interface ToolCall {
  readonly context: ToolContext;
  /** Cancellation, progress and the namespace callback, for the manager. */
  readonly hooks: ManagerHooks;
  readonly extra: ToolExtra;
}

function hooksFor(context: ToolContext, extra: ToolExtra, fields: CallFields): ManagerHooks {
  const progressToken = extra._meta?.progressToken;
  return {
    signal: extra.signal,
    interrupt: context.runtime.stopping,
    progressIntervalMs: context.runtime.settings.progressIntervalMs,
    onWarning: (message) => sendClientLog(context.session, extra, 'warning', message),
    confirm: confirmerFor(context.session, context.runtime.settings.confirmDestructive, extra),
    onNamespace: (namespace) => {
      fields.namespace = namespace;
    },
    ...(progressToken !== undefined
      ? {
          onProgress: (update) => {
            void extra
              .sendNotification({
                method: 'notifications/progress',
                params: {
                  progressToken,
                  progress: update.progress,
                  ...(update.total !== undefined ? { total: update.total } : {}),
                  message: update.message,
                },
              })
              .catch(() => undefined);
          },
        }
      : {}),
  };
}

/** The calls of a runtime that are still running, each with the function that answers it at once. */
const running = new WeakMap<object, Set<() => void>>();

/**
 * Registers a call that must not go unanswered at shutdown: `stopped` settles when stopRunningCalls runs
 * for `runtime`; call `done` when the call ends either way.
 */
export function untilStopped(runtime: object): { stopped: Promise<void>; done(): void } {
  let calls = running.get(runtime);
  if (calls === undefined) running.set(runtime, (calls = new Set()));
  const set = calls;
  let stop: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  set.add(stop);
  return { stopped, done: () => set.delete(stop) };
}

/**
 * The end of the shutdown grace: every call of `runtime` still running is answered now with an error
 * result saying the server stopped (the work itself is abandoned with the process). Returns how many.
 */
export function stopRunningCalls(runtime: object): number {
  const calls = running.get(runtime);
  if (calls === undefined) return 0;
  const stops = [...calls];
  calls.clear();
  for (const stop of stops) stop();
  return stops.length;
}

/** What a call cut off by the shutdown says, including whether it may have written anything. */
function stoppedError(spec: CallSpec): AppError {
  const what =
    spec.writes === true
      ? `it may have written before it stopped: check the object (${toolRef(TOOL.clustersGet)}, ${toolRef(TOOL.clustersList)}) before repeating the call`
      : `nothing was written (${spec.tool} only reads); call it again on a running server`;
  return new AppError(
    'unavailable',
    `the server stopped (shutdown) before ${spec.tool} finished, after the shutdown grace period; ${what}`,
    { stopped: true, mayHaveWritten: spec.writes === true },
  );
}

export async function runTool(
  context: ToolContext,
  spec: CallSpec,
  extra: ToolExtra,
  body: (call: ToolCall) => Promise<Record<string, unknown>>,
): Promise<CallToolResult> {
  const started = performance.now();
  const fields = spec.fields;
  const hooks = hooksFor(context, extra, fields);
  const logger = context.session.logger;
  const registry = context.runtime.metrics;
  const finish = (outcome: ToolOutcome, logOutcome: string): Record<string, unknown> => {
    const durationMs = Math.round(performance.now() - started);
    // A name no tool has is logged, but not counted: a label per typo would grow without bound.
    if (spec.tool !== 'unknown') {
      spec.metrics?.record(registry, outcome, durationMs / 1000);
      observeToolCall(registry, spec.tool, outcome, durationMs / 1000);
    }
    // The session logger usually carries sessionId already; a second copy would duplicate the JSON key.
    const sessionId = logger.bindings().sessionId === undefined ? { sessionId: context.session.id } : {};
    return { tool: spec.tool, operation: spec.operation, ...fields, durationMs, outcome: logOutcome, ...sessionId };
  };
  const answered = trackInflightCall(registry);
  const shutdown = untilStopped(context.runtime);
  try {
    // At the end of the shutdown grace the call is answered, not left silent; the body is abandoned.
    const value = await Promise.race([body({ context, hooks, extra }), shutdown.stopped.then(() => Promise.reject(stoppedError(spec)))]);
    const outcome: ToolOutcome = value.status === 'not_found' ? 'not_found' : 'success';
    logger.info(finish(outcome, outcome), `${spec.tool} succeeded`);
    return toolSuccessResult(value);
  } catch (thrown) {
    // One bound on every echo: whatever the input made the message and details, the answer and the log line stay a few KB.
    const error = boundError(asAppError(thrown));
    const cancelled = error.details?.cancelled === true || extra.signal.aborted;
    const outcome = outcomeOf(error.code);
    const line = { ...finish(outcome, cancelled ? 'cancelled' : outcome), errorCode: error.code, error: error.message };
    if (outcome === 'error' && !cancelled) logger.error(line, `${spec.tool} failed`);
    else logger.warn(line, cancelled ? `${spec.tool} cancelled` : `${spec.tool} rejected: ${error.code}`);
    return toolErrorResult(error);
  } finally {
    shutdown.done();
    answered();
  }
}
