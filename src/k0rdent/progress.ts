/**
 * "Step k of n" for a ClusterDeployment, counted exactly as the waits count their progress
 * (./steps.ts: kcm's provisioning condition sequence, or the Deleting reasons). Pure.
 */
import { isReady, type Condition } from './conditions.js';
import { deletionStep, provisionStep, type DeletionSpec } from './steps.js';

export interface Progress {
  operation: 'provision' | 'delete';
  step: number;
  total: number;
  /** The condition (provisioning) or Deleting reason (deletion) the next step waits for. */
  waitingFor?: string;
}

export function deploymentProgress(conditions: readonly Condition[], deleting: boolean, spec?: DeletionSpec): Progress {
  if (deleting) {
    const s = deletionStep(conditions, false, spec);
    return { operation: 'delete', step: s.done, total: s.total, waitingFor: s.name };
  }
  const s = provisionStep(conditions, isReady(conditions));
  return { operation: 'provision', step: s.done, total: s.total, ...(s.done < s.total ? { waitingFor: s.name } : {}) };
}
