/**
 * The backend matrix: the same suites against the embedded sandbox and against the real test control
 * plane (kube-apiserver + etcd + the GC and namespace controllers, with the simulated kcm attached as
 * webhooks and a controller). K0RDENT_TEST_BACKEND=sandbox|kube|sandbox,kube picks; unset = the sandbox,
 * plus kube when `npm run kube:build` has built the control plane (CI builds it, so CI runs both).
 * Suites read objects through `get`/`list` (the store, or the API as admin), never the store directly,
 * unless they need what only the embedded sandbox has (`embedded`: its store and fault injector).
 * The third backend, `kcm` (the real kcm v1.11.4 built by `npm run kcm:build`, with the simulated world below it:
 * src/sandbox/real-kcm/), takes ~60-100 s to bring up, so a suite opts in (`testBackends({ kcm: true })`);
 * K0RDENT_TEST_BACKEND=kcm runs only it. Under scripts/run-tests.mjs one real-kcm world serves the whole run
 * (scripts/kcm-world.mjs → serveSharedKcmWorld, its description in $K0RDENT_KCM_WORLD): `startBackend('kcm')`
 * attaches to it when the suite's options are the shared world's, else (or with K0RDENT_KCM_WORLD unset, e.g.
 * `node --test` of one file) brings one up for the file.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import type { KubeSandboxHandle, SandboxHandle, SandboxOptions } from '../../src/sandbox/index.js';
import type { KubeObject, ResourceKey } from '../../src/sandbox/apiserver/types.js';
import { startSandbox } from '../../src/sandbox/sandbox.js';
import { controlPlaneBinary, controlPlaneBuilt } from '../../src/sandbox/kube/control-plane.js';
import { KubeApiError, KubeRest, resourcePath } from '../../src/sandbox/kube/rest.js';
import { defaultRegistry } from '../../src/sandbox/apiserver/resources.js';
import { startKubeSandbox } from '../../src/sandbox/kube/sandbox.js';
import { kcmBuilt, kcmManagerBinary } from '../../src/sandbox/real-kcm/assets.js';
import { startRealKcmSandbox, type RealKcmSandboxHandle } from '../../src/sandbox/real-kcm/sandbox.js';
import { quietPoint } from './quiet.js';
import { ControllerLogs } from '../../src/sandbox/pods/controller-logs.js';
import { KCM_SYSTEM_NAMESPACE } from '../../src/sandbox/real-kcm/manager.js';
import { scaled } from './until.js';
import { buildKubeconfig } from '../../src/sandbox/apiserver/kubeconfig.js';
import { loadTokenTable, type TokenTable } from '../../src/sandbox/apiserver/auth.js';

export type BackendName = 'sandbox' | 'kube' | 'kcm';

export interface BackendChoice {
  name: BackendName;
  /** false, or why this backend does not run here. */
  skip: string | false;
}

/** Why the real-kcm backend cannot run here, or false. */
export function kcmSkipReason(): string | false {
  if (!controlPlaneBuilt()) return 'kcm backend skipped: the test control plane is not built (npm run kube:build)';
  if (!kcmBuilt()) return `kcm backend skipped: kcm's manager is not built (${kcmManagerBinary()}; npm run kcm:build)`;
  return false;
}

/**
 * The part of a file this process runs (`K0RDENT_TEST_PART`, set by scripts/run-tests.mjs): a file that runs on the
 * real-kcm backend too is run as two processes when the run shares one real-kcm world, so that only its real-kcm
 * suites hold the world's lane (one file at a time) and the rest runs beside them. `kcm`: only the real-kcm suites;
 * `rest`: everything else. Unset: the whole file.
 */
export type TestPart = 'kcm' | 'rest';
export const TEST_PART_ENV = 'K0RDENT_TEST_PART';

export function testPart(): TestPart | undefined {
  const part = process.env[TEST_PART_ENV];
  if (part === undefined || part === '') return undefined;
  if (part !== 'kcm' && part !== 'rest') throw new Error(`${TEST_PART_ENV}: "${part}" is not kcm or rest`);
  return part;
}

