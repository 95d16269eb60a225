/**
 * The `serve` HTTP app: Host/Origin checks, then routes — /healthz, /readyz, /metrics, RFC 9728
 * metadata, and /mcp behind the auth gate. Graceful shutdown stops accepting, tells waiting calls to
 * answer with their current state, lets in-flight /mcp calls finish (bounded), then closes every session.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { packageVersion } from '../config/package.js';
import { pingApi } from '../kube/client.js';
import { stopRunningCalls } from '../mcp/tools/run.js';
import { beginShutdown } from '../runtime/runtime.js';
import { observeHttpRequest } from '../observability/server-metrics.js';
import type { Runtime } from '../runtime/types.js';
import { type AuthDecision, createAuthGate } from './auth.js';
import { createMcpEndpoint, sendJsonRpcError } from './mcp-endpoint.js';
import { ConfigError } from '../config/errors.js';
import { clip } from '../errors.js';
import { createOidcVerifier } from './oidc.js';
import { createHostPolicy, type HostPolicy } from './origin.js';

/** How long the answers to calls stopped at the end of the grace get to reach their clients. */
const ANSWER_FLUSH_MS = 2000;

export const PROTECTED_RESOURCE_PATH = '/.well-known/oauth-protected-resource';

export interface HttpAppOptions {
  runtime: Runtime;
  /** Held here only; never logged. */
  devBearerToken: string | undefined;
  stateless: boolean;
  /** Budget for the Kubernetes ping behind /readyz. */
  readyTimeoutMs?: number;
}

export interface HttpApp {
  readonly server: Server;
  /** Binds LISTEN_ADDR (port 0 = free port) and returns the bound address. */
  listen(): Promise<{ host: string; port: number }>;
  /** Stops accepting, waits for in-flight /mcp calls up to `graceMs`, then closes everything. */
  shutdown(graceMs?: number): Promise<void>;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function baseUrl(req: IncomingMessage): string {
  const proto = req.headers['x-forwarded-proto'] === 'https' ? 'https' : 'http';
  return `${proto}://${req.headers.host ?? 'localhost'}`;
}

function quote(value: string): string {
  return `"${value.replace(/["\\]/g, '')}"`;
}

export function createHttpApp(options: HttpAppOptions): HttpApp {
  const { runtime } = options;
  const { settings, logger } = runtime;
  const oidc =
    settings.authMode === 'OIDC_REQUIRED' && settings.oidcIssuerUrl
      ? createOidcVerifier(settings.oidcIssuerUrl, settings.oidcAudience)
      : undefined;
  const gate = createAuthGate({ settings, devBearerToken: options.devBearerToken, oidc });
  const endpoint = createMcpEndpoint(runtime, { stateless: options.stateless });
  const version = packageVersion();
  let hostPolicy: HostPolicy = createHostPolicy(settings.listenAddr.host, settings.listenAddr.port);
  let inFlight = 0;
  let draining = false;
  let drained: (() => void) | undefined;

  function challenge(req: IncomingMessage, decision: Extract<AuthDecision, { ok: false }>): Record<string, string> {
    const parts = ['realm="k0rdent-mcp"'];
    if (req.headers.authorization !== undefined) {
      parts.push(`error=${quote(decision.error)}`, `error_description=${quote(decision.description)}`);
    }
    if (oidc) parts.push(`resource_metadata=${quote(baseUrl(req) + PROTECTED_RESOURCE_PATH)}`);
    return { 'www-authenticate': `Bearer ${parts.join(', ')}` };
  }

  async function handleMcp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const decision = await gate(req);
    if (!decision.ok) {
      logger.info({ status: decision.status, reason: decision.error, method: req.method }, 'MCP request refused by the auth gate');
      const headers = decision.status === 401 ? challenge(req, decision) : {};
      sendJsonRpcError(
        res,
        decision.status,
        -32001,
        `${decision.status === 401 ? 'Unauthorized' : 'Refused'}: ${decision.description}`,
        headers,
      );
      return;
    }
    await endpoint.handle(req, res, decision.bearerToken);
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    const refusal = hostPolicy.check(req);
    if (refusal) {
      logger.warn({ path: clip(path), status: refusal.status }, `request refused: ${refusal.reason}`);
      sendJson(res, refusal.status, { error: 'forbidden', message: refusal.reason });
      return;
    }
    if (path === '/mcp') {
      if (draining) {
        sendJsonRpcError(res, 503, -32000, 'server is shutting down', { connection: 'close' });
        return;
      }
      // Only POSTs carry calls; a GET is the long-lived notification stream and must not hold shutdown.
      if (req.method === 'POST') {
        inFlight++;
        res.on('close', () => {
          inFlight--;
          if (draining && inFlight === 0) drained?.();
        });
      }
      await handleMcp(req, res);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendJson(res, 405, { error: 'method not allowed' }, { allow: 'GET' });
      return;
    }
    switch (path) {
      case '/healthz':
        sendJson(res, 200, { status: 'ok', version });
        return;
      case '/readyz': {
        const ping = await pingApi(runtime.kube.base(), options.readyTimeoutMs ?? 2500);
        if (!ping.ok) logger.warn({ error: ping.error }, 'readiness: Kubernetes API unreachable');
        sendJson(
          res,
          ping.ok ? 200 : 503,
          ping.ok
            ? { status: 'ready', version, kubernetes: { version: ping.version } }
            : { status: 'unavailable', version, kubernetes: { error: ping.error } },
        );
        return;
      }
      case '/metrics': {
        const text = await runtime.metrics.metrics();
        res.writeHead(200, { 'content-type': runtime.metrics.contentType });
        res.end(text);
        return;
      }
      case PROTECTED_RESOURCE_PATH:
      case `${PROTECTED_RESOURCE_PATH}/mcp`:
        if (!settings.oidcIssuerUrl) break;
        sendJson(res, 200, {
          resource: `${baseUrl(req)}/mcp`,
          authorization_servers: [settings.oidcIssuerUrl],
          bearer_methods_supported: ['header'],
          resource_name: 'k0rdent MCP Server',
        });
        return;
      default:
        break;
    }
    sendJson(res, 404, { error: 'not found', endpoints: ['/mcp', '/healthz', '/readyz', '/metrics'] });
  }

