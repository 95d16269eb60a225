/**
 * The ClusterDeployment watches behind resources/subscribe, shared per Kubernetes identity: one watch per
 * (identity, namespace), opened by the first subscription there and fanned out to every session of that
 * identity that follows something in the namespace; stopped when the last one leaves. The watches use the
 * identity's watch pool (src/kube/identity.ts `watches()`, WATCH_SOCKETS sockets), never the sockets its
 * requests use, and at most WATCH_BUDGET namespaces are watched per identity. A watch that ends is re-opened
 * from the last resourceVersion it saw (from a fresh LIST after 410 Expired).
 */
import { TOOL, toolRef } from '../../tool-names.js';
import type { Logger } from 'pino';
import { K0rdentApi, type WatchEvent, type WatchHandle } from '../../kube/k0rdent-api.js';
import { nearestName } from '../../shared/suggest.js';
import { AppError, clip } from '../../errors.js';
import { CLUSTER_DEPLOYMENT } from '../../k0rdent/resources.js';
import { WATCH_SOCKETS, type KubeIdentity } from '../../kube/identity.js';

/** Namespaces watched at once per identity: every socket of its watch pool, and no more. */
export const WATCH_BUDGET = WATCH_SOCKETS;
/** Subscriptions per identity (per caller token in OIDC_REQUIRED; the operator's in DEV_ALLOW_ANY), over all its sessions. */
export const MAX_SUBSCRIPTIONS_PER_IDENTITY = 1000;
const RETRY_MS = 1000;
/** How long a namespace list answers "does this namespace exist" before a miss re-reads it. */
const NAMESPACES_FRESH_MS = 1000;

/** One session's view of a namespace watch. */
export interface WatchListener {
  onEvent(event: WatchEvent): void;
  /** The watch was refused (401/403) and will not come back: the listener's subscriptions end. */
  onEnd(error: AppError): void;
}

interface NamespaceWatch {
  readonly namespace: string;
  readonly listeners: Set<WatchListener>;
  /** Settles once the first watch is open (rejects when it could not be opened). */
  ready: Promise<void>;
  handle?: WatchHandle | undefined;
  resourceVersion?: string | undefined;
  retry?: NodeJS.Timeout | undefined;
  stopped: boolean;
}

export class WatchHub {
  private readonly watches = new Map<string, NamespaceWatch>();
  private readonly requests: K0rdentApi;
  private readonly watchApi: K0rdentApi;
  private namespaces: { names: Set<string>; at: number } | undefined;
  /** Subscriptions of this identity over all its sessions (kept by ./subscriptions.ts). */
  subscriptions = 0;

  constructor(
    identity: KubeIdentity,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.requests = new K0rdentApi(identity);
    this.watchApi = new K0rdentApi(identity.watches());
  }

  /** Namespaces with a watch (open, opening or re-opening). */
  get watchedNamespaces(): number {
    return this.watches.size;
  }

  /** Watch streams open now. */
  get openWatches(): number {
    return [...this.watches.values()].filter((w) => w.handle !== undefined).length;
  }

  isWatching(namespace: string): boolean {
    return this.watches.has(namespace);
  }

  /**
   * notFound (with the nearest existing namespace) unless `namespace` exists: a subscription there would
   * hold a watch that can never report anything. A caller that may not list namespaces is not refused.
   */
  async assertNamespaceExists(namespace: string): Promise<void> {
    const read = async (): Promise<Set<string> | undefined> => {
      try {
        const names = new Set(await this.requests.listNamespaces());
        this.namespaces = { names, at: this.now() };
        return names;
      } catch (error) {
        if (error instanceof AppError && (error.code === 'forbidden' || error.code === 'unauthorized')) return undefined;
        throw error;
      }
    };
    let names = this.namespaces?.names;
    if (names === undefined || (!names.has(namespace) && this.now() - (this.namespaces?.at ?? 0) >= NAMESPACES_FRESH_MS)) {
      names = await read();
    }
    if (names === undefined || names.has(namespace)) return;
    const nearest = nearestName(namespace, [...names]);
    throw new AppError(
      'notFound',
      `namespace "${clip(namespace, 63)}" does not exist${nearest !== undefined ? `; did you mean "${nearest}"?` : '.'} Subscribe to k0rdent://clusters/{namespace}/{name} in an existing namespace (${toolRef(TOOL.namespacesList)} lists them)`,
      { namespace: clip(namespace, 63), ...(nearest !== undefined ? { nearest } : {}) },
    );
  }

