/** The k0rdent API vocabulary: group, version, plurals, kinds, labels and finalizers (DOMAIN.md sections 1–6). */

export const K0RDENT_GROUP = 'k0rdent.mirantis.com';
export const K0RDENT_VERSION = 'v1beta1';
export const K0RDENT_API_VERSION = `${K0RDENT_GROUP}/${K0RDENT_VERSION}`;

export interface K0rdentResource {
  readonly kind: string;
  readonly plural: string;
}

export const CREDENTIAL: K0rdentResource = { kind: 'Credential', plural: 'credentials' };
export const CLUSTER_TEMPLATE: K0rdentResource = { kind: 'ClusterTemplate', plural: 'clustertemplates' };
export const CLUSTER_DEPLOYMENT: K0rdentResource = { kind: 'ClusterDeployment', plural: 'clusterdeployments' };

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
