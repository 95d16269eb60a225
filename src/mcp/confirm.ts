/**
 * Confirmation of destructive calls through MCP elicitation (CONFIRM_DESTRUCTIVE=auto): when the client
 * declared the `elicitation` capability, the user sees a form naming what will happen and types the
 * object's name to go ahead. A courtesy, not the gate — a client's answer proves no human; the namespace
 * policy and RBAC stay the gate. Not offered in stateless mode, where the answer would reach another server.
 */
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { ElicitResultSchema } from '@modelcontextprotocol/sdk/types.js';
import type { ConfirmRequest, Confirmation } from '../clusters/types.js';
import type { Session } from '../runtime/types.js';
import type { ToolExtra } from './context.js';

/** How long the user has to answer the form. */
const ANSWER_TIMEOUT_MS = 10 * 60_000;

const servers = new WeakMap<Session, Server>();

/** Lets this session's calls ask its client (call once per server; skip for stateless servers). */
export function enableConfirmation(server: Server, session: Session): void {
  servers.set(session, server);
}

/** The confirm hook for one call, or undefined when the user cannot be asked (then the call proceeds as asked). */
export function confirmerFor(
  session: Session,
  mode: 'auto' | 'never',
  extra: Pick<ToolExtra, 'sendRequest'>,
): ((request: ConfirmRequest) => Promise<Confirmation>) | undefined {
  if (mode === 'never') return undefined;
  const server = servers.get(session);
  if (server?.getClientCapabilities()?.elicitation === undefined) return undefined;
  return async (request) => {
    let answer;
    try {
      answer = await extra.sendRequest(
        {
          method: 'elicitation/create',
          params: {
            mode: 'form',
            message: `${request.message}\nType the name "${request.name}" to confirm.`,
            requestedSchema: {
              type: 'object',
              properties: { name: { type: 'string', title: 'Name to confirm', description: `Type ${request.name} to go ahead` } },
              required: ['name'],
            },
          },
        },
        ElicitResultSchema,
        { timeout: ANSWER_TIMEOUT_MS },
      );
    } catch (error) {
      return { confirmed: false, reason: `the confirmation was not answered (${error instanceof Error ? error.message : String(error)})` };
    }
    if (answer.action !== 'accept')
      return { confirmed: false, reason: `the user ${answer.action === 'decline' ? 'declined' : 'cancelled'} the confirmation` };
    const typed = typeof answer.content?.name === 'string' ? answer.content.name.trim() : '';
    if (typed !== request.name) return { confirmed: false, reason: `the typed name "${typed.slice(0, 253)}" is not "${request.name}"` };
    return { confirmed: true };
  };
}
