/**
 * The layer under a ClusterDeployment's `status.services`, simulated: the ServiceSets kcm creates and the Sveltos
 * ClusterSummaries whose status kcm reads the service states from.
 * - ServiceSet names: the deployment's own services go into ServiceSet `<cd>` in its namespace (kcm v1.11.4
 *   internal/controller/clusterdeployment_controller.go:2193 `client.ObjectKeyFromObject(cd)`); each
 *   MultiClusterService reaching it gets `<cd>-<first 4 bytes of sha256(mcs name), hex>` (internal/serviceset/util.go:41-62).
 * - ServiceSet shape: api/v1beta1/serviceset_types.go:121-267 — spec {cluster, multiClusterService, provider, services},
 *   status {cluster, conditions (ServiceSetProfile, ServiceSetStatusesCollected, ServicesInReadyState "x/y"),
 *   services (ServiceState), deployed, provider {ready, suspended}}; conditions as
 *   internal/controller/adapters/sveltos/serviceset_controller.go:740-760 (updateServicesInReadyStateCondition).
 * - ClusterSummary: Sveltos names it `p--<profile>-capi-<cluster>` for a Profile (addon-controller v1.12.0
 *   lib/clusterops/clustersummary.go:85-97), the Profile being named as its ServiceSet; its status carries
 *   featureSummaries (featureID Helm: Provisioning | Provisioned | Failed, the failure message "chart=…,
 *   releaseNamespace=…, releaseName=…: …" kcm parses, state.go:430-452) and helmReleaseSummaries (status Managing,
 *   valuesHash once installed, failureMessage), from which kcm derives each service's state (state.go:193-401).
 * A service's `conditions` carry what kcm's health verifier reports from v1.12.0-rc1 on (kcm 8373a24
 * internal/controller/adapters/sveltos/verify.go: one `ServiceHealth<Kind>` condition per Kind, False,
 * reason `<Kind>Unhealthy`, message "N <Kind> unhealthy: ns/name (reason, rule src)"); the sandbox writes one for the
 * service-fault label (docs/sandbox.md).
 * Objects are written by create/update/updateStatus through the KcmApi, so the same code runs on the kube backend.
 */
import { createHash } from 'node:crypto';
import type { KubeObject, ResourceKey } from '../apiserver/types.js';
import type { KcmApi } from './api.js';
import { deepEqual } from '../apiserver/util.js';
import { K0RDENT_API_VERSION, type JsonObject } from './resources.js';
import { SERVICE_STATES, type ServiceState } from './services.js';

export const SERVICE_SETS: ResourceKey = { group: 'k0rdent.mirantis.com', version: 'v1beta1', plural: 'servicesets' };
export const CLUSTER_SUMMARIES: ResourceKey = { group: 'config.projectsveltos.io', version: 'v1beta1', plural: 'clustersummaries' };
/** kcm's default StateManagementProvider (the Sveltos adapter). */
export const SVELTOS_PROVIDER = 'ksm-projectsveltos';

/** kcm internal/serviceset/util.go:41-62 ObjectKey (for a MultiClusterService), clusterdeployment_controller.go:2193 (its own). */
export function serviceSetName(cluster: string, multiClusterService?: string): string {
  if (multiClusterService === undefined) return cluster;
  return `${cluster}-${createHash('sha256').update(multiClusterService).digest('hex').slice(0, 8)}`;
}

/** addon-controller lib/clusterops/clustersummary.go:85-97 GetClusterSummaryName for a Profile on a CAPI cluster. */
export function clusterSummaryName(profile: string, cluster: string): string {
  return `p--${profile}-capi-${cluster}`;
}

/** One service as the sets see it: its state plus what Sveltos was asked to install. */
export interface SetService extends ServiceState {
  values?: string;
  /** The MultiClusterService it comes from; undefined for the deployment's own. */
  from?: string;
}

const hash = (text: string): string => createHash('sha256').update(text).digest('base64');

function condition(type: string, ok: boolean, reason: string, message: string, generation: number, now: string): JsonObject {
  return { type, status: ok ? 'True' : 'False', reason, message, lastTransitionTime: now, observedGeneration: generation };
}

/** Keeps lastTransitionTime of a condition whose status did not change (meta.SetStatusCondition). */
function keepTimes(next: JsonObject[], previous: unknown): JsonObject[] {
  const old = Array.isArray(previous) ? (previous as JsonObject[]) : [];
  return next.map((c) => {
    const was = old.find((o) => o['type'] === c['type']);
    return was && was['status'] === c['status'] ? { ...c, lastTransitionTime: was['lastTransitionTime'] } : c;
  });
}

