/**
 * kcm's AccessManagement controller, simplified: the rules of the singleton AccessManagement `kcm`
 * copy Credentials and ClusterTemplateChains (with the chains' ClusterTemplates) from the system
 * namespace into the target namespaces, labelled `k0rdent.mirantis.com/managed=true`
 * (kcm `internal/controller/accessmanagement_controller.go`). Copies are created, never removed.
 */
import type { KubeObject } from '../apiserver/types.js';
import type { KcmApi } from './api.js';
import { matchesLabelSelector, parseLabelSelector, type LabelRequirement } from '../apiserver/selectors.js';
import type { ChartCatalog } from './charts.js';
import {
  ACCESS_MANAGEMENTS,
  CLUSTER_TEMPLATE_CHAINS,
  CLUSTER_TEMPLATES,
  COMPONENT_LABEL,
  CREDENTIAL_FINALIZER,
  CREDENTIALS,
  K0RDENT_API_VERSION,
  MANAGED_LABEL,
  NAMESPACES,
  SYSTEM_NAMESPACE,
  isJsonObject,
  section,
  type JsonObject,
} from './resources.js';
import { credentialStatusFor, reconcileTemplate } from './status.js';

type Selector = (labels: Record<string, string> | undefined, name: string) => boolean;

/** metav1.LabelSelector (matchLabels / matchExpressions) as requirements. */
function requirementsOf(selector: JsonObject): LabelRequirement[] {
  const out: LabelRequirement[] = [];
  const matchLabels = isJsonObject(selector['matchLabels']) ? selector['matchLabels'] : {};
  for (const [key, value] of Object.entries(matchLabels)) out.push({ key, op: 'eq', value: String(value) });
  const expressions = Array.isArray(selector['matchExpressions']) ? selector['matchExpressions'] : [];
  for (const e of expressions) {
    if (!isJsonObject(e) || typeof e['key'] !== 'string') continue;
    const values = Array.isArray(e['values']) ? e['values'].map(String) : [];
    const op = e['operator'];
    if (op === 'In') out.push({ key: e['key'], op: 'in', values });
    else if (op === 'NotIn') out.push({ key: e['key'], op: 'notin', values });
    else if (op === 'Exists') out.push({ key: e['key'], op: 'exists' });
    else if (op === 'DoesNotExist') out.push({ key: e['key'], op: 'notexists' });
  }
  return out;
}

/** kcm's convention for targetNamespaces and resource rules: a list, a selector, a string selector, or everything. */
function selectorOf(rule: JsonObject, listKey: 'list' | 'names'): Selector {
  const list = rule[listKey];
  if (Array.isArray(list)) {
    const names = list.map(String);
    return (_labels, name) => names.includes(name);
  }
  if (isJsonObject(rule['selector'])) {
    const requirements = requirementsOf(rule['selector']);
    return (labels) => matchesLabelSelector(requirements, labels);
  }
  if (typeof rule['stringSelector'] === 'string' && rule['stringSelector'] !== '') {
    try {
      const requirements = parseLabelSelector(rule['stringSelector']);
      return (labels) => matchesLabelSelector(requirements, labels);
    } catch {
      return () => false;
    }
  }
  return () => true;
}

interface ResourceRule {
  kind: 'Credential' | 'ClusterTemplateChain';
  select: Selector;
}

/** The rule's resources, with the deprecated per-kind lists migrated as kcm's mutating webhook does. */
function resourceRules(rule: JsonObject): ResourceRule[] {
  const out: ResourceRule[] = [];
  const resources = Array.isArray(rule['resources']) ? rule['resources'] : [];
  for (const r of resources) {
    if (!isJsonObject(r)) continue;
    const group = typeof r['apiGroup'] === 'string' ? r['apiGroup'] : 'k0rdent.mirantis.com';
    if (group !== 'k0rdent.mirantis.com' || (r['kind'] !== 'Credential' && r['kind'] !== 'ClusterTemplateChain')) continue;
    out.push({ kind: r['kind'], select: selectorOf(r, 'names') });
  }
  for (const [key, kind] of [['credentials', 'Credential'], ['clusterTemplateChains', 'ClusterTemplateChain']] as const) {
    if (Array.isArray(rule[key])) out.push({ kind, select: selectorOf({ names: rule[key] }, 'names') });
  }
  return out;
}

function managedMetadata(source: KubeObject, namespace: string): KubeObject['metadata'] {
  return {
    name: source.metadata.name,
    namespace,
    labels: { ...source.metadata.labels, [COMPONENT_LABEL]: 'kcm', [MANAGED_LABEL]: 'true' },
  };
}

