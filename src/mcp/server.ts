/** The MCP server factory: one McpServer per session (or per request when stateless). */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { packageVersion } from '../config/package.js';
import { sharedJsonSchemaValidator } from './json-schema-validator.js';
import type { Runtime, Session } from '../runtime/types.js';
import { handleLogLevel } from './client-log.js';
import { enableConfirmation } from './confirm.js';
import { sendErrorsOnce } from './errors.js';
import { clusterTaskStore } from '../tasks/cluster-task-store.js';
import { clusterManager } from './tools/clusters.js';
import { initAllToolMetrics, instructions, registerTools } from './tools/index.js';
import { registerPrompts } from './prompts/index.js';
import { registerClusterResources } from './resources/clusters.js';
import { withToolNameStyle, type ToolNameStyle } from '../tool-names.js';

export const SERVER_NAME = 'k0rdent-mcp';

/**
 * Tools are listed and called by our registry on the low-level server (src/mcp/tools/registry.ts);
 * McpServer is kept for the resources and prompts it registers.
 */
export interface McpServerOptions {
  /** A server for one request: it cannot ask its client anything (the answer would reach another server). */
  stateless?: boolean;
}

/**
 * Every message the transport delivers is handled in the session's tool name style (src/tool-names.ts), so a
 * message built while answering any request — a tool call, tasks/get, resources/read — names tools as this
 * client lists them. Wraps the handler the SDK's Protocol installed on connect (through the transport's own
 * setter: the HTTP transport forwards it to the transport inside it); nothing arrives before that returns.
 */
function handleInStyle(transport: Transport, style: ToolNameStyle): void {
  const handle = transport.onmessage;
  if (handle !== undefined) transport.onmessage = (message, extra) => withToolNameStyle(style, () => handle(message, extra));
}

export function createMcpServer(runtime: Runtime, session: Session, options: McpServerOptions = {}): McpServer {
  const server = new McpServer(
    { name: SERVER_NAME, version: packageVersion() },
    {
      // Tasks (2025-11-25) for deploy/update/delete; no tasks/list: nothing is kept to list (src/tasks).
      capabilities: { tools: {}, logging: {}, tasks: { cancel: {}, requests: { tools: { call: {} } } } },
      // One validator for every session instead of an Ajv instance per server (./json-schema-validator.ts).
      jsonSchemaValidator: sharedJsonSchemaValidator,
      taskStore: clusterTaskStore(clusterManager({ runtime, session }).api, session, runtime),
      // Built from the tool declarations (src/mcp/tools/registry.ts#serverInstructions): the offered tools, named in the session's style.
      instructions: instructions(runtime.settings),
    },
  );
  const connect = server.connect.bind(server);
  server.connect = async (transport) => {
    await connect(transport);
    handleInStyle(transport, runtime.settings.toolNameStyle);
    sendErrorsOnce(transport);
  };
  initAllToolMetrics(runtime.metrics);
  // Texts built while registering (a resource template's description) name tools in the session's style too.
  withToolNameStyle(runtime.settings.toolNameStyle, () => {
    registerTools(server.server, { runtime, session });
    // Resources (k0rdent://clusters/{namespace}/{name}, with subscriptions) and prompts: src/mcp/resources, src/mcp/prompts.
    registerClusterResources(server, { runtime, session }, { stateless: options.stateless === true });
    registerPrompts(server, { runtime, session });
  });
  handleLogLevel(server, session);
  if (options.stateless !== true) enableConfirmation(server.server, session);
  return server;
}
