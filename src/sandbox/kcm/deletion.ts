/**
 * kcm's deletion of a ClusterDeployment, pass by pass (kcm `internal/controller/clusterdeployment_controller.go`
 * Reconcile :143-185, getClusterScope :187-290, reconcileDelete :1578-1704, ensureDeletingCondition
 * :1706-1753, deleteClusterDataSource :1755-1780, releaseProviderCluster :1858-1900, aggregateCapiConditions
 * :1303-1393). What kcm finds below the deployment is read from the objects the world below kcm keeps
 * (../world: the HelmRelease, the CAPI Cluster labelled with the deployment's name, its Machines and its
 * infrastructure cluster; `observeDeletionWorld`); the ServiceSets and the ClusterDataSource, which the
 * sandbox does not keep as objects, go one pass after what they wait for. Each pass runs kcm's
 * reconcileDelete against that world and returns the status kcm writes (none once the finalizer is gone:
 * reconcileDelete's deferred updateStatus is skipped then, :1601-1605, so `DeletionCompleted` is never
 * persisted), the events it records, and what it does to the world (release the infrastructure cluster's
 * finalizer, delete the HelmRelease).
 */
import type { KubeObject, ResourceKey } from '../apiserver/types.js';
import type { KcmReader } from './api.js';
import {
  CAPI_CLUSTER_SUMMARY,
  CLOUD_RESOURCES_DELETED,
  PROGRESSING,
  DELETING,
  FAILED,
  SERVICES_IN_READY_STATE,
  SUCCEEDED,
  findCondition,
  setCondition,
  withReadyCondition,
  type Condition,
} from './conditions.js';
import type { KcmEvent } from './deployment-status.js';
import type { ChildCleanup } from './child-cleanup.js';
import { CLUSTER_AUDIT_POLICIES, CLUSTER_AUTHENTICATIONS, CREDENTIALS, DATA_SOURCES, section } from './resources.js';
import { aggregateCapi, capiClusterOf } from './release.js';
import { CLUSTER_NAME_LABEL } from '../world/render.js';
import { HELM_RELEASES, MACHINES, resourceOfKind } from '../world/resources.js';

/** kcm api/v1beta1 BlockingFinalizer: the charts put it on the infrastructure cluster (e.g. templates/cluster/aws-standalone-cp/templates/awscluster.yaml). */
export const BLOCKING_FINALIZER = 'k0rdent.mirantis.com/cleanup';

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
  /** What this pass's cleanup of the child cluster ended with (./child-cleanup.ts), when it ran (`needsChildCleanup`). */
  childCleanup?: ChildCleanup;
}

const nonEmpty = (value: unknown): boolean => typeof value === 'string' && value !== '';

/** The simulated part of the world (ServiceSets, ClusterDataSource) at deletion start, read from the deployment. */
export function simulatedWorld(
  deployment: KubeObject,
  conditions: readonly Condition[],
): Pick<DeletionWorld, 'serviceSets' | 'clusterDataSource'> {
  return {
    // The sandbox's services half writes ServicesInReadyState once kcm reconciled the services (updateServices).
    serviceSets: findCondition(conditions, SERVICES_IN_READY_STATE) !== undefined,
    clusterDataSource: nonEmpty(section(deployment, 'spec')['dataSource']),
  };
}

/** The infrastructure cluster the deployment's CAPI Cluster references, if it is there. */
export function infraClusterOf(
  reader: KcmReader,
  cluster: KubeObject | undefined,
): { resource: ResourceKey; object: KubeObject } | undefined {
  const ref = cluster ? (section(cluster, 'spec')['infrastructureRef'] as { kind?: string; name?: string } | undefined) : undefined;
  const resource = ref?.kind ? resourceOfKind(ref.kind) : undefined;
  const object = resource && ref?.name ? reader.get(resource, cluster!.metadata.namespace, ref.name) : undefined;
  return resource && object ? { resource, object } : undefined;
}

/** What kcm's reconcileDelete finds below the deployment now. */
export function observeDeletionWorld(
  reader: KcmReader,
  deployment: KubeObject,
  simulated: Pick<DeletionWorld, 'serviceSets' | 'clusterDataSource'>,
): DeletionWorld {
  const spec = section(deployment, 'spec');
  const cluster = capiClusterOf(reader, deployment);
  const namespace = deployment.metadata.namespace ?? '';
  const machines = cluster
    ? reader.list(MACHINES, { namespace, labelSelector: `${CLUSTER_NAME_LABEL}=${cluster.metadata.name}` }).length > 0
    : false;
  const infra = infraClusterOf(reader, cluster);
  return {
    cleanup: spec['cleanupOnDeletion'] === true,
    dataSource: nonEmpty(spec['dataSource']),
    cluster: cluster !== undefined,
    machines,
    infraFinalizer: (infra?.object.metadata.finalizers ?? []).includes(BLOCKING_FINALIZER),
    release: reader.get(HELM_RELEASES, namespace, deployment.metadata.name) !== undefined,
    ...simulated,
  };
}

