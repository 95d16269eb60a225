/**
 * The services half of the simulated kcm controller: moves each service reaching a ClusterDeployment
 * through kcm's states (./services.ts cites the kcm files) on timers, and keeps `status.services`, the
 * ServicesInReadyState condition, Ready and the MultiClusterServices' status in step. Hooked into
 * KcmController (./controller.ts) at reconcile, deletion and MultiClusterService events.
 */
import type { KubeObject } from '../apiserver/types.js';
import type { KcmApi } from './api.js';
import { deepEqual } from '../apiserver/util.js';
import {
  CLUSTER_DEPLOYMENT_FINALIZER,
  CLUSTER_DEPLOYMENTS,
  MULTI_CLUSTER_SERVICES,
  SERVICE_TEMPLATES,
  isJsonObject,
  section,
  type JsonObject,
} from './resources.js';
import { recordEvent } from './events.js';
import { ServiceSetWriter, type SetService } from './services-sets.js';
import { SERVICE_CHARTS } from './service-charts.js';
import {
  SERVICE_STATES,
  clusterProvisioned,
  desiredServices,
  MULTI_CLUSTER_SERVICE_CHECKS,
  multiClusterServiceStatus,
  serviceFault,
  serviceKey,
  servicesUpgradePaths,
  statusWithServices,
  templateNamespaceOf,
  valuesFailure,
  versionOf,
  type ServiceEntry,
  type ServiceState,
} from './services.js';

interface ServiceRecord {
  entry: ServiceEntry;
  /** What the entry asked for when this state began; a change starts the install again. */
  fingerprint: string;
  state: string;
  since: string;
  failureMessage?: string;
  conditions?: JsonObject[];
  timer?: NodeJS.Timeout;
}

export interface ServicesControllerOptions {
  /** Milliseconds a service spends Provisioning. */
  serviceMs: number;
  now: () => string;
  log: (line: string) => void;
}

const fingerprintOf = (e: ServiceEntry): string => JSON.stringify([e.template, e.values ?? '', e.from ?? '']);

export class ServicesController {
  private readonly records = new Map<string, Map<string, ServiceRecord>>();
  /** Status writes run one after another; a failed one is logged and the next event writes again. */
  private writes: Promise<void> = Promise.resolve();
  private mcsPending: NodeJS.Immediate | undefined;
  private closed = false;

  private readonly sets: ServiceSetWriter;

  constructor(
    private readonly store: KcmApi,
    private readonly options: ServicesControllerOptions,
  ) {
    this.sets = new ServiceSetWriter(store, {
      log: options.log,
      chartOf: (s) => SERVICE_CHARTS.find((c) => s.template.startsWith(`${c.chart}-`))?.chart ?? s.template,
    });
  }

  close(): void {
    this.closed = true;
    this.sets.close();
    if (this.mcsPending) clearImmediate(this.mcsPending);
    for (const recs of this.records.values()) for (const r of recs.values()) if (r.timer) clearTimeout(r.timer);
    this.records.clear();
  }

  /** A deployment is gone: its timers stop, and MultiClusterServices stop listing it. */
  forget(deployment: KubeObject): void {
    const recs = this.records.get(deployment.metadata.uid ?? '');
    for (const r of recs?.values() ?? []) if (r.timer) clearTimeout(r.timer);
    this.records.delete(deployment.metadata.uid ?? '');
    this.sets.forget(deployment);
    this.refreshMultiClusterServices();
  }

  /** A MultiClusterService changed: every deployment may gain or lose its services. */
  multiClusterServiceChanged(): void {
    this.refreshMultiClusterServices(true);
  }

  private refreshMultiClusterServices(deploymentsToo = false): void {
    if (this.closed) return;
    this.mcsPending ??= setImmediate(() => {
      this.mcsPending = undefined;
      if (this.closed) return;
      if (deploymentsToo) for (const cd of this.store.list(CLUSTER_DEPLOYMENTS)) this.reconcile(cd.metadata.namespace, cd.metadata.name);
      for (const mcs of this.store.list(MULTI_CLUSTER_SERVICES)) this.writeMultiClusterServiceStatus(mcs);
    });
  }