async function copyCredential(store: KcmApi, source: KubeObject, namespace: string, now: string): Promise<void> {
  if (store.get(CREDENTIALS, namespace, source.metadata.name)) return;
  const spec = { ...section(source, 'spec') } as JsonObject;
  const identityRef = spec['identityRef'];
  if (isJsonObject(identityRef) && typeof identityRef['namespace'] === 'string' && identityRef['namespace'] !== '') {
    spec['identityRef'] = { ...identityRef, namespace };
  }
  const copy: KubeObject = {
    apiVersion: K0RDENT_API_VERSION,
    kind: 'Credential',
    metadata: { ...managedMetadata(source, namespace), finalizers: [CREDENTIAL_FINALIZER] },
    spec,
  };
  const created = await store.create(CREDENTIALS, copy);
  // The copy's status is the credential controller's to write, through the status subresource.
  await store.updateStatus(CREDENTIALS, namespace, created.metadata.name, credentialStatusFor(created, now));
}

async function copyChain(store: KcmApi, catalog: ChartCatalog, source: KubeObject, namespace: string): Promise<void> {
  let chain = store.get(CLUSTER_TEMPLATE_CHAINS, namespace, source.metadata.name);
  if (!chain) {
    chain = await store.create(CLUSTER_TEMPLATE_CHAINS, {
      apiVersion: K0RDENT_API_VERSION,
      kind: 'ClusterTemplateChain',
      metadata: managedMetadata(source, namespace),
      spec: section(source, 'spec') as JsonObject,
    });
    chain = await store.updateStatus(CLUSTER_TEMPLATE_CHAINS, namespace, chain.metadata.name, { valid: true });
  }
  const supported = section(source, 'spec')['supportedTemplates'];
  for (const entry of Array.isArray(supported) ? supported : []) {
    const name = isJsonObject(entry) && typeof entry['name'] === 'string' ? entry['name'] : '';
    const template = name ? store.get(CLUSTER_TEMPLATES, SYSTEM_NAMESPACE, name) : undefined;
    // kcm only distributes templates that are valid in the system namespace.
    if (!template || section(template, 'status')['valid'] !== true || store.get(CLUSTER_TEMPLATES, namespace, name)) continue;
    const created = await store.create(CLUSTER_TEMPLATES, {
      apiVersion: K0RDENT_API_VERSION,
      kind: 'ClusterTemplate',
      metadata: {
        ...managedMetadata(template, namespace),
        ownerReferences: [{ apiVersion: K0RDENT_API_VERSION, kind: 'ClusterTemplateChain', name: chain.metadata.name, uid: chain.metadata.uid ?? '' }],
      },
      spec: { helm: { chartRef: { kind: 'HelmChart', name, namespace: SYSTEM_NAMESPACE } } },
    });
    await reconcileTemplate(store, created, catalog);
  }
}

/** Applies the rules of AccessManagement `kcm` and records them as its `status.current`. */
export async function reconcileAccessManagement(store: KcmApi, catalog: ChartCatalog, now: string): Promise<void> {
  const am = store.get(ACCESS_MANAGEMENTS, undefined, 'kcm');
  if (!am) return;
  const rules = section(am, 'spec')['accessRules'];
  const namespaces = store.list(NAMESPACES).filter((n) => !n.metadata.deletionTimestamp && n.metadata.name !== SYSTEM_NAMESPACE);
  for (const rule of Array.isArray(rules) ? rules : []) {
    if (!isJsonObject(rule)) continue;
    const targetRule = isJsonObject(rule['targetNamespaces']) ? rule['targetNamespaces'] : {};
    const inTarget = selectorOf(targetRule, 'list');
    const targets = namespaces.filter((n) => inTarget(n.metadata.labels, n.metadata.name)).map((n) => n.metadata.name);
    for (const { kind, select } of resourceRules(rule)) {
      const resource = kind === 'Credential' ? CREDENTIALS : CLUSTER_TEMPLATE_CHAINS;
      const sources = store.list(resource, { namespace: SYSTEM_NAMESPACE }).filter((o) => select(o.metadata.labels, o.metadata.name));
      for (const namespace of targets) {
        for (const source of sources) {
          if (kind === 'Credential') await copyCredential(store, source, namespace, now);
          else await copyChain(store, catalog, source, namespace);
        }
      }
    }
  }
  const status = section(am, 'status');
  const generation = am.metadata.generation ?? 1;
  if (status['observedGeneration'] !== generation) {
    await store.updateStatus(ACCESS_MANAGEMENTS, undefined, 'kcm', { ...status, current: Array.isArray(rules) ? rules : [], observedGeneration: generation });
  }
}
