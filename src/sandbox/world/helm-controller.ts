/**
 * Flux's helm-controller (github.com/fluxcd/helm-controller v1.6.2, the version kcm v1.11.4 pins), for the
 * HelmReleases kcm creates: install, upgrade and uninstall of the chart their HelmChart serves, with the
 * status helm-controller writes and its own texts:
 * - before an action: Reconciling and Ready Unknown "Running '<action>' action with timeout of <t>"
 *   (internal/reconcile/atomic_release.go:251-260);
 * - success: Released and Ready True "Helm install|upgrade succeeded for release <ns>/<name>.v<N> with chart
 *   <chart>@<version>" (internal/reconcile/install.go:139, upgrade.go:130; Snapshot.FullReleaseName and
 *   VersionedChartName, api/v2/snapshot_types.go:196-210; Ready copies Released: release.go:213-261
 *   summarize), `history[0]` {status deployed, configDigest, …}, `lastAttemptedConfigDigest`
 *   (helmrelease_controller.go:400), `observedGeneration`, the inventory of what was applied;
 * - failure: Released and Ready False "Helm install failed for release <ns>/<name> with chart <chart>@<version>:
 *   <err>" (install.go:137) and Stalled "Failed to install after 1 attempt(s)" (atomic_release.go:205, kcm
 *   sets no install retries);
 * - a HelmChart that is missing or not ready: Ready False ArtifactFailed (helmrelease_controller.go:289-290,
 *   :870-890 isReady);
 * - deletion (helmrelease_controller.go:184-185 reconcileDelete, :452-475, :485-548 reconcileReleaseDeletion): a
 *   release never installed (no `status.storageNamespace`) is not uninstalled (:489-493); otherwise uninstall
 *   deletes every object of the release — the inventory, and what an action still running when the deletion came
 *   had already applied (Helm stores a pending release before it creates anything) — and waits for them to go
 *   (Helm's uninstall wait), then "Helm uninstall succeeded for release …" (internal/reconcile/uninstall.go:167),
 *   the history and storage namespace cleared (:545-547), `observedGeneration` the deleted generation (the deferred
 *   patch, :143-146) and the finalizer removed (:465-468). A deletion that lands during an install or upgrade
 *   is uninstalled once that action's objects are known, whichever write wins the race.
 * What the chart renders comes from ./render.ts; Cluster API and the providers take it from there (./capi.ts).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { KubeObject, ResourceKey, StoreEvent } from '../apiserver/types.js';
import type { KcmApi } from '../kcm/api.js';
import type { Condition } from '../kcm/conditions.js';
import { recordEvent } from '../kcm/events.js';
import { isJsonObject, type JsonObject } from '../kcm/resources.js';
import { findChart, type ChartFiles } from './charts.js';
import { faultOf, releaseFaultOf, upgradeFailedMessage } from './faults.js';
import { controllerLog, type ControllerLog } from './logs.js';
import { WorkQueue } from './queue.js';
import { coalesceValues, renderRelease } from './render.js';
import { HELM_CHARTS, HELM_RELEASES, apiVersionOf, resourceOfKind, sameKey } from './resources.js';
import { FLUX_FINALIZER } from './source-controller.js';
import {
  addFinalizer,
  conditionsIn,
  findIn,
  isConflict,
  isNotFound,
  nowTime,
  removeFinalizer,
  specOf,
  splitKey,
  statusOf,
  withConditions,
  writeStatus,
  type Status,
} from './status.js';
import { PROVISIONED_ANNOTATION, type LogSink } from './types.js';

const GROUP = 'helm.toolkit.fluxcd.io';
/** helm-controller keeps this many snapshots (api/v2 helmrelease_types.go: History "limited to … 5"). */
const HISTORY_LIMIT = 5;
const REPORTER = { reportingController: 'helm-controller', reportingInstance: 'helm-controller-6b5d9c7f8-sbx42' };

export interface HelmControllerOptions {
  chartRoots: string[];
  /** How long a Helm action runs before its outcome is written (a share of provisionSeconds). */
  actionMs: number;
  /** How often an uninstall checks whether what it deleted has gone (Helm polls every 2 s; a share of deleteSeconds). */
  uninstallPollMs: number;
  logSink?: LogSink;
  log: (line: string) => void;
}

