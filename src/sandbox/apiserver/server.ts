/**
 * The sandbox's Kubernetes-API-compatible HTTP(S) server.
 *
 * Exported API (for src/sandbox/sandbox.ts and tests):
 *   const store = new MemoryStore();                       // ./store.ts — implements Store (./types.ts)
 *   const server = await startApiServer({ store, host: '127.0.0.1', port: 0, tls?: true, tokens?: TokenTable, log? });
 *   server.url            // http(s)://127.0.0.1:PORT
 *   server.caPem          // CA PEM when tls (put it in the kubeconfig: buildKubeconfig({ url, caPem, token }) in ./kubeconfig.ts)
 *   server.faults         // FaultInjector (../index.ts)
 *   server.registry       // ResourceRegistry: served kinds (core + data/k0rdent/crds + their CustomResourceDefinitions, read-only), find(group, version, plural)
 *   server.metrics        // private prom-client Registry behind GET /metrics (apiserver_request_total{verb,resource,code})
 *   await server.close()  // ends watches and connections; does not close the store (store.close() stops its GC timer)
 * Token tables: loadTokenTable(file) / parseTokenTable(text) in ./auth.ts — `{ users: [{ name, token, namespaces }] }`.
 * Admission: store.registerMutatingAdmission({ group, plural }, hook) — run on CREATE/UPDATE through HTTP before
 * schema/CEL validation; store.registerValidatingAdmission(...) — after it (and on DELETE); both also in dryRun.
 * Direct store writes bypass admission and validation.
 * Unauthenticated paths: /version, /healthz, /livez, /readyz, /metrics. Everything else needs a token when a
 * token table is configured. Self reviews (whoami, can-i) are answered by ./reviews.ts from the token table.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { Authenticator, ADMIN, type TokenTable } from './auth.js';
import {
  aggregatedContentType,
  aggregatedDiscovery,
  aggregatedVersion,
  apiGroup,
  apiGroupList,
  apiResourceList,
  apiVersions,
  versionInfo,
} from './discovery.js';
import { ApiError, internalError, methodNotAllowed, notFoundResource, statusBody } from './errors.js';
import { Faults } from './faults.js';
import { ResourceHandlers, type PodLogSource, type Target } from './handlers.js';
import { sendError, sendJson, sendRaw, type RequestContext } from './http.js';
import { ApiServerMetrics } from './metrics.js';
import { OpenApiV3 } from './openapi.js';
import {
  CUSTOM_RESOURCE_DEFINITIONS,
  customResourceDefinitionObjects,
  defaultRegistry,
  withCustomResourceDefinitions,
  type ResourceRegistry,
} from './resources.js';
import { handleReview, reviewResource } from './reviews.js';
import type { MemoryStore } from './store.js';
import { generateServingCerts } from './tls.js';
import { SchemaValidator } from './validation.js';

export { MemoryStore } from './store.js';
export { buildKubeconfig } from './kubeconfig.js';
export { loadTokenTable, parseTokenTable, type TokenTable } from './auth.js';

export interface ApiServerOptions {
  store: MemoryStore;
  /** Served kinds; default core + data/k0rdent/crds. */
  registry?: ResourceRegistry;
  host?: string;
  /** 0 (default) = a free port. */
  port?: number;
  tls?: boolean;
  tokens?: TokenTable;
  /** One line per request (method, path, code, user); never tokens or bodies. */
  log?: (line: string) => void;
  /** Answers `pods/{name}/log` (../pods/controller-logs.ts); without it every pod's log is empty. */
  podLogs?: PodLogSource;
}

export interface ApiServer {
  readonly url: string;
  readonly caPem?: string;
  readonly faults: Faults;
  readonly metrics: ApiServerMetrics;
  readonly registry: ResourceRegistry;
  close(): Promise<void>;
}

const PUBLIC_PATHS = new Set(['/version', '/healthz', '/livez', '/readyz', '/metrics']);

class Router {
  readonly openapi: OpenApiV3;
  readonly handlers: ResourceHandlers;

