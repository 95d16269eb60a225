/**
 * Where a ClusterDeployment is in kcm's condition sequence, as steps done out of a total — the `progress`
 * and `total` of a waiting call's notifications. Pure.
 * Provisioning: kcm's reconcile sets TemplateReady, CredentialReady, HelmChartReady, HelmReleaseReady and
 * the CAPIClusterSummary in that order, then the aggregate Ready (kcm
 * internal/controller/clusterdeployment_controller.go, initClusterConditions / updateCluster / aggregateConditions).
 * Deletion: the Deleting condition's reasons in the order kcm's reconcileDelete walks them, then gone.
 */
import { CONDITION, findCondition, type Condition } from './conditions.js';

export const PROVISION_STEPS = [CONDITION.TemplateReady, CONDITION.CredentialReady, CONDITION.HelmChartReady, CONDITION.HelmReleaseReady, CONDITION.CAPIClusterSummary, CONDITION.Ready] as const;

export const DELETION_STEPS = [
  'WaitingForCloudResourcesDeletion',
  'WaitingForClusterDeletion',
  'WaitingForHelmReleaseDeletion',
  'WaitingForServiceSetsDeletion',
  'WaitingForClusterDataSourceDeletion',
  'DeletionCompleted',
] as const;

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

/** The Deleting condition's reason as a step; `gone` completes the sequence. */
export function deletionStep(conditions: readonly Condition[], gone: boolean): Step {
  const total = DELETION_STEPS.length;
  if (gone) return { done: total, total, name: 'Deleted' };
  const reason = findCondition(conditions, CONDITION.Deleting)?.reason ?? '';
  const index = (DELETION_STEPS as readonly string[]).indexOf(reason);
  return index < 0 ? { done: 0, total, name: DELETION_STEPS[0] } : { done: index, total, name: DELETION_STEPS[index]! };
}
