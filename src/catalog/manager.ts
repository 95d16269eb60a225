/**
 * The catalog manager: the k0rdent catalog (./source.ts, offline first) merged with the ServiceTemplates in the
 * cluster, and the install of an app as the catalog's own `kgst` chart renders it, without Helm (catalog
 * apps/k0rdent-utils/charts/kgst 2.0.2, templates/helm-repository.yaml and service-template.yaml): one Flux
 * HelmRepository (kgst's `k0rdent-catalog` / `k0rdent-enterprise-catalog`, OCI) and one ServiceTemplate per chart,
 * `<chart>-<version dots→dashes>` with `spec.helm.chartSpec{chart, version, interval 10m0s, sourceRef}`. Written by
 * server-side apply under the catalog field owner without force (another writer's differing field is a conflict,
 * never taken over), after a server-side dry run of every object; an object a kgst Helm release made
 * (`meta.helm.sh/release-name`) is reported and left alone. kcm's template controller then validates each
 * ServiceTemplate from the chart source-controller serves (kcm internal/controller/template_controller.go:268-313:
 * `status.valid`, or `validationError`), which the wait follows. Knows Kubernetes and k0rdent, nothing of MCP.
 */
import { isDeepStrictEqual } from 'node:util';
import type { ManagerHooks } from '../clusters/manager.js';
import { waitFor } from '../clusters/wait.js';
import type { WaitOptions } from '../clusters/types.js';
import { AppError } from '../errors.js';
import {
  CLUSTER_DEPLOYMENT,
  DEPLOYMENT_MANAGED_LABELS,
  K0RDENT_API_VERSION,
  LABEL_MANAGED_BY,
  MANAGED_BY_VALUE,
  MULTI_CLUSTER_SERVICE,
  SERVICE_TEMPLATE,
  type K0rdentResource,
} from '../k0rdent/resources.js';
import type { CallOptions, KubeObject } from '../kube/k0rdent-api.js';
import { listAcross } from '../shared/listing.js';
import type { ReadContext } from '../shared/read-context.js';
import { TOOL, toolRef } from '../tool-names.js';
import type { CatalogAddon } from './index-data.js';
import {
  chartVersions,
  findAddon,
  installableVersions,
  listAddons,
  newerThan,
  serviceTemplateName,
  tagsOf,
  type ListFilter,
} from './query.js';
import type {
  CatalogGetResult,
  CatalogInstallResult,
  CatalogListResult,
  CatalogOrigin,
  CatalogUninstallResult,
  InstalledObject,
  InstalledTemplate,
} from './results.js';
import type { CatalogSource, IndexView } from './source.js';

/** Flux's HelmRepository (source.toolkit.fluxcd.io/v1, the version kcm v1.11.4's Flux serves). */
export const HELM_REPOSITORY: K0rdentResource = {
  kind: 'HelmRepository',
  plural: 'helmrepositories',
  group: 'source.toolkit.fluxcd.io',
  version: 'v1',
};
/** Set by Helm on what a release made: such an object belongs to that release (kgst), not to this server. */
export const HELM_RELEASE_ANNOTATION = 'meta.helm.sh/release-name';
/** kgst's reserved repository names and the URLs they stand for (kgst templates/helm-repository.yaml:1-11). */
const KGST_REPOSITORIES: Record<string, string> = {
  'oci://ghcr.io/k0rdent/catalog/charts': 'k0rdent-catalog',
  'oci://registry.mirantis.com/k0rdent-enterprise-catalog': 'k0rdent-enterprise-catalog',
};
/** kgst service-template.yaml: `interval: 10m0s`. */
const CHART_INTERVAL = '10m0s';
const MAX_LISTED_TEMPLATES = 2000;

export interface CatalogManagerOptions {
  source: CatalogSource;
  /** SSA field manager of what install writes. */
  fieldOwner: string;
}

