/**
 * Every configuration variable of README.md "Configuration", with its CLI flag and default: the one table the CLI
 * options, the validation messages and the README configuration table come from.
 */
export interface ConfigVariable {
  /** Environment variable name. */
  env: string;
  /** Long CLI flag (without the value placeholder). */
  flag: string;
  /** commander attribute name of the flag. */
  key: string;
  /** Placeholder shown in --help. */
  value: string;
  description: string;
  /** Default shown in docs; undefined = none. */
  defaultValue?: string;
  /** Never echo its value (help text, logs, errors). */
  secret?: boolean;
}

export const CONFIG_VARIABLES = [
  {
    env: 'K0RDENT_MGMT_KUBECONFIG_PATH',
    flag: '--kubeconfig-path',
    key: 'kubeconfigPath',
    value: '<file>',
    description: 'kubeconfig file of the management cluster (exactly one kubeconfig source may be set)',
  },
  {
    env: 'K0RDENT_MGMT_KUBECONFIG_B64',
    flag: '--kubeconfig-b64',
    key: 'kubeconfigB64',
    value: '<base64>',
    description: 'kubeconfig of the management cluster, base64-encoded',
    secret: true,
  },
  {
    env: 'K0RDENT_MGMT_KUBECONFIG_TEXT',
    flag: '--kubeconfig-text',
    key: 'kubeconfigText',
    value: '<yaml>',
    description: 'kubeconfig of the management cluster, as YAML text',
    secret: true,
  },
  {
    env: 'K0RDENT_MGMT_CONTEXT',
    flag: '--context',
    key: 'context',
    value: '<name>',
    description: 'context to use from the kubeconfig',
    defaultValue: 'current-context',
  },
  {
    env: 'K0RDENT_NAMESPACE_FILTER',
    flag: '--namespace-filter',
    key: 'namespaceFilter',
    value: '<regex>',
    description: 'regular expression of the namespaces tools may touch',
    defaultValue: 'none (all)',
  },
  {
    env: 'AUTH_MODE',
    flag: '--auth-mode',
    key: 'authMode',
    value: '<mode>',
    description: 'DEV_ALLOW_ANY or OIDC_REQUIRED',
    defaultValue: 'DEV_ALLOW_ANY',
  },
  {
    env: 'DEV_BEARER_TOKEN',
    flag: '--dev-bearer-token',
    key: 'devBearerToken',
    value: '<token>',
    description: 'DEV_ALLOW_ANY: HTTP requests must carry Authorization: Bearer <token>',
    secret: true,
  },
  {
    env: 'CLUSTER_GLOBAL_NAMESPACE',
    flag: '--global-namespace',
    key: 'globalNamespace',
    value: '<ns>',
    description: 'namespace of global credentials and templates',
    defaultValue: 'kcm-system',
  },
  {
    env: 'CLUSTER_DEFAULT_NAMESPACE_DEV',
    flag: '--default-namespace-dev',
    key: 'defaultNamespaceDev',
    value: '<ns>',
    description: 'DEV_ALLOW_ANY: target namespace for deploy/delete when none is given',
    defaultValue: 'kcm-system',
  },
  {
    env: 'CLUSTER_DEPLOY_FIELD_OWNER',
    flag: '--deploy-field-owner',
    key: 'deployFieldOwner',
    value: '<name>',
    description: 'server-side-apply field manager for ClusterDeployments',
    defaultValue: 'mcp.clusters',
  },
  {
    env: 'CLUSTER_SERVICES_FIELD_OWNER',
    flag: '--services-field-owner',
    key: 'servicesFieldOwner',
    value: '<name>',
    description: 'server-side-apply field manager for the service entries of ClusterDeployments (k0.clusters.services.*)',
    defaultValue: 'mcp.services',
  },
  {
    env: 'LISTEN_ADDR',
    flag: '--listen-addr',
    key: 'listenAddr',
    value: '<host:port>',
    description: 'host:port for serve',
    defaultValue: '127.0.0.1:6767',
  },
  {
    env: 'LOG_LEVEL',
    flag: '--log-level',
    key: 'logLevel',
    value: '<level>',
    description: 'debug, info, warn or error',
    defaultValue: 'info',
  },
  {
    env: 'READ_ONLY',
    flag: '--read-only',
    key: 'readOnly',
    value: '[bool]',
    description: 'true: deploy and delete are not offered',
    defaultValue: 'false',
  },
  {
    env: 'TOOL_NAME_STYLE',
    flag: '--tool-name-style',
    key: 'toolNameStyle',
    value: '<style>',
    description: `dotted (${TOOL.clustersList}) or snake (k0_clusters_list)`,
    defaultValue: 'dotted',
  },
  {
    env: 'OIDC_ISSUER_URL',
    flag: '--oidc-issuer-url',
    key: 'oidcIssuerUrl',
    value: '<url>',
    description: 'OIDC_REQUIRED: verify bearer JWTs against this issuer and publish RFC 9728 metadata',
  },
  {
    env: 'OIDC_AUDIENCE',
    flag: '--oidc-audience',
    key: 'oidcAudience',
    value: '<aud>',
    description: 'OIDC_REQUIRED: expected audience of bearer JWTs',
  },
  {
    env: 'CONFIRM_DESTRUCTIVE',
    flag: '--confirm-destructive',
    key: 'confirmDestructive',
    value: '<mode>',
    description: 'auto: ask the user (MCP elicitation) before a delete or a destructive update when the client can answer; never',
    defaultValue: 'auto',
  },
  {
    env: 'PROGRESS_INTERVAL',
    flag: '--progress-interval',
    key: 'progressInterval',
    value: '<duration>',
    description: 'longest quiet gap between progress notifications of a waiting call',
    defaultValue: '10s',
  },
  {
    env: 'SESSION_IDLE_TIMEOUT',
    flag: '--session-idle-timeout',
    key: 'sessionIdleTimeout',
    value: '<duration>',
    description: 'a stateful HTTP session with no request in flight is closed after this idle time',
    defaultValue: '15m',
  },
  {
    env: 'SESSION_LIMIT_PER_CALLER',
    flag: '--session-limit-per-caller',
    key: 'sessionLimitPerCaller',
    value: '<n>',
    description: 'live stateful sessions per caller (bearer-token fingerprint, else remote address), under the global cap',
    defaultValue: '100',
  },
  {
    env: 'HTTP_REQUEST_TIMEOUT',
    flag: '--http-request-timeout',
    key: 'httpRequestTimeout',
    value: '<duration>',
    description:
      'serve: an HTTP request whose headers and body have not fully arrived after this is cut (408); responses (SSE streams) are not bounded by it',
    defaultValue: '30s',
  },
  {
    env: 'HTTP_HEADERS_TIMEOUT',
    flag: '--http-headers-timeout',
    key: 'httpHeadersTimeout',
    value: '<duration>',
    description: 'serve: a request whose headers have not fully arrived after this is cut; at most HTTP_REQUEST_TIMEOUT',
    defaultValue: '20s',
  },
  {
    env: 'HTTP_MAX_CONNECTIONS',
    flag: '--http-max-connections',
    key: 'httpMaxConnections',
    value: '<n>',
    description: 'serve: concurrent TCP connections; one more is closed at once',
    defaultValue: '1024',
  },
  {
    env: 'K0RDENT_MGMT_IN_CLUSTER',
    flag: '--in-cluster',
    key: 'inCluster',
    value: '[bool]',
    description:
      "true: use the pod's service account (in-cluster config) instead of a kubeconfig; when unset, used when no kubeconfig is given and the service-account files exist",
    defaultValue: 'auto',
  },
  {
    env: 'CATALOG_INDEX_URL',
    flag: '--catalog-index-url',
    key: 'catalogIndexUrl',
    value: '<url>',
    description:
      'k0rdent catalog index.json to refresh the bundled catalog from (e.g. https://catalog.k0rdent.io/latest/index.json); fetched with ETag at most hourly, validated, cached on disk',
    defaultValue: 'none (bundled index only)',
  },
  {
    env: 'CATALOG_CACHE_DIR',
    flag: '--catalog-cache-dir',
    key: 'catalogCacheDir',
    value: '<dir>',
    description: 'directory of the refreshed catalog index and its ETag',
    defaultValue: '$XDG_CACHE_HOME/k0rdent-mcp or ~/.cache/k0rdent-mcp',
  },
  {
    env: 'CATALOG_MIRRORS',
    flag: '--catalog-mirrors',
    key: 'catalogMirrors',
    value: '<from=to,...>',
    description:
      'comma-separated oci:// repository rewrites for air-gapped registries, e.g. oci://ghcr.io/k0rdent/catalog/charts=oci://registry.local/catalog',
    defaultValue: 'none',
  },
  {
    env: 'CATALOG_MAX_AGE_DAYS',
    flag: '--catalog-max-age-days',
    key: 'catalogMaxAgeDays',
    value: '<days>',
    description: 'a catalog index older than this many days is reported stale',
    defaultValue: '180',
  },
] as const satisfies readonly ConfigVariable[];

export type ConfigKey = (typeof CONFIG_VARIABLES)[number]['key'];

/** Raw string values per key, as they come from env or flags (flag wins). */
export type RawConfig = Partial<Record<ConfigKey, string>>;

export function variableFor(key: ConfigKey): ConfigVariable {
  const found = CONFIG_VARIABLES.find((v) => v.key === key);
  if (!found) throw new Error(`unknown config key ${key}`);
  return found;
}

/** Merges env and flags (flag wins); empty strings count as unset. */
export function collectRawConfig(env: NodeJS.ProcessEnv, flags: Record<string, unknown>): RawConfig {
  const raw: RawConfig = {};
  for (const v of CONFIG_VARIABLES) {
    const flagValue = flags[v.key];
    const fromFlag = flagValue === true ? 'true' : typeof flagValue === 'string' ? flagValue : undefined;
    const value = fromFlag ?? env[v.env];
    if (value !== undefined && value !== '') raw[v.key] = value;
  }
  return raw;
}
import { TOOL } from '../tool-names.js';
