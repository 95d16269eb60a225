/**
 * kcm's ClusterTemplateChain and ServiceTemplateChain controllers (kcm
 * `internal/controller/templatechain_controller.go`): a chain AccessManagement copied into a namespace
 * (managed, outside the system namespace) gets the templates it supports, copied from the system
 * namespace with their chart reference and owned by the chain; every chain gets its validity in status.
 */
import type { KubeObject, ResourceKey } from '../apiserver/types.js';
import type { KcmApi } from './api.js';
import { recordEvent } from './events.js';
import {
  CLUSTER_TEMPLATE_CHAINS,
  CLUSTER_TEMPLATES,
  COMPONENT_LABEL,
  K0RDENT_API_VERSION,
  MANAGED_LABEL,
  SERVICE_TEMPLATE_CHAINS,
  SERVICE_TEMPLATES,
  SYSTEM_NAMESPACE,
  isJsonObject,
  section,
  type JsonObject,
} from './resources.js';

const CHAINS: { chains: ResourceKey; templates: ResourceKey; chainKind: string; templateKind: string }[] = [
  { chains: CLUSTER_TEMPLATE_CHAINS, templates: CLUSTER_TEMPLATES, chainKind: 'ClusterTemplateChain', templateKind: 'ClusterTemplate' },
  { chains: SERVICE_TEMPLATE_CHAINS, templates: SERVICE_TEMPLATES, chainKind: 'ServiceTemplateChain', templateKind: 'ServiceTemplate' },
];

/** TemplateChainSpec.IsValid (kcm api/v1beta1/templatechain_common.go:61-96). */
function chainValidity(chain: KubeObject): { valid: boolean; validationError: string } {
  const supported = Array.isArray(section(chain, 'spec')['supportedTemplates'])
    ? (section(chain, 'spec')['supportedTemplates'] as unknown[]).filter(isJsonObject)
    : [];
  const names = new Set(supported.map((t) => String(t['name'] ?? '')));
  const upgrades = (t: JsonObject): JsonObject[] =>
    Array.isArray(t['availableUpgrades']) ? t['availableUpgrades'].filter(isJsonObject) : [];
  const warnings: string[] = [];
  for (const name of new Set(supported.flatMap((t) => upgrades(t).map((u) => String(u['name'] ?? ''))))) {
    if (!names.has(name))
      warnings.push(`template ${name} is allowed for upgrade but is not present in the list of '.spec.supportedTemplates'`);
  }
  for (const t of supported) {
    const list = upgrades(t);
    const hasVersion = (u: JsonObject): boolean => typeof u['version'] === 'string' && u['version'] !== '';
    if (list.length > 1 && list.slice(1).some((u) => hasVersion(u) !== hasVersion(list[0]!))) {
      warnings.push(
        `template ${String(t['name'])} has mixed version/no-version available upgrades: either all or none should have version set`,
      );
    }
  }
  return { valid: warnings.length === 0, validationError: warnings.join(';') };
}

/** The copy's spec: the source's, with the chart the source's status resolved (:181-231). */
function templateSpec(templateKind: string, source: KubeObject): JsonObject {
  const spec = { ...(section(source, 'spec') as JsonObject) };
  const chartRef = section(source, 'status')['chartRef'];
  const helm = isJsonObject(spec['helm']) ? spec['helm'] : undefined;
  if (templateKind === 'ClusterTemplate' || (helm && (helm['chartRef'] !== undefined || helm['chartSpec'] !== undefined))) {
    spec['helm'] = isJsonObject(chartRef) ? { chartRef } : {};
  }
  return spec;
}

/** ReconcileTemplateChain (:96-132) for every chain; templates are created for managed copies only. */
export async function reconcileTemplateChains(store: KcmApi, now: string): Promise<void> {
  const errors: string[] = [];
  for (const kinds of CHAINS) {
    for (const chain of store.list(kinds.chains)) {
      if (chain.metadata.deletionTimestamp) continue;
      try {
        await reconcileChain(store, kinds, chain, now);
      } catch (err) {
        errors.push(
          `${kinds.chainKind} ${chain.metadata.namespace ?? ''}/${chain.metadata.name}: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
    }
  }
  if (errors.length > 0) throw new Error(errors.join('; '));
}

async function reconcileChain(store: KcmApi, kinds: (typeof CHAINS)[number], chain: KubeObject, now: string): Promise<void> {
  if (chain.metadata.labels?.[COMPONENT_LABEL] !== 'kcm') {
    await store.update(kinds.chains, {
      ...chain,
      metadata: { ...chain.metadata, labels: { ...chain.metadata.labels, [COMPONENT_LABEL]: 'kcm' } },
    });
    return;
  }
  const status = section(chain, 'status');
  const validity = chainValidity(chain);
  if (status['valid'] !== validity.valid) {
    await store.updateStatus(kinds.chains, chain.metadata.namespace, chain.metadata.name, { ...status, ...validity });
    return;
  }
  if (!validity.valid || chain.metadata.namespace === SYSTEM_NAMESPACE || chain.metadata.labels?.[MANAGED_LABEL] !== 'true') return;
  const namespace = chain.metadata.namespace ?? '';
  const errors: string[] = [];
  const supported = Array.isArray(section(chain, 'spec')['supportedTemplates'])
    ? (section(chain, 'spec')['supportedTemplates'] as unknown[]).filter(isJsonObject)
    : [];
  for (const entry of supported) {
    const name = String(entry['name'] ?? '');
    const source = store.get(kinds.templates, SYSTEM_NAMESPACE, name);
    if (!source) {
      errors.push(`source ${kinds.templateKind} ${SYSTEM_NAMESPACE}/${name} is not found`);
      continue;
    }
    if (section(source, 'status')['valid'] !== true) {
      errors.push(`source ${kinds.templateKind} ${SYSTEM_NAMESPACE}/${name} does not have chart reference yet`);
      continue;
    }
    const owner = { apiVersion: K0RDENT_API_VERSION, kind: kinds.chainKind, name: chain.metadata.name, uid: chain.metadata.uid ?? '' };
    const existing = store.get(kinds.templates, namespace, name);
    // CreateOrUpdate with AddOwnerReference (:233-236, kcm internal/util/kube/kube.go:84-105).
    if (existing) {
      const refs = existing.metadata.ownerReferences ?? [];
      if (!refs.some((r) => r.uid === owner.uid))
        await store.update(kinds.templates, { ...existing, metadata: { ...existing.metadata, ownerReferences: [...refs, owner] } });
      continue;
    }
    try {
      const created = await store.create(kinds.templates, {
        apiVersion: K0RDENT_API_VERSION,
        kind: kinds.templateKind,
        metadata: { name, namespace, labels: { [MANAGED_LABEL]: 'true' }, ownerReferences: [owner] },
        spec: templateSpec(kinds.templateKind, source),
      });
      // A ServiceTemplate copy gets its status from the ServiceTemplate controller (./service-templates.ts), as in kcm.
      await recordEvent(
        store,
        chain,
        {
          type: 'Normal',
          reason: `${kinds.templateKind}Created`,
          message: `Successfully created ${kinds.templateKind} ${namespace}/${created.metadata.name}`,
          action: 'Create',
        },
        now,
      );
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      await recordEvent(
        store,
        chain,
        {
          type: 'Warning',
          reason: `${kinds.templateKind}CreationFailed`,
          message: `Failed to create ${kinds.templateKind} ${namespace}/${name}: ${message}`,
          action: 'Create',
        },
        now,
      );
      errors.push(message);
    }
  }
  if (errors.length > 0) throw new Error(errors.join('\n'));
}
