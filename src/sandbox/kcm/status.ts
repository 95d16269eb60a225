/**
 * The status kcm's template and credential controllers give their objects, and the schema ConfigMap
 * kcm's template controller writes (kcm `internal/controller/template_controller.go`,
 * `credential_controller.go`).
 */
import type { KubeObject } from '../apiserver/types.js';
import type { KcmApi } from './api.js';
import { chartOfTemplate, IDENTITY_KINDS, SINGLE_CONTRACT, type ChartCatalog } from './charts.js';
import { setCondition, CREDENTIAL_READY, FAILED, SUCCEEDED, type Condition } from './conditions.js';
import { HELM_CHARTS, HELM_REPOSITORIES } from '../world/resources.js';
import { chartVersionPublished } from '../world/charts.js';
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

/** kcm's default template repository (cmd/main.go:121 `--templates-repo-url`). */
const TEMPLATES_REPO_URL = 'oci://ghcr.io/k0rdent/kcm/charts';

/**
 * The validationError of a template whose chart the repository does not have: flux's HelmChart Ready
 * message (source-controller internal/helm/chart/builder_remote.go:168 "failed to download chart for
 * remote reference", errors.go:82 ErrChartPull "chart pull error", oci_chart_repository.go DownloadChart
 * "failed to get '<url>'"), prefixed by kcm (internal/helm/chart.go:34). The registry's own text is ours.
 */
export function missingChartError(chart: string, version: string): string {
  const url = `${TEMPLATES_REPO_URL}/${chart}:${version}`;
  return `failed to download helm chart artifact: chart pull error: failed to download chart for remote reference: failed to get '${url}': ${url.slice('oci://'.length)}: not found`;
}

const SEMVER = /^v?\d+(\.\d+){0,2}(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

/**
 * What kcm's template controller reports for a ClusterTemplate (kcm internal/controller/template_controller.go
 * ReconcileTemplate:182-313): chartRef and chartVersion first (:262-268), then — once the chart is
 * downloaded — providers, contracts and k8sVersion (api/v1beta1/clustertemplate_types.go:69
 * FillStatusWithProviders), description and the whole values.yaml as config (:365-399 fillStatusFromChart),
 * the schema ConfigMap's name when the chart has a schema (:329-362), and valid = no validationError (:414).
 */
export function templateStatusFor(template: KubeObject, catalog: ChartCatalog): TemplateOutcome {
  const namespace = template.metadata.namespace ?? SYSTEM_NAMESPACE;
  const name = template.metadata.name;
  const ref = chartOfTemplate(template);
  const chart = ref ? catalog.get(ref.chart) : undefined;
  const chartRef = { kind: 'HelmChart', name, namespace: isManagedCopy(template) ? SYSTEM_NAMESPACE : namespace };
  const observedGeneration = template.metadata.generation ?? 1;
  const invalid = (validationError: string, extra: JsonObject = {}): TemplateOutcome => ({
    status: { ...extra, valid: false, validationError, observedGeneration },
  });
  if (!ref) return invalid('neither chartSpec nor chartRef is set');
  const located: JsonObject = { chartRef, chartVersion: ref.version };
  // A version kcm published is taken as present in the repository (we hold only the latest files); one it never
  // published fails as an unknown chart does (../world/charts.ts chartVersionPublished).
  if (!chart || !chartVersionPublished(ref.chart, pinnedVersion(template)))
    return invalid(missingChartError(ref.chart, ref.version), located);

  const spec = section(template, 'spec');
  const specProviders = Array.isArray(spec['providers']) ? spec['providers'].filter((p): p is string => typeof p === 'string') : [];
  // kcm api/v1beta1/templates_common.go:107 getProvidersList: the spec's list wins, sorted and compacted.
  const providers = specProviders.length > 0 ? [...new Set(specProviders)].sort() : chart.providers;
  const specContracts = isJsonObject(spec['providerContracts']) ? Object.entries(spec['providerContracts']) : [];
  let contracts: Record<string, string> = chart.providerContracts;
  if (specContracts.length > 0) {
    // kcm api/v1beta1/templates_common.go:132 getCAPIContracts: the spec precedes the annotations.
    const bad = specContracts.filter(([, v]) => typeof v !== 'string' || !SINGLE_CONTRACT.test(v));
    if (bad.length > 0) {
      const detail = bad
        .map(([k, v]) => `incorrect provider contract version ${String(v)} in the spec for the ${k} provider name`)
        .join('\n');
      return invalid(
        `failed to fill status with providers: failed to get CAPI contract versions for ClusterTemplate ${namespace}/${name}: ${detail}`,
        located,
      );
    }
    contracts = Object.fromEntries(specContracts.map(([k, v]) => [k, String(v)]).sort(([a], [b]) => (a! < b! ? -1 : 1)));
  }
  // clustertemplate_types.go:78-92: the spec's k8sVersion over the chart's annotation, which must be semver.
  const k8sVersion =
    typeof spec['k8sVersion'] === 'string' && spec['k8sVersion'] !== ''
      ? spec['k8sVersion']
      : (chart.annotations[K8S_VERSION_ANNOTATION] ?? '');
  if (k8sVersion !== '' && !SEMVER.test(k8sVersion)) {
    return invalid(
      `failed to fill status with providers: failed to parse kubernetes version ${k8sVersion} for ClusterTemplate ${namespace}/${name}: Invalid Semantic Version`,
      located,
    );
  }
  const status: JsonObject = {
    ...located,
    ...(Object.keys(contracts).length > 0 ? { providerContracts: contracts } : {}),
    ...(k8sVersion !== '' ? { k8sVersion } : {}),
    ...(providers.length > 0 ? { providers } : {}),
    config: chart.values,
    ...(chart.description !== '' ? { description: chart.description } : {}),
    ...(chart.schemaText !== undefined ? { schemaConfigMapName: schemaConfigMapName(name) } : {}),
    valid: true,
    observedGeneration,
  };
  return { status, ...(chart.schemaText !== undefined ? { schemaText: chart.schemaText } : {}) };
}

/** The version `spec.helm.chartSpec` pins (what the HelmChart asks the repository for), if any. */
function pinnedVersion(template: KubeObject): string | undefined {
  const helm = section(template, 'spec')['helm'];
  const chartSpec = isJsonObject(helm) && isJsonObject(helm['chartSpec']) ? helm['chartSpec'] : undefined;
  return typeof chartSpec?.['version'] === 'string' ? chartSpec['version'] : undefined;
}

/** kcm api/v1beta1/clustertemplate_types.go:28 ChartAnnotationKubernetesVersion. */
const K8S_VERSION_ANNOTATION = 'k0rdent.mirantis.com/k8s-version';

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
  const updated = hasStatus
    ? template
    : await api.updateStatus(CLUSTER_TEMPLATES, template.metadata.namespace, template.metadata.name, outcome.status);
  const wantsSchema = hasStatus ? existing['valid'] === true && typeof existing['schemaConfigMapName'] === 'string' : true;
  if (outcome.schemaText !== undefined && wantsSchema) {
    const cm = schemaConfigMap(updated, outcome.schemaText);
    if (hasStatus) cm.metadata.name = String(existing['schemaConfigMapName']);
    if (!api.get(CONFIG_MAPS, cm.metadata.namespace, cm.metadata.name)) await api.create(CONFIG_MAPS, cm);
  }
  return updated;
}

