/**
 * The MCP resource template `k0rdent://clusters/{namespace}/{name}` (SPEC section 6, "Resources and
 * prompts"): resources/read answers the JSON k0.clusters.get returns; resources/list pages through the
 * readable deployments (cursor = the list's continue token); completion/complete offers namespaces and
 * names; resources/subscribe and unsubscribe follow a deployment (./subscriptions.ts). The namespace rules
 * of src/policy hold for every one of them.
 */
import type { McpServer} from '@modelcontextprotocol/sdk/server/mcp.js';
import { ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ErrorCode, ListResourcesRequestSchema, McpError, SubscribeRequestSchema, UnsubscribeRequestSchema, type ListResourcesResult, type Resource } from '@modelcontextprotocol/sdk/types.js';
import { getDeployment } from '../../clusters/get.js';
import { asAppError } from '../errors.js';
import { clusterManager } from '../tools/clusters.js';
import type { ToolContext } from '../tools/index.js';
import { ClusterSubscriptions, clusterUri, parseClusterUri } from './subscriptions.js';

export const CLUSTER_URI_TEMPLATE = 'k0rdent://clusters/{namespace}/{name}';
const MIME = 'application/json';
const LIST_PAGE = 100;
const MAX_COMPLETIONS = 100;

/** An AppError as the JSON-RPC error of a resource request (notFound is MCP's -32002 "Resource not found"). */
export function resourceError(thrown: unknown): McpError {
  const error = asAppError(thrown);
  const code = error.code === 'notFound' ? -32002 : error.code === 'invalidParams' || error.code === 'forbidden' || error.code === 'conflict' ? ErrorCode.InvalidParams : ErrorCode.InternalError;
  return new McpError(code, `${error.code}: ${error.message}`, { code: error.code });
}

async function guarded<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw resourceError(error);
  }
}

/** Registers the template, paging list, completion and subscriptions; returns the session's subscriptions. */
export function registerClusterResources(server: McpServer, context: ToolContext): ClusterSubscriptions {
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
    list: async (extra) => guarded(() => listPage(undefined, extra.signal)),
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
    { title: 'ClusterDeployment', description: 'One ClusterDeployment as k0.clusters.get returns it. Subscribe to be told of every change.', mimeType: MIME },
    async (uri, _variables, extra) =>
      guarded(async () => {
        const { namespace, name } = parseClusterUri(uri.toString());
        const details = await getDeployment(read(), { name, namespace }, { signal: extra.signal });
        return { contents: [{ uri: uri.toString(), mimeType: MIME, text: JSON.stringify(details) }] };
      }),
  );

  // McpServer's resources/list has no cursor: this one pages through the deployments.
  server.server.setRequestHandler(ListResourcesRequestSchema, async (request, extra) => guarded(() => listPage(request.params?.cursor, extra.signal)));

  const subscriptions = new ClusterSubscriptions(read().api, read().policy, (uri) => server.server.sendResourceUpdated({ uri }), context.session.logger);
  server.server.registerCapabilities({ resources: { subscribe: true, listChanged: true } });
  server.server.setRequestHandler(SubscribeRequestSchema, async (request) =>
    guarded(async () => {
      await subscriptions.subscribe(request.params.uri);
      context.session.logger.info({ uri: request.params.uri, subscriptions: subscriptions.count }, 'resource subscribed');
      return {};
    }),
  );
  server.server.setRequestHandler(UnsubscribeRequestSchema, async (request) =>
    guarded(async () => {
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

