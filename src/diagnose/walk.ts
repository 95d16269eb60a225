/**
 * The walk below one ClusterDeployment, in kcm's and Cluster API's own order: ClusterTemplate and Credential
 * (+ its ClusterIdentity) → HelmChart / HelmRepository → HelmRelease `<cd>` → CAPI Cluster (label
 * `helm.toolkit.fluxcd.io/name=<cd>`) → spec.infrastructureRef and spec.controlPlaneRef (a hosted control
 * plane's `kmc-<name>` StatefulSet and pods) → MachineDeployments / MachinePools → Machines (label
 * `cluster.x-k8s.io/cluster-name`) → their infrastructure machines and bootstrap configs; an adopted cluster
 * ends at its SveltosCluster. Each kind's version comes from discovery; a kind whose CRD is absent, an object
 * the namespace rules or RBAC keep out, or the request budget running out becomes a node saying so.
 */
import { TOOL, toolRef } from '../tool-names.js';
import type { KubeObject } from '../kube/k0rdent-api.js';
import { AppError } from '../errors.js';
import type { EventSummary } from '../events/summaries.js';
import { groupOf, type ServedKind } from '../kube/discovery.js';
import type { NamespacePolicy } from '../policy/index.js';
import {
  describeCluster,
  describeCredential,
  describeDeployment,
  describeFlux,
  describeIdentity,
  describeMachine,
  describeMachineDeployment,
  describePod,
  describeProviderObject,
  describeStatefulSet,
  describeSveltosCluster,
  describeTemplate,
  missingNode,
  rec,
  str,
  unreadNode,
} from './describe.js';
import { BudgetSpent, type ChainReader } from './reader.js';
import type { ChainNode } from './types.js';

export const GROUPS = {
  k0rdent: 'k0rdent.mirantis.com',
  capi: 'cluster.x-k8s.io',
  helm: 'helm.toolkit.fluxcd.io',
  source: 'source.toolkit.fluxcd.io',
  sveltos: 'lib.projectsveltos.io',
  apps: 'apps',
} as const;

export const LABEL_HELM_RELEASE_NAME = 'helm.toolkit.fluxcd.io/name';
export const LABEL_CLUSTER_NAME = 'cluster.x-k8s.io/cluster-name';
const LABEL_DEPLOYMENT_NAME = 'cluster.x-k8s.io/deployment-name';
const LABEL_POOL_NAME = 'cluster.x-k8s.io/pool-name';
const LABEL_CONTROL_PLANE = 'cluster.x-k8s.io/control-plane';
/** Machines listed one by one at most; the rest are counted by phase. */
export const MAX_MACHINES_SHOWN = 8;

export interface WalkResult {
  deployment: KubeObject;
  nodes: ChainNode[];
  notes: string[];
  shape: string;
  region?: string;
}

/** An object reference as CAPI v1beta2 (`apiGroup`) or v1beta1 / core (`apiVersion`) write it. */
interface Ref {
  group: string;
  kind: string;
  name: string;
  namespace?: string;
}

function refOf(value: unknown, defaultNamespace?: string): Ref | undefined {
  const r = rec(value);
  const kind = str(r.kind);
  const name = str(r.name);
  if (kind === undefined || name === undefined) return undefined;
  const group = str(r.apiGroup) ?? groupOf(str(r.apiVersion));
  const namespace = str(r.namespace) ?? defaultNamespace;
  return { group, kind, name, ...(namespace !== undefined ? { namespace } : {}) };
}

class Walk {
  readonly nodes: ChainNode[] = [];
  readonly notes: string[] = [];
  private warnings: EventSummary[] = [];
  private budgetNoted = false;

  constructor(
    readonly reader: ChainReader,
    private readonly policy: NamespacePolicy,
    private readonly now: number,
  ) {}

  add(node: ChainNode, parent: number | undefined): number {
    if (parent !== undefined) node.parent = parent;
    this.nodes.push(node);
    return this.nodes.length - 1;
  }

