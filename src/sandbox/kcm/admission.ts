/**
 * kcm's admission webhooks for ClusterDeployments (kcm `internal/webhook/clusterdeployment_webhook.go`,
 * `internal/util/validation/cd.go`, `cluster_template.go`, `services.go`, `util.go` at 8373a24), read line by
 * line: the same checks in the same order, the same error texts, the same admission warnings. Errors are
 * built as Go builds them (./admission-errors.ts), so a missing ClusterTemplate, Credential, Region or
 * ServiceTemplate is answered 404 NotFound with the cache's message alone, as controller-runtime answers
 * a wrapped API status; every other failure is 403 Forbidden with kcm's whole text.
 * The checks are plain functions of the request and kcm's cached reads; they are attached two ways:
 * as store admission hooks in the embedded sandbox and as HTTPS admission webhooks in front of a real
 * API server (./webhook-server.ts). The templates' webhooks are in ./template-admission.ts.
 */
import type { AdmissionRequest, AdmissionResult, KubeObject } from '../apiserver/types.js';
import type { KcmReader } from './api.js';
import { denial, getOrNotFound, goList, join, objectKey, plain, wrap, type KcmError } from './admission-errors.js';
import { CLUSTER_TEMPLATES, CREDENTIALS, MANAGEMENTS, PROVIDER_INTERFACES, REGIONS, isJsonObject, section } from './resources.js';
import {
  clusterTemplateK8sCompatibility,
  deploymentServices,
  servicesHaveValidTemplates,
  validateServiceDependencyOverall,
} from './services.js';

export const CLUSTER_DEPLOYMENT_WEBHOOK = 'validation.clusterdeployment.k0rdent.mirantis.com';
export const CLUSTER_DEPLOYMENT_MUTATING_WEBHOOK = 'mutation.clusterdeployment.k0rdent.mirantis.com';

/** kcm clusterdeployment_webhook.go:40. */
const INVALID = 'the ClusterDeployment is invalid';
/** kcm `api/v1beta1` InfrastructureProviderPrefix. */
const INFRA_PREFIX = 'infrastructure-';
/** kcm `api/v1beta1` ManagementName. */
const MANAGEMENT_NAME = 'kcm';
/** The CAPI provider label a ProviderInterface carries (cluster-api `ProviderNameLabel`). */
const PROVIDER_NAME_LABEL = 'cluster.x-k8s.io/provider';

/** What kcm's ValidateCreate, ValidateUpdate, ValidateDelete return: (admission.Warnings, error). */
interface Outcome {
  warnings?: string[];
  error?: KcmError;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const stringList = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []);
const keyOf = (o: KubeObject): string => objectKey(o.metadata.namespace, o.metadata.name);

/** kcm clusterdeployment_webhook.go:187-190 getClusterDeploymentTemplate (a cached Get). */
function getTemplate(store: KcmReader, namespace: string, name: string): { object: KubeObject } | { error: KcmError } {
  return getOrNotFound(store, CLUSTER_TEMPLATES, 'ClusterTemplate', namespace, name);
}

/** kcm clusterdeployment_webhook.go:216-222 isClusterTemplateValid. */
function isClusterTemplateValid(template: KubeObject): KcmError | undefined {
  const status = section(template, 'status');
  if (status['valid'] === true) return undefined;
  return plain(`the ClusterTemplate ${keyOf(template)} is invalid with the error: ${str(status['validationError'])}`);
}

interface Parent {
  object: KubeObject;
  kind: 'Management' | 'Region';
}

/** kcm `internal/util/validation/util.go:35-49` getParent: the Credential's Region, else the Management. */
function getParent(store: KcmReader, credential: KubeObject): { parent: Parent } | { error: KcmError } {
  const region = str(section(credential, 'spec')['region']);
  if (region !== '') {
    const got = getOrNotFound(store, REGIONS, 'Region', undefined, region);
    return 'error' in got
      ? { error: wrap(`failed to get ${region} Region`, got.error) }
      : { parent: { object: got.object, kind: 'Region' } };
  }
  const got = getOrNotFound(store, MANAGEMENTS, 'Management', undefined, MANAGEMENT_NAME);
  return 'error' in got ? { error: wrap('failed to get Management', got.error) } : { parent: { object: got.object, kind: 'Management' } };
}

