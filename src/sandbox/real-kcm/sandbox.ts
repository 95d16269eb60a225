/**
 * The sandbox with the real kcm (`k0rdent-mcp sandbox --api kcm`): the test control plane with every CRD
 * `npm run kcm:build` assembled, kcm v1.11.4's manager (its webhooks registered with `url:` + `caBundle`, its
 * controllers unmodified), the simulated world below kcm (src/sandbox/world: Flux, Cluster API and Sveltos) on an informer
 * cache, and the seed in kcm's bring-up order (./seed.ts). Every status a test reads of a k0rdent object is
 * written by real kcm. The control plane and the manager run in process groups of their own, stopped on close
 * and on a failed start. The controllers run as pods on a Node whose simulated kubelet serves their logs (as on the
 * kube backend, ../kube/kubelet.ts): kube-apiserver proxies `pods/log` to it; the kcm pod's log is real kcm's own
 * output, the Flux, Cluster API and provider pods' logs are the world's log sink.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { parse as parseYaml } from 'yaml';
import type { SandboxOptions } from '../index.js';
import { loadTokenTable, type TokenTable } from '../apiserver/auth.js';
import { buildKubeconfig } from '../apiserver/kubeconfig.js';
import { defaultRegistry } from '../apiserver/resources.js';
import { generateServingCerts } from '../apiserver/tls.js';
import type { KubeObject, ResourceKey } from '../apiserver/types.js';
import { loadChartCatalog } from '../kcm/charts.js';
import { KubeCache } from '../kube/cache.js';
import { startControlPlane } from '../kube/control-plane.js';
import { applyTokenRbac, tokensCsv } from '../kube/rbac.js';
import { KubeRest } from '../kube/rest.js';
import { waitForWebhooks } from '../kube/sandbox.js';
import { buildSeed } from '../kube/seed.js';
import { chartDirs, crdDirs, kcmFile, readManifest } from './assets.js';
import { k0rdentDataDir } from '../kcm/data-dir.js';
import { freePortAllInterfaces, KCM_DEPLOYMENT, KCM_SYSTEM_NAMESPACE, startKcmManager } from './manager.js';
import { seedRealKcm } from './seed.js';
import { renderWebhookConfigurations } from './webhooks.js';
import { installSveltosProvisioner, startWorld, SveltosController, SVELTOS_RESOURCES, WORLD_RESOURCES } from '../world/index.js';
import { startKubelet, type Kubelet } from '../kube/kubelet.js';
import { ControllerLogs } from '../pods/controller-logs.js';

const NAMESPACES: ResourceKey = { group: '', version: 'v1', plural: 'namespaces' };
const MUTATING: ResourceKey = { group: 'admissionregistration.k8s.io', version: 'v1', plural: 'mutatingwebhookconfigurations' };
const VALIDATING: ResourceKey = { group: 'admissionregistration.k8s.io', version: 'v1', plural: 'validatingwebhookconfigurations' };

export interface RealKcmSandboxHandle {
  readonly api: 'kcm';
  readonly url: string;
  readonly kubeconfig: string;
  readonly adminKubeconfig: string;
  readonly caPem: string;
  /** The control plane's component logs. */
  readonly logDir: string;
  /** kcm's JSON log. */
  readonly kcmLog: string;
  /** kcm's version (the module built) and Release. */
  readonly kcmVersion: string;
  readonly release: string;
  /** Seconds from start to each bring-up step. */
  readonly timings: Record<string, number>;
  /**
   * The controllers' logs (served through pods/log by the simulated kubelet), files under the world's directory; on an
   * attached shared world, the same files opened from the test's process (a line written is served by the world's kubelet).
   */
  readonly controllerLogs?: ControllerLogs;
  /** The last lines of kcm's log (for a failing test's message). */
  kcmLogTail(lines?: number): string;
  close(): Promise<void>;
}

