/**
 * A recorded watch: every event of a resource (optionally one namespace, one field or label selector) from the
 * moment `recordWatch` resolves, kept in order. Transient states — a phase that lasts under a second, a
 * condition kcm sets and clears in one reconcile — are asserted on what the watch saw, never by polling for them
 * (a poll on a loaded machine misses them). Works on every backend: it only needs a kubeconfig that may watch.
 */
import { Watch } from '@kubernetes/client-node';
import type { KubeObject, ResourceKey } from '../../src/sandbox/apiserver/types.js';
import { resourcePath } from '../../src/sandbox/kube/rest.js';
import { sandboxKubeConfig } from './clusters-harness.js';
import { until, type UntilOptions } from './until.js';

export interface WatchEvent<T extends KubeObject = KubeObject> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

export interface RecordedWatch<T extends KubeObject = KubeObject> {
  /** Every event so far, in order. */
  readonly events: readonly WatchEvent<T>[];
  /** The objects of the events so far, optionally only those named `name`. */
  objects(name?: string): T[];
  /** The first event (from the start) that `match` accepts; waits for it within the scaled window. */
  seen(what: string, match: (event: WatchEvent<T>) => boolean, options?: UntilOptions): Promise<WatchEvent<T>>;
  /** Set when the server ended the watch (or it failed); the recorder does not re-open it. */
  readonly ended: Error | 'closed' | undefined;
  stop(): void;
}

export interface WatchScope {
  namespace?: string;
  fieldSelector?: string;
  labelSelector?: string;
  /** Start after this resourceVersion (a marker) instead of with the current objects as ADDED. */
  resourceVersion?: string;
}

/** Opens the watch (resolves once the server answered with its headers) and records it until `stop()`. */
export async function recordWatch<T extends KubeObject = KubeObject>(
  target: { kubeconfig: string } | { adminKubeconfig: string },
  resource: ResourceKey,
  scope: WatchScope = {},
): Promise<RecordedWatch<T>> {
  const kubeconfig = 'adminKubeconfig' in target ? target.adminKubeconfig : target.kubeconfig;
  const events: WatchEvent<T>[] = [];
  let ended: Error | 'closed' | undefined;
  const query: Record<string, string | boolean> = { allowWatchBookmarks: false };
  if (scope.fieldSelector !== undefined) query['fieldSelector'] = scope.fieldSelector;
  if (scope.labelSelector !== undefined) query['labelSelector'] = scope.labelSelector;
  if (scope.resourceVersion !== undefined) query['resourceVersion'] = scope.resourceVersion;
  const request = await new Watch(sandboxKubeConfig({ kubeconfig })).watch(
    resourcePath(resource, scope.namespace),
    query,
    (type: string, object: T) => {
      events.push({ type: type as WatchEvent['type'], object });
    },
    (error: unknown) => {
      ended = error instanceof Error ? error : 'closed';
    },
  );
  return {
    events,
    objects: (name) => events.map((e) => e.object).filter((o) => name === undefined || o.metadata.name === name),
    seen: (what, match, options) => until(`the watch to see ${what}`, () => events.find(match), options),
    get ended() {
      return ended;
    },
    stop: () => request.abort(),
  };
}