  /** Runs a read; a refusal, an absent CRD or the spent budget becomes a node instead of an error. */
  async read<T>(
    what: { kind: string; name: string; namespace?: string | undefined; role: string },
    parent: number | undefined,
    fn: () => Promise<T>,
  ): Promise<T | undefined> {
    try {
      return await fn();
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      if (error instanceof BudgetSpent) {
        if (!this.budgetNoted) this.notes.push(error.message + '; the objects after it were not read');
        this.budgetNoted = true;
        this.add(unreadNode(what.kind, what.name, what.namespace, what.role, 'notRead', 'not read: the request budget was spent'), parent);
        return undefined;
      }
      if (error.code === 'forbidden' || error.code === 'unauthorized') {
        this.add(
          unreadNode(
            what.kind,
            what.name,
            what.namespace,
            what.role,
            'notRead',
            `not read: the API refused it (${error.message.slice(0, 200)})`,
          ),
          parent,
        );
        return undefined;
      }
      throw error;
    }
  }

  /** The served kind, or a notServed node (returns undefined) when its CRD is absent. */
  async served(
    group: string,
    kind: string,
    name: string,
    namespace: string | undefined,
    role: string,
    parent: number | undefined,
  ): Promise<ServedKind | undefined> {
    const served = await this.read({ kind, name, namespace, role }, parent, () => this.reader.kind(group, kind));
    if (served === undefined && !this.budgetNoted && !this.nodes.some((n) => n.kind === kind && n.name === name && n.status === 'notRead'))
      this.add(
        unreadNode(kind, name, namespace, role, 'notServed', `the API server does not serve ${kind} (${group}): its CRD is not installed`),
        parent,
      );
    return served;
  }

  readable(namespace: string | undefined, what: { kind: string; name: string; role: string }, parent: number | undefined): boolean {
    if (namespace === undefined || this.policy.isReadable(namespace)) return true;
    this.add(
      unreadNode(
        what.kind,
        what.name,
        namespace,
        what.role,
        'notRead',
        `not read: namespace ${namespace} is outside the namespaces this server may read`,
      ),
      parent,
    );
    return false;
  }

  /** GET one referenced object and describe it; missing → a missing (or broken, when it must exist) node. */
  async object(
    ref: Ref,
    role: string,
    parent: number | undefined,
    describe: (o: KubeObject) => ChainNode,
    missing: { mustExist: boolean; why: string },
  ): Promise<{ index: number; object: KubeObject } | undefined> {
    if (!this.readable(ref.namespace, { kind: ref.kind, name: ref.name, role }, parent)) return undefined;
    const kind = await this.served(ref.group, ref.kind, ref.name, ref.namespace, role, parent);
    if (kind === undefined) return undefined;
    const got = await this.read({ kind: ref.kind, name: ref.name, namespace: ref.namespace, role }, parent, () =>
      this.reader.get(kind, kind.namespaced ? ref.namespace : undefined, ref.name),
    );
    if (got === undefined) {
      if (this.nodes.at(-1)?.status === 'notRead' && this.nodes.at(-1)?.name === ref.name) return undefined;
      const node = missingNode(ref.kind, ref.name, kind.namespaced ? ref.namespace : undefined, role, missing.why);
      if (missing.mustExist) {
        node.status = 'broken';
        node.problem = { reason: 'NotFound', message: missing.why };
      }
      this.add(node, parent);
      return undefined;
    }
    const node = describe({ ...got, kind: got.kind ?? ref.kind });
    return { index: this.add(node, parent), object: got };
  }

  async loadWarnings(namespace: string): Promise<void> {
    try {
      this.warnings = await this.reader.warnings(namespace);
    } catch (error) {
      if (error instanceof BudgetSpent) return;
      if (error instanceof AppError && (error.code === 'forbidden' || error.code === 'notFound')) {
        this.notes.push('Warning events were not read: the API refused them');
        return;
      }
      throw error;
    }
  }

