/**
 * The status Cluster API v1beta2 and the providers write, as pure functions of the objects
 * (sigs.k8s.io/cluster-api v1.13.4: api/core/v1beta2 cluster_types.go, machine_types.go,
 * machinedeployment_types.go, condition_consts.go for the types and reasons; internal/controllers/cluster/
 * cluster_controller_status.go and internal/controllers/machine/machine_controller_status.go for the texts,
 * cited where used). Infrastructure objects of providers on the v1beta1 contract (CAPA, CAPZ, CAPG, CAPO)
 * carry `status.ready` and v1beta1 conditions (with a severity); the others `status.initialization.provisioned`.
 */
import type { KubeObject } from '../apiserver/types.js';
import type { Condition, ConditionInput } from '../kcm/conditions.js';
import { conditionsIn, nowTime, specOf, statusOf, withConditions, type Status } from './status.js';
import { summarize } from './summary.js';

export interface MachineState {
  machine: KubeObject;
  controlPlane: boolean;
  phase: string;
  ready: boolean;
  upToDate: boolean;
}

const gen = (o: KubeObject): number => o.metadata.generation ?? 1;
const c = (type: string, status: Condition['status'], reason: string, message = ''): ConditionInput => ({ type, status, reason, message });
const withGen = (o: KubeObject, inputs: ConditionInput[]): ConditionInput[] => inputs.map((i) => ({ ...i, observedGeneration: gen(o) }));

/** A v1beta1 condition (CAPI api/core/v1beta1 Condition: severity on False ones), keeping lastTransitionTime while status holds. */
function v1beta1(
  status: Status,
  inputs: { type: string; status: Condition['status']; reason?: string; severity?: string; message?: string }[],
): unknown[] {
  const existing = Array.isArray(status['conditions']) ? (status['conditions'] as Record<string, unknown>[]) : [];
  const now = nowTime();
  const out = existing.filter((e) => !inputs.some((i) => i.type === e['type']));
  for (const i of inputs) {
    const before = existing.find((e) => e['type'] === i.type);
    out.push({
      type: i.type,
      status: i.status,
      ...(i.severity ? { severity: i.severity } : {}),
      ...(i.reason ? { reason: i.reason } : {}),
      ...(i.message ? { message: i.message } : {}),
      lastTransitionTime: before && before['status'] === i.status ? before['lastTransitionTime'] : now,
    });
  }
  return out.sort((a, b) => (a['type'] === 'Ready' ? -1 : b['type'] === 'Ready' ? 1 : String(a['type']).localeCompare(String(b['type']))));
}

