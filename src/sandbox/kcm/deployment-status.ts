/**
 * The ClusterDeployment conditions kcm's controller writes at each point of a deployment's life, as
 * pure functions of the current conditions (kcm `internal/controller/clusterdeployment_controller.go`).
 */
import type { KubeObject } from '../apiserver/types.js';
import type { KcmReader } from './api.js';
import { chartOfTemplate, loadChartCatalog } from './charts.js';
import {
  CAPI_CLUSTER_SUMMARY,
  CREDENTIAL_READY,
  DELETING,
  FAILED,
  HELM_CHART_READY,
  HELM_RELEASE_READY,
  PROGRESSING,
  SERVICES_IN_READY_STATE,
  SUCCEEDED,
  TEMPLATE_READY,
  isCondition,
  removeCondition,
  setCondition,
  withReadyCondition,
  type Condition,
} from './conditions.js';
import { mergeValues, validateChartValues } from './config-validation.js';
import {
  CLUSTER_TEMPLATE_CHAINS,
  CLUSTER_TEMPLATES,
  CONFIG_MAPS,
  CREDENTIALS,
  isJsonObject,
  section,
  type JsonObject,
} from './resources.js';

export function conditionsOf(object: KubeObject): Condition[] {
  const raw = section(object, 'status')['conditions'];
  return Array.isArray(raw) ? raw.filter(isCondition) : [];
}

const progressing = (type: string, generation: number, message = ''): Omit<Condition, 'lastTransitionTime'> => ({
  type,
  status: 'Unknown',
  reason: PROGRESSING,
  message,
  observedGeneration: generation,
});

/**
 * kcm's initClusterConditions: conditions not set yet start Unknown/Progressing (HelmReleaseReady not
 * in dryRun); existing ones are kept until re-evaluated.
 */
export function initialConditions(previous: Condition[], generation: number, dryRun: boolean, now: string): Condition[] {
  let conditions = removeCondition(previous, DELETING);
  for (const type of [CREDENTIAL_READY, HELM_RELEASE_READY, HELM_CHART_READY, TEMPLATE_READY]) {
    if (type === HELM_RELEASE_READY && dryRun) continue;
    if (!conditions.some((c) => c.type === type)) conditions = setCondition(conditions, progressing(type, generation), now);
  }
  return withReadyCondition(conditions, generation, now);
}

/** A Kubernetes Event kcm records on the deployment (reasons as in kcm's eventf/warnf calls). */
export interface KcmEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface ValidationOutcome {
  conditions: Condition[];
  /** False when a check failed and the walk must stop. */
  ok: boolean;
  /**
   * True when kcm's reconcile returns the error, so controller-runtime requeues it with backoff (the
   * template and config checks); false when it returns nil and waits for a watch event.
   */
  requeue: boolean;
  /** The template the reconcile found (undefined when missing): kcm's setAvailableUpgrades reads its chains. */
  template?: KubeObject;
  k8sVersion?: string;
  /** Events recorded only when the condition they report changed (kcm's `if r.setCondition(...) { r.warnf }`). */
  events: KcmEvent[];
}

