/**
 * watch=true: newline-delimited JSON events. resourceVersion unset/"0" starts with synthetic ADDED events
 * for the current state; an RV replays every later event from the store's history (no loss), then live
 * events; an RV older than the history gets an ERROR event carrying a 410 Expired Status.
 */
import type { Faults } from './faults.js';
import { expired } from './errors.js';
import type { RequestContext } from './http.js';
import type { ResourceDef } from './resources.js';
import type { MemoryStore } from './store.js';
import type { KubeObject, StoreEvent } from './types.js';
import { badRequest } from './errors.js';

export interface WatchRequest {
  def: ResourceDef;
  namespace?: string;
  matches: (obj: KubeObject) => boolean;
  resourceVersion?: string;
  timeoutSeconds?: number;
  allowBookmarks: boolean;
  /** Renders event objects (Table watches); default: the object itself. */
  render?: (obj: KubeObject) => unknown;
}

export function startWatch(ctx: RequestContext, store: MemoryStore, faults: Faults, w: WatchRequest): void {
  const { res } = ctx;
  const inScope = (obj: KubeObject): boolean => (w.namespace === undefined || obj.metadata.namespace === w.namespace) && w.matches(obj);

  let since: number | undefined;
  if (w.resourceVersion !== undefined && w.resourceVersion !== '' && w.resourceVersion !== '0') {
    if (!/^\d+$/.test(w.resourceVersion)) throw badRequest(`invalid resource version: ${w.resourceVersion}`);
    since = Number(w.resourceVersion);
  }

  res.statusCode = 200;
  res.setHeader('Content-Type', 'application/json');
  res.setHeader('Cache-Control', 'no-cache, private');
  res.setHeader('Transfer-Encoding', 'chunked');
  res.flushHeaders();

  const render = w.render ?? ((obj: KubeObject): unknown => obj);
  const sendRaw = (type: string, object: unknown): void => {
    if (!res.writableEnded) res.write(JSON.stringify({ type, object }) + '\n');
  };
  const send = (type: string, object: KubeObject): void => sendRaw(type, render(object));

  const translate = (persisted: StoreEvent): void => {
    // A view (events.k8s.io/v1 Events) sees its storage's events, converted.
    const event = store.eventFor(w.def, persisted);
    if (!event) return;
    const now = inScope(event.object);
    const before = event.oldObject ? inScope(event.oldObject) : false;
    if (event.type === 'ADDED') {
      if (now) send('ADDED', event.object);
    } else if (event.type === 'MODIFIED') {
      if (now && before) send('MODIFIED', event.object);
      else if (now) send('ADDED', event.object);
      else if (before) send('DELETED', event.object);
    } else if (now || before) {
      send('DELETED', event.object);
    }
  };

  if (since === undefined) {
    for (const obj of store.peekList(w.def, w.namespace)) if (w.matches(obj)) send('ADDED', obj);
  } else {
    const history = store.eventsSince(since);
    if (!history) {
      const err = expired(`too old resource version: ${since} (${store.oldestResumableVersion() + 1})`);
      sendRaw('ERROR', err.toStatus());
      res.end();
      return;
    }
    for (const entry of history) translate(entry.event);
  }

  let timer: NodeJS.Timeout | undefined;
  let bookmarkTimer: NodeJS.Timeout | undefined;
  const unsubscribe = store.subscribe(translate);
  const end = (): void => {
    cleanup();
    if (!res.writableEnded) res.end();
  };
  const untrack = faults.trackWatch(end);
  const cleanup = (): void => {
    unsubscribe();
    untrack();
    if (timer) clearTimeout(timer);
    if (bookmarkTimer) clearInterval(bookmarkTimer);
  };
  res.on('close', cleanup);
  if (w.timeoutSeconds !== undefined && w.timeoutSeconds > 0) {
    timer = setTimeout(end, w.timeoutSeconds * 1000);
    timer.unref();
  }
  if (w.allowBookmarks) {
    bookmarkTimer = setInterval(() => {
      sendRaw('BOOKMARK', { kind: w.def.kind, apiVersion: w.def.group ? `${w.def.group}/${w.def.version}` : w.def.version, metadata: { resourceVersion: store.currentResourceVersion() } });
    }, 30_000);
    bookmarkTimer.unref();
  }
}