/** The Helm feature summary Sveltos writes for these releases (shared with the real-kcm world's Sveltos, ../world/sveltos.ts). */
export function featureOf(services: SetService[], chartOf: (s: SetService) => string, now: string): JsonObject {
  const failed = services.filter((s) => s.state === SERVICE_STATES.failed);
  const status = failed.length > 0 ? 'Failed' : services.every((s) => s.state === SERVICE_STATES.deployed) ? 'Provisioned' : 'Provisioning';
  return {
    featureID: 'Helm',
    status,
    hash: hash(JSON.stringify(services.map((s) => [s.name, s.namespace, s.template, s.values ?? '']))),
    lastAppliedTime: now,
    ...(failed.length > 0
      ? {
          consecutiveFailures: 1,
          failureMessage: failed
            .map((s) => `chart=${chartOf(s)}, releaseNamespace=${s.namespace}, releaseName=${s.name}: ${s.failureMessage ?? 'failed'}`)
            .join('\n'),
        }
      : {}),
  };
}

/** One `helmReleaseSummaries` item: Managing; `valuesHash` once installed; the failure (addon-controller v1.12.0 HelmChartSummary). */
export function helmReleaseSummary(s: SetService): JsonObject {
  return {
    releaseName: s.name,
    releaseNamespace: s.namespace,
    status: 'Managing',
    ...(s.state === SERVICE_STATES.deployed ? { valuesHash: hash(s.values ?? '') } : {}),
    ...(s.state === SERVICE_STATES.failed && s.failureMessage ? { failureMessage: s.failureMessage } : {}),
  };
}

interface Written {
  object: KubeObject;
}