interface Snapshot extends JsonObject {
  name: string;
  namespace: string;
  version: number;
  status: string;
  chartName: string;
  chartVersion: string;
  configDigest: string;
  digest: string;
  firstDeployed: string;
  lastDeployed: string;
}

/** chartutil.DigestValues(digest.Canonical, values): sha256 over the values in canonical JSON. */
export function digestValues(values: unknown): string {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canonical)
      : isJsonObject(v)
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, canonical(v[k])]),
          )
        : v;
  return `sha256:${createHash('sha256')
    .update(JSON.stringify(canonical(values ?? {})))
    .digest('hex')}`;
}

/** Go's time.Duration String() for whole seconds/minutes (spec.timeout, default 5m0s). */
function timeoutOf(hr: KubeObject): string {
  const t = specOf(hr)['timeout'];
  return typeof t === 'string' && t !== '' ? t : '5m0s';
}

const inventoryId = (o: KubeObject): string => {
  const [group] = o.apiVersion.includes('/') ? o.apiVersion.split('/') : [''];
  return `${o.metadata.namespace ?? ''}_${o.metadata.name}_${group}_${o.kind}`;
};

export class HelmController {
  private readonly queue: WorkQueue;
  private readonly logs: ControllerLog;
  private unsubscribe: (() => void) | undefined;
  private closed = false;
  private readonly valuesCache = new Map<string, JsonObject>();
  /** Uninstalls whose last poll found everything gone (uid). */
  private readonly goneSeen = new Set<string>();
  /**
   * What the action in progress applies, by HelmRelease uid, recorded before the first object is created (Helm
   * writes the pending release to its storage first): an uninstall that starts before the action wrote its
   * inventory still deletes them.
   */
  private readonly pending = new Map<
    string,
    { ids: string[]; release: Pick<Snapshot, 'namespace' | 'name' | 'version' | 'chartName' | 'chartVersion'> }
  >();

  constructor(
    private readonly api: KcmApi,
    private readonly options: HelmControllerOptions,
  ) {
    this.logs = controllerLog('helm-controller', options.logSink);
    this.queue = new WorkQueue(
      (key) => this.reconcile(key),
      (line) => options.log(`helm-controller: ${line}`),
    );
  }

  start(): void {
    this.unsubscribe = this.api.subscribe((event) => this.onEvent(event));
    for (const hr of this.api.list(HELM_RELEASES)) this.queue.enqueue(keyOf(hr));
  }

  close(): void {
    this.closed = true;
    this.unsubscribe?.();
    this.queue.close();
  }

  private onEvent({ resource, object }: StoreEvent): void {
    if (sameKey(resource, HELM_RELEASES)) {
      this.queue.enqueue(keyOf(object));
      return;
    }
    if (sameKey(resource, HELM_CHARTS)) {
      // helm-controller watches the HelmCharts its releases use (helmrelease_controller.go SetupWithManager).
      for (const hr of this.api.list(HELM_RELEASES)) {
        const ref = this.chartRefOf(hr);
        if (ref.namespace === object.metadata.namespace && ref.name === object.metadata.name) this.queue.enqueue(keyOf(hr));
      }
      return;
    }
    // An uninstall waits for what it deleted to go by polling (Helm's WaitForDelete), not on events.
  }

  private chartRefOf(hr: KubeObject): { namespace: string; name: string } {
    const spec = specOf(hr);
    const ref = isJsonObject(spec['chartRef']) ? spec['chartRef'] : undefined;
    if (ref)
      return {
        namespace: typeof ref['namespace'] === 'string' ? ref['namespace'] : (hr.metadata.namespace ?? ''),
        name: String(ref['name'] ?? ''),
      };
    // spec.chart: helm-controller owns a HelmChart named <namespace>-<name> in the source's namespace.
    const template = isJsonObject(spec['chart']) && isJsonObject(spec['chart']['spec']) ? spec['chart']['spec'] : {};
    const source = isJsonObject(template['sourceRef']) ? template['sourceRef'] : {};
    return {
      namespace: typeof source['namespace'] === 'string' ? source['namespace'] : (hr.metadata.namespace ?? ''),
      name: `${hr.metadata.namespace ?? ''}-${hr.metadata.name}`,
    };
  }

