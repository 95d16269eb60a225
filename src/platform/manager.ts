/**
 * k0.platform.status and k0.regions.list: the management cluster itself, as kcm reports it — the Management
 * `kcm` (its Release, each component's success or error, available providers, CAPI contracts, conditions;
 * kcm api/v1beta1/management_types.go ComponentStatus :179-188), the Releases (which one is current, which
 * are ready to upgrade to; release_types.go), the ProviderTemplates' `valid`/`validationError`, and the
 * Regions (region_types.go; paused by the `k0rdent.mirantis.com/region-pause` annotation, :29, which stops
 * the ClusterDeployment controller for every deployment of that region, clusterdeployment_controller.go:320-333).
 * One compact answer with the first unhealthy item named, like diagnose does for a deployment.
 */
import semver from 'semver';
import { AppError } from '../errors.js';
import { MANAGEMENT, MANAGEMENT_NAME, PROVIDER_TEMPLATE, RELEASE, REGION, REGION_PAUSE_ANNOTATION } from '../k0rdent/resources.js';
import type { CallOptions, KubeObject } from '../kube/k0rdent-api.js';
import type { ReadContext } from '../shared/read-context.js';
import { TOOL, toolRef } from '../tool-names.js';

type Raw = Record<string, unknown>;
const rec = (v: unknown): Raw => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Raw) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : []);
/** Condition and error texts are cut: a model reads them. */
const MAX_TEXT = 400;
const cut = (text: string | undefined): string | undefined =>
  text === undefined ? undefined : text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text;

