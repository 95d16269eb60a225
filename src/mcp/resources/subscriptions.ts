/**
 * resources/subscribe for `k0rdent://clusters/{namespace}/{name}`: while subscribed, every change of
 * that ClusterDeployment sends `notifications/resources/updated` (standard MCP: the client re-reads; no
 * payload), until unsubscribe, the session's end or the deployment's deletion. One watch per namespace
 * serves every subscription of the session there; at most MAX_SUBSCRIPTIONS per session. A watch that
 * ends is re-opened from the last resourceVersion it saw (from a fresh LIST after 410 Expired).
 */
import type { Logger } from 'pino';
import type { K0rdentApi, WatchEvent, WatchHandle } from '../../kube/k0rdent-api.js';
import { AppError } from '../../errors.js';
import { CLUSTER_DEPLOYMENT } from '../../k0rdent/resources.js';
import type { NamespacePolicy } from '../../policy/index.js';
import { assertObjectName } from '../../policy/names.js';

export const MAX_SUBSCRIPTIONS = 50;
const RETRY_MS = 1000;

export const CLUSTER_URI_PREFIX = 'k0rdent://clusters/';

export function clusterUri(namespace: string, name: string): string {
  return `${CLUSTER_URI_PREFIX}${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`;
}

/** `k0rdent://clusters/{namespace}/{name}` → its parts, validated; invalidParams otherwise. */
export function parseClusterUri(uri: string): { namespace: string; name: string } {
  const rest = uri.startsWith(CLUSTER_URI_PREFIX) ? uri.slice(CLUSTER_URI_PREFIX.length) : undefined;
  const parts = rest?.split('/');
  if (parts?.length !== 2)
    throw new AppError('invalidParams', `"${uri.slice(0, 200)}" is not a cluster resource; use k0rdent://clusters/{namespace}/{name}`);
  const [namespace, name] = parts.map((p) => decodeURIComponent(p)) as [string, string];
  assertObjectName(name, 'name');
  return { namespace, name };
}

interface NamespaceWatch {
  names: Set<string>;
  handle?: WatchHandle;
  resourceVersion?: string;
  retry?: NodeJS.Timeout;
}

export class ClusterSubscriptions {
  private readonly watches = new Map<string, NamespaceWatch>();
  private closed = false;

  constructor(
    private readonly api: K0rdentApi,
    private readonly policy: NamespacePolicy,
    private readonly notify: (uri: string) => Promise<void>,
    private readonly logger: Logger,
  ) {}

  get count(): number {
    let n = 0;
    for (const w of this.watches.values()) n += w.names.size;
    return n;
  }

  /** Open namespace watches (tests, metrics). */
  get watchCount(): number {
    return [...this.watches.values()].filter((w) => w.handle !== undefined).length;
  }

  async subscribe(uri: string): Promise<void> {
    const { namespace, name } = parseClusterUri(uri);
    this.policy.assertReadable(namespace);
    const existing = this.watches.get(namespace);
    if (existing?.names.has(name)) return;
    if (this.count >= MAX_SUBSCRIPTIONS) {
      throw new AppError(
        'invalidParams',
        `this session already has ${MAX_SUBSCRIPTIONS} resource subscriptions, the most allowed; unsubscribe from one first`,
      );
    }
    if (existing) {
      existing.names.add(name);
      return;
    }
    const watch: NamespaceWatch = { names: new Set([name]) };
    this.watches.set(namespace, watch);
    try {
      await this.open(namespace, watch);
    } catch (error) {
      this.watches.delete(namespace);
      throw error;
    }
  }

  unsubscribe(uri: string): void {
    const { namespace, name } = parseClusterUri(uri);
    const watch = this.watches.get(namespace);
    if (!watch) return;
    watch.names.delete(name);
    if (watch.names.size === 0) this.stop(namespace, watch);
  }

  /** Ends every watch (the session is over). */
  close(): void {
    this.closed = true;
    for (const [namespace, watch] of this.watches) this.stop(namespace, watch);
  }

  private stop(namespace: string, watch: NamespaceWatch): void {
    if (watch.retry) clearTimeout(watch.retry);
    watch.handle?.stop();
    watch.handle = undefined;
    this.watches.delete(namespace);
  }

  private async open(namespace: string, watch: NamespaceWatch): Promise<void> {
    // A LIST's resourceVersion starts the watch at "now": no replay of every object as ADDED.
    watch.resourceVersion ??= (await this.api.list(CLUSTER_DEPLOYMENT, { namespace, limit: 1 })).resourceVersion;
    const handle = await this.api.watchNamespace(
      CLUSTER_DEPLOYMENT,
      namespace,
      undefined,
      watch.resourceVersion,
      (event) => this.onEvent(namespace, watch, event),
      (error) => this.onClose(namespace, watch, error),
    );
    if (this.watches.get(namespace) !== watch || this.closed) handle.stop();
    else watch.handle = handle;
  }

  private onEvent(namespace: string, watch: NamespaceWatch, event: WatchEvent): void {
    if (event.type === 'ERROR') {
      // 410 Expired: start again from a fresh LIST.
      if (event.object.code === 410) watch.resourceVersion = undefined;
      return;
    }
    const rv = event.object.metadata?.resourceVersion;
    if (rv !== undefined) watch.resourceVersion = rv;
    if (event.type === 'BOOKMARK') return;
    const name = event.object.metadata?.name ?? '';
    if (!watch.names.has(name)) return;
    const uri = clusterUri(namespace, name);
    void this.notify(uri).catch(() => undefined);
    // Deleted: nothing more to follow.
    if (event.type === 'DELETED') {
      watch.names.delete(name);
      if (watch.names.size === 0) this.stop(namespace, watch);
    }
  }

  private onClose(namespace: string, watch: NamespaceWatch, error: AppError | undefined): void {
    watch.handle = undefined;
    if (this.closed || this.watches.get(namespace) !== watch) return;
    if (error !== undefined && (error.code === 'unauthorized' || error.code === 'forbidden')) {
      this.logger.warn(
        { namespace, errorCode: error.code, error: error.message },
        'resource subscription watch refused; its subscriptions end',
      );
      this.stop(namespace, watch);
      return;
    }
    watch.retry = setTimeout(
      () => {
        watch.retry = undefined;
        if (this.closed || this.watches.get(namespace) !== watch) return;
        this.open(namespace, watch).catch((e: unknown) => {
          this.logger.debug({ namespace, error: (e as Error).message }, 'resource subscription watch could not be re-opened; retrying');
          this.onClose(namespace, watch, e instanceof AppError && (e.code === 'unauthorized' || e.code === 'forbidden') ? e : undefined);
        });
      },
      error === undefined ? 0 : RETRY_MS,
    );
    watch.retry.unref();
  }
}
