/**
 * The embedded sandbox's write marker: its quiet point. `backend.writeMarker()` on the sandbox returns the store's
 * resourceVersion once every controller reaction already triggered has been written and nothing has been written
 * for `stillMs`, so "the marker did not move across the call" means the call wrote nothing, and an absence asserted
 * after it is not an absence of what was merely still queued.
 *
 * Two kinds of pending work, two waits:
 * - reactions (a watch event handled by kcm's or the world's work queue: they run on setImmediate and, on the
 *   in-memory store, finish within microtasks): event-loop turns until a few pass without a write;
 * - timer-driven steps (a condition walk, a requeue after a delay): no write for `stillMs` (250 ms on a quiet
 *   machine, scaled). The kube backend takes the same kind of marker from etcd's revision held still for 1 s.
 * It fails, naming how many writes it saw, when the sandbox does not go quiet within the scaled window (a
 * controller in a write loop).
 */
import type { Store } from '../../src/sandbox/apiserver/types.js';
import { scaled } from './until.js';

export interface QuietOptions {
  /** No write for this long (quiet-machine milliseconds, scaled); 250 unless said. */
  stillMs?: number;
  /** The bound on the whole wait (quiet-machine milliseconds, scaled); 20 s unless said. */
  timeoutMs?: number;
}

/** Event-loop turns without a write that count as "no reaction pending". */
const IDLE_TURNS = 3;

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** The store's resourceVersion at its quiet point (see the file comment). */
export async function quietPoint(store: Store, options: QuietOptions = {}): Promise<string> {
  const stillMs = scaled(options.stillMs ?? 250);
  const window = scaled(options.timeoutMs ?? 20_000);
  const deadline = Date.now() + window;
  let writes = 0;
  // Nothing tells when the store was last written before this call: count from now.
  let lastWrite = Date.now();
  const unsubscribe = store.subscribe(() => {
    writes += 1;
    lastWrite = Date.now();
  });
  try {
    for (;;) {
      for (let idle = 0, seen = writes; idle < IDLE_TURNS;) {
        await turn();
        if (writes === seen) idle += 1;
        else [idle, seen] = [0, writes];
      }
      const quietFor = Date.now() - lastWrite;
      if (quietFor >= stillMs) return store.currentResourceVersion();
      if (Date.now() > deadline)
        throw new Error(`the sandbox did not go quiet within ${window} ms: ${writes} writes, the last ${quietFor} ms ago`);
      await new Promise((resolve) => setTimeout(resolve, stillMs - quietFor));
    }
  } finally {
    unsubscribe();
  }
}
