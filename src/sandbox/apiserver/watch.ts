/**
 * watch=true: newline-delimited JSON events. resourceVersion unset/"0" starts with synthetic ADDED events
 * for the current state; an RV replays every later event from the store's history (no loss), then live
 * events; an RV older than the history gets an ERROR event carrying a 410 Expired Status.
 * Watch-list (`sendInitialEvents`, kube-apiserver v1.34 with its WatchList feature on by default): the
 * initial ADDED events end with a BOOKMARK annotated `k8s.io/initial-events-end: "true"` when bookmarks
 * are allowed (k8s.io/apiserver pkg/storage/cacher/cacher.go setInitialEventsEndBookmarkIfRequested). A
 * watch from RV ""/"0" without sendInitialEvents is one (SetListOptionsDefaults,
 * k8s.io/apimachinery pkg/apis/meta/internalversion/defaults.go), so it gets the bookmark too.
 */
import type { Faults } from './faults.js';
import { ApiError, expired, type StatusCause } from './errors.js';
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
  /** From listOptions(): true = initial events (+ the end bookmark), false = none, undefined = legacy RV semantics. */
  sendInitialEvents?: boolean;
}

/** A bool query parameter as apimachinery converts it (pkg/runtime/conversion.go: only "0" and "false" are false). */
function queryBool(value: string | null): boolean | undefined {
  if (value === null) return undefined;
  return !(value === '0' || value.toLowerCase() === 'false');
}

/**
 * ListOptions checked as kube-apiserver checks them before a list or watch (k8s.io/apiserver
 * pkg/endpoints/handlers/get.go ListResource: SetListOptionsDefaults, then ValidateListOptions from
 * k8s.io/apimachinery pkg/apis/meta/internalversion/validation/validation.go, WatchList enabled): 422 Invalid
 * `ListOptions.meta.k8s.io "" is invalid: ...`. Returns sendInitialEvents after defaulting.
 */
export function listOptions(query: URLSearchParams, watch: boolean): { sendInitialEvents: boolean | undefined } {
  let sendInitialEvents = queryBool(query.get('sendInitialEvents'));
  let match = query.get('resourceVersionMatch') ?? '';
  const rv = query.get('resourceVersion') ?? '';
  const cont = query.get('continue') ?? '';
  if (watch && sendInitialEvents === undefined && match === '' && (rv === '' || rv === '0')) {
    sendInitialEvents = true;
    match = 'NotOlderThan';
  }
  const errs: { field: string; reason: string; message: string }[] = [];
  const forbidden = (field: string, message: string): void =>
    void errs.push({ field, reason: 'FieldValueForbidden', message: `Forbidden: ${message}` });
  const notSupported = (value: string, supported: string[]): void =>
    void errs.push({
      field: 'resourceVersionMatch',
      reason: 'FieldValueNotSupported',
      message: `Unsupported value: ${JSON.stringify(value)}: supported values: ${supported.map((v) => JSON.stringify(v)).join(', ')}`,
    });
  if (watch) {
    if (sendInitialEvents !== undefined && match !== 'NotOlderThan')
      forbidden('resourceVersionMatch', 'sendInitialEvents requires setting resourceVersionMatch to NotOlderThan');
    if (match !== '') {
      if (sendInitialEvents === undefined)
        forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided');
      if (match !== 'NotOlderThan') notSupported(match, ['NotOlderThan']);
      if (cont !== '') forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided');
    }
  } else {
    if (match !== '') {
      if (rv === '') forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden unless resourceVersion is provided');
      if (cont !== '') forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided');
      if (match !== 'Exact' && match !== 'NotOlderThan') notSupported(match, ['Exact', 'NotOlderThan', '']);
      if (match === 'Exact' && rv === '0')
        forbidden('resourceVersionMatch', 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"');
    }
    if (sendInitialEvents !== undefined) forbidden('sendInitialEvents', 'sendInitialEvents is forbidden for list');
  }
  if (errs.length > 0) {
    // field.ErrorList.ToAggregate: one error as is, several in brackets (k8s.io/apimachinery pkg/api/errors NewInvalid).
    const texts = errs.map((e) => `${e.field}: ${e.message}`);
    const causes: StatusCause[] = errs.map((e) => ({ reason: e.reason, message: e.message, field: e.field }));
    throw new ApiError(
      422,
      'Invalid',
      `ListOptions.meta.k8s.io "" is invalid: ${texts.length === 1 ? texts[0]! : `[${texts.join(', ')}]`}`,
      { group: 'meta.k8s.io', kind: 'ListOptions', causes },
    );
  }
  return { sendInitialEvents };
}

export function startWatch(ctx: RequestContext, store: MemoryStore, faults: Faults, w: WatchRequest): void {
  const { res } = ctx;
  const inScope = (obj: KubeObject): boolean => (w.namespace === undefined || obj.metadata.namespace === w.namespace) && w.matches(obj);

  let since: number | undefined;
  if (w.resourceVersion !== undefined && w.resourceVersion !== '' && w.resourceVersion !== '0') {
    if (!/^\d+$/.test(w.resourceVersion)) throw badRequest(`invalid resource version: ${w.resourceVersion}`);
    since = Number(w.resourceVersion);
  }
  // sendInitialEvents=true: the current state whatever the RV (NotOlderThan: the store is always current);
  // false: no initial events — from the RV's history when one is given, else from now.
  const initial = w.sendInitialEvents === true || (w.sendInitialEvents === undefined && since === undefined);
  if (w.sendInitialEvents !== undefined && !(w.sendInitialEvents === false && since !== undefined)) since = undefined;

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

  if (initial) {
    for (const obj of store.peekList(w.def, w.namespace)) if (w.matches(obj)) send('ADDED', obj);
    if (w.sendInitialEvents === true && w.allowBookmarks) {
      sendRaw('BOOKMARK', {
        kind: w.def.kind,
        apiVersion: w.def.group ? `${w.def.group}/${w.def.version}` : w.def.version,
        metadata: { resourceVersion: store.currentResourceVersion(), annotations: { 'k8s.io/initial-events-end': 'true' } },
      });
    }
  } else if (since !== undefined) {
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
      sendRaw('BOOKMARK', {
        kind: w.def.kind,
        apiVersion: w.def.group ? `${w.def.group}/${w.def.version}` : w.def.version,
        metadata: { resourceVersion: store.currentResourceVersion() },
      });
    }, 30_000);
    bookmarkTimer.unref();
  }
}