/** kcm's HelmRepository of its templates (cmd/main.go `--templates-repo-url`, an OCI repository). */
export const TEMPLATES_REPOSITORY = 'kcm-templates';

/**
 * The HelmChart kcm's template controller creates for a template with `spec.helm.chartSpec`
 * (internal/controller/template_controller.go ReconcileTemplate → internal/helm/chart.go ReconcileHelmChart:
 * named as the template, in its namespace, owned by it, with the chartSpec and reconcileStrategy ChartVersion),
 * and kcm's `kcm-templates` HelmRepository in the system namespace. Flux's source-controller (../world) then
 * serves the chart. A managed copy (`spec.helm.chartRef`) uses the system namespace's HelmChart.
 */
export async function ensureHelmChart(
  api: KcmApi,
  template: KubeObject,
  kind: 'ClusterTemplate' | 'ServiceTemplate' = 'ClusterTemplate',
): Promise<void> {
  const helm = section(template, 'spec')['helm'];
  const chartSpec = isJsonObject(helm) && isJsonObject(helm['chartSpec']) ? helm['chartSpec'] : undefined;
  if (!chartSpec || typeof chartSpec['chart'] !== 'string') return;
  const namespace = template.metadata.namespace ?? SYSTEM_NAMESPACE;
  if (namespace === SYSTEM_NAMESPACE && !api.get(HELM_REPOSITORIES, SYSTEM_NAMESPACE, TEMPLATES_REPOSITORY)) {
    await api
      .create(HELM_REPOSITORIES, {
        apiVersion: 'source.toolkit.fluxcd.io/v1',
        kind: 'HelmRepository',
        metadata: { name: TEMPLATES_REPOSITORY, namespace: SYSTEM_NAMESPACE, labels: { [COMPONENT_LABEL]: 'kcm' } },
        spec: { type: 'oci', url: TEMPLATES_REPO_URL, interval: '10m0s' },
      })
      .catch(() => undefined);
  }
  if (api.get(HELM_CHARTS, namespace, template.metadata.name)) return;
  await api
    .create(HELM_CHARTS, {
      apiVersion: 'source.toolkit.fluxcd.io/v1',
      kind: 'HelmChart',
      metadata: {
        name: template.metadata.name,
        namespace,
        labels: { 'k0rdent.mirantis.com/managed': 'true' },
        ownerReferences: [
          {
            apiVersion: K0RDENT_API_VERSION,
            kind,
            name: template.metadata.name,
            uid: template.metadata.uid ?? '',
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec: {
        chart: chartSpec['chart'],
        ...(typeof chartSpec['version'] === 'string' ? { version: chartSpec['version'] } : {}),
        interval: typeof chartSpec['interval'] === 'string' ? chartSpec['interval'] : '10m0s',
        reconcileStrategy: 'ChartVersion',
        sourceRef: isJsonObject(chartSpec['sourceRef']) ? chartSpec['sourceRef'] : { kind: 'HelmRepository', name: TEMPLATES_REPOSITORY },
      },
    })
    .catch(() => undefined);
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
  const namespace = typeof ref['namespace'] === 'string' ? ref['namespace'] : (credential.metadata.namespace ?? '');
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