/** kcm `cluster_template.go:52-99` validateCompatibilityAttrs: missing providers, then unsatisfied contracts. */
function validateCompatibilityAttrs(template: KubeObject, parent: KubeObject): KcmError | undefined {
  const parentStatus = section(parent, 'status');
  const exposed = stringList(parentStatus['availableProviders']);
  const templateStatus = section(template, 'status');
  const missing = stringList(templateStatus['providers']).filter((p) => !exposed.includes(p));
  const nonSatisfying: string[] = [];
  const required = isJsonObject(templateStatus['providerContracts']) ? templateStatus['providerContracts'] : {};
  const capiContracts = isJsonObject(parentStatus['capiContracts']) ? parentStatus['capiContracts'] : {};
  for (const [providerName, requiredContract] of Object.entries(required)) {
    const providerContracts = capiContracts[providerName];
    // "both the provider and cluster templates contract versions must be set for the validation" (:74-76)
    if (!isJsonObject(providerContracts)) continue;
    const exposedContracts = Object.values(providerContracts).flatMap((v) => str(v).split('_'));
    if (!exposedContracts.includes(str(requiredContract)))
      nonSatisfying.push(`provider ${providerName} does not support ${str(requiredContract)}`);
  }
  const errs: KcmError[] = [];
  if (missing.length > 0) errs.push(plain(`one or more required providers are not deployed yet: ${goList([...missing].sort())}`));
  if (nonSatisfying.length > 0)
    errs.push(plain(`one or more required provider contract versions does not satisfy deployed: ${goList([...nonSatisfying].sort())}`));
  return join(...errs);
}

/**
 * kcm `cluster_template.go:35-50` ClusterTemplateProviders. The Credential is read first, so an empty or
 * missing `spec.credential` fails here with the cache's NotFound (`Credential.k0rdent.mirantis.com "" not found`).
 */
function clusterTemplateProviders(store: KcmReader, template: KubeObject, deployment: KubeObject): KcmError | undefined {
  const namespace = deployment.metadata.namespace ?? '';
  const credentialName = str(section(deployment, 'spec')['credential']);
  const credential = getOrNotFound(store, CREDENTIALS, 'Credential', namespace, credentialName);
  if ('error' in credential) return wrap(`failed to get ${objectKey(namespace, credentialName)} Credential`, credential.error);
  const parent = getParent(store, credential.object);
  if ('error' in parent) return wrap(`failed to get parent object for ${keyOf(deployment)} ClusterDeployment`, parent.error);
  const incompatible = validateCompatibilityAttrs(template, parent.parent.object);
  return incompatible
    ? wrap(`incompatible providers in ${parent.parent.kind} ${parent.parent.object.metadata.name}`, incompatible)
    : undefined;
}

/** kcm `api/v1beta1/clusterdeployment_types.go:32` FluxHelmChartNameKey: the label Flux's helm-controller puts on what a release installs. */
const FLUX_HELM_CHART_NAME_LABEL = 'helm.toolkit.fluxcd.io/name';

/**
 * kcm v1.11.4 `internal/providerinterface/util.go:65-115` FindProviderInterfaceForInfra: the first ProviderInterface
 * labelled `cluster.x-k8s.io/provider=<infra>`; else (the fallback for interfaces installed by their provider's own
 * HelmRelease without that label) the component of the parent's `status.components` whose `exposedProviders` holds
 * the provider (`:117-124` findComponentForInfra, a Go map walk: random when several components expose it), and the first ProviderInterface whose Flux label names that
 * component's release (`helm.ReleaseName(parent.HelmReleasePrefix(), component)`, `internal/helm/release.go:137-142`:
 * the component's name under the Management, `<region>-<component>` under a Region, `api/v1beta1/region_types.go:129`).
 * kcm lists from its informer cache with `Limit(1)`: when several interfaces match, which one it takes is the cache's
 * (map) order; the sandbox takes the first by name, as an API server's list returns them.
 */
function findProviderInterfaceForInfra(store: KcmReader, parent: Parent, infra: string): KubeObject | undefined {
  const interfaces = store.list(PROVIDER_INTERFACES).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  const labelled = interfaces.find((p) => p.metadata.labels?.[PROVIDER_NAME_LABEL] === infra);
  if (labelled) return labelled;
  const components = section(parent.object, 'status')['components'];
  const component = isJsonObject(components)
    ? Object.entries(components).find(([, c]) => isJsonObject(c) && stringList(c['exposedProviders']).includes(infra))?.[0]
    : undefined;
  if (component === undefined) return undefined;
  const release = parent.kind === 'Region' ? `${parent.object.metadata.name}-${component}` : component;
  return interfaces.find((p) => p.metadata.labels?.[FLUX_HELM_CHART_NAME_LABEL] === release);
}

