/**
 * kcm's template webhooks (kcm `internal/webhook/template_webhook.go` at 8373a24):
 * - the defaulter of ClusterTemplates, ServiceTemplates and ProviderTemplates (`:96-99`, `:174-177`,
 *   `:233-236` → `setHelmChartDefaults` `:296-307`): a `helm.chartSpec` without a source gets kcm's
 *   HelmRepository `kcm-templates` (kcm `api/v1beta1/templates_common.go:32-38` DefaultSourceRef: kind and
 *   name, no namespace — a LocalHelmChartSourceReference has none), and a zero interval gets 10m
 *   (`internal/helm/release.go:34` DefaultReconcileInterval; metav1.Duration marshals it as "10m0s"). It
 *   runs as a mutating webhook, before the API server's schema validation, so a chartSpec with only
 *   chart and version passes the CRD's `required: [chart, interval, sourceRef]`.
 * - the ClusterTemplate DELETE check (`:74-93`): refused while a ClusterDeployment in the namespace uses
 *   the template or a ClusterTemplateChain that still exists owns it, with kcm's warning explaining why.
 * - the ServiceTemplate and ProviderTemplate DELETE checks (kcm v1.11.4 `template_webhook.go:131-171`,
 *   `:208-230`): a ServiceTemplate named by a ClusterDeployment's service, owned by a ServiceTemplateChain that
 *   exists, or (in the system namespace) named by a MultiClusterService not being deleted; a ProviderTemplate
 *   owned by a Release that exists (kcm's ProviderTemplate controller sets those owners: ./provider-templates.ts)
 *   or named by the Management's spec.
 * - the decoding controller-runtime does before a defaulter runs (v0.24.1
 *   `pkg/webhook/admission/defaulter_custom.go:129-131`): a `helm.chartSpec.interval` that Go's
 *   time.ParseDuration rejects (metav1.Duration's UnmarshalJSON) is answered 400 with Go's error text, before
 *   the API server's schema validation (whose pattern would say 422) and also where the pattern allows it (an
 *   overflowing `9999999999h`).
 */
import type { AdmissionRequest, AdmissionResult, KubeObject } from '../apiserver/types.js';
import type { KcmReader } from './api.js';
import { denial, plain } from './admission-errors.js';
import {
  CLUSTER_DEPLOYMENTS,
  CLUSTER_TEMPLATE_CHAINS,
  MANAGEMENTS,
  MULTI_CLUSTER_SERVICES,
  SERVICE_TEMPLATE_CHAINS,
  SYSTEM_NAMESPACE,
  isJsonObject,
  section,
} from './resources.js';
import { goParseDuration } from './go-duration.js';
import { RELEASES } from './provider-templates.js';

export const CLUSTER_TEMPLATE_WEBHOOK = 'validation.clustertemplate.k0rdent.mirantis.com';
export const CLUSTER_TEMPLATE_MUTATING_WEBHOOK = 'mutation.clustertemplate.k0rdent.mirantis.com';
export const SERVICE_TEMPLATE_MUTATING_WEBHOOK = 'mutation.servicetemplate.k0rdent.mirantis.com';
export const PROVIDER_TEMPLATE_MUTATING_WEBHOOK = 'mutation.providertemplate.k0rdent.mirantis.com';
export const SERVICE_TEMPLATE_WEBHOOK = 'validation.servicetemplate.k0rdent.mirantis.com';
export const PROVIDER_TEMPLATE_WEBHOOK = 'validation.providertemplate.k0rdent.mirantis.com';

/** kcm `api/v1beta1/templates_common.go:32-38`. */
export const DEFAULT_SOURCE_REF = { kind: 'HelmRepository', name: 'kcm-templates' } as const;
/** kcm `internal/helm/release.go:34` (10 * time.Minute), as metav1.Duration writes it. */
export const DEFAULT_INTERVAL = '10m0s';

/** Go's `Duration == 0` after time.ParseDuration (false when Go would not parse it: the decoder refused it first). */
function goDurationIsZero(text: string): boolean {
  const parsed = goParseDuration(text);
  return 'nanoseconds' in parsed && parsed.nanoseconds === 0n;
}