  private async reconcile(key: string): Promise<number | undefined> {
    const { namespace, name } = splitKey(key);
    let hr = this.api.get(HELM_RELEASES, namespace, name);
    if (!hr || this.closed) return undefined;
    const subject = { kind: 'HelmRelease', group: GROUP, namespace, name };
    if (hr.metadata.deletionTimestamp) return this.uninstall(hr);
    hr = await addFinalizer(this.api, HELM_RELEASES, hr, FLUX_FINALIZER);
    const generation = hr.metadata.generation ?? 1;
    const status = statusOf(hr);
    const now = nowTime();
    const chartRef = this.chartRefOf(hr);
    if (!isJsonObject(specOf(hr)['chartRef'])) await this.ensureOwnedChart(hr, chartRef);
    const chart = this.api.get(HELM_CHARTS, chartRef.namespace, chartRef.name);
    const notReady = (message: string): Promise<undefined> =>
      writeStatus(this.api, HELM_RELEASES, hr!, {
        ...status,
        conditions: withConditions(
          status,
          [{ type: 'Ready', status: 'False', reason: 'ArtifactFailed', message, observedGeneration: generation }],
          now,
        ),
      }).then(() => {
        this.logs.info(subject, message);
        return undefined;
      });
    if (!chart) return notReady(`could not get Source object: helmcharts.source.toolkit.fluxcd.io "${chartRef.name}" not found`);
    const chartStatus = statusOf(chart);
    const artifact = isJsonObject(chartStatus['artifact']) ? chartStatus['artifact'] : undefined;
    const chartReady = findIn(chartStatus, 'Ready');
    if (chartStatus['observedGeneration'] !== (chart.metadata.generation ?? 1) || !artifact) {
      const detail = chartReady?.status === 'False' ? chartReady.message : 'latest generation of object has not been reconciled';
      return notReady(`HelmChart '${chart.metadata.namespace}/${chart.metadata.name}' is not ready: ${detail}`);
    }
    const chartName = String(chartStatus['observedChartName'] ?? specOf(chart)['chart'] ?? '');
    const chartVersion = String(artifact['revision'] ?? '');
    const files = findChart(this.options.chartRoots, chartName);
    if (!files) return notReady(`Could not load chart: chart '${chartName}' not found`);

    const values = isJsonObject(specOf(hr)['values']) ? (specOf(hr)['values'] as JsonObject) : {};
    const configDigest = digestValues(values);
    const history = Array.isArray(status['history']) ? (status['history'] as Snapshot[]) : [];
    const latest = history[0];
    const releaseName =
      typeof specOf(hr)['releaseName'] === 'string' && specOf(hr)['releaseName'] !== '' ? String(specOf(hr)['releaseName']) : name;
    const targetNamespace = typeof specOf(hr)['targetNamespace'] === 'string' ? String(specOf(hr)['targetNamespace']) : namespace;
    const inSync =
      latest?.status === 'deployed' &&
      latest.configDigest === configDigest &&
      latest.chartVersion === chartVersion &&
      latest.chartName === chartName;
    // The HelmRelease's own fault (./faults.ts releaseFaultOf): a deployed release is upgraded at once, and fails.
    const upgradeFault = releaseFaultOf(hr) === 'helm-upgrade-failure';
    const forced = inSync && upgradeFault;
    if (inSync && !forced && status['observedGeneration'] === generation) return undefined;
    if (inSync && !forced) {
      // A spec change that changes neither values nor chart (interval, timeout): nothing to release.
      await writeStatus(this.api, HELM_RELEASES, hr, { ...status, observedGeneration: generation, lastAttemptedGeneration: generation });
      this.logs.info(subject, 'release in-sync with desired state');
      return undefined;
    }
    const failedAlready =
      latest?.status === 'failed' &&
      status['lastAttemptedGeneration'] === generation &&
      status['lastAttemptedConfigDigest'] === configDigest;
    // Stalled: retries exhausted until the spec changes. An upgrade the fault failed is retried once the label is
    // gone (what `flux reconcile helmrelease --reset` asks of Flux: the failure counts reset, the upgrade retried;
    // helm-controller v1.6.2 api/v2/annotations.go:43-45 ShouldHandleResetRequest).
    if (failedAlready && (upgradeFault || latest.action !== 'upgrade')) return undefined;

    // Upgrade when the release was ever deployed (a failed upgrade keeps the release it failed to replace).
    const action: 'install' | 'upgrade' = history.some((s) => s.status === 'deployed') ? 'upgrade' : 'install';
    const reconciling = `Running '${action}' action with timeout of ${timeoutOf(hr)}`;
    this.logs.info(
      subject,
      `release out-of-sync with desired state: ${latest ? 'release config values changed' : 'release not installed'}`,
    );
    const attempted: Status = {
      ...status,
      helmChart: `${chart.metadata.namespace}/${chart.metadata.name}`,
      storageNamespace: targetNamespace,
      lastAttemptedGeneration: generation,
      lastAttemptedConfigDigest: configDigest,
      lastAttemptedRevision: chartVersion,
      lastAttemptedReleaseAction: action,
    };
    hr = await writeStatus(this.api, HELM_RELEASES, hr, {
      ...attempted,
      conditions: withConditions(
        { conditions: conditionsIn(status).filter((c) => c.type !== 'Stalled') },
        [
          { type: 'Reconciling', status: 'True', reason: 'Progressing', message: reconciling, observedGeneration: generation },
          { type: 'Ready', status: 'Unknown', reason: 'Progressing', message: reconciling, observedGeneration: generation },
        ],
        now,
      ),
    });
    this.logs.info(subject, reconciling);
    if (this.options.actionMs > 0 && hr.metadata.annotations?.[PROVISIONED_ANNOTATION] !== 'true') await sleep(this.options.actionMs);
    const current = this.api.get(HELM_RELEASES, namespace, name);
    if (this.closed || !current || current.metadata.uid !== hr.metadata.uid || current.metadata.deletionTimestamp) return 0;
    if ((current.metadata.generation ?? 1) !== generation) return 0;
    hr = current;

    const done = nowTime();
    const fault = faultOf(this.api, hr);
    if (fault === 'helm-install-failure' && action === 'install')
      return this.installFailed(hr, files, chartVersion, releaseName, targetNamespace, attempted, configDigest);
    if (action === 'upgrade' && releaseFaultOf(hr) === 'helm-upgrade-failure')
      return this.upgradeFailed(hr, history, files, chartName, chartVersion, releaseName, targetNamespace, attempted, configDigest);

    const defaults = this.chartValues(files);
    const rendered = renderRelease({
      chartDir: files.dir,
      releaseName,
      namespace: targetNamespace,
      helmRelease: { name, namespace },
      values: coalesceValues(defaults, values),
    });
    // A release kcm adopts for a deployment already Ready (PROVISIONED_ANNOTATION): its Cluster is up at once.
    if (hr.metadata.annotations?.[PROVISIONED_ANNOTATION] === 'true' && action === 'install') {
      for (const o of rendered)
        if (o.kind === 'Cluster') o.metadata.annotations = { ...o.metadata.annotations, [PROVISIONED_ANNOTATION]: 'true' };
    }
    const revision = (latest?.version ?? 0) + 1;
    const uid = hr.metadata.uid ?? key;
    this.pending.set(uid, {
      ids: rendered.map(inventoryId),
      release: { namespace: targetNamespace, name: releaseName, version: revision, chartName, chartVersion },
    });
    await this.apply(rendered, statusOf(hr));
    const snapshot: Snapshot = {
      name: releaseName,
      namespace: targetNamespace,
      version: revision,
      status: 'deployed',
      chartName,
      chartVersion,
      ...(files.appVersion ? { appVersion: files.appVersion } : {}),
      configDigest,
      digest: '',
      firstDeployed: action === 'install' ? done : (latest?.firstDeployed ?? done),
      lastDeployed: done,
      action,
    };
    snapshot.digest = `sha256:${createHash('sha256').update(JSON.stringify(snapshot)).digest('hex')}`;
    const older = history.map((s) => (s.status === 'deployed' ? { ...s, status: 'superseded' } : s));
    const message = `Helm ${action} succeeded for release ${targetNamespace}/${releaseName}.v${revision} with chart ${chartName}@${chartVersion}`;
    const reason = action === 'install' ? 'InstallSucceeded' : 'UpgradeSucceeded';
    const base = statusOf(hr);
    await writeStatus(this.api, HELM_RELEASES, hr, {
      ...base,
      observedGeneration: generation,
      lastAttemptedReleaseActionDuration: `${(this.options.actionMs / 1000).toFixed(3).replace(/\.?0+$/, '')}s`,
      history: [snapshot, ...(action === 'install' ? [] : older)].slice(0, HISTORY_LIMIT),
      inventory: { entries: rendered.map((o) => ({ id: inventoryId(o), v: o.apiVersion.split('/')[1] ?? o.apiVersion })) },
      failures: undefined,
      installFailures: undefined,
      upgradeFailures: undefined,
      conditions: withConditions(
        { conditions: conditionsIn(base).filter((c: Condition) => c.type !== 'Reconciling' && c.type !== 'Stalled') },
        [
          { type: 'Released', status: 'True', reason, message, observedGeneration: generation },
          { type: 'Ready', status: 'True', reason, message, observedGeneration: generation },
        ],
        done,
      ),
    });
    this.pending.delete(uid);
    await recordEvent(this.api, hr, { type: 'Normal', reason, message, ...REPORTER });
    this.logs.info(subject, message);
    return undefined;
  }

