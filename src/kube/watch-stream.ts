/**
 * One Kubernetes watch request (`?watch=true`), read line by line, with a deadline for opening: the
 * response headers must arrive within `openTimeoutMs`, or the request is aborted and `onClose` gets a
 * timeout error (client-node's Watch waits for headers forever). Uses the KubeConfig's own request options
 * (agent, CA, client certificate, bearer token), as client-node's Watch does, and ends on the response's
 * `close` as well as `end` (on Node 20 a dropped connection may only emit `close`).
 */
import http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { requestDeadline } from './deadline.js';

export interface WatchStreamHandlers {
  /** Each JSON line of the stream, parsed (unparseable lines are skipped, as client-node does). */
  onEvent(type: string, object: unknown): void;
  /** Once: null for a clean end, else the failure (an Error with `statusCode` for a non-200 answer). */
  onClose(error: Error | null): void;
  /** Once, when the answer's status is known (for request counting). */
  onStatus?(status: number | 'error'): void;
}

export interface WatchStream {
  abort(): void;
}

export async function openWatchStream(
  kc: KubeConfig,
  path: string,
  query: Record<string, string | boolean | undefined>,
  openTimeoutMs: number,
  handlers: WatchStreamHandlers,
): Promise<WatchStream> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('No currently active cluster');
  const url = new URL(cluster.server + path);
  url.searchParams.set('watch', 'true');
  for (const [key, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(key, String(value));
  const init = await kc.applyToFetchOptions({});
  const headers: Record<string, string> = {};
  (init.headers as Headers | undefined)?.forEach((value, key) => (headers[key] = value));
  const deadline = requestDeadline(undefined, openTimeoutMs, `opening the watch ${url.pathname}`);
  let done = false;
  let statusKnown = false;
  const status = (value: number | 'error'): void => {
    if (statusKnown) return;
    statusKnown = true;
    handlers.onStatus?.(value);
  };
  const finish = (error: Error | null): void => {
    if (done) return;
    done = true;
    deadline.dispose();
    status('error');
    request.destroy();
    handlers.onClose(error);
  };
  const transport = url.protocol === 'https:' ? https : http;
  const request = transport.request(url, { method: 'GET', headers, agent: init.agent as http.Agent | undefined, signal: deadline.signal });
  request.on('error', (error) =>
    finish(deadline.signal.aborted && deadline.signal.reason instanceof Error ? deadline.signal.reason : error),
  );
  request.on('response', (response) => {
    // Open: from here the wait's watchdog, not a request deadline, bounds a silent stream.
    deadline.dispose();
    const code = response.statusCode ?? 0;
    status(code);
    if (code !== 200) {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body = (body + chunk).slice(0, 64 * 1024)));
      const fail = (): void => {
        const error = Object.assign(new Error(response.statusMessage || http.STATUS_CODES[code] || 'watch failed'), {
          statusCode: code,
          body,
        });
        finish(error);
      };
      response.on('end', fail);
      response.on('close', fail);
      return;
    }
    let buffer = '';
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => {
      buffer += chunk;
      let newline = buffer.indexOf('\n');
      while (newline >= 0) {
        const line = buffer.slice(0, newline).trim();
        buffer = buffer.slice(newline + 1);
        if (line !== '' && !done) {
          try {
            const event = JSON.parse(line) as { type?: unknown; object?: unknown };
            if (typeof event.type === 'string') handlers.onEvent(event.type, event.object);
          } catch {
            // not a JSON line
          }
        }
        newline = buffer.indexOf('\n');
      }
    });
    response.on('error', (error) => finish(error));
    response.on('end', () => finish(null));
    response.on('close', () => finish(null));
  });
  request.end();
  return {
    abort: () => {
      if (done) return;
      done = true;
      deadline.dispose();
      request.destroy();
    },
  };
}
