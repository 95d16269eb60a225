/**
 * The one way a test waits: `until` polls a probe until it answers, `within` bounds a promise. Both take their
 * window in "quiet machine" milliseconds and stretch it by one time scale, so a loaded machine (two suites at
 * once, Go builds beside) gets longer windows and no test has its own idea of slow. A window is a bound on a
 * failure, never a pause: a passing test waits only as long as the thing takes.
 *
 * What not to do with these (test/unit/test-kit.test.ts checks the files under test/):
 * - polling for a transient state (a phase that lasts under a second): record a watch and assert on what it
 *   saw (`recordWatch` in ./backend.ts);
 * - sleeping, then asserting that something did not happen: take `backend.writeMarker()` (or a later
 *   resourceVersion) after the action and assert on what changed since.
 */
import assert from 'node:assert/strict';
import { availableParallelism, loadavg } from 'node:os';

/**
 * K0RDENT_TEST_TIME_SCALE when set (a number ≥ 1); else the load per core over the last minute, between 1 and 8:
 * at load 12 on 2 cores a 30 s window becomes 180 s.
 */
export function timeScale(): number {
  const configured = Number(process.env['K0RDENT_TEST_TIME_SCALE']);
  if (Number.isFinite(configured) && configured >= 1) return configured;
  const perCore = (loadavg()[0] ?? 0) / availableParallelism();
  return Math.min(8, Math.max(1, perCore));
}

/** `ms` on this machine. */
export function scaled(ms: number): number {
  return Math.round(ms * timeScale());
}

export interface UntilOptions {
  /** The window on a quiet machine, scaled by timeScale(); 30 s unless said. */
  timeoutMs?: number;
  /** Between probes; 50 ms unless said (not scaled). */
  everyMs?: number;
}

/** Not an answer yet. */
type Pending = undefined | null | false;

/**
 * Calls `probe` until it returns something other than undefined, null or false, and returns that (a boolean
 * check returns true). Fails with "timed out waiting for <what>" (and the last thrown error, if the probe threw)
 * after the scaled window. The probe may throw while the thing is not there yet; the last error is reported.
 */
export async function until<T>(
  what: string,
  probe: () => T | Pending | Promise<T | Pending>,
  options: UntilOptions | number = {},
): Promise<Exclude<T, Pending>> {
  const { timeoutMs = 30_000, everyMs = 50 } = typeof options === 'number' ? { timeoutMs: options } : options;
  const window = scaled(timeoutMs);
  const deadline = Date.now() + window;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== null && value !== false) return value as Exclude<T, Pending>;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline)
      assert.fail(`timed out waiting for ${what} (${window} ms)${lastError === undefined ? '' : `; last error: ${String(lastError)}`}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** `work`, or a failure naming `what` when it has not settled within the scaled window. */
export async function within<T>(what: string, work: Promise<T>, timeoutMs = 30_000): Promise<T> {
  const window = scaled(timeoutMs);
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not end within ${window} ms`)), window);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The value of `read` once it has held still for `stableMs` (compared as JSON): a counter that moves a little after
 * a call returns (a watch counted when its stream ends, a controller's writes at start). Bounded by the scaled window.
 */
export async function settled<T>(what: string, read: () => T | Promise<T>, options: UntilOptions & { stableMs?: number } = {}): Promise<T> {
  const { stableMs = 200, everyMs = 50 } = options;
  let last = await read();
  let lastText = JSON.stringify(last);
  let since = Date.now();
  await until(
    `${what} to hold still for ${stableMs} ms`,
    async () => {
      const now = await read();
      const text = JSON.stringify(now);
      if (text !== lastText) {
        [last, lastText, since] = [now, text, Date.now()];
        return false;
      }
      return Date.now() - since >= stableMs;
    },
    { ...options, everyMs },
  );
  return last;
}