/**
 * Options for a suite of a matrix file that is not one of the matrix's (no backend, or the embedded sandbox only):
 * it runs in the `rest` part of the file, not again in the `kcm` part.
 */
export function outsideMatrix(): { skip: string | false } {
  return { skip: testPart() === 'kcm' ? 'runs in the other part of this file (scripts/run-tests.mjs)' : false };
}

/**
 * The backends this run covers, each with its skip reason (an explicitly requested kube that is not built fails).
 * `kcm: true`: a suite of the product that also runs on the real-kcm backend. Unset K0RDENT_TEST_BACKEND, it runs
 * on the embedded sandbox and real kcm: the real-kcm backend is kube-apiserver too (real RBAC, real admission, the
 * real wire), with the real kcm instead of the simulated one, so a kube row (kube-apiserver + the simulated kcm)
 * adds nothing a product suite checks and cost a third of the idle budget's CPU; the simulated kcm is held to
 * kube-apiserver by its own suites (kcm-fidelity-*, the differential tests), which keep the kube row. Without a
 * built kcm (no `npm run kcm:build`), such a suite falls back to the sandbox and kube. K0RDENT_TEST_BACKEND=kube
 * (or a list) still runs exactly what it names.
 */
export function testBackends(options: { kcm?: boolean } = {}): BackendChoice[] {
  const requested = (process.env['K0RDENT_TEST_BACKEND'] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const name of requested) {
    if (name !== 'sandbox' && name !== 'kube' && name !== 'kcm')
      throw new Error(`K0RDENT_TEST_BACKEND: "${name}" is not sandbox, kube or kcm`);
  }
  const part = testPart();
  const kcmSkip = kcmSkipReason();
  const defaults: BackendName[] = options.kcm === true && !kcmSkip ? ['sandbox', 'kcm'] : ['sandbox', 'kube', 'kcm'];
  const names = (requested.length > 0 ? (requested as BackendName[]) : defaults).filter(
    (name) => (name !== 'kcm' || options.kcm === true) && (part === undefined || (part === 'kcm') === (name === 'kcm')),
  );
  if (requested.includes('kcm') && options.kcm === true && kcmSkip) throw new Error(`K0RDENT_TEST_BACKEND=kcm but ${kcmSkip}`);
  const built = controlPlaneBuilt();
  if (requested.includes('kube') && !built)
    throw new Error(`K0RDENT_TEST_BACKEND=kube but the control plane is not built (${controlPlaneBinary()}): npm run kube:build`);
  return names.map((name) => ({
    name,
    skip:
      name === 'kube' && !built
        ? `kube backend skipped: the test control plane is not built (npm run kube:build)`
        : name === 'kcm'
          ? kcmSkip
          : false,
  }));
}

export interface Backend {
  readonly name: BackendName;
  /** What startHarness / sandboxKubeConfig take: the kubeconfig of the first token user (or the admin). */
  readonly kubeconfig: string;
  readonly adminKubeconfig: string;
  /** The embedded sandbox (store, fault injector); undefined on kube. */
  readonly embedded: SandboxHandle | undefined;
  readonly kube: KubeSandboxHandle | undefined;
  /** The real-kcm sandbox (kcm's log, timings); undefined elsewhere. */
  readonly realKcm: RealKcmSandboxHandle | undefined;
  get(resource: ResourceKey, namespace: string | undefined, name: string): Promise<KubeObject | undefined>;
  list(resource: ResourceKey, options?: { namespace?: string }): Promise<KubeObject[]>;
  /** Sets `.status` as a controller would (the status subresource on kube). */
  updateStatus(resource: ResourceKey, namespace: string | undefined, name: string, status: unknown): Promise<void>;
  /**
   * Changes when anything is written anywhere, taken at the backend's quiet point: the store's resourceVersion once
   * the controllers' queued and timed writes have landed (./quiet.ts); etcd's revision on kube, once kcm is quiet; on
   * real kcm a digest of what clients write (realKcmMarker).
   */
  writeMarker(): Promise<string>;
  /**
   * Changes when a client writes what a client writes (existence, spec, deletion, labels, annotations of every
   * k0rdent object and Namespace), not when a controller writes status or Events: on kube and real kcm the digest
   * of realKcmMarker, on the embedded sandbox its writeMarker. For "this call wrote nothing" where controllers keep
   * writing meanwhile (a loaded machine stretches their timed steps past any quiet window).
   */
  clientWriteMarker(): Promise<string>;
  close(): Promise<void>;
}

