/**
 * One chain node from one object: its one-line state, its abnormal conditions and whether it is ok,
 * progressing or broken — by what its controller writes (kcm, Flux, Cluster API v1beta2 and v1beta1,
 * the providers, k0smotron, Sveltos). Pure; the walk (./walk.ts) supplies the objects.
 */
import { describePhase, readConditions } from '../k0rdent/conditions.js';
import { oneLine } from '../events/summaries.js';
import type { KubeObject } from '../kube/k0rdent-api.js';
import { abnormalConditions, compactCondition, conditionsOf, isFailing, isStuck, type RawCondition } from './health.js';
import type { ChainNode } from './types.js';

type Raw = Record<string, unknown>;
export const rec = (v: unknown): Raw => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Raw) : {});
export const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

/** Conditions of a CAPI Cluster that summarise its infrastructure cluster, control plane and Machines (CAPI v1beta2 and v1beta1). */
const CLUSTER_MIRRORS = new Set([
  'Ready',
  'Available',
  'InfrastructureReady',
  'ControlPlaneInitialized',
  'ControlPlaneAvailable',
  'ControlPlaneReady',
  'WorkersAvailable',
  'WorkersReady',
  'MachinesReady',
  'MachinesUpToDate',
  'ControlPlaneMachinesReady',
  'ControlPlaneMachinesUpToDate',
  'WorkerMachinesReady',
  'WorkerMachinesUpToDate',
  'RemoteConnectionProbe',
  'ScalingUp',
  'ScalingDown',
  'Remediating',
  'RollingOut',
]);
/** Conditions of a Machine that summarise its infrastructure machine and bootstrap config. */
const MACHINE_MIRRORS = new Set(['Ready', 'Available', 'UpToDate', 'InfrastructureReady', 'BootstrapReady', 'BootstrapConfigReady']);

/** kcm's own conditions on a ClusterDeployment that only repeat an object further down the chain. */
const DEPLOYMENT_MIRRORS = new Set(['Ready', 'TemplateReady', 'CredentialReady', 'HelmReleaseReady', 'CAPIClusterSummary', 'Deleting']);

export interface Described {
  node: ChainNode;
}

function base(object: KubeObject, role: string, fallbackKind: string): ChainNode {
  const m = object.metadata ?? {};
  const node: ChainNode = {
    kind: object.kind ?? fallbackKind,
    name: m.name ?? '',
    role,
    status: 'ok',
    state: '',
  };
  if (m.namespace !== undefined) node.namespace = m.namespace;
  if (object.apiVersion !== undefined) node.apiVersion = object.apiVersion;
  if (m.deletionTimestamp !== undefined) node.deleting = { since: m.deletionTimestamp, finalizers: [...(m.finalizers ?? [])] };
  return node;
}

function problemOf(c: RawCondition): { reason: string; message: string } {
  return { reason: c.reason ?? `${c.type}=${c.status}`, message: oneLine(c.message, 400) ?? `${c.type} is ${c.status}` };
}

/** Status from the conditions (failing or stuck → broken, other abnormal → progressing), the conditions listed. */
function judge(node: ChainNode, conditions: readonly RawCondition[], now: number, ignore: ReadonlySet<string> | 'all' = new Set()): void {
  const mirrors = (c: RawCondition): boolean => ignore === 'all' || ignore.has(c.type);
  // Conditions that only repeat an object further down are listed, but do not make this one the broken link;
  // kept aside for when nothing below is found broken (its child not served or not readable).
  const listed = abnormalConditions(conditions);
  if (listed.length > 0) node.conditions = listed.map(compactCondition);
  const echoed = listed.find((c) => mirrors(c) && isFailing(c));
  if (echoed !== undefined) node.mirrored = problemOf(echoed);
  const abnormal = abnormalConditions(conditions.filter((c) => !mirrors(c)));
  const failing = abnormal.find(isFailing);
  const stuck = abnormal.find((c) => isStuck(c, now) && c.type !== 'Deleting');
  if (failing !== undefined) {
    node.status = 'broken';
    node.problem = problemOf(failing);
  } else if (stuck !== undefined) {
    node.status = 'broken';
    node.problem = {
      reason: `Stuck${stuck.reason !== undefined ? `:${stuck.reason}` : ''}`,
      message: `${stuck.type} has been ${stuck.status} since ${stuck.lastTransitionTime}${stuck.message ? `: ${oneLine(stuck.message, 300)}` : ''}`,
    };
  } else if (abnormal.length > 0) {
    node.status = 'progressing';
  }
  if (node.deleting !== undefined && node.status !== 'broken') node.status = 'deleting';
}