export interface InstallRequest {
  app: string;
  version?: string | undefined;
  namespace?: string | undefined;
  dryRun?: boolean | undefined;
  wait?: WaitOptions | undefined;
}

export interface UninstallRequest {
  app: string;
  version?: string | undefined;
  namespace?: string | undefined;
  dryRun?: boolean | undefined;
}

function origin(view: IndexView): CatalogOrigin {
  return {
    source: view.source,
    date: view.date,
    stale: view.stale,
    ...(view.commit ? { commit: view.commit } : {}),
    ...(view.warning ? { warning: view.warning } : {}),
  };
}

const helmReleaseOf = (object: KubeObject | undefined): string | undefined => {
  const value = object?.metadata?.annotations?.[HELM_RELEASE_ANNOTATION];
  return typeof value === 'string' && value !== '' ? value : undefined;
};

function chartSpecOf(template: KubeObject): { chart?: string; version?: string } {
  const helm = template.spec?.helm as { chartSpec?: { chart?: unknown; version?: unknown } } | undefined;
  const spec = helm?.chartSpec;
  return {
    ...(typeof spec?.chart === 'string' ? { chart: spec.chart } : {}),
    ...(typeof spec?.version === 'string' ? { version: spec.version } : {}),
  };
}

function validityOf(template: KubeObject | undefined): { valid: boolean; validationError?: string } {
  const status = template?.status ?? {};
  const error =
    typeof status.validationError === 'string' && status.validationError !== '' ? status.validationError.slice(0, 400) : undefined;
  return { valid: status.valid === true, ...(error ? { validationError: error } : {}) };
}

/** Same spec (generation) and labels: what this server writes. Not the resourceVersion, which controllers move. */
function sameContent(before: KubeObject, after: KubeObject | undefined): boolean {
  return (
    after !== undefined &&
    before.metadata?.generation === after.metadata?.generation &&
    isDeepStrictEqual(before.metadata?.labels ?? {}, after.metadata?.labels ?? {})
  );
}

export class CatalogManager {
  constructor(
    private readonly ctx: ReadContext,
    private readonly options: CatalogManagerOptions,
  ) {}

  async list(filter: ListFilter, hooks: ManagerHooks = {}): Promise<CatalogListResult> {
    const view = await this.options.source.current(hooks.signal);
    const result = listAddons(view.index, filter);
    if (result.total === 0 && filter.tag !== undefined && !tagsOf(view.index).some((t) => t.toLowerCase() === filter.tag?.toLowerCase()))
      throw new AppError(
        'invalidParams',
        `no app has the tag "${filter.tag.slice(0, 60)}"; the tags are: ${tagsOf(view.index).join(', ')}`,
        {
          tags: tagsOf(view.index),
        },
      );
    return { catalog: origin(view), ...result };
  }

  async get(app: string, hooks: ManagerHooks = {}): Promise<CatalogGetResult> {
    const call = { signal: hooks.signal };
    const view = await this.options.source.current(hooks.signal);
    const addon = findAddon(view.index, app);
    return {
      catalog: origin(view),
      name: addon.name,
      ...(addon.title ? { title: addon.title } : {}),
      description: addon.description,
      supportType: addon.supportType,
      deprecated: addon.deprecated,
      tags: addon.metadata?.tags ?? [],
      docsUrl: addon.docsUrl,
      versions: installableVersions(addon),
      charts: addon.charts.map((c) => ({
        name: c.name,
        versions: c.versions,
        repository: this.options.source.mirrorOf(c.repository),
        ...(c.nestingKey ? { nestingKey: c.nestingKey } : {}),
        ...(c.dependsOn?.length ? { dependsOn: c.dependsOn } : {}),
      })),
      installed: await this.installed(addon, call),
    };
  }