/**
 * kcm `cd.go:68-84` getProviderClusterIdentityKinds: the interface's `spec.clusterIdentities` kinds, preferred over
 * the deprecated `spec.clusterIdentityKinds`.
 */
function providerIdentityKinds(store: KcmReader, parent: Parent, infra: string): string[] {
  const pi = findProviderInterfaceForInfra(store, parent, infra);
  if (!pi) return [];
  const spec = section(pi, 'spec');
  const identities = Array.isArray(spec['clusterIdentities']) ? spec['clusterIdentities'].filter(isJsonObject) : [];
  if (identities.length > 0) return identities.map((ci) => str(ci['kind']));
  return stringList(spec['clusterIdentityKinds']);
}

/**
 * kcm `cd.go:86-128` isCredIdentitySupportsClusterTemplate. The regional client of a Credential with a
 * Region is, in the sandbox, the management cluster's own API (docs/sandbox.md "What still differs").
 */
function isCredIdentitySupportsClusterTemplate(store: KcmReader, credential: KubeObject, template: KubeObject): KcmError | undefined {
  const identityKind = str((section(credential, 'spec')['identityRef'] as Record<string, unknown>)['kind']);
  const credKey = keyOf(credential);
  const errMsg = (provider: string): KcmError =>
    plain(`provider ${provider} does not support ClusterIdentity Kind ${identityKind} from the Credential ${credKey}`);
  const region = str(section(credential, 'spec')['region']);
  if (region !== '') {
    // kubeutil.GetRegionalClientByRegionName (kcm `internal/util/kube/client.go:151-167`)
    const got = getOrNotFound(store, REGIONS, 'Region', undefined, region);
    if ('error' in got) return wrap(`failed to get client for ${region} region`, wrap(`failed to get ${region} region`, got.error));
  }
  const parent = getParent(store, credential);
  if ('error' in parent) return wrap(`failed to get parent cluster for ${credKey} credential`, parent.error);
  for (const providerName of stringList(section(template, 'status')['providers'])) {
    if (!providerName.startsWith(INFRA_PREFIX)) continue;
    if (providerName === `${INFRA_PREFIX}internal`) {
      if (identityKind !== 'Secret') return errMsg(providerName);
      continue;
    }
    const kinds = providerIdentityKinds(store, parent.parent, providerName);
    if (kinds.length === 0) return plain(`unsupported infrastructure provider ${providerName}`);
    if (!kinds.includes(identityKind)) return errMsg(providerName);
  }
  return undefined;
}

/** kcm `cd.go:34-66` ClusterDeployCredential. */
function clusterDeployCredential(store: KcmReader, deployment: KubeObject, template: KubeObject): KcmError | undefined {
  const providers = stringList(section(template, 'status')['providers']);
  if (providers.length === 0) return plain(`no providers have been found in the ClusterTemplate ${keyOf(template)}`);
  if (!providers.some((p) => p.startsWith(INFRA_PREFIX)))
    return plain(`no infrastructure providers have been found in the ClusterTemplate ${keyOf(template)}`);
  const namespace = deployment.metadata.namespace ?? '';
  const credKey = objectKey(namespace, str(section(deployment, 'spec')['credential']));
  const credential = getOrNotFound(store, CREDENTIALS, 'Credential', namespace, str(section(deployment, 'spec')['credential']));
  if ('error' in credential)
    return wrap(`failed to get Credential ${credKey} referred in the ClusterDeployment ${keyOf(deployment)}`, credential.error);
  if (section(credential.object, 'status')['ready'] !== true) return plain(`the Credential ${credKey} is not Ready`);
  if (!isJsonObject(section(credential.object, 'spec')['identityRef'])) return plain(`the Credential ${credKey} does not have identityRef`);
  return isCredIdentitySupportsClusterTemplate(store, credential.object, template);
}

const providersWarning = 'Failed to validate required providers';
const k8sWarning = 'Failed to validate k8s version compatibility with ServiceTemplates';

