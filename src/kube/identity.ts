/**
 * Kubernetes identities: the operator's kubeconfig, and in OIDC_REQUIRED one per caller bearer token.
 * An identity loads client-node on first use (never on the startup path), owns ONE keep-alive agent
 * (./agents.ts) for all its requests and watches, counts its API calls (kube_api_requests_total), and
 * carries small caches that are facts about this identity (which namespaces it may list, which schema
 * ConfigMaps it has read). A caller's identity lives while a session uses it and is dropped, sockets
 * closed, when the last such session ends. Watches that serve resource subscriptions use a second pool of the
 * same identity (`watches()`), so they never take the sockets its requests need.
 */
import { createHash } from 'node:crypto';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Registry } from 'prom-client';
import { kubeApiMetrics, type KubeApiMetrics } from '../observability/kube-metrics.js';
import { shareAgents, type AgentPoolOptions, type SharedAgents } from './agents.js';
import { sessionKubeConfig } from './client.js';
import { loadClientNode } from './client-node.js';
import { instrumentedHttp } from './instrumented-http.js';

export interface KubeIdentity {
  /** This identity's KubeConfig: API clients made from it (`makeApiClient`) and its watches share one agent and are counted. */
  kubeConfig(): Promise<KubeConfig>;
  /** Records a request made outside `makeApiClient` (watches) in the API metrics. */
  readonly metrics: KubeApiMetrics;
  /** A cache slot that lives and dies with this identity (created on first use; a value with `close()` is closed with it). */
  memo<T>(key: string, create: () => T): T;
  /** Sockets this identity holds open now (in use or idle). */
  openSockets(): number;
  /**
   * The same credentials on a socket pool of their own, for long-lived watches that serve resource
   * subscriptions: at most WATCH_SOCKETS open, so requests of this identity never queue behind them.
   * Made on first use, closed with this identity.
   */
  watches(): KubeIdentity;
}

/** Sockets of an identity's watch pool (./agents.ts): the bound on its subscription watches. */
export const WATCH_SOCKETS = 32;
const WATCH_POOL: AgentPoolOptions = { maxSockets: WATCH_SOCKETS, maxFreeSockets: 2 };

export interface KubeIdentitiesOptions {
  /** Loads the operator's kubeconfig once client-node is loaded (e.g. config/kubeconfig.ts). */
  loadBase: () => Promise<KubeConfig>;
  /** Builds a caller's KubeConfig from the operator's; default: server + CA + only the token (kube/client.ts). */
  forToken?: (base: KubeConfig, bearerToken: string) => KubeConfig | Promise<KubeConfig>;
  metrics: Registry;
  pool?: AgentPoolOptions;
}

type ApiFactory = KubeConfig['makeApiClient'];

class Identity implements KubeIdentity {
  private loaded: Promise<KubeConfig> | undefined;
  private agents: SharedAgents | undefined;
  private readonly memos = new Map<string, unknown>();
  private watchPool: Identity | undefined;
  private closed = false;

  constructor(
    private readonly load: () => Promise<KubeConfig>,
    readonly metrics: KubeApiMetrics,
    private readonly pool: AgentPoolOptions,
  ) {}

  kubeConfig(): Promise<KubeConfig> {
    if (this.loaded === undefined) {
      const loading = this.prepare();
      this.loaded = loading;
      // A failed load (unreadable certificate file, say) is retried by the next call rather than cached.
      loading.catch(() => {
        if (this.loaded === loading) this.loaded = undefined;
      });
    }
    return this.loaded;
  }

  private async prepare(): Promise<KubeConfig> {
    const [k8s, kc] = await Promise.all([loadClientNode(), this.load()]);
    const agents = shareAgents(kc, this.pool);
    if (this.closed) agents.destroy();
    this.agents = agents;
    const httpApi = instrumentedHttp(k8s, this.metrics);
    // client-node's makeApiClient, with the instrumented HTTP library (it takes no options for it).
    const makeApiClient = ((apiClientType: Parameters<ApiFactory>[0]) => {
      const cluster = kc.getCurrentCluster();
      if (!cluster) throw new Error('No active cluster!');
      return new apiClientType(
        k8s.createConfiguration({ baseServer: new k8s.ServerConfiguration(cluster.server, {}), authMethods: { default: kc }, httpApi }),
      );
    }) as ApiFactory;
    kc.makeApiClient = makeApiClient;
    return kc;
  }

