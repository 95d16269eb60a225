/**
 * Seeded services: ServiceTemplates for a handful of charts in the system namespace with the status
 * kcm's template controller gives them (kcm `internal/controller/template_controller.go`: chartRef,
 * chartVersion, description, config, k8sConstraint, schema-st-<name> ConfigMap when the chart has a
 * schema, valid / validationError), a ServiceTemplateChain that AccessManagement copies into the team
 * namespaces with its templates, one MultiClusterService, and every seeded deployment's services
 * settled (Deployed) as kcm would have left them.
 */
import type { KubeObject, Store } from '../apiserver/types.js';
import {
  CLUSTER_DEPLOYMENTS,
  COMPONENT_LABEL,
  CONFIG_MAPS,
  K0RDENT_API_VERSION,
  MANAGED_LABEL,
  MULTI_CLUSTER_SERVICES,
  SERVICE_TEMPLATE_CHAINS,
  SERVICE_TEMPLATES,
  SYSTEM_NAMESPACE,
  type JsonObject,
} from '../kcm/resources.js';
import { INVALID_SERVICE_CHART, SERVICE_CHARTS, serviceTemplateName, type ServiceChart } from '../kcm/service-charts.js';
import { serviceSchemaConfigMap, serviceSchemaConfigMapName } from '../kcm/service-templates.js';
import { deployedServicesStatus, multiClusterServiceStatus, servicesUpgradePaths } from '../kcm/services.js';
import { timestamp } from './objects.js';

export const SERVICE_CHAIN = 'platform-services';
export const SEEDED_MULTI_CLUSTER_SERVICE = 'platform-monitoring';
/** The system-namespace templates the chain distributes (every valid one but the legacy ingress). */
const CHAIN_TEMPLATES = SERVICE_CHARTS.filter((c) => c.version !== '3.40.0').map((c) => serviceTemplateName(c.chart, c.version));

export const schemaConfigMapNameForService = serviceSchemaConfigMapName;

function putServiceTemplate(store: Store, chart: ServiceChart, namespace: string, chain?: KubeObject): void {
  const name = serviceTemplateName(chart.chart, chart.version);
  const helm = chain
    ? { chartRef: { kind: 'HelmChart', name, namespace: SYSTEM_NAMESPACE } }
    : {
        chartSpec: {
          chart: chart.chart,
          version: chart.version,
          interval: '10m0s',
          reconcileStrategy: 'ChartVersion',
          sourceRef: { kind: 'HelmRepository', name: 'k0rdent-catalog' },
        },
      };
  const template = store.create(SERVICE_TEMPLATES, {
    apiVersion: K0RDENT_API_VERSION,
    kind: 'ServiceTemplate',
    metadata: {
      name,
      namespace,
      labels: { [COMPONENT_LABEL]: 'kcm', ...(chain ? { [MANAGED_LABEL]: 'true' } : {}) },
      ...(chain
        ? {
            ownerReferences: [
              { apiVersion: K0RDENT_API_VERSION, kind: 'ServiceTemplateChain', name: chain.metadata.name, uid: chain.metadata.uid ?? '' },
            ],
          }
        : {}),
    },
    spec: { helm },
    status: {
      valid: true,
      chartRef: { kind: 'HelmChart', name, namespace: SYSTEM_NAMESPACE },
      chartVersion: chart.version,
      description: chart.description,
      config: chart.defaults,
      ...(chart.k8sConstraint ? { k8sConstraint: chart.k8sConstraint } : {}),
      ...(chart.schema ? { schemaConfigMapName: schemaConfigMapNameForService(name) } : {}),
      observedGeneration: 1,
    },
  });
  if (!chart.schema) return;
  store.create(CONFIG_MAPS, serviceSchemaConfigMap(template, JSON.stringify(chart.schema, null, 2)));
}

function putChain(store: Store, namespace: string, managed: boolean): KubeObject {
  return store.create(SERVICE_TEMPLATE_CHAINS, {
    apiVersion: K0RDENT_API_VERSION,
    kind: 'ServiceTemplateChain',
    metadata: { name: SERVICE_CHAIN, namespace, labels: { [COMPONENT_LABEL]: 'kcm', ...(managed ? { [MANAGED_LABEL]: 'true' } : {}) } },
    spec: { supportedTemplates: CHAIN_TEMPLATES.map((name) => ({ name })) },
    status: { valid: true },
  });
}

/** Seeds the service side of the management cluster; `teamNamespaces` get the chain's copies. */
export function seedServices(store: Store, teamNamespaces: readonly string[]): void {
  for (const chart of SERVICE_CHARTS) putServiceTemplate(store, chart, SYSTEM_NAMESPACE);
  const invalid = serviceTemplateName(INVALID_SERVICE_CHART.chart, INVALID_SERVICE_CHART.version);
  store.create(SERVICE_TEMPLATES, {
    apiVersion: K0RDENT_API_VERSION,
    kind: 'ServiceTemplate',
    metadata: { name: invalid, namespace: SYSTEM_NAMESPACE, labels: { [COMPONENT_LABEL]: 'kcm' } },
    spec: {
      helm: {
        chartSpec: {
          chart: INVALID_SERVICE_CHART.chart,
          version: INVALID_SERVICE_CHART.version,
          interval: '10m0s',
          reconcileStrategy: 'ChartVersion',
          sourceRef: { kind: 'HelmRepository', name: 'k0rdent-catalog' },
        },
      },
    },
    status: {
      valid: false,
      validationError: `HelmChart ${SYSTEM_NAMESPACE}/${invalid} is not ready: invalid chart reference: failed to get chart version for remote reference: no '${INVALID_SERVICE_CHART.chart}' chart with version matching '${INVALID_SERVICE_CHART.version}' found`,
      observedGeneration: 1,
    },
  });
  putChain(store, SYSTEM_NAMESPACE, false);
  for (const ns of teamNamespaces) {
    const chain = putChain(store, ns, true);
    for (const chart of SERVICE_CHARTS)
      if (CHAIN_TEMPLATES.includes(serviceTemplateName(chart.chart, chart.version))) putServiceTemplate(store, chart, ns, chain);
  }

  store.create(MULTI_CLUSTER_SERVICES, {
    apiVersion: K0RDENT_API_VERSION,
    kind: 'MultiClusterService',
    metadata: { name: SEEDED_MULTI_CLUSTER_SERVICE, finalizers: ['k0rdent.mirantis.com/multicluster-service'] },
    spec: {
      clusterSelector: { matchLabels: { env: 'staging' } },
      serviceSpec: {
        services: [
          { name: 'kube-prometheus-stack', namespace: 'monitoring', template: serviceTemplateName('kube-prometheus-stack', '65.1.1') },
        ],
        priority: 100,
      },
    },
  });

  const now = timestamp();
  for (const cd of store.list(CLUSTER_DEPLOYMENTS)) {
    // With the upgrade paths kcm sets beside them (services-controller.ts), so its first pass rewrites nothing.
    const status = deployedServicesStatus(store, cd, now);
    const paths = servicesUpgradePaths(store, cd);
    if (paths.length > 0) status['servicesUpgradePaths'] = paths;
    store.updateStatus(CLUSTER_DEPLOYMENTS, cd.metadata.namespace, cd.metadata.name, status);
  }
  for (const mcs of store.list(MULTI_CLUSTER_SERVICES))
    store.updateStatus(MULTI_CLUSTER_SERVICES, undefined, mcs.metadata.name, multiClusterServiceStatus(store, mcs, now) as JsonObject);
}
