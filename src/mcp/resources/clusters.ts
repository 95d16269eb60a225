/**
 * The MCP resource template `k0rdent://clusters/{namespace}/{name}` (docs/tools.md "Resource
 * `k0rdent://clusters/{namespace}/{name}`"): resources/read answers the JSON k0.clusters.get returns; resources/list pages through the
 * readable deployments (cursor = the list's continue token); completion/complete offers namespaces and
 * names; resources/subscribe and unsubscribe follow a deployment (./subscriptions.ts). The namespace rules
 * of src/policy hold for every one of them.
 */
import { TOOL, toolRef } from '../../tool-names.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import {
  ErrorCode,
  ListResourcesRequestSchema,
  McpError,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
  type ListResourcesResult,
  type Resource,
} from '@modelcontextprotocol/sdk/types.js';
import { AppError, boundError, clip } from '../../errors.js';
import { getDeployment } from '../../clusters/get.js';
import { outcomeOf, type ToolOutcome } from '../../observability/instruments.js';
import { addResourceSubscriptions, observeResourceRequest, type ResourceMethod } from '../../observability/resource-metrics.js';
import { asAppError } from '../errors.js';
import { clusterManager } from '../tools/clusters.js';
import type { ToolContext } from '../context.js';
import { untilStopped } from '../tools/run.js';
import { ClusterSubscriptions, clusterUri, parseClusterUri } from './subscriptions.js';
import { watchHubOf } from './watch-hub.js';

export const CLUSTER_URI_TEMPLATE = 'k0rdent://clusters/{namespace}/{name}';
const MIME = 'application/json';
const LIST_PAGE = 100;
const MAX_COMPLETIONS = 100;

/** An AppError as the JSON-RPC error of a resource request (notFound is MCP's -32002 "Resource not found"). */
export function resourceError(thrown: unknown): McpError {
  const error = boundError(asAppError(thrown));
  const code =
    error.code === 'notFound'
      ? -32002
      : error.code === 'invalidParams' || error.code === 'forbidden' || error.code === 'conflict'
        ? ErrorCode.InvalidParams
        : ErrorCode.InternalError;
  return new McpError(code, `${error.code}: ${error.message}`, { code: error.code, ...(error.details ? { details: error.details } : {}) });
}

/**
 * The resource requests' envelope, as runTool is the tools': one log line and the
 * mcp_resource_requests_total / _duration_seconds series per request, errors mapped by resourceError.
 */
async function guarded<T>(
  context: ToolContext,
  method: ResourceMethod,
  fields: Record<string, unknown>,
  run: () => Promise<T>,
): Promise<T> {
  const started = performance.now();
  const logger = context.session.logger;
  const finish = (outcome: ToolOutcome): Record<string, unknown> => {
    const durationMs = Math.round(performance.now() - started);
    observeResourceRequest(context.runtime.metrics, method, outcome, durationMs / 1000);
    return { method, ...fields, durationMs, outcome };
  };
  const shutdown = untilStopped(context.runtime);
  try {
    // At the end of the shutdown grace the request is answered, not left silent (resource requests only read).
    const value = await Promise.race([
      run(),
      shutdown.stopped.then(() =>
        Promise.reject(
          new AppError('unavailable', `the server stopped (shutdown) before ${method} finished; nothing was written; ask a running server`),
        ),
      ),
    ]);
    logger.info(finish('success'), `${method} succeeded`);
    return value;
  } catch (thrown) {
    const error = boundError(asAppError(thrown));
    const outcome = outcomeOf(error.code);
    const line = { ...finish(outcome), errorCode: error.code, error: error.message };
    if (outcome === 'error') logger.error(line, `${method} failed`);
    else logger.warn(line, `${method} rejected: ${error.code}`);
    throw resourceError(error);
  } finally {
    shutdown.done();
  }
}

export interface ClusterResourceOptions {
  /** One server per request: subscriptions are not offered (they could never deliver anything). */
  stateless?: boolean;
}

