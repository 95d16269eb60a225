/**
 * kcm's cleanup of `spec.cleanupOnDeletion` in the child cluster (kcm v1.11.4
 * `internal/controller/clusterdeployment_controller.go:1798-1852` deleteChildResources, over
 * `internal/util/kube/delete.go` DeleteAllExceptAndWait :40-115 and DeletePVCsAndOwnersAndWait :130-250):
 * the child cluster is the one the deployment's kubeconfig Secret `<cd>-kubeconfig` (key `value`) points at.
 * kcm deletes every Service of type LoadBalancer and every PVC (with the Pods, or their top-level
 * Deployment/StatefulSet/ReplicaSet/DaemonSet/Job/CronJob, that use it) in every namespace there, then waits up to
 * 10 s for the load balancers and the claimed PersistentVolumes to be gone; a wait that times out requeues.
 *
 * The sandbox does the same against the cluster the Secret names. The Secret the sandbox writes itself
 * (./kubeconfig-secret.ts, server `https://<cd>.<ns>.sandbox.invalid:6443`) stands for a simulated child cluster
 * that holds no load balancer and no volume: its cleanup is done at once.
 */
import { KubeConfig } from '@kubernetes/client-node';
import type { KubeObject, ResourceKey } from '../apiserver/types.js';
import { KubeApiError, KubeRest, resourcePath } from '../kube/rest.js';
import type { KcmReader } from './api.js';
import { kubeconfigSecretName, SIMULATED_CHILD_HOST_SUFFIX } from './kubeconfig-secret.js';
import { SECRETS } from './resources.js';

/** kcm's `deletionTimeout` (clusterdeployment_controller.go:1816, "magic number"). */
export const CHILD_CLEANUP_TIMEOUT_MS = 10_000;
/** The poll interval of both waits (delete.go:89, :210). */
const POLL_MS = 500;
const FIELD_MANAGER = 'k0rdent-sandbox-kcm';

/** What one cleanup attempt ended with. */
export type ChildCleanup =
  | { outcome: 'done' }
  /** A wait ran out: kcm requeues with CloudResourcesDeleted=False/Progressing (:1641-1645). */
  | { outcome: 'timeout' }
  /** Any other failure: CloudResourcesDeleted=False/Failed with this message, and the reconcile fails (:1639-1640). */
  | { outcome: 'failed'; message: string };

const core = (plural: string): ResourceKey => ({ group: '', version: 'v1', plural });
const NAMESPACES = core('namespaces');
const SERVICES = core('services');
const PVCS = core('persistentvolumeclaims');
const PVS = core('persistentvolumes');
const PODS = core('pods');

/** delete.go:118-125 allowedOwnerKinds. */
const ALLOWED_OWNERS: Record<string, string> = {
  'apps/Deployment': 'deployments',
  'apps/StatefulSet': 'statefulsets',
  'apps/ReplicaSet': 'replicasets',
  'apps/DaemonSet': 'daemonsets',
  'batch/Job': 'jobs',
  'batch/CronJob': 'cronjobs',
};

class Timeout extends Error {}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** wait.PollUntilContextTimeout(immediate=true): true once `done` says so, a Timeout when its own window closes. */
async function poll(timeoutMs: number, done: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await done()) return;
    if (Date.now() + POLL_MS > deadline) throw new Timeout('context deadline exceeded');
    await sleep(POLL_MS);
  }
}

async function list(rest: KubeRest, resource: ResourceKey, namespace?: string): Promise<KubeObject[]> {
  const body = await rest.json<{ items?: KubeObject[] }>({ method: 'GET', path: resourcePath(resource, namespace) });
  return body.items ?? [];
}

/** client.IgnoreNotFound around a GET. */
async function getOrUndefined(
  rest: KubeRest,
  resource: ResourceKey,
  namespace: string | undefined,
  name: string,
): Promise<KubeObject | undefined> {
  try {
    return await rest.get(resource, namespace, name);
  } catch (err) {
    if (err instanceof KubeApiError && err.status === 404) return undefined;
    throw err;
  }
}

