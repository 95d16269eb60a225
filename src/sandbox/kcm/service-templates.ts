/**
 * kcm's template controller for ServiceTemplates with `spec.helm.chartSpec` (kcm internal/controller/
 * servicetemplate_controller.go:48-96 → template_controller.go ReconcileTemplate :200-313): it creates the HelmChart
 * (named as the template, owned by it; ./status.ts ensureHelmChart), waits for Flux's source-controller (../world)
 * to serve the chart, and writes the status from the chart — `chartRef`, `chartVersion`, `description` and
 * `config` (values.yaml), the `k0rdent.mirantis.com/k8s-version-constraint` annotation as `k8sConstraint`, the
 * `schema-st-<name>` ConfigMap when the chart has a values.schema.json, `valid` and `observedGeneration`
 * (template_controller.go:414-420 updateStatus). A HelmChart whose Ready is False makes the template invalid with
 * "failed to download helm chart artifact: <message>" (internal/helm/chart.go:27-44
 * ShouldReportStatusOnArtifactReadiness); one not yet reconciled for its generation leaves the template as it is.
 *
 * The chart's files are read from the chart roots the source-controller serves (data/k0rdent/charts and the
 * catalog charts in data/catalog/charts), where kcm downloads the artifact: the same folder, so the same answer.
 * Templates that already carry a status for their generation (the seeded ones, valid or not) are left alone; an
 * invalid one this controller judged is judged again when its HelmChart changes.
 *
 * A template with `spec.helm.chartRef` (the copy a managed ServiceTemplateChain makes, kcm
 * internal/controller/templatechain_controller.go:196-199) is reconciled the same way from the HelmChart it names
 * (template_controller.go:206-212 getHelmChartFromChartRef :457-470, no HelmChart of its own), after kcm's
 * AddKCMComponentLabel step (servicetemplate_controller.go:74-79: the label, then the status in the next reconcile).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { KubeObject, StoreEvent } from '../apiserver/types.js';
import { defaultChartRoots, findChart } from '../world/charts.js';
import { HELM_CHARTS } from '../world/resources.js';
import type { KcmApi } from './api.js';
import {
  CONFIG_MAPS,
  COMPONENT_LABEL,
  SECRETS,
  K0RDENT_API_VERSION,
  SERVICE_TEMPLATES,
  isJsonObject,
  sameResource,
  section,
  type JsonObject,
} from './resources.js';
import { ensureHelmChart } from './status.js';
import { notFound } from './admission-errors.js';

const K8S_CONSTRAINT_ANNOTATION = 'k0rdent.mirantis.com/k8s-version-constraint';

function chartSpecOf(template: KubeObject): JsonObject | undefined {
  const helm = section(template, 'spec')['helm'];
  return isJsonObject(helm) && isJsonObject(helm['chartSpec']) ? helm['chartSpec'] : undefined;
}

/** `spec.helm.chartRef` when it names a HelmChart (getHelmChartFromChartRef refuses any other Kind). */
function chartRefOf(template: KubeObject): { namespace: string; name: string } | undefined {
  const helm = section(template, 'spec')['helm'];
  const ref = isJsonObject(helm) && isJsonObject(helm['chartRef']) ? helm['chartRef'] : undefined;
  if (!ref || ref['kind'] !== 'HelmChart' || typeof ref['name'] !== 'string') return undefined;
  return { namespace: typeof ref['namespace'] === 'string' ? ref['namespace'] : (template.metadata.namespace ?? ''), name: ref['name'] };
}

/**
 * Nothing to do for this generation: a status for it (seeded ones have none, or `observedGeneration` 1), valid — or
 * invalid and the call not about its HelmChart changing (an invalid template is looked at again when the chart is).
 */
function settled(template: KubeObject, chartChanged: boolean): boolean {
  const status = section(template, 'status');
  const generation = template.metadata.generation ?? 1;
  const current =
    typeof status['valid'] === 'boolean' && (status['observedGeneration'] === undefined || status['observedGeneration'] === generation);
  return current && (status['valid'] === true || !chartChanged);
}

/**
 * kcm v1.11.4 `api/v1beta1/servicetemplate_types.go:257-271` LocalSourceRef: the local source of `spec.helm.chartSource`,
 * `spec.kustomize` or `spec.resources`, the first of them the template has.
 */
function localSourceRefOf(template: KubeObject): JsonObject | undefined {
  const spec = section(template, 'spec');
  const helm = spec['helm'];
  const holder = isJsonObject(helm) && isJsonObject(helm['chartSource']) ? helm['chartSource'] : (spec['kustomize'] ?? spec['resources']);
  return isJsonObject(holder) && isJsonObject(holder['localSourceRef']) ? holder['localSourceRef'] : undefined;
}

