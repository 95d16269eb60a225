/**
 * What kcm's ClusterDeployment controller does once a deployment has passed its checks
 * (/root/go/pkg/mod/github.com/!k0rdent/kcm@v1.11.4, `internal/controller/clusterdeployment_controller.go`,
 * cited as CDC): it creates or updates the HelmRelease named as the deployment (reconcileHelmRelease
 * :536-594 → internal/helm/release.go ReconcileHelmRelease: owner reference, the managed label, chartRef
 * from the template's status, interval, releaseName, values filled by fillHelmValues :1079-1137), copies the
 * HelmRelease's Ready condition into HelmReleaseReady (:567-579), and summarises the CAPI Cluster labelled
 * `helm.toolkit.fluxcd.io/name=<deployment>` into CAPIClusterSummary (aggregateCapiConditions :1303-1382,
 * internal/util/conditions/capi.go GetCAPIClusterSummaryCondition). Pure but for ensureHelmRelease.
 */
import type { KubeObject } from '../apiserver/types.js';
import { HELM_NAME_LABEL } from '../world/render.js';
import { CLUSTERS, HELM_RELEASES, apiVersionOf } from '../world/resources.js';
import { summarize } from '../world/summary.js';
import type { KcmApi, KcmReader } from './api.js';
import {
  CAPI_CLUSTER_SUMMARY,
  HELM_RELEASE_READY,
  findCondition,
  isCondition,
  setCondition,
  type Condition,
  type ConditionInput,
} from './conditions.js';
import type { KcmEvent } from './deployment-status.js';
import { K0RDENT_API_VERSION, MANAGED_LABEL, isJsonObject, section, type JsonObject } from './resources.js';

/** kcm internal/helm/release.go:33 DefaultReconcileInterval. */
const DEFAULT_INTERVAL = '10m0s';
/** kcm's default Helm timeout (cmd/main.go `--default-helm-timeout`, 5m), written into spec.timeout. */
const DEFAULT_TIMEOUT = '5m0s';

/** fillHelmValues (CDC:1079-1137): the Credential's identity, and the deployment's labels unless the config sets clusterLabels. */
export function helmValues(deployment: KubeObject, credential: KubeObject | undefined): JsonObject {
  const config = section(deployment, 'spec')['config'];
  const values: JsonObject = isJsonObject(config) ? { ...config } : {};
  const identity = section(credential ?? { apiVersion: '', kind: '', metadata: { name: '' } }, 'spec')['identityRef'];
  const ref = isJsonObject(identity) ? identity : {};
  values['clusterIdentity'] = {
    apiVersion: String(ref['apiVersion'] ?? ''),
    kind: String(ref['kind'] ?? ''),
    name: String(ref['name'] ?? ''),
    namespace: String(ref['namespace'] ?? ''),
  };
  if (!('clusterLabels' in values)) values['clusterLabels'] = { ...(deployment.metadata.labels ?? {}) };
  return values;
}

/** The HelmRelease kcm wants for the deployment (internal/helm/release.go:55-113). */
export function desiredHelmRelease(deployment: KubeObject, template: KubeObject, credential: KubeObject | undefined): KubeObject {
  const chartRef = section(template, 'status')['chartRef'];
  const chartSpec = (section(template, 'spec')['helm'] as { chartSpec?: { interval?: unknown } } | undefined)?.chartSpec;
  return {
    apiVersion: apiVersionOf(HELM_RELEASES),
    kind: 'HelmRelease',
    metadata: {
      name: deployment.metadata.name,
      namespace: deployment.metadata.namespace ?? '',
      labels: { [MANAGED_LABEL]: 'true' },
      ownerReferences: [
        { apiVersion: K0RDENT_API_VERSION, kind: 'ClusterDeployment', name: deployment.metadata.name, uid: deployment.metadata.uid ?? '' },
      ],
    },
    spec: {
      ...(isJsonObject(chartRef) ? { chartRef } : {}),
      interval: typeof chartSpec?.interval === 'string' ? chartSpec.interval : DEFAULT_INTERVAL,
      releaseName: deployment.metadata.name,
      timeout: DEFAULT_TIMEOUT,
      values: helmValues(deployment, credential),
    },
  };
}

export type Operation = 'created' | 'updated' | 'unchanged';

/** controllerutil.CreateOrUpdate of the HelmRelease: created, updated when kcm's fields differ, else untouched. */
export async function ensureHelmRelease(api: KcmApi, desired: KubeObject): Promise<{ release: KubeObject; operation: Operation }> {
  const existing = api.get(HELM_RELEASES, desired.metadata.namespace, desired.metadata.name);
  if (!existing) return { release: await api.create(HELM_RELEASES, desired), operation: 'created' };
  const spec = { ...section(existing, 'spec'), ...section(desired, 'spec') };
  const labels = { ...(existing.metadata.labels ?? {}), ...(desired.metadata.labels ?? {}) };
  const same =
    JSON.stringify(spec) === JSON.stringify(section(existing, 'spec')) &&
    JSON.stringify(labels) === JSON.stringify(existing.metadata.labels ?? {}) &&
    JSON.stringify(existing.metadata.ownerReferences ?? []) === JSON.stringify(desired.metadata.ownerReferences);
  if (same) return { release: existing, operation: 'unchanged' };
  const release = await api.update(HELM_RELEASES, {
    ...existing,
    metadata: { ...existing.metadata, labels, ownerReferences: desired.metadata.ownerReferences ?? [] },
    spec,
  });
  return { release, operation: 'updated' };
}

