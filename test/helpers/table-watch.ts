/**
 * A streaming Table watch (what `kubectl get -w` opens, `Accept: application/json;as=Table;v=v1;g=meta.k8s.io`)
 * read until its initial-events-end bookmark: a watch list (`sendInitialEvents=true`, `allowWatchBookmarks=true`,
 * `resourceVersionMatch=NotOlderThan`; KEP-3157) sends the current objects as ADDED, then a BOOKMARK annotated
 * `k8s.io/initial-events-end: "true"`. client-node's Watch cannot ask for a Table, so this reads the chunked
 * body itself, one JSON event a line. The request is closed as soon as the bookmark came (or on the timeout).
 */
import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';

export const TABLE_ACCEPT = 'application/json;as=Table;v=v1;g=meta.k8s.io';
export const INITIAL_EVENTS_END = 'k8s.io/initial-events-end';

export interface TableWatchEvent {
  type: string;
  object: Record<string, unknown>;
}

/** True when the event is the bookmark that ends the initial events, in either form: a bare object or a Table row's. */
export function isInitialEventsEnd(event: TableWatchEvent): boolean {
  if (event.type !== 'BOOKMARK') return false;
  const annotationsOf = (o: unknown): Record<string, string> =>
    (o as { metadata?: { annotations?: Record<string, string> } } | undefined)?.metadata?.annotations ?? {};
  if (annotationsOf(event.object)[INITIAL_EVENTS_END] === 'true') return true;
  const rows = (event.object['rows'] as { object?: unknown }[] | undefined) ?? [];
  return rows.some((r) => annotationsOf(r.object)[INITIAL_EVENTS_END] === 'true');
}

/** The events of a Table watch list on `path` (a collection), up to and including the initial-events-end bookmark. */
export async function tableWatchUntilInitialEnd(kubeconfig: string, path: string, timeoutMs = 30_000): Promise<TableWatchEvent[]> {
  const kc = new KubeConfig();
  kc.loadFromString(kubeconfig);
  const server = kc.getCurrentCluster()?.server.replace(/\/$/, '');
  if (!server) throw new Error('kubeconfig has no current cluster');
  const url = new URL(server + path);
  for (const [k, v] of Object.entries({
    watch: 'true',
    sendInitialEvents: 'true',
    allowWatchBookmarks: 'true',
    resourceVersionMatch: 'NotOlderThan',
  }))
    url.searchParams.set(k, v);
  const options: RequestOptions = { method: 'GET', headers: { Accept: TABLE_ACCEPT } };
  await kc.applyToHTTPSOptions(options);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<TableWatchEvent[]>((resolve, reject) => {
    const events: TableWatchEvent[] = [];
    let buffered = '';
    let settled = false;
    const finish = (err?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      if (err) reject(err);
      else resolve(events);
    };
    const timer = setTimeout(
      () =>
        finish(new Error(`${path}: no initial-events-end bookmark in ${timeoutMs} ms; saw ${JSON.stringify(events.map((e) => e.type))}`)),
      timeoutMs,
    );
    const req = send(url, options, (res) => {
      if ((res.statusCode ?? 0) >= 300) {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString('utf8')));
        res.on('end', () => finish(new Error(`${path}: ${res.statusCode ?? 0} ${body}`)));
        return;
      }
      res.on('data', (chunk: Buffer) => {
        buffered += chunk.toString('utf8');
        let newline: number;
        while ((newline = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, newline).trim();
          buffered = buffered.slice(newline + 1);
          if (line === '') continue;
          const event = JSON.parse(line) as TableWatchEvent;
          events.push(event);
          if (isInitialEventsEnd(event)) return finish();
        }
      });
      res.on('error', (err) => finish(err));
      res.on('end', () => finish(new Error(`${path}: the watch ended before the initial-events-end bookmark`)));
    });
    req.on('error', (err) => finish(err));
    req.end();
  });
}