/** A v1beta1-era failure (status.failureReason/failureMessage, or kept under status.deprecated.v1beta1). */
function terminalFailure(status: Raw): { reason: string; message: string } | undefined {
  const deprecated = rec(rec(status.deprecated).v1beta1);
  const reason = str(status.failureReason) ?? str(deprecated.failureReason);
  const message = str(status.failureMessage) ?? str(deprecated.failureMessage);
  if (reason === undefined && message === undefined) return undefined;
  return { reason: reason ?? 'Failed', message: oneLine(message, 400) ?? reason ?? 'failed' };
}

function flagged(node: ChainNode, status: Raw): void {
  const failure = terminalFailure(status);
  if (failure !== undefined) {
    node.status = 'broken';
    node.problem = failure;
  }
}

export function describeDeployment(object: KubeObject, now: number): ChainNode {
  const node = base(object, 'deployment', 'ClusterDeployment');
  const deleting = object.metadata?.deletionTimestamp !== undefined;
  const conditions = readConditions(object.status);
  node.state = describePhase(conditions, deleting);
  // Only kcm's own checks (the config render, services, auth, ...) make the deployment itself the broken link.
  judge(node, conditionsOf(object.status), now, DEPLOYMENT_MIRRORS);
  const listed = abnormalConditions(conditionsOf(object.status)).map(compactCondition);
  if (listed.length > 0) node.conditions = listed;
  // Not Ready yet — also before kcm wrote any condition (just created): what is absent below it is still to come.
  if (node.status === 'ok' && !conditions.some((c) => c.type === 'Ready' && c.status === 'True'))
    node.status = deleting ? 'deleting' : 'progressing';
  return node;
}

export function describeTemplate(object: KubeObject): ChainNode {
  const node = base(object, 'template', 'ClusterTemplate');
  const status = rec(object.status);
  const chart = [
    str(rec(rec(object.spec).helm).chartSpec ? rec(rec(rec(object.spec).helm).chartSpec).chart : undefined),
    str(status.chartVersion),
  ]
    .filter(Boolean)
    .join(' ');
  if (status.valid === true) node.state = `valid${chart ? `, chart ${chart}` : ''}`;
  else if (str(status.validationError) !== undefined) {
    node.status = 'broken';
    node.state = 'invalid';
    node.problem = { reason: 'TemplateInvalid', message: oneLine(str(status.validationError), 400) ?? 'invalid' };
  } else {
    node.status = 'progressing';
    node.state = 'not validated by kcm yet';
  }
  return node;
}

export function describeCredential(object: KubeObject, now: number): ChainNode {
  const node = base(object, 'credential', 'Credential');
  const ref = rec(rec(object.spec).identityRef);
  const identity = [str(ref.kind), str(ref.name)].filter(Boolean).join(' ');
  if (rec(object.status).ready === true) {
    node.state = `ready${identity ? `, identity ${identity}` : ''}`;
    return node;
  }
  node.state = `not ready${identity ? `, identity ${identity}` : ''}`;
  judge(node, conditionsOf(object.status), now);
  const condition = conditionsOf(object.status).find((c) => c.type === 'CredentialReady');
  if (node.status !== 'broken' && condition?.status === 'False') {
    node.status = 'broken';
    node.problem = problemOf(condition);
  } else if (node.status === 'ok') node.status = 'progressing';
  return node;
}

/** A ClusterIdentity (AWSClusterStaticIdentity, AzureClusterIdentity, ...): its existence is what matters. */
export function describeIdentity(object: KubeObject, now: number): ChainNode {
  const node = base(object, 'identity', 'ClusterIdentity');
  node.state = 'exists';
  judge(node, conditionsOf(object.status), now);
  return node;
}

/** Flux objects (HelmChart, HelmRepository, HelmRelease): Ready, Stalled, Reconciling and the release history. */
export function describeFlux(object: KubeObject, role: string, now: number): ChainNode {
  const node = base(object, role, role === 'helmRelease' ? 'HelmRelease' : role === 'helmChart' ? 'HelmChart' : 'HelmRepository');
  const status = rec(object.status);
  const conditions = conditionsOf(status);
  const ready = conditions.find((c) => c.type === 'Ready');
  const parts: string[] = [];
  if (role === 'helmRelease') {
    const last = rec(Array.isArray(status.history) ? status.history[0] : undefined);
    const chart = [str(last.chartName), str(last.chartVersion)].filter(Boolean).join('@');
    if (str(last.status) !== undefined) parts.push(`${str(last.status)}${chart ? ` ${chart}` : ''}`);
    if (num(status.installFailures) !== undefined && (status.installFailures as number) > 0)
      parts.push(`${String(status.installFailures)} install failures`);
    if (num(status.upgradeFailures) !== undefined && (status.upgradeFailures as number) > 0)
      parts.push(`${String(status.upgradeFailures)} upgrade failures`);
  } else {
    const artifact = rec(status.artifact);
    if (str(artifact.revision) !== undefined) parts.push(`artifact ${str(artifact.revision)}`);
  }
  // Flux does not reconcile an OCI HelmRepository: it has no status, and that is its good state.
  if (role === 'helmRepository' && rec(object.spec).type === 'oci' && ready === undefined) {
    node.state = 'OCI repository (static: Flux does not reconcile it)';
    return node;
  }
  parts.unshift(
    ready === undefined ? 'not reconciled yet' : ready.status === 'True' ? 'ready' : `not ready (${ready.reason ?? ready.status})`,
  );
  node.state = parts.join(', ');
  judge(node, conditions, now);
  if (node.status === 'ok' && ready?.status !== 'True') node.status = node.deleting ? 'deleting' : 'progressing';
  return node;
}