export async function startBackend(name: BackendName, options: SandboxOptions = {}): Promise<Backend> {
  if (name === 'sandbox') {
    const sandbox = await startSandbox(options);
    return {
      name,
      kubeconfig: sandbox.kubeconfig,
      adminKubeconfig: sandbox.kubeconfig,
      embedded: sandbox,
      kube: undefined,
      realKcm: undefined,
      get: (resource, namespace, objectName) => Promise.resolve(sandbox.store.get(resource, namespace, objectName)),
      list: (resource, options) =>
        Promise.resolve(sandbox.store.list(resource, options?.namespace !== undefined ? { namespace: options.namespace } : {})),
      updateStatus: async (resource, namespace, objectName, status) => {
        sandbox.store.updateStatus(resource, namespace, objectName, status);
      },
      writeMarker: () => quietPoint(sandbox.store),
      clientWriteMarker: () => quietPoint(sandbox.store),
      close: () => sandbox.close(),
    };
  }
  const shared = name === 'kcm' ? attachSharedKcm(options) : undefined;
  const realKcm = name === 'kcm' ? (shared ?? (await startRealKcmSandbox(options))) : undefined;
  const kube = realKcm ? undefined : await startKubeSandbox(options);
  const handle = realKcm ?? kube;
  if (!handle) throw new Error(`no ${name} backend`);
  const admin = new KubeConfig();
  admin.loadFromString(handle.adminKubeconfig);
  const rest = new KubeRest(admin);
  if (shared) await previousDeletionsDone(rest);
  return {
    name,
    kubeconfig: handle.kubeconfig,
    adminKubeconfig: handle.adminKubeconfig,
    embedded: undefined,
    kube,
    realKcm,
    get: async (resource, namespace, objectName) => {
      try {
        return await rest.get(resource, namespace, objectName);
      } catch (err) {
        if (err instanceof KubeApiError && err.status === 404) return undefined;
        throw err;
      }
    },
    list: async (resource, options) => {
      const list = await rest.json<{ items: KubeObject[] }>({ method: 'GET', path: resourcePath(resource, options?.namespace) });
      return list.items;
    },
    updateStatus: async (resource, namespace, objectName, status) => {
      await rest.replaceStatus(resource, namespace, objectName, status, 'test');
    },
    // A LIST without a resourceVersion is a quorum read: its resourceVersion is etcd's current revision.
    // The simulated kcm writes on its own timers (walks, services) through the same etcd, so the marker is
    // taken once the revision has held still (bounded): a later change is someone's write. Still for MARKER_STILL_MS:
    // a second on a quiet machine, longer on a loaded one, where a timer-driven step comes later than a second
    // after the previous (clusters-tools' "nothing written" saw one in a run at load 20).
    writeMarker: async () => {
      if (realKcm) return realKcmMarker(rest);
      const revision = async (): Promise<string> =>
        (await rest.json<{ metadata: { resourceVersion: string } }>({ method: 'GET', path: '/api/v1/namespaces', query: { limit: '1' } }))
          .metadata.resourceVersion;
      let last = await revision();
      let stableSince = Date.now();
      const still = markerStillMs();
      const until = Date.now() + 20_000 + still;
      while (Date.now() - stableSince < still && Date.now() < until) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        const now = await revision();
        if (now !== last) {
          last = now;
          stableSince = Date.now();
        }
      }
      return last;
    },
    clientWriteMarker: () => realKcmMarker(rest),
    close: () => handle.close(),
  };
}

/** How long a backend's cluster holds still before its write marker is taken: 1 s, or 400 ms scaled when that is longer (a loaded machine). */
function markerStillMs(): number {
  return Math.max(1000, scaled(400));
}

