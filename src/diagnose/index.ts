/**
 * k0.clusters.diagnose: why a ClusterDeployment is not Ready, in one bounded call — the chain of objects
 * below it (./walk.ts), each compact, and the first broken link with the next step (./select.ts). Reads
 * only; at most MAX_REQUESTS API requests, each under its deadline, the whole call under CALL_DEADLINE_MS.
 */
import { locate } from '../clusters/get.js';
import type { CallOptions, KubeObject } from '../kube/k0rdent-api.js';
import { missingObject, NAMED_KINDS } from '../shared/not-found.js';
import type { ReadContext } from '../shared/read-context.js';
import { describePhase, isReady, readConditions } from '../k0rdent/conditions.js';
import { CLUSTER_DEPLOYMENT } from '../k0rdent/resources.js';
import { assertObjectName } from '../policy/names.js';
import { ApiChainReader, MAX_REQUESTS, type ChainReader } from './reader.js';
import type { NamespacePolicy } from '../policy/index.js';
import { markLoggedErrors } from './log-errors.js';
import { selectFirstBroken } from './select.js';
import type { Diagnosis } from './types.js';
import { walkChain, type WalkResult } from './walk.js';

export type { Diagnosis } from './types.js';

/** The whole call's deadline: well under a minute, whatever the API server does. */
export const CALL_DEADLINE_MS = 40_000;

/** The deployment, or notFound in the one shape (src/shared/not-found.ts): the nearest name there, where the name exists. */
async function readDeployment(
  ctx: ReadContext,
  name: string,
  namespace: string,
  call: CallOptions,
): Promise<{ object: KubeObject; requests: number }> {
  const object = await ctx.api.get(CLUSTER_DEPLOYMENT, namespace, name, call);
  if (object !== undefined) return { object, requests: 1 };
  throw await missingObject(ctx.api, ctx.policy, { kind: NAMED_KINDS[CLUSTER_DEPLOYMENT.kind]!, name, namespace }, call);
}

/** The walk, its first broken link, and — when nothing says it is broken — the controllers' recent errors. */
export async function analyseChain(
  reader: ChainReader,
  policy: NamespacePolicy,
  object: KubeObject,
  now: number,
): Promise<{ walked: WalkResult; selected: ReturnType<typeof selectFirstBroken> }> {
  const walked = await walkChain(reader, policy, object, now);
  let selected = selectFirstBroken(walked.nodes, object, now);
  if (selected.firstBroken === undefined && walked.nodes.some((n) => n.status === 'progressing' || n.status === 'deleting')) {
    // Nothing says it is broken: maybe a controller only logs it.
    const read = await markLoggedErrors(walked.nodes, (controller) => reader.controllerLog(controller));
    if (read.length > 0) {
      walked.notes.push(
        `no condition says what is wrong: read the recent log of ${read.join(', ')} for errors about the objects still on their way`,
      );
      selected = selectFirstBroken(walked.nodes, object, now);
    }
  }
  return { walked, selected };
}

export async function diagnoseDeployment(
  ctx: ReadContext,
  request: { name: string; namespace?: string | undefined },
  call: CallOptions,
  onNamespace?: (namespace: string) => void,
): Promise<Diagnosis> {
  assertObjectName(request.name, 'name');
  if (request.namespace !== undefined) ctx.policy.assertReadable(request.namespace);
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new Error(`the diagnosis did not finish within ${CALL_DEADLINE_MS / 1000}s`)),
    CALL_DEADLINE_MS,
  );
  const onCaller = (): void => controller.abort(call.signal?.reason);
  if (call.signal?.aborted) onCaller();
  else call.signal?.addEventListener('abort', onCaller, { once: true });
  const inner: CallOptions = { signal: controller.signal };
  try {
    const { object, requests } =
      request.namespace !== undefined
        ? await readDeployment(ctx, request.name, request.namespace, inner)
        : { object: await locate(ctx, request.name, inner), requests: 1 };
    const namespace = object.metadata?.namespace ?? request.namespace ?? '';
    onNamespace?.(namespace);
    const reader = new ApiChainReader(ctx, controller.signal, MAX_REQUESTS - requests);
    const now = Date.now();
    const { walked, selected } = await analyseChain(reader, ctx.policy, object, now);
    const conditions = readConditions(object.status);
    const deleting = object.metadata?.deletionTimestamp !== undefined;
    return {
      name: request.name,
      namespace,
      phase: describePhase(conditions, deleting),
      ready: isReady(conditions),
      shape: walked.shape,
      ...(walked.region !== undefined
        ? {
            region: {
              name: walked.region,
              note: `regional: deployed through Region "${walked.region}"; the objects below its HelmRelease live in that Region's cluster`,
            },
          }
        : {}),
      chain: walked.nodes.map(({ parent: _parent, mirrored: _mirrored, ...node }) => node),
      ...selected,
      requests: requests + reader.requests,
      notes: walked.notes,
    };
  } finally {
    clearTimeout(timer);
    call.signal?.removeEventListener('abort', onCaller);
  }
}