  /** Joins (opening if needed) the watch of `namespace`; resolves once it is open, with the function that leaves it. */
  async join(namespace: string, listener: WatchListener): Promise<() => void> {
    let watch = this.watches.get(namespace);
    if (watch === undefined) {
      if (this.watches.size >= WATCH_BUDGET) {
        throw new AppError(
          'unavailable',
          `this server already watches ${WATCH_BUDGET} namespaces for this identity, the most it will; subscribe within namespaces already followed, or unsubscribe elsewhere first`,
        );
      }
      const created: NamespaceWatch = { namespace, listeners: new Set(), ready: Promise.resolve(), stopped: false };
      this.watches.set(namespace, created);
      created.ready = this.open(created).catch((error: unknown) => {
        this.stop(created);
        throw error;
      });
      watch = created;
    }
    watch.listeners.add(listener);
    const joined = watch;
    try {
      await joined.ready;
    } catch (error) {
      joined.listeners.delete(listener);
      throw error;
    }
    let left = false;
    return () => {
      if (left) return;
      left = true;
      joined.listeners.delete(listener);
      if (joined.listeners.size === 0) this.stop(joined);
    };
  }

  /** Ends every watch (the identity is going away). */
  close(): void {
    for (const watch of [...this.watches.values()]) this.stop(watch);
  }

  private stop(watch: NamespaceWatch): void {
    watch.stopped = true;
    if (watch.retry) clearTimeout(watch.retry);
    watch.retry = undefined;
    watch.handle?.stop();
    watch.handle = undefined;
    if (this.watches.get(watch.namespace) === watch) this.watches.delete(watch.namespace);
  }

  private async open(watch: NamespaceWatch): Promise<void> {
    const { namespace } = watch;
    // A LIST's resourceVersion starts the watch at "now": no replay of every object as ADDED. The LIST is a
    // short request (the request pool); only the watch stream holds a socket of the watch pool.
    watch.resourceVersion ??= (await this.requests.list(CLUSTER_DEPLOYMENT, { namespace, limit: 1 })).resourceVersion;
    if (watch.stopped) return;
    const handle = await this.watchApi.watchNamespace(
      CLUSTER_DEPLOYMENT,
      namespace,
      undefined,
      watch.resourceVersion,
      (event) => this.onEvent(watch, event),
      (error) => this.onClose(watch, error),
    );
    if (watch.stopped) handle.stop();
    else watch.handle = handle;
  }

  private onEvent(watch: NamespaceWatch, event: WatchEvent): void {
    if (event.type === 'ERROR') {
      // 410 Expired: start again from a fresh LIST.
      if (event.object.code === 410) watch.resourceVersion = undefined;
      return;
    }
    const rv = event.object.metadata?.resourceVersion;
    if (rv !== undefined) watch.resourceVersion = rv;
    if (event.type === 'BOOKMARK') return;
    for (const listener of [...watch.listeners]) listener.onEvent(event);
  }

  private onClose(watch: NamespaceWatch, error: AppError | undefined): void {
    watch.handle = undefined;
    if (watch.stopped) return;
    if (error !== undefined && (error.code === 'unauthorized' || error.code === 'forbidden')) {
      this.logger.warn(
        { namespace: watch.namespace, errorCode: error.code, error: clip(error.message, 500) },
        'resource subscription watch refused; its subscriptions end',
      );
      const listeners = [...watch.listeners];
      this.stop(watch);
      for (const listener of listeners) listener.onEnd(error);
      return;
    }
    watch.retry = setTimeout(
      () => {
        watch.retry = undefined;
        if (watch.stopped) return;
        this.open(watch).catch((e: unknown) => {
          this.logger.debug(
            { namespace: watch.namespace, error: clip((e as Error).message, 500) },
            'resource subscription watch could not be re-opened; retrying',
          );
          this.onClose(watch, e instanceof AppError && (e.code === 'unauthorized' || e.code === 'forbidden') ? e : undefined);
        });
      },
      error === undefined ? 0 : RETRY_MS,
    );
    watch.retry.unref();
  }
}

/** The hub of `identity`: one per identity, shared by its sessions, living as long as the identity. */
export function watchHubOf(identity: KubeIdentity, logger: Logger): WatchHub {
  return identity.memo('resource-subscription-watches', () => new WatchHub(identity, logger));
}
