/**
 * kcm's admission webhooks for ClusterDeployments and ClusterTemplates (kcm
 * `internal/webhook/clusterdeployment_webhook.go`, `template_webhook.go`, `internal/util/validation/cd.go`).
 * The checks are plain functions of the request and kcm's cached reads; they are attached two ways:
 * as store admission hooks in the embedded sandbox (mutation first, then validation, as kube-apiserver
 * orders them) and as HTTPS admission webhooks in front of a real API server (./webhook-server.ts).
 * Denials carry the webhook's wording, prefixed the way the API server reports a webhook denial.
 */
import type { AdmissionHook, AdmissionRequest, AdmissionResult, KubeObject } from '../apiserver/types.js';
import type { KcmReader } from './api.js';
import { IDENTITY_KINDS } from './charts.js';
import {
  CLUSTER_DEPLOYMENTS,
  CLUSTER_TEMPLATE_CHAINS,
  CLUSTER_TEMPLATES,
  CREDENTIALS,
  MANAGEMENTS,
  REGIONS,
  isJsonObject,
  section,
} from './resources.js';
import { deploymentServices, k8sCompatibilityError, servicesAdmissionError } from './services.js';

export const CLUSTER_DEPLOYMENT_WEBHOOK = 'validation.clusterdeployment.k0rdent.mirantis.com';
export const CLUSTER_DEPLOYMENT_MUTATING_WEBHOOK = 'mutation.clusterdeployment.k0rdent.mirantis.com';
export const CLUSTER_TEMPLATE_WEBHOOK = 'validation.clustertemplate.k0rdent.mirantis.com';

function deny(webhook: string, detail: string): AdmissionResult {
  return { allowed: false, code: 403, reason: 'Forbidden', message: `admission webhook "${webhook}" denied the request: ${detail}` };
}

const invalid = (detail: string): AdmissionResult => deny(CLUSTER_DEPLOYMENT_WEBHOOK, `the ClusterDeployment is invalid: ${detail}`);