  /** The ServiceTemplates of the app's charts in the readable namespaces (by chartSpec, else by kgst's name). */
  private async installed(addon: CatalogAddon, call: CallOptions): Promise<InstalledTemplate[]> {
    const include = (ns: string): boolean => this.ctx.policy.isReadable(ns);
    const scope = {
      include,
      namespaces: async () => (await this.ctx.readableNamespaces(call)).filter(include),
      queryKey: `catalog|${SERVICE_TEMPLATE.plural}`,
    };
    const templates: KubeObject[] = [];
    let next: string | undefined;
    do {
      const page = await listAcross(this.ctx.api, SERVICE_TEMPLATE, scope, { limit: 500, continue: next }, call);
      templates.push(...page.items);
      next = page.continue;
    } while (next !== undefined && templates.length < MAX_LISTED_TEMPLATES);
    const out: InstalledTemplate[] = [];
    for (const template of templates) {
      const name = template.metadata?.name ?? '';
      const spec = chartSpecOf(template);
      const chart = addon.charts.find(
        (c) =>
          c.name === spec.chart || (spec.chart === undefined && name.startsWith(`${c.name}-`) && /^\d/.test(name.slice(c.name.length + 1))),
      );
      if (!chart) continue;
      const version = spec.version ?? (typeof template.status?.chartVersion === 'string' ? template.status.chartVersion : '');
      const newer = newerThan(version, chart.versions);
      const release = helmReleaseOf(template);
      out.push({
        namespace: template.metadata?.namespace ?? '',
        name,
        chart: chart.name,
        version,
        ...validityOf(template),
        ...(newer ? { newerVersion: newer } : {}),
        ...(release ? { helmRelease: release } : {}),
      });
    }
    return out.sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
  }

  /** The target namespace of a write: the namespace rules decide (forbidden outside them). */
  private async target(requested: string | undefined, call: CallOptions, hooks: ManagerHooks): Promise<string> {
    const namespace = await this.ctx.policy.resolveTarget(requested, () => this.ctx.api.listNamespaces(call));
    this.ctx.policy.assertWritable(namespace);
    hooks.onNamespace?.(namespace);
    return namespace;
  }

  /** What kgst renders for the app: the HelmRepository and one ServiceTemplate per chart, install order. */
  private manifests(addon: CatalogAddon, versions: { chart: string; version: string }[], namespace: string) {
    const canonical = addon.charts[0]?.repository ?? 'oci://ghcr.io/k0rdent/catalog/charts';
    const url = this.options.source.mirrorOf(canonical);
    // kgst reserves its names for the canonical URLs: a mirror gets a name of its own.
    const kgstName = KGST_REPOSITORIES[canonical] ?? `${addon.name}-catalog`;
    const repoName = url === canonical ? kgstName : `${kgstName}-mirror`;
    // kgst labels its HelmRepository k0rdent.mirantis.com/managed=true and its ServiceTemplates not at all: on a
    // template kcm reads that label as "a copy kcm made" (template_controller.go:221 templateManagedByKCM).
    const labels = { [LABEL_MANAGED_BY]: MANAGED_BY_VALUE };
    const repository = {
      apiVersion: `${HELM_REPOSITORY.group}/${HELM_REPOSITORY.version}`,
      kind: HELM_REPOSITORY.kind,
      metadata: { name: repoName, namespace, labels: { ...DEPLOYMENT_MANAGED_LABELS } },
      spec: { url, type: url.startsWith('oci://') ? 'oci' : 'default' },
    };
    const templates = versions.map(({ chart, version }) => ({
      apiVersion: K0RDENT_API_VERSION,
      kind: SERVICE_TEMPLATE.kind,
      metadata: { name: serviceTemplateName(chart, version), namespace, labels },
      spec: {
        helm: { chartSpec: { chart, version, interval: CHART_INTERVAL, sourceRef: { kind: HELM_REPOSITORY.kind, name: repoName } } },
      },
    }));
    return { repository, templates };
  }

