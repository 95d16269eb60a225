/**
 * The last bound on echoes: every JSON-RPC error this server sends has its message cut to a few KB and its
 * `data` bounded (src/errors.ts). Our own errors are bounded where they are made; this catches the SDK's,
 * which quote the caller's input whole (`Task not found: <id>`, `Resource <uri> not found`, ...).
 */
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { isJSONRPCErrorResponse, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { boundDetails, boundMessage } from '../errors.js';

function bounded(message: JSONRPCMessage): JSONRPCMessage {
  if (!isJSONRPCErrorResponse(message)) return message;
  const { error } = message;
  const data = error.data;
  const boundedData =
    data === undefined
      ? undefined
      : typeof data === 'object' && data !== null && !Array.isArray(data)
        ? boundDetails(data as Record<string, unknown>)
        : boundDetails({ data }).data;
  return {
    ...message,
    error: { ...error, message: boundMessage(error.message), ...(boundedData !== undefined ? { data: boundedData } : {}) },
  };
}

/** Wraps `transport.send` so no error response carries more than a few KB of the caller's input. */
export function boundErrorResponses(transport: Transport): void {
  const send = transport.send.bind(transport);
  transport.send = (message, options) => send(bounded(message), options);
}