  /**
   * Reconciles the services of one deployment, as read from the store now: a reconcile of its own (a service's
   * timer, a MultiClusterService, a watch event), written when the status changes.
   */
  reconcile(namespace: string | undefined, name: string): void {
    const cd = this.store.get(CLUSTER_DEPLOYMENTS, namespace, name);
    if (!cd) return;
    const recs = this.sync(cd);
    if (recs) this.write(cd, recs);
  }

  /**
   * kcm's updateServices inside the deployment's reconcile: reconcileUpdate runs updateCluster then
   * updateServices on the same object (clusterdeployment_controller.go:392-393), and its deferred updateStatus
   * (:316-318, :1512-1529) writes both in one status update, ServicesInReadyState (:1434-1509) beside the checks.
   * So the controller's status write carries the services part too: `status` (what it is about to write) comes
   * back with status.services, servicesUpgradePaths, ServicesInReadyState and the Ready derived from them.
   */
  withServices(cd: KubeObject, status: JsonObject): JsonObject {
    const next: KubeObject = { ...cd, status };
    const recs = this.sync(next);
    return recs ? this.servicesStatus(next, recs) : status;
  }

  /** The records of one deployment brought in step with its spec (timers started); undefined when kcm skips updateServices. */
  private sync(cd: KubeObject): Map<string, ServiceRecord> | undefined {
    const { namespace, name } = cd.metadata;
    if (this.closed || cd.metadata.deletionTimestamp) return undefined;
    // kcm returns after adding its finalizer; updateServices runs from the next reconcile on.
    if (!(cd.metadata.finalizers ?? []).includes(CLUSTER_DEPLOYMENT_FINALIZER)) return undefined;
    const uid = cd.metadata.uid ?? '';
    const desired = desiredServices(this.store, cd);
    let recs = this.records.get(uid);
    if (!recs) {
      recs = this.adopt(cd, desired);
      this.records.set(uid, recs);
    }
    const provisioned = clusterProvisioned(cd);
    const now = this.options.now();
    const wanted = new Set<string>();
    for (const entry of desired) {
      const key = serviceKey(entry.namespace, entry.name);
      wanted.add(key);
      const fingerprint = fingerprintOf(entry);
      const r = recs.get(key);
      if (!r || r.fingerprint !== fingerprint || r.state === SERVICE_STATES.deleting) {
        if (r?.timer) clearTimeout(r.timer);
        recs.set(key, { entry, fingerprint, state: provisioned ? SERVICE_STATES.provisioning : SERVICE_STATES.pending, since: now });
        if (provisioned) this.scheduleInstall(cd, key);
      } else {
        r.entry = entry;
        if (r.state === SERVICE_STATES.pending && provisioned) {
          r.state = SERVICE_STATES.provisioning;
          r.since = now;
          this.scheduleInstall(cd, key);
        }
      }
    }
    for (const [key, r] of recs) {
      if (wanted.has(key) || r.state === SERVICE_STATES.deleting) continue;
      // Removed from the spec: Deleting (not counted) until the release is uninstalled.
      if (r.timer) clearTimeout(r.timer);
      r.state = SERVICE_STATES.deleting;
      r.since = now;
      delete r.failureMessage;
      r.timer = this.later(this.options.serviceMs / 2, () => {
        if (recs.get(key) === r) recs.delete(key);
        this.reconcile(namespace, name);
      });
    }
    return recs;
  }

