/** `k0rdent-mcp sandbox`: only the management cluster (embedded, kube or real kcm); prints its address, writes a kubeconfig. */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseListenAddr } from '../config/settings.js';
import { ConfigError } from '../config/errors.js';
import { isLoopbackHost } from '../config/settings.js';
import { createLogger } from '../observability/logger.js';
import { loadStartKubeSandbox, loadStartRealKcmSandbox, loadStartSandbox, type StartAnySandbox } from './sandbox-loader.js';
import { onShutdownSignal } from './signals.js';

export interface SandboxFlags {
  listen: string;
  api?: string;
  kubeconfig: string;
  tls?: boolean;
  tokens?: string;
  seed?: string;
  scale?: string;
  provisionSeconds?: string;
  deleteSeconds?: string;
  verbose?: boolean;
}

function nonNegative(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new ConfigError(flag, `${flag} "${value}" must be a non-negative number`);
  return n;
}

export async function runSandbox(flags: SandboxFlags): Promise<void> {
  const addr = parseListenAddr(flags.listen);
  if (!addr) throw new ConfigError('--listen', `--listen "${flags.listen}" is not host:port; use e.g. 127.0.0.1:0 (0 = free port)`);
  if (!isLoopbackHost(addr.host))
    throw new ConfigError('--listen', `--listen ${addr.host} is not a loopback address; the sandbox only binds loopback (127.0.0.1)`);
  const scale = nonNegative('--scale', flags.scale);
  const provisionSeconds = nonNegative('--provision-seconds', flags.provisionSeconds);
  const deleteSeconds = nonNegative('--delete-seconds', flags.deleteSeconds);
  const api = flags.api ?? 'embedded';
  if (api !== 'embedded' && api !== 'kube' && api !== 'kcm') throw new ConfigError('--api', `--api "${api}" is not embedded, kube or kcm`);
  const logger = createLogger(flags.verbose ? 'debug' : 'info', { command: 'sandbox' });
  let startSandbox: StartAnySandbox;
  if (api === 'kube' || api === 'kcm') {
    const kube = await loadStartKubeSandbox();
    if (!kube.built())
      throw new ConfigError(
        '--api',
        `--api ${api} needs the test control plane, which is not built (${kube.binary()}); run npm run kube:build`,
      );
  }
  if (api === 'kcm') {
    if (flags.scale !== undefined)
      throw new ConfigError('--scale', '--scale is not available with --api kcm (real kcm reconciles every object)');
    const kcm = await loadStartRealKcmSandbox();
    if (!kcm.built())
      throw new ConfigError('--api', `--api kcm needs kcm's manager, which is not built (${kcm.binary()}); run npm run kcm:build`);
    startSandbox = kcm.start;
  } else if (api === 'kube') {
    const kube = await loadStartKubeSandbox();
    if (!kube.built())
      throw new ConfigError(
        '--api',
        `--api kube needs the test control plane, which is not built (${kube.binary()}); run npm run kube:build`,
      );
    startSandbox = kube.start;
  } else {
    startSandbox = await loadStartSandbox();
  }
  const sandbox = await startSandbox({
    host: addr.host,
    port: addr.port,
    tls: flags.tls === true,
    ...(flags.tokens !== undefined ? { tokensFile: resolve(flags.tokens) } : {}),
    ...(flags.seed !== undefined ? { seedFile: resolve(flags.seed) } : {}),
    ...(scale !== undefined ? { scale } : {}),
    ...(provisionSeconds !== undefined ? { provisionSeconds } : {}),
    ...(deleteSeconds !== undefined ? { deleteSeconds } : {}),
    log: (line) => logger.debug(line),
  });
  const kubeconfigPath = resolve(flags.kubeconfig);
  writeFileSync(kubeconfigPath, sandbox.kubeconfig, { mode: 0o600 });
  process.stdout.write(`sandbox listening on ${sandbox.url}\nkubeconfig written to ${kubeconfigPath}\n`);
  logger.info({ url: sandbox.url, kubeconfigPath, api }, 'sandbox management cluster running');
  onShutdownSignal(logger, () => sandbox.close());
}
