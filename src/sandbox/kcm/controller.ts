/**
 * The simulated kcm controller: reacts to store events, gives Credentials and ClusterTemplates their
 * kcm status, and walks ClusterDeployments through kcm's conditions on timers (provisioning and
 * deletion). Reconciles run outside the store's write path (queued on setImmediate).
 */
import type { KubeObject, ResourceKey, Store, StoreEvent } from '../apiserver/types.js';
import { reconcileAccessManagement } from './access-management.js';
import { loadChartCatalog, type ChartCatalog } from './charts.js';
import { DELETION_REASONS } from './conditions.js';
import { recordEvent } from './events.js';
import {
  availableUpgrades,
  conditionsOf,
  deletionConditions,
  initialConditions,
  provisioningConditions,
  releaseInstalled,
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
  NAMESPACES,
  SYSTEM_NAMESPACE,
  sameResource,
  section,
  type JsonObject,
} from './resources.js';
import { reconcileCredential, reconcileTemplate } from './status.js';

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
}

type Key = { resource: ResourceKey; namespace: string | undefined; name: string };

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

  constructor(
    private readonly store: Store,
    options: KcmControllerOptions = {},
  ) {
    this.provisionMs = Math.max(0, (options.provisionSeconds ?? 5) * 1000);
    this.deleteMs = Math.max(0, (options.deleteSeconds ?? 3) * 1000);
    this.log = options.log ?? (() => undefined);
    this.catalog = options.catalog ?? loadChartCatalog();
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
    this.unsubscribe?.();
    if (this.immediate) clearImmediate(this.immediate);
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
      return;
    }
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
    this.immediate ??= setImmediate(() => this.drain());
  }

  private enqueue(resource: ResourceKey, object: KubeObject): void {
    const key = { resource, namespace: object.metadata.namespace, name: object.metadata.name };
    this.queue.set(`${resource.plural}/${key.namespace ?? ''}/${key.name}`, key);
    this.immediate ??= setImmediate(() => this.drain());
  }

  private drain(): void {
    this.immediate = undefined;
    const keys = [...this.queue.values()];
    this.queue.clear();
    if (this.accessManagementPending && !this.closed) {
      this.accessManagementPending = false;
      try {
        reconcileAccessManagement(this.store, this.catalog, this.now());
      } catch (err) {
        this.log(`kcm: reconcile AccessManagement failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    for (const key of keys) {
      if (this.closed) return;
      const object = this.store.get(key.resource, key.namespace, key.name);
      if (!object) continue;
      try {
        if (sameResource(key.resource, CREDENTIALS)) this.reconcileCredential(object);
        else if (sameResource(key.resource, CLUSTER_TEMPLATES)) this.reconcileTemplate(object);
        else this.reconcileDeployment(object);
      } catch (err) {
        this.log(`kcm: reconcile ${key.resource.plural} ${key.namespace ?? ''}/${key.name} failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }

  private now(): string {
    return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  private reconcileCredential(credential: KubeObject): void {
    const finalizers = credential.metadata.finalizers ?? [];
    if (credential.metadata.deletionTimestamp) {
      if (finalizers.includes(CREDENTIAL_FINALIZER)) this.removeFinalizer(CREDENTIALS, credential, CREDENTIAL_FINALIZER);
      return;
    }
    if (!finalizers.includes(CREDENTIAL_FINALIZER)) {
      this.store.update(CREDENTIALS, { ...credential, metadata: { ...credential.metadata, finalizers: [...finalizers, CREDENTIAL_FINALIZER] } });
      return;
    }
    if (typeof section(credential, 'status')['ready'] !== 'boolean') reconcileCredential(this.store, credential, this.now());
  }

  private reconcileTemplate(template: KubeObject): void {
    if (template.metadata.deletionTimestamp) return;
    const status = section(template, 'status');
    if (typeof status['valid'] !== 'boolean') {
      reconcileTemplate(this.store, template, this.catalog);
      return;
    }
    // A template given with its status (seed file) still needs the schema ConfigMap kcm would write.
    const cmName = status['schemaConfigMapName'];
    if (status['valid'] === true && typeof cmName === 'string' && !this.hasConfigMap(template, cmName)) {
      reconcileTemplate(this.store, template, this.catalog);
    }
  }

  private hasConfigMap(template: KubeObject, name: string): boolean {
    return this.store.get(CONFIG_MAPS, template.metadata.namespace, name) !== undefined;
  }

  private reconcileDeployment(deployment: KubeObject): void {
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
      this.store.update(CLUSTER_DEPLOYMENTS, {
        ...deployment,
        metadata: { ...deployment.metadata, finalizers: nextFinalizers, labels: { ...labels, [COMPONENT_LABEL]: 'kcm' } },
      });
      return;
    }
    if (walk && walk.generation === generation) return;
    if (walk) this.cancel(walk);
    const status = section(deployment, 'status');
    if (status['observedGeneration'] === generation && conditionsOf(deployment).some((c) => c.type === 'Ready')) {
      this.walks.set(uid, { kind: 'settled', generation, timers: new Set() });
      return;
    }
    this.startProvisioning(deployment);
  }

  private startProvisioning(deployment: KubeObject): void {
    const uid = deployment.metadata.uid ?? '';
    const generation = deployment.metadata.generation ?? 1;
    const walk: Walk = { kind: 'provision', generation, timers: new Set() };
    this.walks.set(uid, walk);
    const dryRun = section(deployment, 'spec')['dryRun'] === true;
    const upgrade = releaseInstalled(deployment);
    const namespace = deployment.metadata.namespace;
    const templateName = String(section(deployment, 'spec')['template'] ?? '');
    this.writeStatus(deployment, {
      conditions: initialConditions(conditionsOf(deployment), generation, dryRun, this.now()),
      availableUpgrades: availableUpgrades(this.store, namespace ?? '', templateName),
    });

    const current = (): KubeObject | undefined => {
      const object = this.store.get(CLUSTER_DEPLOYMENTS, namespace, deployment.metadata.name);
      const alive = object && object.metadata.uid === uid && object.metadata.generation === generation && !object.metadata.deletionTimestamp;
      return alive ? object : undefined;
    };
    this.schedule(walk, PROVISION_STAGES[0] * this.provisionMs, () => {
      const object = current();
      if (!object) return;
      const now = this.now();
      const outcome = validateDeployment(this.store, object, now);
      this.writeStatus(object, { conditions: outcome.conditions, ...(outcome.k8sVersion ? { k8sVersion: outcome.k8sVersion } : {}) });
      if (outcome.event) recordEvent(this.store, object, outcome.event, now);
      if (!outcome.ok || dryRun) {
        if (outcome.ok) {
          const message = 'DryRun mode is enabled. Remove spec.dryRun to proceed with the deployment';
          recordEvent(this.store, object, { type: 'Normal', reason: 'DryRunEnabled', message }, now);
        }
        walk.kind = 'settled';
        return;
      }
      ([1, 2, 3] as const).forEach((stage) => {
        this.schedule(walk, (PROVISION_STAGES[stage] - PROVISION_STAGES[0]) * this.provisionMs, () => {
          const latest = current();
          if (!latest) return;
          const template = this.store.get(CLUSTER_TEMPLATES, namespace, templateName);
          const now = this.now();
          const { conditions, events } = provisioningConditions(stage, latest, template, now, upgrade);
          this.writeStatus(latest, { conditions });
          for (const event of events) recordEvent(this.store, latest, event, now);
          if (stage === 3) walk.kind = 'settled';
        });
      });
    });
  }

  private startDeletion(deployment: KubeObject): void {
    const uid = deployment.metadata.uid ?? '';
    const walk: Walk = { kind: 'delete', generation: deployment.metadata.generation ?? 1, timers: new Set() };
    this.walks.set(uid, walk);
    const current = (): KubeObject | undefined => {
      const object = this.store.get(CLUSTER_DEPLOYMENTS, deployment.metadata.namespace, deployment.metadata.name);
      return object && object.metadata.uid === uid ? object : undefined;
    };
    const steps = DELETION_REASONS.length;
    for (let index = 0; index < steps; index++) {
      this.schedule(walk, (index / steps) * this.deleteMs, () => {
        const object = current();
        if (!object) return;
        this.writeStatus(object, { conditions: deletionConditions(index, object, this.now()) });
        if (DELETION_REASONS[index] === 'WaitingForClusterDeletion') {
          recordEvent(this.store, object, { type: 'Normal', reason: 'CAPIClusterIsDeleting', message: 'Cluster is deleting' }, this.now());
        }
      });
    }
    this.schedule(walk, this.deleteMs, () => {
      const object = current();
      if (object) this.removeFinalizer(CLUSTER_DEPLOYMENTS, object, CLUSTER_DEPLOYMENT_FINALIZER);
    });
  }

  private removeFinalizer(resource: ResourceKey, object: KubeObject, finalizer: string): void {
    const finalizers = (object.metadata.finalizers ?? []).filter((f) => f !== finalizer);
    this.store.update(resource, { ...object, metadata: { ...object.metadata, finalizers } });
  }

  /** Merges `changes` into the object's status and records the generation kcm has observed. */
  private writeStatus(object: KubeObject, changes: Record<string, unknown>): void {
    const status: JsonObject = { ...(section(object, 'status') as JsonObject), ...(changes as JsonObject) };
    status['observedGeneration'] = object.metadata.generation ?? 1;
    this.store.updateStatus(CLUSTER_DEPLOYMENTS, object.metadata.namespace, object.metadata.name, status);
  }

  private schedule(walk: Walk, delayMs: number, step: () => void): void {
    const timer = setTimeout(() => {
      walk.timers.delete(timer);
      if (this.closed) return;
      try {
        step();
      } catch (err) {
        this.log(`kcm: step failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }, delayMs);
    timer.unref();
    walk.timers.add(timer);
  }

  private cancel(walk: Walk): void {
    for (const timer of walk.timers) clearTimeout(timer);
    walk.timers.clear();
  }
}
