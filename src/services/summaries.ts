/** ServiceTemplates, service states and MultiClusterServices → compact summaries. Pure. */
import { isJsonObject } from '../shared/config-schema.js';
import type { KubeObject } from '../kube/k0rdent-api.js';
import { compactConditions } from '../clusters/summaries.js';
import { readConditions } from '../k0rdent/conditions.js';
import { DEFAULT_SERVICE_NAMESPACE, SERVICES_IN_READY_STATE } from '../k0rdent/resources.js';
import { keyText, type ServiceKey } from './entries.js';
import type { MultiClusterServiceSummary, ServiceStateSummary, ServiceTemplateSummary } from './types.js';

const str = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** kcm's template names end in the chart version with dashes (`ingress-nginx-4-11-3`). */
function chartFromName(name: string, version: string | undefined): string | undefined {
  if (version === undefined) return undefined;
  const suffix = `-${version.replace(/\./g, '-')}`;
  return name.endsWith(suffix) ? name.slice(0, -suffix.length) : undefined;
}

export function summarizeServiceTemplate(object: KubeObject): ServiceTemplateSummary {
  const status = object.status ?? {};
  const helm = isJsonObject(object.spec?.helm) ? object.spec.helm : {};
  const chartSpec = isJsonObject(helm.chartSpec) ? helm.chartSpec : {};
  const name = object.metadata?.name ?? '';
  const version = str(status.chartVersion) ?? str(chartSpec.version);
  return compact({
    name,
    namespace: object.metadata?.namespace ?? '',
    chart: str(chartSpec.chart) ?? chartFromName(name, version),
    version,
    description: str(status.description),
    valid: status.valid === true,
    validationError: str(status.validationError),
    kubernetesConstraint: str(status.k8sConstraint) ?? str(object.spec?.k8sConstraint),
    hasValuesSchema: str(status.schemaConfigMapName) !== undefined,
  });
}

/** The default release name of a template's service: its chart name (the template name without the version). */
export function defaultServiceName(template: KubeObject): string {
  return summarizeServiceTemplate(template).chart ?? template.metadata?.name ?? '';
}

export function serviceStates(object: KubeObject | undefined): ServiceStateSummary[] {
  const raw = object?.status?.services;
  return (Array.isArray(raw) ? raw.filter(isJsonObject) : []).map((s) =>
    compact({
      name: str(s.name) ?? '',
      namespace: str(s.namespace) ?? DEFAULT_SERVICE_NAMESPACE,
      template: str(s.template) ?? '',
      state: str(s.state) ?? 'Unknown',
      version: str(s.version),
      failureMessage: str(s.failureMessage),
      lastStateTransitionTime: str(s.lastStateTransitionTime),
    }),
  );
}

export function stateOf(object: KubeObject | undefined, key: ServiceKey): ServiceStateSummary | undefined {
  return serviceStates(object).find((s) => keyText(s) === keyText(key));
}

/** ServicesInReadyState's message ("ready/total"). */
export function servicesReady(object: KubeObject | undefined): string | undefined {
  return readConditions(object?.status).find((c) => c.type === SERVICES_IN_READY_STATE)?.message;
}

/** `readable`: whether a matching cluster's namespace may be shown to this caller. */
export function summarizeMultiClusterService(object: KubeObject, readable: (namespace: string) => boolean): MultiClusterServiceSummary {
  const spec = object.spec ?? {};
  const serviceSpec = isJsonObject(spec.serviceSpec) ? spec.serviceSpec : {};
  const services = (Array.isArray(serviceSpec.services) ? serviceSpec.services.filter(isJsonObject) : []).map((s) => ({
    name: str(s.name) ?? '',
    namespace: str(s.namespace) ?? DEFAULT_SERVICE_NAMESPACE,
    template: str(s.template) ?? '',
  }));
  const matching = (Array.isArray(object.status?.matchingClusters) ? object.status.matchingClusters.filter(isJsonObject) : []).map((c) => ({
    name: str(c.name) ?? '',
    namespace: str(c.namespace) ?? '',
    deployed: c.deployed === true,
  }));
  const clusters = matching.filter((c) => readable(c.namespace));
  const createdAt = str(object.metadata?.creationTimestamp);
  const ready = servicesReady(object);
  return {
    name: object.metadata?.name ?? '',
    clusterSelector: isJsonObject(spec.clusterSelector) ? spec.clusterSelector : {},
    services,
    clusters,
    hiddenClusters: matching.length - clusters.length,
    ...(ready !== undefined ? { servicesReady: ready } : {}),
    conditions: compactConditions(readConditions(object.status)),
    ...(createdAt ? { createdAt } : {}),
  };
}
