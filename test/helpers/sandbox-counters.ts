/**
 * The sandbox API server's own counters, read from its /metrics: requests by verb/resource/code and TCP
 * connections accepted. Each read uses a fresh connection (no agent), so it adds exactly one accepted
 * connection; `delta` takes it off. Request counts cover resource requests only (non-resource paths
 * such as /metrics, /version and discovery have an empty resource label and are left out).
 */
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';

export interface RequestCount {
  verb: string;
  resource: string;
  code: string;
  value: number;
}

export interface SandboxCounters {
  requests: RequestCount[];
  connections: number;
}

function scrape(url: string): Promise<string> {
  const get = url.startsWith('https:') ? httpsGet : httpGet;
  return new Promise((resolve, reject) => {
    get(`${url}/metrics`, { agent: false, headers: { connection: 'close' }, rejectUnauthorized: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

export async function sandboxCounters(sandboxUrl: string): Promise<SandboxCounters> {
  const text = await scrape(sandboxUrl);
  const requests: RequestCount[] = [];
  let connections = 0;
  for (const line of text.split('\n')) {
    const m = /^apiserver_request_total\{verb="([^"]*)",resource="([^"]*)",code="([^"]*)"\} (\d+)/.exec(line);
    if (m) requests.push({ verb: m[1]!, resource: m[2]!, code: m[3]!, value: Number(m[4]) });
    const c = /^sandbox_connections_accepted_total (\d+)/.exec(line);
    if (c) connections = Number(c[1]);
  }
  return { requests, connections };
}

export interface CounterDelta {
  /** Resource requests between the two reads. */
  requests: (filter?: Partial<Pick<RequestCount, 'verb' | 'resource' | 'code'>>) => number;
  /** Connections accepted between the two reads, without the later read's own. */
  connections: number;
}

export function delta(before: SandboxCounters, after: SandboxCounters): CounterDelta {
  const sum = (counts: RequestCount[], filter: Partial<RequestCount>): number =>
    counts
      .filter(
        (c) =>
          c.resource !== '' &&
          (filter.verb === undefined || c.verb === filter.verb) &&
          (filter.resource === undefined || c.resource === filter.resource) &&
          (filter.code === undefined || c.code === filter.code),
      )
      .reduce((n, c) => n + c.value, 0);
  return {
    requests: (filter = {}) => sum(after.requests, filter) - sum(before.requests, filter),
    connections: after.connections - before.connections - 1,
  };
}
