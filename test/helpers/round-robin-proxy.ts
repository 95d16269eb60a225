/**
 * A small round-robin HTTP load balancer on loopback, standing in for a Kubernetes Service in front of
 * replicas: each request goes to the next upstream; an upstream that refuses the connection (a killed
 * replica) is skipped, as a Service drops a pod that fails its probes. Bodies are buffered (MCP POSTs are
 * small) so a refused request can be sent to the next upstream; responses (SSE included) are streamed.
 * Every request is recorded with its JSON-RPC method(s) and the upstream that answered.
 */
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProxiedRequest {
  method: string;
  path: string;
  /** JSON-RPC methods in the body (empty for GET/DELETE). */
  rpc: string[];
  /** Index of the upstream that answered; -1 when none could. */
  upstream: number;
  status: number;
}

export interface RoundRobinProxy {
  readonly url: string;
  readonly log: ProxiedRequest[];
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function rpcMethods(body: Buffer): string[] {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as unknown;
    const messages = Array.isArray(parsed) ? parsed : [parsed];
    return messages.map((m) => (m as { method?: unknown }).method).map((m) => (typeof m === 'string' ? m : 'response'));
  } catch {
    return [];
  }
}

export async function startRoundRobinProxy(upstreams: string[]): Promise<RoundRobinProxy> {
  const log: ProxiedRequest[] = [];
  let next = 0;
  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const entry: ProxiedRequest = { method: req.method ?? 'GET', path: req.url ?? '/', rpc: rpcMethods(body), upstream: -1, status: 502 };
      log.push(entry);
      const start = next;
      next = (next + 1) % upstreams.length;
      for (let attempt = 0; attempt < upstreams.length; attempt++) {
        const index = (start + attempt) % upstreams.length;
        const target = new URL(req.url ?? '/', upstreams[index]);
        const sent = await new Promise<boolean>((resolve) => {
          const headers = { ...req.headers, host: target.host };
          // A fresh connection per request: a killed replica then refuses cleanly instead of resetting a kept-alive socket.
          const out = request(target, { method: req.method, headers, agent: false }, (upstreamRes) => {
            entry.upstream = index;
            entry.status = upstreamRes.statusCode ?? 502;
            res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
            upstreamRes.pipe(res);
            res.on('close', () => upstreamRes.destroy());
            resolve(true);
          });
          out.on('error', (error: NodeJS.ErrnoException) => {
            // Refused: nothing reached the replica (it is gone), so the next one may take the request.
            if (entry.upstream === -1 && error.code === 'ECONNREFUSED') resolve(false);
            else if (entry.upstream === -1) {
              res.writeHead(502, { 'content-type': 'text/plain' }).end(`upstream failed: ${error.code ?? error.message}`);
              resolve(true);
            } else res.destroy();
          });
          out.end(body);
        });
        if (sent) return;
      }
      res.writeHead(502, { 'content-type': 'text/plain' }).end('no upstream answered');
    })().catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