  /** helm-controller creates the HelmChart of a spec.chart template (internal/reconcile/helmchart_template.go). */
  private async ensureOwnedChart(hr: KubeObject, ref: { namespace: string; name: string }): Promise<void> {
    if (this.api.get(HELM_CHARTS, ref.namespace, ref.name)) return;
    const spec = specOf(hr);
    const template = isJsonObject(spec['chart']) && isJsonObject(spec['chart']['spec']) ? spec['chart']['spec'] : undefined;
    if (!template) return;
    const source = isJsonObject(template['sourceRef']) ? template['sourceRef'] : {};
    try {
      await this.api.create(HELM_CHARTS, {
        apiVersion: apiVersionOf(HELM_CHARTS),
        kind: 'HelmChart',
        metadata: {
          name: ref.name,
          namespace: ref.namespace,
          labels: { 'helm.toolkit.fluxcd.io/name': hr.metadata.name, 'helm.toolkit.fluxcd.io/namespace': hr.metadata.namespace ?? '' },
        },
        spec: {
          chart: template['chart'],
          ...(typeof template['version'] === 'string' ? { version: template['version'] } : {}),
          sourceRef: { kind: source['kind'] ?? 'HelmRepository', name: source['name'] ?? '' },
          interval: typeof template['interval'] === 'string' ? template['interval'] : '10m0s',
          reconcileStrategy: 'ChartVersion',
        },
      });
    } catch (err) {
      if (!isConflict(err)) throw err;
    }
  }

