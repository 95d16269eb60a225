/**
 * kcm's admission webhooks for ClusterDeployments and ClusterTemplates, run in the sandbox's write
 * path (kcm `internal/webhook/clusterdeployment_webhook.go`, `template_webhook.go`,
 * `internal/util/validation/cd.go`). Denials carry the webhook's wording, prefixed the way the API
 * server reports a webhook denial.
 */
import type { AdmissionHook, AdmissionResult, KubeObject, Store } from '../apiserver/types.js';
import { IDENTITY_KINDS } from './charts.js';
import {
  CLUSTER_DEPLOYMENTS,
  CLUSTER_TEMPLATE_CHAINS,
  CLUSTER_TEMPLATES,
  CREDENTIALS,
  MANAGEMENTS,
  isJsonObject,
  section,
} from './resources.js';

export const CLUSTER_DEPLOYMENT_WEBHOOK = 'validation.clusterdeployment.k0rdent.mirantis.com';
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
function checkTemplate(store: Store, namespace: string, templateName: string): { template: KubeObject } | { denial: AdmissionResult } {
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

/** Check 5: the credential exists in the deployment's namespace, is ready and fits the infrastructure provider. */
function checkCredential(store: Store, deployment: KubeObject, template: KubeObject): AdmissionResult | undefined {
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
  const kinds = IDENTITY_KINDS[infrastructure];
  if (!kinds) return invalid(`unsupported infrastructure provider ${infrastructure}`);
  const kind = stringField(identityRef, 'kind');
  if (!kinds.includes(kind)) return invalid(`provider ${infrastructure} does not support ClusterIdentity Kind ${kind} from the Credential ${credentialRef}`);
  return undefined;
}

/** kcm's mutating default: no config → the template's default config, and dryRun. */
function withDefaults(deployment: KubeObject, template: KubeObject): KubeObject | undefined {
  const spec = section(deployment, 'spec');
  if (spec['config'] !== undefined && spec['config'] !== null) return undefined;
  const config = section(template, 'status')['config'];
  return { ...deployment, spec: { ...spec, config: isJsonObject(config) ? config : {}, dryRun: true } };
}

/** Admission for ClusterDeployment CREATE and UPDATE. */
export const clusterDeploymentAdmission: AdmissionHook = (request, store) => {
  const deployment = request.object;
  if (request.operation === 'DELETE' || !deployment) return { allowed: true };
  const namespace = deployment.metadata.namespace ?? '';
  const spec = section(deployment, 'spec');
  const templateName = stringField(spec, 'template');
  const old = request.oldObject;

  if (request.operation === 'UPDATE' && old) {
    // An object on its way out only has its finalizers edited; kcm lets that through.
    if (old.metadata.deletionTimestamp) return { allowed: true };
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
    if (stringField(oldSpec, 'credential') !== stringField(spec, 'credential')) {
      const denial = checkCredential(store, deployment, checked.template);
      if (denial) return denial;
    }
    const mutated = withDefaults(deployment, checked.template);
    return mutated ? { allowed: true, object: mutated } : { allowed: true };
  }

  const checked = checkTemplate(store, namespace, templateName);
  if ('denial' in checked) return checked.denial;
  const denial = checkCredential(store, deployment, checked.template);
  if (denial) return denial;
  const mutated = withDefaults(deployment, checked.template);
  return mutated ? { allowed: true, object: mutated } : { allowed: true };
};

/** Admission for ClusterTemplate DELETE: refused while deployments or a chain use the template. */
export const clusterTemplateAdmission: AdmissionHook = (request, store) => {
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
};
