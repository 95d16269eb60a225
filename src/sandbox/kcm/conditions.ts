/** metav1.Condition handling as kcm does it, including its aggregate Ready condition. */

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

export type ConditionInput = Omit<Condition, 'lastTransitionTime'>;

export const READY = 'Ready';
export const TEMPLATE_READY = 'TemplateReady';
export const CREDENTIAL_READY = 'CredentialReady';
export const HELM_CHART_READY = 'HelmChartReady';
export const HELM_RELEASE_READY = 'HelmReleaseReady';
export const CAPI_CLUSTER_SUMMARY = 'CAPIClusterSummary';
export const DELETING = 'Deleting';
/** "ready/total" services (kcm `api/v1beta1/multiclusterservice_types.go` ServicesInReadyStateCondition). */
export const SERVICES_IN_READY_STATE = 'ServicesInReadyState';

export const SUCCEEDED = 'Succeeded';
export const FAILED = 'Failed';
export const PROGRESSING = 'Progressing';

/** kcm `api/v1beta1/clusterdeployment_types.go:54` (the type's name ends in "Condition" in kcm too). */
export const CLOUD_RESOURCES_DELETED = 'CloudResourcesDeletedCondition';

export function isCondition(value: unknown): value is Condition {
  if (typeof value !== 'object' || value === null) return false;
  const c = value as Record<string, unknown>;
  return typeof c['type'] === 'string' && typeof c['status'] === 'string';
}

export function findCondition(conditions: readonly Condition[], type: string): Condition | undefined {
  return conditions.find((c) => c.type === type);
}

/**
 * apimeta.SetStatusCondition: replaces the condition of that type, keeping lastTransitionTime when
 * the status did not change. Returns a new array.
 */
export function setCondition(conditions: readonly Condition[], input: ConditionInput, now: string): Condition[] {
  const existing = findCondition(conditions, input.type);
  const lastTransitionTime = existing && existing.status === input.status ? existing.lastTransitionTime : now;
  const next: Condition = { ...input, lastTransitionTime };
  return existing ? conditions.map((c) => (c.type === input.type ? next : c)) : [...conditions, next];
}

export function removeCondition(conditions: readonly Condition[], type: string): Condition[] {
  return conditions.filter((c) => c.type !== type);
}

/**
 * kcm `internal/util/conditions/ready_condition.go`: Deleting wins; then any False condition
 * (CAPIClusterSummary only delays: Progressing) makes it Failed; Unknowns make it Unknown/Progressing;
 * otherwise True/Succeeded "Object is ready". A False ServicesInReadyState is a warning "x/y Services are
 * ready." (kcm `internal/controller/clusterdeployment_controller.go` handleClusterDeploymentFailedConditions).
 */
/** What a False condition adds to Ready: an error (Ready Failed) or a warning (Ready Progressing); ready_condition.go:65-72. */
export type FalseConditionHandler = (c: Condition) => { error?: string; warning?: string };

/** kcm `clusterdeployment_controller.go` handleClusterDeploymentFailedConditions, as the sandbox's deployments use it. */
export const clusterDeploymentFalse: FalseConditionHandler = (c) =>
  c.type === SERVICES_IN_READY_STATE
    ? { warning: `${c.message} Services are ready.` }
    : c.type === CAPI_CLUSTER_SUMMARY
      ? { warning: c.message }
      : { error: c.message };

/** kcm v1.11.4 `multiclusterservice_controller.go:395-405` handleMultiClusterServiceFailedCondition: every False one is an error. */
export const multiClusterServiceFalse: FalseConditionHandler = (c) => ({
  error:
    c.type === 'ClusterInReadyState'
      ? `${c.message} Clusters are ready.`
      : c.type === SERVICES_IN_READY_STATE
        ? `${c.message} Services are ready.`
        : c.message,
});

export function withReadyCondition(
  conditions: readonly Condition[],
  generation: number,
  now: string,
  onFalse: FalseConditionHandler = clusterDeploymentFalse,
): Condition[] {
  // A True Deleting makes Ready False/Deleting with its message (kcm internal/util/conditions/ready_condition.go:28-39).
  const deleting = conditions.find((c) => c.type === DELETING && c.status === 'True');
  if (deleting) {
    return setCondition(
      conditions,
      { type: READY, status: 'False', reason: DELETING, message: deleting.message, observedGeneration: generation },
      now,
    );
  }
  const errors: string[] = [];
  const warnings: string[] = [];
  const unknown: string[] = [];
  for (const c of conditions) {
    if (c.type === READY || c.type === DELETING) continue;
    if (c.status === 'Unknown') unknown.push(c.message);
    if (c.status !== 'False') continue;
    const { error, warning } = onFalse(c);
    if (error !== undefined) errors.push(error);
    if (warning !== undefined) warnings.push(warning);
  }
  const others = conditions.filter((c) => c.type !== READY).length;
  let ready: ConditionInput;
  if (errors.length > 0) ready = { type: READY, status: 'False', reason: FAILED, message: errors.join('. ') };
  else if (warnings.length > 0) ready = { type: READY, status: 'False', reason: PROGRESSING, message: warnings.join('. ') };
  else if (others === 0 || unknown.length > 0) ready = { type: READY, status: 'Unknown', reason: PROGRESSING, message: unknown.join('. ') };
  else ready = { type: READY, status: 'True', reason: SUCCEEDED, message: 'Object is ready' };
  return setCondition(conditions, { ...ready, observedGeneration: generation }, now);
}