  private chartValues(files: ChartFiles): JsonObject {
    const cached = this.valuesCache.get(files.dir);
    if (cached) return cached;
    let values: JsonObject = {};
    try {
      const parsed: unknown = parseYaml(readFileSync(join(files.dir, 'values.yaml'), 'utf8'));
      if (isJsonObject(parsed)) values = parsed;
    } catch {
      values = {};
    }
    this.valuesCache.set(files.dir, values);
    return values;
  }

  private async installFailed(
    hr: KubeObject,
    files: ChartFiles,
    chartVersion: string,
    releaseName: string,
    targetNamespace: string,
    attempted: Status,
    configDigest: string,
  ): Promise<undefined> {
    const generation = hr.metadata.generation ?? 1;
    const now = nowTime();
    const template = renderRelease({
      chartDir: files.dir,
      releaseName,
      namespace: targetNamespace,
      helmRelease: { name: hr.metadata.name, namespace: hr.metadata.namespace ?? '' },
      values: coalesceValues(this.chartValues(files), isJsonObject(specOf(hr)['values']) ? (specOf(hr)['values'] as JsonObject) : {}),
    }).find((o) => o.kind.endsWith('MachineTemplate'));
    const target = template
      ? `${template.kind}.${template.apiVersion.split('/')[0]} "${template.metadata.name}"`
      : `Cluster.cluster.x-k8s.io "${releaseName}"`;
    // What a provider's admission webhook answers for a machine template it refuses; Helm returns it as the install error.
    const cause = `failed to create resource: admission webhook "validation.${(template?.kind ?? 'cluster').toLowerCase()}.infrastructure.cluster.x-k8s.io" denied the request: ${target} is invalid: spec.template.spec: Forbidden: the machine image for this instance type is not available in the selected region (sandbox fault helm-install-failure)`;
    const message = `Helm install failed for release ${targetNamespace}/${releaseName} with chart ${files.name}@${chartVersion}: ${cause}`;
    const snapshot: Snapshot = {
      name: releaseName,
      namespace: targetNamespace,
      version: 1,
      status: 'failed',
      chartName: files.name,
      chartVersion,
      configDigest,
      digest: '',
      firstDeployed: now,
      lastDeployed: now,
      action: 'install',
    };
    snapshot.digest = `sha256:${createHash('sha256').update(JSON.stringify(snapshot)).digest('hex')}`;
    const stalled = 'Failed to install after 1 attempt(s)';
    await writeStatus(this.api, HELM_RELEASES, hr, {
      ...attempted,
      observedGeneration: generation,
      history: [snapshot],
      failures: 1,
      installFailures: 1,
      conditions: stalledConditions(statusOf(hr), 'InstallFailed', message, stalled, generation, now),
    });
    await this.reportFailure(hr, 'InstallFailed', message, stalled);
    return undefined;
  }

