/** The one JSON-Schema validator shared by every session's Server (issue 13 item 5). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { sharedJsonSchemaValidator } from '../../src/mcp/json-schema-validator.js';
import { createMcpServer } from '../../src/mcp/server.js';
import { createMetricsRegistry } from '../../src/observability/metrics.js';
import { KubeIdentities } from '../../src/kube/identity.js';
import { createRuntime, createSession } from '../../src/runtime/runtime.js';
import { testSettings } from '../helpers/clusters-harness.js';

const schema = { type: 'object', properties: { name: { type: 'string', minLength: 1 } }, required: ['name'] } as const;

describe('shared JSON-Schema validator', () => {
  it('validates, and compiles a schema once however many equal copies are asked for', () => {
    const a = sharedJsonSchemaValidator.getValidator(structuredClone(schema) as never);
    const b = sharedJsonSchemaValidator.getValidator(structuredClone(schema) as never);
    assert.equal(a, b);
    assert.equal(a({ name: 'x' }).valid, true);
    const bad = a({ name: '' });
    assert.equal(bad.valid, false);
    assert.match(String(bad.errorMessage), /name|fewer than 1/);
  });

  it('stays bounded: after many distinct schemas an evicted one is compiled again and still works', () => {
    const first = sharedJsonSchemaValidator.getValidator({
      type: 'object',
      properties: { v0: { type: 'integer' } },
      required: ['v0'],
    } as never);
    for (let i = 1; i <= 300; i++)
      sharedJsonSchemaValidator.getValidator({ type: 'object', properties: { [`v${i}`]: { type: 'integer' } } } as never);
    const again = sharedJsonSchemaValidator.getValidator({
      type: 'object',
      properties: { v0: { type: 'integer' } },
      required: ['v0'],
    } as never);
    assert.notEqual(again, first, 'evicted and compiled anew');
    assert.equal(again({ v0: 1 }).valid, true);
    assert.equal(again({}).valid, false);
  });

  it("every session's server uses the one validator instead of an Ajv instance of its own", () => {
    const metrics = createMetricsRegistry();
    const runtime = createRuntime(
      testSettings({ logLevel: 'error' }),
      new KubeIdentities({ loadBase: () => Promise.reject(new Error('unused')), metrics }),
      pino({ level: 'silent' }),
      metrics,
    );
    const servers = [1, 2].map((i) => createMcpServer(runtime, createSession(runtime, { id: `s${i}` })));
    for (const server of servers) {
      assert.equal((server.server as unknown as { _jsonSchemaValidator: unknown })._jsonSchemaValidator, sharedJsonSchemaValidator);
    }
  });
});