function stringField(record: Record<string, unknown>, key: string): string {
  const value = record[key];
  return typeof value === 'string' ? value : '';
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** Go's %v of a []string. */
const goList = (items: string[]): string => `[${items.join(' ')}]`;

/** Checks 1–3: the template exists in the deployment's namespace, is valid, and its providers are deployed. */
function checkTemplate(store: KcmReader, namespace: string, templateName: string): { template: KubeObject } | { denial: AdmissionResult } {
  const template = store.get(CLUSTER_TEMPLATES, namespace, templateName);
  if (!template) return { denial: invalid(`clustertemplates.k0rdent.mirantis.com "${templateName}" not found`) };
  const status = section(template, 'status');
  if (status['valid'] !== true) {
    return { denial: invalid(`the ClusterTemplate ${namespace}/${templateName} is invalid with the error: ${stringField(status, 'validationError')}`) };
  }
  const management = store.get(MANAGEMENTS, undefined, 'kcm');
  if (management) {
    const available = stringList(section(management, 'status')['availableProviders']);
    const missing = stringList(status['providers']).filter((p) => !available.includes(p));
    if (missing.length > 0) {
      return {
        denial: invalid(
          `failed to validate required providers: incompatible providers in Management kcm: one or more required providers are not deployed yet: ${goList(missing)}`,
        ),
      };
    }
  }
  return { template };
}

/** ClusterTemplateK8sCompatibility and the services checks (kcm clusterdeployment_webhook.go:72, :80-86, :140-150). */
function checkK8sCompatibility(store: KcmReader, deployment: KubeObject, template: KubeObject): AdmissionResult | undefined {
  const error = k8sCompatibilityError(store, deployment, template);
  return error ? deny(CLUSTER_DEPLOYMENT_WEBHOOK, `failed to validate k8s compatibility: ${error}`) : undefined;
}

function checkServices(store: KcmReader, deployment: KubeObject, old: KubeObject | undefined): AdmissionResult | undefined {
  const services = deploymentServices(deployment);
  if (old && JSON.stringify(deploymentServices(old)) === JSON.stringify(services)) return undefined;
  const error = servicesAdmissionError(store, deployment.metadata.namespace ?? '', services);
  return error ? invalid(error) : undefined;
}

/** Check 5: the credential exists in the deployment's namespace, is ready and fits the infrastructure provider. */
function checkCredential(store: KcmReader, deployment: KubeObject, template: KubeObject): AdmissionResult | undefined {
  const namespace = deployment.metadata.namespace ?? '';
  const credentialName = stringField(section(deployment, 'spec'), 'credential');
  if (credentialName === '') return undefined;
  const templateRef = `${namespace}/${template.metadata.name}`;
  const providers = stringList(section(template, 'status')['providers']);
  if (providers.length === 0) return invalid(`no providers have been found in the ClusterTemplate ${templateRef}`);
  const infrastructure = providers.find((p) => p.startsWith('infrastructure-'));
  if (!infrastructure) return invalid(`no infrastructure providers have been found in the ClusterTemplate ${templateRef}`);
  const credentialRef = `${namespace}/${credentialName}`;
  const credential = store.get(CREDENTIALS, namespace, credentialName);
  if (!credential) {
    return invalid(
      `failed to get Credential ${credentialRef} referred in the ClusterDeployment ${namespace}/${deployment.metadata.name}: credentials.k0rdent.mirantis.com "${credentialName}" not found`,
    );
  }
  if (section(credential, 'status')['ready'] !== true) return invalid(`the Credential ${credentialRef} is not Ready`);
  const identityRef = section(credential, 'spec')['identityRef'];
  if (!isJsonObject(identityRef)) return invalid(`the Credential ${credentialRef} does not have identityRef`);
  const kind = stringField(identityRef, 'kind');
  const wrap = (detail: string): AdmissionResult => invalid(`checking credential identity reference supports cluster template: ${detail}`);
  for (const provider of providers.filter((p) => p.startsWith('infrastructure-'))) {
    const kinds = IDENTITY_KINDS[provider];
    if (!kinds) return wrap(`unsupported infrastructure provider ${provider}`);
    if (!kinds.includes(kind)) return wrap(`provider ${provider} does not support ClusterIdentity Kind ${kind} from the Credential ${credentialRef}`);
  }
  return undefined;
}

/**
 * kcm's mutating webhook (it runs before validation): no config → the template's default config and
 * dryRun; a missing or invalid template is reported by this webhook first.
 */
function mutate(store: KcmReader, deployment: KubeObject): { object?: KubeObject; denial?: AdmissionResult } {
  const spec = section(deployment, 'spec');
  const templateName = stringField(spec, 'template');
  if ((spec['config'] !== undefined && spec['config'] !== null) || templateName === '') return {};
  const namespace = deployment.metadata.namespace ?? '';
  const template = store.get(CLUSTER_TEMPLATES, namespace, templateName);
  if (!template) {
    const detail = `failed to get ClusterTemplate for the ClusterDeployment ${namespace}/${deployment.metadata.name}: clustertemplates.k0rdent.mirantis.com "${templateName}" not found`;
    return { denial: deny(CLUSTER_DEPLOYMENT_MUTATING_WEBHOOK, detail) };
  }
  const status = section(template, 'status');
  if (status['valid'] !== true) {
    return { denial: deny(CLUSTER_DEPLOYMENT_MUTATING_WEBHOOK, `the ClusterTemplate ${namespace}/${templateName} is invalid with the error: ${stringField(status, 'validationError')}`) };
  }
  if (!isJsonObject(status['config'])) return {};
  return { object: { ...deployment, spec: { ...spec, config: status['config'], dryRun: true } } };
}

/** The mutating webhook `mutation.clusterdeployment…` (CREATE, UPDATE): the object to store, or a denial. */
export function mutateClusterDeployment(request: AdmissionRequest, store: KcmReader): AdmissionResult {
  if (request.operation === 'DELETE' || !request.object) return { allowed: true };
  if (request.oldObject?.metadata.deletionTimestamp) return { allowed: true };
  const mutation = mutate(store, request.object);
  if (mutation.denial) return mutation.denial;
  return mutation.object ? { allowed: true, object: mutation.object } : { allowed: true };
}

/** The validating webhook `validation.clusterdeployment…` (CREATE, UPDATE, DELETE). */
export function validateClusterDeployment(request: AdmissionRequest, store: KcmReader): AdmissionResult {
  if (request.operation === 'DELETE') return request.oldObject ? checkDeletion(store, request.oldObject) : { allowed: true };
  if (!request.object) return { allowed: true };
  if (request.oldObject?.metadata.deletionTimestamp) return { allowed: true };
  return validate(request.operation, request.object, request.oldObject, store);
}

/** Both ClusterDeployment webhooks as one store hook: mutation, then validation of the mutated object. */
export const clusterDeploymentAdmission: AdmissionHook = (request, store) => {
  const mutation = mutateClusterDeployment(request, store);
  if (!mutation.allowed) return mutation;
  const mutated = mutation.object ? { ...request, object: mutation.object } : request;
  const result = validateClusterDeployment(mutated, store);
  if (!result.allowed) return result;
  return mutation.object ? { allowed: true, object: mutation.object } : { allowed: true };
};

/** kcm refuses to delete a deployment a Region is built on (kcm `ClusterDeploymentDeletionAllowed`). */
function checkDeletion(store: KcmReader, deployment: KubeObject): AdmissionResult {
  for (const region of store.list(REGIONS)) {
    const ref = section(region, 'spec')['clusterDeployment'];
    if (isJsonObject(ref) && ref['name'] === deployment.metadata.name && ref['namespace'] === deployment.metadata.namespace) {
      return deny(CLUSTER_DEPLOYMENT_WEBHOOK, `ClusterDeployment cannot be deleted: referenced by Region "${region.metadata.name}"`);
    }
  }
  return { allowed: true };
}

function validate(operation: 'CREATE' | 'UPDATE', deployment: KubeObject, old: KubeObject | undefined, store: KcmReader): AdmissionResult {
  const namespace = deployment.metadata.namespace ?? '';
  const spec = section(deployment, 'spec');
  const templateName = stringField(spec, 'template');

  if (operation === 'UPDATE' && old) {
    const oldSpec = section(old, 'spec');
    const oldTemplate = stringField(oldSpec, 'template');
    const templateChanged = oldTemplate !== templateName;
    if (templateChanged && !stringList(section(old, 'status')['availableUpgrades']).includes(templateName)) {
      return deny(
        CLUSTER_DEPLOYMENT_WEBHOOK,
        `cluster upgrade is forbidden: Cluster can't be upgraded from ${oldTemplate} to ${templateName}. This upgrade sequence is not allowed`,
      );
    }
    const checked = checkTemplate(store, namespace, templateName);
    if ('denial' in checked) return templateChanged ? checked.denial : { allowed: true };
    if (templateChanged) {
      const denial = checkK8sCompatibility(store, deployment, checked.template);
      if (denial) return denial;
    }
    if (stringField(oldSpec, 'credential') !== stringField(spec, 'credential')) {
      const denial = checkCredential(store, deployment, checked.template);
      if (denial) return denial;
    }
    return checkServices(store, deployment, old) ?? { allowed: true };
  }

  const checked = checkTemplate(store, namespace, templateName);
  if ('denial' in checked) return checked.denial;
  return checkK8sCompatibility(store, deployment, checked.template) ?? checkCredential(store, deployment, checked.template) ?? checkServices(store, deployment, undefined) ?? { allowed: true };
}

/** Admission for ClusterTemplate DELETE: refused while deployments or a chain use the template. */
export function validateClusterTemplate(request: AdmissionRequest, store: KcmReader): AdmissionResult {
  const template = request.oldObject;
  if (request.operation !== 'DELETE' || !template) return { allowed: true };
  const namespace = template.metadata.namespace;
  const inUse = store
    .list(CLUSTER_DEPLOYMENTS, { namespace })
    .some((cd) => stringField(section(cd, 'spec'), 'template') === template.metadata.name);
  const ownedByChain = (template.metadata.ownerReferences ?? []).some(
    (o) => o.kind === 'ClusterTemplateChain' && store.get(CLUSTER_TEMPLATE_CHAINS, namespace, o.name) !== undefined,
  );
  if (inUse || ownedByChain) return deny(CLUSTER_TEMPLATE_WEBHOOK, 'template deletion is forbidden');
  return { allowed: true };
}

export const clusterTemplateAdmission: AdmissionHook = (request, store) => validateClusterTemplate(request, store);
