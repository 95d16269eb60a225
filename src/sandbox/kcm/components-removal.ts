/**
 * kcm's check that a Management or a Region keeps the providers its deployments need (kcm v1.11.4
 * `internal/webhook/management_webhook.go:102-160` checkComponentsRemoval over
 * `internal/util/validation/provider_template.go:45-107` ProvidersInUseFor), run by both webhooks on UPDATE:
 * - a provider is removed when `spec.providers` no longer names it (by name);
 * - its ProviderTemplate is the entry's own `template`, else the Release's for that name; none, or a template that no
 *   longer exists, is no objection;
 * - each provider that template serves (`status.providers`) is in use when a ClusterTemplate listing it in
 *   `status.providers` (the ClusterTemplateProvidersIndexKey index) has a ClusterDeployment in its namespace (a List
 *   with Limit(1): the first one found) whose `status.region` is this object's region — none for the Management,
 *   the Region's name for a Region.
 * Go's map order makes the order of several providers in the message random; here they are sorted.
 */
import type { KubeObject } from '../apiserver/types.js';
import type { KcmReader } from './api.js';
import { PROVIDER_TEMPLATES } from './provider-templates.js';
import { CLUSTER_DEPLOYMENTS, CLUSTER_TEMPLATES, section, specString } from './resources.js';

interface ProviderEntry {
  name: string;
  template?: string;
}

const providersOf = (object: KubeObject | undefined): ProviderEntry[] => {
  const list = (object?.['spec'] as { providers?: unknown } | undefined)?.providers;
  return Array.isArray(list) ? list.filter((p): p is ProviderEntry => typeof (p as ProviderEntry | null)?.name === 'string') : [];
};

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []);

/** The reason the UPDATE must be refused (checkComponentsRemoval's error text), or undefined. */
export function componentsRemovalProblem(
  reader: KcmReader,
  release: KubeObject,
  oldObject: KubeObject | undefined,
  newObject: KubeObject,
  parentKind: 'Management' | 'Region',
): string | undefined {
  const kept = new Set(providersOf(newObject).map((p) => p.name));
  const removed = providersOf(oldObject).filter((p) => !kept.has(p.name));
  if (removed.length === 0) return undefined;
  const region = parentKind === 'Region' ? newObject.metadata.name : '';
  const releaseProviders = providersOf(release);
  const inUse = new Set<string>();
  for (const entry of removed) {
    const templateName = entry.template || releaseProviders.find((p) => p.name === entry.name)?.template || '';
    if (templateName === '') continue;
    const providerTemplate = reader.get(PROVIDER_TEMPLATES, undefined, templateName);
    if (!providerTemplate) continue;
    for (const provider of strings(section(providerTemplate, 'status')['providers'])) {
      const templates = reader.list(CLUSTER_TEMPLATES).filter((t) => strings(section(t, 'status')['providers']).includes(provider));
      const regions = new Set<string>();
      for (const template of templates) {
        const first = reader
          .list(CLUSTER_DEPLOYMENTS, { namespace: template.metadata.namespace })
          .find((cd) => specString(cd, 'template') === template.metadata.name);
        if (!first) continue;
        const cdRegion = section(first, 'status')['region'];
        regions.add(typeof cdRegion === 'string' ? cdRegion : '');
      }
      if (regions.has(region)) inUse.add(provider);
    }
  }
  const names = [...inUse].sort();
  const target = `the ${parentKind} ${newObject.metadata.name}`;
  if (names.length === 0) return undefined;
  if (names.length === 1) return `provider ${names[0]} is required by at least one ClusterDeployment and cannot be removed from ${target}`;
  return `providers ${names.join(',')} are required by at least one ClusterDeployment and cannot be removed from ${target}`;
}
