/** The k0rdent API vocabulary: group, version, plurals, kinds, labels and finalizers (DOMAIN.md sections 1–6). */

export const K0RDENT_GROUP = 'k0rdent.mirantis.com';
export const K0RDENT_VERSION = 'v1beta1';
export const K0RDENT_API_VERSION = `${K0RDENT_GROUP}/${K0RDENT_VERSION}`;

export interface K0rdentResource {
  readonly kind: string;
  readonly plural: string;
  /** A kind of another API group (Flux's HelmRepository); absent = k0rdent.mirantis.com/v1beta1. */
  readonly group?: string;
  readonly version?: string;
}

export const CREDENTIAL: K0rdentResource = { kind: 'Credential', plural: 'credentials' };
export const CLUSTER_TEMPLATE: K0rdentResource = { kind: 'ClusterTemplate', plural: 'clustertemplates' };
export const CLUSTER_DEPLOYMENT: K0rdentResource = { kind: 'ClusterDeployment', plural: 'clusterdeployments' };
export const SERVICE_TEMPLATE: K0rdentResource = { kind: 'ServiceTemplate', plural: 'servicetemplates' };
/** Namespaced: the services kcm hands its state-management provider for one cluster (kcm api/v1beta1/serviceset_types.go). */
export const SERVICE_SET: K0rdentResource = { kind: 'ServiceSet', plural: 'servicesets' };
/** Cluster-scoped. */
export const MULTI_CLUSTER_SERVICE: K0rdentResource = { kind: 'MultiClusterService', plural: 'multiclusterservices' };

/** kcm's service states in status.services (kcm api/v1beta1/serviceset_types.go). */
export const SERVICE_STATE = {
  deployed: 'Deployed',
  failed: 'Failed',
  pending: 'Pending',
  provisioning: 'Provisioning',
  deleting: 'Deleting',
  deleted: 'Deleted',
} as const;
/** "ready/total" services on a ClusterDeployment or MultiClusterService. */
export const SERVICES_IN_READY_STATE = 'ServicesInReadyState';
/** kcm's namespace of a service entry that names none (the CRD default). */
export const DEFAULT_SERVICE_NAMESPACE = 'default';
export const CLUSTER_TEMPLATE_CHAIN: K0rdentResource = { kind: 'ClusterTemplateChain', plural: 'clustertemplatechains' };
/** Cluster-scoped: the providers kcm runs (DOMAIN.md section 6). */
export const MANAGEMENT: K0rdentResource = { kind: 'Management', plural: 'managements' };
export const PROVIDER_TEMPLATE: K0rdentResource = { kind: 'ProviderTemplate', plural: 'providertemplates' };
export const PROVIDER_INTERFACE: K0rdentResource = { kind: 'ProviderInterface', plural: 'providerinterfaces' };
/** Cluster-scoped: a kcm release (the versions of kcm, CAPI and the providers' templates; kcm api/v1beta1/release_types.go). */
export const RELEASE: K0rdentResource = { kind: 'Release', plural: 'releases' };
/** Cluster-scoped: a regional cluster kcm deploys into (kcm api/v1beta1/region_types.go). */
export const REGION: K0rdentResource = { kind: 'Region', plural: 'regions' };
/** Present on a Region: kcm skips the ClusterDeployments of that region (kcm api/v1beta1/region_types.go:29). */
export const REGION_PAUSE_ANNOTATION = 'k0rdent.mirantis.com/region-pause';

/** The singleton Management object (kcm `api/v1beta1/management_types.go`). */
export const MANAGEMENT_NAME = 'kcm';
/** The CAPI provider label ProviderInterfaces carry (`infrastructure-<p>`), also honoured on a Credential to pin its provider. */
export const LABEL_CAPI_PROVIDER = 'cluster.x-k8s.io/provider';
/** The Secret CAPI writes with a cluster's kubeconfig: `<cluster>-kubeconfig` (cluster-api `util/secret`). */
export const kubeconfigSecretName = (cluster: string): string => `${cluster}-kubeconfig`;

/** Set by AccessManagement on copies and by this server on the deployments it creates. */
export const LABEL_MANAGED = 'k0rdent.mirantis.com/managed';
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_VALUE = 'k0rdent-mcp';

/** Labels every ClusterDeployment created by this server carries; they win over caller labels. */
export const DEPLOYMENT_MANAGED_LABELS: Readonly<Record<string, string>> = {
  [LABEL_MANAGED]: 'true',
  [LABEL_MANAGED_BY]: MANAGED_BY_VALUE,
};

export const FINALIZER_CLUSTER_DEPLOYMENT = 'k0rdent.mirantis.com/cluster-deployment';

/** The singleton AccessManagement object that distributes global templates and credentials. */
export const ACCESS_MANAGEMENT_NAME = 'kcm';

/** Data key of the `schema-ct-<template>` ConfigMap holding the chart's values.schema.json. */
export const SCHEMA_CONFIGMAP_KEY = 'schema';
export const SCHEMA_CONFIGMAP_PREFIX = 'schema-ct-';
