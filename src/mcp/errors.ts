/**
 * AppError → MCP tool result, in one place. A failure is a result with `isError: true`, text
 * `"<code>: <message>"` and `structuredContent.error` ({ code, message, details }). Every tool's output
 * schema declares that optional `error` member (see tools/shared.ts): the SDK client validates
 * `structuredContent` against the output schema even on error results.
 */
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { AppError, ERROR_CODES, isAppError } from '../errors.js';

export const toolErrorSchema = z
  .object({
    code: z.enum(ERROR_CODES),
    message: z.string(),
    details: z.record(z.string(), z.unknown()).optional(),
  })
  .describe('Present only when isError is true');

export type ToolError = z.infer<typeof toolErrorSchema>;

/** Anything thrown by a handler as an AppError; unknown failures become `internal` without their internals. */
export function asAppError(error: unknown): AppError {
  if (isAppError(error)) return error;
  const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
  return new AppError('internal', `unexpected failure: ${message}`, undefined, { cause: error });
}

export function toolErrorResult(error: AppError): CallToolResult {
  const payload: ToolError = { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) };
  return {
    isError: true,
    content: [{ type: 'text', text: `${error.code}: ${error.message}` }],
    structuredContent: { error: payload },
  };
}

/** A success result: the structured value plus its JSON text copy. */
export function toolSuccessResult(value: Record<string, unknown>): CallToolResult {
  return {
    content: [{ type: 'text', text: JSON.stringify(value) }],
    structuredContent: value,
  };
}

/** The prefix the SDK's McpError puts before its message: `MCP error -32602: `. */
const SDK_PREFIX = /^(?:MCP error -?\d+: )+/;

/**
 * Error responses leave with their message once, without the SDK's `MCP error <code>: ` prefix: an McpError
 * thrown on the server (by the SDK or by us) carries that prefix in its message, the SDK sends the message as
 * it is, and the client's McpError adds the prefix again (`MCP error -32602: MCP error -32602: …`). The
 * code is in the response's `code` already.
 */
export function sendErrorsOnce(transport: Transport): void {
  const send = transport.send.bind(transport);
  transport.send = (message, options) => {
    if ('error' in message && typeof message.error.message === 'string' && SDK_PREFIX.test(message.error.message))
      return send({ ...message, error: { ...message.error, message: message.error.message.replace(SDK_PREFIX, '') } }, options);
    return send(message, options);
  };
}
