/**
 * How one object below a ClusterDeployment is doing, read from its status as its controller writes it:
 * Cluster API v1beta2 (`status.conditions` are metav1.Conditions; v1beta1 objects keep theirs in
 * `status.conditions` with a `severity`, and their v1beta2 set in `status.v1beta2.conditions`), Flux
 * (`Ready`, `Stalled`, `Reconciling`), kcm (`status.valid`, `status.ready`) and the providers. Pure.
 *
 * A condition is "failing" when its controller says so — severity Error, Flux's Stalled, a reason or message
 * naming a failure — and merely "waiting" otherwise: a Cluster whose ControlPlaneInitialized is False for a
 * minute is provisioning, not broken. Waiting that has lasted longer than STUCK_AFTER_MS counts as stuck.
 */
import { oneLine } from '../events/summaries.js';

export interface RawCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  severity?: string;
  lastTransitionTime?: string;
}

export interface NodeCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  severity?: string;
  since?: string;
}

/** Conditions that mean trouble or activity when True (CAPI v1beta2 and Flux's negative polarity). */
export const NEGATIVE_CONDITIONS = new Set([
  'Deleting',
  'Paused',
  'Stalled',
  'Reconciling',
  'ScalingUp',
  'ScalingDown',
  'RollingOut',
  'Remediating',
  'MachinesUpdating',
]);

/** Reasons and messages that name a failure, as controllers write them (InstallFailed, VpcReconciliationFailed, ...). */
const FAILURE_REASON = /(fail|error|invalid|denied|unauthori[sz]ed|forbidden|quota|exceeded|backoff|crash|timed ?out|refused)/i;
const FAILURE_MESSAGE =
  /(\bfail(ed|ure|ing)?\b|\berror\b|denied|unauthori[sz]ed|forbidden|quota|limit ?exceeded|exceeded|not authorized|invalid|permission)/i;

/** A condition not True (positive) or True (negative) that has lasted this long counts as stuck. */
export const STUCK_AFTER_MS = 15 * 60_000;

type Raw = Record<string, unknown>;
const rec = (v: unknown): Raw => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Raw) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

function conditionList(raw: unknown): RawCondition[] {
  if (!Array.isArray(raw)) return [];
  return raw
    .map(rec)
    .filter((c) => typeof c.type === 'string' && typeof c.status === 'string')
    .map((c) => {
      const out: RawCondition = { type: c.type as string, status: c.status as string };
      if (str(c.reason) !== undefined) out.reason = str(c.reason);
      if (str(c.message) !== undefined) out.message = str(c.message);
      if (str(c.severity) !== undefined) out.severity = str(c.severity);
      if (str(c.lastTransitionTime) !== undefined) out.lastTransitionTime = str(c.lastTransitionTime);
      return out;
    });
}

/** The object's current conditions: the v1beta2 set when an older API version carries it aside, else status.conditions. */
export function conditionsOf(status: unknown): RawCondition[] {
  const s = rec(status);
  const v1beta2 = conditionList(rec(s.v1beta2).conditions);
  return v1beta2.length > 0 ? v1beta2 : conditionList(s.conditions);
}

/** True when the condition reports something other than its good state. */
export function isAbnormal(c: RawCondition): boolean {
  return NEGATIVE_CONDITIONS.has(c.type) ? c.status === 'True' : c.status !== 'True';
}

/** Its controller says it failed (not merely waiting). */
export function isFailing(c: RawCondition): boolean {
  if (!isAbnormal(c)) return false;
  if (c.type === 'Stalled') return true;
  if (c.type === 'Reconciling' || c.type === 'Deleting' || c.type === 'Paused') return false;
  if (c.severity === 'Error') return true;
  // Unknown is "cannot tell yet" (CAPI's NodeHealthy InspectionFailed "Waiting for a Node …" while a Machine boots),
  // and a message that says what it waits for describes progress, whatever the reason is called.
  if (c.status === 'Unknown' || (c.message !== undefined && /^\s*(\*\s*)?waiting for\b/i.test(c.message))) return false;
  return (c.reason !== undefined && FAILURE_REASON.test(c.reason)) || (c.message !== undefined && FAILURE_MESSAGE.test(c.message));
}

/** Abnormal for longer than STUCK_AFTER_MS at `now`. */
export function isStuck(c: RawCondition, now: number): boolean {
  if (!isAbnormal(c) || c.lastTransitionTime === undefined) return false;
  const at = Date.parse(c.lastTransitionTime);
  return !Number.isNaN(at) && now - at > STUCK_AFTER_MS;
}

/** The compact form a model reads: one line, bounded. */
export function compactCondition(c: RawCondition): NodeCondition {
  const out: NodeCondition = { type: c.type, status: c.status };
  if (c.reason !== undefined) out.reason = c.reason;
  const message = oneLine(c.message, 300);
  if (message !== undefined) out.message = message;
  if (c.severity !== undefined && c.severity !== '') out.severity = c.severity;
  if (c.lastTransitionTime !== undefined) out.since = c.lastTransitionTime;
  return out;
}

/** The abnormal conditions, failing ones first, at most `max`. */
export function abnormalConditions(conditions: readonly RawCondition[], max = 6): RawCondition[] {
  const abnormal = conditions.filter(isAbnormal);
  return [...abnormal.filter(isFailing), ...abnormal.filter((c) => !isFailing(c))].slice(0, max);
}