/**
 * kcm v1.11.4 `internal/controller/servicetemplate_controller.go:104-154` reconcileLocalSource for a ConfigMap or Secret
 * source (read in the template's own namespace, `api/v1beta1/servicetemplate_types.go:289-303`): valid as soon as the
 * object exists, with `sourceStatus` naming it (`:214-225` sourceStatusFromObject: `observedGeneration` is the object's
 * generation, which a ConfigMap or Secret does not have, so omitted); else invalid with the cached Get's NotFound
 * (`:140-142`; the cache words it with the Kind: `Secret "<name>" not found`). The Flux
 * source kinds (GitRepository, Bucket, OCIRepository) take their Ready condition and artifact from Flux: the sandbox's
 * world serves none of them, so such a template is left without a status, as before.
 */
async function reconcileLocalSource(api: KcmApi, template: KubeObject): Promise<void> {
  const ref = localSourceRefOf(template);
  const kind = typeof ref?.['kind'] === 'string' ? ref['kind'] : '';
  const resource = kind === 'ConfigMap' ? CONFIG_MAPS : kind === 'Secret' ? SECRETS : undefined;
  if (!ref || !resource) return;
  const namespace = template.metadata.namespace ?? '';
  const name = typeof ref['name'] === 'string' ? ref['name'] : '';
  const observedGeneration = template.metadata.generation ?? 1;
  const source = api.get(resource, namespace, name);
  await api.updateStatus(
    SERVICE_TEMPLATES,
    namespace,
    template.metadata.name,
    source
      ? { observedGeneration, sourceStatus: { kind, name, namespace }, valid: true }
      : {
          observedGeneration,
          valid: false,
          validationError: `failed to get referred ${kind} ${namespace}/${name}: ${notFound(kind, name, '').message}`,
        },
  );
}