/** The providers and k8s checks with their warnings, as ValidateCreate (:68-74) and a template change (:113-119) run them. */
function providersAndK8s(store: KcmReader, template: KubeObject, deployment: KubeObject): Outcome | undefined {
  const providers = clusterTemplateProviders(store, template, deployment);
  if (providers) return { warnings: [providersWarning], error: wrap('failed to validate required providers', providers) };
  const k8s = clusterTemplateK8sCompatibility(store, deployment, template);
  if (k8s) return { warnings: [k8sWarning], error: wrap('failed to validate k8s compatibility', k8s) };
  return undefined;
}

/** kcm clusterdeployment_webhook.go:58-89 ValidateCreate. */
function validateCreate(store: KcmReader, deployment: KubeObject): Outcome {
  const spec = section(deployment, 'spec');
  const got = getTemplate(store, deployment.metadata.namespace ?? '', str(spec['template']));
  if ('error' in got) return { error: wrap(INVALID, got.error) };
  const template = got.object;
  const invalidTemplate = isClusterTemplateValid(template);
  if (invalidTemplate) return { error: wrap(INVALID, invalidTemplate) };
  const compatibility = providersAndK8s(store, template, deployment);
  if (compatibility) return compatibility;
  const credential = clusterDeployCredential(store, deployment, template);
  if (credential) return { error: wrap(INVALID, credential) };
  const services = deploymentServices(deployment);
  const templates = servicesHaveValidTemplates(store, services, deployment.metadata.namespace ?? '');
  if (templates) return { error: wrap(INVALID, templates) };
  const dependencies = validateServiceDependencyOverall(services);
  if (dependencies) return { error: wrap(INVALID, dependencies) };
  return {};
}

/** Semantic.DeepEqual of the services lists: an absent list equals an empty one. */
function sameServices(a: KubeObject, b: KubeObject): boolean {
  const raw = (o: KubeObject): unknown => {
    const serviceSpec = section(o, 'spec')['serviceSpec'];
    const services = isJsonObject(serviceSpec) ? serviceSpec['services'] : undefined;
    return Array.isArray(services) && services.length > 0 ? services : [];
  };
  return JSON.stringify(raw(a)) === JSON.stringify(raw(b));
}

/** kcm clusterdeployment_webhook.go:194-214 detectHelmChartNameChange. */
function helmChartNameChange(store: KcmReader, namespace: string, oldTemplateName: string, newTemplate: KubeObject): string[] {
  const old = store.get(CLUSTER_TEMPLATES, namespace, oldTemplateName);
  if (!old) return [];
  const oldRef = section(old, 'status')['chartRef'];
  const newRef = section(newTemplate, 'status')['chartRef'];
  if (!isJsonObject(oldRef) || !isJsonObject(newRef)) return [];
  if (oldRef['name'] === newRef['name']) return [];
  return [
    `Helm chart name changed from ${JSON.stringify(str(oldRef['name']))} to ${JSON.stringify(str(newRef['name']))}: Flux will uninstall the existing release and reinstall it as a new release, which may cause service disruption or resource recreation`,
  ];
}

/** kcm clusterdeployment_webhook.go:92-153 ValidateUpdate (ValidateClusterUpgradePath is on: kcm `cmd/main.go:140`). */
function validateUpdate(store: KcmReader, old: KubeObject, deployment: KubeObject): Outcome {
  const warnings: string[] = [];
  const namespace = deployment.metadata.namespace ?? '';
  const oldSpec = section(old, 'spec');
  const spec = section(deployment, 'spec');
  const oldTemplate = str(oldSpec['template']);
  const newTemplate = str(spec['template']);
  // The new template is fetched first, whatever changed (:98-101).
  const got = getTemplate(store, namespace, newTemplate);
  if ('error' in got) return { error: wrap(INVALID, got.error) };
  const template = got.object;
  if (oldTemplate !== newTemplate) {
    if (!stringList(section(old, 'status')['availableUpgrades']).includes(newTemplate)) {
      // The explanation is the warning; the error is errClusterUpgradeForbidden alone (:42, :104-107).
      return {
        warnings: [`Cluster can't be upgraded from ${oldTemplate} to ${newTemplate}. This upgrade sequence is not allowed`],
        error: plain('cluster upgrade is forbidden'),
      };
    }
    const invalidTemplate = isClusterTemplateValid(template);
    if (invalidTemplate) return { error: wrap(INVALID, invalidTemplate) };
    const compatibility = providersAndK8s(store, template, deployment);
    if (compatibility) return compatibility;
    if (spec['dryRun'] === true) warnings.push(...helmChartNameChange(store, old.metadata.namespace ?? '', oldTemplate, template));
  }
  if (str(oldSpec['credential']) !== str(spec['credential'])) {
    const credential = clusterDeployCredential(store, deployment, template);
    if (credential) return { error: wrap(INVALID, credential) };
  }
  if ((str(oldSpec['dataSource']) !== '') !== (str(spec['dataSource']) !== '')) {
    return { error: plain(`${INVALID}: spec.dataSource cannot be added or removed after creation`) };
  }
  if (!sameServices(old, deployment)) {
    const services = deploymentServices(deployment);
    const templates = servicesHaveValidTemplates(store, services, namespace);
    if (templates) return { error: wrap(INVALID, templates) };
    const dependencies = validateServiceDependencyOverall(services);
    if (dependencies) return { error: wrap(INVALID, dependencies) };
  }
  return warnings.length > 0 ? { warnings } : {};
}