  async install(request: InstallRequest, hooks: ManagerHooks = {}): Promise<CatalogInstallResult> {
    const call = { signal: hooks.signal };
    const view = await this.options.source.current(hooks.signal);
    const addon = findAddon(view.index, request.app);
    const versions = chartVersions(addon, request.version);
    const namespace = await this.target(request.namespace, call, hooks);
    const { repository, templates } = this.manifests(addon, versions, namespace);
    const planned: { resource: K0rdentResource; manifest: KubeObject & { metadata: { name: string; namespace: string } } }[] = [
      { resource: HELM_REPOSITORY, manifest: repository },
      ...templates.map((manifest) => ({ resource: SERVICE_TEMPLATE, manifest })),
    ];
    const existing = await Promise.all(planned.map((p) => this.ctx.api.get(p.resource, namespace, p.manifest.metadata.name, call)));
    const writes = planned.filter((_, i) => helmReleaseOf(existing[i]) === undefined);
    // Every object through the API server's dry run first (admission included): one refused means none is written.
    for (const w of writes) await this.apply(w.resource, w.manifest, true, call);
    const written = new Map<string, KubeObject>();
    if (!request.dryRun)
      for (const w of writes) written.set(w.manifest.metadata.name, await this.apply(w.resource, w.manifest, false, call));
    const objects: InstalledObject[] = planned.map((p, i) => {
      const before = existing[i];
      const release = helmReleaseOf(before);
      const after = written.get(p.manifest.metadata.name);
      const status: InstalledObject['status'] = release
        ? 'helmRelease'
        : request.dryRun
          ? 'dryRun'
          : before === undefined
            ? 'created'
            : sameContent(before, after)
              ? 'unchanged'
              : 'updated';
      const isTemplate = p.resource === SERVICE_TEMPLATE;
      return {
        kind: p.resource.kind,
        name: p.manifest.metadata.name,
        status,
        ...(release ? { helmRelease: release } : {}),
        ...(isTemplate && (after ?? before) ? validityOf(after ?? before) : {}),
      };
    });
    const result: CatalogInstallResult = {
      catalog: origin(view),
      app: addon.name,
      version: versions[0]?.version ?? '',
      namespace,
      objects,
    };
    if (request.dryRun || !request.wait) {
      if (!request.dryRun)
        result.next = `kcm now validates the ServiceTemplates; call ${toolRef(TOOL.catalogGet)} {app: "${addon.name}"} to see them valid, or install with wait: true`;
      return result;
    }
    result.wait = await this.waitValid(namespace, objects, request.wait, hooks);
    if (result.wait.valid)
      result.next = `add it to a cluster with ${toolRef(TOOL.clustersServicesApply)} {template: "${templates[templates.length - 1]?.metadata.name ?? ''}"} (values nest under "${addon.charts[addon.charts.length - 1]?.nestingKey ?? addon.name}")`;
    return result;
  }

  private async apply(
    resource: K0rdentResource,
    manifest: KubeObject & { metadata: { name: string; namespace: string } },
    dryRun: boolean,
    call: CallOptions,
  ): Promise<KubeObject> {
    try {
      return await this.ctx.api.apply(resource, manifest, { fieldManager: this.options.fieldOwner, dryRun, force: false }, call);
    } catch (error) {
      if (error instanceof AppError && error.code === 'conflict')
        throw new AppError(
          'conflict',
          `${resource.kind} ${manifest.metadata.namespace}/${manifest.metadata.name} exists and another writer set some of its fields to other values (${error.message}); nothing was written. Look at it (kubectl get ${resource.plural} -n ${manifest.metadata.namespace} ${manifest.metadata.name} -o yaml) and remove or change it first`,
          { kind: resource.kind, name: manifest.metadata.name },
          { cause: error },
        );
      throw error;
    }
  }