/** The simulated part after a pass: ServiceSets go once the HelmRelease has, the ClusterDataSource after them. */
export function nextSimulated(world: DeletionWorld): Pick<DeletionWorld, 'serviceSets' | 'clusterDataSource'> {
  if (world.serviceSets && !world.release) return { serviceSets: false, clusterDataSource: world.clusterDataSource };
  if (world.clusterDataSource && !world.serviceSets && !world.release) return { serviceSets: false, clusterDataSource: false };
  return { serviceSets: world.serviceSets, clusterDataSource: world.clusterDataSource };
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
  /** releaseProviderCluster removes BLOCKING_FINALIZER from the infrastructure cluster in this pass. */
  releaseInfra: boolean;
  /** The HelmRelease is deleted in this pass (helm.DeleteHelmRelease, :1657-1662). */
  deleteRelease: boolean;
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

/** The first object getClusterScope reads that is gone (the pass stops there), or undefined. */
function missingScopeReference(reader: KcmReader, deployment: KubeObject): (typeof SCOPE_REFERENCES)[number] | undefined {
  const spec = section(deployment, 'spec');
  return SCOPE_REFERENCES.find((r) => {
    const name = typeof spec[r.field] === 'string' ? (spec[r.field] as string) : '';
    if (r.field !== 'credential' && name === '') return false;
    return !reader.get(r.resource, deployment.metadata.namespace ?? '', name);
  });
}

/**
 * Whether this pass of reconcileDelete reaches the cleanup of the child cluster (:1627-1655): cleanupOnDeletion set,
 * CloudResourcesDeleted not True yet, and getClusterScope not stopped by a missing reference.
 */
export function needsChildCleanup(reader: KcmReader, deployment: KubeObject): boolean {
  if (section(deployment, 'spec')['cleanupOnDeletion'] !== true) return false;
  const conditions = ((section(deployment, 'status')['conditions'] as Condition[] | undefined) ?? []).filter(Boolean);
  if (findCondition(conditions, CLOUD_RESOURCES_DELETED)?.status === 'True') return false;
  return missingScopeReference(reader, deployment) === undefined;
}

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
      return { conditions: written(), events, removeFinalizer: false, blocked: true, world, releaseInfra: false, deleteRelease: false };
    }
    // DataSourceReady is set True when found (:218); the other references only record failures here.
    if (r.field === 'dataSource') set(r.condition, 'True', SUCCEEDED, '');
  }

  const state = { cloud: !world.cleanup, cluster: false, release: false, serviceSets: false, dataSource: !world.dataSource };
  let next = world;
  const finish = (removeFinalizer: boolean, deleteRelease = world.release): DeletionPass => {
    const effects = { releaseInfra, deleteRelease };
    if (removeFinalizer) return { events, removeFinalizer, blocked: false, world: next, ...effects };
    return {
      conditions: deletingConditions(conditions, state, generation, now),
      events,
      removeFinalizer,
      blocked: false,
      world: next,
      ...effects,
    };
  };

  // aggregateCapiConditions (:1303-1393): the summary of the deleting Cluster, or DeletionCompleted once it is gone.
  const capi = aggregateCapi(reader, deployment, conditions, now);
  conditions = capi.conditions;
  events.push(...capi.events);
  if (!world.cluster) state.cluster = true;
  // releaseProviderCluster (:1858-1900): once no Machines remain kcm drops the infrastructure cluster's finalizer.
  const releaseInfra = world.cluster && !world.machines && world.infraFinalizer;
  if (releaseInfra) {
    next = { ...next, infraFinalizer: false };
    events.push({ type: 'Normal', reason: 'ClusterDeleted', message: `Cluster ${ref} has been deleted` });
  }
  // deleteServiceSets (:1612, :1782-1797): every ServiceSet is marked for deletion; they go later.
  const serviceSetsExist = world.serviceSets;
  // Cleanup on deletion (:1625-1655): the condition turns True in this pass, the state only in the next one.
  if (world.cleanup) {
    const cleanup = world.childCleanup ?? { outcome: 'done' };
    if (findCondition(conditions, CLOUD_RESOURCES_DELETED)?.status === 'True') state.cloud = true;
    else if (cleanup.outcome === 'failed') {
      // The reconcile fails (:1639-1641): ensureDeletingCondition writes the error into Deleting (:1714-1717).
      set(CLOUD_RESOURCES_DELETED, 'False', FAILED, cleanup.message);
      // (the initial "deletion has been requested" it may set first is overwritten in the same pass)
      const next = setCondition(
        conditions,
        { type: DELETING, status: 'True', reason: FAILED, message: cleanup.message, observedGeneration: generation },
        now,
      );
      return {
        conditions: withReadyCondition(next, generation, now),
        events,
        removeFinalizer: false,
        blocked: true,
        world,
        releaseInfra,
        deleteRelease: false,
      };
    } else if (cleanup.outcome === 'timeout') {
      // A wait ran out: requeued after defaultRequeueTime (:1643-1646).
      set(CLOUD_RESOURCES_DELETED, 'False', PROGRESSING, 'waiting for cloud resources to be deleted');
      return finish(false, false);
    } else set(CLOUD_RESOURCES_DELETED, 'True', SUCCEEDED, '');
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
