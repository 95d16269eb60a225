/**
 * The simulated kcm controller: reacts to watch events, gives Credentials and ClusterTemplates their
 * kcm status, and walks ClusterDeployments through kcm's conditions on timers (provisioning and
 * deletion). It talks to a KcmApi (./api.ts): the embedded store or a real API server, where its writes
 * are object updates and status-subresource writes. Reconciles run outside the write path (queued on
 * setImmediate), one drain at a time; a reconcile whose write fails is retried with a backoff.
 */
import { isDeepStrictEqual } from 'node:util';
import type { KubeObject, ResourceKey, StoreEvent } from '../apiserver/types.js';
import type { KcmApi } from './api.js';
import { reconcileAccessManagement } from './access-management.js';
import { defaultKindMapper, type KindMapper } from './access-rules.js';
import { reconcileTemplateChains } from './template-chains.js';
import { loadChartCatalog, type ChartCatalog } from './charts.js';
import {
  BLOCKING_FINALIZER,
  DELETION_REFERENCES,
  deletionPass,
  needsChildCleanup,
  infraClusterOf,
  nextSimulated,
  observeDeletionWorld,
  simulatedWorld,
} from './deletion.js';
import { aggregateCapi, capiClusterOf, copyReleaseReady, desiredHelmRelease, ensureHelmRelease } from './release.js';
import { withReadyCondition, type Condition } from './conditions.js';
import { HELM_NAME_LABEL } from '../world/render.js';
import { CLUSTERS, HELM_RELEASES } from '../world/resources.js';
import { PROVISIONED_ANNOTATION, type LogSink } from '../world/types.js';
import { recordEvent } from './events.js';
import { ensureKubeconfigSecret } from './kubeconfig-secret.js';
import { CHILD_CLEANUP_TIMEOUT_MS, cleanupChildCluster } from './child-cleanup.js';
import {
  availableUpgrades,
  conditionsOf,
  missingCredentialOutcome,
  withCredentialReadiness,
  releaseInstalled,
  restampCopiedConditions,
  validateDeployment,
  type KcmEvent,
  type ValidationOutcome,
} from './deployment-status.js';
import {
  ACCESS_MANAGEMENTS,
  CLUSTER_AUDIT_POLICIES,
  CLUSTER_AUTHENTICATIONS,
  CLUSTER_DEPLOYMENT_FINALIZER,
  CLUSTER_TEMPLATE_CHAINS,
  CLUSTER_DEPLOYMENTS,
  CLUSTER_TEMPLATES,
  COMPONENT_LABEL,
  CONFIG_MAPS,
  CREDENTIAL_FINALIZER,
  CREDENTIALS,
  DATA_SOURCES,
  MULTI_CLUSTER_SERVICES,
  SERVICE_TEMPLATE_CHAINS,
  SERVICE_TEMPLATES,
  NAMESPACES,
  SYSTEM_NAMESPACE,
  sameResource,
  section,
  type JsonObject,
} from './resources.js';
import { ensureHelmChart, reconcileCredential, reconcileTemplate } from './status.js';
import { reconcileRegionalCredential, regionalIdentity } from './regional-credential.js';
import { ServicesController } from './services-controller.js';

export interface KcmControllerOptions {
  /** Seconds from creation to Ready=True (default 5). */
  provisionSeconds?: number;
  /** Seconds from deletion request to the finalizer's removal (default 3). */
  deleteSeconds?: number;
  /** Seconds between AccessManagement's periodic reconciles (default 120, kcm's defaultPollInterval). */
  accessManagementPollSeconds?: number;
  log?: (line: string) => void;
  catalog?: ChartCatalog;
  /** Receives the log lines of the world's controllers (../world). */
  logSink?: LogSink;
  /** Start the world below kcm with the controller (default true; a caller that starts it itself says false). */
  world?: boolean;
}

interface Walk {
  kind: 'provision' | 'delete' | 'settled' | 'failed';
  generation: number;
  timers: Set<NodeJS.Timeout>;
  /** The step now running (steps of a walk never overlap). */
  chain: Promise<void>;
  /** The spec the walk settled on, without serviceSpec: a services-only change does not re-walk the cluster. */
  clusterSpec?: string;
  /** The cluster spec of the last release the walks installed (a re-check of the same spec re-walks nothing). */
  appliedSpec?: string;
  /** Consecutive failed reconciles (the rate limiter's fast attempts). */
  attempts?: number;
  /** Set once the walk's checks have passed. */
  validated?: boolean;
  /** An event arrived while the checks were running: they are run again if they fail. */
  dirty?: boolean;
  /** A deletion walk: the deployment's namespace, and how to retry a pass blocked on a missing reference. */
  namespace?: string;
  resume?: () => void;
  /** A deployment found Ready at start (seeded): taken as reconciled until its spec changes. */
  adopted?: boolean;
}

/** The generated `--scale` namespaces (../seed/scale.ts) have no world below kcm: thousands of clusters would slow start-up. */
function scaleNamespace(reader: { get: KcmApi['get'] }, namespace: string): boolean {
  return reader.get(NAMESPACES, undefined, namespace)?.metadata.labels?.['k0rdent.mirantis.com/scale'] === 'true';
}

const clusterSpecOf = (deployment: KubeObject): string => JSON.stringify({ ...section(deployment, 'spec'), serviceSpec: undefined });

