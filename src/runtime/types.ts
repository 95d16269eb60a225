/**
 * The contracts between the process wiring (cli/http/runtime) and the tool modules (mcp/tools, clusters).
 * Runtime is built once at startup; a Session exists per MCP session (or per request in stateless mode).
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { KubeIdentities, KubeIdentity } from '../kube/identity.js';
import type { NamespacePolicy } from '../policy/index.js';
import type { Settings } from '../config/types.js';

export type { AuthMode, LogLevel, Settings, ToolNameStyle } from '../config/types.js';

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
  /** The namespace rules of docs/tools.md "Namespaces" bound to the settings (src/policy): every tool uses these. */
  readonly namespaces: NamespacePolicy;
  /** Call once when the session ends: a caller's identity (and its sockets) goes with its last session. */
  close(): void;
}