export function startServiceTemplateController(api: KcmApi, chartRoots: readonly string[] = defaultChartRoots()): () => void {
  const pending = new Set<string>();
  let closed = false;
  const reconcile = async (namespace: string, name: string, chartChanged: boolean): Promise<void> => {
    const template = api.get(SERVICE_TEMPLATES, namespace, name);
    if (!template || template.metadata.deletionTimestamp || settled(template, chartChanged)) return;
    const ref = chartRefOf(template);
    let chartSpec = chartSpecOf(template);
    let helmChart: KubeObject | undefined;
    if (chartSpec) {
      if (typeof chartSpec['chart'] !== 'string') return;
      await ensureHelmChart(api, template, 'ServiceTemplate');
      helmChart = api.get(HELM_CHARTS, namespace, name);
    } else if (ref || localSourceRefOf(template)) {
      // kcm labels every ServiceTemplate first, then requeues it (servicetemplate_controller.go:75-80).
      if (template.metadata.labels?.[COMPONENT_LABEL] !== 'kcm') {
        await api.update(SERVICE_TEMPLATES, {
          ...template,
          metadata: { ...template.metadata, labels: { ...template.metadata.labels, [COMPONENT_LABEL]: 'kcm' } },
        });
        return; // the update's event brings the next reconcile
      }
      if (!ref) {
        await reconcileLocalSource(api, template);
        return;
      }
      helmChart = api.get(HELM_CHARTS, ref.namespace, ref.name);
      chartSpec = helmChart ? (section(helmChart, 'spec') as JsonObject) : undefined;
    }
    if (!helmChart || !chartSpec || typeof chartSpec['chart'] !== 'string') return;
    const generation = template.metadata.generation ?? 1;
    const chartRef = { kind: 'HelmChart', name: helmChart.metadata.name, namespace: helmChart.metadata.namespace ?? namespace };
    const version = typeof chartSpec['version'] === 'string' ? chartSpec['version'] : '';
    const ready = (
      Array.isArray(section(helmChart, 'status')['conditions']) ? (section(helmChart, 'status')['conditions'] as JsonObject[]) : []
    ).find((c) => c['type'] === 'Ready');
    if (ready && ready['observedGeneration'] !== (helmChart.metadata.generation ?? 1)) return;
    if (ready && ready['status'] !== 'True') {
      await api.updateStatus(SERVICE_TEMPLATES, namespace, name, {
        chartRef,
        chartVersion: version,
        valid: false,
        validationError: `failed to download helm chart artifact: ${String(ready['message'] ?? '')}`,
        observedGeneration: generation,
      });
      return;
    }
    if (!isJsonObject(section(helmChart, 'status')['artifact'])) return;
    const files = findChart(chartRoots, chartSpec['chart']);
    if (!files) return;
    const meta = (parseYaml(readFileSync(join(files.dir, 'Chart.yaml'), 'utf8')) ?? {}) as JsonObject;
    const valuesFile = join(files.dir, 'values.yaml');
    const values = existsSync(valuesFile) ? ((parseYaml(readFileSync(valuesFile, 'utf8')) ?? {}) as JsonObject) : {};
    const schemaFile = join(files.dir, 'values.schema.json');
    const schemaText = existsSync(schemaFile) ? readFileSync(schemaFile, 'utf8') : undefined;
    const annotations = isJsonObject(meta['annotations']) ? meta['annotations'] : {};
    const constraint = annotations[K8S_CONSTRAINT_ANNOTATION] ?? meta['kubeVersion'];
    const schemaName = serviceSchemaConfigMapName(name);
    if (schemaText !== undefined && !api.get(CONFIG_MAPS, namespace, schemaName)) {
      await api.create(CONFIG_MAPS, serviceSchemaConfigMap(template, schemaText)).catch(() => undefined);
    }
    await api.updateStatus(SERVICE_TEMPLATES, namespace, name, {
      chartRef,
      chartVersion: version,
      ...(typeof meta['description'] === 'string' ? { description: meta['description'] } : {}),
      // A chart without a values.yaml has nil Values: kcm's `config` is JSON null, which the API server drops
      // (template_controller.go:389-397).
      ...(existsSync(valuesFile) ? { config: values } : {}),
      ...(typeof constraint === 'string' && constraint !== '' ? { k8sConstraint: constraint } : {}),
      ...(schemaText !== undefined ? { schemaConfigMapName: schemaName } : {}),
      valid: true,
      observedGeneration: generation,
    });
  };
  const enqueue = (namespace: string | undefined, name: string, chartChanged = false): void => {
    const key = `${namespace ?? ''}/${name}/${String(chartChanged)}`;
    if (closed || pending.has(key)) return;
    pending.add(key);
    setImmediate(() => {
      pending.delete(key);
      if (closed) return;
      reconcile(namespace ?? '', name, chartChanged).catch(() => undefined);
    });
  };
  const onEvent = ({ type, resource, object }: StoreEvent): void => {
    if (type === 'DELETED') return;
    if (sameResource(resource, SERVICE_TEMPLATES)) enqueue(object.metadata.namespace, object.metadata.name);
    else if (sameResource(resource, CONFIG_MAPS) || sameResource(resource, SECRETS)) {
      // kcm retries a failed local-source reconcile with backoff, so a template whose ConfigMap or Secret was missing
      // becomes valid once it exists; here its arrival is the retry.
      const kind = sameResource(resource, CONFIG_MAPS) ? 'ConfigMap' : 'Secret';
      for (const template of api.list(SERVICE_TEMPLATES, { namespace: object.metadata.namespace ?? '' })) {
        const ref = localSourceRefOf(template);
        if (ref?.['kind'] === kind && ref['name'] === object.metadata.name && section(template, 'status')['valid'] !== true)
          enqueue(template.metadata.namespace, template.metadata.name, true);
      }
    } else if (sameResource(resource, HELM_CHARTS)) {
      const owner = object.metadata.ownerReferences?.find((o) => o.kind === 'ServiceTemplate');
      if (owner) enqueue(object.metadata.namespace, owner.name, true);
      // The templates that name this HelmChart in their chartRef (managed copies).
      for (const t of api.list(SERVICE_TEMPLATES)) {
        const ref = chartRefOf(t);
        if (ref && ref.namespace === object.metadata.namespace && ref.name === object.metadata.name)
          enqueue(t.metadata.namespace, t.metadata.name, true);
      }
    }
  };
  const unsubscribe = api.subscribe(onEvent);
  for (const template of api.list(SERVICE_TEMPLATES))
    if (!settled(template, false)) enqueue(template.metadata.namespace, template.metadata.name);
  return () => {
    closed = true;
    unsubscribe();
  };
}

/** The ConfigMap kcm's template controller keeps a ServiceTemplate's values schema in (`schema-st-<template>`). */
export function serviceSchemaConfigMapName(template: string): string {
  return `schema-st-${template}`;
}

/** That ConfigMap, owned by the template (controller reference), as kcm writes it; the seed writes the same. */
export function serviceSchemaConfigMap(template: KubeObject, schemaText: string): KubeObject {
  const name = template.metadata.name;
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: serviceSchemaConfigMapName(name),
      namespace: template.metadata.namespace,
      labels: { [COMPONENT_LABEL]: 'kcm' },
      ownerReferences: [
        {
          apiVersion: K0RDENT_API_VERSION,
          kind: 'ServiceTemplate',
          name,
          uid: template.metadata.uid ?? '',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    data: { schema: schemaText },
  } as KubeObject;
}
