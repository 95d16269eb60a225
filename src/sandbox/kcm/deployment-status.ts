/**
 * The ClusterDeployment conditions kcm's controller writes at each point of a deployment's life, as
 * pure functions of the current conditions (kcm `internal/controller/clusterdeployment_controller.go`).
 */
import type { KubeObject, Store } from '../apiserver/types.js';
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

/** First reconcile of a generation: kcm's initClusterConditions (all Unknown/Progressing). */
export function initialConditions(previous: Condition[], generation: number, dryRun: boolean, now: string): Condition[] {
  let conditions = removeCondition(previous, DELETING);
  for (const type of [TEMPLATE_READY, CREDENTIAL_READY, HELM_CHART_READY]) conditions = setCondition(conditions, progressing(type, generation), now);
  if (dryRun) {
    conditions = removeCondition(removeCondition(conditions, HELM_RELEASE_READY), CAPI_CLUSTER_SUMMARY);
  } else {
    conditions = setCondition(conditions, progressing(HELM_RELEASE_READY, generation), now);
  }
  return withReadyCondition(conditions, generation, now);
}

export interface ValidationOutcome {
  conditions: Condition[];
  /** False when a check failed and the walk must stop. */
  ok: boolean;
  k8sVersion?: string;
}

function nameRef(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** The template, credential and config checks of the controller, recorded as conditions. */
export function validateDeployment(store: Store, deployment: KubeObject, now: string): ValidationOutcome {
  const namespace = deployment.metadata.namespace ?? '';
  const generation = deployment.metadata.generation ?? 1;
  const spec = section(deployment, 'spec');
  const templateName = typeof spec['template'] === 'string' ? spec['template'] : '';
  let conditions = conditionsOf(deployment);
  const fail = (type: string, message: string): ValidationOutcome => ({
    conditions: withReadyCondition(setCondition(conditions, { type, status: 'False', reason: FAILED, message, observedGeneration: generation }, now), generation, now),
    ok: false,
  });
  const succeed = (type: string, message: string): void => {
    conditions = setCondition(conditions, { type, status: 'True', reason: SUCCEEDED, message, observedGeneration: generation }, now);
  };

  const template = store.get(CLUSTER_TEMPLATES, namespace, templateName);
  if (!template) {
    return fail(TEMPLATE_READY, `failed to get ClusterTemplate ${nameRef(namespace, templateName)}: clustertemplates.k0rdent.mirantis.com "${templateName}" not found`);
  }
  const templateStatus = section(template, 'status');
  if (templateStatus['valid'] !== true) {
    const detail = typeof templateStatus['validationError'] === 'string' && templateStatus['validationError'] !== '' ? `: ${templateStatus['validationError']}` : '';
    return fail(TEMPLATE_READY, `ClusterTemplate ${nameRef(namespace, templateName)} is not marked as valid${detail}`);
  }
  succeed(TEMPLATE_READY, 'ClusterTemplate is valid');

  const configError = configErrorFor(store, template, spec['config']);
  if (configError !== undefined) return fail(HELM_CHART_READY, `failed to validate template with provided configuration: ${configError}`);
  succeed(HELM_CHART_READY, 'Helm chart is valid');

  const credentialName = typeof spec['credential'] === 'string' ? spec['credential'] : '';
  if (credentialName !== '') {
    const credential = store.get(CREDENTIALS, namespace, credentialName);
    if (!credential) {
      return fail(CREDENTIAL_READY, `failed to get Credential ${nameRef(namespace, credentialName)}: credentials.k0rdent.mirantis.com "${credentialName}" not found`);
    }
    if (section(credential, 'status')['ready'] !== true) return fail(CREDENTIAL_READY, `the Credential ${nameRef(namespace, credentialName)} is not ready`);
  }
  succeed(CREDENTIAL_READY, 'Credential is ready');
  const k8sVersion = typeof templateStatus['k8sVersion'] === 'string' ? templateStatus['k8sVersion'] : undefined;
  return { conditions: withReadyCondition(conditions, generation, now), ok: true, ...(k8sVersion ? { k8sVersion } : {}) };
}

/** Validates the deployment's config against the template's schema ConfigMap, as kcm's Helm dry run does. */
function configErrorFor(store: Store, template: KubeObject, config: unknown): string | undefined {
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
export function availableUpgrades(store: Store, namespace: string, templateName: string): string[] {
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

function helmReleaseMessage(deployment: KubeObject, template: KubeObject | undefined): string {
  const ref = template ? chartOfTemplate(template) : undefined;
  const generation = deployment.metadata.generation ?? 1;
  const action = generation > 1 ? 'upgrade' : 'install';
  const chart = ref ? `${ref.chart}@${ref.version}` : 'unknown';
  return `Helm ${action} succeeded for release ${deployment.metadata.namespace}/${deployment.metadata.name}.v${generation} with chart ${chart}`;
}

/** Provisioning after validation: 1 = HelmRelease created, 2 = release installed and CAPI cluster coming up, 3 = ready. */
export function provisioningConditions(stage: 1 | 2 | 3, deployment: KubeObject, template: KubeObject | undefined, now: string): Condition[] {
  const generation = deployment.metadata.generation ?? 1;
  const ref = `${deployment.metadata.namespace}/${deployment.metadata.name}`;
  let conditions = conditionsOf(deployment);
  const set = (type: string, status: Condition['status'], reason: string, message: string): void => {
    conditions = setCondition(conditions, { type, status, reason, message, observedGeneration: generation }, now);
  };
  if (stage === 1) {
    set(HELM_RELEASE_READY, 'Unknown', PROGRESSING, 'Reconciliation in progress');
    set(CAPI_CLUSTER_SUMMARY, 'Unknown', 'CAPIClusterMissing', `Cluster ${ref} is not found`);
  } else if (stage === 2) {
    set(HELM_RELEASE_READY, 'True', 'InstallSucceeded', helmReleaseMessage(deployment, template));
    set(
      CAPI_CLUSTER_SUMMARY,
      'False',
      'Provisioning',
      '* InfrastructureReady: cloud infrastructure is being provisioned; * ControlPlaneAvailable: control plane is not yet available; * WorkersAvailable: workers are not yet available',
    );
  } else {
    set(HELM_RELEASE_READY, 'True', 'InstallSucceeded', helmReleaseMessage(deployment, template));
    set(CAPI_CLUSTER_SUMMARY, 'True', 'InfoReported', 'Cluster is ready: infrastructure, control plane and workers are available');
  }
  return withReadyCondition(conditions, generation, now);
}

const DELETION_MESSAGES: Record<(typeof DELETION_REASONS)[number], (ref: string) => string> = {
  WaitingForCloudResourcesDeletion: (ref) => `Waiting for cloud resources of ${ref} to be deleted`,
  WaitingForClusterDeletion: (ref) => `Cluster ${ref} is being deleted: * Machines: machines are being deleted`,
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
  if (reason === 'WaitingForClusterDeletion') {
    conditions = setCondition(conditions, { type: CAPI_CLUSTER_SUMMARY, status: 'False', reason: 'Deleting', message, observedGeneration: generation }, now);
  } else if (index > DELETION_REASONS.indexOf('WaitingForClusterDeletion') && conditions.some((c) => c.type === CAPI_CLUSTER_SUMMARY)) {
    conditions = setCondition(conditions, { type: CAPI_CLUSTER_SUMMARY, status: 'False', reason: 'DeletionCompleted', message: `Cluster ${ref} is deleted`, observedGeneration: generation }, now);
  }
  return setCondition(conditions, { type: 'Ready', status: 'False', reason: 'Deleting', message, observedGeneration: generation }, now);
}

/** The full status of a deployment that kcm has brought to Ready (used for seeded deployments). */
export function readyDeploymentStatus(store: Store, deployment: KubeObject, now: string): JsonObject {
  const namespace = deployment.metadata.namespace ?? '';
  const templateName = String(section(deployment, 'spec')['template'] ?? '');
  const template = store.get(CLUSTER_TEMPLATES, namespace, templateName);
  const generation = deployment.metadata.generation ?? 1;
  let conditions: Condition[] = [];
  for (const [type, message] of [
    [TEMPLATE_READY, 'ClusterTemplate is valid'],
    [CREDENTIAL_READY, 'Credential is ready'],
    [HELM_CHART_READY, 'Helm chart is valid'],
  ] as const) {
    conditions = setCondition(conditions, { type, status: 'True', reason: SUCCEEDED, message, observedGeneration: generation }, now);
  }
  const staged = provisioningConditions(3, { ...deployment, status: { conditions } }, template, now);
  return {
    conditions: staged as unknown as JsonObject[],
    observedGeneration: generation,
    availableUpgrades: availableUpgrades(store, namespace, templateName),
  };
}
