/**
 * Where a ClusterDeployment is in kcm's condition sequence, as steps done out of a total — the `progress`
 * and `total` of a waiting call's notifications. Pure.
 * Provisioning: kcm's reconcile sets TemplateReady, CredentialReady, HelmChartReady, HelmReleaseReady and
 * the CAPIClusterSummary in that order, then the aggregate Ready (kcm
 * internal/controller/clusterdeployment_controller.go, initClusterConditions / updateCluster / aggregateConditions).
 * Deletion: the Deleting condition's reasons in the order kcm's reconcileDelete walks them, then gone
 * (kcm internal/controller/clusterdeployment_controller.go ensureDeletingCondition). Only the steps the
 * deployment has are counted: WaitingForCloudResourcesDeletion with spec.cleanupOnDeletion,
 * WaitingForClusterDataSourceDeletion with spec.dataSource. `DeletionCompleted` is no step: kcm stops
 * writing status once its finalizer is gone, so the object's disappearance completes the sequence.
 */
import { CONDITION, findCondition, type Condition } from './conditions.js';

export const PROVISION_STEPS = [
  CONDITION.TemplateReady,
  CONDITION.CredentialReady,
  CONDITION.HelmChartReady,
  CONDITION.HelmReleaseReady,
  CONDITION.CAPIClusterSummary,
  CONDITION.Ready,
] as const;

export const DELETION_STEPS = [
  'WaitingForCloudResourcesDeletion',
  'WaitingForClusterDeletion',
  'WaitingForHelmReleaseDeletion',
  'WaitingForServiceSetsDeletion',
  'WaitingForClusterDataSourceDeletion',
] as const;

/** What of a ClusterDeployment's spec decides its deletion steps. */
export interface DeletionSpec {
  cleanupOnDeletion?: unknown;
  dataSource?: unknown;
}

/** The deletion steps of a deployment with this spec, in kcm's order. */
export function deletionSteps(spec: DeletionSpec | undefined): string[] {
  return DELETION_STEPS.filter((step) => {
    if (step === 'WaitingForCloudResourcesDeletion') return spec?.cleanupOnDeletion === true;
    if (step === 'WaitingForClusterDataSourceDeletion') return typeof spec?.dataSource === 'string' && spec.dataSource !== '';
    return true;
  });
}

export interface Step {
  /** Steps completed. */
  done: number;
  total: number;
  /** The step being worked on (or the last one when all are done). */
  name: string;
}

/** Leading steps of the sequence whose condition is True; `ready` (for the target generation) completes it. */
export function provisionStep(conditions: readonly Condition[], ready: boolean): Step {
  const total = PROVISION_STEPS.length;
  if (ready) return { done: total, total, name: CONDITION.Ready };
  let done = 0;
  while (done < total - 1 && findCondition(conditions, PROVISION_STEPS[done]!)?.status === 'True') done++;
  return { done, total, name: PROVISION_STEPS[done]! };
}

/**
 * The Deleting condition's reason as a step of this deployment's sequence; `gone` completes it. Before kcm
 * writes Deleting (or while it reports a failure) the deletion is at its first step.
 */
export function deletionStep(conditions: readonly Condition[], gone: boolean, spec?: DeletionSpec): Step {
  const steps = deletionSteps(spec);
  const total = steps.length;
  if (gone) return { done: total, total, name: 'Deleted' };
  const reason = findCondition(conditions, CONDITION.Deleting)?.reason ?? '';
  const index = steps.indexOf(reason);
  return index < 0 ? { done: 0, total, name: steps[0]! } : { done: index, total, name: steps[index]! };
}
