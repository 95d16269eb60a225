/**
 * The world below kcm, simulated once for every backend: Flux's source-controller (chart artifacts over
 * loopback HTTP, HelmChart/HelmRepository status), Flux's helm-controller (HelmRelease install, upgrade
 * and uninstall of what the cluster charts render), and Cluster API with the infrastructure, control-plane
 * and bootstrap providers (./capi.ts). It talks to a KcmApi (../kcm/api.ts): the embedded sandbox's store,
 * or a real API server through ../kube/cache.ts (whose cache must watch WORLD_RESOURCES). Faults are asked
 * for per ClusterDeployment with the label in ./types.ts (FAULT_LABEL).
 */
import type { KcmApi } from '../kcm/api.js';
import { CapiController } from './capi.js';
import { defaultChartRoots } from './charts.js';
import { HelmController } from './helm-controller.js';
import { SourceController } from './source-controller.js';
import type { WorldHandle, WorldOptions } from './types.js';

/**
 * Starts the world at once; `ready` resolves when the artifact server listens (the source-controller
 * reconciles from then on). The embedded sandbox's kcm starts it this way, synchronously.
 */
export function createWorld(api: KcmApi, options: WorldOptions = {}): WorldHandle & { readonly ready: Promise<void> } {
  const log = options.log ?? ((): void => undefined);
  const chartRoots = options.chartRoots ?? defaultChartRoots();
  const provisionMs = Math.max(0, (options.provisionSeconds ?? 5) * 1000);
  const deleteMs = Math.max(0, (options.deleteSeconds ?? 3) * 1000);
  const sink = options.logSink ? { logSink: options.logSink } : {};
  const source = new SourceController(api, { chartRoots, host: options.host ?? '127.0.0.1', log, ...sink });
  const ready = source.start();
  ready.catch((err: unknown) => log(`world: artifact server failed: ${err instanceof Error ? err.message : String(err)}`));
  // A Helm action takes a tenth of the provisioning time (so "Running 'install' action" can be seen).
  const helm = new HelmController(api, {
    chartRoots,
    actionMs: Math.min(2000, provisionMs * 0.1),
    uninstallPollMs: Math.max(200, Math.min(2000, deleteMs * 0.3)),
    log,
    ...sink,
  });
  helm.start();
  const capi = new CapiController(api, { provisionMs, deleteMs, log, ...sink });
  capi.start();
  let closing: Promise<void> | undefined;
  return {
    ready,
    get artifactUrl() {
      return source.url;
    },
    close: () =>
      (closing ??= (async () => {
        capi.close();
        helm.close();
        await source.close();
      })()),
  };
}

/** Starts the world and resolves once its artifact server listens. */
export async function startWorld(api: KcmApi, options: WorldOptions = {}): Promise<WorldHandle> {
  const world = createWorld(api, options);
  await world.ready;
  return world;
}

export { WORLD_RESOURCES } from './resources.js';
export { installSveltosProvisioner, PROFILES, SveltosController, SVELTOS_RESOURCES } from './sveltos.js';
export { CONTROLLERS, FAULTS, FAULT_LABEL } from './types.js';
export type { ControllerName, Fault, LogSink, LogSubject, WorldHandle, WorldOptions } from './types.js';
