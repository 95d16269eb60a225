/**
 * kcm's deletion of a ClusterDeployment, pass by pass (kcm `internal/controller/clusterdeployment_controller.go`
 * Reconcile :143-185, getClusterScope :187-290, reconcileDelete :1578-1704, ensureDeletingCondition
 * :1706-1753, deleteClusterDataSource :1755-1780, releaseProviderCluster :1858-1900, aggregateCapiConditions
 * :1303-1393). The sandbox has no HelmRelease, CAPI Cluster, Machines, ServiceSets or ClusterDataSource
 * objects; what kcm would find of them is read from the deployment at deletion start (`deletionWorld`)
 * and then goes away one thing per pass, in the order Flux, CAPI and Sveltos remove them. Each pass runs
 * kcm's reconcileDelete against that world and returns the status kcm writes (none once the finalizer is
 * gone: reconcileDelete's deferred updateStatus is skipped then, :1601-1605, so `DeletionCompleted` is
 * never persisted) and the events it records, as kcm's recorder writes them (./events.ts). Pure.
 */
import type { KubeObject, ResourceKey } from '../apiserver/types.js';
import type { KcmReader } from './api.js';
import {
  CAPI_CLUSTER_SUMMARY,
  CLOUD_RESOURCES_DELETED,
  DELETING,
  FAILED,
  HELM_RELEASE_READY,
  SERVICES_IN_READY_STATE,
  SUCCEEDED,
  findCondition,
  setCondition,
  withReadyCondition,
  type Condition,
} from './conditions.js';
import type { KcmEvent } from './deployment-status.js';
import { CLUSTER_AUDIT_POLICIES, CLUSTER_AUTHENTICATIONS, CREDENTIALS, DATA_SOURCES, section } from './resources.js';

/** What of the deployment still exists on the management cluster, as kcm's reconcileDelete would find it. */
export interface DeletionWorld {
  /** spec.cleanupOnDeletion: kcm deletes the child cluster's load balancers and volumes first (:1627-1655). */
  cleanup: boolean;
  /** spec.dataSource: kcm deletes the deployment's ClusterDataSource last (:1676-1682). */
  dataSource: boolean;
  /** The CAPI Cluster (kcm copies its summary into CAPIClusterSummary from the HelmRelease's install on). */
  cluster: boolean;
  /** The Cluster's Machines (while they exist kcm keeps the infrastructure cluster's blocking finalizer). */
  machines: boolean;
  /** The infrastructure cluster still carries kcm's blocking finalizer (released once Machines are gone). */
  infraFinalizer: boolean;
  /** The HelmRelease kcm created (HelmReleaseReady copies its Ready condition; empty before one exists). */
  release: boolean;
  /** The ServiceSets kcm created: one per reconciled deployment (:392, internal/serviceset/util.go:929-938). */
  serviceSets: boolean;
  /** The ClusterDataSource kcm created for spec.dataSource. */
  clusterDataSource: boolean;
}

const nonEmpty = (value: unknown): boolean => typeof value === 'string' && value !== '';

/** The world at deletion start, read from what kcm has written into the deployment's status. */
export function deletionWorld(deployment: KubeObject, conditions: readonly Condition[]): DeletionWorld {
  const spec = section(deployment, 'spec');
  const release = findCondition(conditions, HELM_RELEASE_READY);
  const cluster = findCondition(conditions, CAPI_CLUSTER_SUMMARY) !== undefined;
  const dataSource = nonEmpty(spec['dataSource']);
  return {
    cleanup: spec['cleanupOnDeletion'] === true,
    dataSource,
    cluster,
    machines: cluster,
    infraFinalizer: cluster,
    // initClusterConditions starts HelmReleaseReady Unknown with no message before the HelmRelease exists.
    release: release !== undefined && (release.status === 'True' || release.message !== ''),
    // The sandbox's services half writes ServicesInReadyState once kcm reconciled the services (updateServices).
    serviceSets: findCondition(conditions, SERVICES_IN_READY_STATE) !== undefined,
    clusterDataSource: dataSource,
  };
}

/**
 * The world after the next thing has gone, in the order it goes: the Machines (CAPI deletes them once Flux
 * uninstalls the release), then the Cluster (kcm released its infrastructure cluster), then the HelmRelease
 * (Flux's uninstall waits for the Cluster), then the ServiceSets (Sveltos cleans up), then the
 * ClusterDataSource kcm deletes last. Undefined when nothing is left to go.
 */
export function nextWorld(world: DeletionWorld): DeletionWorld | undefined {
  if (world.machines) return { ...world, machines: false };
  if (world.cluster && !world.infraFinalizer) return { ...world, cluster: false };
  if (world.release && !world.cluster) return { ...world, release: false };
  if (world.serviceSets && !world.release) return { ...world, serviceSets: false };
  // kcm deletes the ClusterDataSource only after the ServiceSets are gone (:1676); it goes the pass after.
  if (world.clusterDataSource && !world.serviceSets && !world.release) return { ...world, clusterDataSource: false };
  return undefined;
}