export async function startRealKcmSandbox(options: SandboxOptions = {}): Promise<RealKcmSandboxHandle> {
  const log = options.log ?? ((): void => undefined);
  const started = Date.now();
  const timings: Record<string, number> = {};
  const mark = (step: string): void => {
    timings[step] = Math.round((Date.now() - started) / 100) / 10;
    log(`real kcm sandbox: ${step} at ${timings[step]}s`);
  };
  const tokens: TokenTable | undefined = options.tokensFile ? loadTokenTable(options.tokensFile) : undefined;
  const manifest = readManifest();
  const dir = mkdtempSync(join(tmpdir(), 'k0rdent-kcm-'));
  const cleanup: (() => Promise<void> | void)[] = [() => rmSync(dir, { recursive: true, force: true })];
  const closeAll = async (): Promise<void> => {
    for (const step of cleanup.reverse()) {
      try {
        await step();
      } catch (err) {
        log(`real kcm sandbox: close step failed: ${(err as Error).message}`);
      }
    }
  };
  try {
    const plane = await startControlPlane({
      crdDirs: [...crdDirs(), ...worldOnlyCrds(join(dir, 'world-crds'))],
      ...(tokens ? { tokensCsv: tokensCsv(tokens) } : {}),
      host: options.host ?? '127.0.0.1',
      ...(options.port ? { port: options.port } : {}),
      log: (line) => log(`kube-control-plane: ${line}`),
    });
    cleanup.push(() => plane.close());
    mark('control plane ready');
    const admin = new KubeConfig();
    admin.loadFromString(plane.adminKubeconfig);
    const rest = new KubeRest(admin);
    const adminFile = join(dir, 'admin.kubeconfig');
    writeFileSync(adminFile, plane.adminKubeconfig, { mode: 0o600 });

    // Leader election needs kcm-system before the manager starts.
    await rest.create(
      NAMESPACES,
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: KCM_SYSTEM_NAMESPACE } },
      'k0rdent-sandbox-seed',
    );
    // Files under the world's directory (kubelet's layout): another process may append to a pod's log (a test of the shared world).
    const controllerLogs = new ControllerLogs(KCM_SYSTEM_NAMESPACE, { dir: join(dir, 'pod-logs') });
    const certs = await generateServingCerts();
    const webhookPort = await freePortAllInterfaces();
    const [mutating, validating] = renderWebhookConfigurations(kcmFile('webhooks.yaml'), webhookPort, certs.caPem);
    if (!mutating || !validating) throw new Error('webhooks.yaml rendered no configurations');
    const manager = await startKcmManager({
      kubeconfigFile: adminFile,
      dir,
      certPem: certs.certPem,
      keyPem: certs.keyPem,
      webhookPort,
      log,
      onLine: (line) => controllerLogs.write('kcm-controller-manager', line),
    });
    cleanup.push(() => manager.close());
    await rest.create(MUTATING, mutating, 'k0rdent-sandbox-seed');
    await rest.create(VALIDATING, validating, 'k0rdent-sandbox-seed');
    await waitForWebhooks(rest, 60_000);
    mark('kcm serving its webhooks');

    const cache = new KubeCache(rest, [...WORLD_RESOURCES, ...SVELTOS_RESOURCES], { fieldManager: 'k0rdent-sandbox-world', log });
    await cache.start();
    cleanup.push(() => cache.close());
    // What kcm's StateManagementProvider ksm-projectsveltos needs Ready (../world/sveltos.ts), before the
    // Management that makes kcm create it.
    await installSveltosProvisioner(cache, { namespace: KCM_SYSTEM_NAMESPACE, name: KCM_DEPLOYMENT });
    const worldHandle = await startWorld(cache, {
      chartRoots: chartDirs(),
      ...(options.provisionSeconds !== undefined ? { provisionSeconds: options.provisionSeconds } : {}),
      ...(options.deleteSeconds !== undefined ? { deleteSeconds: options.deleteSeconds } : {}),
      logSink: (controller, namespace, line, subject) => {
        controllerLogs.sink(controller, namespace, line, subject);
        options.logSink?.(controller, namespace, line, subject);
      },
      log,
    });
    cleanup.push(() => worldHandle.close());
    // Sveltos's addon-controller for the Profiles kcm's ServiceSet controller writes; an install takes the
    // world's Helm action time (a tenth of the provisioning time, at most 2 s).
    const sveltos = new SveltosController(cache, {
      actionMs: Math.min(2000, Math.max(0, (options.provisionSeconds ?? 5) * 1000) * 0.1),
      log,
    });
    sveltos.start();
    cleanup.push(() => sveltos.close());
    mark('world started');

    // The Node, its kubelet and the controller pods, while kcm works through the seed (it adds no time to the
    // bring-up: the seed mostly waits for kcm). kcm-system exists already (created above).
    let kubelet: Kubelet | undefined;
    const kubeletStarted = startKubelet(rest, controllerLogs, log).then((k) => {
      kubelet = k;
      mark('kubelet and controller pods registered');
    });
    kubeletStarted.catch(() => undefined);
    cleanup.push(async () => {
      await kubeletStarted.catch(() => undefined);
      await kubelet?.close();
    });

    const seed: KubeObject[] = buildSeed(defaultRegistry(), {
      ...(options.seedFile ? { seedFile: options.seedFile } : {}),
      catalog: loadChartCatalog(),
    }).map((s) => s.object);
    const seeded = await seedRealKcm(rest, { seed, log, detail: () => `kcm log (${manager.logFile}):\n${manager.tail()}` });
    for (const [step, at] of Object.entries(seeded.seconds)) timings[`seed: ${step}`] = at;
    mark(`seeded (${seeded.written} objects)`);
    await kubeletStarted;

    if (tokens) {
      const namespaces = new Set(seed.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name));
      for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease', KCM_SYSTEM_NAMESPACE]) namespaces.add(ns);
      const skipped = await applyTokenRbac(rest, tokens, namespaces);
      if (skipped.length > 0) log(`real kcm sandbox: no RoleBinding in missing namespaces ${skipped.join(', ')}`);
    }

    const token = tokens?.users[0]?.token ?? admin.getCurrentUser()?.token;
    const kubeconfig = buildKubeconfig({ url: plane.server, caPem: plane.caPem, ...(token ? { token } : {}) });
    let closing: Promise<void> | undefined;
    return {
      api: 'kcm',
      url: plane.server,
      kubeconfig,
      adminKubeconfig: plane.adminKubeconfig,
      caPem: plane.caPem,
      logDir: plane.report.logDir,
      kcmLog: manager.logFile,
      kcmVersion: manifest.kcmVersion,
      release: manifest.release,
      timings,
      controllerLogs,
      kcmLogTail: (lines) => manager.tail(lines),
      close: () => (closing ??= closeAll()),
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/**
 * The CRDs of kinds the world creates that no module of `.kcm/crds` carries (today k0smotron's
 * K0sControllerConfig, which a K0sControlPlane makes, not a chart): copied from the world's own set
 * (data/world/crds, scripts/world-crds.mjs) into `dir`.
 */
function worldOnlyCrds(dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const have = new Set(crdDirs().flatMap((d) => readdirSync(d)));
  const worldDir = join(k0rdentDataDir(), '..', 'world', 'crds');
  for (const file of readdirSync(worldDir).filter((f) => f.endsWith('.yaml'))) {
    const name = (parseYaml(readFileSync(join(worldDir, file), 'utf8')) as { metadata?: { name?: string } } | null)?.metadata?.name;
    if (name && !have.has(`${name}.yaml`)) copyFileSync(join(worldDir, file), join(dir, file));
  }
  // The control plane refuses an empty CRD folder.
  return readdirSync(dir).length > 0 ? [dir] : [];
}