/** setHelmChartDefaults (template_webhook.go:296-307): the object with the defaults filled, or undefined when nothing changes. */
export function withHelmChartDefaults(template: KubeObject): KubeObject | undefined {
  const spec = section(template, 'spec');
  const helm = spec['helm'];
  if (!isJsonObject(helm) || !isJsonObject(helm['chartSpec'])) return undefined;
  const chartSpec = { ...helm['chartSpec'] };
  let changed = false;
  const sourceRef = isJsonObject(chartSpec['sourceRef']) ? chartSpec['sourceRef'] : {};
  const text = (v: unknown): string => (typeof v === 'string' ? v : '');
  if (text(sourceRef['name']) === '' && text(sourceRef['kind']) === '') {
    chartSpec['sourceRef'] = { ...DEFAULT_SOURCE_REF };
    changed = true;
  }
  const interval = chartSpec['interval'];
  if (interval === undefined || interval === null || (typeof interval === 'string' && goDurationIsZero(interval))) {
    chartSpec['interval'] = DEFAULT_INTERVAL;
    changed = true;
  }
  if (!changed) return undefined;
  return { ...template, spec: { ...spec, helm: { ...helm, chartSpec } } };
}

/** The mutating webhook's name for the kind the request is about. */
function mutatingWebhookOf(request: AdmissionRequest): string {
  const plural = request.resource.plural;
  if (plural === 'servicetemplates') return SERVICE_TEMPLATE_MUTATING_WEBHOOK;
  if (plural === 'providertemplates') return PROVIDER_TEMPLATE_MUTATING_WEBHOOK;
  return CLUSTER_TEMPLATE_MUTATING_WEBHOOK;
}

/**
 * What the decoder answers before the defaulter runs: `Errored(http.StatusBadRequest, err)` (controller-runtime
 * v0.24.1 defaulter_custom.go:129-131, response.go Errored: a Status with code 400 and no reason), which
 * kube-apiserver prefixes with the webhook's name (statuserror.go ToStatusErr). Only the one duration field of
 * a template's chartSpec is decoded here; a body Go cannot decode elsewhere (a number where Go wants a string)
 * is left to the schema.
 */
function decodeError(request: AdmissionRequest): AdmissionResult | undefined {
  const helm = section(request.object ?? { apiVersion: '', kind: '', metadata: { name: '' } }, 'spec')['helm'];
  const chartSpec = isJsonObject(helm) && isJsonObject(helm['chartSpec']) ? helm['chartSpec'] : undefined;
  const interval = chartSpec?.['interval'];
  if (typeof interval !== 'string') return undefined;
  const parsed = goParseDuration(interval);
  if (!('error' in parsed)) return undefined;
  return {
    allowed: false,
    code: 400,
    reason: '',
    message: `admission webhook "${mutatingWebhookOf(request)}" denied the request: ${parsed.error}`,
  };
}

/** The templates' mutating webhooks (CREATE, UPDATE): the defaulted object, or nothing to change. */
export function defaultTemplate(request: AdmissionRequest): AdmissionResult {
  if (request.operation === 'DELETE' || !request.object) return { allowed: true };
  const undecodable = decodeError(request);
  if (undecodable) return undecodable;
  const defaulted = withHelmChartDefaults(request.object);
  return defaulted ? { allowed: true, object: defaulted } : { allowed: true };
}

/** The ClusterTemplate validating webhook (DELETE only, as kcm registers it: `templates/provider/kcm/templates/webhooks.yaml:253-262`). */
export function validateClusterTemplate(request: AdmissionRequest, store: KcmReader): AdmissionResult {
  const template = request.oldObject;
  if (request.operation !== 'DELETE' || !template) return { allowed: true };
  const namespace = template.metadata.namespace;
  const forbidden = plain('template deletion is forbidden');
  // templateIsInUseByCluster (:238-261): a ClusterDeployment in the namespace whose spec.template is this one.
  const inUse = store.list(CLUSTER_DEPLOYMENTS, { namespace }).some((cd) => section(cd, 'spec')['template'] === template.metadata.name);
  if (inUse)
    return denial(CLUSTER_TEMPLATE_WEBHOOK, forbidden, [
      "The ClusterTemplate object can't be removed if ClusterDeployment objects referencing it still exist",
    ]);
  // getOwnersWithKind (:263-279): owners of that kind that still exist.
  const owners = (template.metadata.ownerReferences ?? [])
    .filter((o) => o.kind === 'ClusterTemplateChain' && store.get(CLUSTER_TEMPLATE_CHAINS, namespace, o.name) !== undefined)
    .map((o) => o.name);
  if (owners.length > 0) {
    return denial(CLUSTER_TEMPLATE_WEBHOOK, forbidden, [
      `The ClusterTemplate object can't be removed if it is managed by ClusterTemplateChain: ${owners.join(', ')}`,
    ]);
  }
  return { allowed: true };
}

/** The owners of `kind` among the object's ownerReferences that still exist (getOwnersWithKind, template_webhook.go:263-279). */
function existingOwners(store: KcmReader, object: KubeObject, kind: string, resource: typeof RELEASES, namespaced: boolean): string[] {
  return (object.metadata.ownerReferences ?? [])
    .filter((o) => o.kind === kind && store.get(resource, namespaced ? object.metadata.namespace : undefined, o.name) !== undefined)
    .map((o) => o.name);
}

