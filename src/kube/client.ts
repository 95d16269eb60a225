/**
 * Kubernetes access per identity. In OIDC_REQUIRED every session gets a FRESH KubeConfig made of the
 * base cluster's server URL + CA (+ TLS options) and a user holding only the caller's bearer token, so
 * a caller can never borrow the operator's client certificate, exec plugin or token.
 */
import { readFileSync } from 'node:fs';
import type { Cluster, KubeConfig } from '@kubernetes/client-node';
import { loadClientNode } from './client-node.js';

const SESSION_CLUSTER = 'management-cluster';
const SESSION_USER = 'mcp-caller';
const SESSION_CONTEXT = 'mcp-session';

/**
 * The session's KubeConfig: `base` itself without a token; with one, a fresh config whose only
 * credential is that token.
 */
export function sessionKubeConfig(base: KubeConfig, bearerToken?: string): KubeConfig {
  if (bearerToken === undefined) return base;
  const cluster = base.getCurrentCluster();
  if (!cluster) throw new Error('the base kubeconfig has no current cluster');
  // The base's own class: this module imports client-node's types only (see client-node.ts).
  const fresh = new (base.constructor as new () => KubeConfig)();
  const caData = cluster.caData ?? (cluster.caFile ? readFileSync(cluster.caFile).toString('base64') : undefined);
  const freshCluster: Cluster = {
    name: SESSION_CLUSTER,
    server: cluster.server,
    skipTLSVerify: cluster.skipTLSVerify,
    ...(caData !== undefined ? { caData } : {}),
    ...(cluster.tlsServerName !== undefined ? { tlsServerName: cluster.tlsServerName } : {}),
    ...(cluster.proxyUrl !== undefined ? { proxyUrl: cluster.proxyUrl } : {}),
  };
  fresh.loadFromOptions({
    clusters: [freshCluster],
    users: [{ name: SESSION_USER, token: bearerToken }],
    contexts: [{ name: SESSION_CONTEXT, cluster: SESSION_CLUSTER, user: SESSION_USER }],
    currentContext: SESSION_CONTEXT,
  });
  return fresh;
}

export interface PingResult {
  ok: boolean;
  /** Server gitVersion when reachable. */
  version?: string;
  /** Short reason when not reachable (never credentials). */
  error?: string;
}

/** A Kubernetes identity (./identity.ts KubeIdentity, which imports this module): what a ping needs of it. */
export interface PingTarget {
  readonly memo: unknown;
  kubeConfig(): Promise<KubeConfig>;
}

/** GET /version through client-node (over the identity's agent), bounded by `timeoutMs`; never throws. */
export async function pingApi(target: PingTarget | KubeConfig, timeoutMs = 2500): Promise<PingResult> {
  try {
    const [k8s, kc, { requestOptions }] = await Promise.all([
      loadClientNode(),
      'memo' in target ? target.kubeConfig() : Promise.resolve(target),
      import('./request-options.js'),
    ]);
    // The deadline aborts the request itself, so an API that accepts and never answers leaves no socket behind.
    const options = requestOptions(undefined, timeoutMs);
    try {
      const info = await kc.makeApiClient(k8s.VersionApi).getCode({}, options);
      return { ok: true, version: info.gitVersion };
    } finally {
      options.dispose();
    }
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
    return { ok: false, error: timedOut ? `no answer within ${timeoutMs} ms` : describePingError(error) };
  }
}

function describePingError(error: unknown): string {
  if (error && typeof error === 'object') {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'number') return `HTTP ${code}`;
    const cause = (error as { cause?: { code?: unknown } }).cause;
    const errno = typeof cause?.code === 'string' ? cause.code : typeof code === 'string' ? code : undefined;
    if (errno) return errno;
    if (error instanceof Error) return error.message.split('\n')[0]!.slice(0, 200);
  }
  return String(error).slice(0, 200);
}
