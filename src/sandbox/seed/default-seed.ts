/**
 * The default sandbox data: a k0rdent management cluster as kcm installs it (templates for every
 * shipped chart, credentials, the Management and AccessManagement singletons), with templates and
 * credentials distributed to two team namespaces and a few deployments already Ready.
 */
import type { KubeObject, Store } from '../apiserver/types.js';
import { templateNameFor, type ChartCatalog } from '../kcm/charts.js';
import { missingChartError } from '../kcm/status.js';
import {
  ACCESS_MANAGEMENTS,
  CLUSTER_TEMPLATE_CHAINS,
  COMPONENT_LABEL,
  K0RDENT_API_VERSION,
  MANAGED_LABEL,
  SYSTEM_NAMESPACE,
  type JsonObject,
} from '../kcm/resources.js';
import { ensureNamespace, managedCredentialCopy, putCredential, putReadyDeployment, putTemplate, type CredentialSeed } from './objects.js';
import { SERVICE_CHAIN, seedServices } from './service-seed.js';
import { seedProviders } from './providers.js';
import { seedPlatform } from './platform-seed.js';

export const TEAM_NAMESPACES = ['team-alpha', 'team-beta'] as const;
export const BASE_NAMESPACES = ['default', 'kube-system'] as const;

/** Older releases of two charts, kept installed as kcm keeps the templates of previous releases. */
export const OLDER_TEMPLATES = [
  { chart: 'azure-standalone-cp', version: '1.0.15' },
  { chart: 'aws-standalone-cp', version: '1.0.14' },
] as const;

export const INVALID_TEMPLATE = { chart: 'azure-standalone-cp', version: '0.0.1' } as const;
export const NOT_READY_CREDENTIAL = 'azure-legacy-credential';

const INFRA_V1BETA1 = 'infrastructure.cluster.x-k8s.io/v1beta1';

