/**
 * Strict arguments (issue 7 item 1), through a real MCP client against the sandbox: every tool's input
 * schema is closed and visible as such in tools/list; an argument a tool does not define, non-object
 * arguments, an unknown tool and a tool hidden by READ_ONLY all get a coded tool error, a log line and
 * the metrics — and the sandbox's own write counter proves that nothing was written.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { CallToolResultSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { TOOLS } from '../../src/mcp/tools/index.js';
import { AZURE_BASELINE, sandboxWriteCount, startHarness, errorOf } from '../helpers/clusters-harness.js';
import { useSandbox } from '../helpers/lifecycle.js';

/** tools/call with raw params, bypassing the client's own argument typing. */
async function rawCall(client: Client, params: Record<string, unknown>): Promise<CallToolResult> {
  return (await client.request({ method: 'tools/call', params: params as never }, CallToolResultSchema)) as CallToolResult;
}

describe('strict tool arguments over MCP', () => {
  const env = useSandbox({ provisionSeconds: 1, deleteSeconds: 1 }, { authMode: 'DEV_ALLOW_ANY' });

  it('every tool lists a closed input schema (additionalProperties: false)', async () => {
    const { tools } = await env.harness.client.listTools();
    assert.equal(tools.length, TOOLS.length);
    for (const tool of tools) {
      assert.equal(tool.inputSchema.type, 'object', tool.name);
      assert.equal(
        (tool.inputSchema as { additionalProperties?: unknown }).additionalProperties,
        false,
        `${tool.name} input schema is closed`,
      );
    }
  });

  it('deploy with "dryrun" (lower-case) → invalidParams suggesting "dryRun", nothing written', async () => {
    const writes = await sandboxWriteCount(env.sandbox);
    const error = errorOf(
      await env.harness.call('k0.clusters.deploy', {
        name: 'typo-dryrun',
        template: 'azure-standalone-cp-1-0-15',
        credential: 'azure-cluster-credential',
        config: AZURE_BASELINE,
        dryrun: true,
      }),
    );
    assert.equal(error.code, 'invalidParams');
    assert.match(error.message, /"dryrun" is not an argument of k0\.clusters\.deploy; did you mean "dryRun"\?/);
    assert.deepEqual(error.details?.unknownArguments, ['dryrun']);
    assert.equal(await sandboxWriteCount(env.sandbox), writes, 'the sandbox answered no write');
    const line = env.harness.logs.find(
      (l) => l.tool === 'k0.clusters.deploy' && l.errorCode === 'invalidParams' && String(l.error).includes('dryrun'),
    );
    assert.ok(line, 'a warning log line names the rejection');
    assert.equal(line.level, 40);
  });

  it('an undefined argument of every tool → invalidParams naming it and the nearest defined one, nothing written', async () => {
    const { tools } = await env.harness.client.listTools();
    const writes = await sandboxWriteCount(env.sandbox);
    for (const tool of tools) {
      const defined = Object.keys((tool.inputSchema.properties ?? {}) as Record<string, unknown>);
      if (defined.length === 0) {
        // A tool that takes no argument (k0.platform.status): any argument is refused, saying so.
        const none = errorOf(await env.harness.call(tool.name, { zzzzzzzzzzzzzz: 1 }));
        assert.equal(none.code, 'invalidParams', tool.name);
        assert.ok(none.message.includes(`"zzzzzzzzzzzzzz" is not an argument of ${tool.name}. It takes no arguments`), none.message);
        continue;
      }
      // A typo of the first defined argument: one letter's case changed.
      const first = defined[0] as string;
      const typo = first === first.toUpperCase() ? first.toLowerCase() : first.toUpperCase();
      const error = errorOf(await env.harness.call(tool.name, { [typo]: 'x' }));
      assert.equal(error.code, 'invalidParams', tool.name);
      assert.ok(error.message.includes(`"${typo}" is not an argument of ${tool.name}`), `${tool.name}: ${error.message}`);
      assert.ok(error.message.includes(`did you mean "${first}"?`), `${tool.name}: ${error.message}`);
      const wholly = errorOf(await env.harness.call(tool.name, { zzzzzzzzzzzzzz: 1 }));
      assert.equal(wholly.code, 'invalidParams');
      assert.doesNotMatch(wholly.message, /did you mean/, 'no suggestion when nothing is near');
      assert.ok(wholly.message.includes(`Its arguments are: ${defined.join(', ')}`), wholly.message);
    }
    assert.equal(await sandboxWriteCount(env.sandbox), writes);
  });

  it('non-object arguments → invalidParams as a tool result, not a protocol error', async () => {
    for (const args of [[1, 2], 'name=x', 42, null]) {
      const error = errorOf(await rawCall(env.harness.client, { name: 'k0.clusters.list', arguments: args }));
      assert.equal(error.code, 'invalidParams');
      assert.match(error.message, /must be a JSON object/);
    }
  });

  it('an unknown tool name → invalidParams with the nearest tool, logged, not counted under its name', async () => {
    const error = errorOf(await rawCall(env.harness.client, { name: 'k0.clusters.lsit', arguments: {} }));
    assert.equal(error.code, 'invalidParams');
    assert.match(error.message, /there is no tool "k0\.clusters\.lsit"; did you mean "k0\.clusters\.list"\?/);
    assert.ok(env.harness.logs.some((l) => l.tool === 'unknown' && l.errorCode === 'invalidParams'));
    const metrics = await env.harness.metrics.metrics();
    assert.doesNotMatch(metrics, /lsit/);
  });

  it('READ_ONLY: deploy and delete are not listed, and calling them anyway → forbidden saying the server is read-only, nothing written', async () => {
    const readOnly = await startHarness(env.sandbox, { readOnly: true });
    try {
      const { tools } = await readOnly.client.listTools();
      assert.ok(!tools.some((t) => t.name === 'k0.clusters.deploy' || t.name === 'k0.clusters.delete'));
      const writes = await sandboxWriteCount(env.sandbox);
      const error = errorOf(
        await rawCall(readOnly.client, {
          name: 'k0.clusters.delete',
          arguments: { name: 'alpha-dev-cluster', namespace: 'team-alpha' },
        }),
      );
      assert.equal(error.code, 'forbidden');
      assert.match(error.message, /read-only \(READ_ONLY=true\)/);
      assert.equal(await sandboxWriteCount(env.sandbox), writes);
      const metrics = await readOnly.metrics.metrics();
      assert.match(metrics, /mcp_tool_calls_total\{tool="k0\.clusters\.delete",outcome="forbidden"\} 1/);
    } finally {
      await readOnly.close();
    }
  });

  it('every tool series exists at 0 before the first call', async () => {
    const fresh = await startHarness(env.sandbox);
    try {
      const metrics = await fresh.metrics.metrics();
      for (const tool of TOOLS) {
        assert.ok(metrics.includes(`mcp_tool_calls_total{tool="${tool.name}",outcome="error"} 0`), `${tool.name} error series at 0`);
      }
      assert.match(metrics, /clusters_deploy_total\{outcome="conflict"\} 0/);
    } finally {
      await fresh.close();
    }
  });
});
