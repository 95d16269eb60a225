/**
 * Shared startup for serve and stdio: settings (validated once), logger, metrics, kubeconfig (or an
 * in-process sandbox), Runtime, the one-line configuration summary and the first API ping.
 */
import type { Logger } from 'pino';
import { ConfigError } from '../config/errors.js';
import { checkKubeconfig } from '../config/kubeconfig-source.js';
import { packageVersion } from '../config/package.js';
import { checkServeExposure, parseConfig, summarizeSettings } from '../config/settings.js';
import { collectRawConfig } from '../config/variables.js';
import { createLogger } from '../observability/logger.js';
import { getMetricsRegistry } from '../observability/metrics.js';
import type { Runtime } from '../runtime/types.js';
import type { SandboxHandle } from '../sandbox/index.js';
import { loadStartSandbox } from './sandbox-loader.js';

export interface Bootstrapped {
  runtime: Runtime;
  devBearerToken: string | undefined;
  sandbox: SandboxHandle | undefined;
}

export async function bootstrap(command: 'serve' | 'stdio', flags: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<Bootstrapped> {
  const wantSandbox = flags.sandbox === true;
  const parsed = parseConfig(collectRawConfig(process.env, flags), { sandbox: wantSandbox });
  if (command === 'serve') checkServeExposure(parsed.settings);
  // Validate the kubeconfig before loading client-node (slow to import), so config errors are quick.
  const checked = parsed.kubeconfig.kind === 'sandbox' ? undefined : checkKubeconfig(parsed.kubeconfig, parsed.settings.kubeContext);
  const { loadKubeConfig } = await import('../config/kubeconfig.js');
  const { createRuntime } = await import('../runtime/runtime.js');
  const logger = createLogger(parsed.settings.logLevel, { command });

  let sandbox: SandboxHandle | undefined;
  let kubeconfigText: string | undefined;
  if (parsed.kubeconfig.kind === 'sandbox') {
    const startSandbox = await loadStartSandbox();
    sandbox = await startSandbox({ host: '127.0.0.1', port: 0, log: (line) => logger.debug({ sandbox: true }, line) });
    kubeconfigText = sandbox.kubeconfig;
    logger.info({ url: sandbox.url }, 'embedded sandbox management cluster started');
  }
  let kubeConfig;
  try {
    kubeConfig = loadKubeConfig(checked ?? checkKubeconfig({ kind: 'sandbox', value: kubeconfigText! }, parsed.settings.kubeContext));
  } catch (error) {
    await sandbox?.close();
    throw error;
  }

  const runtime = createRuntime(parsed.settings, kubeConfig, logger, getMetricsRegistry());
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
    logger.error({ err: reason instanceof Error ? { name: reason.name, message: reason.message } : String(reason) }, 'unhandled promise rejection');
  });
  logger.info(
    { version: packageVersion(), config: summarizeSettings(parsed.settings), apiServer: kubeConfig.getCurrentCluster()?.server, ...extra },
    'k0rdent-mcp starting',
  );
  void logPing(logger, runtime);
  return { runtime, devBearerToken: parsed.devBearerToken, sandbox };
}

async function logPing(logger: Logger, runtime: Runtime): Promise<void> {
  const { pingApi } = await import('../kube/client.js');
  const ping = await pingApi(runtime.baseKubeConfig);
  if (ping.ok) logger.info({ kubernetesVersion: ping.version }, 'Kubernetes API reachable');
  else logger.warn({ error: ping.error }, 'Kubernetes API unreachable; /readyz reports 503 until it answers');
}

/** Prints a startup failure as one line on stderr and exits non-zero (2 = configuration error). */
export function exitOnStartupError(error: unknown): never {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.line()}\n`);
    process.exit(2);
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`k0rdent-mcp: startup failed: ${message.split('\n')[0]}\n`);
  process.exit(1);
}