  memo<T>(key: string, create: () => T): T {
    if (!this.memos.has(key)) this.memos.set(key, create());
    return this.memos.get(key) as T;
  }

  openSockets(): number {
    return this.agents?.openSockets() ?? 0;
  }

  watches(): KubeIdentity {
    // A copy of this identity's KubeConfig (same cluster, user and context), so that its createAgent is
    // memoised separately (./agents.ts) with the watch pool's bounds.
    this.watchPool ??= new Identity(
      async () => {
        const [k8s, kc] = await Promise.all([loadClientNode(), this.kubeConfig()]);
        const copy = new k8s.KubeConfig();
        copy.loadFromOptions({ clusters: kc.clusters, users: kc.users, contexts: kc.contexts, currentContext: kc.currentContext });
        return copy;
      },
      this.metrics,
      WATCH_POOL,
    );
    if (this.closed) this.watchPool.close();
    return this.watchPool;
  }

  close(): void {
    this.closed = true;
    // What lives in a memo may hold timers or watches (the subscription watches): closed with the identity.
    for (const value of this.memos.values()) {
      const closable = value as { close?: unknown } | null;
      if (typeof closable === 'object' && closable !== null && typeof closable.close === 'function') (closable.close as () => void)();
    }
    this.agents?.destroy();
    this.watchPool?.close();
    this.memos.clear();
  }
}

/** A caller identity shared by the sessions of one bearer token; `release` once per `acquire`. */
export interface CallerIdentity extends KubeIdentity {
  release(): void;
}

export class KubeIdentities {
  private readonly metrics: KubeApiMetrics;
  private readonly baseIdentity: Identity;
  private readonly callers = new Map<string, { identity: Identity; users: number }>();

  constructor(private readonly options: KubeIdentitiesOptions) {
    this.metrics = kubeApiMetrics(options.metrics);
    this.baseIdentity = new Identity(options.loadBase, this.metrics, options.pool ?? {});
  }

  /** The operator's identity (the kubeconfig's credentials). */
  base(): KubeIdentity {
    return this.baseIdentity;
  }

  /** The identity of `bearerToken`: the same one (one agent) for every session with that token. */
  acquire(bearerToken: string): CallerIdentity {
    const key = createHash('sha256').update(bearerToken).digest('base64url');
    let entry = this.callers.get(key);
    if (entry === undefined) {
      const forToken = this.options.forToken ?? sessionKubeConfig;
      const identity = new Identity(
        async () => forToken(await this.baseIdentity.kubeConfig(), bearerToken),
        this.metrics,
        this.options.pool ?? {},
      );
      entry = { identity, users: 0 };
      this.callers.set(key, entry);
    }
    entry.users++;
    const held = entry;
    let released = false;
    const identity = held.identity;
    return {
      kubeConfig: () => identity.kubeConfig(),
      metrics: identity.metrics,
      memo: (k, create) => identity.memo(k, create),
      openSockets: () => identity.openSockets(),
      watches: () => identity.watches(),
      release: () => {
        if (released) return;
        released = true;
        held.users--;
        if (held.users === 0 && this.callers.get(key) === held) {
          this.callers.delete(key);
          identity.close();
        }
      },
    };
  }

  /** Caller identities alive now (tests, diagnostics). */
  get callerCount(): number {
    return this.callers.size;
  }

  /** Loads client-node and the operator's kubeconfig ahead of the first call; resolves either way. */
  async warmUp(): Promise<{ ok: true } | { ok: false; error: Error }> {
    try {
      await this.baseIdentity.kubeConfig();
      return { ok: true };
    } catch (error) {
      return { ok: false, error: error instanceof Error ? error : new Error(String(error)) };
    }
  }

  /** Closes every agent (shutdown). */
  close(): void {
    for (const { identity } of this.callers.values()) identity.close();
    this.callers.clear();
    this.baseIdentity.close();
  }
}

/** One identity over an already-built KubeConfig (tests, tools that hold their own config). */
export function kubeIdentity(kubeConfig: KubeConfig, metrics: Registry, pool: AgentPoolOptions = {}): KubeIdentity {
  return new KubeIdentities({ loadBase: async () => kubeConfig, metrics, pool }).base();
}
