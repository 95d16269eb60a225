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
 */
import type { AdmissionRequest, AdmissionResult, KubeObject } from '../apiserver/types.js';
import type { KcmReader } from './api.js';
import { denial, plain } from './admission-errors.js';
import { CLUSTER_DEPLOYMENTS, CLUSTER_TEMPLATE_CHAINS, isJsonObject, section } from './resources.js';

export const CLUSTER_TEMPLATE_WEBHOOK = 'validation.clustertemplate.k0rdent.mirantis.com';
export const CLUSTER_TEMPLATE_MUTATING_WEBHOOK = 'mutation.clustertemplate.k0rdent.mirantis.com';
export const SERVICE_TEMPLATE_MUTATING_WEBHOOK = 'mutation.servicetemplate.k0rdent.mirantis.com';
export const PROVIDER_TEMPLATE_MUTATING_WEBHOOK = 'mutation.providertemplate.k0rdent.mirantis.com';

/** kcm `api/v1beta1/templates_common.go:32-38`. */
export const DEFAULT_SOURCE_REF = { kind: 'HelmRepository', name: 'kcm-templates' } as const;
/** kcm `internal/helm/release.go:34` (10 * time.Minute), as metav1.Duration writes it. */
export const DEFAULT_INTERVAL = '10m0s';

const UNIT_NS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, μs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Go's time.ParseDuration, as far as telling zero from not: undefined when Go would not parse it. */
function goDurationIsZero(text: string): boolean | undefined {
  if (text === '0' || text === '+0' || text === '-0') return true;
  const body = text.replace(/^[+-]/, '');
  const part = /([0-9]*(?:\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)/y;
  let total = 0;
  let at = 0;
  while (at < body.length) {
    part.lastIndex = at;
    const m = part.exec(body);
    if (!m || m[1] === '' || m[1] === '.') return undefined;
    total += Number(m[1]) * UNIT_NS[m[2]!]!;
    at = part.lastIndex;
  }
  return body.length === 0 ? undefined : total === 0;
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
  if (interval === undefined || interval === null || (typeof interval === 'string' && goDurationIsZero(interval) === true)) {
    chartSpec['interval'] = DEFAULT_INTERVAL;
    changed = true;
  }
  if (!changed) return undefined;
  return { ...template, spec: { ...spec, helm: { ...helm, chartSpec } } };
}

/** The templates' mutating webhooks (CREATE, UPDATE): the defaulted object, or nothing to change. */
export function defaultTemplate(request: AdmissionRequest): AdmissionResult {
  if (request.operation === 'DELETE' || !request.object) return { allowed: true };
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