  /** Each node's recent Warning events (matched by kind and name), at most 3. */
  attachWarnings(): void {
    for (const node of this.nodes) {
      const mine = this.warnings.filter(
        (e) =>
          e.object.kind === node.kind && e.object.name === node.name && (node.namespace === undefined || e.namespace === node.namespace),
      );
      if (mine.length > 0)
        node.warnings = mine.slice(0, 3).map((e) => ({
          ...(e.reason !== undefined ? { reason: e.reason } : {}),
          ...(e.message !== undefined ? { message: e.message.slice(0, 300) } : {}),
          count: e.count,
          ...(e.time !== undefined ? { time: e.time } : {}),
        }));
    }
  }

  get time(): number {
    return this.now;
  }
}

/** The providers of a template (status, else spec), to tell an adopted cluster. */
function providersOf(template: KubeObject | undefined): string[] {
  const list = rec(template?.status).providers ?? rec(template?.spec).providers;
  return Array.isArray(list) ? list.filter((p): p is string => typeof p === 'string') : [];
}

/**
 * Walks the chain below `deployment` (already read and allowed). Each node's parent is the object it
 * hangs under, so the selection (./select.ts) can prefer the deepest broken link.
 */
export async function walkChain(
  reader: ChainReader,
  policy: NamespacePolicy,
  deployment: KubeObject,
  now = Date.now(),
): Promise<WalkResult> {
  const walk = new Walk(reader, policy, now);
  const name = deployment.metadata?.name ?? '';
  const namespace = deployment.metadata?.namespace ?? '';
  const spec = rec(deployment.spec);
  const status = rec(deployment.status);
  const root = walk.add(describeDeployment({ ...deployment, kind: 'ClusterDeployment' }, now), undefined);
  const k0 = GROUPS.k0rdent;

  // Warning events first: one LIST for the whole chain, matched to each node at the end.
  await walk.loadWarnings(namespace);

  const templateName = str(spec.template);
  const template = templateName
    ? await walk.object({ group: k0, kind: 'ClusterTemplate', name: templateName, namespace }, 'template', root, describeTemplate, {
        mustExist: true,
        why: `ClusterTemplate ${namespace}/${templateName} does not exist (${toolRef(TOOL.clustersListTemplates)} shows the ones there are)`,
      })
    : undefined;
  const credentialName = str(spec.credential);
  const credential = credentialName
    ? await walk.object(
        { group: k0, kind: 'Credential', name: credentialName, namespace },
        'credential',
        root,
        (o) => describeCredential(o, now),
        {
          mustExist: true,
          why: `Credential ${namespace}/${credentialName} does not exist (${toolRef(TOOL.clustersListCredentials)} shows the ones there are)`,
        },
      )
    : undefined;
  if (credential !== undefined) {
    const identity = refOf(rec(credential.object.spec).identityRef, namespace);
    if (identity !== undefined && identity.kind === 'Secret' && identity.group === '') {
      walk.add(
        {
          kind: 'Secret',
          name: identity.name,
          ...(identity.namespace ? { namespace: identity.namespace } : {}),
          role: 'identity',
          status: 'ok',
          state: 'a Secret: its content is never read here',
        },
        credential.index,
      );
    } else if (identity !== undefined) {
      // kcm checked the identity when it made the Credential ready: not finding it then says more about where
      // this looked than about the Credential.
      await walk.object(identity, 'identity', credential.index, (o) => describeIdentity(o, now), {
        mustExist: rec(credential.object.status).ready !== true,
        why: `the Credential's identity ${identity.kind} ${identity.namespace ? `${identity.namespace}/` : ''}${identity.name} was not found${rec(credential.object.status).ready === true ? ' there (kcm reports the Credential ready, so it found it elsewhere)' : ''}`,
      });
    }
  }

  // The chart kcm renders: the template's status.chartRef (a HelmChart), and its source.
  const chartRef = refOf(rec(template?.object.status).chartRef, template?.object.metadata?.namespace);
  if (chartRef !== undefined) {
    const chart = await walk.object(
      { ...chartRef, group: chartRef.group || GROUPS.source },
      'helmChart',
      template?.index,
      (o) => describeFlux(o, 'helmChart', now),
      {
        mustExist: false,
        why: 'the HelmChart kcm names for this template does not exist yet',
      },
    );
    const source = refOf(rec(chart?.object.spec).sourceRef, chartRef.namespace);
    if (chart !== undefined && source !== undefined)
      await walk.object(
        { ...source, group: source.group || GROUPS.source },
        'helmRepository',
        chart.index,
        (o) => describeFlux(o, 'helmRepository', now),
        {
          mustExist: true,
          why: `the chart source ${source.kind} ${source.name} does not exist`,
        },
      );
  }

  const region = str(status.region);
  const adopted =
    providersOf(template?.object).some((p) => p === 'infrastructure-internal') || templateName?.startsWith('adopted-cluster') === true;
  const hosted = providersOf(template?.object).some((p) => p.includes('k0smotron')) && templateName?.includes('hosted') === true;
  const shape =
    spec.dryRun === true
      ? 'dryRun'
      : region !== undefined
        ? 'regional'
        : adopted
          ? 'adopted'
          : hosted
            ? 'hosted control plane'
            : 'standalone';
  const result = (): WalkResult => {
    walk.attachWarnings();
    return { deployment, nodes: walk.nodes, notes: walk.notes, shape, ...(region !== undefined ? { region } : {}) };
  };
  if (spec.dryRun === true) {
    walk.notes.push(
      `spec.dryRun is true: kcm only validates it and creates no HelmRelease; deploy it with ${toolRef(TOOL.clustersUpdate)} to go further`,
    );
    return result();
  }
  if (region !== undefined) {
    walk.notes.push(
      `regional: kcm deploys it through Region "${region}", so its HelmRelease and Cluster API objects live in that Region's cluster and are not read here`,
    );
    return result();
  }

  const deleting = deployment.metadata?.deletionTimestamp !== undefined;
  const release = await walk.object(
    { group: GROUPS.helm, kind: 'HelmRelease', name, namespace },
    'helmRelease',
    root,
    (o) => describeFlux(o, 'helmRelease', now),
    {
      mustExist: false,
      why: deleting ? 'already deleted' : 'kcm has not created the HelmRelease yet',
    },
  );
  if (release === undefined) return result();

  if (adopted) {
    await walk.object(
      { group: GROUPS.sveltos, kind: 'SveltosCluster', name, namespace },
      'sveltosCluster',
      release.index,
      (o) => describeSveltosCluster(o, now),
      {
        mustExist: false,
        why: 'the adopted cluster chart has not created its SveltosCluster',
      },
    );
    return result();
  }

  await walkCluster(walk, release.index, name, namespace, deleting);
  return result();
}