/**
 * On real kcm the cluster never holds still: kcm renews its leader-election Lease every 2 s and, with the world below
 * it, kcm, Flux and Cluster API keep writing the status of every deployment still provisioning or deleting (another
 * test's, on the run's shared world). So the marker is a digest of what a client can write, not of revisions: every
 * k0rdent object's and Namespace's existence (uid), generation (spec), deletionTimestamp, labels and annotations —
 * what a product call changes when it creates, patches or deletes anything — taken once it has held still for a
 * second (bounded). Status writes and the world's own objects do not move it; a product call never writes those.
 */
async function realKcmMarker(rest: KubeRest): Promise<string> {
  const paths = [
    ...defaultRegistry()
      .defs.filter((d) => d.custom)
      .map((d) => resourcePath({ group: d.group, version: d.version, plural: d.plural }, undefined)),
    '/api/v1/namespaces',
  ];
  const digest = async (): Promise<string> => {
    // The lists side by side (one round trip's time, not 23): each is a quorum read of its own; the stillness loop
    // below, not the lists' simultaneity, is what makes the digest a point where nothing is being written.
    const lists = await Promise.all(paths.map((path) => rest.raw({ method: 'GET', path })));
    const hash = createHash('sha256');
    lists.forEach((res, i) => {
      if (res.status === 404) return; // a kind of the 8373a24 data that kcm v1.11.4 does not serve
      const items = ((res.body as { items?: KubeObject[] }).items ?? []).map((item) => {
        const m = item.metadata;
        return JSON.stringify([m.namespace, m.name, m.uid, m.generation, m.deletionTimestamp, m.labels ?? {}, m.annotations ?? {}]);
      });
      hash.update(`${paths[i]}\n${items.sort().join('\n')}\n`);
    });
    return hash.digest('hex');
  };
  let last = await digest();
  let stableSince = Date.now();
  const still = markerStillMs();
  const until = Date.now() + 20_000 + still;
  while (Date.now() - stableSince < still && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    const now = await digest();
    if (now !== last) {
      last = now;
      stableSince = Date.now();
    }
  }
  return last;
}

/** Where scripts/run-tests.mjs passes the shared real-kcm world's description (a JSON file). */
export const SHARED_KCM_WORLD_ENV = 'K0RDENT_KCM_WORLD';

/** The shared world's options: what every real-kcm suite asks for (seconds compressed to 1). */
export const SHARED_KCM_OPTIONS = { provisionSeconds: 1, deleteSeconds: 1 } as const;

/** The shared world's token users: the union of what the real-kcm suites' token files name (clusters-backends). */
export const SHARED_KCM_TOKENS: TokenTable = {
  users: [
    { name: 'admin', token: 'admin-token-0123', namespaces: ['*'] },
    { name: 'alice', token: 'alice-token-0123', namespaces: ['kcm-system', 'team-alpha'] },
    // platform-tools.test.ts: a namespaced user, no cluster scope.
    { name: 'alpha', token: 'alpha-token-0123', namespaces: ['team-alpha'] },
    // may-i.test.ts: reads and writes team-alpha, only reads team-beta.
    { name: 'beta-viewer', token: 'beta-viewer-token-0123', namespaces: ['team-alpha'], readOnly: ['team-beta'] },
  ],
};

interface SharedKcmWorld {
  url: string;
  caPem: string;
  adminKubeconfig: string;
  kcmLog: string;
  logDir: string;
  kcmVersion: string;
  release: string;
  timings: Record<string, number>;
  tokens: TokenTable;
  provisionSeconds: number;
  deleteSeconds: number;
  /** The controllers' log files (kubelet's layout), which the world's kubelet serves as pods/log. */
  controllerLogDir?: string | undefined;
}

/**
 * Brings up the real-kcm world for a whole test run and writes its description to `dir/world.json`
 * (scripts/kcm-world.mjs, started once by scripts/run-tests.mjs in its own process group).
 */
