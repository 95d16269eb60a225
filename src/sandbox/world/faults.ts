/**
 * The faults a ClusterDeployment asks for with the label `sandbox.k0rdent-mcp.io/fault` (docs/sandbox.md
 * "Faults"). The world finds the deployment of an object through what kcm and Flux put on it: a
 * HelmRelease is owned by (and named as) its ClusterDeployment (kcm internal/helm/release.go
 * ReconcileHelmRelease), and everything the chart renders carries helm-controller's
 * `helm.toolkit.fluxcd.io/name|namespace` labels; Machines and the objects CAPI creates carry
 * `cluster.x-k8s.io/cluster-name`, which leads to the Cluster.
 */
import type { KubeObject } from '../apiserver/types.js';
import type { KcmReader } from '../kcm/api.js';
import { CLUSTER_DEPLOYMENTS } from '../kcm/resources.js';
import { HELM_NAME_LABEL, HELM_NAMESPACE_LABEL } from './render.js';
import { FAULT_LABEL, FAULTS, type Fault } from './types.js';

export function isFault(value: string | undefined): value is Fault {
  return value !== undefined && (FAULTS as readonly string[]).includes(value);
}

/** The ClusterDeployment behind a world object, as namespace and name. */
export function deploymentOf(object: KubeObject): { namespace: string; name: string } | undefined {
  const owner = object.metadata.ownerReferences?.find((o) => o.kind === 'ClusterDeployment');
  if (owner) return { namespace: object.metadata.namespace ?? '', name: owner.name };
  const labels = object.metadata.labels ?? {};
  const name = labels[HELM_NAME_LABEL];
  if (name) return { namespace: labels[HELM_NAMESPACE_LABEL] ?? object.metadata.namespace ?? '', name };
  return undefined;
}

/** The fault the object's ClusterDeployment asks for, if any. */
export function faultOf(reader: KcmReader, object: KubeObject | undefined): Fault | undefined {
  if (!object) return undefined;
  const ref = deploymentOf(object);
  if (!ref) return undefined;
  const deployment = reader.get(CLUSTER_DEPLOYMENTS, ref.namespace, ref.name);
  const value = deployment?.metadata.labels?.[FAULT_LABEL];
  return isFault(value) ? value : undefined;
}