/** spec.serviceSpec.services[].template names it (the ClusterDeployment and MultiClusterService indexers). */
function namesServiceTemplate(object: KubeObject, name: string): boolean {
  const serviceSpec = section(object, 'spec')['serviceSpec'];
  const services = isJsonObject(serviceSpec) ? serviceSpec['services'] : undefined;
  return Array.isArray(services) && services.some((s) => isJsonObject(s) && s['template'] === name);
}

/** kcm v1.11.4 ServiceTemplateValidator.ValidateDelete (template_webhook.go:131-171); registered for DELETE only (webhooks.yaml). */
export function validateServiceTemplate(request: AdmissionRequest, store: KcmReader): AdmissionResult {
  const template = request.oldObject;
  if (request.operation !== 'DELETE' || !template) return { allowed: true };
  const namespace = template.metadata.namespace;
  const name = template.metadata.name;
  const forbidden = plain('template deletion is forbidden');
  // templateIsInUseByCluster with ClusterDeploymentServiceTemplatesIndexKey (api/v1beta1/indexers.go:179-200).
  const inUse = store.list(CLUSTER_DEPLOYMENTS, { namespace }).some((cd) => namesServiceTemplate(cd, name));
  if (inUse)
    return denial(SERVICE_TEMPLATE_WEBHOOK, forbidden, [
      "The ServiceTemplate object can't be removed if ClusterDeployment objects referencing it still exist",
    ]);
  const owners = existingOwners(store, template, 'ServiceTemplateChain', SERVICE_TEMPLATE_CHAINS, true);
  if (owners.length > 0)
    return denial(SERVICE_TEMPLATE_WEBHOOK, forbidden, [
      `The ServiceTemplate object can't be removed if it is managed by ServiceTemplateChain: ${owners.join(', ')}`,
    ]);
  if (namespace === SYSTEM_NAMESPACE) {
    // List with MultiClusterServiceTemplatesIndexKey and Limit(1): at most one MultiClusterService is looked at.
    const first = store
      .list(MULTI_CLUSTER_SERVICES)
      .filter((m) => namesServiceTemplate(m, name))
      .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))
      .slice(0, 1)
      .filter((m) => !m.metadata.deletionTimestamp)
      .map((m) => m.metadata.name);
    if (first.length > 0)
      return denial(SERVICE_TEMPLATE_WEBHOOK, forbidden, [
        `The ${name} ServiceTemplate object can't be removed if MultiClusterService objects [${first.join(',')}] referencing it still exist`,
      ]);
  }
  return { allowed: true };
}

/** The templates a Management's spec names (api/v1beta1/management_types.go:139-155 Templates). */
function managementTemplates(management: KubeObject): string[] {
  const spec = section(management, 'spec');
  const core = isJsonObject(spec['core']) ? spec['core'] : undefined;
  const templateOf = (v: unknown): string => (isJsonObject(v) && typeof v['template'] === 'string' ? v['template'] : '');
  const names = core ? [templateOf(core['capi']), templateOf(core['kcm'])] : [];
  if (Array.isArray(spec['providers'])) names.push(...spec['providers'].map(templateOf));
  return names.filter((n) => n !== '');
}

/** kcm v1.11.4 ProviderTemplateValidator.ValidateDelete (template_webhook.go:208-230); registered for DELETE only. */
export function validateProviderTemplate(request: AdmissionRequest, store: KcmReader): AdmissionResult {
  const template = request.oldObject;
  if (request.operation !== 'DELETE' || !template) return { allowed: true };
  const name = template.metadata.name;
  const forbidden = plain('template deletion is forbidden');
  const owners = existingOwners(store, template, 'Release', RELEASES, false);
  if (owners.length > 0)
    return denial(PROVIDER_TEMPLATE_WEBHOOK, forbidden, [
      `The ProviderTemplate ${name} cannot be removed while it is part of existing Releases: ${owners.join(', ')}`,
    ]);
  // getManagement (release_webhook.go:83-95): none → allowed; more than one is an error kcm answers 403 with.
  const managements = store.list(MANAGEMENTS);
  if (managements.length === 0) return { allowed: true };
  if (managements.length > 1) return denial(PROVIDER_TEMPLATE_WEBHOOK, plain(`expected 1 Management object, got ${managements.length}`));
  const management = managements[0]!;
  if (!management.metadata.deletionTimestamp && managementTemplates(management).includes(name))
    return denial(PROVIDER_TEMPLATE_WEBHOOK, forbidden, [
      `The ProviderTemplate ${name} cannot be removed while it is used in the Management spec`,
    ]);
  return { allowed: true };
}
