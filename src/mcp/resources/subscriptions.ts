/**
 * resources/subscribe for `k0rdent://clusters/{namespace}/{name}`, one session's side: while subscribed,
 * every change of that ClusterDeployment sends `notifications/resources/updated` (standard MCP: the client
 * re-reads; no payload), until unsubscribe, the session's end or the deployment's deletion. The session
 * joins its identity's shared watch of the namespace (./watch-hub.ts); a namespace that does not exist is
 * refused (notFound, with the nearest). At most MAX_SUBSCRIPTIONS per session and
 * MAX_SUBSCRIPTIONS_PER_IDENTITY per caller identity. `onCount` hears every change of the count as it
 * happens (the mcp_resource_subscriptions gauge), so concurrent subscribes cannot make it drift.
 */
import type { Logger } from 'pino';
import type { WatchEvent } from '../../kube/k0rdent-api.js';
import { AppError, clip } from '../../errors.js';
import type { NamespacePolicy } from '../../policy/index.js';
import { assertObjectName } from '../../policy/names.js';
import { MAX_SUBSCRIPTIONS_PER_IDENTITY, type WatchHub } from './watch-hub.js';

export const MAX_SUBSCRIPTIONS = 50;

export const CLUSTER_URI_PREFIX = 'k0rdent://clusters/';

export function clusterUri(namespace: string, name: string): string {
  return `${CLUSTER_URI_PREFIX}${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`;
}

/** `k0rdent://clusters/{namespace}/{name}` → its parts, validated; invalidParams otherwise. */
export function parseClusterUri(uri: string): { namespace: string; name: string } {
  const rest = uri.startsWith(CLUSTER_URI_PREFIX) ? uri.slice(CLUSTER_URI_PREFIX.length) : undefined;
  const parts = rest?.split('/');
  if (parts?.length !== 2)
    throw new AppError('invalidParams', `"${clip(uri)}" is not a cluster resource; use k0rdent://clusters/{namespace}/{name}`);
  let decoded: string[];
  try {
    decoded = parts.map((p) => decodeURIComponent(p));
  } catch {
    throw new AppError('invalidParams', `"${clip(uri)}" is not a valid URI (bad %-escape); use k0rdent://clusters/{namespace}/{name}`);
  }
  const [namespace, name] = decoded as [string, string];
  assertObjectName(name, 'name');
  return { namespace, name };
}

interface SessionNamespace {
  readonly names: Set<string>;
  /** Settles once the session follows the namespace's shared watch. */
  joined: Promise<void>;
  leave?: (() => void) | undefined;
}

export interface ClusterSubscriptionsDeps {
  hub: WatchHub;
  policy: NamespacePolicy;
  notify: (uri: string) => Promise<void>;
  logger: Logger;
  /** Told +1 / -1 as each subscription starts and ends. */
  onCount?: (delta: number) => void;
}

export class ClusterSubscriptions {
  private readonly namespaces = new Map<string, SessionNamespace>();
  private subscribed = 0;
  private closed = false;

  constructor(private readonly deps: ClusterSubscriptionsDeps) {}

  get count(): number {
    return this.subscribed;
  }

  async subscribe(uri: string): Promise<void> {
    const { namespace, name } = parseClusterUri(uri);
    this.deps.policy.assertReadable(namespace);
    if (this.closed) throw new AppError('unavailable', 'the session is closing; subscribe in a new session');
    const existing = this.namespaces.get(namespace);
    if (existing?.names.has(name)) return existing.joined;
    if (this.subscribed >= MAX_SUBSCRIPTIONS) {
      throw new AppError(
        'invalidParams',
        `this session already has ${MAX_SUBSCRIPTIONS} resource subscriptions, the most allowed; unsubscribe from one first`,
      );
    }
    if (this.deps.hub.subscriptions >= MAX_SUBSCRIPTIONS_PER_IDENTITY) {
      throw new AppError(
        'invalidParams',
        `this caller already has ${MAX_SUBSCRIPTIONS_PER_IDENTITY} resource subscriptions over all its sessions, the most allowed; unsubscribe or end unused sessions first`,
      );
    }
    const entry = existing ?? this.follow(namespace);
    // Counted before any await, so the caps hold under concurrent subscribes.
    this.add(entry, name);
    await entry.joined;
  }

  unsubscribe(uri: string): void {
    const { namespace, name } = parseClusterUri(uri);
    const entry = this.namespaces.get(namespace);
    if (!entry) return;
    this.remove(namespace, entry, name);
  }

  /** Ends every subscription of the session (it is over). */
  close(): void {
    this.closed = true;
    for (const [namespace, entry] of [...this.namespaces]) this.drop(namespace, entry);
  }

  /** Starts following `namespace`: its existence checked (unless already watched), then the shared watch joined. */
  private follow(namespace: string): SessionNamespace {
    const entry: SessionNamespace = { names: new Set(), joined: Promise.resolve() };
    this.namespaces.set(namespace, entry);
    const { hub } = this.deps;
    entry.joined = (async () => {
      if (!hub.isWatching(namespace)) await hub.assertNamespaceExists(namespace);
      if (this.namespaces.get(namespace) !== entry) return;
      const leave = await hub.join(namespace, {
        onEvent: (event) => this.onEvent(namespace, entry, event),
        onEnd: () => this.drop(namespace, entry),
      });
      if (this.namespaces.get(namespace) !== entry) leave();
      else entry.leave = leave;
    })();
    // A failed join ends what the session asked there (each waiting subscribe gets the error).
    entry.joined.catch(() => {
      if (this.namespaces.get(namespace) === entry) this.drop(namespace, entry);
    });
    return entry;
  }

  private add(entry: SessionNamespace, name: string): void {
    entry.names.add(name);
    this.subscribed++;
    this.deps.hub.subscriptions++;
    this.deps.onCount?.(1);
  }

  private remove(namespace: string, entry: SessionNamespace, name: string): void {
    if (!entry.names.delete(name)) return;
    this.subscribed--;
    this.deps.hub.subscriptions--;
    this.deps.onCount?.(-1);
    if (entry.names.size === 0) this.drop(namespace, entry);
  }

  private drop(namespace: string, entry: SessionNamespace): void {
    for (const name of [...entry.names]) {
      entry.names.delete(name);
      this.subscribed--;
      this.deps.hub.subscriptions--;
      this.deps.onCount?.(-1);
    }
    if (this.namespaces.get(namespace) === entry) this.namespaces.delete(namespace);
    entry.leave?.();
    entry.leave = undefined;
  }

  private onEvent(namespace: string, entry: SessionNamespace, event: WatchEvent): void {
    if (event.type === 'ERROR' || event.type === 'BOOKMARK') return;
    const name = event.object.metadata?.name ?? '';
    if (!entry.names.has(name)) return;
    void this.deps.notify(clusterUri(namespace, name)).catch(() => undefined);
    // Deleted: nothing more to follow.
    if (event.type === 'DELETED') this.remove(namespace, entry, name);
  }
}
