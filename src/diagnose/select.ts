/**
 * The first broken link of a walked chain, and the next step. A parent's summary condition repeats its
 * children's trouble (a Cluster's InfrastructureReady=False quotes the AWSCluster), so the answer is the
 * first broken node, in walk order, none of whose descendants is broken: the cause, not its echoes. A
 * deletion that does not finish names the deepest object still holding a finalizer. Pure.
 */
import { TOOL, toolRef } from '../tool-names.js';
import { oneLine } from '../events/summaries.js';
import { findCondition, readConditions } from '../k0rdent/conditions.js';
import type { KubeObject } from '../kube/k0rdent-api.js';
import { controllerForKind } from '../logs/controllers.js';
import type { ChainNode, FirstBroken } from './types.js';

/** A deletion held longer than this by a finalizer its controller would normally remove counts as blocked. */
export const DELETION_STUCK_MS = 2 * 60_000;

/** Finalizers their controllers remove as the deletion proceeds (CAPI, providers, Flux, kcm, k0smotron). */
const KNOWN_FINALIZER =
  /(\.cluster\.x-k8s\.io$|^cluster\.cluster\.x-k8s\.io|^machine\.cluster\.x-k8s\.io|fluxcd\.io|^k0rdent\.mirantis\.com\/|k0smotron|foregroundDeletion|orphan|sveltos)/;

function descendants(nodes: readonly ChainNode[], index: number): number[] {
  const out: number[] = [];
  for (let i = index + 1; i < nodes.length; i++) {
    let p = nodes[i]?.parent;
    while (p !== undefined && p !== index) p = nodes[p]?.parent;
    if (p === index) out.push(i);
  }
  return out;
}

function isBrokenLink(nodes: readonly ChainNode[], i: number): boolean {
  const node = nodes[i] as ChainNode;
  if (node.status === 'broken') return true;
  // Absent although the object above it is fine: e.g. a HelmRelease Ready=True that created no Cluster.
  // (Not a ClusterIdentity under a ready Credential: kcm found it, so where this looked is what is off.)
  if (node.status === 'missing' && node.parent !== undefined) return node.role !== 'identity' && nodes[node.parent]?.status === 'ok';
  return false;
}

/** The index of the first broken link, or undefined. */
export function firstBrokenIndex(nodes: readonly ChainNode[]): number | undefined {
  for (let i = 0; i < nodes.length; i++) {
    if (!isBrokenLink(nodes, i)) continue;
    if (descendants(nodes, i).some((d) => isBrokenLink(nodes, d))) continue;
    return i;
  }
  return undefined;
}

/** The deepest object being deleted that still holds finalizers (the one the deletion waits on). */
export function deletionHolder(nodes: readonly ChainNode[]): number | undefined {
  let holder: number | undefined;
  for (let i = 0; i < nodes.length; i++) {
    const d = nodes[i]?.deleting;
    if (d === undefined || d.finalizers.length === 0) continue;
    if (descendants(nodes, i).some((j) => (nodes[j]?.deleting?.finalizers.length ?? 0) > 0)) continue;
    holder = holder ?? i;
  }
  return holder;
}

/** The next step for a broken node: what to do, and the tool call that shows more (the controller's log). */
export function nextStep(
  node: ChainNode,
  deployment: { name: string; namespace: string },
): { next: string; nextCall?: FirstBroken['nextCall'] } {
  const where = node.namespace ?? deployment.namespace;
  const logs = toolRef(TOOL.logsGet);
  const logsFor = { tool: toolRef(TOOL.logsGet), arguments: { for: { kind: node.kind, name: node.name, namespace: where } } };
  const controller = controllerForKind(node.apiVersion, node.kind)?.label;
  const readLog =
    controller !== undefined
      ? `read the ${controller} log for it (${logs} with for: {kind: "${node.kind}", name: "${node.name}"})`
      : undefined;
  switch (node.role) {
    case 'deployment':
      return {
        next: `fix the deployment's spec.config with ${toolRef(TOOL.clustersUpdate)} (${toolRef(TOOL.templatesGet)} shows the template's settings)${readLog ? `, or ${readLog}` : ''}`,
        nextCall: logsFor,
      };
    case 'template':
      return {
        next: `the template is not usable: choose a valid one (${toolRef(TOOL.clustersListTemplates)}) and move the deployment to it with ${toolRef(TOOL.clustersUpdate)}`,
        nextCall: logsFor,
      };
    case 'credential':
    case 'identity':
      return {
        next:
          node.role === 'identity'
            ? `create the ClusterIdentity ${node.kind} ${node.name} the Credential names, or use another credential (${toolRef(TOOL.clustersListCredentials)})`
            : `make the Credential ready (its ClusterIdentity must exist), or use another one (${toolRef(TOOL.clustersListCredentials)})`,
        nextCall: logsFor,
      };
    case 'pod':
      return {
        next: `read the pod's log (${logs} with namespace "${where}", pod "${node.name}", previous: true after a crash)`,
        nextCall: { tool: toolRef(TOOL.logsGet), arguments: { namespace: where, pod: node.name } },
      };
    case 'sveltosCluster':
      return {
        next: 'Sveltos cannot reach the adopted cluster: check the kubeconfig Secret the adopted Credential names and that the cluster answers',
      };
    default:
      return {
        next: readLog ?? `read the controller log for it (${logs} with for: {kind: "${node.kind}", name: "${node.name}"})`,
        nextCall: logsFor,
      };
  }
}

