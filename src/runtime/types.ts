/**
 * The contracts between the process wiring (cli/http/runtime) and the tool modules (mcp/tools, clusters).
 * Runtime is built once at startup; a Session exists per MCP session (or per request in stateless mode).
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { KubeIdentities, KubeIdentity } from '../kube/identity.js';
import type { NamespacePolicy } from '../policy/index.js';

export type AuthMode = 'DEV_ALLOW_ANY' | 'OIDC_REQUIRED';
export type ToolNameStyle = 'dotted' | 'snake';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** The effective configuration (SPEC section 3), validated once at startup. */
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
}

export interface Runtime {
  readonly settings: Settings;
  /** Root logger (pino, JSON on stderr). */
  readonly logger: Logger;
  /** The one prom-client registry of the process. */
  readonly metrics: Registry;
  /**
   * The Kubernetes identities: the operator's kubeconfig (already switched to the configured context) and
   * callers' tokens. client-node and the kubeconfig load on first use or `kube.warmUp()`, not at startup.
   */
  readonly kube: KubeIdentities;
  /** Aborted when the process begins to shut down: waiting calls answer with their current state. */
  readonly stopping?: AbortSignal;
}

export interface Session {
  readonly id: string;
  /** Child of the runtime logger carrying the session id. */
  readonly logger: Logger;
  /**
   * The Kubernetes identity of this session: the operator's kubeconfig in DEV_ALLOW_ANY and stdio;
   * in OIDC_REQUIRED a fresh config built from server URL + CA + the caller's bearer token only,
   * shared (one keep-alive agent) by the sessions of that token.
   */
  readonly kube: KubeIdentity;
  /** The namespace rules of SPEC section 5 bound to the settings (src/policy): every tool uses these. */
  readonly namespaces: NamespacePolicy;
  /** Call once when the session ends: a caller's identity (and its sockets) goes with its last session. */
  close(): void;
}