export const infraMachineStatus = {
  /** The provider's failure (`infra-error`): the failing condition and Ready carry the provider's error. */
  failedCluster(object: KubeObject, v1beta2: boolean, failure: { type: string; reason: string; message: string }): Status {
    const status = statusOf(object);
    if (v1beta2) {
      return {
        ...status,
        initialization: { provisioned: false },
        conditions: withConditions(
          status,
          withGen(object, [
            c(failure.type, 'False', failure.reason, failure.message),
            c('Ready', 'False', failure.reason, `* ${failure.type}: ${failure.message}`),
          ]),
          nowTime(),
        ),
      };
    }
    return {
      ...status,
      ready: false,
      conditions: v1beta1(status, [
        { type: failure.type, status: 'False', severity: 'Warning', reason: failure.reason, message: failure.message },
        { type: 'Ready', status: 'False', severity: 'Warning', reason: failure.reason, message: failure.message },
      ]),
    };
  },

  provisionedCluster(object: KubeObject, v1beta2: boolean): Status {
    const status = statusOf(object);
    if (v1beta2)
      return {
        ...status,
        initialization: { provisioned: true },
        conditions: withConditions(status, withGen(object, [c('Ready', 'True', 'Ready')]), nowTime()),
      };
    return { ...status, ready: true, conditions: v1beta1(status, [{ type: 'Ready', status: 'True' }]) };
  },

  /** Deletion stuck in the provider (`deletion-blocked`), as CAPA marks it (pkg/cloud/services/network/network.go:230 "DeletingFailed"). */
  deletionFailed(object: KubeObject, v1beta2: boolean, message: string): Status {
    const status = statusOf(object);
    if (v1beta2) {
      return {
        ...status,
        conditions: withConditions(
          status,
          withGen(object, [c('Deleting', 'True', 'DeletingFailed', message), c('Ready', 'False', 'Deleting', message)]),
          nowTime(),
        ),
      };
    }
    return {
      ...status,
      conditions: v1beta1(status, [
        { type: 'VpcReady', status: 'False', severity: 'Warning', reason: 'DeletingFailed', message },
        { type: 'Ready', status: 'False', severity: 'Warning', reason: 'DeletingFailed', message },
      ]),
    };
  },

  /** An infrastructure machine: provisioning until `provisioned`, then running with addresses. */
  machine(object: KubeObject, v1beta2: boolean, provisioned: boolean): Status {
    const status = statusOf(object);
    const index = parseInt(object.metadata.uid?.replaceAll('-', '').slice(0, 2) ?? '10', 16) % 250;
    const addresses = provisioned
      ? [
          { type: 'InternalIP', address: `10.0.1.${index + 2}` },
          { type: 'InternalDNS', address: `ip-10-0-1-${index + 2}.internal` },
        ]
      : undefined;
    if (v1beta2) {
      return {
        ...status,
        initialization: { provisioned },
        ...(addresses ? { addresses } : {}),
        conditions: withConditions(
          status,
          withGen(object, [provisioned ? c('Ready', 'True', 'Ready') : c('Ready', 'False', 'NotReady', 'Instance is being provisioned')]),
          nowTime(),
        ),
      };
    }
    return {
      ...status,
      ready: provisioned,
      ...(provisioned ? { instanceState: 'running', addresses } : { instanceState: 'pending' }),
      conditions: v1beta1(
        status,
        provisioned
          ? [
              { type: 'Ready', status: 'True' },
              { type: 'InstanceReady', status: 'True' },
            ]
          : [
              // CAPA api/v1beta2/conditions_consts.go:162 InstanceProvisionStartedReason.
              { type: 'Ready', status: 'False', severity: 'Info', reason: 'InstanceProvisionStarted' },
              { type: 'InstanceReady', status: 'False', severity: 'Info', reason: 'InstanceProvisionStarted' },
            ],
      ),
    };
  },
};

interface MachineFacts {
  cluster: KubeObject | undefined;
  controlPlane: boolean;
  bootstrapKind: string;
  infraKind: string;
  bootstrapReady: boolean;
  /** providerID known (CAPI sets status.initialization.infrastructureProvisioned then). */
  infraProvisioned: boolean;
  /** The infrastructure machine reports ready. */
  infraReady: boolean;
  providerID: string | undefined;
  nodeUp: boolean;
  waitingForControlPlane: boolean;
}

