/**
 * kcm's ProviderTemplate controller, the part the DELETE webhook reads (kcm v1.11.4
 * `internal/controller/template_controller.go:145-173` setReleaseOwnership): every Release whose templates
 * (`api/v1beta1/release_types.go:74-85` Templates: kcm, capi, regional, providers[]) name a ProviderTemplate
 * becomes one of its owners (`internal/util/kube/kube.go:84-105` AddOwnerReference: apiVersion, kind, name and
 * uid, appended once per uid, never removed). The rest of that controller (the template's status) is the seed's.
 */
import type { KubeObject, Store, StoreEvent } from '../apiserver/types.js';
import type { KcmApi } from './api.js';
import { K0RDENT_API_VERSION, K0RDENT_GROUP, K0RDENT_VERSION, isJsonObject, sameResource, section } from './resources.js';

export const PROVIDER_TEMPLATES = { group: K0RDENT_GROUP, version: K0RDENT_VERSION, plural: 'providertemplates' };
export const RELEASES = { group: K0RDENT_GROUP, version: K0RDENT_VERSION, plural: 'releases' };

/** Release.Templates(). */
export function releaseTemplates(release: KubeObject): string[] {
  const spec = section(release, 'spec');
  const templateOf = (v: unknown): string => (isJsonObject(v) && typeof v['template'] === 'string' ? v['template'] : '');
  const names = [templateOf(spec['kcm']), templateOf(spec['capi']), templateOf(spec['regional'])];
  if (Array.isArray(spec['providers'])) names.push(...spec['providers'].map(templateOf));
  return names.filter((n) => n !== '');
}

/** The ownerReferences of a template with `release` added (AddOwnerReference), or undefined when it already has it. */
function withOwner(template: KubeObject, release: KubeObject): KubeObject | undefined {
  const refs = template.metadata.ownerReferences ?? [];
  if (refs.some((r) => r.uid === release.metadata.uid)) return undefined;
  const owner = { apiVersion: K0RDENT_API_VERSION, kind: 'Release', name: release.metadata.name, uid: release.metadata.uid ?? '' };
  return { ...template, metadata: { ...template.metadata, ownerReferences: [...refs, owner] } };
}

/** The seed's part: what the controller would write, written with the seed (so the controller finds nothing to do). */
export function ownProviderTemplates(store: Store, release: KubeObject): void {
  for (const name of releaseTemplates(release)) {
    const template = store.get(PROVIDER_TEMPLATES, undefined, name);
    const owned = template && withOwner(template, release);
    if (owned) store.update(PROVIDER_TEMPLATES, owned);
  }
}

/** Starts the ownership reconcile; returns its stop. */
export function startProviderTemplateOwnership(api: KcmApi): () => void {
  let closed = false;
  const pending = new Set<string>();
  const reconcile = async (name: string): Promise<void> => {
    const template = api.get(PROVIDER_TEMPLATES, undefined, name);
    if (!template || template.metadata.deletionTimestamp) return;
    let next = template;
    for (const release of api.list(RELEASES)) if (releaseTemplates(release).includes(name)) next = withOwner(next, release) ?? next;
    if (next !== template) await api.update(PROVIDER_TEMPLATES, next);
  };
  const enqueue = (name: string): void => {
    if (closed || pending.has(name)) return;
    pending.add(name);
    setImmediate(() => {
      pending.delete(name);
      if (!closed) reconcile(name).catch(() => undefined);
    });
  };
  const onEvent = ({ type, resource, object }: StoreEvent): void => {
    if (type === 'DELETED') return;
    if (sameResource(resource, PROVIDER_TEMPLATES)) enqueue(object.metadata.name);
    // A Release created or changed: the templates it names (kcm's index on Release templates).
    else if (sameResource(resource, RELEASES)) for (const name of releaseTemplates(object)) enqueue(name);
  };
  const unsubscribe = api.subscribe(onEvent);
  for (const template of api.list(PROVIDER_TEMPLATES)) enqueue(template.metadata.name);
  return () => {
    closed = true;
    unsubscribe();
  };
}
