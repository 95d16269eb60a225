/** Status writes shared by the world's controllers: one write when something changed, none otherwise. */
import { isDeepStrictEqual } from 'node:util';
import type { KubeObject, ResourceKey } from '../apiserver/types.js';
import type { KcmApi } from '../kcm/api.js';
import { isCondition, setCondition, type Condition, type ConditionInput } from '../kcm/conditions.js';

export type Status = Record<string, unknown>;

export function statusOf(object: KubeObject | undefined): Status {
  const status = object?.['status'];
  return typeof status === 'object' && status !== null && !Array.isArray(status) ? (status as Status) : {};
}

export function specOf(object: KubeObject | undefined): Record<string, unknown> {
  const spec = object?.['spec'];
  return typeof spec === 'object' && spec !== null && !Array.isArray(spec) ? (spec as Record<string, unknown>) : {};
}

export function conditionsIn(status: Status): Condition[] {
  const raw = status['conditions'];
  return Array.isArray(raw) ? raw.filter(isCondition) : [];
}

export function findIn(status: Status, type: string): Condition | undefined {
  return conditionsIn(status).find((c) => c.type === type);
}

/** metav1.Condition updates (apimeta.SetStatusCondition: lastTransitionTime kept while the status holds). */
export function withConditions(status: Status, inputs: readonly ConditionInput[], now: string): Condition[] {
  let conditions = conditionsIn(status);
  for (const input of inputs) conditions = setCondition(conditions, input, now);
  return conditions;
}

export function nowTime(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * The last status each object was given (by uid) and the resourceVersion that write left: a real API server
 * prunes what a CRD's schema does not name, so the stored status can differ from the one written for good; the
 * same status is not written again until something else has changed the object.
 */
const lastWritten = new Map<string, { json: string; resourceVersion: string | undefined }>();

/** Replaces the status when it differs; returns the object as the API left it. */
export async function writeStatus(api: KcmApi, resource: ResourceKey, object: KubeObject, status: Status): Promise<KubeObject> {
  const clean = Object.fromEntries(Object.entries(status).filter(([, v]) => v !== undefined));
  if (isDeepStrictEqual(statusOf(object), clean)) return object;
  const uid = object.metadata.uid ?? `${resource.plural}/${object.metadata.namespace ?? ''}/${object.metadata.name}`;
  const json = JSON.stringify(clean);
  const last = lastWritten.get(uid);
  if (last && last.json === json && last.resourceVersion === object.metadata.resourceVersion) return object;
  const written = await api.updateStatus(resource, object.metadata.namespace, object.metadata.name, clean);
  if (lastWritten.size > 50_000) lastWritten.clear();
  lastWritten.set(uid, { json, resourceVersion: written.metadata.resourceVersion });
  return written;
}

/** Adds a finalizer (an object update); returns the updated object, or the object when it had it. */
export async function addFinalizer(api: KcmApi, resource: ResourceKey, object: KubeObject, finalizer: string): Promise<KubeObject> {
  const finalizers = object.metadata.finalizers ?? [];
  if (finalizers.includes(finalizer)) return object;
  return api.update(resource, { ...object, metadata: { ...object.metadata, finalizers: [...finalizers, finalizer] } });
}

export async function removeFinalizer(api: KcmApi, resource: ResourceKey, object: KubeObject, finalizer: string): Promise<void> {
  const finalizers = object.metadata.finalizers ?? [];
  if (!finalizers.includes(finalizer)) return;
  await api.update(resource, { ...object, metadata: { ...object.metadata, finalizers: finalizers.filter((f) => f !== finalizer) } });
}

/** Splits `namespace/name`. */
export function splitKey(key: string): { namespace: string; name: string } {
  const slash = key.indexOf('/');
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

export function isNotFound(err: unknown): boolean {
  const e = err as { status?: number; code?: number; reason?: string } | undefined;
  return e?.status === 404 || e?.code === 404 || e?.reason === 'NotFound';
}

export function isConflict(err: unknown): boolean {
  const e = err as { status?: number; code?: number; reason?: string } | undefined;
  return e?.status === 409 || e?.code === 409 || e?.reason === 'AlreadyExists' || e?.reason === 'Conflict';
}
