/**
 * events.k8s.io/v1 Events as a view of the core/v1 Events, as kube-apiserver serves them: one storage,
 * two versions converted field by field (kubernetes `pkg/apis/events/v1/conversion.go`,
 * Convert_v1_Event_To_core_Event / Convert_core_Event_To_v1_Event: regarding ↔ involvedObject,
 * note ↔ message, deprecatedSource/FirstTimestamp/LastTimestamp/Count ↔ source/firstTimestamp/
 * lastTimestamp/count, reportingController ↔ reportingComponent; the rest has the same name).
 * Its field selectors are mapped the same way (AddFieldLabelConversionsForEvent in that file).
 */
import type { KubeObject, ResourceKey } from './types.js';

export const CORE_EVENTS: ResourceKey = { group: '', version: 'v1', plural: 'events' };
export const EVENTS_V1: ResourceKey = { group: 'events.k8s.io', version: 'v1', plural: 'events' };

/** [events.k8s.io/v1 field, core/v1 field]; every other top-level field keeps its name. */
const RENAMED: readonly (readonly [string, string])[] = [
  ['regarding', 'involvedObject'],
  ['note', 'message'],
  ['deprecatedSource', 'source'],
  ['deprecatedFirstTimestamp', 'firstTimestamp'],
  ['deprecatedLastTimestamp', 'lastTimestamp'],
  ['deprecatedCount', 'count'],
  ['reportingController', 'reportingComponent'],
];

function rename(object: KubeObject, pairs: readonly (readonly [string, string])[], apiVersion: string): KubeObject {
  const out: KubeObject = { ...object, apiVersion, kind: 'Event' };
  for (const [from, to] of pairs) {
    delete out[from];
    if (object[from] !== undefined) out[to] = object[from];
  }
  return out;
}

/** A stored core/v1 Event as events.k8s.io/v1 serves it. */
export function eventFromStorage(object: KubeObject): KubeObject {
  return rename(
    object,
    RENAMED.map(([v1, core]) => [core, v1] as const),
    'events.k8s.io/v1',
  );
}

/** An events.k8s.io/v1 Event as it is stored (core/v1). */
export function eventToStorage(object: KubeObject): KubeObject {
  return rename(object, RENAMED, 'v1');
}

/**
 * The field selectors events.k8s.io/v1 accepts, and the path each is matched on in the served
 * (events.k8s.io/v1) object. `source` has no field of its own any more; it matches the deprecated one.
 */
export const EVENTS_V1_FIELD_PATHS: Readonly<Record<string, string>> = {
  reason: 'reason',
  'regarding.kind': 'regarding.kind',
  'regarding.namespace': 'regarding.namespace',
  'regarding.name': 'regarding.name',
  'regarding.uid': 'regarding.uid',
  'regarding.apiVersion': 'regarding.apiVersion',
  'regarding.resourceVersion': 'regarding.resourceVersion',
  'regarding.fieldPath': 'regarding.fieldPath',
  reportingController: 'reportingController',
  source: 'deprecatedSource.component',
  type: 'type',
  'metadata.namespace': 'metadata.namespace',
  'metadata.name': 'metadata.name',
};