  constructor(
    readonly store: MemoryStore,
    readonly registry: ResourceRegistry,
    readonly faults: Faults,
    readonly metrics: ApiServerMetrics,
    readonly auth: Authenticator,
    readonly serverAddress: () => string,
    podLogs?: PodLogSource,
  ) {
    this.openapi = new OpenApiV3(registry);
    this.handlers = new ResourceHandlers(store, new SchemaValidator(), faults, metrics, podLogs);
  }

  async route(ctx: RequestContext): Promise<void> {
    const path = ctx.url.pathname.replace(/\/+$/, '') || '/';
    const method = ctx.req.method ?? 'GET';
    if (!PUBLIC_PATHS.has(path)) ctx.user = this.auth.authenticate(ctx.req.headers.authorization);
    const segs = path.split('/').filter((s) => s.length > 0);

    if (path === '/metrics') {
      const text = await this.metrics.registry.metrics();
      return sendRaw(ctx, 200, text, this.metrics.registry.contentType);
    }
    if (path === '/version') return sendJson(ctx, 200, versionInfo());
    if (path === '/healthz' || path === '/livez' || path === '/readyz') return sendRaw(ctx, 200, 'ok', 'text/plain; charset=utf-8');
    if (path === '/api' || path === '/apis') {
      this.onlyGet(method);
      const agg = aggregatedVersion(ctx.req.headers.accept);
      if (agg) return sendJson(ctx, 200, aggregatedDiscovery(this.registry, path === '/api', agg), aggregatedContentType(agg));
      return sendJson(ctx, 200, path === '/api' ? apiVersions(this.serverAddress()) : apiGroupList(this.registry));
    }
    if (segs[0] === 'openapi') {
      this.onlyGet(method);
      if (segs[1] === 'v3' && segs.length === 2) return sendJson(ctx, 200, this.openapi.index());
      if (segs[1] === 'v3') {
        const doc = this.openapi.document(segs.slice(2).join('/'));
        if (doc) return sendRaw(ctx, 200, doc);
      }
      throw notFoundResource();
    }
    if (segs[0] === 'api' && segs[1] === 'v1') return this.resource(ctx, '', 'v1', segs.slice(2));
    if (segs[0] === 'apis' && segs.length === 2) {
      this.onlyGet(method);
      const group = apiGroup(this.registry, segs[1]!);
      if (!group) throw notFoundResource();
      return sendJson(ctx, 200, group);
    }
    if (segs[0] === 'apis' && segs.length >= 3) {
      const review = segs.length >= 4 ? reviewResource(segs[1]!, segs[2]!, segs[3]!) : undefined;
      if (review) return handleReview(ctx, review, segs.slice(4));
      return this.resource(ctx, segs[1]!, segs[2]!, segs.slice(3));
    }
    throw notFoundResource();
  }

  private onlyGet(method: string): void {
    if (method !== 'GET' && method !== 'HEAD') throw methodNotAllowed(method);
  }

  private async resource(ctx: RequestContext, group: string, version: string, rest: string[]): Promise<void> {
    if (rest.length === 0) {
      this.onlyGet(ctx.req.method ?? 'GET');
      const list = apiResourceList(this.registry, group, version);
      if (!list) throw notFoundResource();
      return sendJson(ctx, 200, list);
    }
    const target = this.parseTarget(group, version, rest);
    if (!target) throw notFoundResource();
    return this.handlers.handle(ctx, target);
  }

  /** `[namespaces/{ns}/]{plural}[/{name}[/{subresource}]]`, including the namespaces resource itself. */
  private parseTarget(group: string, version: string, rest: string[]): Target | undefined {
    let namespace: string | undefined;
    let parts = rest;
    if (rest[0] === 'namespaces' && rest.length >= 3) {
      const maybe = this.registry.find(group, version, rest[2]!);
      if (maybe && maybe.namespaced) {
        namespace = rest[1]!;
        parts = rest.slice(2);
      }
    }
    if (parts.length > 3) return undefined;
    const def = this.registry.find(group, version, parts[0]!);
    if (!def) return undefined;
    if (namespace !== undefined && !def.namespaced) return undefined;
    const name = parts[1];
    if (def.namespaced && namespace === undefined && name !== undefined) return undefined;
    return {
      def,
      ...(namespace !== undefined ? { namespace } : {}),
      ...(name !== undefined ? { name } : {}),
      ...(parts[2] !== undefined ? { subresource: parts[2] } : {}),
    };
  }
}