function brokenOf(node: ChainNode, deployment: { name: string; namespace: string }, reason: string, message: string): FirstBroken {
  return {
    kind: node.kind,
    name: node.name,
    ...(node.namespace !== undefined ? { namespace: node.namespace } : {}),
    reason,
    message,
    ...nextStep(node, deployment),
  };
}

/** firstBroken and waitingOn of a chain (pure). */
export function selectFirstBroken(
  nodes: readonly ChainNode[],
  deploymentObject: KubeObject,
  now: number,
): { firstBroken?: FirstBroken; waitingOn?: { kind: string; name: string; state: string } } {
  const deployment = { name: deploymentObject.metadata?.name ?? '', namespace: deploymentObject.metadata?.namespace ?? '' };
  const broken = firstBrokenIndex(nodes);
  if (broken !== undefined) {
    const node = nodes[broken] as ChainNode;
    const problem = node.problem ?? { reason: 'NotFound', message: node.state };
    const fb = brokenOf(node, deployment, problem.reason, problem.message);
    // A Machine without providerID waits on its infrastructure provider: its log says why (CAPI's only says it waits).
    const infra = nodes.find((n) => n.parent === broken && n.role === 'infraMachine');
    if (problem.reason === 'NoProviderID' && infra !== undefined) {
      const step = nextStep(infra, deployment);
      fb.next = `the infrastructure provider has not set spec.providerID on ${infra.kind} ${infra.name}: ${step.next}`;
      if (step.nextCall !== undefined) fb.nextCall = step.nextCall;
    }
    // A deletion that fails: say which finalizer it holds.
    const finalizers = node.deleting?.finalizers ?? [];
    if (node.deleting !== undefined && finalizers.length > 0) {
      fb.message = `${fb.message} (being deleted since ${node.deleting.since}; its finalizer ${finalizers.join(', ')} holds the deletion)`;
      fb.next = `${fb.next}; the finalizer ${finalizers[0] as string} stays until its controller has removed what it guards — fix the cause above, remove it by hand only when you know the resources are gone`;
    }
    return { firstBroken: fb };
  }
  if (deploymentObject.metadata?.deletionTimestamp !== undefined) {
    const holder = deletionHolder(nodes);
    if (holder !== undefined) {
      const node = nodes[holder] as ChainNode;
      const since = node.deleting?.since ?? '';
      const age = now - Date.parse(since);
      const finalizers = node.deleting?.finalizers ?? [];
      const unknown = finalizers.filter((f) => !KNOWN_FINALIZER.test(f));
      const message = `${node.kind} ${node.name} is being deleted since ${since} and its finalizer${finalizers.length > 1 ? 's' : ''} ${finalizers.join(', ')} ${finalizers.length > 1 ? 'are' : 'is'} still there`;
      if (unknown.length > 0 || age > DELETION_STUCK_MS) {
        const fb = brokenOf(node, deployment, 'DeletionBlocked', message);
        fb.next = `${fb.next}; the finalizer ${(unknown[0] ?? finalizers[0]) as string} holds the deletion — its controller removes it once the resources behind it are gone (remove it by hand only when you know they are)`;
        return { firstBroken: fb };
      }
      return { waitingOn: { kind: node.kind, name: node.name, state: `deleting, waiting for finalizer ${finalizers.join(', ')}` } };
    }
  }
  // A parent reports a failure of an object below that the walk could not judge (its kind not served, not
  // readable, past the budget): the deepest such report.
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i] as ChainNode;
    if (node.mirrored === undefined || descendants(nodes, i).some((d) => nodes[d]?.mirrored !== undefined)) continue;
    if (!descendants(nodes, i).some((d) => nodes[d]?.status === 'notServed' || nodes[d]?.status === 'notRead')) continue;
    return { firstBroken: brokenOf(node, deployment, node.mirrored.reason, node.mirrored.message) };
  }
  // kcm gave up (Ready=False/Failed) but nothing below says why: the deployment's own failed condition.
  const conditions = readConditions(deploymentObject.status);
  const ready = findCondition(conditions, 'Ready');
  const root = nodes[0];
  if (root !== undefined && ready?.status === 'False' && ready.reason === 'Failed') {
    const failed = conditions.find((c) => c.type !== 'Ready' && c.status === 'False') ?? ready;
    return {
      firstBroken: brokenOf(
        root,
        deployment,
        failed.reason ?? 'Failed',
        oneLine(failed.message, 400) ?? 'kcm reports the deployment failed',
      ),
    };
  }
  // Nothing broken: what it is waiting on (the deepest node not yet ok).
  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i] as ChainNode;
    if (node.role === 'identity') continue;
    if (node.status === 'progressing' || node.status === 'missing' || node.status === 'deleting')
      return { waitingOn: { kind: node.kind, name: node.name, state: node.state } };
  }
  return {};
}
