/**
 * What every tool, resource and prompt handler of a session gets: the runtime and the session, and the SDK's
 * per-request extra. A leaf of mcp/, so the registry, the envelope and the handlers do not import each other
 * for their types.
 */
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';
import type { Runtime, Session } from '../runtime/types.js';

export interface ToolContext {
  readonly runtime: Runtime;
  readonly session: Session;
}

export type ToolExtra = RequestHandlerExtra<ServerRequest, ServerNotification>;
