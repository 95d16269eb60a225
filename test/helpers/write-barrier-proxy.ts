/**
 * A plain-HTTP forwarding proxy on loopback in front of a backend's API server (the sandbox's http, or the
 * kube control plane's https with its CA), for races that must happen every time rather than now and then:
 * `hold` keeps the matching requests (e.g. the writes of concurrent tool calls) that arrive until `max` are
 * held or none has arrived for `quietMs`, then sends them all upstream at once — so every caller has read
 * before any of them writes. Requests pass through unchanged otherwise (the caller's bearer token included);
 * responses, watch streams too, are streamed back.
 */
import { Agent as HttpAgent, createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { buildKubeconfig } from '../../src/sandbox/apiserver/kubeconfig.js';
import { scaled } from './until.js';

export interface WriteBarrierProxy {
  /** A kubeconfig pointing at the proxy, with the upstream kubeconfig's bearer token. */
  readonly kubeconfig: string;
  /**
   * Holds the requests `matches` selects from now on until `max` are held or `quietMs` passed without a
   * new one (`firstWithinMs`, default 10 s, for the first), then releases them together; resolves with how
   * many were held. Both windows are a quiet machine's, scaled by the kit's timeScale() (under load the callers'
   * writes arrive further apart: an unscaled 300 ms released a round with one write held at load 20).
   */
  hold(
    matches: (method: string, path: string) => boolean,
    options: { max: number; quietMs: number; firstWithinMs?: number },
  ): Promise<number>;
  close(): Promise<void>;
}

interface Barrier {
  matches: (method: string, path: string) => boolean;
  max: number;
  quietMs: number;
  held: (() => void)[];
  timer: NodeJS.Timeout | undefined;
  done: (count: number) => void;
}

export async function startWriteBarrierProxy(upstreamKubeconfig: string): Promise<WriteBarrierProxy> {
  const kc = new KubeConfig();
  kc.loadFromString(upstreamKubeconfig);
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('the upstream kubeconfig has no current cluster');
  const upstream = new URL(cluster.server);
  const secure = upstream.protocol === 'https:';
  const ca = cluster.caData ? Buffer.from(cluster.caData, 'base64') : undefined;
  const agent = secure ? new HttpsAgent({ keepAlive: true, ...(ca ? { ca } : {}) }) : new HttpAgent({ keepAlive: true });
  let barrier: Barrier | undefined;

  const release = (b: Barrier): void => {
    if (b.timer) clearTimeout(b.timer);
    if (barrier === b) barrier = undefined;
    for (const go of b.held) go();
    b.done(b.held.length);
  };

  const forward = (req: IncomingMessage, res: ServerResponse, body: Buffer): void => {
    const send = secure ? httpsRequest : httpRequest;
    const up = send(
      {
        protocol: upstream.protocol,
        hostname: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: upstream.host },
        agent,
      },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      },
    );
    up.on('error', () => {
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    });
    res.on('close', () => up.destroy());
    up.end(body);
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const path = (req.url ?? '').split('?')[0] ?? '';
      const b = barrier;
      if (b && b.matches(req.method ?? 'GET', path)) {
        b.held.push(() => forward(req, res, body));
        if (b.timer) clearTimeout(b.timer);
        if (b.held.length >= b.max) release(b);
        else b.timer = setTimeout(() => release(b), b.quietMs);
        return;
      }
      forward(req, res, body);
    });
  });
  // As the sandbox's API server (apiserver/server.ts): a keep-alive timeout well beyond the clients' idle reuse, so
  // the product's pooled socket is never closed by the proxy just as it is reused (a GET answered ECONNRESET at load 14).
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const token = kc.getCurrentUser()?.token;

  return {
    kubeconfig: buildKubeconfig({ url, ...(token ? { token } : {}) }),
    hold: (matches, options) =>
      new Promise<number>((resolve) => {
        if (barrier) release(barrier);
        const b: Barrier = { matches, max: options.max, quietMs: scaled(options.quietMs), held: [], timer: undefined, done: resolve };
        // Nothing arrives at all: released (empty) in the end.
        b.timer = setTimeout(() => release(b), scaled(options.firstWithinMs ?? 10_000));
        barrier = b;
      }),
    close: async () => {
      if (barrier) release(barrier);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}