/** How many more things go before the deployment can (kcm releases the infrastructure cluster in a pass). */
export function remainingTransitions(world: DeletionWorld): number {
  let count = 0;
  let w = world;
  for (;;) {
    if (w.cluster && !w.machines) w = { ...w, infraFinalizer: false };
    const next = nextWorld(w);
    if (!next) return count;
    count++;
    w = next;
  }
}

/** What one reconcile of a deleting deployment leaves. */
export interface DeletionPass {
  /** The status conditions kcm writes at the end of the pass; undefined when it writes none. */
  conditions?: Condition[];
  events: KcmEvent[];
  /** kcm removed its finalizer in this pass (the object goes). */
  removeFinalizer: boolean;
  /** getClusterScope failed: the pass stopped before reconcileDelete and is retried. */
  blocked: boolean;
  /** The world after the pass: kcm releases the infrastructure cluster's finalizer itself. */
  world: DeletionWorld;
}

/** The objects getClusterScope reads before any deletion step (:189-267), in its order. */
const SCOPE_REFERENCES: { field: string; resource: ResourceKey; kind: string; condition: string; reason: string }[] = [
  { field: 'credential', resource: CREDENTIALS, kind: 'Credential', condition: 'CredentialReady', reason: 'CredentialError' },
  { field: 'dataSource', resource: DATA_SOURCES, kind: 'DataSource', condition: 'DataSourceReady', reason: 'DataSourceError' },
  {
    field: 'clusterAuth',
    resource: CLUSTER_AUTHENTICATIONS,
    kind: 'ClusterAuthentication',
    condition: 'ClusterAuthenticationReady',
    reason: 'ClusterAuthenticationError',
  },
  {
    field: 'auditPolicy',
    resource: CLUSTER_AUDIT_POLICIES,
    kind: 'ClusterAuditPolicy',
    condition: 'ClusterAuditPolicyReady',
    reason: 'ClusterAuditPolicyError',
  },
];

/** The resources whose changes retry a blocked deletion (kcm watches them for deployments: :2317-2343). */
export const DELETION_REFERENCES: ResourceKey[] = SCOPE_REFERENCES.map((r) => r.resource);

/** Sets a condition as kcm's setCondition does and reports whether it changed (apimeta.SetStatusCondition). */
function setChanged(
  conditions: Condition[],
  input: Omit<Condition, 'lastTransitionTime'>,
  now: string,
): { conditions: Condition[]; changed: boolean } {
  const before = findCondition(conditions, input.type);
  const changed =
    !before ||
    before.status !== input.status ||
    before.reason !== input.reason ||
    before.message !== input.message ||
    before.observedGeneration !== input.observedGeneration;
  return { conditions: changed ? setCondition(conditions, input, now) : conditions, changed };
}

/** The CAPI summary of a deleting Cluster (CAPI v1beta2 summary over its Deleting condition; kcm capi.go:40-45 names the reason). */
export const CAPI_DELETING_MESSAGE = '* Deleting: Waiting for Machines to be deleted';

