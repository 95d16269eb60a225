/**
 * A bounded in-memory EventStore (the SDK's resumability interface) for one stateful session: every SSE
 * message the transport sends is kept, up to `maxEvents` and `maxBytes` (oldest dropped first), so a
 * client whose stream broke reconnects with `Last-Event-ID` and receives what it missed — the progress
 * and, above all, the result of a long wait. Event ids are `<seq>:<streamId>`, so the stream of an id is
 * known without a lookup table.
 */
import type { EventId, EventStore, StreamId } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

interface StoredEvent {
  seq: number;
  streamId: StreamId;
  message: JSONRPCMessage;
  bytes: number;
}

export interface BoundedEventStoreOptions {
  maxEvents?: number;
  maxBytes?: number;
}

export const DEFAULT_MAX_EVENTS = 500;
export const DEFAULT_MAX_EVENT_BYTES = 1024 * 1024;

function parseEventId(eventId: EventId): { seq: number; streamId: StreamId } | undefined {
  const colon = eventId.indexOf(':');
  if (colon <= 0) return undefined;
  const seq = Number(eventId.slice(0, colon));
  if (!Number.isSafeInteger(seq)) return undefined;
  return { seq, streamId: eventId.slice(colon + 1) };
}

export class BoundedEventStore implements EventStore {
  private readonly events: StoredEvent[] = [];
  private bytes = 0;
  private seq = 0;
  private readonly maxEvents: number;
  private readonly maxBytes: number;

  constructor(options: BoundedEventStoreOptions = {}) {
    this.maxEvents = options.maxEvents ?? DEFAULT_MAX_EVENTS;
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_EVENT_BYTES;
  }

  get size(): number {
    return this.events.length;
  }

  storeEvent(streamId: StreamId, message: JSONRPCMessage): Promise<EventId> {
    const seq = ++this.seq;
    const bytes = JSON.stringify(message).length;
    this.events.push({ seq, streamId, message, bytes });
    this.bytes += bytes;
    while (this.events.length > this.maxEvents || (this.bytes > this.maxBytes && this.events.length > 1)) {
      this.bytes -= this.events.shift()!.bytes;
    }
    return Promise.resolve(`${seq}:${streamId}`);
  }

  getStreamIdForEventId(eventId: EventId): Promise<StreamId | undefined> {
    return Promise.resolve(parseEventId(eventId)?.streamId);
  }

  /** Sends the kept events of the id's stream that came after it; events already dropped are gone. */
  async replayEventsAfter(
    lastEventId: EventId,
    { send }: { send: (eventId: EventId, message: JSONRPCMessage) => Promise<void> },
  ): Promise<StreamId> {
    const parsed = parseEventId(lastEventId);
    if (!parsed) throw new Error(`unknown event id ${lastEventId}`);
    for (const event of this.events.filter((e) => e.streamId === parsed.streamId && e.seq > parsed.seq)) {
      // The priming event carries no message: nothing to replay for it.
      if (Object.keys(event.message).length === 0) continue;
      await send(`${event.seq}:${event.streamId}`, event.message);
    }
    return parsed.streamId;
  }
}