  /** The Warning event and the log lines helm-controller writes for a failed action that stalled the release. */
  private async reportFailure(hr: KubeObject, reason: string, message: string, stalled: string): Promise<void> {
    await recordEvent(this.api, hr, { type: 'Warning', reason, message, ...REPORTER });
    const subject = { kind: 'HelmRelease', group: GROUP, namespace: hr.metadata.namespace ?? '', name: hr.metadata.name };
    this.logs.error(subject, 'Reconciler error', message);
    this.logs.info(subject, stalled);
  }

  /**
   * A failed upgrade (the HelmRelease's `helm-upgrade-failure` fault), as helm-controller v1.6.2 records it: Helm
   * stores the new revision as failed and keeps the one it failed to replace deployed; Released and Ready False
   * UpgradeFailed "Helm upgrade failed for release <ns>/<name> with chart <chart>@<version>: <err>"
   * (internal/reconcile/upgrade.go:128,144-148; Ready copies Released, release.go summarize), failures and
   * upgradeFailures counted (upgrade.go:106, api/v2 IncrementFailureCount) and Stalled RetriesExceeded "Failed to
   * upgrade after 1 attempt(s)" (atomic_release.go:205: kcm sets no upgrade remediation on a component,
   * kcm v1.11.4 internal/controller/components/reconciler.go:343-345, so Flux's default of 0 retries holds).
   */
  private async upgradeFailed(
    hr: KubeObject,
    history: Snapshot[],
    files: ChartFiles,
    chartName: string,
    chartVersion: string,
    releaseName: string,
    targetNamespace: string,
    attempted: Status,
    configDigest: string,
  ): Promise<undefined> {
    const generation = hr.metadata.generation ?? 1;
    const now = nowTime();
    const previous = history[0];
    const message = upgradeFailedMessage(targetNamespace, releaseName, chartName, chartVersion);
    const snapshot: Snapshot = {
      name: releaseName,
      namespace: targetNamespace,
      version: (previous?.version ?? 0) + 1,
      status: 'failed',
      chartName,
      chartVersion,
      ...(files.appVersion ? { appVersion: files.appVersion } : {}),
      configDigest,
      digest: '',
      firstDeployed: previous?.firstDeployed ?? now,
      lastDeployed: now,
      action: 'upgrade',
    };
    snapshot.digest = `sha256:${createHash('sha256').update(JSON.stringify(snapshot)).digest('hex')}`;
    const base = statusOf(hr);
    const count = (key: string): number => (typeof base[key] === 'number' ? (base[key] as number) : 0) + 1;
    const stalled = 'Failed to upgrade after 1 attempt(s)';
    await writeStatus(this.api, HELM_RELEASES, hr, {
      ...attempted,
      observedGeneration: generation,
      history: [snapshot, ...history].slice(0, HISTORY_LIMIT),
      failures: count('failures'),
      upgradeFailures: count('upgradeFailures'),
      conditions: stalledConditions(base, 'UpgradeFailed', message, stalled, generation, now),
    });
    await this.reportFailure(hr, 'UpgradeFailed', message, stalled);
    return undefined;
  }

