/**
 * Builders for the objects the seed writes, shaped as kcm and its AccessManagement controller leave
 * them, and the helpers that put them into the store with their kcm status (system writes).
 */
import type { KubeObject, Store } from '../apiserver/types.js';
import type { ChartCatalog } from '../kcm/charts.js';
import { readyDeploymentStatus } from '../kcm/deployment-status.js';
import { putKubeconfigSecret } from '../kcm/kubeconfig-secret.js';
import {
  CLUSTER_DEPLOYMENT_FINALIZER,
  CLUSTER_DEPLOYMENTS,
  CLUSTER_TEMPLATES,
  COMPONENT_LABEL,
  CONFIG_MAPS,
  CREDENTIAL_FINALIZER,
  CREDENTIALS,
  K0RDENT_API_VERSION,
  MANAGED_LABEL,
  NAMESPACES,
  SYSTEM_NAMESPACE,
  type JsonObject,
} from '../kcm/resources.js';
import { credentialStatusFor, schemaConfigMap, templateStatusFor } from '../kcm/status.js';

export function timestamp(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function ensureNamespace(store: Store, name: string, labels: Record<string, string> = {}): void {
  if (store.get(NAMESPACES, undefined, name)) return;
  store.create(NAMESPACES, {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels: { 'kubernetes.io/metadata.name': name, ...labels } },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  });
}

export interface IdentityRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

export interface CredentialSeed {
  name: string;
  namespace: string;
  identityRef: IdentityRef;
  description: string;
  labels?: Record<string, string>;
  /** Seeds a credential whose ClusterIdentity is missing (status.ready false). */
  notReady?: boolean;
}

export function putCredential(store: Store, seed: CredentialSeed): KubeObject {
  const credential: KubeObject = {
    apiVersion: K0RDENT_API_VERSION,
    kind: 'Credential',
    metadata: {
      name: seed.name,
      namespace: seed.namespace,
      labels: { [COMPONENT_LABEL]: 'kcm', ...seed.labels },
      finalizers: [CREDENTIAL_FINALIZER],
    },
    spec: { identityRef: { ...seed.identityRef }, description: seed.description },
  };
  const status = credentialStatusFor(credential, timestamp());
  if (seed.notReady) {
    const ref = seed.identityRef;
    status['ready'] = false;
    status['conditions'] = [
      {
        type: 'CredentialReady',
        status: 'False',
        reason: 'Failed',
        message: `ClusterIdentity object of Kind=${ref.kind} ${ref.namespace ?? ''}/${ref.name} not found`,
        lastTransitionTime: timestamp(),
        observedGeneration: 1,
      },
    ];
  }
  return store.create(CREDENTIALS, { ...credential, status });
}

/** A copy of a kcm-system credential, as AccessManagement distributes it to `namespace`. */
export function managedCredentialCopy(source: CredentialSeed, namespace: string): CredentialSeed {
  const identityRef = source.identityRef.namespace ? { ...source.identityRef, namespace } : { ...source.identityRef };
  return { ...source, namespace, identityRef, labels: { ...source.labels, [MANAGED_LABEL]: 'true' } };
}

export interface TemplateSeed {
  name: string;
  namespace: string;
  chart: string;
  version: string;
  /** Managed copy: chartRef to the kcm-system HelmChart, managed label, owned by this chain. */
  chain?: KubeObject;
  /** Seeds a template kcm could not validate. */
  validationError?: string;
}

/** Creates a ClusterTemplate with kcm's status and its schema ConfigMap. */
export function putTemplate(store: Store, catalog: ChartCatalog, seed: TemplateSeed): KubeObject {
  const helm = seed.chain
    ? { chartRef: { kind: 'HelmChart', name: seed.name, namespace: SYSTEM_NAMESPACE } }
    : {
        chartSpec: {
          chart: seed.chart,
          version: seed.version,
          interval: '10m0s',
          reconcileStrategy: 'ChartVersion',
          sourceRef: { kind: 'HelmRepository', name: 'kcm-templates' },
        },
      };
  const template: KubeObject = {
    apiVersion: K0RDENT_API_VERSION,
    kind: 'ClusterTemplate',
    metadata: {
      name: seed.name,
      namespace: seed.namespace,
      labels: { [COMPONENT_LABEL]: 'kcm', ...(seed.chain ? { [MANAGED_LABEL]: 'true' } : {}) },
      annotations: { 'helm.sh/resource-policy': 'keep' },
      ...(seed.chain
        ? {
            ownerReferences: [
              {
                apiVersion: K0RDENT_API_VERSION,
                kind: 'ClusterTemplateChain',
                name: seed.chain.metadata.name,
                uid: seed.chain.metadata.uid ?? '',
              },
            ],
          }
        : {}),
    },
    spec: { helm },
  };
  if (seed.validationError !== undefined) {
    return store.create(CLUSTER_TEMPLATES, {
      ...template,
      status: { valid: false, validationError: seed.validationError, observedGeneration: 1 },
    });
  }
  // chartOfTemplate reads the version from the name for chartRef copies, which follow kcm naming.
  const outcome = templateStatusFor(template, catalog);
  const stored = store.create(CLUSTER_TEMPLATES, { ...template, status: outcome.status });
  if (outcome.schemaText !== undefined) store.create(CONFIG_MAPS, schemaConfigMap(stored, outcome.schemaText));
  return stored;
}

export interface DeploymentSeed {
  name: string;
  namespace: string;
  template: string;
  credential: string;
  config: JsonObject;
  labels?: Record<string, string>;
  /** spec.serviceSpec.services (settled by ./service-seed.ts). */
  services?: JsonObject[];
}

/** Creates a ClusterDeployment that kcm has already brought to Ready. */
export function putReadyDeployment(store: Store, seed: DeploymentSeed): KubeObject {
  const deployment: KubeObject = {
    apiVersion: K0RDENT_API_VERSION,
    kind: 'ClusterDeployment',
    metadata: {
      name: seed.name,
      namespace: seed.namespace,
      labels: { [COMPONENT_LABEL]: 'kcm', ...seed.labels },
      finalizers: [CLUSTER_DEPLOYMENT_FINALIZER],
    },
    spec: {
      template: seed.template,
      credential: seed.credential,
      config: seed.config,
      propagateCredentials: true,
      ...(seed.services ? { serviceSpec: { services: seed.services } } : {}),
    },
  };
  const stored = store.create(CLUSTER_DEPLOYMENTS, {
    ...deployment,
    status: readyDeploymentStatus(store, { ...deployment, metadata: { ...deployment.metadata, generation: 1 } }, timestamp()),
  });
  putKubeconfigSecret(store, stored);
  return stored;
}
