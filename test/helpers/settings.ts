/** The one settings builder for tests: the product's defaults for a sandbox, DEV_ALLOW_ANY, debug logs. */
import type { Settings } from '../../src/runtime/types.js';

export function testSettings(overrides: Partial<Settings> = {}): Settings {
  return {
    kubeconfigSource: 'sandbox',
    kubeContext: undefined,
    namespaceFilter: undefined,
    authMode: 'DEV_ALLOW_ANY',
    devBearerTokenSet: false,
    globalNamespace: 'kcm-system',
    defaultNamespaceDev: 'kcm-system',
    deployFieldOwner: 'mcp.clusters',
    servicesFieldOwner: 'mcp.services',
    listenAddr: { host: '127.0.0.1', port: 0 },
    logLevel: 'debug',
    readOnly: false,
    toolNameStyle: 'dotted',
    oidcIssuerUrl: undefined,
    oidcAudience: undefined,
    confirmDestructive: 'auto',
    progressIntervalMs: 10_000,
    sessionIdleTimeoutMs: 900_000,
    sessionLimitPerCaller: 100,
    httpRequestTimeoutMs: 30_000,
    httpHeadersTimeoutMs: 20_000,
    httpMaxConnections: 1024,
    ...overrides,
  };
}
