/**
 * Cluster API (sigs.k8s.io/cluster-api v1.13.4, the version kcm v1.11.4 installs) with the infrastructure
 * providers (./providers.ts) and k0smotron's control-plane and bootstrap providers, over the objects a
 * cluster chart rendered (./helm-controller.ts). One reconcile per CAPI Cluster walks, in CAPI's order:
 * - the infrastructure cluster: provisioned after a fifth of provisionSeconds (status.ready or
 *   status.initialization.provisioned by the provider's contract, controlPlaneEndpoint set), or failed with
 *   the provider's own error under the `infra-error` fault;
 * - the control plane: K0sControlPlane creates `replicas` Machines (one more, then one outdated less, while
 *   its version changes); K0smotronControlPlane runs in the management cluster and has no Machines;
 * - the MachineDeployments: one MachineSet per template (version), scaled to `replicas`, the old one scaled
 *   down as the new one's Machines turn ready;
 * - each Machine: bootstrap data (workers only once the control plane is initialized), then the
 *   infrastructure machine's providerID, then the Node (nodeRef) — Pending, Provisioning, Provisioned, Running;
 * - the status and v1beta2 conditions of every object (./capi-status.ts).
 * Deletion follows CAPI's order (internal/controllers/cluster/cluster_controller.go reconcileDelete): workers,
 * then the control plane, then the infrastructure cluster, then the Cluster's finalizer; each Machine
 * deletes its infrastructure machine and bootstrap config first.
 */
import { createHash } from 'node:crypto';
import type { KubeObject, ResourceKey, StoreEvent } from '../apiserver/types.js';
import type { KcmApi } from '../kcm/api.js';
import { recordEvent } from '../kcm/events.js';
import {
  clusterStatus,
  controlPlaneStatus,
  infraMachineStatus,
  machineDeploymentStatus,
  machineSetStatus,
  machineStatus,
  type MachineState,
} from './capi-status.js';
import { faultOf } from './faults.js';
import { controllerLog, type ControllerLog } from './logs.js';
import { WorkQueue } from './queue.js';
import {
  CONTROL_PLANE_LABEL,
  CONTROL_PLANE_NAME_LABEL,
  DEPLOYMENT_NAME_LABEL,
  MACHINE_FINALIZER,
  SET_NAME_LABEL,
  TEMPLATE_HASH_LABEL,
  machineObject,
  machineParts,
  ownerRef,
  randomSuffix,
  type MachineBlueprint,
} from './machines.js';
import { infraFinalizerOf, infraProviderOf } from './providers.js';
import { CLUSTER_NAME_LABEL, HELM_NAME_LABEL, clusterNameOf } from './render.js';
import { CLUSTERS, MACHINES, MACHINE_DEPLOYMENTS, MACHINE_SETS, apiVersionOf, resourceOfKind } from './resources.js';
import { addFinalizer, isConflict, isNotFound, removeFinalizer, specOf, splitKey, statusOf, writeStatus } from './status.js';
import { PROVISIONED_ANNOTATION, type Fault, type LogSink } from './types.js';

export const CLUSTER_FINALIZER = 'cluster.cluster.x-k8s.io';
export const MACHINE_DEPLOYMENT_FINALIZER = 'cluster.x-k8s.io/machinedeployment';
export const MACHINE_SET_FINALIZER = 'cluster.x-k8s.io/machineset';
export const CONTROL_PLANE_FINALIZER = 'k0s.k0sproject.io/finalizer';
/** kcm's finalizer on the infrastructure cluster (set by the charts; kcm removes it once no Machines remain). */
export const KCM_CLEANUP_FINALIZER = 'k0rdent.mirantis.com/cleanup';

const CAPI = 'cluster.x-k8s.io';

export interface CapiOptions {
  provisionMs: number;
  deleteMs: number;
  logSink?: LogSink;
  log: (line: string) => void;
}

interface Ref {
  resource: ResourceKey;
  object: KubeObject | undefined;
}

function refOf(object: KubeObject, field: 'infrastructureRef' | 'controlPlaneRef'): { kind: string; name: string } | undefined {
  const ref = specOf(object)[field] as { kind?: unknown; name?: unknown } | undefined;
  return typeof ref?.kind === 'string' && typeof ref.name === 'string' && ref.name !== '' ? { kind: ref.kind, name: ref.name } : undefined;
}

const hasOwner = (o: KubeObject, owner: KubeObject): boolean =>
  (o.metadata.ownerReferences ?? []).some((r) => r.uid === owner.metadata.uid);