export const SYSTEM_CREDENTIALS: CredentialSeed[] = [
  {
    name: 'azure-cluster-credential',
    namespace: SYSTEM_NAMESPACE,
    identityRef: { apiVersion: INFRA_V1BETA1, kind: 'AzureClusterIdentity', name: 'azure-cluster-identity', namespace: SYSTEM_NAMESPACE },
    description: 'Azure credentials',
  },
  {
    name: 'aws-cluster-credential',
    namespace: SYSTEM_NAMESPACE,
    identityRef: { apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta2', kind: 'AWSClusterStaticIdentity', name: 'aws-cluster-identity' },
    description: 'AWS credentials',
  },
  {
    name: 'gcp-cluster-credential',
    namespace: SYSTEM_NAMESPACE,
    identityRef: { apiVersion: 'v1', kind: 'Secret', name: 'gcp-cloud-sa', namespace: SYSTEM_NAMESPACE },
    description: 'GCP credentials',
  },
  {
    name: 'openstack-cluster-credential',
    namespace: SYSTEM_NAMESPACE,
    identityRef: { apiVersion: 'v1', kind: 'Secret', name: 'openstack-cloud-config', namespace: SYSTEM_NAMESPACE },
    description: 'OpenStack credentials',
  },
  {
    name: 'vsphere-cluster-credential',
    namespace: SYSTEM_NAMESPACE,
    identityRef: { apiVersion: INFRA_V1BETA1, kind: 'VSphereClusterIdentity', name: 'vsphere-cluster-identity' },
    description: 'vSphere credentials',
  },
  // As kcm's dev manifests create them (kcm `config/dev/docker-credentials.yaml`, `adopted-credentials.yaml`).
  {
    name: 'docker-stub-credential',
    namespace: SYSTEM_NAMESPACE,
    identityRef: { apiVersion: 'v1', kind: 'Secret', name: 'docker-cluster-secret', namespace: SYSTEM_NAMESPACE },
    description: 'Docker Credentials',
  },
  {
    name: 'adopted-cluster-cred',
    namespace: SYSTEM_NAMESPACE,
    identityRef: { apiVersion: 'v1', kind: 'Secret', name: 'adopted-cluster-kubeconf', namespace: SYSTEM_NAMESPACE },
    description: 'Adopted Credentials',
  },
  {
    name: NOT_READY_CREDENTIAL,
    namespace: SYSTEM_NAMESPACE,
    identityRef: { apiVersion: INFRA_V1BETA1, kind: 'AzureClusterIdentity', name: 'azure-legacy-identity', namespace: SYSTEM_NAMESPACE },
    description: 'Azure credentials of the retired subscription (identity deleted)',
    notReady: true,
  },
];

const FINANCE_CREDENTIAL: CredentialSeed = {
  name: 'finance-aws-credential',
  namespace: 'finance',
  identityRef: { apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta2', kind: 'AWSClusterStaticIdentity', name: 'finance-aws-identity' },
  description: 'AWS credentials of the finance account',
};

/** What AccessManagement distributes: a chain of templates and a credential per team namespace. */
export const DISTRIBUTION = [
  {
    namespace: 'team-alpha',
    chain: 'azure-templates',
    credential: 'azure-cluster-credential',
    supportedTemplates: [
      { name: 'azure-standalone-cp-1-0-15', availableUpgrades: [{ name: 'azure-standalone-cp-1-0-45', version: '1.0.45' }] },
      { name: 'azure-standalone-cp-1-0-45' },
      { name: 'azure-hosted-cp-1-0-48' },
    ],
  },
  {
    namespace: 'team-beta',
    chain: 'aws-templates',
    credential: 'aws-cluster-credential',
    supportedTemplates: [
      { name: 'aws-standalone-cp-1-0-14', availableUpgrades: [{ name: 'aws-standalone-cp-1-0-43', version: '1.0.43' }] },
      { name: 'aws-standalone-cp-1-0-43' },
    ],
  },
] as const;

function putChain(store: Store, name: string, namespace: string, supportedTemplates: readonly unknown[], managed: boolean): KubeObject {
  return store.create(CLUSTER_TEMPLATE_CHAINS, {
    apiVersion: K0RDENT_API_VERSION,
    kind: 'ClusterTemplateChain',
    metadata: { name, namespace, labels: { [COMPONENT_LABEL]: 'kcm', ...(managed ? { [MANAGED_LABEL]: 'true' } : {}) } },
    spec: { supportedTemplates: JSON.parse(JSON.stringify(supportedTemplates)) as JsonObject[] },
    status: { valid: true },
  });
}

function putAccessManagement(store: Store): void {
  const accessRules = DISTRIBUTION.map((d) => ({
    targetNamespaces: { list: [d.namespace] },
    resources: [
      { kind: 'ClusterTemplateChain', apiGroup: 'k0rdent.mirantis.com', names: [d.chain] },
      { kind: 'Credential', apiGroup: 'k0rdent.mirantis.com', names: [d.credential] },
      { kind: 'ServiceTemplateChain', apiGroup: 'k0rdent.mirantis.com', names: [SERVICE_CHAIN] },
    ],
  }));
  store.create(ACCESS_MANAGEMENTS, {
    apiVersion: K0RDENT_API_VERSION,
    kind: 'AccessManagement',
    metadata: { name: 'kcm', labels: { [COMPONENT_LABEL]: 'kcm' } },
    spec: { accessRules },
    // As kcm's AccessManagement controller leaves it (kcm accessmanagement_controller.go:154-156, :265-271).
    status: {
      current: accessRules,
      observedGeneration: 1,
      resources: ['ClusterTemplateChain', 'Credential', 'ServiceTemplateChain'].map((kind) => ({ apiGroup: 'k0rdent.mirantis.com', kind })),
    },
  });
}

export function seedDefault(store: Store, catalog: ChartCatalog): void {
  for (const ns of [...BASE_NAMESPACES, SYSTEM_NAMESPACE, ...TEAM_NAMESPACES, 'finance']) ensureNamespace(store, ns);
  seedProviders(store);
  seedPlatform(store);

  for (const credential of SYSTEM_CREDENTIALS) putCredential(store, credential);
  for (const chart of catalog.charts) {
    putTemplate(store, catalog, {
      name: templateNameFor(chart.name, chart.latestVersion),
      namespace: SYSTEM_NAMESPACE,
      chart: chart.name,
      version: chart.latestVersion,
    });
  }
  for (const older of OLDER_TEMPLATES) {
    if (!catalog.get(older.chart)) continue;
    putTemplate(store, catalog, {
      name: templateNameFor(older.chart, older.version),
      namespace: SYSTEM_NAMESPACE,
      chart: older.chart,
      version: older.version,
    });
  }
  putTemplate(store, catalog, {
    name: templateNameFor(INVALID_TEMPLATE.chart, INVALID_TEMPLATE.version),
    namespace: SYSTEM_NAMESPACE,
    chart: INVALID_TEMPLATE.chart,
    version: INVALID_TEMPLATE.version,
    // What kcm's template controller reports when the repository has no such chart version (../kcm/status.ts).
    validationError: missingChartError(INVALID_TEMPLATE.chart, INVALID_TEMPLATE.version),
  });

  putAccessManagement(store);
  for (const d of DISTRIBUTION) {
    putChain(store, d.chain, SYSTEM_NAMESPACE, d.supportedTemplates, false);
    const chain = putChain(store, d.chain, d.namespace, d.supportedTemplates, true);
    for (const t of d.supportedTemplates) {
      const version = t.name.split('-').slice(-3).join('.');
      const chart = t.name.slice(0, -(version.length + 1));
      putTemplate(store, catalog, { name: t.name, namespace: d.namespace, chart, version, chain });
    }
    const source = SYSTEM_CREDENTIALS.find((c) => c.name === d.credential)!;
    putCredential(store, managedCredentialCopy(source, d.namespace));
  }
  putCredential(store, FINANCE_CREDENTIAL);

  putReadyDeployment(store, {
    name: 'alpha-dev-cluster',
    namespace: 'team-alpha',
    template: 'azure-standalone-cp-1-0-45',
    credential: 'azure-cluster-credential',
    labels: { team: 'alpha', env: 'dev' },
    config: {
      location: 'westus2',
      subscriptionID: '00000000-0000-4000-8000-000000000001',
      controlPlaneNumber: 1,
      workersNumber: 1,
      controlPlane: { vmSize: 'Standard_A4_v2' },
      worker: { vmSize: 'Standard_A4_v2' },
    },
    services: [
      { name: 'ingress-nginx', namespace: 'ingress-nginx', template: 'ingress-nginx-4-11-3', values: 'controller:\n  replicaCount: 2\n' },
    ],
  });
  putReadyDeployment(store, {
    name: 'beta-staging-cluster',
    namespace: 'team-beta',
    template: 'aws-standalone-cp-1-0-14',
    credential: 'aws-cluster-credential',
    labels: { team: 'beta', env: 'staging' },
    config: {
      region: 'us-east-2',
      controlPlaneNumber: 1,
      workersNumber: 2,
      controlPlane: { instanceType: 't3.small' },
      worker: { instanceType: 't3.small' },
    },
  });
  seedServices(store, TEAM_NAMESPACES);
}