function counters(label: string, block: Raw, fallback?: { desired?: number; ready?: number; upToDate?: number }): string | undefined {
  const desired = num(block.desiredReplicas) ?? num(block.replicas) ?? fallback?.desired;
  if (desired === undefined) return undefined;
  const ready = num(block.readyReplicas) ?? fallback?.ready ?? 0;
  const upToDate = num(block.upToDateReplicas) ?? fallback?.upToDate;
  return `${label} ${ready}/${desired} ready${upToDate !== undefined && upToDate !== desired ? `, ${upToDate} up to date` : ''}`;
}

/** The CAPI Cluster: phase, initialization, control plane and worker counters. */
export function describeCluster(object: KubeObject, now: number): ChainNode {
  const node = base(object, 'cluster', 'Cluster');
  const status = rec(object.status);
  const init = rec(status.initialization);
  const parts = [str(status.phase) ?? 'no phase yet'];
  const infra = init.infrastructureProvisioned ?? status.infrastructureReady;
  const cp = init.controlPlaneInitialized ?? status.controlPlaneReady;
  if (infra === true) parts.push('infrastructure provisioned');
  else parts.push('infrastructure not provisioned');
  parts.push(cp === true ? 'control plane initialized' : 'control plane not initialized');
  const cpCounters = counters('control plane', rec(status.controlPlane));
  const workers = counters('workers', rec(status.workers));
  if (cpCounters) parts.push(cpCounters);
  if (workers) parts.push(workers);
  node.state = parts.join(', ');
  judge(node, conditionsOf(status), now, CLUSTER_MIRRORS);
  flagged(node, status);
  return node;
}

/** Infrastructure cluster, control plane, infra machine, bootstrap config: readiness, phase, failure. */
export function describeProviderObject(object: KubeObject, role: string, now: number): ChainNode {
  const node = base(object, role, role);
  const status = rec(object.status);
  const spec = rec(object.spec);
  const init = rec(status.initialization);
  const parts: string[] = [];
  const ready = init.provisioned ?? init.dataSecretCreated ?? status.ready;
  if (typeof ready === 'boolean') parts.push(ready ? 'ready' : 'not ready');
  if (str(status.phase) !== undefined) parts.push(`phase ${str(status.phase)}`);
  if (role === 'controlPlane' || role === 'hostedControlPlane') {
    const initialized = init.controlPlaneInitialized ?? status.initialized;
    parts.push(initialized === true ? 'initialized' : 'not initialized');
    const c = counters('replicas', status, { desired: num(spec.replicas) });
    if (c) parts.push(c);
    if (str(status.version) !== undefined) parts.push(`version ${str(status.version)}`);
  }
  if (role === 'infraMachine') {
    parts.push(str(spec.providerID) !== undefined ? `providerID ${str(spec.providerID)}` : 'no providerID');
    const instance = str(status.instanceState) ?? str(status.vmState);
    if (instance) parts.push(`instance ${instance}`);
  }
  if (role === 'bootstrapConfig' && str(status.dataSecretName) !== undefined)
    parts.push(`bootstrap data in Secret ${str(status.dataSecretName)} (not read)`);
  node.state = parts.join(', ') || 'no status yet';
  judge(node, conditionsOf(status), now);
  flagged(node, status);
  if (node.status === 'ok' && ready === false) node.status = node.deleting ? 'deleting' : 'progressing';
  return node;
}