export async function serveSharedKcmWorld(dir: string, log?: (line: string) => void): Promise<{ file: string; close(): Promise<void> }> {
  const tokensFile = join(dir, 'tokens.json');
  writeFileSync(tokensFile, JSON.stringify(SHARED_KCM_TOKENS), { mode: 0o600 });
  const handle = await startRealKcmSandbox({ ...SHARED_KCM_OPTIONS, tokensFile, ...(log ? { log } : {}) });
  const world: SharedKcmWorld = {
    url: handle.url,
    caPem: handle.caPem,
    adminKubeconfig: handle.adminKubeconfig,
    kcmLog: handle.kcmLog,
    logDir: handle.logDir,
    kcmVersion: handle.kcmVersion,
    release: handle.release,
    timings: handle.timings,
    tokens: SHARED_KCM_TOKENS,
    ...SHARED_KCM_OPTIONS,
    controllerLogDir: handle.controllerLogs?.dir,
  };
  const file = join(dir, 'world.json');
  writeFileSync(file, JSON.stringify(world), { mode: 0o600 });
  return { file, close: () => handle.close() };
}

/**
 * On the shared world, a file starts once the deletions the previous one left running have finished (no
 * ClusterDeployment with a deletionTimestamp), so its writeMarker sees only its own writes. Bounded: a deletion
 * stuck for good is the previous file's failure, and this file then starts anyway.
 */
async function previousDeletionsDone(rest: KubeRest): Promise<void> {
  const until = Date.now() + 180_000;
  for (;;) {
    const list = await rest.json<{ items: KubeObject[] }>({ method: 'GET', path: '/apis/k0rdent.mirantis.com/v1beta1/clusterdeployments' });
    if (!list.items.some((o) => o.metadata.deletionTimestamp) || Date.now() > until) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/**
 * The shared world as this suite's real-kcm backend, when there is one and it is what the suite asks for: the same
 * provisionSeconds/deleteSeconds, no other option than a log, and token users the shared table holds (the suite's
 * kubeconfig carries its first user's token, as a backend of its own would). Closing it leaves the world running.
 */
function attachSharedKcm(options: SandboxOptions): RealKcmSandboxHandle | undefined {
  const file = process.env[SHARED_KCM_WORLD_ENV];
  if (!file) return undefined;
  const world = JSON.parse(readFileSync(file, 'utf8')) as SharedKcmWorld;
  const others = Object.keys(options).filter((k) => !['provisionSeconds', 'deleteSeconds', 'tokensFile', 'log'].includes(k));
  if (others.length > 0 || options.provisionSeconds !== world.provisionSeconds || options.deleteSeconds !== world.deleteSeconds)
    return undefined;
  const users = options.tokensFile ? loadTokenTable(options.tokensFile).users : [];
  const shared = (u: { name: string; token: string; namespaces: string[] | '*'; readOnly?: string[] }): boolean =>
    world.tokens.users.some(
      (w) =>
        w.name === u.name &&
        w.token === u.token &&
        JSON.stringify(w.namespaces) === JSON.stringify(u.namespaces) &&
        JSON.stringify(w.readOnly ?? []) === JSON.stringify(u.readOnly ?? []),
    );
  if (!users.every(shared)) return undefined;
  const first = users[0];
  return {
    api: 'kcm',
    url: world.url,
    kubeconfig: first ? buildKubeconfig({ url: world.url, caPem: world.caPem, token: first.token }) : world.adminKubeconfig,
    adminKubeconfig: world.adminKubeconfig,
    caPem: world.caPem,
    logDir: world.logDir,
    kcmLog: world.kcmLog,
    kcmVersion: world.kcmVersion,
    release: world.release,
    timings: world.timings,
    // The world's log files: a line written here is in the pod's log the world's kubelet serves.
    ...(world.controllerLogDir !== undefined
      ? { controllerLogs: new ControllerLogs(KCM_SYSTEM_NAMESPACE, { dir: world.controllerLogDir }) }
      : {}),
    kcmLogTail: (lines = 30) => {
      try {
        return readFileSync(world.kcmLog, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
      } catch {
        return `(kcm log ${world.kcmLog} unreadable)`;
      }
    },
    close: () => Promise.resolve(),
  };
}
