/** The only place product wiring reaches into the sandbox (STYLE: CLI wiring and tests only). */
import type { StartSandbox } from '../sandbox/index.js';

/** Loaded lazily so commands without --sandbox never load the sandbox modules. */
export async function loadStartSandbox(): Promise<StartSandbox> {
  const { startSandbox } = await import('../sandbox/sandbox.js');
  return startSandbox;
}