async function walkCluster(walk: Walk, parent: number, cdName: string, namespace: string, deleting: boolean): Promise<void> {
  const now = walk.time;
  const clusterKind = await walk.served(GROUPS.capi, 'Cluster', cdName, namespace, 'cluster', parent);
  if (clusterKind === undefined) return;
  const clusters = await walk.read({ kind: 'Cluster', name: cdName, namespace, role: 'cluster' }, parent, () =>
    walk.reader.list(clusterKind, namespace, { labelSelector: `${LABEL_HELM_RELEASE_NAME}=${cdName}` }),
  );
  if (clusters === undefined) return;
  if (clusters.length === 0) {
    walk.add(
      missingNode(
        'Cluster',
        cdName,
        namespace,
        'cluster',
        deleting
          ? 'already deleted'
          : 'the HelmRelease has not created a Cluster API Cluster (none labelled helm.toolkit.fluxcd.io/name=' + cdName + ')',
      ),
      parent,
    );
    return;
  }
  for (const cluster of clusters.slice(0, 2)) {
    const clusterName = cluster.metadata?.name ?? cdName;
    const index = walk.add(describeCluster({ ...cluster, kind: 'Cluster' }, now), parent);
    const spec = rec(cluster.spec);
    const infra = refOf(spec.infrastructureRef, namespace);
    if (infra !== undefined)
      await walk.object(infra, 'infrastructure', index, (o) => describeProviderObject(o, 'infrastructure', now), {
        mustExist: false,
        why: deleting ? 'already deleted' : `the infrastructure cluster ${infra.kind} ${infra.name} does not exist yet`,
      });
    const cpRef = refOf(spec.controlPlaneRef, namespace);
    let cpIndex: number | undefined;
    if (cpRef !== undefined) {
      const hosted = cpRef.kind === 'K0smotronControlPlane';
      const cp = await walk.object(
        cpRef,
        hosted ? 'hostedControlPlane' : 'controlPlane',
        index,
        (o) => describeProviderObject(o, hosted ? 'hostedControlPlane' : 'controlPlane', now),
        {
          mustExist: false,
          why: deleting ? 'already deleted' : `the control plane ${cpRef.kind} ${cpRef.name} does not exist yet`,
        },
      );
      cpIndex = cp?.index;
      if (hosted && cp !== undefined) await walkHostedControlPlane(walk, cp.index, cpRef.name, clusterName, namespace);
    }
    await walkWorkers(walk, index, cpIndex, clusterName, namespace, deleting);
  }
}