/** The CAPI Cluster of the deployment: the one labelled with its name in its namespace (CDC:1310, Limit 1). */
export function capiClusterOf(reader: KcmReader, deployment: KubeObject): KubeObject | undefined {
  return reader.list(CLUSTERS, {
    namespace: deployment.metadata.namespace ?? '',
    labelSelector: `${HELM_NAME_LABEL}=${deployment.metadata.name}`,
  })[0];
}

/** GetCAPIClusterSummaryCondition (internal/util/conditions/capi.go:58-97). */
export function capiSummary(deployment: KubeObject, cluster: KubeObject): ConditionInput {
  const raw = section(cluster, 'status')['conditions'];
  const conditions: Condition[] = Array.isArray(raw) ? raw.filter(isCondition) : [];
  const deleting = Boolean(deployment.metadata.deletionTimestamp);
  const types = deleting
    ? ['Deleting']
    : [
        'InfrastructureReady',
        'ControlPlaneInitialized',
        'ControlPlaneAvailable',
        'ControlPlaneMachinesReady',
        'WorkersAvailable',
        'WorkerMachinesReady',
        'RemoteConnectionProbe',
      ];
  const summary = summarize(conditions, types, { negative: deleting ? ['Deleting'] : [], deletingReason: true });
  return { type: CAPI_CLUSTER_SUMMARY, ...summary, observedGeneration: deployment.metadata.generation ?? 1 };
}

function changed(conditions: readonly Condition[], input: ConditionInput): boolean {
  const before = findCondition(conditions, input.type);
  return (
    !before ||
    before.status !== input.status ||
    before.reason !== input.reason ||
    before.message !== input.message ||
    before.observedGeneration !== input.observedGeneration
  );
}

/**
 * aggregateCapiConditions (CDC:1303-1382) over the conditions: the summary of the Cluster when there is one;
 * without one, a previous summary turns DeletionCompleted (after Deleting) or CAPIClusterMissing. Returns the
 * conditions, the events, and whether the Cluster is there.
 */
export function aggregateCapi(
  reader: KcmReader,
  deployment: KubeObject,
  conditions: Condition[],
  now: string,
): { conditions: Condition[]; events: KcmEvent[]; cluster: KubeObject | undefined } {
  const generation = deployment.metadata.generation ?? 1;
  const cluster = capiClusterOf(reader, deployment);
  const events: KcmEvent[] = [];
  if (!cluster) {
    const previous = findCondition(conditions, CAPI_CLUSTER_SUMMARY);
    if (previous?.reason === 'Deleting') {
      conditions = setCondition(
        conditions,
        {
          type: CAPI_CLUSTER_SUMMARY,
          status: 'True',
          reason: 'DeletionCompleted',
          message: 'Cluster was deleted',
          observedGeneration: generation,
        },
        now,
      );
    } else if (previous && previous.reason !== 'CAPIClusterMissing' && previous.reason !== 'DeletionCompleted') {
      conditions = setCondition(
        conditions,
        {
          type: CAPI_CLUSTER_SUMMARY,
          status: 'False',
          reason: 'CAPIClusterMissing',
          message: 'Underlying CAPI Cluster object is missing',
          observedGeneration: generation,
        },
        now,
      );
    }
    return { conditions, events, cluster };
  }
  const summary = capiSummary(deployment, cluster);
  if (changed(conditions, summary)) {
    if (summary.status === 'True') events.push({ type: 'Normal', reason: 'CAPIClusterIsReady', message: 'Cluster has been provisioned' });
    else if (!deployment.metadata.deletionTimestamp)
      events.push({ type: 'Normal', reason: 'CAPIClusterIsProvisioning', message: 'Cluster is provisioning' });
    else events.push({ type: 'Normal', reason: 'CAPIClusterIsDeleting', message: 'Cluster is deleting' });
  }
  return { conditions: setCondition(conditions, summary, now), events, cluster };
}

/** CDC:567-579: the HelmRelease's Ready copied into HelmReleaseReady, stamped with the deployment's generation. */
export function copyReleaseReady(
  deployment: KubeObject,
  release: KubeObject | undefined,
  conditions: Condition[],
  now: string,
): { conditions: Condition[]; events: KcmEvent[] } {
  const raw = section(release ?? { apiVersion: '', kind: '', metadata: { name: '' } }, 'status')['conditions'];
  const ready = (Array.isArray(raw) ? raw.filter(isCondition) : []).find((c) => c.type === 'Ready');
  if (!ready) return { conditions, events: [] };
  const input: ConditionInput = {
    type: HELM_RELEASE_READY,
    status: ready.status,
    reason: ready.reason,
    message: ready.message,
    observedGeneration: deployment.metadata.generation ?? 1,
  };
  const ref = `${deployment.metadata.namespace}/${deployment.metadata.name}`;
  // kcm records "is ready" on any change of the copied condition, whatever its status (CDC:576-578).
  const events: KcmEvent[] = changed(conditions, input)
    ? [{ type: 'Normal', reason: 'HelmReleaseIsReady', message: `HelmRelease ${ref} is ready` }]
    : [];
  return { conditions: setCondition(conditions, input, now), events };
}