  /** States kcm already reported (seed data, or before a restart) are kept, not re-installed. */
  private adopt(cd: KubeObject, desired: ServiceEntry[]): Map<string, ServiceRecord> {
    const recs = new Map<string, ServiceRecord>();
    const reported = (Array.isArray(section(cd, 'status')['services']) ? section(cd, 'status')['services'] : []) as ServiceState[];
    for (const entry of desired) {
      const key = serviceKey(entry.namespace, entry.name);
      const s = reported.find((x) => serviceKey(x.namespace, x.name) === key && x.template === entry.template);
      if (!s || (s.state !== SERVICE_STATES.deployed && s.state !== SERVICE_STATES.failed)) continue;
      recs.set(key, {
        entry,
        fingerprint: fingerprintOf(entry),
        state: s.state,
        since: s.lastStateTransitionTime,
        ...(s.failureMessage ? { failureMessage: s.failureMessage } : {}),
      });
    }
    return recs;
  }

  /** Provisioning → Deployed, or Failed with Helm's message; waits for the services it depends on. */
  private scheduleInstall(cd: KubeObject, key: string): void {
    const uid = cd.metadata.uid ?? '';
    const { namespace, name } = cd.metadata;
    const recs = this.records.get(uid);
    const r = recs?.get(key);
    if (!recs || !r) return;
    r.timer = this.later(this.options.serviceMs, () => {
      const current = this.store.get(CLUSTER_DEPLOYMENTS, namespace, name);
      if (!current || current.metadata.uid !== uid || recs.get(key) !== r || r.state !== SERVICE_STATES.provisioning) return;
      const waiting = r.entry.dependsOn.some((d) => recs.get(serviceKey(d.namespace, d.name))?.state !== SERVICE_STATES.deployed);
      if (waiting) return this.scheduleInstall(current, key);
      const template = this.store.get(SERVICE_TEMPLATES, templateNamespaceOf(current, r.entry), r.entry.template);
      const fault = serviceFault(current, r.entry, this.options.now());
      const failure = template
        ? (valuesFailure(this.store, template, r.entry.values) ?? fault?.failureMessage)
        : `ServiceTemplate ${templateNamespaceOf(current, r.entry)}/${r.entry.template} not found`;
      r.state = failure ? SERVICE_STATES.failed : SERVICE_STATES.deployed;
      r.since = this.options.now();
      if (failure) r.failureMessage = failure;
      else delete r.failureMessage;
      if (fault && failure === fault.failureMessage) r.conditions = fault.conditions;
      else delete r.conditions;
      delete r.timer;
      this.write(current, recs);
    });
  }

  /** The ServiceSets kcm creates in updateServices (createOrUpdateServiceSet, :1414), and the deployment's status with the services in it. */
  private servicesStatus(cd: KubeObject, recs: Map<string, ServiceRecord>): JsonObject {
    const now = this.options.now();
    this.sets.sync(cd, this.setServicesOf(cd, recs), now);
    if (this.store.list(MULTI_CLUSTER_SERVICES).length > 0) this.refreshMultiClusterServices();
    return this.statusOf(cd, this.statesOf(cd, recs), now);
  }

  private statesOf(cd: KubeObject, recs: Map<string, ServiceRecord>): ServiceState[] {
    return [...recs.values()].map((r) => {
      const version = versionOf(this.store, templateNamespaceOf(cd, r.entry), r.entry.template);
      return {
        name: r.entry.name,
        namespace: r.entry.namespace,
        template: r.entry.template,
        type: 'Helm',
        state: r.state,
        lastStateTransitionTime: r.since,
        ...(version ? { version } : {}),
        ...(r.failureMessage ? { failureMessage: r.failureMessage } : {}),
        ...(r.conditions ? { conditions: r.conditions } : {}),
      };
    });
  }

  private statusOf(cd: KubeObject, states: ServiceState[], now: string): JsonObject {
    const status = statusWithServices(cd, states, now);
    const paths = servicesUpgradePaths(this.store, cd);
    if (paths.length > 0) status['servicesUpgradePaths'] = paths;
    else delete status['servicesUpgradePaths'];
    // kcm's updateStatus records the generation it reconciled.
    status['observedGeneration'] = cd.metadata.generation ?? 1;
    return status;
  }

