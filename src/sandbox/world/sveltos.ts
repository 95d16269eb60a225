/**
 * Sveltos's addon-controller (projectsveltos addon-controller v1.12.0, the version kcm v1.11.4 pins), for the
 * Profiles real kcm's built-in ServiceSet controller writes (kcm internal/controller/adapters/sveltos/
 * serviceset_controller.go:462-554 createOrUpdateProfile: a Profile named and namespaced as its ServiceSet,
 * `spec.clusterRefs` the deployment's CAPI Cluster, `spec.helmCharts` one per service). What kcm reads back:
 * - `status.matchingClusters` of the Profile (status.go:41-44 MatchingClusterRefs; kcm serviceset_controller.go:795-853
 *   takes the first one);
 * - the ClusterSummary `p--<profile>-capi-<cluster>` in the cluster's namespace (lib/clusterops/clustersummary.go:85-97),
 *   labelled `projectsveltos.io/profile-name`, `projectsveltos.io/cluster-name`, `projectsveltos.io/cluster-type`
 *   (clustersummary.go:36-62), its `spec.clusterProfileSpec` the Profile's spec, and its status: `featureSummaries`
 *   (Helm: Provisioning while installing, Provisioned, Failed with `chart=…, releaseNamespace=…, releaseName=…: …`)
 *   and `helmReleaseSummaries` (Managing; `valuesHash` once installed; `failureMessage`), from which kcm derives each
 *   service's state (kcm state.go:193-401 featureHelm). kcm polls the summaries every 10 s (enqueue.go,
 *   serviceset_controller.go:331-343), so a state reaches the ServiceSet up to 10 s after it is written here.
 * Sveltos configures a cluster only once its control plane is initialized (libsveltos clusterproxy
 * IsClusterReadyToBeConfigured); until then the Profile matches nothing and kcm keeps the services Provisioning.
 * An install takes `actionMs` (the world's Helm action time). The service-fault label on the ClusterDeployment
 * (docs/sandbox.md "The service fault") fails that release's install with the message of ../kcm/services.ts
 * serviceFault. Deletion: the Profile carries `profilefinalizer.projectsveltos.io` (api/v1beta1/profile_types.go:27);
 * when kcm deletes it, its ClusterSummaries go, then the finalizer.
 * Not simulated: ClusterProfiles (kcm writes one only for a self-managing ServiceSet of the management cluster),
 * SveltosClusters, kustomization and policy refs (featureSummaries carry Helm only), drift detection.
 */
import { createHash } from 'node:crypto';
import type { KubeObject, ResourceKey, StoreEvent } from '../apiserver/types.js';
import type { KcmApi } from '../kcm/api.js';
import { CLUSTER_DEPLOYMENTS, isJsonObject, type JsonObject } from '../kcm/resources.js';
import { CLUSTER_SUMMARIES, clusterSummaryName, featureOf, helmReleaseSummary, type SetService } from '../kcm/services-sets.js';
import { SERVICE_FAULT_LABEL, SERVICE_STATES, serviceFault } from '../kcm/services.js';
import { WorkQueue } from './queue.js';
import { CLUSTERS, apiVersionOf, sameKey } from './resources.js';
import { addFinalizer, isConflict, isNotFound, nowTime, removeFinalizer, specOf, splitKey, statusOf, writeStatus } from './status.js';

export const SVELTOS_GROUP = 'config.projectsveltos.io';
export const PROFILES: ResourceKey = { group: SVELTOS_GROUP, version: 'v1beta1', plural: 'profiles' };
/** What a KubeCache must watch for Sveltos, beside WORLD_RESOURCES. */
export const SVELTOS_RESOURCES: ResourceKey[] = [PROFILES, CLUSTER_SUMMARIES];

const PROFILE_FINALIZER = 'profilefinalizer.projectsveltos.io';
const PROFILE_LABEL = 'projectsveltos.io/profile-name';
const CLUSTER_NAME_LABEL = 'projectsveltos.io/cluster-name';
const CLUSTER_TYPE_LABEL = 'projectsveltos.io/cluster-type';