  /** Follows each ServiceTemplate in turn until kcm sets status.valid, or a validationError, under one deadline. */
  private async waitValid(
    namespace: string,
    objects: InstalledObject[],
    wait: WaitOptions,
    hooks: ManagerHooks,
  ): Promise<NonNullable<CatalogInstallResult['wait']>> {
    const templates = objects.filter((o) => o.kind === SERVICE_TEMPLATE.kind);
    const deadline = Date.now() + wait.timeoutMs;
    let message = '';
    for (const [i, object] of templates.entries()) {
      const outcome = await waitFor({
        api: this.ctx.api,
        resource: SERVICE_TEMPLATE,
        namespace,
        name: object.name,
        pollIntervalMs: wait.pollIntervalMs,
        timeoutMs: Math.max(1000, deadline - Date.now()),
        stallThresholdMs: wait.stallThresholdMs,
        signal: hooks.signal,
        interrupt: hooks.interrupt,
        onProgress: hooks.onProgress,
        progressIntervalMs: hooks.progressIntervalMs,
        onWarning: hooks.onWarning,
        logger: this.ctx.logger,
        goal: 'status.valid',
        evaluate: (template) => {
          if (template === undefined)
            return { done: true, fingerprint: 'gone', message: `ServiceTemplate ${object.name} was deleted while waiting` };
          const { valid, validationError } = validityOf(template);
          const state = valid ? 'valid' : validationError ? `invalid: ${validationError}` : 'waiting for kcm to validate the chart';
          return {
            done: valid || validationError !== undefined,
            fingerprint: `${String(valid)}|${validationError ?? ''}`,
            message: `ServiceTemplate ${object.name}: ${state}`,
            step: { done: i + (valid ? 1 : 0), total: templates.length, name: object.name },
          };
        },
      });
      Object.assign(object, validityOf(outcome.last));
      message = outcome.message;
      if (!object.valid || outcome.timedOut || outcome.interrupted || outcome.error)
        return {
          valid: false,
          timedOut: outcome.timedOut,
          message,
          ...(outcome.error ? { waitError: `${outcome.error.code}: ${outcome.error.message}` } : {}),
          ...(outcome.interrupted ? { interrupted: true } : {}),
        };
    }
    return { valid: true, timedOut: false, message: templates.length === 1 ? message : `${templates.length} ServiceTemplates valid` };
  }

  /**
   * Removes the app's ServiceTemplates (never the HelmRepository other templates may share). Only those this
   * server installed: a kgst release's are reported, and kcm refuses one a ClusterDeployment or (in the system
   * namespace) a MultiClusterService uses (kcm internal/webhook/template_webhook.go:131-171), which is checked first
   * and reported with the users, so nothing is deleted that kcm would refuse.
   */
  async uninstall(request: UninstallRequest, hooks: ManagerHooks = {}): Promise<CatalogUninstallResult> {
    const call = { signal: hooks.signal };
    const view = await this.options.source.current(hooks.signal);
    const addon = findAddon(view.index, request.app);
    const namespace = await this.target(request.namespace, call, hooks);
    const versions =
      request.version === undefined ? await this.installedHere(addon, namespace, call) : chartVersions(addon, request.version);
    const users = await this.templateUsers(namespace, call);
    const items: CatalogUninstallResult['items'] = [];
    for (const { chart, version } of [...versions].reverse()) {
      const name = serviceTemplateName(chart, version);
      const template = await this.ctx.api.get(SERVICE_TEMPLATE, namespace, name, call);
      const release = helmReleaseOf(template);
      const usedBy = users.get(name) ?? [];
      if (template === undefined) items.push({ name, status: 'not_found' });
      else if (release)
        items.push({ name, status: 'helmRelease', message: `installed by Helm release "${release}" (kgst); uninstall it with helm` });
      else if (template.metadata?.labels?.[LABEL_MANAGED_BY] !== MANAGED_BY_VALUE)
        items.push({
          name,
          status: 'refused',
          message: `not installed by this server (no ${LABEL_MANAGED_BY}=${MANAGED_BY_VALUE} label); left alone`,
        });
      else if (usedBy.length > 0)
        items.push({
          name,
          status: 'refused',
          usedBy,
          message: `kcm refuses to delete a ServiceTemplate in use ("template deletion is forbidden"); remove it from ${usedBy.join(', ')} first (${toolRef(TOOL.clustersServicesRemove)})`,
        });
      else if (request.dryRun) items.push({ name, status: 'dryRun' });
      else {
        if (hooks.confirm) {
          const answer = await hooks.confirm({
            message: `Delete ServiceTemplate ${namespace}/${name} (${chart} ${version} from the k0rdent catalog).`,
            name,
          });
          if (!answer.confirmed) {
            items.push({ name, status: 'cancelled', message: answer.reason });
            continue;
          }
        }
        try {
          items.push({ name, status: await this.ctx.api.delete(SERVICE_TEMPLATE, namespace, name, call, { uid: template.metadata?.uid }) });
        } catch (error) {
          // A user that appeared since the check: kcm's webhook answers 403 "template deletion is forbidden".
          if (error instanceof AppError && error.code === 'forbidden' && /admission webhook|deletion is forbidden/.test(error.message))
            items.push({ name, status: 'refused', message: error.message.slice(0, 400) });
          else throw error;
        }
      }
    }
    return { app: addon.name, version: [...new Set(versions.map((v) => v.version))].join(', '), namespace, items };
  }