/** Registers the template, paging list, completion and subscriptions; returns the session's subscriptions (none when stateless). */
export function registerClusterResources(
  server: McpServer,
  context: ToolContext,
  options: ClusterResourceOptions = {},
): ClusterSubscriptions | undefined {
  const manager = (): ReturnType<typeof clusterManager> => clusterManager(context);
  const read = () => manager().readContext();

  const listPage = async (cursor: string | undefined, signal: AbortSignal): Promise<ListResourcesResult> => {
    const page = await manager().listDeployments({ limit: LIST_PAGE, ...(cursor !== undefined ? { continue: cursor } : {}) }, { signal });
    const resources: Resource[] = page.items.map((d) => ({
      uri: clusterUri(d.namespace, d.name),
      name: `${d.namespace}/${d.name}`,
      title: `ClusterDeployment ${d.namespace}/${d.name}`,
      description: `${d.template ?? '?'}: ${d.phase}`,
      mimeType: MIME,
    }));
    return { resources, ...(page.continue !== undefined ? { nextCursor: page.continue } : {}) };
  };

  const template = new ResourceTemplate(CLUSTER_URI_TEMPLATE, {
    list: async (extra) => guarded(context, 'resources/list', {}, () => listPage(undefined, extra.signal)),
    complete: {
      namespace: async (value) => {
        try {
          const namespaces = await read().readableNamespaces({});
          return namespaces.filter((ns) => ns.startsWith(value)).slice(0, MAX_COMPLETIONS);
        } catch {
          return [];
        }
      },
      name: async (value, ctx) => {
        const namespace = ctx?.arguments?.namespace;
        try {
          if (namespace !== undefined && namespace !== '') read().policy.assertReadable(namespace);
          const page = await manager().listDeployments({ ...(namespace ? { namespace } : {}), limit: 500 }, {});
          return [...new Set(page.items.map((d) => d.name).filter((n) => n.startsWith(value)))].sort().slice(0, MAX_COMPLETIONS);
        } catch {
          return [];
        }
      },
    },
  });

  server.registerResource(
    'cluster-deployment',
    template,
    {
      title: 'ClusterDeployment',
      description: `One ClusterDeployment as ${toolRef(TOOL.clustersGet)} returns it. Subscribe to be told of every change.`,
      mimeType: MIME,
    },
    async (uri, _variables, extra) =>
      guarded(context, 'resources/read', { uri: clip(uri.toString()) }, async () => {
        const { namespace, name } = parseClusterUri(uri.toString());
        const details = await getDeployment(read(), { name, namespace }, { signal: extra.signal });
        return { contents: [{ uri: uri.toString(), mimeType: MIME, text: JSON.stringify(details) }] };
      }),
  );

  // McpServer's resources/list has no cursor: this one pages through the deployments.
  server.server.setRequestHandler(ListResourcesRequestSchema, async (request, extra) =>
    guarded(context, 'resources/list', { cursor: request.params?.cursor !== undefined }, () =>
      listPage(request.params?.cursor, extra.signal),
    ),
  );

  if (options.stateless === true) {
    // A stateless server lives for one request: a subscription would stay silent, so none is offered
    // (no `subscribe` capability; resources/subscribe is "method not found").
    server.server.registerCapabilities({ resources: { listChanged: true } });
    return undefined;
  }
  const metrics = context.runtime.metrics;
  const subscriptions = new ClusterSubscriptions({
    hub: watchHubOf(read().api.identity, context.runtime.logger),
    policy: read().policy,
    notify: (uri) => server.server.sendResourceUpdated({ uri }),
    logger: context.session.logger,
    onCount: (delta) => addResourceSubscriptions(metrics, delta),
  });
  server.server.registerCapabilities({ resources: { subscribe: true, listChanged: true } });
  server.server.setRequestHandler(SubscribeRequestSchema, async (request) =>
    guarded(context, 'resources/subscribe', { uri: clip(request.params.uri) }, async () => {
      await subscriptions.subscribe(request.params.uri);
      return {};
    }),
  );
  server.server.setRequestHandler(UnsubscribeRequestSchema, async (request) =>
    guarded(context, 'resources/unsubscribe', { uri: clip(request.params.uri) }, async () => {
      subscriptions.unsubscribe(request.params.uri);
      return {};
    }),
  );
  const previous = server.server.onclose;
  server.server.onclose = () => {
    subscriptions.close();
    previous?.();
  };
  return subscriptions;
}