export class ServiceSetWriter {
  /** What this kcm wrote last, by `plural|namespace|name` (the kube backend's cache does not watch these kinds). */
  private readonly written = new Map<string, Written>();
  /** The sets of each deployment (uid → keys), to delete the ones no longer wanted. */
  private readonly byDeployment = new Map<string, Set<string>>();
  private queue: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly api: KcmApi,
    private readonly options: { log: (line: string) => void; chartOf: (s: SetService) => string },
  ) {}

  close(): void {
    this.closed = true;
  }

  /** The ServiceSets and ClusterSummaries of one deployment for these service states. */
  sync(cd: KubeObject, services: SetService[], now: string): void {
    const { namespace = '', name } = cd.metadata;
    const uid = cd.metadata.uid ?? '';
    const groups = new Map<string | undefined, SetService[]>();
    for (const s of services) groups.set(s.from, [...(groups.get(s.from) ?? []), s]);
    const wanted = new Set<string>();
    for (const [from, members] of groups) {
      const setName = serviceSetName(name, from);
      const set = this.serviceSet(cd, setName, from, members, now);
      wanted.add(this.key(SERVICE_SETS, namespace, setName));
      this.enqueue(SERVICE_SETS, set);
      // Sveltos has a ClusterSummary once it started on the cluster (a service past Pending).
      if (members.some((s) => s.state !== SERVICE_STATES.pending)) {
        const summary = this.clusterSummary(cd, setName, members, now);
        wanted.add(this.key(CLUSTER_SUMMARIES, namespace, summary.metadata.name));
        this.enqueue(CLUSTER_SUMMARIES, summary);
      }
    }
    const before = this.byDeployment.get(uid) ?? new Set<string>();
    for (const key of before) if (!wanted.has(key)) this.enqueueDelete(key);
    this.byDeployment.set(uid, wanted);
  }

  /** The deployment is gone: its sets and summaries go too. */
  forget(cd: KubeObject): void {
    const uid = cd.metadata.uid ?? '';
    for (const key of this.byDeployment.get(uid) ?? []) this.enqueueDelete(key);
    this.byDeployment.delete(uid);
  }

  private serviceSet(cd: KubeObject, setName: string, from: string | undefined, members: SetService[], now: string): KubeObject {
    const { namespace = '', name } = cd.metadata;
    const generation = 1;
    const deployed = members.filter((s) => s.state === SERVICE_STATES.deployed).length;
    const previous = this.written.get(this.key(SERVICE_SETS, namespace, setName))?.object.status;
    const states = members.map((s) => {
      const { values: _values, from: _from, ...state } = s;
      return state as unknown as JsonObject;
    });
    return {
      apiVersion: K0RDENT_API_VERSION,
      kind: 'ServiceSet',
      metadata: { name: setName, namespace, labels: { 'k0rdent.mirantis.com/component': 'kcm' } },
      spec: {
        cluster: name,
        ...(from !== undefined ? { multiClusterService: from } : {}),
        provider: { name: SVELTOS_PROVIDER },
        services: members.map((s) => ({
          name: s.name,
          namespace: s.namespace,
          template: s.template,
          ...(s.version !== undefined ? { version: s.version } : {}),
          ...(s.values !== undefined && s.values !== '' ? { values: s.values } : {}),
        })),
      },
      status: {
        cluster: { apiVersion: K0RDENT_API_VERSION, kind: 'ClusterDeployment', name, namespace },
        conditions: keepTimes(
          [
            condition('ServiceSetProfile', true, 'ServiceSetProfileReady', 'Profile is ready', generation, now),
            condition('ServiceSetStatusesCollected', true, 'ServiceSetStatusesCollected', 'Statuses collected', generation, now),
            condition(
              'ServicesInReadyState',
              deployed === members.length,
              deployed === members.length ? 'Succeeded' : 'Failed',
              `${deployed}/${members.length}`,
              generation,
              now,
            ),
          ],
          (previous as JsonObject | undefined)?.['conditions'],
        ),
        services: states,
        deployed: deployed === members.length,
        provider: { ready: true },
      },
    } as unknown as KubeObject;
  }

  private clusterSummary(cd: KubeObject, setName: string, members: SetService[], now: string): KubeObject {
    const { namespace = '', name } = cd.metadata;
    return {
      apiVersion: 'config.projectsveltos.io/v1beta1',
      kind: 'ClusterSummary',
      metadata: {
        name: clusterSummaryName(setName, name),
        namespace,
        labels: {
          'projectsveltos.io/profile-name': setName,
          'projectsveltos.io/cluster-name': name,
          'projectsveltos.io/cluster-type': 'Capi',
        },
      },
      spec: { clusterName: name, clusterNamespace: namespace, clusterType: 'Capi', clusterProfileSpec: {} },
      status: {
        featureSummaries: [this.stableFeature(namespace, clusterSummaryName(setName, name), featureOf(members, this.options.chartOf, now))],
        helmReleaseSummaries: members.map(helmReleaseSummary),
      },
    } as unknown as KubeObject;
  }

  /** Sveltos moves lastAppliedTime only when it applies again: the same hash and status keep the previous one. */
  private stableFeature(namespace: string, name: string, feature: JsonObject): JsonObject {
    const previous = (
      this.written.get(this.key(CLUSTER_SUMMARIES, namespace, name))?.object as { status?: { featureSummaries?: JsonObject[] } } | undefined
    )?.status?.featureSummaries?.[0];
    if (previous && previous['hash'] === feature['hash'] && previous['status'] === feature['status'])
      return { ...feature, lastAppliedTime: previous['lastAppliedTime'] };
    return feature;
  }

  private key(resource: ResourceKey, namespace: string, name: string): string {
    return `${resource.plural}|${namespace}|${name}`;
  }

  private enqueue(resource: ResourceKey, wanted: KubeObject): void {
    const key = this.key(resource, wanted.metadata.namespace ?? '', wanted.metadata.name);
    this.run(async () => {
      const known = this.written.get(key)?.object ?? this.api.get(resource, wanted.metadata.namespace, wanted.metadata.name);
      let object = known;
      if (object === undefined) {
        const { status: _status, ...body } = wanted as KubeObject & { status?: unknown };
        object = await this.api.create(resource, body as KubeObject);
      } else if (!deepEqual((object as { spec?: unknown }).spec, (wanted as { spec?: unknown }).spec)) {
        object = await this.api.update(resource, { ...object, spec: (wanted as { spec?: unknown }).spec } as KubeObject);
      }
      const status = (wanted as { status?: unknown }).status;
      if (!deepEqual((object as { status?: unknown }).status, status))
        object = await this.api.updateStatus(resource, wanted.metadata.namespace, wanted.metadata.name, status);
      this.written.set(key, { object });
    }, key);
  }

  private enqueueDelete(key: string): void {
    const [plural, namespace, name] = key.split('|') as [string, string, string];
    const resource = plural === SERVICE_SETS.plural ? SERVICE_SETS : CLUSTER_SUMMARIES;
    this.run(async () => {
      this.written.delete(key);
      await this.api.delete(resource, namespace, name);
    }, key);
  }

  /** Writes run one after another; a failed one is logged and forgotten (the next sync writes again). */
  private run(write: () => Promise<void>, key: string): void {
    this.queue = this.queue
      .then(async () => {
        if (!this.closed) await write();
      })
      .catch((err: unknown) => {
        this.written.delete(key);
        this.options.log(`kcm: service set write ${key} failed: ${err instanceof Error ? err.message : String(err)}`);
      });
  }
}