const NAMESPACES: ResourceKey = { group: '', version: 'v1', plural: 'namespaces' };
const DEPLOYMENTS: ResourceKey = { group: 'apps', version: 'v1', plural: 'deployments' };

/** The namespace and Deployment of Sveltos's addon-controller in a k0rdent install (kcm management_controller.go:418-421). */
export const SVELTOS_NAMESPACE = 'projectsveltos';
export const ADDON_CONTROLLER = 'addon-controller';

interface HelmChartSpec {
  releaseName: string;
  releaseNamespace: string;
  chartName: string;
  chartVersion: string;
  values: string;
}

function helmChartsOf(profile: KubeObject): HelmChartSpec[] {
  const raw = specOf(profile)['helmCharts'];
  if (!Array.isArray(raw)) return [];
  return raw.filter(isJsonObject).map((c) => ({
    releaseName: String(c['releaseName'] ?? ''),
    releaseNamespace: String(c['releaseNamespace'] ?? ''),
    chartName: String(c['chartName'] ?? ''),
    chartVersion: String(c['chartVersion'] ?? ''),
    values: typeof c['values'] === 'string' ? c['values'] : '',
  }));
}

/** libsveltos clusterproxy IsClusterReadyToBeConfigured: the CAPI Cluster's control plane is initialized. */
function controlPlaneInitialized(cluster: KubeObject | undefined): boolean {
  const status = statusOf(cluster);
  const init = status['initialization'];
  if (isJsonObject(init) && init['controlPlaneInitialized'] === true) return true;
  const conditions = Array.isArray(status['conditions']) ? status['conditions'].filter(isJsonObject) : [];
  return conditions.some((c) => c['type'] === 'ControlPlaneInitialized' && c['status'] === 'True');
}

const digest = (text: string): string => createHash('sha256').update(text).digest('hex');

/**
 * The objects kcm's StateManagementProvider `ksm-projectsveltos` checks before it is Ready (kcm v1.11.4
 * management_controller.go:403-487 ensureStateManagementProvider; statemanagementprovider_controller.go:404-527):
 * the adapter Deployment (kcm's own, named by KCM_NAME in kcm-system) and the provisioner Deployment
 * `projectsveltos/addon-controller`, each with `availableReplicas == replicas == updatedReplicas == readyReplicas`
 * (the readiness rule, evaluated on the status), and the CRDs profiles and clustersummaries of
 * config.projectsveltos.io v1beta1 (served from the control plane's CRD set). No Deployment controller runs in the
 * test control plane, so the status written here stays.
 */
export async function installSveltosProvisioner(api: KcmApi, adapter: { namespace: string; name: string }): Promise<void> {
  const tolerate = async (write: () => Promise<unknown>): Promise<void> => {
    try {
      await write();
    } catch (err) {
      if (!isConflict(err)) throw err;
    }
  };
  await tolerate(() => api.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: SVELTOS_NAMESPACE } }));
  for (const { namespace, name, image } of [
    { namespace: adapter.namespace, name: adapter.name, image: 'ghcr.io/k0rdent/kcm/controller:1.11.4' },
    { namespace: SVELTOS_NAMESPACE, name: ADDON_CONTROLLER, image: 'docker.io/projectsveltos/addon-controller:v1.12.0' },
  ]) {
    const labels = { 'app.kubernetes.io/name': name };
    await tolerate(() =>
      api.create(DEPLOYMENTS, {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name, namespace, labels },
        spec: {
          replicas: 1,
          selector: { matchLabels: labels },
          template: { metadata: { labels }, spec: { containers: [{ name: 'manager', image }] } },
        },
      } as unknown as KubeObject),
    );
    const status = { observedGeneration: 1, replicas: 1, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1 };
    await api.updateStatus(DEPLOYMENTS, namespace, name, status);
  }
}

export interface SveltosOptions {
  /** How long one Helm install takes (the world's Helm action time). */
  actionMs: number;
  log: (line: string) => void;
}

/** What was last applied to a ClusterSummary: the hash of its Helm charts and when that apply started. */
interface Applying {
  hash: string;
  since: number;
}