export interface ConditionLine {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

export interface ComponentHealth {
  name: string;
  template?: string;
  healthy: boolean;
  error?: string;
  exposedProviders?: string[];
}

export interface UnhealthyItem {
  kind: string;
  name: string;
  reason: string;
  message: string;
  next: string;
}

export interface PlatformStatus {
  healthy: boolean;
  firstUnhealthy?: UnhealthyItem;
  management?: {
    release?: string;
    ready: boolean;
    conditions: ConditionLine[];
    components: ComponentHealth[];
    availableProviders: string[];
    capiContracts?: Record<string, Record<string, string>>;
  };
  releases: { name: string; version?: string; ready: boolean; current: boolean; upgradeTarget: boolean }[];
  providerTemplates: { total: number; valid: number; invalid: { name: string; validationError?: string }[] };
  regions: { total: number; notReady: string[]; paused: string[] };
}

export interface RegionSummary {
  name: string;
  ready: boolean;
  paused: boolean;
  /** Where the regional cluster comes from: a kubeconfig Secret, or a ClusterDeployment onboarded as a region. */
  source?: string;
  availableProviders: string[];
  components: ComponentHealth[];
  conditions: ConditionLine[];
  createdAt?: string;
}

function conditionsOf(object: KubeObject | undefined, onlyNotTrue: boolean): ConditionLine[] {
  const list = Array.isArray(object?.status?.conditions) ? (object.status.conditions as unknown[]) : [];
  return list
    .map(rec)
    .filter((c) => typeof c.type === 'string' && (!onlyNotTrue || c.status !== 'True'))
    .map((c) => ({
      type: String(c.type),
      status: String(c.status ?? 'Unknown'),
      ...(str(c.reason) ? { reason: str(c.reason) } : {}),
      ...(str(c.message) ? { message: cut(str(c.message)) } : {}),
    }));
}

function readyOf(object: KubeObject | undefined): boolean {
  return conditionsOf(object, false).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** Components from status.components (kcm writes one entry per installed component), healthy first by name. */
function componentsOf(object: KubeObject | undefined): ComponentHealth[] {
  const components = rec(object?.status?.components);
  return Object.entries(components)
    .map(([name, value]) => {
      const c = rec(value);
      const exposed = strings(c.exposedProviders);
      return {
        name,
        ...(str(c.template) ? { template: str(c.template) } : {}),
        healthy: c.success === true,
        ...(str(c.error) ? { error: cut(str(c.error)) } : {}),
        ...(exposed.length > 0 ? { exposedProviders: exposed } : {}),
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

function contractsOf(object: KubeObject | undefined): Record<string, Record<string, string>> | undefined {
  const contracts = rec(object?.status?.capiContracts);
  const out: Record<string, Record<string, string>> = {};
  for (const [provider, versions] of Object.entries(contracts)) {
    const entry: Record<string, string> = {};
    for (const [core, value] of Object.entries(rec(versions))) if (typeof value === 'string') entry[core] = value;
    out[provider] = entry;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** A cluster-scoped read the caller may be refused: RBAC answers 403, which says which rule is missing. */
async function clusterScoped<T>(what: string, read: Promise<T>): Promise<T> {
  try {
    return await read;
  } catch (error) {
    if (error instanceof AppError && error.code === 'forbidden')
      throw new AppError(
        'forbidden',
        `${what} are cluster-scoped and this caller may not read them (${error.message}); the platform status needs get/list on them: ask an operator for the k0rdent-mcp ClusterRole`,
      );
    throw error;
  }
}

function versionOf(release: KubeObject): string | undefined {
  return str(release.spec?.version);
}

export async function platformStatus(ctx: ReadContext, call: CallOptions): Promise<PlatformStatus> {
  const [management, releases, templates, regions] = await Promise.all([
    clusterScoped('Managements', ctx.api.getClusterScoped(MANAGEMENT, MANAGEMENT_NAME, call)),
    clusterScoped(
      'Releases',
      ctx.api.list(RELEASE, {}, call).then((l) => l.items),
    ),
    clusterScoped(
      'ProviderTemplates',
      ctx.api.list(PROVIDER_TEMPLATE, {}, call).then((l) => l.items),
    ),
    regionObjects(ctx, call),
  ]);

  const currentRelease = str(management?.spec?.release);
  const current = releases.find((r) => r.metadata?.name === currentRelease);
  const currentVersion = current ? versionOf(current) : undefined;
  const releaseLines = releases
    .map((r) => {
      const name = r.metadata?.name ?? '';
      const version = versionOf(r);
      const ready = r.status?.ready === true;
      const newer =
        version !== undefined &&
        currentVersion !== undefined &&
        semver.valid(semver.coerce(version)) &&
        semver.valid(semver.coerce(currentVersion))
          ? semver.gt(semver.coerce(version)!, semver.coerce(currentVersion)!)
          : false;
      return { name, ...(version ? { version } : {}), ready, current: name === currentRelease, upgradeTarget: ready && newer };
    })
    .sort((a, b) => a.name.localeCompare(b.name));

  const invalid = templates
    .filter((t) => t.status?.valid !== true)
    .map((t) => ({
      name: t.metadata?.name ?? '',
      ...(str(t.status?.validationError) ? { validationError: cut(str(t.status?.validationError)) } : {}),
    }))
    .sort((a, b) => a.name.localeCompare(b.name));

  const components = componentsOf(management);
  const regionSummaries = regions.map(summarizeRegion);
  const status: PlatformStatus = {
    healthy: true,
    releases: releaseLines,
    providerTemplates: { total: templates.length, valid: templates.length - invalid.length, invalid },
    regions: {
      total: regionSummaries.length,
      notReady: regionSummaries.filter((r) => !r.ready).map((r) => r.name),
      paused: regionSummaries.filter((r) => r.paused).map((r) => r.name),
    },
  };
  if (management) {
    const contracts = contractsOf(management);
    status.management = {
      ...(currentRelease ? { release: currentRelease } : {}),
      ready: readyOf(management),
      conditions: conditionsOf(management, true),
      components,
      availableProviders: strings(management.status?.availableProviders),
      ...(contracts ? { capiContracts: contracts } : {}),
    };
  }
  const first = firstUnhealthy(management, currentRelease, current, components, invalid, regionSummaries);
  if (first) {
    status.healthy = false;
    status.firstUnhealthy = first;
  }
  return status;
}

/** The order an operator fixes things in: the Management exists, its Release, its components, the templates, then regions. */
function firstUnhealthy(
  management: KubeObject | undefined,
  releaseName: string | undefined,
  release: KubeObject | undefined,
  components: ComponentHealth[],
  invalid: PlatformStatus['providerTemplates']['invalid'],
  regions: RegionSummary[],
): UnhealthyItem | undefined {
  if (!management)
    return {
      kind: 'Management',
      name: MANAGEMENT_NAME,
      reason: 'NotFound',
      message: `there is no Management "${MANAGEMENT_NAME}": kcm is not installed, or still starting`,
      next: `install kcm (its Helm chart creates the Management), then call ${toolRef(TOOL.platformStatus)} again`,
    };
  if (releaseName !== undefined && !release)
    return {
      kind: 'Release',
      name: releaseName,
      reason: 'NotFound',
      message: `the Management names Release ${releaseName}, which does not exist`,
      next: `create the Release ${releaseName} (kcm's kcm-templates chart installs it) or set the Management's spec.release to an existing one`,
    };
  if (release && release.status?.ready !== true) {
    const notReady = conditionsOf(release, true)[0];
    return {
      kind: 'Release',
      name: releaseName ?? '',
      reason: notReady?.reason ?? 'NotReady',
      message: notReady?.message ?? `Release ${releaseName} is not ready: some of its templates are not valid yet`,
      next: `see providerTemplates.invalid in ${toolRef(TOOL.platformStatus)}; kcm validates each template from its chart`,
    };
  }
  const failed = components.find((c) => !c.healthy);
  if (failed)
    return {
      kind: 'Management component',
      name: failed.name,
      reason: failed.error !== undefined ? 'InstallationFailed' : 'NotReady',
      message: failed.error ?? `component ${failed.name} is not installed yet`,
      next: `its HelmRelease ${failed.name} in the system namespace and the logs of helm-controller and kcm's controller-manager tell why (${toolRef(TOOL.logsGet)})`,
    };
  const notReady = conditionsOf(management, true).find((c) => c.type === 'Ready');
  if (notReady)
    return {
      kind: 'Management',
      name: MANAGEMENT_NAME,
      reason: notReady.reason ?? 'NotReady',
      message: notReady.message ?? 'the Management is not ready',
      next: `kcm's controller-manager log (${toolRef(TOOL.logsGet)}) tells why`,
    };
  const template = invalid[0];
  if (template)
    return {
      kind: 'ProviderTemplate',
      name: template.name,
      reason: 'Invalid',
      message: template.validationError ?? `ProviderTemplate ${template.name} is not valid`,
      next: 'kcm validates a template from its chart: check the HelmChart of the same name in the system namespace',
    };
  // A paused region is an operator's choice, not a fault: it is listed in regions.paused, not named here.
  const region = regions.find((r) => !r.ready);
  if (region)
    return {
      kind: 'Region',
      name: region.name,
      reason: region.conditions.find((c) => c.type === 'Ready')?.reason ?? 'NotReady',
      message: region.conditions.find((c) => c.type === 'Ready')?.message ?? `Region ${region.name} is not ready`,
      next: `${toolRef(TOOL.regionsList)} shows its components and conditions`,
    };
  return undefined;
}

export function summarizeRegion(region: KubeObject): RegionSummary {
  const kubeConfig = rec(region.spec?.kubeConfig);
  const cd = rec(region.spec?.clusterDeployment);
  const source = str(kubeConfig.name)
    ? `kubeconfig Secret ${String(kubeConfig.name)}`
    : str(cd.name)
      ? `ClusterDeployment ${String(cd.namespace ?? '')}/${String(cd.name)}`
      : undefined;
  const annotations = region.metadata?.annotations ?? {};
  return {
    name: region.metadata?.name ?? '',
    ready: readyOf(region),
    paused: Object.prototype.hasOwnProperty.call(annotations, REGION_PAUSE_ANNOTATION),
    ...(source ? { source } : {}),
    availableProviders: strings(region.status?.availableProviders),
    components: componentsOf(region),
    conditions: conditionsOf(region, true),
    ...(region.metadata?.creationTimestamp ? { createdAt: region.metadata.creationTimestamp } : {}),
  };
}

/** The Regions, refused as cluster-scoped reads are; a kcm before regional support has no CRD: no region. */
async function regionObjects(ctx: ReadContext, call: CallOptions): Promise<KubeObject[]> {
  try {
    return await clusterScoped(
      'Regions',
      ctx.api.list(REGION, {}, call).then((l) => l.items),
    );
  } catch (error) {
    if (error instanceof AppError && error.code === 'notFound') return [];
    throw error;
  }
}

export async function listRegions(ctx: ReadContext, call: CallOptions): Promise<{ items: RegionSummary[] }> {
  return { items: (await regionObjects(ctx, call)).map(summarizeRegion).sort((a, b) => a.name.localeCompare(b.name)) };
}
