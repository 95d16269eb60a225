/**
 * Kubernetes Events kcm records on the objects it reconciles, in the shape kcm writes them: kcm's
 * recorder is client-go's events.k8s.io/v1 EventRecorder named `kcm-controller-manager` (kcm
 * `cmd/main.go:259`, `internal/record/recorder.go`), and the ClusterDeployment controller records with
 * action "Reconcile" (kcm `internal/controller/clusterdeployment_controller.go:2213`, `:2218`). So an event
 * has `eventTime`, `reportingController`, `reportingInstance`, `action` and `note`, and no
 * firstTimestamp/lastTimestamp/count; a repeat of the same event becomes a `series` (client-go
 * `tools/events/event_broadcaster.go`: the second occurrence starts `series.count` at 2). The API server
 * serves the same objects as core/v1 Events too.
 */
import type { KubeObject } from '../apiserver/types.js';
import type { KcmApi } from './api.js';
import type { KcmEvent } from './deployment-status.js';
import { NAMESPACES } from './resources.js';

const EVENTS = { group: 'events.k8s.io', version: 'v1', plural: 'events' };
export const REPORTING_CONTROLLER = 'kcm-controller-manager';
/** client-go names the instance `<controller>-<hostname>`; the hostname is kcm's pod name. */
export const REPORTING_INSTANCE = `${REPORTING_CONTROLLER}-kcm-controller-manager-5c8f7d9b6-sbx42`;
const DEFAULT_ACTION = 'Reconcile';
/** Bound of the recorder's cache of recent events (client-go keeps one too, for series). */
const CACHE_SIZE = 4096;
let sequence = 0;

/**
 * The last event written per occurrence key, as client-go's broadcaster keeps it in memory to turn a
 * repeat into a series update instead of a new event (per API: two sandboxes in one process differ).
 */
const recent = new WeakMap<KcmApi, Map<string, KubeObject>>();

/** metav1.MicroTime: RFC 3339 with microseconds. */
function microTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

function occurrenceKey(
  namespace: string,
  regarding: Record<string, unknown>,
  event: KcmEvent & { reportingController?: string },
  action: string,
): string {
  return JSON.stringify([
    event.reportingController ?? REPORTING_CONTROLLER,
    namespace,
    regarding['kind'],
    regarding['name'],
    regarding['uid'],
    event.type,
    event.reason,
    action,
    event.message,
  ]);
}

/** Records an Event; skipped, as the API server would refuse it, when the namespace is terminating or gone. */
export async function recordEvent(
  api: KcmApi,
  object: KubeObject,
  event: KcmEvent & { action?: string; reportingController?: string; reportingInstance?: string },
  _now?: string,
): Promise<void> {
  const namespaceName = object.metadata.namespace ?? 'default';
  const namespace = api.get(NAMESPACES, undefined, namespaceName);
  if (!namespace || namespace.metadata.deletionTimestamp) return;
  const action = event.action ?? DEFAULT_ACTION;
  const now = new Date();
  const regarding: Record<string, unknown> = {
    apiVersion: object.apiVersion,
    kind: object.kind,
    name: object.metadata.name,
    ...(object.metadata.namespace ? { namespace: object.metadata.namespace } : {}),
    ...(object.metadata.uid ? { uid: object.metadata.uid } : {}),
    ...(object.metadata.resourceVersion ? { resourceVersion: object.metadata.resourceVersion } : {}),
  };
  let cache = recent.get(api);
  if (!cache) recent.set(api, (cache = new Map()));
  const key = occurrenceKey(namespaceName, regarding, event, action);
  const previous = cache.get(key);
  if (previous) {
    const series = previous['series'] as { count?: number } | undefined;
    try {
      cache.set(
        key,
        await api.update(EVENTS, { ...previous, series: { count: (series?.count ?? 1) + 1, lastObservedTime: microTime(now) } }),
      );
      return;
    } catch {
      // Gone (expired, namespace deleted) or changed meanwhile: record a fresh event instead.
      cache.delete(key);
    }
  }
  sequence += 1;
  const suffix = (BigInt(now.getTime()) * 1_000_000n + BigInt(sequence)).toString(16);
  const created = await api.create(EVENTS, {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: { name: `${object.metadata.name}.${suffix}`, namespace: namespaceName },
    eventTime: microTime(now),
    reportingController: event.reportingController ?? REPORTING_CONTROLLER,
    reportingInstance: event.reportingInstance ?? REPORTING_INSTANCE,
    action,
    reason: event.reason,
    regarding,
    note: event.message,
    type: event.type,
  });
  if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  cache.set(key, created);
}
