/**
 * Tool registration: the one place the server factory (src/mcp/server.ts) gets its tools from.
 * The k0.clusters.* tools live in ./clusters.ts.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Runtime, Session } from '../../runtime/types.js';
import { registerClusterTools } from './clusters.js';

export interface ToolContext {
  readonly runtime: Runtime;
  readonly session: Session;
}

export function registerTools(server: McpServer, context: ToolContext): void {
  registerClusterTools(server, context);
}
