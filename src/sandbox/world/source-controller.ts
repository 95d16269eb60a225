/**
 * Flux's source-controller, as far as kcm needs it (github.com/fluxcd/source-controller v1.9.3, the
 * version kcm v1.11.4 pins): every HelmChart gets its chart packed from the chart folders and served
 * over loopback HTTP at `/helmchart/<namespace>/<name>/<chart>-<version>.tgz` (the storage layout:
 * internal/controller/helmchart_controller.go:844 NewArtifactFor(kind, meta, version, "<chart>-<version>.tgz")),
 * and the status source-controller writes: `observedGeneration`, `observedChartName`, `url`,
 * `artifact{path,url,revision,digest,lastUpdateTime,size}`, `ArtifactInStorage` and `Ready` True with the
 * build summary "pulled '<chart>' chart with version '<version>'" and reason ChartPullSucceeded
 * (internal/helm/chart/builder.go:162-183 Summary, helmchart_controller.go:839 and :1272-1279
 * reasonForBuild). A chart no folder holds fails as a remote pull does: FetchFailed and Ready False with
 * reason ChartPullError. HelmRepositories of type oci have no status (helmrepository_controller.go:162-165,
 * :699-727 migrationToStatic); others get an index artifact and "stored artifact: revision '<digest>'"
 * (helmrepository_controller.go:529-535). Both carry Flux's finalizer (api/v1 condition_types.go:19).
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KubeObject, StoreEvent } from '../apiserver/types.js';
import type { KcmApi } from '../kcm/api.js';
import { chartVersionPublished, findChart, packChart, type ChartPackage } from './charts.js';
import { controllerLog, type ControllerLog } from './logs.js';
import { WorkQueue } from './queue.js';
import { HELM_CHARTS, HELM_REPOSITORIES, sameKey } from './resources.js';
import { addFinalizer, nowTime, removeFinalizer, specOf, splitKey, statusOf, withConditions, writeStatus } from './status.js';
import type { LogSink } from './types.js';

export const FLUX_FINALIZER = 'finalizers.fluxcd.io';
const GROUP = 'source.toolkit.fluxcd.io';

export interface SourceControllerOptions {
  chartRoots: string[];
  host: string;
  logSink?: LogSink;
  log: (line: string) => void;
}

export class SourceController {
  private readonly artifacts = new Map<string, Buffer>();
  /** One package per chart folder and version, shared by every HelmChart of it. */
  private readonly packed = new Map<string, ChartPackage>();
  private readonly charts: WorkQueue;
  private readonly repositories: WorkQueue;
  private readonly logs: ControllerLog;
  private server: Server | undefined;
  private baseUrl = '';
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly api: KcmApi,
    private readonly options: SourceControllerOptions,
  ) {
    this.logs = controllerLog('source-controller', options.logSink);
    this.charts = new WorkQueue(
      (key) => this.reconcileChart(key),
      (line) => options.log(`source-controller: ${line}`),
    );
    this.repositories = new WorkQueue(
      (key) => this.reconcileRepository(key),
      (line) => options.log(`source-controller: ${line}`),
    );
  }

  get url(): string {
    return this.baseUrl;
  }

  /** Listens and starts reconciling once the artifact server has its address (HelmChart statuses carry it). */
  start(): Promise<void> {
    const server = createServer((req, res) => {
      const path = decodeURIComponent((req.url ?? '/').split('?')[0] ?? '/');
      const data = req.method === 'GET' || req.method === 'HEAD' ? this.artifacts.get(path) : undefined;
      if (!data) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found\n');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/gzip', 'content-length': data.length });
      res.end(req.method === 'HEAD' ? undefined : data);
    });
    this.server = server;
    server.unref();
    return new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, this.options.host, () => {
        if (this.server !== server) return resolve();
        const address = server.address() as AddressInfo;
        this.baseUrl = `http://${this.options.host}:${address.port}`;
        this.unsubscribe = this.api.subscribe((event) => this.onEvent(event));
        for (const chart of this.api.list(HELM_CHARTS)) this.charts.enqueue(keyOf(chart));
        for (const repo of this.api.list(HELM_REPOSITORIES)) this.repositories.enqueue(keyOf(repo));
        resolve();
      });
    });
  }

  async close(): Promise<void> {
    this.unsubscribe?.();
    this.charts.close();
    this.repositories.close();
    const server = this.server;
    this.server = undefined;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  private onEvent({ resource, object }: StoreEvent): void {
    if (sameKey(resource, HELM_CHARTS)) this.charts.enqueue(keyOf(object));
    else if (sameKey(resource, HELM_REPOSITORIES)) this.repositories.enqueue(keyOf(object));
  }

  private async reconcileChart(key: string): Promise<undefined> {
    const { namespace, name } = splitKey(key);
    let chart = this.api.get(HELM_CHARTS, namespace, name);
    if (!chart) return undefined;
    const subject = { kind: 'HelmChart', group: GROUP, namespace, name };
    if (chart.metadata.deletionTimestamp) {
      for (const path of [...this.artifacts.keys()]) if (path.startsWith(`/helmchart/${namespace}/${name}/`)) this.artifacts.delete(path);
      await removeFinalizer(this.api, HELM_CHARTS, chart, FLUX_FINALIZER);
      this.logs.info(subject, 'garbage collected artifacts for deleted resource');
      return undefined;
    }
    chart = await addFinalizer(this.api, HELM_CHARTS, chart, FLUX_FINALIZER);
    const spec = specOf(chart);
    const chartName = typeof spec['chart'] === 'string' ? spec['chart'] : '';
    const wanted = typeof spec['version'] === 'string' && spec['version'] !== '' && spec['version'] !== '*' ? spec['version'] : undefined;
    const generation = chart.metadata.generation ?? 1;
    const status = statusOf(chart);
    const now = nowTime();
    const files = findChart(this.options.chartRoots, chartName);
    // A version kcm never published is not in the repository either: the same pull error as an unknown chart.
    if (!files || !chartVersionPublished(chartName, wanted)) {
      const repo = this.sourceRepository(chart);
      const repoUrl = typeof specOf(repo)['url'] === 'string' ? String(specOf(repo)['url']) : 'oci://ghcr.io/k0rdent/kcm/charts';
      const url = `${repoUrl}/${chartName}:${wanted ?? 'latest'}`;
      // source-controller internal/helm/chart/builder_remote.go:168, errors.go:82 (ErrChartPull "chart pull error").
      const message = `chart pull error: failed to download chart for remote reference: failed to get '${url}': ${url.replace(/^oci:\/\//, '')}: not found`;
      await writeStatus(this.api, HELM_CHARTS, chart, {
        ...status,
        observedGeneration: generation,
        conditions: withConditions(
          status,
          [
            { type: 'FetchFailed', status: 'True', reason: 'ChartPullError', message, observedGeneration: generation },
            { type: 'Ready', status: 'False', reason: 'ChartPullError', message, observedGeneration: generation },
          ],
          now,
        ),
      });
      this.logs.error(subject, 'Reconciler error', message);
      return undefined;
    }
    const version = wanted ?? files.version;
    const fileName = `${chartName}-${version}.tgz`;
    const path = `helmchart/${namespace}/${name}/${fileName}`;
    const packKey = `${files.dir}@${version}`;
    let pkg = this.packed.get(packKey);
    if (!pkg) this.packed.set(packKey, (pkg = packChart(files, version)));
    this.artifacts.set(`/${path}`, pkg.data);
    const artifact = statusOf(chart)['artifact'] as Record<string, unknown> | undefined;
    const summary = `pulled '${chartName}' chart with version '${version}'`;
    const unchanged = artifact?.['digest'] === pkg.digest && status['observedGeneration'] === generation;
    if (unchanged) return undefined;
    const url = `${this.baseUrl}/${path}`;
    await writeStatus(this.api, HELM_CHARTS, chart, {
      ...status,
      observedGeneration: generation,
      observedChartName: chartName,
      observedSourceArtifactRevision: undefined,
      url,
      artifact: { digest: pkg.digest, lastUpdateTime: now, path, revision: version, size: pkg.data.length, url },
      conditions: withConditions(
        {
          conditions: (Array.isArray(status['conditions']) ? status['conditions'] : []).filter(
            (c: { type?: string }) => c.type !== 'FetchFailed',
          ),
        },
        [
          { type: 'Ready', status: 'True', reason: 'ChartPullSucceeded', message: summary, observedGeneration: generation },
          { type: 'ArtifactInStorage', status: 'True', reason: 'ChartPullSucceeded', message: summary, observedGeneration: generation },
        ],
        now,
      ),
    });
    this.logs.info(subject, summary, { revision: version });
    return undefined;
  }

  private sourceRepository(chart: KubeObject): KubeObject | undefined {
    const ref = specOf(chart)['sourceRef'] as { kind?: string; name?: string } | undefined;
    if (ref?.kind !== 'HelmRepository' || !ref.name) return undefined;
    return this.api.get(HELM_REPOSITORIES, chart.metadata.namespace, ref.name);
  }

  private async reconcileRepository(key: string): Promise<undefined> {
    const { namespace, name } = splitKey(key);
    const repo = this.api.get(HELM_REPOSITORIES, namespace, name);
    if (!repo) return undefined;
    const spec = specOf(repo);
    if (spec['type'] === 'oci') {
      // A static object: no finalizer, no status (helmrepository_controller.go:699-727).
      if (repo.metadata.finalizers?.includes(FLUX_FINALIZER)) await removeFinalizer(this.api, HELM_REPOSITORIES, repo, FLUX_FINALIZER);
      return undefined;
    }
    if (repo.metadata.deletionTimestamp) {
      await removeFinalizer(this.api, HELM_REPOSITORIES, repo, FLUX_FINALIZER);
      return undefined;
    }
    const current = await addFinalizer(this.api, HELM_REPOSITORIES, repo, FLUX_FINALIZER);
    const generation = current.metadata.generation ?? 1;
    const status = statusOf(current);
    if (status['observedGeneration'] === generation) return undefined;
    const now = nowTime();
    const index = Buffer.from(`apiVersion: v1\nentries: {}\ngenerated: "${now}"\n`);
    const digest = `sha256:${createHash('sha256').update(index).digest('hex')}`;
    const path = `helmrepository/${namespace}/${name}/index-${digest.slice(7)}.yaml`;
    this.artifacts.set(`/${path}`, index);
    const message = `stored artifact: revision '${digest}'`;
    await writeStatus(this.api, HELM_REPOSITORIES, current, {
      observedGeneration: generation,
      url: `${this.baseUrl}/helmrepository/${namespace}/${name}/index.yaml`,
      artifact: { digest, lastUpdateTime: now, path, revision: digest, size: index.length, url: `${this.baseUrl}/${path}` },
      conditions: withConditions(
        status,
        [
          { type: 'Ready', status: 'True', reason: 'Succeeded', message, observedGeneration: generation },
          { type: 'ArtifactInStorage', status: 'True', reason: 'Succeeded', message, observedGeneration: generation },
        ],
        now,
      ),
    });
    this.logs.info({ kind: 'HelmRepository', group: GROUP, namespace, name }, message);
    return undefined;
  }
}

function keyOf(object: KubeObject): string {
  return `${object.metadata.namespace ?? ''}/${object.metadata.name}`;
}
