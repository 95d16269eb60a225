/**
 * The simulated kcm controller: reacts to watch events, gives Credentials and ClusterTemplates their
 * kcm status, and walks ClusterDeployments through kcm's conditions on timers (provisioning and
 * deletion). It talks to a KcmApi (./api.ts): the embedded store or a real API server, where its writes
 * are object updates and status-subresource writes. Reconciles run outside the write path (queued on
 * setImmediate), one drain at a time; a reconcile whose write fails is retried with a backoff.
 */
import type { KubeObject, ResourceKey, StoreEvent } from '../apiserver/types.js';
import type { KcmApi } from './api.js';
import { reconcileAccessManagement } from './access-management.js';
import { loadChartCatalog, type ChartCatalog } from './charts.js';
import { DELETION_REASONS } from './conditions.js';
import { recordEvent } from './events.js';
import { ensureKubeconfigSecret } from './kubeconfig-secret.js';
import {
  availableUpgrades,
  conditionsOf,
  deletionConditions,
  initialConditions,
  provisioningConditions,
  releaseInstalled,
  restampCopiedConditions,
  validateDeployment,
} from './deployment-status.js';
import {
  ACCESS_MANAGEMENTS,
  CLUSTER_DEPLOYMENT_FINALIZER,
  CLUSTER_TEMPLATE_CHAINS,
  CLUSTER_DEPLOYMENTS,
  CLUSTER_TEMPLATES,
  COMPONENT_LABEL,
  CONFIG_MAPS,
  CREDENTIAL_FINALIZER,
  CREDENTIALS,
  MULTI_CLUSTER_SERVICES,
  NAMESPACES,
  SYSTEM_NAMESPACE,
  sameResource,
  section,
  type JsonObject,
} from './resources.js';
import { reconcileCredential, reconcileTemplate } from './status.js';
import { ServicesController } from './services-controller.js';

export interface KcmControllerOptions {
  /** Seconds from creation to Ready=True (default 5). */
  provisionSeconds?: number;
  /** Seconds from deletion request to the finalizer's removal (default 3). */
  deleteSeconds?: number;
  log?: (line: string) => void;
  catalog?: ChartCatalog;
}

interface Walk {
  kind: 'provision' | 'delete' | 'settled';
  generation: number;
  timers: Set<NodeJS.Timeout>;
  /** The step now running (steps of a walk never overlap). */
  chain: Promise<void>;
  /** The spec the walk settled on, without serviceSpec: a services-only change does not re-walk the cluster. */
  clusterSpec?: string;
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

/** Fractions of provisionSeconds at which the provisioning stages land (validation, release, CAPI, ready). */
const PROVISION_STAGES = [0.1, 0.2, 0.5, 1] as const;

export class KcmController {
  private readonly provisionMs: number;
  private readonly deleteMs: number;
  private readonly log: (line: string) => void;
  private readonly catalog: ChartCatalog;
  private readonly walks = new Map<string, Walk>();
  private readonly queue = new Map<string, Key>();
  private immediate: NodeJS.Immediate | undefined;
  private accessManagementPending = false;
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
    this.log = options.log ?? (() => undefined);
    this.catalog = options.catalog ?? loadChartCatalog();
    // A service install takes 40% of a cluster's provisioning time.
    this.services = new ServicesController(store, { serviceMs: this.provisionMs * 0.4, now: () => this.now(), log: this.log });
  }

  /** Subscribes to the store and reconciles what is already there. */
  start(): void {
    this.unsubscribe = this.store.subscribe((event) => this.onEvent(event));
    for (const resource of [CREDENTIALS, CLUSTER_TEMPLATES, CLUSTER_DEPLOYMENTS]) {
      for (const object of this.store.list(resource)) this.enqueue(resource, object);
    }
    this.scheduleAccessManagement();
  }

  close(): void {
    this.closed = true;
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
    if (sameResource(resource, MULTI_CLUSTER_SERVICES)) this.services.multiClusterServiceChanged();
    if (event.type === 'DELETED') return;
    if (this.affectsAccessManagement(event)) this.scheduleAccessManagement();
    if (sameResource(resource, CLUSTER_DEPLOYMENTS) || sameResource(resource, CLUSTER_TEMPLATES) || sameResource(resource, CREDENTIALS)) {
      this.enqueue(resource, object);
    }
  }

