/**
 * The SDK checks arguments against a tool's zod input schema before any handler runs and answers a
 * mismatch with a bare text error ("MCP error -32602: Input validation error: ..."): no error code, no
 * log line, no metric. Wrapping the tools/call handler that McpServer installs gives
 * such a rejection the shape of every other failure ("invalidParams: ...", `structuredContent.error`),
 * the warning log line and the `invalid` metrics, through the same envelope as a handler's own errors.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolRequest, CallToolResult, JSONRPCRequest } from '@modelcontextprotocol/sdk/types.js';
import { AppError } from '../../errors.js';
import type { CallSpec, ToolExtra } from './run.js';

const SDK_INPUT_ERROR = /^MCP error -32602: Input validation error: (?:Invalid arguments for tool \S+: )?/;

const CALL_TOOL = 'tools/call';

/** A handler as the protocol stores it: the raw JSON-RPC request in, the result out. */
type RawHandler = (request: JSONRPCRequest, extra: ToolExtra) => Promise<CallToolResult>;

/** The SDK's text of an input-schema rejection, without its prefix; undefined for any other result. */
export function sdkInputRejection(result: CallToolResult): string | undefined {
  if (result.isError !== true || result.structuredContent !== undefined) return undefined;
  const first = result.content[0];
  if (first?.type !== 'text' || !SDK_INPUT_ERROR.test(first.text)) return undefined;
  return first.text.replace(SDK_INPUT_ERROR, '');
}

/** The log fields a rejected call can still tell, from whatever string arguments it carried. */
function fieldsOf(args: Record<string, unknown> | undefined): CallSpec['fields'] {
  const text = (key: string): string | undefined => (typeof args?.[key] === 'string' ? args[key] : undefined);
  return { namespace: text('namespace'), template: text('template'), credential: text('credential'), cluster: text('name') };
}

/**
 * Call after the tools are registered. `specFor` names the tool and operation of a registered tool name
 * (undefined: leave the SDK's answer alone); `report` turns the rejection into a result.
 *
 * The SDK has no public hook for this, so the installed handler is read from the protocol's handler
 * table (`_requestHandlers`, stable across the 1.x SDK); the tool tests fail loudly if that ever moves.
 */
export function reportInputRejections(
  server: McpServer,
  specFor: (toolName: string) => Omit<CallSpec, 'fields'> | undefined,
  report: (spec: CallSpec, extra: ToolExtra, error: AppError) => Promise<CallToolResult>,
): void {
  const handlers = (server.server as unknown as { _requestHandlers?: Map<string, RawHandler> })._requestHandlers;
  const installed = handlers?.get(CALL_TOOL);
  if (handlers === undefined || installed === undefined) throw new Error('tools/call handler not found: register the tools first');
  handlers.set(CALL_TOOL, async (request, extra) => {
    const result = await installed(request, extra);
    const rejection = sdkInputRejection(result);
    const params = request.params as CallToolRequest['params'] | undefined;
    const spec = rejection === undefined || params === undefined ? undefined : specFor(params.name);
    if (rejection === undefined || spec === undefined) return result;
    const message = `the arguments do not match the tool's input schema: ${rejection.split('\n').join('; ')}. Fix them as the input schema in tools/list describes and call again`;
    return report({ ...spec, fields: fieldsOf(params?.arguments) }, extra, new AppError('invalidParams', message));
  });
}
