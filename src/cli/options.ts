/** CLI flags for the configuration variables (src/config/variables.ts): serve takes them all, stdio all but HTTP's. */
import type { Command } from 'commander';
import { CONFIG_VARIABLES, type ConfigKey } from '../config/variables.js';

/** Variables only `serve` reads: stdio has no listener, no HTTP sessions and no bearer tokens (issue 25 item 5). */
export const HTTP_ONLY: readonly ConfigKey[] = [
  'listenAddr',
  'devBearerToken',
  'oidcIssuerUrl',
  'oidcAudience',
  'sessionIdleTimeout',
  'sessionLimitPerCaller',
  'httpRequestTimeout',
  'httpHeadersTimeout',
  'httpMaxConnections',
];

/** The fields of the startup summary (summarizeSettings) that only matter to `serve`; the stdio log leaves them out. */
export const HTTP_ONLY_SUMMARY: readonly string[] = [
  'listenAddr',
  'devBearerTokenSet',
  'oidcIssuerUrl',
  'oidcAudience',
  'sessionIdleTimeoutMs',
  'sessionLimitPerCaller',
  'httpRequestTimeoutMs',
  'httpHeadersTimeoutMs',
  'httpMaxConnections',
];

export function addConfigOptions(command: Command, transport: 'http' | 'stdio'): Command {
  for (const v of CONFIG_VARIABLES) {
    if (transport === 'stdio' && HTTP_ONLY.includes(v.key)) continue;
    const def = 'defaultValue' in v ? `; default ${v.defaultValue}` : '';
    command.option(`${v.flag} ${v.value}`, `${v.description} [env ${v.env}${def}]`);
  }
  return command.option('--sandbox', 'run against a fresh embedded sandbox management cluster instead of a kubeconfig');
}