  /** The AccessManagement rules, the namespaces they target and the system-namespace sources they copy. */
  private affectsAccessManagement({ resource, object }: StoreEvent): boolean {
    if (sameResource(resource, ACCESS_MANAGEMENTS) || sameResource(resource, NAMESPACES)) return true;
    const source = sameResource(resource, CREDENTIALS) || sameResource(resource, CLUSTER_TEMPLATE_CHAINS) || sameResource(resource, CLUSTER_TEMPLATES);
    return source && object.metadata.namespace === SYSTEM_NAMESPACE;
  }

  private scheduleAccessManagement(): void {
    this.accessManagementPending = true;
    this.immediate ??= setImmediate(() => this.kick());
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
        await reconcileAccessManagement(this.store, this.catalog, this.now());
      } catch (err) {
        this.log(`kcm: reconcile AccessManagement failed: ${message(err)}`);
        this.retryAccessManagement();
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
          await this.reconcileDeployment(object);
          this.services.reconcile(key.namespace, key.name);
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
    retry.timer = setTimeout(() => {
      retry.timer = undefined;
      if (this.closed) return;
      this.queue.set(id, key);
      this.immediate ??= setImmediate(() => this.kick());
    }, 200 * 2 ** (retry.attempts - 1));
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
      await this.store.update(CREDENTIALS, { ...credential, metadata: { ...credential.metadata, finalizers: [...finalizers, CREDENTIAL_FINALIZER] } });
      return;
    }
    if (typeof section(credential, 'status')['ready'] !== 'boolean') await reconcileCredential(this.store, credential, this.now());
  }

  private async reconcileTemplate(template: KubeObject): Promise<void> {
    if (template.metadata.deletionTimestamp) return;
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

  private async reconcileDeployment(deployment: KubeObject): Promise<void> {
    const uid = deployment.metadata.uid ?? '';
    const generation = deployment.metadata.generation ?? 1;
    const walk = this.walks.get(uid);
    const finalizers = deployment.metadata.finalizers ?? [];
    if (deployment.metadata.deletionTimestamp) {
      if (!finalizers.includes(CLUSTER_DEPLOYMENT_FINALIZER) || walk?.kind === 'delete') return;
      if (walk) this.cancel(walk);
      this.startDeletion(deployment);
      return;
    }
    const labels = deployment.metadata.labels ?? {};
    if (!finalizers.includes(CLUSTER_DEPLOYMENT_FINALIZER) || labels[COMPONENT_LABEL] !== 'kcm') {
      // kcm adds its finalizer and component label and returns; the update triggers the next reconcile.
      const nextFinalizers = finalizers.includes(CLUSTER_DEPLOYMENT_FINALIZER) ? finalizers : [...finalizers, CLUSTER_DEPLOYMENT_FINALIZER];
      await this.store.update(CLUSTER_DEPLOYMENTS, {
        ...deployment,
        metadata: { ...deployment.metadata, finalizers: nextFinalizers, labels: { ...labels, [COMPONENT_LABEL]: 'kcm' } },
      });
      return;
    }
    if (walk && walk.generation === generation) return;
    if (walk?.kind === 'settled' && walk.clusterSpec === clusterSpecOf(deployment)) {
      walk.generation = generation;
      return;
    }
    if (walk) this.cancel(walk);
    const status = section(deployment, 'status');
    if (status['observedGeneration'] === generation && conditionsOf(deployment).some((c) => c.type === 'Ready')) {
      this.walks.set(uid, { kind: 'settled', generation, timers: new Set(), chain: Promise.resolve(), clusterSpec: clusterSpecOf(deployment) });
      return;
    }
    await this.startProvisioning(deployment);
  }

  private async startProvisioning(deployment: KubeObject): Promise<void> {
    const uid = deployment.metadata.uid ?? '';
    const generation = deployment.metadata.generation ?? 1;
    const walk: Walk = { kind: 'provision', generation, timers: new Set(), chain: Promise.resolve(), clusterSpec: clusterSpecOf(deployment) };
    this.walks.set(uid, walk);
    const dryRun = section(deployment, 'spec')['dryRun'] === true;
    const upgrade = releaseInstalled(deployment);
    const namespace = deployment.metadata.namespace;
    const templateName = String(section(deployment, 'spec')['template'] ?? '');
    const upgrades = availableUpgrades(this.store, namespace ?? '', templateName);
    if (!upgrade) await this.writeStatus(deployment, { conditions: initialConditions(conditionsOf(deployment), generation, dryRun, this.now()), availableUpgrades: upgrades });

    const current = (): KubeObject | undefined => {
      const object = this.store.get(CLUSTER_DEPLOYMENTS, namespace, deployment.metadata.name);
      const alive = object && object.metadata.uid === uid && object.metadata.generation === generation && !object.metadata.deletionTimestamp;
      return alive ? object : undefined;
    };
    const validate = async (): Promise<void> => {
      const object = current();
      if (!object) return;
      const now = this.now();
      const outcome = validateDeployment(this.store, object, now);
      // kcm reconciles a changed spec in one pass (clusterdeployment_controller.go:295-405): the checks,
      // then the HelmRelease update, whose Ready condition it copies while helm-controller has not yet
      // acted on it, i.e. still the previous release, stamped with the new generation
      // (clusterdeployment_controller.go:567-574; CAPI summary: internal/util/conditions/capi.go:95);
      // updateStatus stamps status.observedGeneration and the aggregate Ready (:1512-1514). So right after
      // a spec change Ready can read True for the new generation while the release is the old one.
      const conditions = upgrade && outcome.ok ? restampCopiedConditions(outcome.conditions, generation, now) : outcome.conditions;
      await this.writeStatus(object, { conditions, ...(upgrade ? { availableUpgrades: upgrades } : {}), ...(outcome.k8sVersion ? { k8sVersion: outcome.k8sVersion } : {}) });
      if (outcome.event) await recordEvent(this.store, object, outcome.event, now);
      if (!outcome.ok || dryRun) {
        if (outcome.ok) {
          const message = 'DryRun mode is enabled. Remove spec.dryRun to proceed with the deployment';
          await recordEvent(this.store, object, { type: 'Normal', reason: 'DryRunEnabled', message }, now);
        }
        walk.kind = 'settled';
        return;
      }
      ([1, 2, 3] as const).forEach((stage) => {
        this.schedule(walk, (PROVISION_STAGES[stage] - (upgrade ? 0 : PROVISION_STAGES[0])) * this.provisionMs, async () => {
          const latest = current();
          if (!latest) return;
          const template = this.store.get(CLUSTER_TEMPLATES, namespace, templateName);
          const now = this.now();
          const { conditions, events } = provisioningConditions(stage, latest, template, now, upgrade);
          await this.writeStatus(latest, { conditions });
          for (const event of events) await recordEvent(this.store, latest, event, now);
          if (stage === 3) {
            walk.kind = 'settled';
            await ensureKubeconfigSecret(this.store, latest);
          }
        });
      });
    };
    if (upgrade) this.schedule(walk, 0, validate);
    else this.schedule(walk, PROVISION_STAGES[0] * this.provisionMs, validate);
  }

  private startDeletion(deployment: KubeObject): void {
    const uid = deployment.metadata.uid ?? '';
    const walk: Walk = { kind: 'delete', generation: deployment.metadata.generation ?? 1, timers: new Set(), chain: Promise.resolve() };
    this.walks.set(uid, walk);
    const current = (): KubeObject | undefined => {
      const object = this.store.get(CLUSTER_DEPLOYMENTS, deployment.metadata.namespace, deployment.metadata.name);
      return object && object.metadata.uid === uid ? object : undefined;
    };
    const steps = DELETION_REASONS.length;
    for (let index = 0; index < steps; index++) {
      this.schedule(walk, (index / steps) * this.deleteMs, async () => {
        const object = current();
        if (!object) return;
        await this.writeStatus(object, { conditions: deletionConditions(index, object, this.now()) });
        if (DELETION_REASONS[index] === 'WaitingForClusterDeletion') {
          await recordEvent(this.store, object, { type: 'Normal', reason: 'CAPIClusterIsDeleting', message: 'Cluster is deleting' }, this.now());
        }
      });
    }
    this.schedule(walk, this.deleteMs, async () => {
      const object = current();
      if (object) await this.removeFinalizer(CLUSTER_DEPLOYMENTS, object, CLUSTER_DEPLOYMENT_FINALIZER);
    });
  }

  private async removeFinalizer(resource: ResourceKey, object: KubeObject, finalizer: string): Promise<void> {
    const finalizers = (object.metadata.finalizers ?? []).filter((f) => f !== finalizer);
    await this.store.update(resource, { ...object, metadata: { ...object.metadata, finalizers } });
  }

  /** Merges `changes` into the object's status and records the generation kcm has observed. */
  private async writeStatus(object: KubeObject, changes: Record<string, unknown>): Promise<void> {
    const status: JsonObject = { ...(section(object, 'status') as JsonObject), ...(changes as JsonObject) };
    status['observedGeneration'] = object.metadata.generation ?? 1;
    await this.store.updateStatus(CLUSTER_DEPLOYMENTS, object.metadata.namespace, object.metadata.name, status);
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