/** k0smotron runs a hosted control plane as the StatefulSet `kmc-<name>` and its pods, in the cluster's namespace. */
async function walkHostedControlPlane(walk: Walk, parent: number, cpName: string, clusterName: string, namespace: string): Promise<void> {
  const stsKind = await walk.served(GROUPS.apps, 'StatefulSet', `kmc-${cpName}`, namespace, 'hostedControlPlane', parent);
  if (stsKind === undefined) return;
  let sts: KubeObject | undefined;
  for (const candidate of [...new Set([`kmc-${cpName}`, `kmc-${clusterName}`])]) {
    sts = await walk.read({ kind: 'StatefulSet', name: candidate, namespace, role: 'hostedControlPlane' }, parent, () =>
      walk.reader.get(stsKind, namespace, candidate),
    );
    if (sts !== undefined) break;
  }
  if (sts === undefined) {
    walk.add(
      missingNode(
        'StatefulSet',
        `kmc-${cpName}`,
        namespace,
        'hostedControlPlane',
        'k0smotron has not created the hosted control plane StatefulSet yet',
      ),
      parent,
    );
    return;
  }
  const index = walk.add(describeStatefulSet({ ...sts, kind: 'StatefulSet' }), parent);
  const labels = rec(rec(rec(sts.spec).selector).matchLabels);
  const selector = Object.entries(labels)
    .filter(([, v]) => typeof v === 'string')
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(',');
  if (selector === '') return;
  const podKind = await walk.reader.kind('', 'Pod');
  if (podKind === undefined) return;
  const pods = await walk.read({ kind: 'Pod', name: `${sts.metadata?.name ?? ''}-*`, namespace, role: 'pod' }, index, () =>
    walk.reader.list(podKind, namespace, { labelSelector: selector }),
  );
  for (const pod of (pods ?? []).slice(0, 5)) walk.add(describePod({ ...pod, kind: 'Pod' }), index);
}

