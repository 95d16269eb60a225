/**
 * `--scale N`: N generated namespaces `scale-0000`…, each with a credential, a template (with its
 * schema ConfigMap) and a few ClusterDeployments already Ready — data for benchmarks, written
 * directly with their final status so no controller timers run for them.
 */
import type { Store } from '../apiserver/types.js';
import { templateNameFor, type ChartCatalog } from '../kcm/charts.js';
import { ensureNamespace, putCredential, putReadyDeployment, putTemplate, type CredentialSeed } from './objects.js';
import type { JsonObject } from '../kcm/resources.js';

export const DEPLOYMENTS_PER_SCALE_NAMESPACE = 3;

interface Flavour {
  chart: string;
  identity: CredentialSeed['identityRef'];
  config: (i: number) => JsonObject;
}

const FLAVOURS: Flavour[] = [
  {
    chart: 'azure-standalone-cp',
    identity: { apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1', kind: 'AzureClusterIdentity', name: 'azure-cluster-identity' },
    config: (i) => ({
      location: 'westeurope',
      subscriptionID: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      controlPlaneNumber: 1,
      workersNumber: 1 + (i % 3),
      controlPlane: { vmSize: 'Standard_A4_v2' },
      worker: { vmSize: 'Standard_A4_v2' },
    }),
  },
  {
    chart: 'aws-standalone-cp',
    identity: { apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta2', kind: 'AWSClusterStaticIdentity', name: 'aws-cluster-identity' },
    config: (i) => ({
      region: 'eu-west-1',
      controlPlaneNumber: 1,
      workersNumber: 1 + (i % 3),
      controlPlane: { instanceType: 't3.small' },
      worker: { instanceType: 't3.small' },
    }),
  },
  {
    chart: 'gcp-standalone-cp',
    identity: { apiVersion: 'v1', kind: 'Secret', name: 'gcp-cloud-sa' },
    config: (i) => ({ project: `bench-project-${i}`, region: 'europe-west1', controlPlaneNumber: 1, workersNumber: 1 + (i % 3) }),
  },
];

export function scaleNamespaceName(index: number): string {
  return `scale-${String(index).padStart(4, '0')}`;
}

export function seedScale(store: Store, catalog: ChartCatalog, count: number): void {
  const flavours = FLAVOURS.filter((f) => catalog.get(f.chart));
  if (flavours.length === 0) return;
  for (let i = 0; i < count; i++) {
    const namespace = scaleNamespaceName(i);
    const flavour = flavours[i % flavours.length]!;
    const chart = catalog.get(flavour.chart)!;
    const provider = flavour.chart.split('-')[0]!;
    ensureNamespace(store, namespace, { 'k0rdent.mirantis.com/scale': 'true' });
    const credential = `${provider}-cluster-credential`;
    putCredential(store, {
      name: credential,
      namespace,
      identityRef: flavour.identity.kind === 'Secret' ? { ...flavour.identity, namespace } : flavour.identity,
      description: `${provider} credentials of ${namespace}`,
    });
    const template = templateNameFor(chart.name, chart.latestVersion);
    putTemplate(store, catalog, { name: template, namespace, chart: chart.name, version: chart.latestVersion });
    for (let d = 0; d < DEPLOYMENTS_PER_SCALE_NAMESPACE; d++) {
      putReadyDeployment(store, {
        name: `${namespace}-cluster-${d}`,
        namespace,
        template,
        credential,
        config: flavour.config(i * DEPLOYMENTS_PER_SCALE_NAMESPACE + d),
        labels: { 'k0rdent.mirantis.com/scale': 'true' },
      });
    }
  }
}
