/**
 * The status kcm's template and credential controllers give their objects, and the schema ConfigMap
 * kcm's template controller writes (kcm `internal/controller/template_controller.go`,
 * `credential_controller.go`).
 */
import type { KubeObject } from '../apiserver/types.js';
import type { KcmApi } from './api.js';
import { chartOfTemplate, IDENTITY_KINDS, type ChartCatalog } from './charts.js';
import { setCondition, CREDENTIAL_READY, FAILED, SUCCEEDED, type Condition } from './conditions.js';
import {
  CLUSTER_TEMPLATES,
  COMPONENT_LABEL,
  CONFIG_MAPS,
  CREDENTIALS,
  K0RDENT_API_VERSION,
  SYSTEM_NAMESPACE,
  isJsonObject,
  section,
  type JsonObject,
} from './resources.js';

export function schemaConfigMapName(templateName: string): string {
  return `schema-ct-${templateName}`;
}

export interface TemplateOutcome {
  status: JsonObject;
  /** The values.schema.json text when the chart has one. */
  schemaText?: string;
}

/** What kcm would report for a ClusterTemplate, derived from its chart. */
export function templateStatusFor(template: KubeObject, catalog: ChartCatalog): TemplateOutcome {
  const namespace = template.metadata.namespace ?? SYSTEM_NAMESPACE;
  const name = template.metadata.name;
  const ref = chartOfTemplate(template);
  const chart = ref ? catalog.get(ref.chart) : undefined;
  const chartRef = { kind: 'HelmChart', name, namespace: isManagedCopy(template) ? SYSTEM_NAMESPACE : namespace };
  const observedGeneration = template.metadata.generation ?? 1;
  if (!ref || !chart) {
    const what = ref ? `chart "${ref.chart}" version "${ref.version}"` : 'a chart';
    return {
      status: {
        valid: false,
        validationError: `HelmChart ${namespace}/${name} is not ready: no ${what} found in HelmRepository ${SYSTEM_NAMESPACE}/kcm-templates`,
        observedGeneration,
      },
    };
  }
  const spec = section(template, 'spec');
  const providers = Array.isArray(spec['providers']) && spec['providers'].length > 0 ? (spec['providers'] as string[]) : chart.providers;
  const contracts = isJsonObject(spec['providerContracts']) ? (spec['providerContracts'] as Record<string, string>) : chart.providerContracts;
  const status: JsonObject = {
    valid: true,
    chartRef,
    chartVersion: ref.version,
    description: chart.description,
    providers,
    providerContracts: contracts,
    config: chart.defaults,
    schemaConfigMapName: schemaConfigMapName(name),
    observedGeneration,
  };
  if (typeof spec['k8sVersion'] === 'string') status['k8sVersion'] = spec['k8sVersion'];
  return { status, schemaText: chart.schemaText };
}

function isManagedCopy(object: KubeObject): boolean {
  return object.metadata.labels?.['k0rdent.mirantis.com/managed'] === 'true' && object.metadata.namespace !== SYSTEM_NAMESPACE;
}

/** The `schema-ct-<template>` ConfigMap, owned by the template. */
export function schemaConfigMap(template: KubeObject, schemaText: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: schemaConfigMapName(template.metadata.name),
      namespace: template.metadata.namespace ?? SYSTEM_NAMESPACE,
      labels: { [COMPONENT_LABEL]: 'kcm' },
      ownerReferences: [
        {
          apiVersion: K0RDENT_API_VERSION,
          kind: 'ClusterTemplate',
          name: template.metadata.name,
          uid: template.metadata.uid ?? '',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    data: { schema: schemaText },
  };
}

/**
 * Writes the template's kcm status (unless it already has one, e.g. from a seed file) and makes sure
 * its schema ConfigMap exists (system writes).
 */
export async function reconcileTemplate(api: KcmApi, template: KubeObject, catalog: ChartCatalog): Promise<KubeObject> {
  const outcome = templateStatusFor(template, catalog);
  const existing = section(template, 'status');
  const hasStatus = typeof existing['valid'] === 'boolean';
  const updated = hasStatus ? template : await api.updateStatus(CLUSTER_TEMPLATES, template.metadata.namespace, template.metadata.name, outcome.status);
  const wantsSchema = hasStatus ? existing['valid'] === true && typeof existing['schemaConfigMapName'] === 'string' : true;
  if (outcome.schemaText !== undefined && wantsSchema) {
    const cm = schemaConfigMap(updated, outcome.schemaText);
    if (hasStatus) cm.metadata.name = String(existing['schemaConfigMapName']);
    if (!api.get(CONFIG_MAPS, cm.metadata.namespace, cm.metadata.name)) await api.create(CONFIG_MAPS, cm);
  }
  return updated;
}

/** True if some infrastructure provider accepts this ClusterIdentity kind. */
export function isKnownIdentityKind(kind: string): boolean {
  return Object.values(IDENTITY_KINDS).some((kinds) => kinds.includes(kind));
}

/** kcm's Credential status: ready when its ClusterIdentity can be found. */
export function credentialStatusFor(credential: KubeObject, now: string): JsonObject {
  const identity = section(credential, 'spec')['identityRef'];
  const ref = isJsonObject(identity) ? identity : {};
  const kind = typeof ref['kind'] === 'string' ? ref['kind'] : '';
  const name = typeof ref['name'] === 'string' ? ref['name'] : '';
  const namespace = typeof ref['namespace'] === 'string' ? ref['namespace'] : credential.metadata.namespace ?? '';
  const generation = credential.metadata.generation ?? 1;
  const ok = kind !== '' && name !== '' && isKnownIdentityKind(kind);
  const conditions: Condition[] = setCondition(
    [],
    ok
      ? { type: CREDENTIAL_READY, status: 'True', reason: SUCCEEDED, message: 'Credential is ready', observedGeneration: generation }
      : {
          type: CREDENTIAL_READY,
          status: 'False',
          reason: FAILED,
          message: `ClusterIdentity object of Kind=${kind} ${namespace}/${name} not found`,
          observedGeneration: generation,
        },
    now,
  );
  return { ready: ok, conditions: conditions as unknown as JsonObject[] };
}

export function reconcileCredential(api: KcmApi, credential: KubeObject, now: string): Promise<KubeObject> {
  return api.updateStatus(CREDENTIALS, credential.metadata.namespace, credential.metadata.name, credentialStatusFor(credential, now));
}
