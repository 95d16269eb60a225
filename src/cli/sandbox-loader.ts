/** The only place product wiring reaches into the sandbox (SPEC/STYLE: CLI wiring and tests only). */
import type { StartSandbox } from '../sandbox/index.js';

export async function loadStartSandbox(): Promise<StartSandbox> {
  // A computed specifier keeps the sandbox out of the module graph unless a command asks for it.
  const specifier = '../sandbox/sandbox.js';
  const mod = (await import(specifier)) as { startSandbox?: StartSandbox };
  if (typeof mod.startSandbox !== 'function') throw new Error('the sandbox module does not export startSandbox');
  return mod.startSandbox;
}
