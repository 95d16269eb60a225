/**
 * The part of startup that can fail on configuration, run before anything else loads: settings (validated once),
 * the kubeconfig or the pod's service account. Light on purpose (zod, yaml, node:fs): the stdio front
 * (./stdio-front.ts) runs it before answering `initialize`, so a configuration error still exits 2 before the
 * client hears anything; bootstrap (./bootstrap.ts) takes its result instead of checking twice.
 */
import { ConfigError } from '../config/errors.js';
import { checkServiceAccount, serviceAccountPresent, type ServiceAccount } from '../config/in-cluster.js';
import { checkKubeconfig, type CheckedKubeconfig } from '../config/kubeconfig-source.js';
import { checkServeExposure, parseConfig, type ParsedConfig } from '../config/settings.js';
import { collectRawConfig } from '../config/variables.js';

export interface StartupCheck {
  parsed: ParsedConfig;
  /** Set when the pod's service account is used (in-cluster). */
  serviceAccount: ServiceAccount | undefined;
  /** The kubeconfig, checked; undefined for in-cluster and for the sandbox (its kubeconfig exists once it runs). */
  kubeconfig: CheckedKubeconfig | undefined;
}

/** Throws ConfigError (exit 2) for a configuration the command cannot start with. */
export function checkStartup(command: 'serve' | 'stdio', flags: Record<string, unknown>): StartupCheck {
  const parsed = parseConfig(collectRawConfig(process.env, flags), {
    sandbox: flags.sandbox === true,
    serviceAccountPresent: serviceAccountPresent(process.env),
  });
  if (command === 'serve') checkServeExposure(parsed.settings);
  const source = parsed.kubeconfig;
  const serviceAccount = source.kind === 'in-cluster' ? checkServiceAccount(process.env) : undefined;
  const kubeconfig =
    source.kind === 'sandbox' || source.kind === 'in-cluster' ? undefined : checkKubeconfig(source, parsed.settings.kubeContext);
  return { parsed, serviceAccount, kubeconfig };
}

/** Prints a startup failure as one line on stderr and exits non-zero (2 = configuration error). */
export function exitOnStartupError(error: unknown): never {
  // By name too: a ConfigError from a second copy of the module (the bundled start path) is one as well.
  if (error instanceof ConfigError || (error instanceof Error && error.name === 'ConfigError' && 'line' in error)) {
    process.stderr.write(`${(error as ConfigError).line()}\n`);
    process.exit(2);
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`k0rdent-mcp: startup failed: ${message.split('\n')[0]}\n`);
  process.exit(1);
}