function keyOf(key: Key): string {
  return `${key.resource.plural}/${key.namespace ?? ''}/${key.name}`;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

type Key = { resource: ResourceKey; namespace: string | undefined; name: string };

/** A failed reconcile is retried after 200ms, 400ms, … up to this many times (then the next event retries). */
const MAX_RETRIES = 6;

/** kcm's rate limiter (internal/util/ratelimit/ratelimit.go:25-29): 300 fast retries, then every 2 minutes. */
const REQUEUE_FAST_ATTEMPTS = 300;
const REQUEUE_SLOW_MS = 120_000;

/** builtinKinds (kcm accessmanagement_controller.go:1014-1023). */
const BUILTIN_SOURCES = [
  CLUSTER_TEMPLATE_CHAINS,
  SERVICE_TEMPLATE_CHAINS,
  CREDENTIALS,
  CLUSTER_AUTHENTICATIONS,
  DATA_SOURCES,
  CLUSTER_AUDIT_POLICIES,
];

/** kcm's per-item retry of a failed reconcile (kcm internal/util/ratelimit/ratelimit.go:27 DefaultFastDelay). */
const BLOCKED_RETRY_MS = 5000;

export class KcmController {
  private readonly provisionMs: number;
  private readonly deleteMs: number;
  /** kcm's 5 s fast requeue, compressed with provisioning: never longer than provisionSeconds (at least 100 ms). */
  private readonly requeueMs: number;
  private readonly log: (line: string) => void;
  private readonly catalog: ChartCatalog;
  private readonly walks = new Map<string, Walk>();
  private readonly queue = new Map<string, Key>();
  private immediate: NodeJS.Immediate | undefined;
  private accessManagementPending = false;
  private chainsPending = false;
  private readonly mapper: KindMapper = defaultKindMapper();
  private readonly accessManagementPollMs: number;
  private poll: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private closed = false;
  private draining: Promise<void> | undefined;
  private readonly retries = new Map<string, { attempts: number; timer?: NodeJS.Timeout }>();
  private readonly services: ServicesController;

  constructor(
    private readonly store: KcmApi,
    options: KcmControllerOptions = {},
  ) {
    this.provisionMs = Math.max(0, (options.provisionSeconds ?? 5) * 1000);
    this.deleteMs = Math.max(0, (options.deleteSeconds ?? 3) * 1000);
    this.requeueMs = Math.max(100, Math.min(5000, this.provisionMs));
    this.log = options.log ?? (() => undefined);
    this.catalog = options.catalog ?? loadChartCatalog();
    this.accessManagementPollMs = Math.max(100, (options.accessManagementPollSeconds ?? 120) * 1000);
    // A service install takes 40% of a cluster's provisioning time.
    this.services = new ServicesController(store, { serviceMs: this.provisionMs * 0.4, now: () => this.now(), log: this.log });
  }

  /**
   * Resolves once every deployment found Ready at start has its world (HelmRelease Ready, CAPI Cluster up),
   * so a caller that deletes or inspects a seeded deployment finds what kcm would find; rejects after `timeoutMs`
   * (3 min: a bound for a broken world, not a pace — at load ~20 on 2 cores the world took over 60 s).
   */
  async adopted(timeoutMs = 180_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const pending = [...this.store.list(CLUSTER_DEPLOYMENTS)].filter((d) => {
        const walk = this.walks.get(d.metadata.uid ?? '');
        if (d.metadata.deletionTimestamp || section(d, 'spec')['dryRun'] === true) return false;
        if (scaleNamespace(this.store, d.metadata.namespace ?? '')) return false;
        // Not reconciled yet: pending when it is one kcm will adopt (Ready at its generation).
        if (!walk)
          return (
            section(d, 'status')['observedGeneration'] === d.metadata.generation &&
            conditionsOf(d).some((c) => c.type === 'Ready' && c.status === 'True')
          );
        if (!walk.adopted) return false;
        const release = this.store.get(HELM_RELEASES, d.metadata.namespace, d.metadata.name);
        const ready = ((section(release ?? d, 'status')['conditions'] ?? []) as Condition[]).some(
          (c) => c.type === 'Ready' && c.status === 'True',
        );
        const cluster = capiClusterOf(this.store, d);
        return !release || !ready || !cluster || cluster.metadata.annotations?.[PROVISIONED_ANNOTATION] === 'true';
      });
      if (pending.length === 0 || this.closed) return;
      if (Date.now() > deadline)
        throw new Error(`kcm: the world of ${pending.length} seeded deployments did not come up in ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Subscribes to the store and reconciles what is already there. */
  start(): void {
    this.unsubscribe = this.store.subscribe((event) => this.onEvent(event));
    for (const resource of [CREDENTIALS, CLUSTER_TEMPLATES, CLUSTER_DEPLOYMENTS]) {
      for (const object of this.store.list(resource)) this.enqueue(resource, object);
    }
    this.scheduleAccessManagement();
    this.scheduleChains();
    // kcm re-reconciles AccessManagement on a poller (accessmanagement_controller.go:1102-1116): what it
    // does not watch (deleted copies, source changes other than labels) is picked up there.
    this.poll = setInterval(() => this.scheduleAccessManagement(), this.accessManagementPollMs);
    this.poll.unref();
  }

  close(): void {
    this.closed = true;
    if (this.poll) clearInterval(this.poll);
    this.services.close();
    this.unsubscribe?.();
    if (this.immediate) clearImmediate(this.immediate);
    for (const retry of this.retries.values()) if (retry.timer) clearTimeout(retry.timer);
    this.retries.clear();
    for (const walk of this.walks.values()) this.cancel(walk);
    this.walks.clear();
    this.queue.clear();
  }

  private onEvent(event: StoreEvent): void {
    const { resource, object } = event;
    if (sameResource(resource, CLUSTER_DEPLOYMENTS) && event.type === 'DELETED') {
      const walk = this.walks.get(object.metadata.uid ?? '');
      if (walk) this.cancel(walk);
      this.walks.delete(object.metadata.uid ?? '');
      this.services.forget(object);
      return;
    }
    // kcm requeues every MultiClusterService each 10 s (multiclusterservice_controller.go:78-86, :465), so a template
    // made (or made valid) in the system namespace lets a failed check pass on the next pass; the sandbox looks again
    // when such a template changes (with webhooks on, kcm sets no ServiceTemplate watch: :491-521).
    if (
      sameResource(resource, MULTI_CLUSTER_SERVICES) ||
      (sameResource(resource, SERVICE_TEMPLATES) &&
        object.metadata.namespace === SYSTEM_NAMESPACE &&
        this.store.list(MULTI_CLUSTER_SERVICES).length > 0)
    )
      this.services.multiClusterServiceChanged();
    if (
      resource.group === HELM_RELEASES.group ||
      resource.group === CLUSTERS.group ||
      resource.group === 'infrastructure.cluster.x-k8s.io'
    ) {
      this.worldChanged(resource, object);
      return;
    }
    // kcm watches Credentials and reconciles the deployments that name them, on every event type
    // (clusterdeployment_controller.go:2316-2319, mapObjectsToClusterDeployments :2231-2252).
    if (sameResource(resource, CREDENTIALS)) this.enqueueDeploymentsNaming(object);
    if (DELETION_REFERENCES.some((r) => sameResource(resource, r))) this.resumeBlockedDeletions(object.metadata.namespace);
    if (event.type === 'DELETED') return;
    if (this.affectsAccessManagement(event)) this.scheduleAccessManagement();
    if (this.affectsChains(event)) this.scheduleChains();
    if (sameResource(resource, CLUSTER_DEPLOYMENTS) || sameResource(resource, CLUSTER_TEMPLATES) || sameResource(resource, CREDENTIALS)) {
      this.enqueue(resource, object);
    }
  }

  /**
   * What kcm's AccessManagement controller watches (accessmanagement_controller.go:1072-1100, :993-1048): the
   * AccessManagement itself, created or relabelled Namespaces, and created or relabelled objects of the
   * built-in Kinds in the system namespace (deletes and other changes wait for the poller).
   */
  private affectsAccessManagement({ type, resource, object, oldObject }: StoreEvent): boolean {
    if (sameResource(resource, ACCESS_MANAGEMENTS)) return true;
    const createdOrRelabelled =
      type === 'ADDED' || JSON.stringify(object.metadata.labels ?? {}) !== JSON.stringify(oldObject?.metadata.labels ?? {});
    if (sameResource(resource, NAMESPACES)) return createdOrRelabelled;
    return BUILTIN_SOURCES.some((r) => sameResource(resource, r)) && object.metadata.namespace === SYSTEM_NAMESPACE && createdOrRelabelled;
  }

  /** The template chain controllers watch the chains and (for a source turning valid) the system templates. */
  private affectsChains({ resource, object }: StoreEvent): boolean {
    if (sameResource(resource, CLUSTER_TEMPLATE_CHAINS) || sameResource(resource, SERVICE_TEMPLATE_CHAINS)) return true;
    return (
      (sameResource(resource, CLUSTER_TEMPLATES) || sameResource(resource, SERVICE_TEMPLATES)) &&
      object.metadata.namespace === SYSTEM_NAMESPACE
    );
  }

  /**
   * A HelmRelease, CAPI object or infrastructure cluster changed: kcm reconciles the deployment it belongs to
   * (kcm owns the HelmRelease, clusterdeployment_controller.go SetupWithManager `Owns`; it polls the CAPI
   * Cluster, `--capi-cluster-poll-interval`, which the sandbox answers at once). A deletion in progress runs
   * its next pass.
   */
  private worldChanged(resource: ResourceKey, object: KubeObject): void {
    const namespace = object.metadata.namespace ?? '';
    let name: string | undefined;
    if (sameResource(resource, HELM_RELEASES)) name = object.metadata.ownerReferences?.find((o) => o.kind === 'ClusterDeployment')?.name;
    else if (sameResource(resource, CLUSTERS)) name = object.metadata.labels?.[HELM_NAME_LABEL];
    if (name) {
      const deployment = this.store.get(CLUSTER_DEPLOYMENTS, namespace, name);
      if (deployment) this.enqueue(CLUSTER_DEPLOYMENTS, deployment);
    }
    for (const walk of this.walks.values()) if (walk.kind === 'delete' && walk.namespace === namespace) walk.resume?.();
  }

  /**
   * kcm's reconcileHelmRelease (clusterdeployment_controller.go:536-594) after the checks: create or update the
   * HelmRelease, copy its Ready, summarise the CAPI Cluster (./release.ts), one status write, then kcm's events.
   * Ready once both are: the walk settles on this spec.
   */
  private async track(deployment: KubeObject, walk: Walk): Promise<void> {
    const namespace = deployment.metadata.namespace ?? '';
    const spec = section(deployment, 'spec');
    const template = this.store.get(CLUSTER_TEMPLATES, namespace, String(spec['template'] ?? ''));
    if (!template) return;
    const credential = this.store.get(CREDENTIALS, namespace, String(spec['credential'] ?? ''));
    const now = this.now();
    const ref = `${namespace}/${deployment.metadata.name}`;
    const events: KcmEvent[] = [];
    const { release, operation } = await ensureHelmRelease(this.store, desiredHelmRelease(deployment, template, credential));
    if (operation === 'created')
      events.push({ type: 'Normal', reason: 'HelmReleaseCreated', message: `Successfully created HelmRelease ${ref}` });
    if (operation === 'updated')
      events.push({ type: 'Normal', reason: 'HelmReleaseUpdated', message: `Successfully updated HelmRelease ${ref}` });
    const latest = this.store.get(CLUSTER_DEPLOYMENTS, namespace, deployment.metadata.name) ?? deployment;
    const generation = latest.metadata.generation ?? 1;
    const checked = withCredentialReadiness(conditionsOf(latest), latest, credential, now);
    events.push(...checked.events);
    const copied = copyReleaseReady(latest, release, checked.conditions, now);
    events.push(...copied.events);
    const capi = aggregateCapi(this.store, latest, copied.conditions, now);
    events.push(...capi.events);
    const conditions = withReadyCondition(capi.conditions, generation, now);
    const written = await this.writeStatus(latest, { conditions: conditions as unknown as JsonObject[] }, true);
    for (const event of events) await recordEvent(this.store, written, event, now);
    if (conditions.some((c: Condition) => c.type === 'Ready' && c.status === 'True') && capi.cluster) {
      if (walk.kind === 'provision') walk.kind = 'settled';
      walk.appliedSpec = walk.clusterSpec;
      await ensureKubeconfigSecret(this.store, written);
    }
  }

  /**
   * A deployment found Ready when kcm starts (a seeded one) gets the HelmRelease it would have, annotated so the
   * world provisions its cluster at once; its conditions stay as they are until its spec changes.
   */
  private async adopt(deployment: KubeObject): Promise<void> {
    if (section(deployment, 'spec')['dryRun'] === true) return;
    const namespace = deployment.metadata.namespace ?? '';
    if (scaleNamespace(this.store, namespace)) return;
    if (this.store.get(HELM_RELEASES, namespace, deployment.metadata.name)) return;
    const template = this.store.get(CLUSTER_TEMPLATES, namespace, String(section(deployment, 'spec')['template'] ?? ''));
    if (!template) return;
    const credential = this.store.get(CREDENTIALS, namespace, String(section(deployment, 'spec')['credential'] ?? ''));
    const desired = desiredHelmRelease(deployment, template, credential);
    desired.metadata.annotations = { [PROVISIONED_ANNOTATION]: 'true' };
    await ensureHelmRelease(this.store, desired);
  }

  private scheduleChains(): void {
    this.chainsPending = true;
    this.immediate ??= setImmediate(() => this.kick());
  }

  private scheduleAccessManagement(): void {
    this.accessManagementPending = true;
    this.immediate ??= setImmediate(() => this.kick());
  }

  private enqueueDeploymentsNaming(credential: KubeObject): void {
    for (const deployment of this.store.list(CLUSTER_DEPLOYMENTS, { namespace: credential.metadata.namespace ?? '' })) {
      if (section(deployment, 'spec')['credential'] === credential.metadata.name) this.enqueue(CLUSTER_DEPLOYMENTS, deployment);
    }
  }

  private enqueue(resource: ResourceKey, object: KubeObject): void {
    const key = { resource, namespace: object.metadata.namespace, name: object.metadata.name };
    this.queue.set(keyOf(key), key);
    this.immediate ??= setImmediate(() => this.kick());
  }

  /** One drain at a time: events that arrive during a drain are picked up by the next one. */
  private kick(): void {
    this.immediate = undefined;
    if (this.draining) {
      void this.draining.then(() => {
        this.immediate ??= setImmediate(() => this.kick());
      });
      return;
    }
    this.draining = this.drain().finally(() => {
      this.draining = undefined;
    });
  }

  private async drain(): Promise<void> {
    const keys = [...this.queue.values()];
    this.queue.clear();
    if (this.accessManagementPending && !this.closed) {
      this.accessManagementPending = false;
      try {
        await reconcileAccessManagement(this.store, this.mapper, this.now());
      } catch (err) {
        this.log(`kcm: reconcile AccessManagement failed: ${message(err)}`);
        this.retryAccessManagement();
      }
    }
    if (this.chainsPending && !this.closed) {
      this.chainsPending = false;
      try {
        await reconcileTemplateChains(this.store, this.now());
      } catch (err) {
        this.log(`kcm: reconcile template chains failed: ${message(err)}`);
      }
    }
    for (const key of keys) {
      if (this.closed) return;
      const object = this.store.get(key.resource, key.namespace, key.name);
      if (!object) continue;
      try {
        if (sameResource(key.resource, CREDENTIALS)) await this.reconcileCredential(object);
        else if (sameResource(key.resource, CLUSTER_TEMPLATES)) await this.reconcileTemplate(object);
        else {
          // kcm's updateServices runs in the reconcile after its checks (:400); a walk whose validation is
          // still to run reconciles the services right after that write instead.
          if (await this.reconcileDeployment(object)) this.services.reconcile(key.namespace, key.name);
        }
        this.retries.delete(keyOf(key));
      } catch (err) {
        this.log(`kcm: reconcile ${key.resource.plural} ${key.namespace ?? ''}/${key.name} failed: ${message(err)}`);
        this.retry(key);
      }
    }
  }

  private retry(key: Key): void {
    const id = keyOf(key);
    const retry = this.retries.get(id) ?? { attempts: 0 };
    if (this.closed || retry.attempts >= MAX_RETRIES) {
      this.retries.delete(id);
      return;
    }
    retry.attempts += 1;
    retry.timer = setTimeout(
      () => {
        retry.timer = undefined;
        if (this.closed) return;
        this.queue.set(id, key);
        this.immediate ??= setImmediate(() => this.kick());
      },
      200 * 2 ** (retry.attempts - 1),
    );
    retry.timer.unref();
    this.retries.set(id, retry);
  }

  private retryAccessManagement(): void {
    const timer = setTimeout(() => {
      if (!this.closed) this.scheduleAccessManagement();
    }, 500);
    timer.unref();
  }

  private now(): string {
    return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  private async reconcileCredential(credential: KubeObject): Promise<void> {
    const finalizers = credential.metadata.finalizers ?? [];
    if (credential.metadata.deletionTimestamp) {
      if (finalizers.includes(CREDENTIAL_FINALIZER)) await this.removeFinalizer(CREDENTIALS, credential, CREDENTIAL_FINALIZER);
      return;
    }
    if (!finalizers.includes(CREDENTIAL_FINALIZER)) {
      await this.store.update(CREDENTIALS, {
        ...credential,
        metadata: { ...credential.metadata, finalizers: [...finalizers, CREDENTIAL_FINALIZER] },
      });
      return;
    }
    // kcm's Credential controller (credential_controller.go:77-150) reconciles every event; its status follows the
    // spec, so the sandbox derives it again when there is none or the spec changed since (a new identityRef).
    const status = section(credential, 'status');
    const condition = (Array.isArray(status['conditions']) ? (status['conditions'] as JsonObject[]) : []).find(
      (c) => c['type'] === 'CredentialReady',
    );
    const stale = condition !== undefined && condition['observedGeneration'] !== (credential.metadata.generation ?? 1);
    if (typeof status['ready'] !== 'boolean' || stale) {
      // A Credential of a Region whose kubeconfig names a reachable cluster is checked there (./regional-credential.ts).
      const regional = await regionalIdentity(this.store, credential);
      if (regional.outcome === 'simulated') await reconcileCredential(this.store, credential, this.now());
      else await reconcileRegionalCredential(this.store, credential, regional, this.now());
    }
  }

  private async reconcileTemplate(template: KubeObject): Promise<void> {
    if (template.metadata.deletionTimestamp) return;
    if (!scaleNamespace(this.store, template.metadata.namespace ?? '')) await ensureHelmChart(this.store, template);
    const status = section(template, 'status');
    if (typeof status['valid'] !== 'boolean') {
      await reconcileTemplate(this.store, template, this.catalog);
      return;
    }
    // A template given with its status (seed file) still needs the schema ConfigMap kcm would write.
    const cmName = status['schemaConfigMapName'];
    if (status['valid'] === true && typeof cmName === 'string' && !this.hasConfigMap(template, cmName)) {
      await reconcileTemplate(this.store, template, this.catalog);
    }
  }

  private hasConfigMap(template: KubeObject, name: string): boolean {
    return this.store.get(CONFIG_MAPS, template.metadata.namespace, name) !== undefined;
  }

  /** Reconciles one deployment; true when its services are to be reconciled now. */
  private async reconcileDeployment(deployment: KubeObject): Promise<boolean> {
    const uid = deployment.metadata.uid ?? '';
    const generation = deployment.metadata.generation ?? 1;
    const walk = this.walks.get(uid);
    const finalizers = deployment.metadata.finalizers ?? [];
    if (deployment.metadata.deletionTimestamp) {
      if (!finalizers.includes(CLUSTER_DEPLOYMENT_FINALIZER) || walk?.kind === 'delete') return true;
      if (walk) this.cancel(walk);
      this.startDeletion(deployment);
      return true;
    }
    // kcm getClusterScope (clusterdeployment_controller.go:161-172, :187-196): the Credential first, even
    // before the finalizer; a missing one fails the reconcile, which controller-runtime requeues.
    const missingCredential = missingCredentialOutcome(this.store, deployment, this.now());
    if (missingCredential) {
      if (walk) this.cancel(walk);
      // kcm :166 updateStatus(…, nil): setAvailableUpgrades returns at once for a nil template (:1938-1940), so availableUpgrades stays.
      await this.applyOutcome(deployment, missingCredential, null);
      this.fail(uid, generation, deployment, missingCredential.requeue, walk);
      return false;
    }
    const labels = deployment.metadata.labels ?? {};
    if (!finalizers.includes(CLUSTER_DEPLOYMENT_FINALIZER) || labels[COMPONENT_LABEL] !== 'kcm') {
      // kcm adds its finalizer and component label and returns; the update triggers the next reconcile.
      const nextFinalizers = finalizers.includes(CLUSTER_DEPLOYMENT_FINALIZER) ? finalizers : [...finalizers, CLUSTER_DEPLOYMENT_FINALIZER];
      await this.store.update(CLUSTER_DEPLOYMENTS, {
        ...deployment,
        metadata: { ...deployment.metadata, finalizers: nextFinalizers, labels: { ...labels, [COMPONENT_LABEL]: 'kcm' } },
      });
      return false;
    }
    // A failed validation is re-checked on every reconcile (kcm returns the error and is requeued, or waits
    // for the Credential watch), not settled for the generation.
    if (walk && walk.generation === generation && walk.kind === 'provision' && !walk.validated) {
      walk.dirty = true;
      return false;
    }
    if (walk && walk.generation === generation && walk.kind !== 'failed') {
      if (walk.validated && !walk.adopted && (await this.recheckFailed(deployment, walk))) return true;
      const dryRun = section(deployment, 'spec')['dryRun'] === true;
      if (walk.validated && !walk.adopted && !dryRun && (walk.kind === 'provision' || walk.kind === 'settled'))
        await this.track(deployment, walk);
      // A dry run has no HelmRelease to track, but kcm's reconcile still re-runs the checks before handleDryRun
      // (clusterdeployment_controller.go:427-435): the Credential's readiness of the moment.
      else if (walk.validated && !walk.adopted && dryRun) await this.refreshCredentialReadiness(deployment);
      return true;
    }
    if (walk?.kind === 'settled' && walk.clusterSpec === clusterSpecOf(deployment)) {
      // A services-only change re-walks nothing, but kcm's reconcile of it still runs every check.
      if (walk.validated && !walk.adopted && (await this.recheckFailed(deployment, walk))) return true;
      walk.generation = generation;
      return true;
    }
    if (walk) this.cancel(walk);
    const status = section(deployment, 'status');
    if (
      !walk &&
      status['observedGeneration'] === generation &&
      conditionsOf(deployment).some((c) => c.type === 'Ready' && c.status === 'True')
    ) {
      this.walks.set(uid, {
        kind: 'settled',
        generation,
        timers: new Set(),
        chain: Promise.resolve(),
        clusterSpec: clusterSpecOf(deployment),
        appliedSpec: clusterSpecOf(deployment),
        validated: true,
        adopted: true,
      });
      await this.adopt(deployment);
      return true;
    }
    await this.startProvisioning(deployment, walk?.appliedSpec);
    return false;
  }

  /**
   * kcm runs every check on every reconcile (reconcileUpdate → updateCluster: the template's validity,
   * clusterdeployment_controller.go:416-418, validateConfig and the Credential :450-480), and any event of the
   * ClusterDeployment reconciles it (`For` without predicates, :2252): a walk past its checks runs them again on each
   * event. One that now fails (a template made invalid since, with no event of its own: kcm does not watch
   * ClusterTemplates, :2375-2381) is written and requeued as a first failure is; one that passes goes on unchanged.
   */
  private async recheckFailed(deployment: KubeObject, walk: Walk): Promise<boolean> {
    const outcome = validateDeployment(this.store, deployment, this.now());
    if (outcome.ok) return false;
    this.cancel(walk);
    const written = await this.applyOutcome(deployment, outcome, outcome.template);
    this.fail(deployment.metadata.uid ?? '', deployment.metadata.generation ?? 1, written, outcome.requeue, walk);
    return true;
  }

  /** CredentialReady (and so Ready) as the Credential is now, in one status write when it changed. */
  private async refreshCredentialReadiness(deployment: KubeObject): Promise<void> {
    const namespace = deployment.metadata.namespace ?? '';
    const credential = this.store.get(CREDENTIALS, namespace, String(section(deployment, 'spec')['credential'] ?? ''));
    const now = this.now();
    const checked = withCredentialReadiness(conditionsOf(deployment), deployment, credential, now);
    const conditions = withReadyCondition(checked.conditions, deployment.metadata.generation ?? 1, now);
    const written = await this.writeStatus(deployment, { conditions: conditions as unknown as JsonObject[] });
    for (const event of checked.events) await recordEvent(this.store, written, event, now);
  }

  /**
   * A reconcile that failed a check: with `requeue` kcm returned the error and controller-runtime retries
   * it with its rate limiter (kcm internal/util/ratelimit/ratelimit.go:33 DefaultFastSlow: 5 s for 300
   * attempts, then 2 min; the sandbox compresses the 5 s as it compresses provisioning); without it, a
   * watch event (the Credential's, clusterdeployment_controller.go:2316-2319) brings the next reconcile.
   */
  private fail(uid: string, generation: number, deployment: KubeObject, requeue: boolean, previous: Walk | undefined): void {
    const attempts = previous?.kind === 'failed' ? (previous.attempts ?? 0) + 1 : 1;
    const walk: Walk = {
      kind: 'failed',
      generation,
      timers: new Set(),
      chain: Promise.resolve(),
      attempts,
      ...(previous?.appliedSpec ? { appliedSpec: previous.appliedSpec } : {}),
    };
    this.walks.set(uid, walk);
    if (!requeue) return;
    const delay = attempts <= REQUEUE_FAST_ATTEMPTS ? this.requeueMs : REQUEUE_SLOW_MS;
    this.schedule(walk, delay, async () => {
      const latest = this.store.get(CLUSTER_DEPLOYMENTS, deployment.metadata.namespace, deployment.metadata.name);
      if (latest && latest.metadata.uid === uid && this.walks.get(uid) === walk) this.enqueue(CLUSTER_DEPLOYMENTS, latest);
    });
  }

  /** Writes a reconcile's status (one write, skipped when nothing changed) and its events. */
  private async applyOutcome(
    deployment: KubeObject,
    outcome: ValidationOutcome,
    template: KubeObject | undefined | null,
  ): Promise<KubeObject> {
    const changes: JsonObject = { conditions: outcome.conditions as unknown as JsonObject[] };
    // kcm :422 copies the template's k8sVersion once the template is valid; omitempty drops an empty one.
    if (outcome.template && section(outcome.template, 'status')['valid'] === true) changes['k8sVersion'] = outcome.k8sVersion ?? null;
    // kcm :1937 setAvailableUpgrades runs with the reconcile's template (not on getClusterScope's early exit).
    if (template !== null)
      changes['availableUpgrades'] = availableUpgrades(this.store, deployment.metadata.namespace ?? '', template?.metadata.name ?? '');
    const now = this.now();
    // A reconcile that found its template went on to updateServices (kcm :392-393); getClusterScope's early
    // exit (template null) and a missing template (:350-363, undefined) return before it.
    const written = await this.writeStatus(deployment, changes, template !== null && template !== undefined);
    for (const event of outcome.events) await recordEvent(this.store, deployment, event, now);
    return written;
  }

  private async startProvisioning(deployment: KubeObject, appliedSpec: string | undefined): Promise<void> {
    const uid = deployment.metadata.uid ?? '';
    const generation = deployment.metadata.generation ?? 1;
    const walk: Walk = {
      kind: 'provision',
      generation,
      timers: new Set(),
      chain: Promise.resolve(),
      clusterSpec: clusterSpecOf(deployment),
      ...(appliedSpec ? { appliedSpec } : {}),
    };
    this.walks.set(uid, walk);
    const dryRun = section(deployment, 'spec')['dryRun'] === true;
    const upgrade = releaseInstalled(deployment);
    const namespace = deployment.metadata.namespace;

    const current = (): KubeObject | undefined => {
      const object = this.store.get(CLUSTER_DEPLOYMENTS, namespace, deployment.metadata.name);
      const alive =
        object && object.metadata.uid === uid && object.metadata.generation === generation && !object.metadata.deletionTimestamp;
      return alive ? object : undefined;
    };
    // The reconcile: every check and its conditions in one status write (no Unknown-only write first).
    const validate = async (): Promise<void> => {
      const object = current();
      if (!object) return;
      walk.dirty = false;
      const now = this.now();
      const outcome = validateDeployment(this.store, object, now);
      // kcm reconciles a changed spec in one pass (clusterdeployment_controller.go:295-405): the checks,
      // then the HelmRelease update, whose Ready condition it copies while helm-controller has not yet
      // acted on it, i.e. still the previous release, stamped with the new generation
      // (clusterdeployment_controller.go:567-574; CAPI summary: internal/util/conditions/capi.go:95);
      // updateStatus stamps status.observedGeneration and the aggregate Ready (:1512-1514). So right after
      // a spec change Ready can read True for the new generation while the release is the old one.
      const conditions = upgrade && outcome.ok ? restampCopiedConditions(outcome.conditions, generation, now) : outcome.conditions;
      const written = await this.applyOutcome(object, { ...outcome, conditions }, outcome.template);
      this.services.reconcile(namespace, deployment.metadata.name);
      if (!outcome.ok) {
        if (this.walks.get(uid) !== walk) return;
        this.fail(uid, generation, written, outcome.requeue, walk);
        // What changed while the checks ran (a Credential turning ready) gets its own reconcile.
        if (walk.dirty) this.enqueue(CLUSTER_DEPLOYMENTS, written);
        return;
      }
      walk.validated = true;
      try {
        if (dryRun) {
          const message = 'DryRun mode is enabled. Remove spec.dryRun to proceed with the deployment';
          await recordEvent(this.store, object, { type: 'Normal', reason: 'DryRunEnabled', message }, now);
          walk.kind = 'settled';
          return;
        }
        // The same cluster spec as the release already applied (a re-check after a transient failure): the
        // HelmRelease is unchanged, so nothing is re-walked (kcm's CreateOrUpdate reports OperationResultNone).
        if (upgrade && walk.appliedSpec === walk.clusterSpec) {
          walk.kind = 'settled';
          return;
        }
        // The HelmRelease and what it brings up are tracked from here on (./release.ts), event by event.
        const latest = current();
        if (latest) await this.track(latest, walk);
      } finally {
        // An event that came while the checks ran (a Credential turning ready after they read it not ready:
        // CredentialReady=False no longer fails the walk) gets its own reconcile, as on the failure path. Without
        // it a settled walk kept CredentialReady=False until the next event (seen under load on kube).
        const latest = walk.dirty && this.walks.get(uid) === walk ? current() : undefined;
        walk.dirty = false;
        if (latest) this.enqueue(CLUSTER_DEPLOYMENTS, latest);
      }
    };
    this.schedule(walk, 0, validate);
  }

  /**
   * kcm's reconcileDelete, one reconcile per pass (./deletion.ts), against what the world below kcm still has:
   * a pass runs when something there changes (the HelmRelease, the CAPI Cluster, its Machines, the
   * infrastructure cluster), and otherwise on kcm's requeue (compressed with deleteSeconds). Each pass does what
   * kcm does to the world: deletes the HelmRelease and drops its finalizer from the infrastructure cluster once
   * no Machine is left. A pass blocked by a missing Credential (or other object getClusterScope reads) is retried
   * as kcm's rate limiter retries it (5 s, kcm internal/util/ratelimit/ratelimit.go:27) and at once when a
   * Credential of its namespace changes (kcm watches Credentials for deployments: clusterdeployment_controller.go:2317-2320).
   */
  private startDeletion(deployment: KubeObject): void {
    const uid = deployment.metadata.uid ?? '';
    const walk: Walk = { kind: 'delete', generation: deployment.metadata.generation ?? 1, timers: new Set(), chain: Promise.resolve() };
    this.walks.set(uid, walk);
    const current = (): KubeObject | undefined => {
      const object = this.store.get(CLUSTER_DEPLOYMENTS, deployment.metadata.namespace, deployment.metadata.name);
      return object && object.metadata.uid === uid ? object : undefined;
    };
    let simulated = simulatedWorld(deployment, conditionsOf(deployment));
    walk.namespace = deployment.metadata.namespace;
    const requeue = Math.max(100, Math.min(1000, this.deleteMs / 4));
    const pass = async (): Promise<void> => {
      walk.resume = undefined;
      // spec.cleanupOnDeletion: the child cluster's load balancers and volumes first (./child-cleanup.ts; kcm's
      // 10 s waits compressed with deleteSeconds, as the requeue is).
      const before = current();
      const childCleanup =
        before && needsChildCleanup(this.store, before)
          ? await cleanupChildCluster(this.store, before, Math.min(CHILD_CLEANUP_TIMEOUT_MS, Math.max(1000, this.deleteMs)))
          : undefined;
      const object = current();
      if (!object) return;
      const now = this.now();
      const world = { ...observeDeletionWorld(this.store, object, simulated), ...(childCleanup ? { childCleanup } : {}) };
      const outcome = deletionPass(this.store, object, conditionsOf(object), world, now);
      if (outcome.releaseInfra) {
        const infra = infraClusterOf(this.store, capiClusterOf(this.store, object));
        if (infra) await this.removeFinalizer(infra.resource, infra.object, BLOCKING_FINALIZER);
      }
      if (outcome.deleteRelease) {
        const release = this.store.get(HELM_RELEASES, object.metadata.namespace, object.metadata.name);
        if (release && !release.metadata.deletionTimestamp)
          await this.store.delete(HELM_RELEASES, object.metadata.namespace, object.metadata.name);
      }
      if (outcome.conditions) await this.writeStatus(object, { conditions: outcome.conditions });
      const latest = current() ?? object;
      for (const event of outcome.events) if (event.reason !== 'SuccessfulDelete') await recordEvent(this.store, latest, event, now);
      if (outcome.removeFinalizer) {
        await this.removeFinalizer(CLUSTER_DEPLOYMENTS, latest, CLUSTER_DEPLOYMENT_FINALIZER);
        // Recorded after the finalizer update (clusterdeployment_controller.go:1694-1699).
        for (const event of outcome.events) if (event.reason === 'SuccessfulDelete') await recordEvent(this.store, latest, event, now);
        return;
      }
      walk.resume = () => {
        walk.resume = undefined;
        this.cancel(walk);
        this.schedule(walk, 0, pass);
      };
      if (outcome.blocked) {
        this.schedule(walk, BLOCKED_RETRY_MS, pass);
        return;
      }
      simulated = nextSimulated(outcome.world);
      this.schedule(walk, requeue, pass);
    };
    this.schedule(walk, 0, pass);
  }

  /** A Credential (or other object getClusterScope reads) of this namespace changed: blocked deletions retry now. */
  private resumeBlockedDeletions(namespace: string | undefined): void {
    for (const walk of this.walks.values()) {
      if (walk.kind === 'delete' && walk.namespace === namespace) walk.resume?.();
    }
  }

  private async removeFinalizer(resource: ResourceKey, object: KubeObject, finalizer: string): Promise<void> {
    const finalizers = (object.metadata.finalizers ?? []).filter((f) => f !== finalizer);
    await this.store.update(resource, { ...object, metadata: { ...object.metadata, finalizers } });
  }

  /**
   * Merges `changes` into the object's status and records the generation kcm has observed; a null or
   * empty list drops the field (kcm's omitempty: status.availableUpgrades, k8sVersion); with `services` the
   * services part rides along, as kcm's updateServices and updateStatus share one reconcile. Nothing is written
   * when the status would not change (kcm clusterdeployment_controller.go:1519 equality.Semantic.DeepEqual).
   */
  private async writeStatus(object: KubeObject, changes: Record<string, unknown>, services = false): Promise<KubeObject> {
    const before = section(object, 'status') as JsonObject;
    let status: JsonObject = { ...before, ...(changes as JsonObject) };
    for (const [key, value] of Object.entries(status)) {
      if (value === null || value === undefined || (Array.isArray(value) && value.length === 0 && key === 'availableUpgrades'))
        delete status[key];
    }
    // A reconcile that reached updateServices (:392-393) writes the services in the same update (./services-controller.ts).
    if (services) status = this.services.withServices(object, status);
    status['observedGeneration'] = object.metadata.generation ?? 1;
    if (isDeepStrictEqual(before, status)) return object;
    return await this.store.updateStatus(CLUSTER_DEPLOYMENTS, object.metadata.namespace, object.metadata.name, status);
  }

  /** Steps of one walk run in order: a step that starts while the previous one still writes waits for it. */
  private schedule(walk: Walk, delayMs: number, step: () => Promise<void>): void {
    const timer = setTimeout(() => {
      walk.timers.delete(timer);
      if (this.closed) return;
      walk.chain = walk.chain
        .then(() => (this.closed ? undefined : step()))
        .catch((err: unknown) => this.log(`kcm: step failed: ${message(err)}`));
    }, delayMs);
    timer.unref();
    walk.timers.add(timer);
  }

  private cancel(walk: Walk): void {
    for (const timer of walk.timers) clearTimeout(timer);
    walk.timers.clear();
  }
}