export class CapiController {
  private readonly work: WorkQueue;
  private readonly logs: Record<'capi' | 'k0smotron', ControllerLog>;
  private readonly providerLogs = new Map<string, ControllerLog>();
  /** When the world first saw an object (uid → ms) or reached a milestone (`uid:what` → ms). */
  private readonly marks = new Map<string, number>();
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly api: KcmApi,
    private readonly options: CapiOptions,
  ) {
    this.logs = { capi: controllerLog('capi-controller-manager', options.logSink), k0smotron: controllerLog('k0smotron', options.logSink) };
    this.work = new WorkQueue(
      (key) => this.reconcile(key),
      (line) => options.log(`capi: ${line}`),
    );
  }

  start(): void {
    this.unsubscribe = this.api.subscribe((event) => this.onEvent(event));
    for (const cluster of this.api.list(CLUSTERS)) this.work.enqueue(`${cluster.metadata.namespace}/${cluster.metadata.name}`);
  }

  close(): void {
    this.unsubscribe?.();
    this.work.close();
  }

  private providerLog(kind: string): ControllerLog {
    const controller = infraProviderOf(kind).controller;
    let log = this.providerLogs.get(controller);
    if (!log) this.providerLogs.set(controller, (log = controllerLog(controller, this.options.logSink)));
    return log;
  }

  private onEvent({ resource, object }: StoreEvent): void {
    if (resource.group === '' || resource.group.endsWith('fluxcd.io') || resource.group.endsWith('mirantis.com')) return;
    const ns = object.metadata.namespace ?? '';
    if (resource.group === CAPI && resource.plural === 'clusters') {
      this.work.enqueue(`${ns}/${object.metadata.name}`);
      return;
    }
    const labels = object.metadata.labels ?? {};
    const cluster =
      labels[CLUSTER_NAME_LABEL] ??
      (typeof specOf(object)['clusterName'] === 'string' ? String(specOf(object)['clusterName']) : undefined) ??
      (labels[HELM_NAME_LABEL] ? clusterNameOf(labels[HELM_NAME_LABEL]) : undefined);
    if (cluster) this.work.enqueue(`${ns}/${cluster}`);
  }

  /** provisionSeconds for this Cluster: 0 for one that is already up (PROVISIONED_ANNOTATION). */
  private pOf(cluster: KubeObject | undefined): number {
    return cluster?.metadata.annotations?.[PROVISIONED_ANNOTATION] === 'true' ? 0 : this.options.provisionMs;
  }

  /**
   * When the world first saw an object (or reached a milestone). For a Cluster that is already up
   * (PROVISIONED_ANNOTATION) the moment is backdated past provisioning, so its objects stay up once the
   * annotation is gone.
   */
  private seen(object: KubeObject, what = '', cluster?: KubeObject): number {
    const key = `${object.metadata.uid ?? object.metadata.name}${what}`;
    let at = this.marks.get(key);
    if (at === undefined) {
      at = Date.now() - (cluster && this.pOf(cluster) === 0 ? 10 * this.options.provisionMs : 0);
      this.marks.set(key, at);
    }
    return at;
  }

  private get(resource: ResourceKey | undefined, namespace: string, name: string): KubeObject | undefined {
    return resource ? this.api.get(resource, namespace, name) : undefined;
  }

  private async reconcile(key: string): Promise<number | undefined> {
    const { namespace, name } = splitKey(key);
    const cluster = this.api.get(CLUSTERS, namespace, name);
    if (!cluster) return this.orphans(namespace, name);
    const wake = new Wake();
    const fault = faultOf(this.api, cluster);
    const instant = cluster.metadata.annotations?.[PROVISIONED_ANNOTATION] === 'true';
    const infraRef = refOf(cluster, 'infrastructureRef');
    const cpRef = refOf(cluster, 'controlPlaneRef');
    const infra: Ref = { resource: resourceOfKind(infraRef?.kind ?? '') ?? CLUSTERS, object: undefined };
    infra.object = infraRef ? this.get(resourceOfKind(infraRef.kind), namespace, infraRef.name) : undefined;
    const cp: Ref = { resource: resourceOfKind(cpRef?.kind ?? '') ?? CLUSTERS, object: undefined };
    cp.object = cpRef ? this.get(resourceOfKind(cpRef.kind), namespace, cpRef.name) : undefined;

    if (cluster.metadata.deletionTimestamp) return this.reconcileDelete(cluster, infra, cp, fault, wake);
    let current = await addFinalizer(this.api, CLUSTERS, cluster, CLUSTER_FINALIZER);

    // Owner references and the cluster-name label CAPI puts on what the Cluster references.
    if (infra.object && !infra.object.metadata.deletionTimestamp) {
      infra.object = await this.adopt(infra.resource, infra.object, current, [infraFinalizerOf(infra.object.kind)]);
    }
    if (cp.object && !cp.object.metadata.deletionTimestamp) {
      cp.object = await this.adopt(cp.resource, cp.object, current, [CONTROL_PLANE_FINALIZER]);
    }

    // The infrastructure provider.
    const infraProvisioned = infra.object ? await this.reconcileInfra(infra, current, fault, wake) : false;

    // The control plane provider.
    const cpState = cp.object
      ? await this.reconcileControlPlane(cp, current, infra.object, infraProvisioned, fault, wake)
      : { initialized: false };
    if (cpState.initialized) this.seen(current, ':cp-initialized', current);

    // MachineDeployments → MachineSets → Machines.
    const deployments = this.api.list(MACHINE_DEPLOYMENTS, { namespace }).filter((md) => specOf(md)['clusterName'] === name);
    for (let md of deployments) {
      if (md.metadata.deletionTimestamp) {
        await this.deleteMachineDeployment(md);
        continue;
      }
      md = await this.adopt(MACHINE_DEPLOYMENTS, md, current, [MACHINE_DEPLOYMENT_FINALIZER]);
      if (infraProvisioned) await this.reconcileMachineDeployment(md, current);
    }
    for (const set of this.api.list(MACHINE_SETS, { namespace, labelSelector: `${CLUSTER_NAME_LABEL}=${name}` })) {
      await this.reconcileMachineSet(set, current, wake);
    }

    // Machines, their infrastructure machines and bootstrap configs.
    const states: MachineState[] = [];
    const cpInitializedAt = cpState.initialized ? this.marks.get(`${current.metadata.uid}:cp-initialized`) : undefined;
    for (const machine of this.api.list(MACHINES, { namespace, labelSelector: `${CLUSTER_NAME_LABEL}=${name}` })) {
      states.push(await this.reconcileMachine(machine, current, infra.object, cpInitializedAt, fault, wake));
    }

    // Statuses bottom-up.
    for (const set of this.api.list(MACHINE_SETS, { namespace, labelSelector: `${CLUSTER_NAME_LABEL}=${name}` })) {
      await writeStatus(
        this.api,
        MACHINE_SETS,
        set,
        machineSetStatus(
          set,
          states.filter((s) => s.machine.metadata.labels?.[SET_NAME_LABEL] === set.metadata.name),
        ),
      );
    }
    const mdObjects = this.api.list(MACHINE_DEPLOYMENTS, { namespace }).filter((md) => specOf(md)['clusterName'] === name);
    for (const md of mdObjects) {
      await writeStatus(
        this.api,
        MACHINE_DEPLOYMENTS,
        md,
        machineDeploymentStatus(
          md,
          states.filter((s) => s.machine.metadata.labels?.[DEPLOYMENT_NAME_LABEL] === md.metadata.name),
        ),
      );
    }
    const latestCp = cp.object ? this.get(cp.resource, namespace, cp.object.metadata.name) : undefined;
    current = this.api.get(CLUSTERS, namespace, name) ?? current;
    const status = clusterStatus({
      cluster: current,
      infra: infra.object ? this.get(infra.resource, namespace, infra.object.metadata.name) : undefined,
      infraProvisioned,
      controlPlane: latestCp,
      controlPlaneInitialized: cpState.initialized,
      deployments: this.api.list(MACHINE_DEPLOYMENTS, { namespace }).filter((md) => specOf(md)['clusterName'] === name),
      machines: states,
      remoteConnected: cpState.initialized,
    });
    const before = statusOf(current);
    current = await writeStatus(this.api, CLUSTERS, current, status);
    const available = (status['conditions'] as { type: string; status: string }[]).some(
      (c) => c.type === 'Available' && c.status === 'True',
    );
    if (instant && available) {
      const { [PROVISIONED_ANNOTATION]: _done, ...annotations } = current.metadata.annotations ?? {};
      await this.api.update(CLUSTERS, { ...current, metadata: { ...current.metadata, annotations } });
    }
    if (before['phase'] !== status['phase'])
      this.logs.capi.info({ kind: 'Cluster', group: CAPI, namespace, name }, `Cluster phase changed to ${String(status['phase'])}`);
    return wake.delay();
  }

  /** Objects left of a Cluster that is gone (deleted by hand): their finalizers are released. */
  private async orphans(namespace: string, name: string): Promise<undefined> {
    for (const machine of this.api.list(MACHINES, { namespace, labelSelector: `${CLUSTER_NAME_LABEL}=${name}` })) {
      if (machine.metadata.deletionTimestamp) await this.reconcileMachine(machine, undefined, undefined, undefined, undefined, new Wake());
    }
    return undefined;
  }

  private async adopt(resource: ResourceKey, object: KubeObject, cluster: KubeObject, finalizers: string[]): Promise<KubeObject> {
    const labels = object.metadata.labels ?? {};
    const missing = finalizers.filter((f) => !(object.metadata.finalizers ?? []).includes(f));
    if (labels[CLUSTER_NAME_LABEL] === cluster.metadata.name && hasOwner(object, cluster) && missing.length === 0) return object;
    return this.api.update(resource, {
      ...object,
      metadata: {
        ...object.metadata,
        labels: { ...labels, [CLUSTER_NAME_LABEL]: cluster.metadata.name },
        ownerReferences: hasOwner(object, cluster)
          ? object.metadata.ownerReferences
          : [...(object.metadata.ownerReferences ?? []), ownerRef(cluster, false)],
        finalizers: [...(object.metadata.finalizers ?? []), ...missing],
      },
    });
  }

  private async reconcileInfra(infra: Ref, cluster: KubeObject, fault: Fault | undefined, wake: Wake): Promise<boolean> {
    const object = infra.object!;
    const provider = infraProviderOf(object.kind);
    const log = this.providerLog(object.kind);
    const subject = {
      kind: object.kind,
      group: 'infrastructure.cluster.x-k8s.io',
      namespace: object.metadata.namespace ?? '',
      name: object.metadata.name,
    };
    const status = statusOf(object);
    const provisioned = provider.v1beta2
      ? (status['initialization'] as { provisioned?: boolean } | undefined)?.provisioned === true
      : status['ready'] === true;
    if (provisioned) return true;
    if (fault === 'infra-error') {
      const failure = provider.failure(object);
      const updated = await writeStatus(
        this.api,
        infra.resource,
        object,
        infraMachineStatus.failedCluster(object, provider.v1beta2, failure),
      );
      if (updated !== object) {
        await recordEvent(this.api, object, {
          type: 'Warning',
          reason: 'FailedReconcile',
          message: failure.message,
          reportingController: provider.controller,
          reportingInstance: `${provider.controller}-7d9f8b6c5-sbx42`,
        });
      }
      log.error(subject, 'Reconciler error', failure.message);
      wake.after(Math.min(10_000, Math.max(1000, this.options.provisionMs)));
      return false;
    }
    const due = this.seen(object, '', cluster) + 0.2 * this.pOf(cluster);
    if (Date.now() < due) {
      wake.at(due);
      return false;
    }
    await writeStatus(this.api, infra.resource, object, infraMachineStatus.provisionedCluster(object, provider.v1beta2));
    // The provider sets the control plane endpoint (the load balancer); CAPI copies it to the Cluster.
    const endpoint = { host: `${cluster.metadata.name}-apiserver.${object.metadata.namespace}.sandbox.k0rdent.local`, port: 6443 };
    const latest = this.api.get(infra.resource, object.metadata.namespace, object.metadata.name) ?? object;
    if (!specOf(latest)['controlPlaneEndpoint'])
      await this.api.update(infra.resource, { ...latest, spec: { ...specOf(latest), controlPlaneEndpoint: endpoint } });
    const currentCluster = this.api.get(CLUSTERS, cluster.metadata.namespace, cluster.metadata.name) ?? cluster;
    if (!specOf(currentCluster)['controlPlaneEndpoint'])
      await this.api.update(CLUSTERS, { ...currentCluster, spec: { ...specOf(currentCluster), controlPlaneEndpoint: endpoint } });
    log.info(subject, `Reconcile ${object.kind} completed successfully`);
    return true;
  }

  private async reconcileControlPlane(
    cp: Ref,
    cluster: KubeObject,
    infra: KubeObject | undefined,
    infraProvisioned: boolean,
    fault: Fault | undefined,
    wake: Wake,
  ): Promise<{ initialized: boolean }> {
    const object = cp.object!;
    const namespace = object.metadata.namespace ?? '';
    const spec = specOf(object);
    const desired = typeof spec['replicas'] === 'number' ? spec['replicas'] : 1;
    const version = String(spec['version'] ?? '');
    const subject = { kind: object.kind, group: 'controlplane.cluster.x-k8s.io', namespace, name: object.metadata.name };
    const machines = this.api
      .list(MACHINES, { namespace, labelSelector: `${CONTROL_PLANE_NAME_LABEL}=${object.metadata.name}` })
      .filter((m) => !m.metadata.deletionTimestamp);
    const hosted = object.kind === 'K0smotronControlPlane';
    let initialized =
      (statusOf(object)['initialization'] as { controlPlaneInitialized?: boolean } | undefined)?.controlPlaneInitialized === true;
    if (infraProvisioned && !hosted) {
      const upToDate = machines.filter((m) => specOf(m)['version'] === version);
      const outdated = machines.filter((m) => specOf(m)['version'] !== version);
      const ready = (m: KubeObject): boolean => Boolean(statusOf(m)['nodeRef']);
      if (machines.length < desired) {
        for (let i = machines.length; i < desired; i++) await this.createControlPlaneMachine(object, cluster, version);
        this.logs.k0smotron.info(subject, `Scaling up control plane from ${machines.length} to ${desired} replicas`);
      } else if (outdated.length > 0) {
        if (machines.length <= desired && machines.every(ready)) {
          await this.createControlPlaneMachine(object, cluster, version);
          this.logs.k0smotron.info(subject, `Rolling out control plane machine to version ${version}`);
        } else if (machines.length > desired && upToDate.every(ready)) {
          await this.api.delete(MACHINES, namespace, outdated[0]!.metadata.name);
        }
      } else if (machines.length > desired) {
        const surplus = [...machines].sort((a, b) =>
          (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? ''),
        );
        for (const m of surplus.slice(0, machines.length - desired)) await this.api.delete(MACHINES, namespace, m.metadata.name);
        this.logs.k0smotron.info(subject, `Scaling down control plane from ${machines.length} to ${desired} replicas`);
      }
      if (!initialized && machines.some(ready)) initialized = true;
    } else if (infraProvisioned && hosted && !initialized && fault !== 'control-plane-not-initialized') {
      const due = this.seen(object, ':infra', cluster) + 0.5 * this.pOf(cluster);
      if (Date.now() >= due) initialized = true;
      else wake.at(due);
    }
    if (!initialized && infraProvisioned && fault === 'control-plane-not-initialized') {
      this.logs.k0smotron.error(
        subject,
        'Reconciler error',
        `failed to get the control plane status: Get "https://${cluster.metadata.name}-apiserver.${namespace}.sandbox.k0rdent.local:6443/readyz": dial tcp 10.0.1.15:6443: connect: connection refused`,
      );
      wake.after(Math.min(10_000, Math.max(1000, this.options.provisionMs)));
    }
    const all = this.api.list(MACHINES, { namespace, labelSelector: `${CONTROL_PLANE_NAME_LABEL}=${object.metadata.name}` });
    const wasInitialized =
      (statusOf(object)['initialization'] as { controlPlaneInitialized?: boolean } | undefined)?.controlPlaneInitialized === true;
    await writeStatus(this.api, cp.resource, object, controlPlaneStatus(object, all, initialized, hosted, infraProvisioned));
    if (initialized && !wasInitialized) this.logs.k0smotron.info(subject, 'Control plane initialized');
    void infra;
    return { initialized };
  }

  private async createControlPlaneMachine(cp: KubeObject, cluster: KubeObject, version: string): Promise<void> {
    const namespace = cp.metadata.namespace ?? '';
    const template = (specOf(cp)['machineTemplate'] as { infrastructureRef?: { kind?: string; name?: string } } | undefined)
      ?.infrastructureRef;
    const templateKind = template?.kind ?? '';
    const blueprint: MachineBlueprint = {
      name: `${cp.metadata.name}-${randomSuffix()}`,
      namespace,
      cluster: cluster.metadata.name,
      version,
      labels: { [CONTROL_PLANE_LABEL]: '', [CONTROL_PLANE_NAME_LABEL]: cp.metadata.name },
      owner: cp,
      infraTemplate: this.get(resourceOfKind(templateKind), namespace, template?.name ?? ''),
      infraTemplateKind: templateKind,
      bootstrapKind: 'K0sControllerConfig',
      bootstrapSpec: { version, k0s: specOf(cp)['k0sConfigSpec'] ?? {} },
    };
    await this.createMachine(blueprint);
  }

  private async createMachine(blueprint: MachineBlueprint): Promise<void> {
    const machine = await this.api.create(MACHINES, machineObject(blueprint));
    for (const part of machineParts(blueprint, machine)) {
      const resource = resourceOfKind(part.kind);
      if (!resource) continue;
      try {
        await this.api.create(resource, part);
      } catch (err) {
        if (!isConflict(err)) throw err;
      }
    }
    this.logs.capi.info({ kind: 'Machine', group: CAPI, namespace: blueprint.namespace, name: blueprint.name }, 'Machine created', {
      Cluster: `${blueprint.namespace}/${blueprint.cluster}`,
    });
  }

  private async reconcileMachineDeployment(md: KubeObject, cluster: KubeObject): Promise<void> {
    const namespace = md.metadata.namespace ?? '';
    const spec = specOf(md);
    const desired = typeof spec['replicas'] === 'number' ? spec['replicas'] : 1;
    const template = (spec['template'] ?? {}) as Record<string, unknown>;
    const hash = createHash('sha256').update(JSON.stringify(template)).digest('hex').slice(0, 10);
    const sets = this.api
      .list(MACHINE_SETS, { namespace, labelSelector: `${DEPLOYMENT_NAME_LABEL}=${md.metadata.name}` })
      .filter((s) => !s.metadata.deletionTimestamp);
    let current = sets.find((s) => s.metadata.labels?.[TEMPLATE_HASH_LABEL] === hash);
    if (!current) {
      const name = `${md.metadata.name}-${randomSuffix(5)}`;
      current = await this.api.create(MACHINE_SETS, {
        apiVersion: apiVersionOf(MACHINE_SETS),
        kind: 'MachineSet',
        metadata: {
          name,
          namespace,
          labels: { [CLUSTER_NAME_LABEL]: cluster.metadata.name, [DEPLOYMENT_NAME_LABEL]: md.metadata.name, [TEMPLATE_HASH_LABEL]: hash },
          ownerReferences: [ownerRef(md)],
          finalizers: [MACHINE_SET_FINALIZER],
        },
        spec: {
          clusterName: cluster.metadata.name,
          replicas: sets.length === 0 ? desired : 0,
          selector: { matchLabels: { [CLUSTER_NAME_LABEL]: cluster.metadata.name, [TEMPLATE_HASH_LABEL]: hash } },
          template: {
            metadata: {
              labels: {
                [CLUSTER_NAME_LABEL]: cluster.metadata.name,
                [DEPLOYMENT_NAME_LABEL]: md.metadata.name,
                [TEMPLATE_HASH_LABEL]: hash,
              },
            },
            spec: template['spec'] ?? {},
          },
        },
      });
      this.logs.capi.info(
        { kind: 'MachineDeployment', group: CAPI, namespace, name: md.metadata.name },
        `Created MachineSet ${namespace}/${name}`,
      );
    }
    // Rolling update (maxSurge 1, maxUnavailable 0): the new set grows by one while the old ones still
    // have Machines, and the old ones shrink by the new set's ready Machines.
    const old = sets.filter((s) => s !== current && s.metadata.uid !== current!.metadata.uid);
    const readyOf = (s: KubeObject): number => Number(statusOf(s)['readyReplicas'] ?? 0);
    const oldReplicas = old.reduce((n, s) => n + Number(specOf(s)['replicas'] ?? 0), 0);
    const newReady = readyOf(current);
    let newTarget = desired;
    if (old.length > 0 && oldReplicas > 0) newTarget = Math.min(desired, Math.max(Number(specOf(current)['replicas'] ?? 0), newReady + 1));
    if (specOf(current)['replicas'] !== newTarget)
      await this.api.update(MACHINE_SETS, { ...current, spec: { ...specOf(current), replicas: newTarget } });
    let budget = Math.max(0, newReady - Math.max(0, desired - oldReplicas));
    for (const set of old) {
      const replicas = Number(specOf(set)['replicas'] ?? 0);
      const target = Math.max(0, replicas - Math.max(budget, newReady >= desired ? replicas : 0));
      budget = Math.max(0, budget - (replicas - target));
      if (target !== replicas) await this.api.update(MACHINE_SETS, { ...set, spec: { ...specOf(set), replicas: target } });
      if (target === 0 && Number(statusOf(set)['replicas'] ?? 0) === 0)
        await this.api.delete(MACHINE_SETS, namespace, set.metadata.name).catch(ignoreNotFound);
    }
  }

  private async reconcileMachineSet(set: KubeObject, cluster: KubeObject, wake: Wake): Promise<void> {
    const namespace = set.metadata.namespace ?? '';
    const machines = this.api.list(MACHINES, { namespace, labelSelector: `${SET_NAME_LABEL}=${set.metadata.name}` });
    const alive = machines.filter((m) => !m.metadata.deletionTimestamp);
    if (set.metadata.deletionTimestamp) {
      for (const m of alive) await this.api.delete(MACHINES, namespace, m.metadata.name).catch(ignoreNotFound);
      if (machines.length === 0) await removeFinalizer(this.api, MACHINE_SETS, set, MACHINE_SET_FINALIZER);
      return;
    }
    const desired = Number(specOf(set)['replicas'] ?? 0);
    const template = (specOf(set)['template'] as { spec?: Record<string, unknown> } | undefined)?.spec ?? {};
    const infraRef = (template['infrastructureRef'] ?? {}) as { kind?: string; name?: string };
    const bootstrapRef = ((template['bootstrap'] as { configRef?: { kind?: string; name?: string } } | undefined)?.configRef ?? {}) as {
      kind?: string;
      name?: string;
    };
    if (alive.length < desired) {
      const bootstrapTemplate = this.get(resourceOfKind(bootstrapRef.kind ?? ''), namespace, bootstrapRef.name ?? '');
      for (let i = alive.length; i < desired; i++) {
        await this.createMachine({
          name: `${set.metadata.name}-${randomSuffix()}`,
          namespace,
          cluster: cluster.metadata.name,
          version: String(template['version'] ?? ''),
          labels: {
            [SET_NAME_LABEL]: set.metadata.name,
            [DEPLOYMENT_NAME_LABEL]: set.metadata.labels?.[DEPLOYMENT_NAME_LABEL] ?? '',
            [TEMPLATE_HASH_LABEL]: set.metadata.labels?.[TEMPLATE_HASH_LABEL] ?? '',
          },
          owner: set,
          infraTemplate: this.get(resourceOfKind(infraRef.kind ?? ''), namespace, infraRef.name ?? ''),
          infraTemplateKind: infraRef.kind ?? '',
          bootstrapKind: 'K0sWorkerConfig',
          bootstrapSpec: ((specOf(bootstrapTemplate)['template'] as { spec?: Record<string, unknown> } | undefined)?.spec ?? {}) as Record<
            string,
            unknown
          >,
        });
      }
    } else if (alive.length > desired) {
      // CAPI's default delete policy prefers Machines that are not ready, then the newest.
      const order = [...alive].sort(
        (a, b) =>
          Number(Boolean(statusOf(a)['nodeRef'])) - Number(Boolean(statusOf(b)['nodeRef'])) ||
          (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? ''),
      );
      for (const m of order.slice(0, alive.length - desired))
        await this.api.delete(MACHINES, namespace, m.metadata.name).catch(ignoreNotFound);
    }
    void wake;
  }

  private async deleteMachineDeployment(md: KubeObject): Promise<void> {
    const namespace = md.metadata.namespace ?? '';
    const sets = this.api.list(MACHINE_SETS, { namespace, labelSelector: `${DEPLOYMENT_NAME_LABEL}=${md.metadata.name}` });
    for (const set of sets)
      if (!set.metadata.deletionTimestamp) await this.api.delete(MACHINE_SETS, namespace, set.metadata.name).catch(ignoreNotFound);
    if (sets.length === 0) await removeFinalizer(this.api, MACHINE_DEPLOYMENTS, md, MACHINE_DEPLOYMENT_FINALIZER);
  }

  private async reconcileMachine(
    machine: KubeObject,
    cluster: KubeObject | undefined,
    infraCluster: KubeObject | undefined,
    cpInitializedAt: number | undefined,
    fault: Fault | undefined,
    wake: Wake,
  ): Promise<MachineState> {
    const namespace = machine.metadata.namespace ?? '';
    const spec = specOf(machine);
    const infraRef = spec['infrastructureRef'] as { kind?: string; name?: string } | undefined;
    const bootstrapRef = (spec['bootstrap'] as { configRef?: { kind?: string; name?: string } } | undefined)?.configRef;
    const infraResource = resourceOfKind(infraRef?.kind ?? '');
    const bootstrapResource = resourceOfKind(bootstrapRef?.kind ?? '');
    let infraMachine = this.get(infraResource, namespace, infraRef?.name ?? '');
    const bootstrap = this.get(bootstrapResource, namespace, bootstrapRef?.name ?? '');
    const controlPlane = machine.metadata.labels?.[CONTROL_PLANE_LABEL] !== undefined;
    const subject = { kind: 'Machine', group: CAPI, namespace, name: machine.metadata.name };
    const P = this.pOf(cluster);

    if (machine.metadata.deletionTimestamp) {
      const started = this.seen(machine, ':deleting');
      if (infraMachine && !infraMachine.metadata.deletionTimestamp)
        await this.api.delete(infraResource!, namespace, infraMachine.metadata.name).catch(ignoreNotFound);
      if (bootstrap && !bootstrap.metadata.deletionTimestamp)
        await this.api.delete(bootstrapResource!, namespace, bootstrap.metadata.name).catch(ignoreNotFound);
      infraMachine = this.get(infraResource, namespace, infraRef?.name ?? '');
      if (infraMachine) {
        const due = started + 0.3 * this.options.deleteMs;
        if (Date.now() >= due) {
          await removeFinalizer(
            this.api,
            infraResource!,
            infraMachine,
            `${infraMachine.kind.toLowerCase()}.infrastructure.cluster.x-k8s.io`,
          );
          this.providerLog(infraMachine.kind).info(
            { kind: infraMachine.kind, group: 'infrastructure.cluster.x-k8s.io', namespace, name: infraMachine.metadata.name },
            'Instance terminated',
          );
        } else wake.at(due);
      }
      const stillThere =
        this.get(infraResource, namespace, infraRef?.name ?? '') || this.get(bootstrapResource, namespace, bootstrapRef?.name ?? '');
      const latest = this.api.get(MACHINES, namespace, machine.metadata.name);
      if (!stillThere && latest) {
        await removeFinalizer(this.api, MACHINES, latest, MACHINE_FINALIZER);
        this.logs.capi.info(subject, 'Machine deleted');
      } else if (latest) {
        await writeStatus(this.api, MACHINES, latest, machineStatus.deleting(latest, infraRef?.kind ?? ''));
      }
      return { machine, controlPlane, phase: 'Deleting', ready: false, upToDate: true };
    }

    // Bootstrap: a worker waits for the control plane (k0smotron's K0sWorkerConfig controller).
    const start = controlPlane
      ? this.seen(machine, '', cluster)
      : cpInitializedAt !== undefined
        ? Math.max(this.seen(machine, '', cluster), cpInitializedAt)
        : undefined;
    const now = Date.now();
    const bootstrapDue = start === undefined ? undefined : start + 0.1 * P;
    const providerDue = start === undefined ? undefined : start + 0.25 * P;
    const nodeDue = start === undefined ? undefined : start + 0.35 * P;
    const bootstrapReady = bootstrapDue !== undefined && now >= bootstrapDue;
    const withholdProviderID = fault === 'machine-without-provider-id' && !controlPlane;
    const infraProvisioned = bootstrapReady && providerDue !== undefined && now >= providerDue;
    const providerID =
      infraProvisioned && !withholdProviderID && infraMachine
        ? infraProviderOf(infraMachine.kind).providerID(infraMachine, infraCluster)
        : undefined;
    const nodeUp =
      providerID !== undefined && nodeDue !== undefined && now >= nodeDue && !(controlPlane && fault === 'control-plane-not-initialized');
    for (const due of [bootstrapDue, providerDue, nodeDue]) if (due !== undefined && due > now) wake.at(due);

    if (bootstrap && bootstrapReady && statusOf(bootstrap)['ready'] !== true) {
      await writeStatus(this.api, bootstrapResource!, bootstrap, {
        ready: true,
        dataSecretName: bootstrap.metadata.name,
        initialization: { dataSecretCreated: true },
      });
      this.logs.k0smotron.info(
        { kind: bootstrap.kind, group: 'bootstrap.cluster.x-k8s.io', namespace, name: bootstrap.metadata.name },
        'Bootstrap data secret created',
      );
    }
    if (infraMachine && bootstrapReady) {
      const provider = infraProviderOf(infraMachine.kind);
      const log = this.providerLog(infraMachine.kind);
      const infraSubject = {
        kind: infraMachine.kind,
        group: 'infrastructure.cluster.x-k8s.io',
        namespace,
        name: infraMachine.metadata.name,
      };
      if (providerID && specOf(infraMachine)['providerID'] !== providerID) {
        infraMachine = await this.api.update(infraResource!, { ...infraMachine, spec: { ...specOf(infraMachine), providerID } });
        log.info(infraSubject, 'Instance created', { providerID });
      }
      if (withholdProviderID && infraProvisioned) {
        if (statusOf(infraMachine)['ready'] !== true)
          log.info(
            infraSubject,
            'Instance is running but its provider ID could not be determined: instance metadata has no availability zone',
          );
        this.logs.capi.info(subject, `Waiting for infrastructure provider to set spec.providerID on ${infraMachine.kind}`, {
          [infraMachine.kind]: `${namespace}/${infraMachine.metadata.name}`,
        });
        wake.after(Math.min(10_000, Math.max(1000, P)));
      }
      infraMachine = await writeStatus(
        this.api,
        infraResource!,
        infraMachine,
        infraMachineStatus.machine(infraMachine, provider.v1beta2, infraProvisioned),
      );
    }
    let current = this.api.get(MACHINES, namespace, machine.metadata.name) ?? machine;
    const wantSpec = {
      ...specOf(current),
      ...(bootstrapReady && bootstrap
        ? { bootstrap: { ...(specOf(current)['bootstrap'] as object), dataSecretName: bootstrap.metadata.name } }
        : {}),
      ...(providerID ? { providerID } : {}),
    };
    if (JSON.stringify(wantSpec) !== JSON.stringify(specOf(current)))
      current = await this.api.update(MACHINES, { ...current, spec: wantSpec });
    const phaseBefore = statusOf(current)['phase'];
    const state = machineStatus.compute(current, {
      cluster,
      controlPlane,
      bootstrapKind: bootstrapRef?.kind ?? 'K0sWorkerConfig',
      infraKind: infraRef?.kind ?? '',
      bootstrapReady,
      infraProvisioned: infraProvisioned && providerID !== undefined,
      infraReady: infraProvisioned,
      providerID,
      nodeUp,
      waitingForControlPlane: start === undefined,
    });
    await writeStatus(this.api, MACHINES, current, state.status);
    if (phaseBefore !== state.phase) this.logs.capi.info(subject, `Machine phase changed to ${state.phase}`);
    return { machine: current, controlPlane, phase: state.phase, ready: nodeUp, upToDate: true };
  }

  private async reconcileDelete(
    cluster: KubeObject,
    infra: Ref,
    cp: Ref,
    fault: Fault | undefined,
    wake: Wake,
  ): Promise<number | undefined> {
    const namespace = cluster.metadata.namespace ?? '';
    const name = cluster.metadata.name;
    const subject = { kind: 'Cluster', group: CAPI, namespace, name };
    const mds = this.api.list(MACHINE_DEPLOYMENTS, { namespace }).filter((md) => specOf(md)['clusterName'] === name);
    const sets = this.api.list(MACHINE_SETS, { namespace, labelSelector: `${CLUSTER_NAME_LABEL}=${name}` });
    const machines = this.api.list(MACHINES, { namespace, labelSelector: `${CLUSTER_NAME_LABEL}=${name}` });
    const workers = machines.filter((m) => m.metadata.labels?.[CONTROL_PLANE_LABEL] === undefined);
    const states: MachineState[] = [];
    for (const m of machines) states.push(await this.reconcileMachine(m, cluster, infra.object, undefined, fault, wake));
    for (const set of sets) await this.reconcileMachineSet(set, cluster, wake);
    for (const md of mds) {
      if (!md.metadata.deletionTimestamp) await this.api.delete(MACHINE_DEPLOYMENTS, namespace, md.metadata.name).catch(ignoreNotFound);
      else await this.deleteMachineDeployment(md);
    }
    let reason: string;
    let message: string;
    if (mds.length + sets.length + workers.length > 0) {
      reason = 'WaitingForWorkersDeletion';
      // internal/controllers/cluster/cluster_controller.go:391-401, objectsPendingDeleteNames :523-568.
      const names = (list: KubeObject[]): string =>
        list
          .map((m) => m.metadata.name)
          .sort()
          .join(', ');
      message = [
        mds.length ? `* MachineDeployments: ${names(mds)}` : '',
        sets.length ? `* MachineSets: ${names(sets)}` : '',
        workers.length ? `* Worker Machines: ${names(workers)}` : '',
      ]
        .filter(Boolean)
        .join('\n');
    } else if (cp.object) {
      reason = 'WaitingForControlPlaneDeletion';
      message = `Waiting for ${cp.object.kind} to be deleted`; // cluster_controller.go:437-438
      if (!cp.object.metadata.deletionTimestamp)
        await this.api.delete(cp.resource, namespace, cp.object.metadata.name).catch(ignoreNotFound);
      const cpMachines = machines.filter((m) => m.metadata.labels?.[CONTROL_PLANE_NAME_LABEL] === cp.object!.metadata.name);
      for (const m of cpMachines)
        if (!m.metadata.deletionTimestamp) await this.api.delete(MACHINES, namespace, m.metadata.name).catch(ignoreNotFound);
      if (cpMachines.length === 0) await removeFinalizer(this.api, cp.resource, cp.object, CONTROL_PLANE_FINALIZER);
    } else if (infra.object) {
      reason = 'WaitingForInfrastructureDeletion';
      message = `Waiting for ${infra.object.kind} to be deleted`; // cluster_controller.go:477-478
      if (!infra.object.metadata.deletionTimestamp)
        await this.api.delete(infra.resource, namespace, infra.object.metadata.name).catch(ignoreNotFound);
      await this.deleteInfraCluster(infra, fault, wake);
    } else {
      await removeFinalizer(this.api, CLUSTERS, cluster, CLUSTER_FINALIZER);
      this.logs.capi.info(subject, 'Cluster deleted');
      return undefined;
    }
    // Objects the Helm uninstall deleted before CAPI got to them still wait for their turn.
    if (cp.object?.metadata.deletionTimestamp && reason === 'WaitingForWorkersDeletion') {
      const cpMachines = machines.filter((m) => m.metadata.labels?.[CONTROL_PLANE_NAME_LABEL] === cp.object!.metadata.name);
      if (cpMachines.length === 0) await removeFinalizer(this.api, cp.resource, cp.object, CONTROL_PLANE_FINALIZER);
    }
    if (infra.object?.metadata.deletionTimestamp && reason !== 'WaitingForInfrastructureDeletion')
      await this.deleteInfraCluster(infra, fault, wake);
    const current = this.api.get(CLUSTERS, namespace, name);
    if (current) await writeStatus(this.api, CLUSTERS, current, clusterStatus.deleting(current, reason, message, states));
    wake.after(Math.max(100, this.options.deleteMs * 0.1));
    return wake.delay();
  }

  /** The provider deletes the cloud resources once no Machine of the cluster is left (or never: `deletion-blocked`). */
  private async deleteInfraCluster(infra: Ref, fault: Fault | undefined, wake: Wake): Promise<void> {
    const object = infra.object!;
    const namespace = object.metadata.namespace ?? '';
    const cluster = object.metadata.labels?.[CLUSTER_NAME_LABEL] ?? object.metadata.name;
    const provider = infraProviderOf(object.kind);
    const log = this.providerLog(object.kind);
    const subject = { kind: object.kind, group: 'infrastructure.cluster.x-k8s.io', namespace, name: object.metadata.name };
    const machinesLeft = this.api.list(MACHINES, { namespace, labelSelector: `${CLUSTER_NAME_LABEL}=${cluster}` }).length;
    if (machinesLeft > 0) return;
    const started = this.seen(object, ':deleting');
    if (fault === 'deletion-blocked') {
      const message = `failed to delete VPC "vpc-0${object.metadata.uid?.replaceAll('-', '').slice(0, 16) ?? '1'}": DependencyViolation: The vpc 'vpc-0${object.metadata.uid?.replaceAll('-', '').slice(0, 16) ?? '1'}' has dependencies and cannot be deleted.\n\tstatus code: 400, request id: ${object.metadata.uid ?? ''}`;
      const updated = await writeStatus(
        this.api,
        infra.resource,
        object,
        infraMachineStatus.deletionFailed(object, provider.v1beta2, message),
      );
      if (updated !== object)
        await recordEvent(this.api, object, {
          type: 'Warning',
          reason: 'FailedDelete',
          message,
          reportingController: provider.controller,
          reportingInstance: `${provider.controller}-7d9f8b6c5-sbx42`,
        });
      log.error(subject, 'Reconciler error', message);
      wake.after(Math.min(10_000, Math.max(1000, this.options.deleteMs)));
      return;
    }
    const due = started + 0.3 * this.options.deleteMs;
    if (Date.now() < due) {
      wake.at(due);
      return;
    }
    await removeFinalizer(this.api, infra.resource, object, infraFinalizerOf(object.kind));
    log.info(subject, `Reconcile ${object.kind} delete completed successfully`);
  }
}

function ignoreNotFound(err: unknown): boolean {
  if (isNotFound(err)) return false;
  throw err;
}

/** The earliest moment a reconcile must run again. */
class Wake {
  private earliest: number | undefined;
  at(time: number): void {
    if (this.earliest === undefined || time < this.earliest) this.earliest = time;
  }
  after(ms: number): void {
    this.at(Date.now() + ms);
  }
  delay(): number | undefined {
    return this.earliest === undefined ? undefined : Math.max(1, this.earliest - Date.now());
  }
}
