/**
 * The effective configuration, validated once at startup (config/settings.ts), and the value types it is
 * made of. Below runtime/: policy/, observability/ and the managers read settings from here.
 */
import type { ToolNameStyle } from '../tool-names.js';

export type { ToolNameStyle };
export type AuthMode = 'DEV_ALLOW_ANY' | 'OIDC_REQUIRED';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** The effective configuration (README.md "Configuration"), validated once at startup. */
export interface Settings {
  /** Where the kubeconfig came from, for the startup summary; never its contents. */
  kubeconfigSource: 'path' | 'b64' | 'text' | 'in-cluster' | 'sandbox';
  kubeContext: string | undefined;
  namespaceFilter: RegExp | undefined;
  authMode: AuthMode;
  /** True when DEV_BEARER_TOKEN is set; the token itself lives only in the auth gate. */
  devBearerTokenSet: boolean;
  globalNamespace: string;
  defaultNamespaceDev: string;
  deployFieldOwner: string;
  /** SSA field manager of the service entries (CLUSTER_SERVICES_FIELD_OWNER). */
  servicesFieldOwner: string;
  listenAddr: { host: string; port: number };
  logLevel: LogLevel;
  readOnly: boolean;
  toolNameStyle: ToolNameStyle;
  oidcIssuerUrl: string | undefined;
  oidcAudience: string | undefined;
  /** CONFIRM_DESTRUCTIVE: `auto` asks through MCP elicitation when the client declared it. */
  confirmDestructive: 'auto' | 'never';
  /** PROGRESS_INTERVAL: longest gap between progress notifications of a waiting call. */
  progressIntervalMs: number;
  /** SESSION_IDLE_TIMEOUT: a stateful session with no request in flight is closed after this. */
  sessionIdleTimeoutMs: number;
  /** SESSION_LIMIT_PER_CALLER: live stateful sessions per caller. */
  sessionLimitPerCaller: number;
  /** HTTP_REQUEST_TIMEOUT: serve cuts a request (headers + body) not received within this. */
  httpRequestTimeoutMs: number;
  /** HTTP_HEADERS_TIMEOUT: serve cuts a request whose headers are not received within this. */
  httpHeadersTimeoutMs: number;
  /** HTTP_MAX_CONNECTIONS: concurrent connections serve accepts. */
  httpMaxConnections: number;
  /** The CATALOG_* variables; absent = their defaults (src/catalog/source.ts). */
  catalog?: CatalogSettings;
}

/** Where the k0rdent catalog index comes from (CATALOG_*). */
export interface CatalogSettings {
  /** CATALOG_INDEX_URL: refresh from here; undefined = the bundled index only. */
  indexUrl: string | undefined;
  /** CATALOG_CACHE_DIR; undefined = the user's cache directory. */
  cacheDir: string | undefined;
  /** CATALOG_MIRRORS: oci:// prefix rewrites of the charts' repositories, in order. */
  mirrors: { from: string; to: string }[];
  /** CATALOG_MAX_AGE_DAYS: older indexes are reported stale. */
  maxAgeDays: number;
}
