/**
 * Tool registration: the one place the server factory (src/mcp/server.ts) gets its tools from.
 * The k0.clusters.* tools live in ./clusters.ts.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Runtime, Session } from '../../runtime/types.js';
import { CLUSTER_TOOL_NAMES, registerClusterTools, toolName } from './clusters.js';
import { reportInputRejections } from './input-errors.js';
import { runTool, type CallSpec } from './run.js';

export interface ToolContext {
  readonly runtime: Runtime;
  readonly session: Session;
}

export function registerTools(server: McpServer, context: ToolContext): void {
  const specs = new Map<string, Omit<CallSpec, 'fields'>>(
    Object.entries(CLUSTER_TOOL_NAMES).map(([operation, dotted]) => [
      toolName(dotted, context.runtime.settings.toolNameStyle),
      { tool: dotted, operation: operation as CallSpec['operation'] },
    ]),
  );
  registerClusterTools(server, context);
  reportInputRejections(
    server,
    (name) => specs.get(name),
    (spec, extra, error) =>
      runTool(context, spec, extra, () => {
        throw error;
      }),
  );
}