export const machineStatus = {
  compute(machine: KubeObject, f: MachineFacts): { phase: string; status: Status } {
    const status = statusOf(machine);
    const phase = f.nodeUp ? 'Running' : f.infraProvisioned ? 'Provisioned' : f.bootstrapReady ? 'Provisioning' : 'Pending';
    const nodeName = machine.metadata.name;
    // machine_controller_status.go:160-165 and :255-260 (fallback messages), :400-412 (node conditions).
    const node: ConditionInput = f.nodeUp
      ? c('NodeHealthy', 'True', 'NodeHealthy')
      : f.waitingForControlPlane
        ? c('NodeHealthy', 'Unknown', 'InspectionFailed', 'Waiting for Cluster control plane to be initialized')
        : f.providerID
          ? c('NodeHealthy', 'Unknown', 'InspectionFailed', `Waiting for a Node with spec.providerID ${f.providerID} to exist`)
          : c('NodeHealthy', 'Unknown', 'InspectionFailed', `Waiting for ${f.infraKind} to report spec.providerID`);
    const inputs: ConditionInput[] = [
      f.bootstrapReady
        ? c('BootstrapConfigReady', 'True', 'Ready')
        : f.waitingForControlPlane
          ? c('BootstrapConfigReady', 'False', 'NotReady', `${f.bootstrapKind} status.initialization.dataSecretCreated is false`)
          : c('BootstrapConfigReady', 'False', 'NotReady', `${f.bootstrapKind} status.initialization.dataSecretCreated is false`),
      f.infraReady
        ? c('InfrastructureReady', 'True', 'Ready')
        : c('InfrastructureReady', 'False', 'NotReady', `${f.infraKind} status.initialization.provisioned is false`),
      node,
      { ...node, type: 'NodeReady', reason: f.nodeUp ? 'NodeReady' : node.reason },
      c('UpToDate', 'True', 'UpToDate'),
      c('Deleting', 'False', 'NotDeleting'),
      c('Paused', 'False', 'NotPaused'),
    ];
    let conditions = withConditions(status, withGen(machine, inputs), nowTime());
    // Ready summarises BootstrapConfigReady, InfrastructureReady, NodeHealthy and Deleting (machine_controller_status.go setReadyCondition).
    const ready = summarize(conditions, ['Deleting', 'BootstrapConfigReady', 'InfrastructureReady', 'NodeHealthy'], {
      negative: ['Deleting'],
    });
    conditions = withConditions(
      { conditions },
      withGen(machine, [
        c('Ready', ready.status, ready.status === 'True' ? 'Ready' : 'NotReady', ready.status === 'True' ? '' : ready.message),
      ]),
      nowTime(),
    );
    conditions = withConditions(
      { conditions },
      withGen(machine, [f.nodeUp ? c('Available', 'True', 'Available') : c('Available', 'False', 'NotReady', '* Ready: not yet')]),
      nowTime(),
    );
    return {
      phase,
      status: {
        ...status,
        observedGeneration: gen(machine),
        phase,
        initialization: { bootstrapDataSecretCreated: f.bootstrapReady, infrastructureProvisioned: f.infraProvisioned },
        ...(f.nodeUp
          ? {
              nodeRef: { name: nodeName },
              nodeInfo: {
                kubeletVersion: String(specOf(machine)['version'] ?? ''),
                operatingSystem: 'linux',
                architecture: 'amd64',
                osImage: 'Ubuntu 22.04.5 LTS',
                containerRuntimeVersion: 'containerd://1.7.27',
                kernelVersion: '6.8.0-1021-aws',
                kubeProxyVersion: '',
                machineID: nodeName
                  .replace(/[^a-z0-9]/g, '')
                  .padEnd(32, '0')
                  .slice(0, 32),
                systemUUID: nodeName,
                bootID: nodeName,
              },
            }
          : { nodeRef: undefined, nodeInfo: undefined }),
        lastUpdated: status['phase'] === phase && typeof status['lastUpdated'] === 'string' ? status['lastUpdated'] : nowTime(),
        conditions,
      },
    };
  },

  deleting(machine: KubeObject, infraKind: string): Status {
    const status = statusOf(machine);
    const conditions = withConditions(
      status,
      withGen(machine, [
        c('Deleting', 'True', 'WaitingForInfrastructureDeletion', `Waiting for ${infraKind} to be deleted`),
        c('Ready', 'False', 'Deleting', `* Deleting: Waiting for ${infraKind} to be deleted`),
      ]),
      nowTime(),
    );
    return { ...status, phase: 'Deleting', deletion: { nodeDrainStartTime: status['lastUpdated'] ?? nowTime() }, conditions };
  },
};

function replicaCounts(states: MachineState[]): {
  replicas: number;
  readyReplicas: number;
  availableReplicas: number;
  upToDateReplicas: number;
} {
  const alive = states.filter((s) => s.phase !== 'Deleting');
  const ready = states.filter((s) => s.ready).length;
  return {
    replicas: alive.length,
    readyReplicas: ready,
    availableReplicas: ready,
    upToDateReplicas: alive.filter((s) => s.upToDate).length,
  };
}

