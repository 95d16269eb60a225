/** The MCP server factory: one McpServer per session (or per request when stateless). */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { packageVersion } from '../config/package.js';
import type { Runtime, Session } from '../runtime/types.js';
import { registerTools } from './tools/index.js';

export const SERVER_NAME = 'k0rdent-mcp';

export function createMcpServer(runtime: Runtime, session: Session): McpServer {
  const server = new McpServer(
    { name: SERVER_NAME, version: packageVersion() },
    {
      capabilities: { tools: {}, logging: {} },
      instructions:
        'k0rdent management-cluster tools: list credentials and cluster templates, list, deploy and delete ClusterDeployments in the namespaces the operator allowed.',
    },
  );
  registerTools(server, { runtime, session });
  return server;
}
