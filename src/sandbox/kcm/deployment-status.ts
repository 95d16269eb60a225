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
  DELETION_REASONS,
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
import { validateChartValues } from './config-validation.js';
import { CLUSTER_TEMPLATE_CHAINS, CLUSTER_TEMPLATES, CONFIG_MAPS, CREDENTIALS, isJsonObject, section, type JsonObject } from './resources.js';

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
  k8sVersion?: string;
  event?: KcmEvent;
}

function nameRef(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** The template, credential and config checks of the controller, recorded as conditions. */
export function validateDeployment(store: KcmReader, deployment: KubeObject, now: string): ValidationOutcome {
  const namespace = deployment.metadata.namespace ?? '';
  const generation = deployment.metadata.generation ?? 1;
  const spec = section(deployment, 'spec');
  const templateName = typeof spec['template'] === 'string' ? spec['template'] : '';
  let conditions = conditionsOf(deployment);
  const fail = (type: string, message: string, reason: string, eventMessage = message): ValidationOutcome => ({
    conditions: withReadyCondition(setCondition(conditions, { type, status: 'False', reason: FAILED, message, observedGeneration: generation }, now), generation, now),
    ok: false,
    event: { type: 'Warning', reason, message: eventMessage },
  });
  // kcm's setCondition leaves the message empty when there is no error.
  const succeed = (type: string): void => {
    conditions = setCondition(conditions, { type, status: 'True', reason: SUCCEEDED, message: '', observedGeneration: generation }, now);
  };

  const template = store.get(CLUSTER_TEMPLATES, namespace, templateName);
  if (!template) {
    return fail(TEMPLATE_READY, `failed to get ClusterTemplate ${nameRef(namespace, templateName)}: clustertemplates.k0rdent.mirantis.com "${templateName}" not found`, 'ClusterTemplateError');
  }
  const templateStatus = section(template, 'status');
  if (templateStatus['valid'] !== true) {
    const detail = typeof templateStatus['validationError'] === 'string' && templateStatus['validationError'] !== '' ? `: ${templateStatus['validationError']}` : '';
    return fail(TEMPLATE_READY, `ClusterTemplate ${nameRef(namespace, templateName)} is not marked as valid${detail}`, 'InvalidClusterTemplate');
  }
  succeed(TEMPLATE_READY);

  const configError = configErrorFor(store, template, spec['config']);
  if (configError !== undefined) {
    const message = `failed to validate template with provided configuration: ${configError}`;
    return fail(HELM_CHART_READY, message, 'ValidationError', `Invalid configuration provided: ${message}`);
  }
  succeed(HELM_CHART_READY);

  const credentialName = typeof spec['credential'] === 'string' ? spec['credential'] : '';
  if (credentialName !== '') {
    const credential = store.get(CREDENTIALS, namespace, credentialName);
    if (!credential) {
      return fail(CREDENTIAL_READY, `failed to get Credential ${nameRef(namespace, credentialName)}: credentials.k0rdent.mirantis.com "${credentialName}" not found`, 'CredentialError');
    }
    if (section(credential, 'status')['ready'] !== true) {
      const ref = nameRef(namespace, credentialName);
      return fail(CREDENTIAL_READY, `the Credential ${ref} is not ready`, 'CredentialNotReady', `Credential ${ref} is not ready`);
    }
  }
  succeed(CREDENTIAL_READY);
  const k8sVersion = typeof templateStatus['k8sVersion'] === 'string' ? templateStatus['k8sVersion'] : undefined;
  return { conditions: withReadyCondition(conditions, generation, now), ok: true, ...(k8sVersion ? { k8sVersion } : {}) };
}

/** Validates the deployment's config against the template's schema ConfigMap, as kcm's Helm dry run does. */
function configErrorFor(store: KcmReader, template: KubeObject, config: unknown): string | undefined {
  const status = section(template, 'status');
  const cmName = typeof status['schemaConfigMapName'] === 'string' ? status['schemaConfigMapName'] : '';
  const ref = chartOfTemplate(template);
  const chartName = ref?.chart ?? template.metadata.name;
  let schemaText: string | undefined;
  if (cmName !== '') {
    const cm = store.get(CONFIG_MAPS, template.metadata.namespace, cmName);
    const data = cm && isJsonObject(cm['data']) ? cm['data'] : {};
    if (typeof data['schema'] === 'string') schemaText = data['schema'];
  }
  schemaText ??= ref ? loadChartCatalog().get(ref.chart)?.schemaText : undefined;
  if (schemaText === undefined) return undefined; // a chart without values.schema.json accepts any values
  if (config !== undefined && config !== null && !isJsonObject(config)) return `values must be an object, got ${JSON.stringify(config)}`;
  const defaults = isJsonObject(status['config']) ? status['config'] : {};
  return validateChartValues(chartName, schemaText, defaults, (config ?? {}) as JsonObject);
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
  return [...upgrades];
}

/**
 * The conditions kcm copies from other objects in the same reconcile, re-stamped with the generation it
 * is reconciling but otherwise unchanged: the HelmRelease's Ready (clusterdeployment_controller.go:567-574)
 * and the CAPI Cluster summary (internal/util/conditions/capi.go:95). Ready is recomputed from them.
 */
export function restampCopiedConditions(conditions: readonly Condition[], generation: number, now: string): Condition[] {
  const copied = conditions.map((c) => (c.type === HELM_RELEASE_READY || c.type === CAPI_CLUSTER_SUMMARY ? { ...c, observedGeneration: generation } : c));
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
    events.push({ type: 'Normal', reason: upgrade ? 'HelmReleaseUpdated' : 'HelmReleaseCreated', message: `Successfully ${upgrade ? 'updated' : 'created'} HelmRelease ${ref}` });
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

/** The CAPI summary while the Cluster is deleted; also the Deleting message at WaitingForClusterDeletion. */
const CAPI_DELETING_MESSAGE = '* Deleting: Waiting for Machines to be deleted';

const DELETION_MESSAGES: Record<(typeof DELETION_REASONS)[number], (ref: string) => string> = {
  WaitingForCloudResourcesDeletion: (ref) => `Waiting for cloud resources of ${ref} to be deleted`,
  WaitingForClusterDeletion: () => CAPI_DELETING_MESSAGE,
  WaitingForHelmReleaseDeletion: (ref) => `Waiting for HelmRelease ${ref} to be deleted`,
  WaitingForServiceSetsDeletion: (ref) => `Waiting for ServiceSets of ${ref} to be deleted`,
  WaitingForClusterDataSourceDeletion: (ref) => `Waiting for ClusterDataSource ${ref} to be deleted`,
  DeletionCompleted: () => 'Deletion completed',
};

/** The conditions at deletion step `index` of DELETION_REASONS; Ready mirrors Deleting as False/Deleting. */
export function deletionConditions(index: number, deployment: KubeObject, now: string): Condition[] {
  const generation = deployment.metadata.generation ?? 1;
  const reason = DELETION_REASONS[Math.min(index, DELETION_REASONS.length - 1)]!;
  const ref = `${deployment.metadata.namespace}/${deployment.metadata.name}`;
  const message = DELETION_MESSAGES[reason](ref);
  let conditions = setCondition(conditionsOf(deployment), { type: DELETING, status: 'True', reason, message, observedGeneration: generation }, now);
  const hadCluster = conditions.some((c) => c.type === CAPI_CLUSTER_SUMMARY);
  if (reason === 'WaitingForClusterDeletion' && hadCluster) {
    conditions = setCondition(conditions, { type: CAPI_CLUSTER_SUMMARY, status: 'False', reason: 'Deleting', message: CAPI_DELETING_MESSAGE, observedGeneration: generation }, now);
  } else if (index > DELETION_REASONS.indexOf('WaitingForClusterDeletion') && hadCluster) {
    conditions = setCondition(conditions, { type: CAPI_CLUSTER_SUMMARY, status: 'True', reason: 'DeletionCompleted', message: 'Cluster was deleted', observedGeneration: generation }, now);
  }
  return setCondition(conditions, { type: 'Ready', status: 'False', reason: 'Deleting', message, observedGeneration: generation }, now);
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
  conditions = setCondition(conditions, { type: SERVICES_IN_READY_STATE, status: 'True', reason: SUCCEEDED, message: '0/0', observedGeneration: generation }, now);
  const staged = provisioningConditions(3, { ...deployment, status: { conditions } }, template, now).conditions;
  return {
    conditions: staged as unknown as JsonObject[],
    observedGeneration: generation,
    availableUpgrades: availableUpgrades(store, namespace, templateName),
  };
}