  // A request (headers + body) must arrive within HTTP_REQUEST_TIMEOUT and its headers within
  // HTTP_HEADERS_TIMEOUT: a stalled body is cut (408). Responses are not bounded (SSE streams live long).
  // The check runs every second, so the cut comes at most a second late.
  const server = createServer(
    { requestTimeout: settings.httpRequestTimeoutMs, headersTimeout: settings.httpHeadersTimeoutMs, connectionsCheckingInterval: 1000 },
    (req, res) => {
      const started = process.hrtime.bigint();
      res.on('finish', () => {
        const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
        logger.debug(
          {
            method: req.method,
            path: clip((req.url ?? '/').split('?')[0] ?? '/'),
            status: res.statusCode,
            durationMs: Math.round(durationMs),
          },
          'HTTP request',
        );
      });
      // 'close' also ends a response the client dropped (an SSE stream, say); it is counted with the status it had.
      res.on('close', () => observeHttpRequest(runtime.metrics, (req.url ?? '/').split('?')[0]!, res.statusCode));
      route(req, res).catch((error: unknown) => {
        logger.error({ err: error instanceof Error ? { message: error.message, name: error.name } : String(error) }, 'HTTP request failed');
        if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
        else res.destroy();
      });
    },
  );
  // One more connection than HTTP_MAX_CONNECTIONS is closed at once (the event is logged).
  server.maxConnections = settings.httpMaxConnections;
  server.on('drop', (data: { remoteAddress?: string } | undefined) =>
    logger.warn(
      { remoteAddress: data?.remoteAddress, maxConnections: settings.httpMaxConnections },
      'connection refused: HTTP_MAX_CONNECTIONS reached',
    ),
  );

  return {
    server,
    async listen() {
      if (oidc) {
        // OIDC_ISSUER_URL must be the issuer its discovery document names; an unreachable issuer is only
        // logged (verification retries discovery per request, and answers 503 meanwhile).
        const check = await oidc.checkDiscovery();
        if (!check.ok && check.mismatch) throw new ConfigError('OIDC_ISSUER_URL', check.reason);
        if (!check.ok)
          logger.warn(
            { oidcIssuerUrl: settings.oidcIssuerUrl, error: check.reason },
            'OIDC discovery failed at startup; tokens are refused until the issuer answers',
          );
      }
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(settings.listenAddr.port, settings.listenAddr.host, () => {
          server.off('error', reject);
          const address = server.address() as AddressInfo;
          hostPolicy = createHostPolicy(settings.listenAddr.host, address.port);
          resolve({ host: settings.listenAddr.host, port: address.port });
        });
      });
    },
    async shutdown(graceMs = 10_000) {
      draining = true;
      // Waiting calls answer now with their current state (interrupted: true), within the grace period.
      beginShutdown(runtime);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const drain = async (ms: number): Promise<void> => {
        if (inFlight === 0) return;
        await Promise.race([
          new Promise<void>((resolve) => (drained = resolve)),
          new Promise<void>((resolve) => setTimeout(resolve, ms).unref()),
        ]);
      };
      if (inFlight > 0) {
        logger.info({ inFlight }, 'waiting for in-flight MCP calls');
        await drain(graceMs);
      }
      // Past the grace, every call still running is answered with an error result (the server stopped, and
      // whether it may have written), and those answers get a moment to reach their clients.
      const stopped = stopRunningCalls(runtime);
      if (stopped > 0) {
        logger.warn({ calls: stopped, graceMs }, 'shutdown grace over: answering the calls still running with an error result');
        await drain(ANSWER_FLUSH_MS);
      }
      await endpoint.closeAll();
      server.closeAllConnections();
      await closed;
    },
  };
}