/** MachineDeployments / MachinePools, the Machines (grouped under them or the control plane), and per Machine its infra machine and bootstrap config. */
async function walkWorkers(
  walk: Walk,
  clusterIndex: number,
  cpIndex: number | undefined,
  clusterName: string,
  namespace: string,
  /** The ClusterDeployment is being deleted: what goes first in Cluster API's deletion order is not broken. */
  clusterDeleting: boolean,
): Promise<void> {
  const now = walk.time;
  const reader = walk.reader;
  const selector = `${LABEL_CLUSTER_NAME}=${clusterName}`;
  const owners = new Map<string, number>();
  for (const [kindName, role, label] of [
    ['MachineDeployment', 'machineDeployment', LABEL_DEPLOYMENT_NAME],
    ['MachinePool', 'machinePool', LABEL_POOL_NAME],
  ] as const) {
    const kind = await walk.read({ kind: kindName, name: `${clusterName}-*`, namespace, role }, clusterIndex, () =>
      reader.kind(GROUPS.capi, kindName),
    );
    if (kind === undefined) continue;
    const items = await walk.read({ kind: kindName, name: `${clusterName}-*`, namespace, role }, clusterIndex, () =>
      reader.list(kind, namespace, { labelSelector: selector }),
    );
    for (const item of items ?? [])
      owners.set(
        `${label}=${item.metadata?.name ?? ''}`,
        walk.add(describeMachineDeployment({ ...item, kind: kindName }, role, now), clusterIndex),
      );
  }
  const machineKind = await walk.served(GROUPS.capi, 'Machine', `${clusterName}-*`, namespace, 'machine', clusterIndex);
  if (machineKind === undefined) return;
  const machines = await walk.read({ kind: 'Machine', name: `${clusterName}-*`, namespace, role: 'machine' }, clusterIndex, () =>
    reader.list(machineKind, namespace, { labelSelector: selector }),
  );
  if (machines === undefined) return;
  // Not Running first, then by name; the rest are counted.
  const sorted = [...machines].sort(
    (a, b) =>
      Number(str(rec(a.status).phase) === 'Running') - Number(str(rec(b.status).phase) === 'Running') ||
      (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''),
  );
  const shown = sorted.slice(0, MAX_MACHINES_SHOWN);
  if (sorted.length > shown.length) {
    const phases = new Map<string, number>();
    for (const m of sorted.slice(shown.length))
      phases.set(str(rec(m.status).phase) ?? 'Unknown', (phases.get(str(rec(m.status).phase) ?? 'Unknown') ?? 0) + 1);
    walk.notes.push(`${sorted.length - shown.length} more Machines not listed: ${[...phases].map(([p, n]) => `${n} ${p}`).join(', ')}`);
  }
  // The infra machines and bootstrap configs: one LIST per kind (labelled with the cluster name), matched by name.
  const related = new Map<string, Map<string, KubeObject> | undefined>();
  const relatedOf = async (ref: Ref, role: string, parent: number, deleting: boolean): Promise<KubeObject | undefined> => {
    const key = `${ref.group}/${ref.kind}`;
    if (!related.has(key)) {
      const kind = await walk.served(ref.group, ref.kind, ref.name, namespace, role, parent);
      const items =
        kind === undefined
          ? undefined
          : await walk.read({ kind: ref.kind, name: ref.name, namespace, role }, parent, () =>
              reader.list(kind, namespace, { labelSelector: selector }),
            );
      related.set(key, items === undefined ? undefined : new Map(items.map((o) => [o.metadata?.name ?? '', { ...o, kind: ref.kind }])));
      if (kind === undefined || items === undefined) return undefined;
    }
    const byName = related.get(key);
    if (byName === undefined) return undefined;
    const found = byName.get(ref.name);
    // While the cluster or the Machine is being deleted, a Machine's infrastructure machine and bootstrap config
    // go before it (Cluster API's Machine controller deletes both before it drops its finalizer, reconcileDelete in
    // internal/controllers/machine/machine_controller.go; a control plane's configs go with the control plane), so
    // their absence then is the deletion's progress, not a broken link (seen: a K0sControllerConfig named as the
    // first broken link of a deletion-blocked cluster, ahead of the AzureCluster holding it).
    if (found === undefined && !deleting)
      walk.add(missingNode(ref.kind, ref.name, namespace, role, `the ${ref.kind} this Machine names does not exist (yet)`), parent);
    return found;
  };
  for (const machine of shown) {
    const labels = machine.metadata?.labels ?? {};
    const owner =
      labels[LABEL_CONTROL_PLANE] !== undefined
        ? cpIndex
        : (owners.get(`${LABEL_DEPLOYMENT_NAME}=${labels[LABEL_DEPLOYMENT_NAME] ?? ''}`) ??
          owners.get(`${LABEL_POOL_NAME}=${labels[LABEL_POOL_NAME] ?? ''}`));
    const mIndex = walk.add(describeMachine({ ...machine, kind: 'Machine' }, now), owner ?? clusterIndex);
    const mSpec = rec(machine.spec);
    const deleting = clusterDeleting || machine.metadata?.deletionTimestamp !== undefined;
    const infraRef = refOf(mSpec.infrastructureRef, namespace);
    let infra: KubeObject | undefined;
    if (infraRef !== undefined) {
      infra = await relatedOf(infraRef, 'infraMachine', mIndex, deleting);
      if (infra !== undefined) walk.add(describeProviderObject(infra, 'infraMachine', now), mIndex);
    }
    const bootRef = refOf(rec(mSpec.bootstrap).configRef, namespace);
    if (bootRef !== undefined) {
      const boot = await relatedOf(bootRef, 'bootstrapConfig', mIndex, deleting);
      if (boot !== undefined) walk.add(describeProviderObject(boot, 'bootstrapConfig', now), mIndex);
    }
    checkProviderId(walk.nodes[mIndex] as ChainNode, machine, infra, now);
  }
}

