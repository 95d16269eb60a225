/**
 * One keep-alive agent per Kubernetes identity. client-node 1.4 builds a new http(s).Agent for every
 * request and every watch (KubeConfig.createAgent, called from applySecurityAuthentication and
 * applyToFetchOptions), so each request opened a fresh TCP connection and TLS handshake. Here that
 * method is replaced on one KubeConfig instance by a memo: the agent options client-node computed
 * from the kubeconfig (CA, client certificate and key, `tls-server-name`, skip-verify, proxy) are
 * passed through unchanged to client-node's own createAgent, plus keep-alive and pool bounds; the
 * same options give the same agent. Options change only when an exec plugin rotates a client
 * certificate: then a new agent is made and the old one is closed once idle.
 */
import type { Agent as HttpAgent, AgentOptions } from 'node:http';
import type { KubeConfig } from '@kubernetes/client-node';

/** Pool bounds, in the spirit of client-go's transport (MaxIdleConnsPerHost 25, no overall cap). */
export interface AgentPoolOptions {
  /** Sockets open at once, in use or idle; requests beyond it queue (a waiting call holds one for its watch). */
  maxSockets?: number;
  /** Idle sockets kept for reuse. */
  maxFreeSockets?: number;
  /** An idle socket is closed after this long (below kube-apiserver's and the sandbox's idle timeouts). */
  idleTimeoutMs?: number;
}

export const DEFAULT_MAX_SOCKETS = 128;
export const DEFAULT_MAX_FREE_SOCKETS = 16;
export const DEFAULT_IDLE_TIMEOUT_MS = 15_000;
/** Agents kept per identity when its TLS options change (client certificate rotation). */
const MAX_AGENTS = 2;

type Cluster = NonNullable<ReturnType<KubeConfig['getCurrentCluster']>>;
type CreateAgent = (cluster: Cluster | null, options: AgentOptions) => HttpAgent;
interface AgentFactoryHost {
  createAgent: CreateAgent;
}

export interface SharedAgents {
  /** Sockets open now (active + idle) over every agent of this identity. */
  openSockets(): number;
  /** Agents made so far (1 unless TLS options changed). */
  readonly agentsCreated: number;
  /** Closes every socket; later requests make a new agent. */
  destroy(): void;
}

function optionKey(cluster: Cluster | null, options: AgentOptions & Record<string, unknown>): string {
  const parts: Record<string, unknown> = { server: cluster?.server, proxy: cluster?.proxyUrl };
  for (const key of ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername']) {
    const value = options[key];
    parts[key] = Buffer.isBuffer(value) ? value.toString('base64') : value;
  }
  return JSON.stringify(parts);
}

function countSockets(agent: HttpAgent): number {
  let n = 0;
  for (const list of Object.values(agent.sockets)) n += list?.length ?? 0;
  for (const list of Object.values(agent.freeSockets)) n += list?.length ?? 0;
  return n;
}

/**
 * Makes every request and watch of `kc` share one keep-alive agent (see the module comment).
 * Throws if client-node no longer has the method this relies on, so an upgrade cannot silently
 * bring back a connection per request.
 */
export function shareAgents(kc: KubeConfig, pool: AgentPoolOptions = {}): SharedAgents {
  const host = kc as unknown as AgentFactoryHost;
  const original = host.createAgent;
  if (typeof original !== 'function') throw new Error('client-node KubeConfig.createAgent not found: cannot share keep-alive agents');
  const agents = new Map<string, HttpAgent>();
  let created = 0;
  const extra: AgentOptions = {
    keepAlive: true,
    maxSockets: pool.maxSockets ?? DEFAULT_MAX_SOCKETS,
    maxFreeSockets: pool.maxFreeSockets ?? DEFAULT_MAX_FREE_SOCKETS,
    timeout: pool.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
    scheduling: 'lifo',
  };
  host.createAgent = (cluster, options) => {
    const key = optionKey(cluster, options as AgentOptions & Record<string, unknown>);
    let agent = agents.get(key);
    if (agent === undefined) {
      agent = original.call(kc, cluster, { ...options, ...extra });
      created++;
      if (agents.size >= MAX_AGENTS) {
        const [oldestKey, oldest] = agents.entries().next().value as [string, HttpAgent];
        agents.delete(oldestKey);
        // Requests in flight keep their sockets; idle ones close now, busy ones after the idle timeout.
        for (const list of Object.values(oldest.freeSockets)) for (const socket of list ?? []) socket.destroy();
      }
      agents.set(key, agent);
    } else {
      // Most recently used last, so the eviction above drops the stale one.
      agents.delete(key);
      agents.set(key, agent);
    }
    return agent;
  };
  return {
    openSockets: () => [...agents.values()].reduce((n, agent) => n + countSockets(agent), 0),
    get agentsCreated() {
      return created;
    },
    destroy: () => {
      for (const agent of agents.values()) agent.destroy();
      agents.clear();
    },
  };
}