export function machineSetStatus(set: KubeObject, states: MachineState[]): Status {
  const status = statusOf(set);
  const desired = Number(specOf(set)['replicas'] ?? 0);
  const counts = replicaCounts(states);
  const scalingUp = counts.replicas < desired;
  const scalingDown = counts.replicas > desired;
  return {
    ...status,
    observedGeneration: gen(set),
    selector: Object.entries((specOf(set)['selector'] as { matchLabels?: Record<string, string> } | undefined)?.matchLabels ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join(','),
    ...counts,
    conditions: withConditions(
      status,
      withGen(set, [
        counts.readyReplicas === counts.replicas
          ? c('MachinesReady', 'True', 'Ready')
          : c(
              'MachinesReady',
              'False',
              'NotReady',
              `${counts.replicas - counts.readyReplicas} of ${counts.replicas} Machines are not ready`,
            ),
        scalingUp
          ? c('ScalingUp', 'True', 'ScalingUp', `Scaling up from ${counts.replicas} to ${desired} replicas`)
          : c('ScalingUp', 'False', 'NotScalingUp'),
        scalingDown
          ? c('ScalingDown', 'True', 'ScalingDown', `Scaling down from ${counts.replicas} to ${desired} replicas`)
          : c('ScalingDown', 'False', 'NotScalingDown'),
      ]),
      nowTime(),
    ),
  };
}

/** machinedeployment_status.go: Available (:155-162), RollingOut (:207), ScalingUp (:277), ScalingDown (:320). */
export function machineDeploymentStatus(md: KubeObject, states: MachineState[]): Status {
  const status = statusOf(md);
  const desired = Number(specOf(md)['replicas'] ?? 0);
  const counts = replicaCounts(states);
  const notUpToDate = states.filter((s) => s.phase !== 'Deleting' && !s.upToDate).length;
  const available = counts.availableReplicas >= desired;
  const scalingUp = counts.replicas < desired;
  const scalingDown = counts.replicas > desired;
  const phase = scalingUp ? 'ScalingUp' : scalingDown ? 'ScalingDown' : counts.readyReplicas === desired ? 'Running' : 'ScalingUp';
  return {
    ...status,
    observedGeneration: gen(md),
    phase,
    selector: `cluster.x-k8s.io/cluster-name=${String(specOf(md)['clusterName'] ?? '')}`,
    ...counts,
    conditions: withConditions(
      status,
      withGen(md, [
        available
          ? c('Available', 'True', 'Available')
          : c(
              'Available',
              'False',
              'NotAvailable',
              `${counts.availableReplicas} available replicas, at least ${desired} required (spec.strategy.rollout.maxUnavailable is 0, spec.replicas is ${desired})`,
            ),
        counts.readyReplicas === counts.replicas
          ? c('MachinesReady', 'True', 'Ready')
          : c('MachinesReady', 'False', 'NotReady', machinesMessage(states)),
        notUpToDate > 0
          ? c('RollingOut', 'True', 'RollingOut', `Rolling out ${notUpToDate} not up-to-date replicas`)
          : c('RollingOut', 'False', 'NotRollingOut'),
        scalingUp
          ? c('ScalingUp', 'True', 'ScalingUp', `Scaling up from ${counts.replicas} to ${desired} replicas`)
          : c('ScalingUp', 'False', 'NotScalingUp'),
        scalingDown
          ? c('ScalingDown', 'True', 'ScalingDown', `Scaling down from ${counts.replicas} to ${desired} replicas`)
          : c('ScalingDown', 'False', 'NotScalingDown'),
        c('Deleting', 'False', 'NotDeleting'),
        c('Paused', 'False', 'NotPaused'),
      ]),
      nowTime(),
    ),
  };
}

/** The aggregate message of Machines' Ready conditions (util/conditions merge_strategies.go aggregateMessages: "* Machines a, b:"). */
function machinesMessage(states: MachineState[]): string {
  const notReady = states.filter((s) => !s.ready && s.phase !== 'Deleting');
  if (notReady.length === 0) return '';
  const byMessage = new Map<string, string[]>();
  for (const s of notReady) {
    const ready = conditionsIn(statusOf(s.machine)).find((x) => x.type === 'NodeHealthy');
    const message = ready?.message || `Machine is ${s.phase}`;
    byMessage.set(message, [...(byMessage.get(message) ?? []), s.machine.metadata.name]);
  }
  return [...byMessage]
    .slice(0, 3)
    .map(([message, names]) => {
      const who =
        names.length === 1
          ? `Machine ${names[0]}`
          : names.length <= 3
            ? `Machines ${names.join(', ')}`
            : `Machines ${names.slice(0, 3).join(', ')}, ... (${names.length - 3} more)`;
      return `* ${who}: ${message}`;
    })
    .join('\n');
}

export function controlPlaneStatus(
  cp: KubeObject,
  machines: KubeObject[],
  initialized: boolean,
  hosted: boolean,
  infraProvisioned: boolean,
): Status {
  const status = statusOf(cp);
  const desired = Number(specOf(cp)['replicas'] ?? 1);
  const version = String(specOf(cp)['version'] ?? '');
  const alive = machines.filter((m) => !m.metadata.deletionTimestamp);
  const ready = hosted ? (initialized ? desired : 0) : alive.filter((m) => Boolean(statusOf(m)['nodeRef'])).length;
  const replicas = hosted ? (infraProvisioned ? desired : 0) : alive.length;
  const upToDate = hosted ? replicas : alive.filter((m) => specOf(m)['version'] === version).length;
  return {
    ...status,
    observedGeneration: gen(cp),
    version,
    replicas,
    readyReplicas: ready,
    availableReplicas: ready,
    upToDateReplicas: upToDate,
    unavailableReplicas: Math.max(0, replicas - ready),
    ready: initialized,
    initialized,
    initialization: { controlPlaneInitialized: initialized },
    externalManagedControlPlane: hosted,
    selector: `cluster.x-k8s.io/cluster-name=${cp.metadata.labels?.['cluster.x-k8s.io/cluster-name'] ?? ''},cluster.x-k8s.io/control-plane`,
    conditions: withConditions(
      status,
      withGen(cp, [
        initialized ? c('Available', 'True', 'Available') : c('Available', 'False', 'NotAvailable', 'Control plane is not yet available'),
        initialized
          ? c('ControlPlaneReady', 'True', 'Ready')
          : c('ControlPlaneReady', 'False', 'NotReady', 'Waiting for the control plane to be initialized'),
      ]),
      nowTime(),
    ),
  };
}

interface ClusterFacts {
  cluster: KubeObject;
  infra: KubeObject | undefined;
  infraProvisioned: boolean;
  controlPlane: KubeObject | undefined;
  controlPlaneInitialized: boolean;
  deployments: KubeObject[];
  machines: MachineState[];
  remoteConnected: boolean;
}

/** The types the Cluster's Available condition summarises (cluster_controller_status.go setAvailableCondition :1155). */
const AVAILABLE_TYPES = ['Deleting', 'RemoteConnectionProbe', 'InfrastructureReady', 'ControlPlaneAvailable', 'WorkersAvailable'];

function infraReadyCondition(f: ClusterFacts): ConditionInput {
  const kind =
    f.infra?.kind ?? String((specOf(f.cluster)['infrastructureRef'] as { kind?: string } | undefined)?.kind ?? 'InfrastructureCluster');
  // cluster_controller_status.go:340-378 mirrors the infrastructure cluster's Ready condition; :408, :431 when it is missing.
  if (!f.infra) return c('InfrastructureReady', 'False', 'ObjectDoesNotExist', `${kind} does not exist`);
  const ready =
    conditionsIn(statusOf(f.infra)).find((x) => x.type === 'Ready') ??
    (Array.isArray(statusOf(f.infra)['conditions'])
      ? (statusOf(f.infra)['conditions'] as Record<string, string>[]).find((x) => x['type'] === 'Ready')
      : undefined);
  if (ready && (ready as { status?: string }).status === 'False') {
    const r = ready as { reason?: string; message?: string };
    return c('InfrastructureReady', 'False', r.reason || 'NotReady', r.message ?? '');
  }
  if (f.infraProvisioned) return c('InfrastructureReady', 'True', 'Ready');
  return c('InfrastructureReady', 'False', 'NotReady', `${kind} status.initialization.provisioned is false`);
}

export function clusterStatus(f: ClusterFacts): Status {
  const cluster = f.cluster;
  const status = statusOf(cluster);
  const cpKind = f.controlPlane?.kind ?? 'ControlPlane';
  const cpMachines = f.machines.filter((m) => m.controlPlane);
  const workers = f.machines.filter((m) => !m.controlPlane);
  const cpStatus = statusOf(f.controlPlane);
  const hasEndpoint = Boolean(specOf(cluster)['controlPlaneEndpoint']);
  const phase = f.infraProvisioned && hasEndpoint ? 'Provisioned' : specOf(cluster)['infrastructureRef'] ? 'Provisioning' : 'Pending';
  const workerDesired = f.deployments.reduce((n, md) => n + Number(specOf(md)['replicas'] ?? 0), 0);
  const mdAvailable = f.deployments.map((md) => ({ md, available: conditionsIn(statusOf(md)).find((x) => x.type === 'Available') }));
  const unavailable = mdAvailable.filter((x) => x.available?.status !== 'True');
  const workersAvailable: ConditionInput =
    f.deployments.length === 0
      ? c('WorkersAvailable', 'True', 'NoWorkers')
      : unavailable.length === 0
        ? c('WorkersAvailable', 'True', 'Available')
        : c(
            'WorkersAvailable',
            'False',
            'NotAvailable',
            unavailable
              .map((x) => `* MachineDeployment ${x.md.metadata.name}: ${x.available?.message || 'Condition Available not yet reported'}`)
              .join('\n'),
          );
  const machinesReady = (states: MachineState[], type: string): ConditionInput => {
    if (states.length === 0) return c(type, 'True', 'NoReplicas');
    const notReady = states.filter((s) => !s.ready);
    return notReady.length === 0 ? c(type, 'True', 'Ready') : c(type, 'False', 'NotReady', machinesMessage(notReady));
  };
  const inputs: ConditionInput[] = [
    infraReadyCondition(f),
    // cluster_controller_status.go:600-611.
    f.controlPlaneInitialized
      ? c('ControlPlaneInitialized', 'True', 'Initialized')
      : c('ControlPlaneInitialized', 'False', 'NotInitialized', 'Control plane not yet initialized'),
    // cluster_controller_status.go:445-460 (mirror of the control plane's Available), :1224-1229 (fallback).
    f.controlPlane
      ? f.controlPlaneInitialized
        ? c('ControlPlaneAvailable', 'True', 'Available')
        : c('ControlPlaneAvailable', 'False', 'NotAvailable', `${cpKind} status.initialization.controlPlaneInitialized is false`)
      : c('ControlPlaneAvailable', 'False', 'ObjectDoesNotExist', `${cpKind} does not exist`),
    workersAvailable,
    machinesReady(cpMachines, 'ControlPlaneMachinesReady'),
    machinesReady(workers, 'WorkerMachinesReady'),
    c('ControlPlaneMachinesUpToDate', 'True', cpMachines.length === 0 ? 'NoReplicas' : 'UpToDate'),
    c('WorkerMachinesUpToDate', 'True', workers.length === 0 ? 'NoReplicas' : 'UpToDate'),
    // cluster_controller_status.go:296-331.
    f.remoteConnected
      ? c('RemoteConnectionProbe', 'True', 'ProbeSucceeded')
      : c('RemoteConnectionProbe', 'False', 'ProbeFailed', 'Remote connection not established yet'),
    c('RollingOut', 'False', 'NotRollingOut'),
    workers.length < workerDesired
      ? c('ScalingUp', 'True', 'ScalingUp', `* MachineDeployments: ${f.deployments.map((m) => m.metadata.name).join(', ')}`)
      : c('ScalingUp', 'False', 'NotScalingUp'),
    workers.length > workerDesired
      ? c('ScalingDown', 'True', 'ScalingDown', `* MachineDeployments: ${f.deployments.map((m) => m.metadata.name).join(', ')}`)
      : c('ScalingDown', 'False', 'NotScalingDown'),
    c('Remediating', 'False', 'NotRemediating'),
    c('Deleting', 'False', 'NotDeleting'),
    c('Paused', 'False', 'NotPaused'),
  ];
  let conditions = withConditions(status, withGen(cluster, inputs), nowTime());
  const available = summarize(conditions, AVAILABLE_TYPES, { negative: ['Deleting'] });
  conditions = withConditions(
    { conditions },
    withGen(cluster, [
      c(
        'Available',
        available.status,
        available.status === 'True' ? 'Available' : available.status === 'False' ? 'NotAvailable' : 'AvailableUnknown',
        available.status === 'True' ? '' : available.message,
      ),
    ]),
    nowTime(),
  );
  const count = (states: MachineState[]) => ({
    replicas: states.filter((s) => s.phase !== 'Deleting').length,
    readyReplicas: states.filter((s) => s.ready).length,
    availableReplicas: states.filter((s) => s.ready).length,
    upToDateReplicas: states.filter((s) => s.phase !== 'Deleting' && s.upToDate).length,
  });
  const cpDesired = Number(specOf(f.controlPlane)['replicas'] ?? 0);
  const hosted = f.controlPlane?.kind === 'K0smotronControlPlane';
  return {
    ...status,
    observedGeneration: gen(cluster),
    phase,
    initialization: { infrastructureProvisioned: f.infraProvisioned, controlPlaneInitialized: f.controlPlaneInitialized },
    controlPlane: hosted
      ? {
          desiredReplicas: cpDesired,
          replicas: Number(cpStatus['replicas'] ?? 0),
          readyReplicas: Number(cpStatus['readyReplicas'] ?? 0),
          availableReplicas: Number(cpStatus['availableReplicas'] ?? 0),
          upToDateReplicas: Number(cpStatus['upToDateReplicas'] ?? 0),
        }
      : { desiredReplicas: cpDesired, ...count(cpMachines) },
    workers: { desiredReplicas: workerDesired, ...count(workers) },
    conditions,
  };
}

/** cluster_types.go:454-467 (Deleting reasons); phase Deleting. */
clusterStatus.deleting = (cluster: KubeObject, reason: string, message: string, states: MachineState[]): Status => {
  const status = statusOf(cluster);
  let conditions = withConditions(status, withGen(cluster, [c('Deleting', 'True', reason, message)]), nowTime());
  const available = summarize(conditions, AVAILABLE_TYPES, { negative: ['Deleting'] });
  conditions = withConditions(
    { conditions },
    withGen(cluster, [c('Available', available.status, 'NotAvailable', available.message)]),
    nowTime(),
  );
  const cp = states.filter((s) => s.controlPlane);
  const workers = states.filter((s) => !s.controlPlane);
  const prev = (key: 'controlPlane' | 'workers'): Record<string, unknown> => (status[key] as Record<string, unknown> | undefined) ?? {};
  return {
    ...status,
    phase: 'Deleting',
    controlPlane: { ...prev('controlPlane'), replicas: cp.length, readyReplicas: 0, availableReplicas: 0 },
    workers: { ...prev('workers'), replicas: workers.length, readyReplicas: 0, availableReplicas: 0 },
    conditions,
  };
};