/** client.IgnoreNotFound around a DELETE. */
async function remove(rest: KubeRest, resource: ResourceKey, namespace: string | undefined, name: string): Promise<void> {
  const res = await rest.raw({ method: 'DELETE', path: resourcePath(resource, namespace, name) });
  if (res.status === 404 || (res.status >= 200 && res.status < 300)) return;
  const message = (res.body as { message?: string } | undefined)?.message ?? String(res.status);
  throw new KubeApiError(res.status, '', message, res.body);
}

/** delete.go:435-452 removeFinalizers (its failure is only logged by the callers, :183-185, :197-199). */
async function removeFinalizers(rest: KubeRest, resource: ResourceKey, object: KubeObject): Promise<void> {
  if ((object.metadata.finalizers ?? []).length === 0) return;
  try {
    const latest = await getOrUndefined(rest, resource, object.metadata.namespace, object.metadata.name);
    if (!latest) return;
    await rest.replace(resource, { ...latest, metadata: { ...latest.metadata, finalizers: [] } }, FIELD_MANAGER);
  } catch {
    // logged and ignored by kcm
  }
}

type OwnerRef = { apiVersion?: string; kind?: string; name?: string; controller?: boolean };
const controllerOf = (object: KubeObject): OwnerRef | undefined =>
  (object.metadata.ownerReferences as OwnerRef[] | undefined)?.find((o) => o.controller === true);

/** delete.go:316-412 findTopLevelAllowedController: the top-most allowed controller above a Pod, or none. */
async function topAllowedController(rest: KubeRest, pod: KubeObject): Promise<{ resource: ResourceKey; object: KubeObject } | undefined> {
  let ref = controllerOf(pod);
  let last: { resource: ResourceKey; object: KubeObject } | undefined;
  for (let depth = 1; ref; depth++) {
    if (depth > 10) throw new Error(`ownerRef chain too deep (> 10) for ${pod.metadata.namespace ?? ''}/${pod.metadata.name}`);
    const [group, version] = (ref.apiVersion ?? '').includes('/') ? (ref.apiVersion ?? '').split('/', 2) : ['', ref.apiVersion ?? ''];
    const plural = ALLOWED_OWNERS[`${group ?? ''}/${ref.kind ?? ''}`];
    if (!plural) return last;
    const resource: ResourceKey = { group: group ?? '', version: version ?? '', plural };
    let object: KubeObject | undefined;
    try {
      object = await getOrUndefined(rest, resource, pod.metadata.namespace, ref.name ?? '');
    } catch (err) {
      if (err instanceof KubeApiError && (err.status === 401 || err.status === 403)) return last;
      throw err;
    }
    if (!object) return last;
    last = { resource, object };
    ref = controllerOf(object);
  }
  return last;
}

/** DeleteAllExceptAndWait for Services, keeping every Service that is not a LoadBalancer (:1820-1831). */
async function deleteLoadBalancers(rest: KubeRest, timeoutMs: number): Promise<void> {
  const isLoadBalancer = (s: KubeObject): boolean => (s['spec'] as { type?: string } | undefined)?.type === 'LoadBalancer';
  for (const ns of await list(rest, NAMESPACES)) {
    for (const svc of await list(rest, SERVICES, ns.metadata.name)) {
      if (isLoadBalancer(svc)) await remove(rest, SERVICES, svc.metadata.namespace, svc.metadata.name);
    }
  }
  await poll(timeoutMs, async () => !(await list(rest, SERVICES)).some(isLoadBalancer));
}

