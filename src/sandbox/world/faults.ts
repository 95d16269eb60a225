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

/**
 * The fault a HelmRelease asks for itself, with the same label on the HelmRelease: `helm-upgrade-failure` fails
 * every upgrade of the release (Flux's upgrade failure, fluxcd/helm-controller v1.6.2 internal/reconcile/
 * upgrade.go:128,144-148), and a release already deployed is upgraded at once so the fault shows without waiting
 * for a change. Meant for the component HelmReleases kcm creates in the system namespace (kcm v1.11.4
 * internal/controller/components/reconciler.go:243-262): kcm keeps labels it did not set when it updates a
 * HelmRelease (internal/helm/release.go:66-71 copies its own into the existing map), so an operator can put it on
 * with kubectl and it stays.
 */
export const RELEASE_FAULTS = ['helm-upgrade-failure'] as const;
export type ReleaseFault = (typeof RELEASE_FAULTS)[number];

/** The error Helm returns for the fault's upgrade (a wait that timed out), marked as the sandbox's. */
export const UPGRADE_FAILURE_CAUSE = 'context deadline exceeded (sandbox fault helm-upgrade-failure)';

/** Flux's Ready/Released message for the fault's failed upgrade (helm-controller v1.6.2 internal/reconcile/upgrade.go:128). */
export function upgradeFailedMessage(namespace: string, release: string, chart: string, version: string): string {
  return `Helm upgrade failed for release ${namespace}/${release} with chart ${chart}@${version}: ${UPGRADE_FAILURE_CAUSE}`;
}

export function releaseFaultOf(hr: KubeObject | undefined): ReleaseFault | undefined {
  const value = hr?.metadata.labels?.[FAULT_LABEL];
  return value !== undefined && (RELEASE_FAULTS as readonly string[]).includes(value) ? (value as ReleaseFault) : undefined;
}
