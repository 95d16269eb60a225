/**
 * Tool registration: the one place the server factory (src/mcp/server.ts) gets its tools from.
 * The k0.clusters.* tools are added by src/mcp/tools/clusters*.ts.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Runtime, Session } from '../../runtime/types.js';

export interface ToolContext {
  readonly runtime: Runtime;
  readonly session: Session;
}

export function registerTools(_server: McpServer, _context: ToolContext): void {
  // Filled in by the cluster tools (issue 4).
}