/** DeletePVCsAndOwnersAndWait with no exclusion (:1832-1837). */
async function deleteVolumes(rest: KubeRest, timeoutMs: number): Promise<void> {
  const namespaces = await list(rest, NAMESPACES);
  // collectPersistentVolumeNames (:252-285): every PV that still has a claim.
  const waitFor = new Map<string, string>();
  for (const pv of await list(rest, PVS)) {
    const spec = (pv['spec'] ?? {}) as { claimRef?: { namespace?: string; name?: string }; persistentVolumeReclaimPolicy?: string };
    if (!spec.claimRef) continue;
    waitFor.set(pv.metadata.name, spec.persistentVolumeReclaimPolicy ?? '');
  }
  for (const ns of namespaces) {
    for (const pvc of await list(rest, PVCS, ns.metadata.name)) {
      const pods = (await list(rest, PODS, ns.metadata.name)).filter((p) =>
        ((p['spec'] as { volumes?: { persistentVolumeClaim?: { claimName?: string } }[] } | undefined)?.volumes ?? []).some(
          (v) => v.persistentVolumeClaim?.claimName === pvc.metadata.name,
        ),
      );
      for (const pod of pods) {
        const owner = await topAllowedController(rest, pod);
        const target = owner ?? { resource: PODS, object: pod };
        await remove(rest, target.resource, target.object.metadata.namespace, target.object.metadata.name);
        await removeFinalizers(rest, target.resource, target.object);
      }
      await remove(rest, PVCS, pvc.metadata.namespace, pvc.metadata.name);
    }
  }
  // Each PV has a wait of its own (:212-247).
  for (const [name, reclaim] of waitFor) {
    await poll(timeoutMs, async () => {
      if (reclaim === 'Recycle') return true;
      const pv = await getOrUndefined(rest, PVS, undefined, name);
      if (!pv) return true;
      if (reclaim === 'Delete') return false;
      const phase = (pv['status'] as { phase?: string } | undefined)?.phase;
      return phase === 'Released' || (pv['spec'] as { claimRef?: unknown } | undefined)?.claimRef === undefined;
    });
  }
}

/**
 * deleteChildResources (:1798-1852): the child cluster behind `<cd>-kubeconfig`, its load balancers and volumes
 * deleted and waited for. No Secret: nothing to do (:1808-1812).
 */
export async function cleanupChildCluster(
  reader: KcmReader,
  deployment: KubeObject,
  timeoutMs = CHILD_CLEANUP_TIMEOUT_MS,
): Promise<ChildCleanup> {
  const namespace = deployment.metadata.namespace ?? '';
  const key = `${namespace}/${deployment.metadata.name}`;
  const secretKey = `${namespace}/${kubeconfigSecretName(deployment.metadata.name)}`;
  const fail = (message: string): ChildCleanup => ({
    outcome: 'failed',
    message: `failed to get child cluster of ClusterDeployment ${key}: ${message}`,
  });
  const secret = reader.get(SECRETS, namespace, kubeconfigSecretName(deployment.metadata.name));
  if (!secret) return { outcome: 'done' };
  const value = (secret['data'] as Record<string, string> | undefined)?.['value'];
  // kube/client.go:40-43: the key must be there.
  if (value === undefined) return fail(`kubeconfig from Secret ${secretKey} is empty`);
  const kubeconfig = new KubeConfig();
  let rest: KubeRest;
  let host: string;
  try {
    kubeconfig.loadFromString(Buffer.from(value, 'base64').toString('utf8'));
    rest = new KubeRest(kubeconfig);
    host = new URL(rest.server).hostname;
  } catch (err) {
    return fail(
      `failed to create client config from ${secretKey} Secret: failed to build rest config from the given kubeconfig data: ${errorText(err)}`,
    );
  }
  if (host.endsWith(SIMULATED_CHILD_HOST_SUFFIX)) return { outcome: 'done' };
  // The two run side by side (an errgroup, :1817-1838), each wait with its own timeout.
  const results = await Promise.allSettled([
    deleteLoadBalancers(rest, timeoutMs).catch((err: unknown) => {
      throw err instanceof Timeout ? err : new Error(`failed to deletecollection of Services: ${errorText(err)}`);
    }),
    deleteVolumes(rest, timeoutMs).catch((err: unknown) => {
      throw err instanceof Timeout ? err : new Error(`failed to delete PVCs: ${errorText(err)}`);
    }),
  ]);
  const errors = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  if (errors.length === 0) return { outcome: 'done' };
  if (errors.some((e) => e instanceof Timeout)) return { outcome: 'timeout' };
  return { outcome: 'failed', message: errorText(errors[0]) };
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
