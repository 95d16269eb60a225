/**
 * The tool list: the one place the server factory (src/mcp/server.ts) gets its tools from. Each family
 * lives in its own module (./clusters.ts, ...) as declarations; ./registry.ts lists and calls them and
 * ./run.ts is the envelope every call goes through.
 */
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { Registry } from 'prom-client';
import type { ToolContext } from '../context.js';
import { clusterTools } from './clusters.js';
import { serviceTools } from './services.js';
import { multiClusterServiceTools } from './multi-cluster-services.js';
import { dayTwoTools } from './day-two.js';
import { platformTools } from './platform.js';
import { catalogTools } from './catalog.js';
import type { Settings } from '../../config/types.js';
import { troubleshootTools } from './troubleshoot.js';
import { type AnyToolDefinition, initToolMetrics, installTools, serverInstructions } from './registry.js';

/** Every tool this server knows, in the order tools/list shows them. Add a family's array here. */
export const TOOLS: readonly AnyToolDefinition[] = [
  ...clusterTools,
  ...dayTwoTools,
  ...troubleshootTools,
  ...serviceTools,
  ...multiClusterServiceTools,
  ...platformTools,
  ...catalogTools,
];

/** Installs tools/list and tools/call for every tool on a session's server. */
export function registerTools(server: Server, context: ToolContext): void {
  installTools(server, context, TOOLS);
}

/** Creates every tool metric series at 0; call once at startup. */
export function initAllToolMetrics(registry: Registry): void {
  initToolMetrics(registry, TOOLS);
}

/** `initialize.instructions` for these settings, built from TOOLS. */
export function instructions(settings: Settings): string {
  return serverInstructions(settings, TOOLS);
}
