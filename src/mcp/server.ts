/** The MCP server factory: one McpServer per session (or per request when stateless). */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { packageVersion } from '../config/package.js';
import { sharedJsonSchemaValidator } from './json-schema-validator.js';
import type { Runtime, Session } from '../runtime/types.js';
import { handleLogLevel } from './client-log.js';
import { enableConfirmation } from './confirm.js';
import { clusterTaskStore } from '../tasks/cluster-task-store.js';
import { clusterManager } from './tools/clusters.js';
import { initAllToolMetrics, instructions, registerTools } from './tools/index.js';
import { registerPrompts } from './prompts/index.js';
import { registerClusterResources } from './resources/clusters.js';

export const SERVER_NAME = 'k0rdent-mcp';

/**
 * Tools are listed and called by our registry on the low-level server (src/mcp/tools/registry.ts);
 * McpServer is kept for the resources and prompts it registers.
 */
export interface McpServerOptions {
  /** A server for one request: it cannot ask its client anything (the answer would reach another server). */
  stateless?: boolean;
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
  initAllToolMetrics(runtime.metrics);
  registerTools(server.server, { runtime, session });
  // Resources (k0rdent://clusters/{namespace}/{name}, with subscriptions) and prompts: src/mcp/resources, src/mcp/prompts.
  registerClusterResources(server, { runtime, session }, { stateless: options.stateless === true });
  registerPrompts(server, { runtime, session });
  handleLogLevel(server, session);
  if (options.stateless !== true) enableConfirmation(server.server, session);
  return server;
}