  /** Creates what is new, replaces the spec of what changed, deletes what the chart no longer renders. */
  private async apply(rendered: KubeObject[], status: Status): Promise<void> {
    const wanted = new Set(rendered.map(inventoryId));
    for (const object of rendered) {
      const resource = resourceOfKind(object.kind);
      if (!resource) continue;
      const existing = this.api.get(resource, object.metadata.namespace, object.metadata.name);
      if (!existing) {
        try {
          await this.api.create(resource, object);
        } catch (err) {
          if (!isConflict(err)) throw err;
        }
        continue;
      }
      if (existing.metadata.deletionTimestamp) continue;
      // Helm's three-way merge: what the chart renders wins, fields others set (controlPlaneEndpoint) stay.
      const spec = coalesceValues(specOf(existing) as JsonObject, specOf(object) as JsonObject);
      if (JSON.stringify(existing['spec']) === JSON.stringify(spec) && sameLabels(existing, object)) continue;
      await this.api.update(resource, {
        ...existing,
        metadata: { ...existing.metadata, labels: { ...existing.metadata.labels, ...object.metadata.labels } },
        spec,
      });
    }
    for (const entry of inventoryOf(status)) {
      if (wanted.has(entry.id)) continue;
      const target = objectOfEntry(entry.id);
      if (target)
        await this.api
          .delete(target.resource, target.namespace, target.name)
          .catch((err: unknown) => (isNotFound(err) ? false : Promise.reject(err)));
    }
  }

