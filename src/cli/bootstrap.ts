/**
 * Shared startup for serve and stdio: settings (validated once), logger, metrics, kubeconfig (or an
 * in-process sandbox), Runtime, the one-line configuration summary; and the background warm-up (client-node,
 * the first API ping) that the commands start once they serve.
 */
import type { Logger } from 'pino';
import { packageVersion } from '../config/package.js';
import { summarizeSettings } from '../config/settings.js';
import { checkKubeconfig, type CheckedKubeconfig } from '../config/kubeconfig-source.js';
import { loadClientNode } from '../kube/client-node.js';
import { createLogger } from '../observability/logger.js';
import { getMetricsRegistry } from '../observability/metrics.js';
import type { Runtime } from '../runtime/types.js';
import type { SandboxHandle } from '../sandbox/index.js';
import { HTTP_ONLY_SUMMARY } from './options.js';
import { loadStartSandbox } from './sandbox-loader.js';
import { checkStartup, type StartupCheck } from './startup-check.js';

export { exitOnStartupError } from './startup-check.js';

export interface Bootstrapped {
  runtime: Runtime;
  devBearerToken: string | undefined;
  sandbox: SandboxHandle | undefined;
  /** Starts loading the Kubernetes client and the first API ping in the background; call once serving. */
  warmUp: () => Promise<void>;
}

export async function bootstrap(
  command: 'serve' | 'stdio',
  flags: Record<string, unknown>,
  extra: Record<string, unknown> = {},
  /** The configuration as the stdio front already checked it (./startup-check.ts); checked here otherwise. */
  check: StartupCheck = checkStartup(command, flags),
): Promise<Bootstrapped> {
  // The kubeconfig (or the pod's service account) is checked now (config errors stay quick, exit 2);
  // client-node loads it after startup.
  const { parsed, serviceAccount, kubeconfig: checked } = check;
  const { createRuntime } = await import('../runtime/runtime.js');
  const { KubeIdentities } = await import('../kube/identity.js');
  const logger = createLogger(parsed.settings.logLevel, { command });

  let sandbox: SandboxHandle | undefined;
  let kubeconfig: CheckedKubeconfig | undefined;
  try {
    if (parsed.kubeconfig.kind === 'sandbox') {
      const startSandbox = await loadStartSandbox();
      sandbox = await startSandbox({ host: '127.0.0.1', port: 0, log: (line) => logger.debug({ sandbox: true }, line) });
      logger.info({ url: sandbox.url }, 'embedded sandbox management cluster started');
    }
    if (serviceAccount === undefined)
      kubeconfig = checked ?? checkKubeconfig({ kind: 'sandbox', value: sandbox!.kubeconfig }, parsed.settings.kubeContext);
  } catch (error) {
    await sandbox?.close();
    throw error;
  }

  const metrics = getMetricsRegistry();
  const kube = new KubeIdentities({
    loadBase: async () => {
      const [k8s, { loadInClusterConfig, loadKubeConfig }] = await Promise.all([loadClientNode(), import('../config/kubeconfig.js')]);
      return serviceAccount !== undefined ? loadInClusterConfig(k8s, serviceAccount) : loadKubeConfig(k8s, kubeconfig!);
    },
    metrics,
  });
  const runtime = createRuntime(parsed.settings, kube, logger, metrics);
  if (parsed.settings.authMode === 'OIDC_REQUIRED' && parsed.devBearerToken !== undefined) {
    logger.warn('DEV_BEARER_TOKEN is ignored with AUTH_MODE=OIDC_REQUIRED');
  }
  if (command === 'serve' && parsed.settings.authMode === 'OIDC_REQUIRED' && !parsed.settings.oidcIssuerUrl) {
    logger.info('OIDC_ISSUER_URL is not set: bearer tokens are not verified here; the Kubernetes API server authenticates them');
  }
  if (command === 'stdio' && parsed.settings.authMode === 'OIDC_REQUIRED') {
    logger.info('stdio has no bearer tokens: Kubernetes calls use the kubeconfig credentials');
  }
  process.on('unhandledRejection', (reason) => {
    logger.error(
      { err: reason instanceof Error ? { name: reason.name, message: reason.message } : String(reason) },
      'unhandled promise rejection',
    );
  });
  logger.info(
    {
      version: packageVersion(),
      config: summaryFor(command, summarizeSettings(parsed.settings)),
      apiServer: serviceAccount?.server ?? kubeconfig?.server,
      ...extra,
    },
    'k0rdent-mcp starting',
  );
  return { runtime, devBearerToken: parsed.devBearerToken, sandbox, warmUp: () => warmUp(logger, runtime) };
}

/** The startup summary without what only `serve` reads (listen address, HTTP limits, OIDC) when stdio starts. */
function summaryFor(command: 'serve' | 'stdio', summary: Record<string, unknown>): Record<string, unknown> {
  if (command === 'serve') return summary;
  return Object.fromEntries(Object.entries(summary).filter(([key]) => !HTTP_ONLY_SUMMARY.includes(key)));
}

/**
 * Loads client-node and the kubeconfig in the background, then pings the API (non-blocking, logged).
 * The commands call it once the protocol is up, so initialize and tools/list never wait for it; a
 * tool call that comes first loads the same module on its own (the load is shared).
 */
async function warmUp(logger: Logger, runtime: Runtime): Promise<void> {
  const started = performance.now();
  const loaded = await runtime.kube.warmUp();
  if (!loaded.ok) {
    logger.error(
      { error: loaded.error.message.split('\n')[0] },
      'the Kubernetes client could not load the kubeconfig; tool calls will fail until it is fixed',
    );
    return;
  }
  logger.debug({ durationMs: Math.round(performance.now() - started) }, 'Kubernetes client loaded');
  const { pingApi } = await import('../kube/client.js');
  const ping = await pingApi(runtime.kube.base());
  if (ping.ok) logger.info({ kubernetesVersion: ping.version }, 'Kubernetes API reachable');
  else logger.warn({ error: ping.error }, 'Kubernetes API unreachable; /readyz reports 503 until it answers');
}
