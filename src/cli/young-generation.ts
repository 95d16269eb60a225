/**
 * V8's young generation while a command loads its server (issue 24: idle RSS after tools/list ≤ 90 MiB).
 *
 * Loading the server (the SDK, zod and the tool schemas, the managers: ~340 modules) allocates fast and keeps
 * almost everything it allocates. V8 reads a high survival rate as a reason to grow the new space: each scavenge
 * doubles a semi-space (`--semi-space-growth-factor`, default 2) up to 16 MiB, so the load ends with two 16 MiB
 * semi-spaces touched and empty — ~16 MiB of resident memory an idle process keeps until V8's memory reducer
 * shrinks it (it starts `--gc-memory-reducer-start-delay-ms` = 8 s after a full GC and needs a quiet heap:
 * ~20 s after the load, measured). A bigger nursery does not make such a load cheaper (what survives is copied
 * anyway), so the new space is held at its initial size while the server loads and V8's default growth is
 * restored once it serves: tool calls (JSON lists of hundreds of objects, mostly short-lived) get the usual nursery.
 *
 * The flag is set from the product on every start path of `stdio` (the front and the unbundled path; not from a
 * command line), through v8.setFlagsFromString, which V8 reads at each scavenge. The cost is measured in
 * bench/RESULTS.md (time to serve, first tool call, calls in a row). Not in `serve`: it loads client-node right
 * after it listens, which grows the new space anyway (serve idle RSS measured 153.1 MiB with the hold and without).
 */
import { setFlagsFromString } from 'node:v8';

/** V8's default (`node --v8-options`: --semi-space-growth-factor=2). */
const DEFAULT_GROWTH_FACTOR = 2;

/**
 * Keeps the new space at its current size until {@link releaseYoungGeneration}. Idempotent: the stdio front (in
 * the start bundle, its own copy of this module) holds it before it imports the server, the server again.
 */
export function holdYoungGeneration(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
}

/** V8's default growth again: called once the server is loaded, before it handles its first message. */
export function releaseYoungGeneration(): void {
  setFlagsFromString(`--semi-space-growth-factor=${DEFAULT_GROWTH_FACTOR}`);
}