/** Puts the CustomResourceDefinitions of the served custom kinds into the store (once; read-only through HTTP). */
function publishCustomResourceDefinitions(store: MemoryStore, registry: ResourceRegistry): void {
  if (!registry.get(CUSTOM_RESOURCE_DEFINITIONS)) return;
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  for (const crd of customResourceDefinitionObjects(registry, now)) {
    if (!store.peek(CUSTOM_RESOURCE_DEFINITIONS, undefined, crd.metadata.name)) store.create(CUSTOM_RESOURCE_DEFINITIONS, crd);
  }
}

/** Starts the API server; see the module comment for the exported API. */
export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const registry = withCustomResourceDefinitions(options.registry ?? defaultRegistry());
  publishCustomResourceDefinitions(options.store, registry);
  const faults = new Faults();
  const metrics = new ApiServerMetrics();
  const auth = new Authenticator(options.tokens);
  const log = options.log ?? ((): void => undefined);
  const certs = options.tls ? await generateServingCerts() : undefined;
  let url = '';
  const router = new Router(options.store, registry, faults, metrics, auth, () => new URL(url).host, options.podLogs);

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    void serve(req, res);
  };
  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const ctx: RequestContext = {
      req,
      res,
      url: new URL(req.url ?? '/', 'http://sandbox'),
      query: new URLSearchParams(),
      user: ADMIN,
      warnings: [],
      verb: (req.method ?? 'get').toLowerCase(),
      resource: '',
    };
    ctx.query = ctx.url.searchParams;
    try {
      const fault = faults.decide(req.method ?? 'GET', ctx.url.pathname);
      // unref: an injected latency (tests use minutes) must not keep a closed sandbox's process alive.
      if (fault.latencyMs > 0) await new Promise((r) => setTimeout(r, fault.latencyMs).unref());
      if (fault.drop) {
        req.socket.destroy();
        log(`${req.method} ${ctx.url.pathname} dropped (fault)`);
        return;
      }
      if (fault.status !== undefined) {
        const reason = fault.status === 503 ? 'ServiceUnavailable' : fault.status === 504 ? 'Timeout' : 'InternalError';
        sendJson(ctx, fault.status, statusBody(fault.status, reason, `sandbox fault injected: ${fault.status}`));
      } else {
        await router.route(ctx);
      }
    } catch (err) {
      const apiErr = err instanceof ApiError ? err : internalError(err instanceof Error ? err.message : String(err));
      if (!(err instanceof ApiError))
        log(`internal error on ${req.method} ${ctx.url.pathname}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      if (res.headersSent) res.end();
      else sendError(ctx, apiErr);
      // Drain an unread body so the connection stays usable.
      if (!req.readableEnded) req.resume();
    }
    const code = res.statusCode;
    metrics.record(ctx.verb, ctx.resource, code);
    // A 401 has no user (ctx.user is still the default): naming one would misreport who asked.
    log(`${req.method} ${ctx.url.pathname}${ctx.url.search} ${code} ${code === 401 ? 'unauthenticated' : `user=${ctx.user.name}`}`);
  };

  const server: Server = certs ? createHttpsServer({ cert: certs.certPem, key: certs.keyPem }, handler) : createHttpServer(handler);
  server.keepAliveTimeout = 30_000;
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    metrics.connections.inc();
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('secureConnection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  url = `${certs ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;

  return {
    url,
    ...(certs ? { caPem: certs.caPem } : {}),
    faults,
    metrics,
    registry,
    close: async () => {
      faults.closeWatches();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
    },
  };
}
