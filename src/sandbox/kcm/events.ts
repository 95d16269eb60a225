/** Kubernetes Events kcm records on the objects it reconciles (what `kubectl describe` shows). */
import type { KubeObject } from '../apiserver/types.js';
import type { KcmApi } from './api.js';
import type { KcmEvent } from './deployment-status.js';
import { NAMESPACES } from './resources.js';

const EVENTS = { group: '', version: 'v1', plural: 'events' };
const COMPONENT = 'kcm-controller-manager';
let sequence = 0;

/** Records an Event; skipped, as the API server would refuse it, when the namespace is terminating or gone. */
export async function recordEvent(store: KcmApi, object: KubeObject, event: KcmEvent, now: string): Promise<void> {
  const namespace = store.get(NAMESPACES, undefined, object.metadata.namespace ?? 'default');
  if (!namespace || namespace.metadata.deletionTimestamp) return;
  sequence += 1;
  const suffix = (BigInt(Date.now()) * 1_000_000n + BigInt(sequence)).toString(16);
  await store.create(EVENTS, {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${object.metadata.name}.${suffix}`, namespace: object.metadata.namespace ?? 'default' },
    involvedObject: {
      apiVersion: object.apiVersion,
      kind: object.kind,
      name: object.metadata.name,
      ...(object.metadata.namespace ? { namespace: object.metadata.namespace } : {}),
      ...(object.metadata.uid ? { uid: object.metadata.uid } : {}),
      ...(object.metadata.resourceVersion ? { resourceVersion: object.metadata.resourceVersion } : {}),
    },
    type: event.type,
    reason: event.reason,
    message: event.message,
    source: { component: COMPONENT },
    reportingComponent: COMPONENT,
    reportingInstance: COMPONENT,
    firstTimestamp: now,
    lastTimestamp: now,
    count: 1,
  });
}
