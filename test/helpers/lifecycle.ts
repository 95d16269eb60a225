/**
 * Suite fixtures: a sandbox, a backend of the matrix, or a harness, started in the current describe's `before`
 * and closed in its `after` (also when a test or the start-up failed). A fixture's fields read
 * what `before` started; reading one outside a test fails with a message naming the fixture.
 *
 *   describe('deploy', () => {
 *     const env = useSandbox({ provisionSeconds: 1, deleteSeconds: 1 });
 *     it('...', async () => { await env.harness.ok('k0.clusters.deploy', {...}); env.sandbox.store... });
 *   });
 *
 *   for (const choice of testBackends())
 *     describe(`... (${choice.name})`, { skip: choice.skip }, () => {
 *       const env = useBackend(choice.name, { provisionSeconds: 1 }, { namespaceFilter: /^team-/ });
 *       ...
 *     });
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before } from 'node:test';
import type { KubeConfig } from '@kubernetes/client-node';
import type { SandboxHandle, SandboxOptions } from '../../src/sandbox/index.js';
import { startSandbox } from '../../src/sandbox/sandbox.js';
import type { Settings } from '../../src/runtime/types.js';
import { startBackend, type Backend, type BackendName } from './backend.js';
import { startHarness, type Harness } from './clusters-harness.js';
import { tempDir } from './cli-process.js';

/** A fixture's sandbox options, or a function giving them when `before` runs (e.g. a log sink of the suite). */
export type FixtureOptions = SandboxOptions | (() => SandboxOptions);

const optionsOf = (options: FixtureOptions): SandboxOptions => (typeof options === 'function' ? options() : options);

/** A user of the sandbox's token table (`--tokens`): a bearer token and the namespaces it may use (`*`: all). */
export interface TokenUser {
  name: string;
  token: string;
  namespaces: string[];
}

/** A tokens file (the sandbox's `tokensFile` option) in a fresh temp directory; written at once. */
export function tokensFile(users: TokenUser[]): string {
  const file = join(tempDir('k0mcp-tokens-'), 'tokens.json');
  writeFileSync(file, JSON.stringify({ users }));
  return file;
}

/** Settings for the fixture's harness, or false for none. */
export type HarnessSettings = Partial<Settings> | false;

function started<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`${what} is not started: read it inside a test or a hook after the fixture's before`);
  return value;
}

export interface SandboxFixture {
  readonly sandbox: SandboxHandle;
  /** A harness on the sandbox (DEV_ALLOW_ANY unless the settings say otherwise). */
  readonly harness: Harness;
}

/** An embedded sandbox (its store and fault injector at hand) and a harness on it, for the current suite. */
export function useSandbox(options: FixtureOptions = {}, settings: HarnessSettings = {}, token?: string): SandboxFixture {
  let sandbox: SandboxHandle | undefined;
  let harness: Harness | undefined;
  before(async () => {
    sandbox = await startSandbox(optionsOf(options));
    if (settings !== false) harness = await startHarness(sandbox, settings, token);
  });
  after(async () => {
    await harness?.close();
    await sandbox?.close();
  });
  return {
    get sandbox() {
      return started(sandbox, 'the sandbox');
    },
    get harness() {
      return started(harness, settings === false ? 'the harness (useSandbox was given settings: false)' : 'the harness');
    },
  };
}

export interface BackendFixture {
  readonly backend: Backend;
  readonly harness: Harness;
}

/** A backend of the matrix (./backend.ts) and a harness on it, for the current suite. */
export function useBackend(
  name: BackendName,
  options: FixtureOptions = {},
  settings: HarnessSettings = {},
  token?: string,
): BackendFixture {
  let backend: Backend | undefined;
  let harness: Harness | undefined;
  before(async () => {
    backend = await startBackend(name, optionsOf(options));
    if (settings !== false) harness = await startHarness(backend, settings, token);
  });
  after(async () => {
    await harness?.close();
    await backend?.close();
  });
  return {
    get backend() {
      return started(backend, `the ${name} backend`);
    },
    get harness() {
      return started(harness, settings === false ? 'the harness (useBackend was given settings: false)' : 'the harness');
    },
  };
}

/** Several backends of the matrix for the current suite, started at once (a differential suite compares them). */
export function backendsFor(names: readonly BackendName[], options: FixtureOptions = {}): { readonly backends: Backend[] } {
  let backends: Backend[] | undefined;
  before(async () => {
    const results = await Promise.allSettled(names.map((name) => startBackend(name, optionsOf(options))));
    backends = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  });
  after(async () => {
    await Promise.all((backends ?? []).map((backend) => backend.close()));
  });
  return {
    get backends() {
      return started(backends, 'the backends');
    },
  };
}

/**
 * Another harness for the current suite, on a target known once `before` ran (a fixture's sandbox or backend,
 * or a KubeConfig), e.g. a second identity or other settings: `useHarness(() => env.backend, { authMode: ... })`.
 */
export function useHarness(
  target: () => { kubeconfig: string } | KubeConfig,
  settings: Partial<Settings> = {},
  token?: string,
): { readonly harness: Harness } {
  let harness: Harness | undefined;
  before(async () => {
    harness = await startHarness(target(), settings, token);
  });
  after(async () => {
    await harness?.close();
  });
  return {
    get harness() {
      return started(harness, 'the harness');
    },
  };
}

/**
 * A stand-in for what `before` starts, usable as the thing itself once it has started (method calls are bound to
 * it, `in` works): suites that already name their `sandbox` / `backend` keep their names and their code.
 */
function standIn<T extends object>(current: () => T): T {
  return new Proxy({} as T, {
    get: (_, property) => {
      const target = current();
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
    has: (_, property) => property in current(),
  });
}

/** `const sandbox = sandboxFor(options)`: an embedded sandbox for the current suite, started in before, closed in after. */
export function sandboxFor(options: FixtureOptions = {}): SandboxHandle {
  const fixture = useSandbox(options, false);
  return standIn(() => fixture.sandbox);
}

/** `const backend = backendFor(choice.name, options)`: a backend of the matrix for the current suite. */
export function backendFor(name: BackendName, options: FixtureOptions = {}): Backend {
  const fixture = useBackend(name, options, false);
  return standIn(() => fixture.backend);
}