/** One reconcile of a deployment with a deletionTimestamp, against `world`. */
export function deletionPass(
  reader: KcmReader,
  deployment: KubeObject,
  previous: readonly Condition[],
  world: DeletionWorld,
  now: string,
): DeletionPass {
  const namespace = deployment.metadata.namespace ?? '';
  const generation = deployment.metadata.generation ?? 1;
  const ref = `${namespace}/${deployment.metadata.name}`;
  const spec = section(deployment, 'spec');
  const events: KcmEvent[] = [];
  let conditions = [...previous];
  const set = (type: string, status: Condition['status'], reason: string, message: string): boolean => {
    const outcome = setChanged(conditions, { type, status, reason, message, observedGeneration: generation }, now);
    conditions = outcome.conditions;
    return outcome.changed;
  };
  // updateStatus (:1512-1514) stamps observedGeneration and derives Ready (Deleting wins: ready_condition.go:28-39).
  const written = (): Condition[] => withReadyCondition(conditions, generation, now);

  // getClusterScope (:187-290): a referenced object that is gone stops the reconcile before reconcileDelete,
  // so the finalizer stays until it is back (Reconcile :165-175: the error is returned, status still written).
  for (const r of SCOPE_REFERENCES) {
    const name = typeof spec[r.field] === 'string' ? (spec[r.field] as string) : '';
    if (r.field !== 'credential' && name === '') continue;
    if (!reader.get(r.resource, namespace, name)) {
      // controller-runtime's cached client names the Kind in its NotFound (pkg/cache/internal/cache_reader.go:75-79).
      const message = `failed to get ${r.kind} ${namespace}/${name}: ${r.kind}.${r.resource.group} "${name}" not found`;
      if (set(r.condition, 'False', FAILED, message)) events.push({ type: 'Warning', reason: r.reason, message });
      return { conditions: written(), events, removeFinalizer: false, blocked: true, world };
    }
    // DataSourceReady is set True when found (:218); the other references only record failures here.
    if (r.field === 'dataSource') set(r.condition, 'True', SUCCEEDED, '');
  }

  const state = { cloud: !world.cleanup, cluster: false, release: false, serviceSets: false, dataSource: !world.dataSource };
  let next = world;
  const finish = (removeFinalizer: boolean): DeletionPass => {
    if (removeFinalizer) return { events, removeFinalizer, blocked: false, world: next };
    return { conditions: deletingConditions(conditions, state, generation, now), events, removeFinalizer, blocked: false, world: next };
  };

  // aggregateCapiConditions (:1303-1393).
  if (!world.cluster) {
    const summary = findCondition(conditions, CAPI_CLUSTER_SUMMARY);
    if (summary?.reason === 'Deleting') set(CAPI_CLUSTER_SUMMARY, 'True', 'DeletionCompleted', 'Cluster was deleted');
    else if (summary && summary.reason !== 'CAPIClusterMissing' && summary.reason !== 'DeletionCompleted') {
      set(CAPI_CLUSTER_SUMMARY, 'False', 'CAPIClusterMissing', 'Underlying CAPI Cluster object is missing');
    }
    state.cluster = true;
  } else if (set(CAPI_CLUSTER_SUMMARY, 'False', 'Deleting', CAPI_DELETING_MESSAGE)) {
    events.push({ type: 'Normal', reason: 'CAPIClusterIsDeleting', message: 'Cluster is deleting' });
  }
  // releaseProviderCluster (:1858-1900): once no Machines remain kcm drops the infrastructure cluster's finalizer.
  if (world.cluster && !world.machines && world.infraFinalizer) {
    next = { ...next, infraFinalizer: false };
    events.push({ type: 'Normal', reason: 'ClusterDeleted', message: `Cluster ${ref} has been deleted` });
  }
  // deleteServiceSets (:1612, :1782-1797): every ServiceSet is marked for deletion; they go later.
  const serviceSetsExist = world.serviceSets;
  // Cleanup on deletion (:1625-1655): the condition turns True in this pass, the state only in the next one.
  if (world.cleanup) {
    if (findCondition(conditions, CLOUD_RESOURCES_DELETED)?.status === 'True') state.cloud = true;
    else set(CLOUD_RESOURCES_DELETED, 'True', SUCCEEDED, '');
  }
  if (world.release) return finish(false); // the HelmRelease is deleted and awaited (:1657-1665)
  state.release = true;
  events.push({ type: 'Normal', reason: 'HelmReleaseDeleted', message: `HelmRelease ${ref} has been deleted` });
  if (serviceSetsExist) return finish(false);
  state.serviceSets = true;
  events.push({ type: 'Normal', reason: 'ServiceSetsDeleted', message: `ServiceSets for cluster ${ref} have been deleted` });
  if (world.dataSource) {
    if (world.clusterDataSource) return finish(false); // deleted and awaited (:1755-1770)
    state.dataSource = true;
    events.push({ type: 'Normal', reason: 'ClusterDataSourceDeleted', message: `ClusterDataSource ${ref} has been deleted` });
  }
  if (world.cluster) return finish(false); // getPartialCapiCluster: the Cluster still exists (:1684-1691)
  events.push({ type: 'Normal', reason: 'SuccessfulDelete', message: 'ClusterDeployment has been deleted' });
  return finish(true);
}

/** ensureDeletingCondition (:1706-1753): the first step still waited for, with kcm's message. */
function deletingConditions(
  conditions: readonly Condition[],
  state: { cloud: boolean; cluster: boolean; release: boolean; serviceSets: boolean; dataSource: boolean },
  generation: number,
  now: string,
): Condition[] {
  let reason: string;
  let message: string;
  if (!state.cloud) {
    reason = 'WaitingForCloudResourcesDeletion';
    message = 'Waiting for cloud resources to be deleted';
  } else if (!state.cluster) {
    reason = 'WaitingForClusterDeletion';
    message = findCondition(conditions, CAPI_CLUSTER_SUMMARY)?.message ?? 'Waiting for CAPI Cluster to be deleted';
  } else if (!state.release) {
    reason = 'WaitingForHelmReleaseDeletion';
    message = 'Waiting for HelmRelease to be deleted';
  } else if (!state.serviceSets) {
    reason = 'WaitingForServiceSetsDeletion';
    message = 'Waiting for ServiceSets to be deleted';
  } else if (!state.dataSource) {
    reason = 'WaitingForClusterDataSourceDeletion';
    message = 'Waiting for ClusterDataSource to be deleted';
  } else {
    reason = 'DeletionCompleted';
    message = 'Deletion has been completed';
  }
  // The initial "deletion has been requested" (:1709-1712) is overwritten in the same pass, never written alone.
  const next = setCondition(conditions, { type: DELETING, status: 'True', reason, message, observedGeneration: generation }, now);
  return withReadyCondition(next, generation, now);
}