  /** Deletes the inventory, waits until it has gone, then lets the HelmRelease go. */
  private async uninstall(hr: KubeObject): Promise<number | undefined> {
    if (!hr.metadata.finalizers?.includes(FLUX_FINALIZER)) return undefined;
    const status = statusOf(hr);
    const generation = hr.metadata.generation ?? 1;
    const subject = { kind: 'HelmRelease', group: GROUP, namespace: hr.metadata.namespace ?? '', name: hr.metadata.name };
    const uid = hr.metadata.uid ?? '';
    const pending = this.pending.get(uid);
    const ids = [...new Set([...inventoryOf(status).map((e) => e.id), ...(pending?.ids ?? [])])];
    // Never installed (helmrelease_controller.go:489-493): nothing to uninstall, the finalizer goes.
    if (!status['storageNamespace'] && ids.length === 0) {
      this.logs.info(subject, 'skipping Helm release uninstallation: no storage namespace configured');
      await removeFinalizer(this.api, HELM_RELEASES, hr, FLUX_FINALIZER);
      return undefined;
    }
    const entries = ids.map(objectOfEntry).filter((t): t is NonNullable<typeof t> => t !== undefined);
    const latest = (Array.isArray(status['history']) ? (status['history'] as Snapshot[]) : [])[0] ?? pending?.release;
    const running = `Running 'uninstall' action with timeout of ${timeoutOf(hr)}`;
    if (findIn(status, 'Ready')?.message !== running && entries.length > 0) {
      await writeStatus(this.api, HELM_RELEASES, hr, {
        ...status,
        conditions: withConditions(
          status,
          [
            { type: 'Reconciling', status: 'True', reason: 'Progressing', message: running, observedGeneration: generation },
            { type: 'Ready', status: 'Unknown', reason: 'Progressing', message: running, observedGeneration: generation },
          ],
          nowTime(),
        ),
      });
      this.logs.info(subject, running);
    }
    let remaining = 0;
    for (const t of entries) {
      const object = this.api.get(t.resource, t.namespace, t.name);
      if (!object) continue;
      remaining += 1;
      if (!object.metadata.deletionTimestamp) await this.api.delete(t.resource, t.namespace, t.name);
    }
    // Helm's uninstall waits for the deleted resources to go, polling (kube client WaitForDelete): the release
    // goes at the poll after the one that found them gone.
    if (remaining > 0) {
      this.goneSeen.delete(uid);
      return this.options.uninstallPollMs;
    }
    if (!this.goneSeen.has(uid)) {
      this.goneSeen.add(uid);
      return this.options.uninstallPollMs;
    }
    this.goneSeen.delete(uid);
    this.pending.delete(uid);
    if (latest) {
      const message = `Helm uninstall succeeded for release ${latest.namespace}/${latest.name}.v${latest.version} with chart ${latest.chartName}@${latest.chartVersion}`;
      const current = this.api.get(HELM_RELEASES, hr.metadata.namespace, hr.metadata.name) ?? hr;
      const updated = await writeStatus(this.api, HELM_RELEASES, current, {
        ...statusOf(current),
        // ClearHistory and StorageNamespace = "" (helmrelease_controller.go:545-547); the deferred patch sets
        // observedGeneration once the reconcile ends without a requeue (:143-146).
        history: undefined,
        storageNamespace: undefined,
        observedGeneration: generation,
        conditions: withConditions(
          { conditions: conditionsIn(statusOf(current)).filter((c) => c.type !== 'Reconciling') },
          [
            { type: 'Released', status: 'False', reason: 'UninstallSucceeded', message, observedGeneration: generation },
            { type: 'Ready', status: 'False', reason: 'UninstallSucceeded', message, observedGeneration: generation },
          ],
          nowTime(),
        ),
      }).catch((err: unknown) => (isNotFound(err) ? undefined : Promise.reject(err)));
      await recordEvent(this.api, hr, { type: 'Normal', reason: 'UninstallSucceeded', message, ...REPORTER });
      this.logs.info(subject, message);
      if (updated) await removeFinalizer(this.api, HELM_RELEASES, updated, FLUX_FINALIZER);
      return undefined;
    }
    await removeFinalizer(this.api, HELM_RELEASES, hr, FLUX_FINALIZER);
    return undefined;
  }
}

function sameLabels(a: KubeObject, b: KubeObject): boolean {
  const al = a.metadata.labels ?? {};
  return Object.entries(b.metadata.labels ?? {}).every(([k, v]) => al[k] === v);
}

function inventoryOf(status: Status): { id: string }[] {
  const inventory = status['inventory'];
  if (!isJsonObject(inventory) || !Array.isArray(inventory['entries'])) return [];
  return inventory['entries'].filter((e): e is { id: string } => isJsonObject(e) && typeof e['id'] === 'string') as { id: string }[];
}

function objectOfEntry(id: string): { resource: ResourceKey; namespace: string; name: string } | undefined {
  const [namespace, name, , kind] = id.split('_');
  const resource = kind ? resourceOfKind(kind) : undefined;
  return resource && name ? { resource, namespace: namespace ?? '', name } : undefined;
}

function keyOf(object: KubeObject): string {
  return `${object.metadata.namespace ?? ''}/${object.metadata.name}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
  });
}

/**
 * A failed install or upgrade that used up its retries, as helm-controller v1.6.2 leaves the conditions: Released and
 * Ready False with the action's reason and message (Ready copies Released), Stalled RetriesExceeded, Reconciling gone.
 */
function stalledConditions(base: Status, reason: string, message: string, stalled: string, generation: number, now: string): Condition[] {
  return withConditions(
    { conditions: conditionsIn(base).filter((c) => c.type !== 'Reconciling') },
    [
      { type: 'Released', status: 'False', reason, message, observedGeneration: generation },
      { type: 'Stalled', status: 'True', reason: 'RetriesExceeded', message: stalled, observedGeneration: generation },
      { type: 'Ready', status: 'False', reason, message, observedGeneration: generation },
    ],
    now,
  );
}