/**
 * How long Cluster API may take to copy a provisioned infrastructure machine's spec.providerID to its Machine
 * (the Machine controller does it on the reconcile the infrastructure machine's change triggers) before the
 * Machine lacking it counts as broken rather than a moment between two controllers' writes.
 */
export const PROVIDER_ID_COPY_GRACE_MS = 60_000;

/** When the infrastructure machine's Ready condition last turned (its v1beta2 set when carried aside), if said. */
function readySince(infra: KubeObject): number | undefined {
  const status = rec(infra.status);
  for (const list of [rec(status.v1beta2).conditions, status.conditions]) {
    if (!Array.isArray(list)) continue;
    const ready = list.map(rec).find((c) => c.type === 'Ready' && c.status === 'True');
    const at = ready !== undefined ? Date.parse(str(ready.lastTransitionTime) ?? '') : NaN;
    if (!Number.isNaN(at)) return at;
  }
  return undefined;
}

/**
 * A Machine without spec.providerID whose infrastructure machine is already provisioned: Cluster API copies
 * the providerID from the infrastructure machine, so the provider has not set it there — the Machine waits
 * forever for its Node (the kcm issue "Machines waiting for a providerID"). When the infrastructure machine
 * does carry one, the copy is on its way unless it has been waiting longer than PROVIDER_ID_COPY_GRACE_MS.
 */
function checkProviderId(node: ChainNode, machine: KubeObject, infra: KubeObject | undefined, now: number): void {
  if (node.status === 'broken' || str(rec(machine.spec).providerID) !== undefined || infra === undefined) return;
  const init = rec(rec(infra.status).initialization);
  const provisioned = init.provisioned ?? rec(infra.status).ready;
  if (provisioned !== true) return;
  const infraId = str(rec(infra.spec).providerID);
  if (infraId !== undefined && now - (readySince(infra) ?? now) <= PROVIDER_ID_COPY_GRACE_MS) return;
  node.status = 'broken';
  node.problem = {
    reason: 'NoProviderID',
    message:
      infraId === undefined
        ? `${infra.kind ?? 'the infrastructure machine'} ${infra.metadata?.name ?? ''} reports it is provisioned but has no spec.providerID, so the Machine never gets one and never finds its Node`
        : `the Machine has no spec.providerID although ${infra.kind ?? 'its infrastructure machine'} has ${infraId}`,
  };
}