  /**
   * No version given: every version of the app's charts this server installed in `namespace` (by chartSpec and the
   * managed-by label), in install order; none installed → the newest, so the answer says what is there instead.
   */
  private async installedHere(addon: CatalogAddon, namespace: string, call: CallOptions): Promise<{ chart: string; version: string }[]> {
    const listed = await this.ctx.api.list(SERVICE_TEMPLATE, { namespace, limit: 500 }, call);
    const ours = addon.charts.flatMap((c) =>
      listed.items
        // One already being deleted (a finalizer still on it) is not installed any more: a second uninstall finds nothing.
        .filter(
          (t) =>
            t.metadata?.labels?.[LABEL_MANAGED_BY] === MANAGED_BY_VALUE &&
            chartSpecOf(t).chart === c.name &&
            !t.metadata?.deletionTimestamp,
        )
        .map((t) => ({ chart: c.name, version: chartSpecOf(t).version ?? '' }))
        .filter((v) => v.version !== '')
        .sort((x, y) => (x.version < y.version ? -1 : 1)),
    );
    return ours.length > 0 ? ours : chartVersions(addon, undefined);
  }

  /** template name → the ClusterDeployments (ns/name) of `namespace` and the MultiClusterServices naming it. */
  private async templateUsers(namespace: string, call: CallOptions): Promise<Map<string, string[]>> {
    const users = new Map<string, string[]>();
    const add = (template: unknown, who: string): void => {
      if (typeof template !== 'string') return;
      users.set(template, [...(users.get(template) ?? []), who]);
    };
    const servicesOf = (object: KubeObject): { template?: unknown }[] => {
      const spec = object.spec?.serviceSpec as { services?: unknown } | undefined;
      return Array.isArray(spec?.services) ? (spec.services as { template?: unknown }[]) : [];
    };
    const deployments = await this.ctx.api.list(CLUSTER_DEPLOYMENT, { namespace, limit: 500 }, call);
    for (const d of deployments.items)
      for (const s of servicesOf(d)) add(s.template, `ClusterDeployment ${namespace}/${d.metadata?.name ?? ''}`);
    // MultiClusterServices use templates of the system namespace only; a caller who may not list them is told by kcm.
    if (namespace === this.ctx.policy.rules.globalNamespace) {
      const mcs = await this.ctx.api.list(MULTI_CLUSTER_SERVICE, { limit: 500 }, call).catch(() => ({ items: [] as KubeObject[] }));
      for (const m of mcs.items) for (const s of servicesOf(m)) add(s.template, `MultiClusterService ${m.metadata?.name ?? ''}`);
    }
    return users;
  }
}
