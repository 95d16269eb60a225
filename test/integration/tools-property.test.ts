/**
 * A property test over every tool's arguments (issue 7): for each tool the registry lists (so tools added
 * later are covered without touching this file), fast-check generates at least 500 argument values the
 * registry must reject — undefined arguments, wrong types, non-object arguments, reserved keys
 * (`__proto__`, `constructor`, `prototype`), nesting deeper than 32 — and sends each through a real MCP
 * client. Every answer is a coded tool error (never a crash or a protocol error), and the sandbox's own
 * write counter (apiserver_request_total for create/update/patch/delete) does not move.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { CallToolResultSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import fc from 'fast-check';
import { ERROR_CODES } from '../../src/errors.js';
import { TOOLS } from '../../src/mcp/tools/index.js';
import type { AnyToolDefinition } from '../../src/mcp/tools/registry.js';
import { sandboxWriteCount } from '../helpers/clusters-harness.js';
import { settled } from '../helpers/until.js';
import { useSandbox } from '../helpers/lifecycle.js';

const RUNS_PER_TOOL = 500;

/** tools/call with raw params (non-object arguments included), bypassing the client's typing. */
function rawCall(client: Client, name: string, args: unknown): Promise<CallToolResult> {
  return client.request(
    { method: 'tools/call', params: { name, arguments: args } as never },
    CallToolResultSchema,
  ) as Promise<CallToolResult>;
}

/** Invalid by the tool's own zod input schema (closed), independent of the registry's code. */
function schemaRejects(definition: AnyToolDefinition, args: unknown): boolean {
  return !definition.input.strict().safeParse(args).success;
}

/** A short view of a value for failure messages (deep values would overflow JSON.stringify inside fast-check's stack). */
function preview(value: unknown): string {
  try {
    return (JSON.stringify(value) ?? String(value)).slice(0, 300);
  } catch {
    return '(too deep to show)';
  }
}

function nested(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: true };
  for (let i = 0; i < depth; i++) value = { n: value };
  return value;
}

/** Argument values a tool must refuse; JSON round-tripped, as they would arrive over the wire. */
function invalidArguments(definition: AnyToolDefinition): fc.Arbitrary<unknown> {
  const keys = Object.keys(definition.input.shape);
  const anyValue = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(),
    fc.constant(null),
    fc.array(fc.string({ maxLength: 8 }), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 4 }),
    fc.jsonValue({ maxDepth: 3 }),
  );
  const reserved = fc.constantFrom('__proto__', 'constructor', 'prototype');
  const definedKeys = keys.length > 0 ? fc.constantFrom(...keys) : fc.constant('name');
  const some = fc.dictionary(definedKeys, anyValue, { maxKeys: Math.max(1, keys.length) });
  const wire = (value: unknown): unknown => JSON.parse(JSON.stringify(value) ?? 'null') as unknown;
  // Each shape is invalid by construction; only the first is filtered, by the zod schema.
  return fc.oneof(
    // defined keys with arbitrary values (wrong types, out of range, missing required ones)
    some.map(wire).filter((value) => schemaRejects(definition, value)),
    // plus an argument the tool does not define
    fc
      .tuple(
        some,
        fc.string({ minLength: 1, maxLength: 20 }).filter((key) => !keys.includes(key)),
        anyValue,
      )
      .map(([args, key, value]) => wire({ ...args, [key]: value }))
      .filter((value) => typeof value === 'object' && value !== null && Object.keys(value).some((key) => !keys.includes(key))),
    // not an object at all
    fc.oneof(fc.array(anyValue, { maxLength: 3 }), fc.string({ maxLength: 20 }), fc.integer(), fc.boolean(), fc.constant(null)).map(wire),
    // a reserved key at some depth (JSON.parse keeps __proto__ as an own key, as the wire does)
    fc
      .tuple(some, definedKeys, reserved, anyValue)
      .map(
        ([args, key, bad, value]) =>
          JSON.parse(
            JSON.stringify({ ...(wire(args) as object), [key]: '@@' }).replace('"@@"', `{${JSON.stringify(bad)}:${JSON.stringify(value)}}`),
          ) as unknown,
      ),
    // nesting deeper than 32 levels, up to the 5,000 that once overflowed the stack (built JSON-clean, not stringified)
    fc
      .tuple(some, definedKeys, fc.integer({ min: 33, max: 5000 }))
      .map(([args, key, depth]) => ({ ...(wire(args) as object), [key]: nested(depth) })),
  );
}

describe('every tool refuses invalid arguments with a coded error and writes nothing (fast-check)', () => {
  const env = useSandbox({ provisionSeconds: 1, deleteSeconds: 1 }, { authMode: 'DEV_ALLOW_ANY' });

  /** The write counter once the sandbox's own controller is quiet (it reconciles the seed at start). */
  function settledWrites(): Promise<number> {
    return settled('the sandbox write count', () => sandboxWriteCount(env.sandbox), { timeoutMs: 10_000 });
  }

  it('the registry lists tools to test', () => {
    assert.ok(TOOLS.length >= 6, `only ${TOOLS.length} tools`);
  });

  for (const definition of TOOLS) {
    it(`${definition.name}: ${RUNS_PER_TOOL} invalid argument values → coded errors, zero writes`, async () => {
      const before = await settledWrites();
      const codes = new Map<string, number>();
      await fc.assert(
        fc.asyncProperty(invalidArguments(definition), async (args) => {
          const result = await rawCall(env.harness.client, definition.name, args);
          assert.equal(result.isError, true, `accepted ${preview(args)}`);
          const error = (result.structuredContent as { error?: { code?: string; message?: string } } | undefined)?.error;
          assert.ok(
            error && (ERROR_CODES as readonly string[]).includes(error.code ?? ''),
            `no coded error for ${preview(args)}: ${JSON.stringify(result).slice(0, 300)}`,
          );
          assert.equal((result.content[0] as { text?: string }).text, `${error.code}: ${error.message}`);
          assert.ok((error.message ?? '').length < 4000, 'the message echoes the input unbounded');
          codes.set(error.code ?? '', (codes.get(error.code ?? '') ?? 0) + 1);
        }),
        { numRuns: RUNS_PER_TOOL, seed: 7 },
      );
      assert.equal(await sandboxWriteCount(env.sandbox), before, 'the sandbox saw a write');
      assert.deepEqual([...codes.keys()], ['invalidParams'], `codes: ${JSON.stringify([...codes])}`);
    });
  }
});
