/**
 * "Step k of n" for a ClusterDeployment, from kcm's condition sequence (DOMAIN.md section 3): while
 * provisioning, the conditions kcm sets True in order (TemplateReady, CredentialReady, HelmChartReady,
 * HelmReleaseReady — not in dryRun —, CAPIClusterSummary, Ready); while deleting, the position of the
 * Deleting condition's reason in kcm's reconcileDelete order. Pure.
 */
import { CONDITION, findCondition, type Condition } from './conditions.js';

export const PROVISION_SEQUENCE = [CONDITION.TemplateReady, CONDITION.CredentialReady, CONDITION.HelmChartReady, CONDITION.HelmReleaseReady, CONDITION.CAPIClusterSummary, CONDITION.Ready] as const;

/** kcm's Deleting reasons in order (`DeletionCompleted` is never persisted). */
export const DELETION_SEQUENCE = ['WaitingForCloudResourcesDeletion', 'WaitingForClusterDeletion', 'WaitingForHelmReleaseDeletion', 'WaitingForServiceSetsDeletion', 'WaitingForClusterDataSourceDeletion', 'DeletionCompleted'] as const;

export interface Progress {
  operation: 'provision' | 'delete';
  step: number;
  total: number;
  /** The condition (provisioning) or Deleting reason (deletion) the next step waits for. */
  waitingFor?: string;
}

export function deploymentProgress(conditions: readonly Condition[], deleting: boolean, dryRun: boolean): Progress {
  if (deleting) {
    const reason = findCondition(conditions, CONDITION.Deleting)?.reason;
    const index = DELETION_SEQUENCE.findIndex((r) => r === reason);
    return { operation: 'delete', step: index < 0 ? 0 : index, total: DELETION_SEQUENCE.length, ...(reason !== undefined ? { waitingFor: reason } : {}) };
  }
  const sequence = PROVISION_SEQUENCE.filter((type) => !(dryRun && (type === CONDITION.HelmReleaseReady || type === CONDITION.CAPIClusterSummary)));
  let step = 0;
  for (const type of sequence) {
    if (findCondition(conditions, type)?.status !== 'True') break;
    step++;
  }
  const next = sequence[step];
  return { operation: 'provision', step, total: sequence.length, ...(next !== undefined ? { waitingFor: next } : {}) };
}