function nameRef(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/**
 * NotFound as kcm's cached client words it: controller-runtime's cache reader puts the Kind where the
 * resource goes (controller-runtime pkg/cache/internal/cache_reader.go Get), e.g.
 * `ClusterTemplate.k0rdent.mirantis.com "x" not found`.
 */
function cachedNotFound(kind: string, name: string): string {
  return `${kind}.k0rdent.mirantis.com "${name}" not found`;
}

/** Sets a condition and says whether anything changed (apimeta.SetStatusCondition's return value). */
function setChanged(
  conditions: Condition[],
  input: Omit<Condition, 'lastTransitionTime'>,
  now: string,
): { conditions: Condition[]; changed: boolean } {
  const before = conditions.find((c) => c.type === input.type);
  const changed =
    !before ||
    before.status !== input.status ||
    before.reason !== input.reason ||
    before.message !== input.message ||
    before.observedGeneration !== input.observedGeneration;
  return { conditions: setCondition(conditions, input, now), changed };
}

/**
 * kcm getClusterScope (clusterdeployment_controller.go:187-196): the Credential is fetched first, before
 * the finalizer is added; when it is missing, CredentialReady=False and the reconcile returns the error
 * (requeued), with status written by Reconcile (:165-172, updateStatus without a template).
 */
export function missingCredentialOutcome(store: KcmReader, deployment: KubeObject, now: string): ValidationOutcome | undefined {
  const namespace = deployment.metadata.namespace ?? '';
  const generation = deployment.metadata.generation ?? 1;
  const spec = section(deployment, 'spec');
  const credentialName = typeof spec['credential'] === 'string' ? spec['credential'] : '';
  if (credentialName !== '' && store.get(CREDENTIALS, namespace, credentialName)) return undefined;
  const message = `failed to get Credential ${nameRef(namespace, credentialName)}: ${cachedNotFound('Credential', credentialName)}`;
  const set = setChanged(
    conditionsOf(deployment),
    { type: CREDENTIAL_READY, status: 'False', reason: FAILED, message, observedGeneration: generation },
    now,
  );
  return {
    conditions: withReadyCondition(set.conditions, generation, now),
    ok: false,
    requeue: true,
    events: set.changed ? [{ type: 'Warning', reason: 'CredentialError', message }] : [],
  };
}

/**
 * One reconcile's checks after the finalizer, in kcm's order (clusterdeployment_controller.go): the
 * template is fetched (:347-360), conditions not yet set start Unknown (:1272 initClusterConditions), the
 * template must be valid (:417-419, :639), its k8sVersion is copied (:422), the config must render
 * (:464 validateConfig → :1232-1269), and the Credential's readiness is written (:467-475; not ready does not
 * stop the walk). All of it is one status
 * write (:316-318 deferred updateStatus, :1512).
 */
export function validateDeployment(store: KcmReader, deployment: KubeObject, now: string): ValidationOutcome {
  const namespace = deployment.metadata.namespace ?? '';
  const generation = deployment.metadata.generation ?? 1;
  const spec = section(deployment, 'spec');
  const templateName = typeof spec['template'] === 'string' ? spec['template'] : '';
  const dryRun = spec['dryRun'] === true;
  let conditions = conditionsOf(deployment);
  const events: KcmEvent[] = [];
  const set = (type: string, status: Condition['status'], reason: string, message: string): boolean => {
    const result = setChanged(conditions, { type, status, reason, message, observedGeneration: generation }, now);
    conditions = result.conditions;
    return result.changed;
  };
  const outcome = (ok: boolean, requeue: boolean, extra: Partial<ValidationOutcome> = {}): ValidationOutcome => ({
    conditions: withReadyCondition(conditions, generation, now),
    ok,
    requeue,
    events,
    ...extra,
  });

  const template = store.get(CLUSTER_TEMPLATES, namespace, templateName);
  if (!template) {
    const message = `failed to get ClusterTemplate ${nameRef(namespace, templateName)}: ${cachedNotFound('ClusterTemplate', templateName)}`;
    if (set(TEMPLATE_READY, 'False', FAILED, message)) events.push({ type: 'Warning', reason: 'ClusterTemplateError', message });
    return outcome(false, true);
  }
  conditions = initialConditions(conditions, generation, dryRun, now);

  const templateStatus = section(template, 'status');
  if (templateStatus['valid'] !== true) {
    const detail =
      typeof templateStatus['validationError'] === 'string' && templateStatus['validationError'] !== ''
        ? `: ${templateStatus['validationError']}`
        : '';
    const message = `ClusterTemplate ${nameRef(namespace, templateName)} is not marked as valid${detail}`;
    if (set(TEMPLATE_READY, 'False', FAILED, message)) events.push({ type: 'Warning', reason: 'InvalidClusterTemplate', message });
    return outcome(false, true, { template });
  }
  // kcm's setCondition leaves the message empty when there is no error.
  set(TEMPLATE_READY, 'True', SUCCEEDED, '');
  const k8sVersion = typeof templateStatus['k8sVersion'] === 'string' ? templateStatus['k8sVersion'] : undefined;
  const extra = { template, ...(k8sVersion ? { k8sVersion } : {}) };

  const configError = configErrorFor(store, template, spec['config']);
  if (configError !== undefined) {
    const message = `failed to validate template with provided configuration: ${configError}`;
    if (set(HELM_CHART_READY, 'False', FAILED, message))
      events.push({ type: 'Warning', reason: 'ValidationError', message: `Invalid configuration provided: ${message}` });
    return outcome(false, true, extra);
  }
  set(HELM_CHART_READY, 'True', SUCCEEDED, '');

  const credentialName = typeof spec['credential'] === 'string' ? spec['credential'] : '';
  const credential = store.get(CREDENTIALS, namespace, credentialName);
  // kcm v1.11.4 validateAndPrepareCluster (clusterdeployment_controller.go:466-476): a Credential that is not ready
  // (its identity gone after admission) only sets the condition and records the event; the function returns nil,
  // so the reconcile goes on to the HelmRelease (:436-446) and Ready reads False with the condition's message.
  if (!credential || section(credential, 'status')['ready'] !== true) {
    const ref = nameRef(namespace, credentialName);
    if (set(CREDENTIAL_READY, 'False', FAILED, `the Credential ${ref} is not ready`))
      events.push({ type: 'Warning', reason: 'CredentialNotReady', message: `Credential ${ref} is not ready` });
    return outcome(true, false, extra);
  }
  set(CREDENTIAL_READY, 'True', SUCCEEDED, '');
  return outcome(true, false, extra);
}

/**
 * kcm runs validateAndPrepareCluster on every reconcile (clusterdeployment_controller.go:466-476), also once the
 * HelmRelease exists: CredentialReady follows the Credential's readiness of the moment (a Credential turning ready
 * or losing its identity reaches the deployment through the Credential watch, :2316-2319), in the same status write
 * as the HelmRelease's conditions. A Credential that is gone is getClusterScope's case (missingCredentialOutcome).
 */
export function withCredentialReadiness(
  conditions: Condition[],
  deployment: KubeObject,
  credential: KubeObject | undefined,
  now: string,
): { conditions: Condition[]; events: KcmEvent[] } {
  if (!credential) return { conditions, events: [] };
  const generation = deployment.metadata.generation ?? 1;
  const ref = nameRef(deployment.metadata.namespace ?? '', credential.metadata.name);
  const ready = section(credential, 'status')['ready'] === true;
  const set = setChanged(
    conditions,
    ready
      ? { type: CREDENTIAL_READY, status: 'True', reason: SUCCEEDED, message: '', observedGeneration: generation }
      : {
          type: CREDENTIAL_READY,
          status: 'False',
          reason: FAILED,
          message: `the Credential ${ref} is not ready`,
          observedGeneration: generation,
        },
    now,
  );
  const events: KcmEvent[] =
    set.changed && !ready ? [{ type: 'Warning', reason: 'CredentialNotReady', message: `Credential ${ref} is not ready` }] : [];
  return { conditions: set.conditions, events };
}

/**
 * kcm's Helm dry run of the deployment's config (clusterdeployment_controller.go:1260 →
 * internal/helm/actor.go:62, a client-only install): the values are coalesced over the chart's
 * values.yaml, checked against values.schema.json (helm pkg/chartutil/values.go:166
 * ToRenderValuesWithSchemaValidation), then the templates render, where `required` fails on nil or ""
 * (./chart-required.ts).
 */
function configErrorFor(store: KcmReader, template: KubeObject, config: unknown): string | undefined {
  const status = section(template, 'status');
  const cmName = typeof status['schemaConfigMapName'] === 'string' ? status['schemaConfigMapName'] : '';
  const ref = chartOfTemplate(template);
  const chart = ref ? loadChartCatalog().get(ref.chart) : undefined;
  const chartName = ref?.chart ?? template.metadata.name;
  let schemaText: string | undefined;
  if (cmName !== '') {
    const cm = store.get(CONFIG_MAPS, template.metadata.namespace, cmName);
    const data = cm && isJsonObject(cm['data']) ? cm['data'] : {};
    if (typeof data['schema'] === 'string') schemaText = data['schema'];
  }
  schemaText ??= chart?.schemaText;
  if (config !== undefined && config !== null && !isJsonObject(config)) return `values must be an object, got ${JSON.stringify(config)}`;
  // The chart's own values.yaml when kcm ships the chart; otherwise what the template reports of it.
  const defaults = chart?.values ?? (isJsonObject(status['config']) ? status['config'] : {});
  const values = mergeValues(defaults, (config ?? {}) as JsonObject);
  if (schemaText !== undefined) {
    const schemaError = validateChartValues(chartName, schemaText, defaults, (config ?? {}) as JsonObject);
    if (schemaError !== undefined) return schemaError;
  }
  return chart?.requirements.check(values);
}

/** The upgrade targets ClusterTemplateChains in the namespace offer for a template. */
export function availableUpgrades(store: KcmReader, namespace: string, templateName: string): string[] {
  const upgrades = new Set<string>();
  for (const chain of store.list(CLUSTER_TEMPLATE_CHAINS, { namespace })) {
    const supported = section(chain, 'spec')['supportedTemplates'];
    if (!Array.isArray(supported)) continue;
    for (const entry of supported) {
      if (!isJsonObject(entry) || entry['name'] !== templateName || !Array.isArray(entry['availableUpgrades'])) continue;
      for (const up of entry['availableUpgrades']) if (isJsonObject(up) && typeof up['name'] === 'string') upgrades.add(up['name']);
    }
  }
  // kcm :1966-1967 sorts them "so that comparison between old and new status is accurate".
  return [...upgrades].sort();
}

/**
 * The conditions kcm copies from other objects in the same reconcile, re-stamped with the generation it
 * is reconciling but otherwise unchanged: the HelmRelease's Ready (clusterdeployment_controller.go:567-574)
 * and the CAPI Cluster summary (internal/util/conditions/capi.go:95). Ready is recomputed from them.
 */
export function restampCopiedConditions(conditions: readonly Condition[], generation: number, now: string): Condition[] {
  const copied = conditions.map((c) =>
    c.type === HELM_RELEASE_READY || c.type === CAPI_CLUSTER_SUMMARY ? { ...c, observedGeneration: generation } : c,
  );
  return withReadyCondition(copied, generation, now);
}

/** The Helm release revision a walk produces: 1 for an install; an upgrade follows the generation. */
function revision(deployment: KubeObject, upgrade: boolean): number {
  return upgrade ? Math.max(2, deployment.metadata.generation ?? 2) : 1;
}

function helmReleaseMessage(deployment: KubeObject, template: KubeObject | undefined, upgrade: boolean): string {
  const ref = template ? chartOfTemplate(template) : undefined;
  const chart = ref ? `${ref.chart}@${ref.version}` : 'unknown';
  const release = `${deployment.metadata.namespace}/${deployment.metadata.name}.v${revision(deployment, upgrade)}`;
  return `Helm ${upgrade ? 'upgrade' : 'install'} succeeded for release ${release} with chart ${chart}`;
}

/** True when an earlier walk installed the release (this walk then upgrades it). */
export function releaseInstalled(deployment: KubeObject): boolean {
  return conditionsOf(deployment).some((c) => c.type === HELM_RELEASE_READY && c.status === 'True');
}

/** The CAPI Cluster summary while machines come up (CAPI v1beta2 summary: "* Type: message" lines). */
const CAPI_PROVISIONING_MESSAGE = [
  '* InfrastructureReady: Waiting for the infrastructure cluster to be ready',
  '* ControlPlaneAvailable: Control plane is not yet available',
  '* WorkersAvailable: Waiting for workers to become available',
].join('\n');

/**
 * Provisioning after validation: 1 = HelmRelease created (Flux reconciling), 2 = release installed and
 * the CAPI Cluster provisioning, 3 = CAPI Cluster ready. Returns the conditions and the events kcm records.
 */
export function provisioningConditions(
  stage: 1 | 2 | 3,
  deployment: KubeObject,
  template: KubeObject | undefined,
  now: string,
  upgrade = false,
): { conditions: Condition[]; events: KcmEvent[] } {
  const generation = deployment.metadata.generation ?? 1;
  const ref = `${deployment.metadata.namespace}/${deployment.metadata.name}`;
  let conditions = conditionsOf(deployment);
  const events: KcmEvent[] = [];
  const set = (type: string, status: Condition['status'], reason: string, message: string): void => {
    conditions = setCondition(conditions, { type, status, reason, message, observedGeneration: generation }, now);
  };
  if (stage === 1) {
    set(HELM_RELEASE_READY, 'Unknown', PROGRESSING, 'Reconciliation in progress');
    events.push({
      type: 'Normal',
      reason: upgrade ? 'HelmReleaseUpdated' : 'HelmReleaseCreated',
      message: `Successfully ${upgrade ? 'updated' : 'created'} HelmRelease ${ref}`,
    });
  } else if (stage === 2) {
    set(HELM_RELEASE_READY, 'True', upgrade ? 'UpgradeSucceeded' : 'InstallSucceeded', helmReleaseMessage(deployment, template, upgrade));
    set(CAPI_CLUSTER_SUMMARY, 'False', 'IssuesReported', CAPI_PROVISIONING_MESSAGE);
    events.push({ type: 'Normal', reason: 'HelmReleaseIsReady', message: `HelmRelease ${ref} is ready` });
    events.push({ type: 'Normal', reason: 'CAPIClusterIsProvisioning', message: 'Cluster is provisioning' });
  } else {
    set(HELM_RELEASE_READY, 'True', upgrade ? 'UpgradeSucceeded' : 'InstallSucceeded', helmReleaseMessage(deployment, template, upgrade));
    set(CAPI_CLUSTER_SUMMARY, 'True', 'InfoReported', '');
    events.push({ type: 'Normal', reason: 'CAPIClusterIsReady', message: 'Cluster has been provisioned' });
  }
  return { conditions: withReadyCondition(conditions, generation, now), events };
}

/** The full status of a deployment that kcm has brought to Ready (used for seeded deployments). */
export function readyDeploymentStatus(store: KcmReader, deployment: KubeObject, now: string): JsonObject {
  const namespace = deployment.metadata.namespace ?? '';
  const templateName = String(section(deployment, 'spec')['template'] ?? '');
  const template = store.get(CLUSTER_TEMPLATES, namespace, templateName);
  const generation = deployment.metadata.generation ?? 1;
  let conditions: Condition[] = [];
  for (const type of [TEMPLATE_READY, CREDENTIAL_READY, HELM_CHART_READY]) {
    conditions = setCondition(conditions, { type, status: 'True', reason: SUCCEEDED, message: '', observedGeneration: generation }, now);
  }
  // Services are settled separately (./services.ts deployedServicesStatus); none yet: "0/0".
  conditions = setCondition(
    conditions,
    { type: SERVICES_IN_READY_STATE, status: 'True', reason: SUCCEEDED, message: '0/0', observedGeneration: generation },
    now,
  );
  const staged = provisioningConditions(3, { ...deployment, status: { conditions } }, template, now).conditions;
  // kcm :1937 setAvailableUpgrades; `availableUpgrades,omitempty` (api/v1beta1/clusterdeployment_types.go:174).
  const upgrades = availableUpgrades(store, namespace, templateName);
  const k8sVersion = template ? section(template, 'status')['k8sVersion'] : undefined;
  return {
    conditions: staged as unknown as JsonObject[],
    observedGeneration: generation,
    ...(typeof k8sVersion === 'string' && k8sVersion !== '' ? { k8sVersion } : {}),
    ...(upgrades.length > 0 ? { availableUpgrades: upgrades } : {}),
  };
}