  /**
   * A services reconcile's status write. The status is computed when the write runs, from the deployment as it
   * stands then: a status computed earlier would put back conditions the controller has written since.
   */
  private write(cd: KubeObject, recs: Map<string, ServiceRecord>): void {
    const now = this.options.now();
    this.sets.sync(cd, this.setServicesOf(cd, recs), now);
    const { namespace, name, uid } = cd.metadata;
    this.enqueueWrite(async () => {
      const latest = this.store.get(CLUSTER_DEPLOYMENTS, namespace, name);
      if (!latest || latest.metadata.uid !== uid || latest.metadata.deletionTimestamp || this.records.get(uid ?? '') !== recs) return;
      const status = this.statusOf(latest, this.statesOf(latest, recs), this.options.now());
      if (!deepEqual(status, section(latest, 'status'))) await this.store.updateStatus(CLUSTER_DEPLOYMENTS, namespace, name, status);
    });
    if (this.store.list(MULTI_CLUSTER_SERVICES).length > 0) this.refreshMultiClusterServices();
  }

  private setServicesOf(cd: KubeObject, recs: Map<string, ServiceRecord>): SetService[] {
    const states = this.statesOf(cd, recs);
    return [...recs.values()].map((r, i) => ({
      ...states[i]!,
      ...(r.entry.values !== undefined ? { values: r.entry.values } : {}),
      ...(r.entry.from !== undefined ? { from: r.entry.from } : {}),
    }));
  }

  private writeMultiClusterServiceStatus(mcs: KubeObject): void {
    const status = multiClusterServiceStatus(this.store, mcs, this.options.now());
    if (deepEqual(status, section(mcs, 'status'))) return;
    // A check that fails, or fails otherwise than before, is a Warning event too (kcm
    // multiclusterservice_controller.go:127-156: record.Warnf when setCondition changed the condition; reason the
    // condition's type, the action the check's).
    const before = conditionsAt(section(mcs, 'status') as JsonObject);
    const events = conditionsAt(status).flatMap((now) => {
      const type = now['type'];
      if (now['status'] !== 'False' || typeof type !== 'string' || !Object.hasOwn(MULTI_CLUSTER_SERVICE_CHECKS, type)) return [];
      const was = before.find((c) => c['type'] === type);
      const changed = !was || (['status', 'reason', 'message', 'observedGeneration'] as const).some((k) => was[k] !== now[k]);
      const action = MULTI_CLUSTER_SERVICE_CHECKS[type as keyof typeof MULTI_CLUSTER_SERVICE_CHECKS];
      return changed ? [{ type: 'Warning' as const, reason: type, message: String(now['message'] ?? ''), action }] : [];
    });
    this.enqueueWrite(async () => {
      const written = await this.store.updateStatus(MULTI_CLUSTER_SERVICES, undefined, mcs.metadata.name, status as JsonObject);
      for (const event of events) await recordEvent(this.store, written, event);
    });
  }

  private enqueueWrite(write: () => Promise<unknown>): void {
    this.writes = this.writes
      .then(async () => {
        if (!this.closed) await write();
      })
      .catch((err: unknown) => this.options.log(`kcm: services status write failed: ${err instanceof Error ? err.message : String(err)}`));
  }

  private later(ms: number, step: () => void): NodeJS.Timeout {
    const timer = setTimeout(() => {
      if (this.closed) return;
      try {
        step();
      } catch (err) {
        this.options.log(`kcm: services step failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }, ms);
    timer.unref();
    return timer;
  }
}

/** The conditions of a status object, as plain records. */
function conditionsAt(status: JsonObject): JsonObject[] {
  return Array.isArray(status['conditions']) ? status['conditions'].filter(isJsonObject) : [];
}