/** kcm clusterdeployment_webhook.go:156-158 ValidateDelete → `cd.go:130-146` ClusterDeploymentDeletionAllowed. */
function validateDelete(store: KcmReader, deployment: KubeObject): Outcome {
  for (const region of store.list(REGIONS)) {
    const ref = section(region, 'spec')['clusterDeployment'];
    if (isJsonObject(ref) && ref['name'] === deployment.metadata.name && ref['namespace'] === deployment.metadata.namespace) {
      return { error: plain(`ClusterDeployment cannot be deleted: referenced by Region ${JSON.stringify(region.metadata.name)}`) };
    }
  }
  return {};
}

/**
 * kcm clusterdeployment_webhook.go:161-185 Default: no config → the template's default config and
 * dryRun; a missing template is the cache's NotFound (answered 404), an invalid one a plain denial.
 */
function defaultDeployment(store: KcmReader, deployment: KubeObject): { object?: KubeObject; error?: KcmError } {
  const spec = section(deployment, 'spec');
  const templateName = str(spec['template']);
  if ((spec['config'] !== undefined && spec['config'] !== null) || templateName === '') return {};
  const got = getTemplate(store, deployment.metadata.namespace ?? '', templateName);
  if ('error' in got) return { error: wrap(`failed to get ClusterTemplate for the ClusterDeployment ${keyOf(deployment)}`, got.error) };
  const invalid = isClusterTemplateValid(got.object);
  if (invalid) return { error: invalid };
  const config = section(got.object, 'status')['config'];
  if (config === undefined || config === null) return {};
  return { object: { ...deployment, spec: { ...spec, config, dryRun: true } } };
}

function answer(webhook: string, outcome: Outcome): AdmissionResult {
  if (outcome.error) return denial(webhook, outcome.error, outcome.warnings);
  return outcome.warnings && outcome.warnings.length > 0 ? { allowed: true, warnings: outcome.warnings } : { allowed: true };
}

/** The mutating webhook `mutation.clusterdeployment…` (CREATE, UPDATE; DELETE is always allowed: controller-runtime `defaulter_custom.go:114-122`). */
export function mutateClusterDeployment(request: AdmissionRequest, store: KcmReader): AdmissionResult {
  if (request.operation === 'DELETE' || !request.object) return { allowed: true };
  const mutation = defaultDeployment(store, request.object);
  if (mutation.error) return denial(CLUSTER_DEPLOYMENT_MUTATING_WEBHOOK, mutation.error);
  return mutation.object ? { allowed: true, object: mutation.object } : { allowed: true };
}

/** The validating webhook `validation.clusterdeployment…` (CREATE, UPDATE, DELETE). */
export function validateClusterDeployment(request: AdmissionRequest, store: KcmReader): AdmissionResult {
  if (request.operation === 'DELETE')
    return request.oldObject ? answer(CLUSTER_DEPLOYMENT_WEBHOOK, validateDelete(store, request.oldObject)) : { allowed: true };
  if (!request.object) return { allowed: true };
  if (request.operation === 'UPDATE' && request.oldObject)
    return answer(CLUSTER_DEPLOYMENT_WEBHOOK, validateUpdate(store, request.oldObject, request.object));
  return answer(CLUSTER_DEPLOYMENT_WEBHOOK, validateCreate(store, request.object));
}