export class SveltosController {
  private readonly work: WorkQueue;
  private readonly applying = new Map<string, Applying>();
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly api: KcmApi,
    private readonly options: SveltosOptions,
  ) {
    this.work = new WorkQueue(
      (key) => this.reconcile(key),
      (line) => options.log(`sveltos: ${line}`),
    );
  }

  start(): void {
    this.unsubscribe = this.api.subscribe((event) => this.onEvent(event));
    for (const profile of this.api.list(PROFILES)) this.work.enqueue(`${profile.metadata.namespace ?? ''}/${profile.metadata.name}`);
  }

  close(): void {
    this.unsubscribe?.();
    this.work.close();
  }

  private onEvent({ resource, object }: StoreEvent): void {
    const { namespace = '', name } = object.metadata;
    if (sameKey(resource, PROFILES)) {
      this.work.enqueue(`${namespace}/${name}`);
      return;
    }
    if (sameKey(resource, CLUSTER_SUMMARIES)) {
      const profile = object.metadata.labels?.[PROFILE_LABEL];
      if (profile) this.work.enqueue(`${namespace}/${profile}`);
      return;
    }
    // A Cluster whose control plane comes up, a deployment whose service-fault label changes: its Profiles.
    if (sameKey(resource, CLUSTERS) || sameKey(resource, CLUSTER_DEPLOYMENTS)) {
      for (const profile of this.api.list(PROFILES, { namespace })) {
        const refs = specOf(profile)['clusterRefs'];
        if (Array.isArray(refs) && refs.some((r) => isJsonObject(r) && r['name'] === name))
          this.work.enqueue(`${namespace}/${profile.metadata.name}`);
      }
    }
  }

  private summariesOf(namespace: string, profile: string): KubeObject[] {
    return this.api.list(CLUSTER_SUMMARIES, { namespace }).filter((s) => s.metadata.labels?.[PROFILE_LABEL] === profile);
  }

  private async reconcile(key: string): Promise<number | undefined> {
    const { namespace, name } = splitKey(key);
    const profile = this.api.get(PROFILES, namespace, name);
    if (!profile || profile.metadata.deletionTimestamp) {
      // The Profile goes: its ClusterSummaries first (Sveltos removes what they deployed), then the finalizer.
      for (const summary of this.summariesOf(namespace, name)) {
        this.applying.delete(`${namespace}/${summary.metadata.name}`);
        await this.api.delete(CLUSTER_SUMMARIES, namespace, summary.metadata.name);
      }
      if (profile) await removeFinalizer(this.api, PROFILES, profile, PROFILE_FINALIZER).catch(ignoreNotFound);
      return undefined;
    }
    const current = await addFinalizer(this.api, PROFILES, profile, PROFILE_FINALIZER);
    // Profiles match clusters in their own namespace only (addon-controller profile_controller.go:297 limitReferencesToNamespace).
    const refs = (Array.isArray(specOf(current)['clusterRefs']) ? (specOf(current)['clusterRefs'] as unknown[]) : [])
      .filter(isJsonObject)
      .filter((r) => r['kind'] === 'Cluster' && (r['namespace'] ?? namespace) === namespace)
      .map((r) => String(r['name'] ?? ''))
      .filter((cluster) => controlPlaneInitialized(this.api.get(CLUSTERS, namespace, cluster)));
    await writeStatus(this.api, PROFILES, current, {
      ...statusOf(current),
      matchingClusters:
        refs.length > 0
          ? refs.map((cluster) => ({ apiVersion: apiVersionOf(CLUSTERS), kind: 'Cluster', namespace, name: cluster }))
          : undefined,
    });
    const wanted = new Set(refs.map((cluster) => clusterSummaryName(name, cluster)));
    for (const summary of this.summariesOf(namespace, name)) {
      if (wanted.has(summary.metadata.name)) continue;
      this.applying.delete(`${namespace}/${summary.metadata.name}`);
      await this.api.delete(CLUSTER_SUMMARIES, namespace, summary.metadata.name);
    }
    let requeue: number | undefined;
    for (const cluster of refs) {
      const next = await this.syncSummary(current, cluster);
      if (next !== undefined) requeue = Math.min(requeue ?? next, next);
    }
    return requeue;
  }

  /** The ClusterSummary of one matched cluster; returns when to look again (an install still running). */
  private async syncSummary(profile: KubeObject, cluster: string): Promise<number | undefined> {
    const namespace = profile.metadata.namespace ?? '';
    const profileName = profile.metadata.name;
    const name = clusterSummaryName(profileName, cluster);
    const spec: JsonObject = {
      clusterNamespace: namespace,
      clusterName: cluster,
      clusterType: 'Capi',
      clusterProfileSpec: specOf(profile) as JsonObject,
    };
    let summary = this.api.get(CLUSTER_SUMMARIES, namespace, name);
    if (!summary) {
      summary = await this.api.create(CLUSTER_SUMMARIES, {
        apiVersion: `${SVELTOS_GROUP}/v1beta1`,
        kind: 'ClusterSummary',
        metadata: {
          name,
          namespace,
          labels: { [PROFILE_LABEL]: profileName, [CLUSTER_NAME_LABEL]: cluster, [CLUSTER_TYPE_LABEL]: 'Capi' },
          ownerReferences: [
            { apiVersion: apiVersionOf(PROFILES), kind: 'Profile', name: profileName, uid: profile.metadata.uid ?? '', controller: true },
          ],
        },
        spec,
      } as unknown as KubeObject);
    } else if (digest(JSON.stringify(specOf(summary))) !== digest(JSON.stringify(spec))) {
      summary = await this.api.update(CLUSTER_SUMMARIES, { ...summary, spec } as KubeObject);
    }
    const charts = helmChartsOf(profile);
    const hash = digest(JSON.stringify(charts));
    const key = `${namespace}/${name}`;
    let applying = this.applying.get(key);
    if (!applying || applying.hash !== hash) {
      applying = { hash, since: Date.now() };
      this.applying.set(key, applying);
    }
    const remaining = applying.since + this.options.actionMs - Date.now();
    const deployment = this.api.get(CLUSTER_DEPLOYMENTS, namespace, cluster);
    const now = nowTime();
    const services: SetService[] = charts.map((c) => {
      const fault =
        deployment && deployment.metadata.labels?.[SERVICE_FAULT_LABEL] === c.releaseName
          ? serviceFault(
              deployment,
              {
                name: c.releaseName,
                namespace: c.releaseNamespace,
                rawNamespace: c.releaseNamespace,
                template: '',
                templateChain: '',
                version: '',
                dependsOn: [],
                disable: false,
              },
              now,
            )
          : undefined;
      const state = remaining > 0 ? SERVICE_STATES.provisioning : fault ? SERVICE_STATES.failed : SERVICE_STATES.deployed;
      return {
        name: c.releaseName,
        namespace: c.releaseNamespace,
        template: c.chartName,
        type: 'Helm',
        state,
        lastStateTransitionTime: now,
        values: c.values,
        ...(state === SERVICE_STATES.failed && fault ? { failureMessage: fault.failureMessage } : {}),
      };
    });
    const previous = statusOf(summary);
    const feature = featureOf(services, (s) => charts.find((c) => c.releaseName === s.name)?.chartName ?? s.template, now);
    // lastAppliedTime moves only when Sveltos applies again (the same hash and status keep it).
    const before = Array.isArray(previous['featureSummaries']) ? previous['featureSummaries'].filter(isJsonObject)[0] : undefined;
    if (before && before['hash'] === feature['hash'] && before['status'] === feature['status'])
      feature['lastAppliedTime'] = before['lastAppliedTime'] ?? now;
    await writeStatus(this.api, CLUSTER_SUMMARIES, summary, {
      ...previous,
      featureSummaries: charts.length > 0 ? [feature] : undefined,
      helmReleaseSummaries: services.length > 0 ? services.map(helmReleaseSummary) : undefined,
    });
    return remaining > 0 ? remaining : undefined;
  }
}

function ignoreNotFound(err: unknown): void {
  if (!isNotFound(err)) throw err;
}