export function describeMachineDeployment(object: KubeObject, role: string, now: number): ChainNode {
  const node = base(object, role, role === 'machinePool' ? 'MachinePool' : 'MachineDeployment');
  const status = rec(object.status);
  const desired = num(rec(object.spec).replicas);
  const parts = [str(status.phase) ?? 'no phase yet'];
  const c = counters('replicas', { ...status, desiredReplicas: desired ?? status.replicas });
  if (c) parts.push(c);
  const available = num(status.availableReplicas);
  if (available !== undefined) parts.push(`${available} available`);
  node.state = parts.join(', ');
  // A MachineDeployment's conditions summarise its Machines.
  judge(node, conditionsOf(status), now, 'all');
  if (node.status === 'ok' && (num(status.readyReplicas) ?? 0) < (desired ?? 0)) node.status = 'progressing';
  flagged(node, status);
  return node;
}

export function describeMachine(object: KubeObject, now: number): ChainNode {
  const node = base(object, 'machine', 'Machine');
  const status = rec(object.status);
  const spec = rec(object.spec);
  const parts = [str(status.phase) ?? 'no phase yet'];
  parts.push(str(spec.providerID) !== undefined ? `providerID ${str(spec.providerID)}` : 'no providerID');
  const nodeRef = str(rec(status.nodeRef).name);
  parts.push(nodeRef !== undefined ? `node ${nodeRef}` : 'no node yet');
  if (str(spec.version) !== undefined) parts.push(`version ${str(spec.version)}`);
  node.state = parts.join(', ');
  judge(node, conditionsOf(status), now, MACHINE_MIRRORS);
  flagged(node, status);
  if (node.status === 'ok' && str(status.phase) !== 'Running') node.status = node.deleting ? 'deleting' : 'progressing';
  return node;
}

/** Sveltos' view of an adopted cluster: connection status and its failure message. */
export function describeSveltosCluster(object: KubeObject, now: number): ChainNode {
  const node = base(object, 'sveltosCluster', 'SveltosCluster');
  const status = rec(object.status);
  const connection = str(status.connectionStatus);
  node.state = [status.ready === true ? 'ready' : 'not ready', connection ? `connection ${connection}` : undefined]
    .filter(Boolean)
    .join(', ');
  judge(node, conditionsOf(status), now);
  const failure = str(status.failureMessage);
  if (failure !== undefined || connection === 'Down') {
    node.status = 'broken';
    node.problem = {
      reason: connection === 'Down' ? 'ConnectionDown' : 'Failed',
      message: oneLine(failure, 400) ?? 'Sveltos cannot reach the adopted cluster',
    };
  } else if (node.status === 'ok' && status.ready !== true) node.status = 'progressing';
  return node;
}

/** A hosted control plane's StatefulSet (`kmc-<cluster>`). */
export function describeStatefulSet(object: KubeObject): ChainNode {
  const node = base(object, 'hostedControlPlane', 'StatefulSet');
  const status = rec(object.status);
  const desired = num(rec(object.spec).replicas) ?? 1;
  const ready = num(status.readyReplicas) ?? 0;
  node.state = `${ready}/${desired} pods ready`;
  if (ready < desired) node.status = 'progressing';
  return node;
}

/** A pod: phase and the first container that is waiting or crashed. */
export function describePod(object: KubeObject): ChainNode {
  const node = base(object, 'pod', 'Pod');
  const status = rec(object.status);
  const parts = [str(status.phase) ?? 'Pending'];
  const containers = Array.isArray(status.containerStatuses) ? status.containerStatuses.map(rec) : [];
  for (const c of containers) {
    const waiting = rec(rec(c.state).waiting);
    const reason = str(waiting.reason);
    if (reason !== undefined) {
      parts.push(`${str(c.name) ?? 'container'} ${reason}`);
      if (/CrashLoopBackOff|Err|BackOff|Invalid/.test(reason)) {
        node.status = 'broken';
        node.problem = { reason, message: oneLine(str(waiting.message), 400) ?? `container ${str(c.name) ?? ''} is ${reason}` };
      }
    }
    const restarts = num(c.restartCount);
    if (restarts !== undefined && restarts > 0) parts.push(`${str(c.name) ?? 'container'} restarted ${restarts}×`);
  }
  node.state = parts.join(', ');
  if (node.status === 'ok' && str(status.phase) !== 'Running') node.status = 'progressing';
  return node;
}

/** A node for an object that should exist and does not. */
export function missingNode(kind: string, name: string, namespace: string | undefined, role: string, why: string): ChainNode {
  return { kind, name, ...(namespace !== undefined ? { namespace } : {}), role, status: 'missing', state: why };
}

/** A node for an object that was not read, and why. */
export function unreadNode(
  kind: string,
  name: string,
  namespace: string | undefined,
  role: string,
  status: 'notServed' | 'notRead',
  why: string,
): ChainNode {
  return { kind, name, ...(namespace !== undefined ? { namespace } : {}), role, status, state: why };
}
