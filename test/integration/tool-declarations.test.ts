/**
 * What a real MCP client sees is the declarations: tools/list equals the checked-in snapshots (plus each
 * tool's description), in both name styles and under READ_ONLY; initialize.instructions names exactly the
 * offered tools; and under TOOL_NAME_STYLE=snake a message that names a tool names it in snake style.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { TOOLS } from '../../src/mcp/tools/index.js';
import { snapshotFile } from '../../src/mcp/tools/reference.js';
import { toolName, writesOf } from '../../src/mcp/tools/registry.js';
import { renderToolNames } from '../../src/tool-names.js';
import { useHarness, useSandbox } from '../helpers/lifecycle.js';

const SNAPSHOTS = join(resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..'), 'test', 'snapshots', 'tools');
const snapshotOf = (dotted: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(SNAPSHOTS, snapshotFile(TOOLS.find((d) => d.name === dotted)!)), 'utf8')) as Record<string, unknown>;

describe('the tool declarations, as a client sees them', () => {
  const env = useSandbox();
  const snake = useHarness(() => env.sandbox, { toolNameStyle: 'snake', readOnly: true });

  it('tools/list is the snapshots, in declaration order, each with a description', async () => {
    const { tools } = await env.harness.client.listTools();
    assert.deepEqual(
      tools.map((tool) => tool.name),
      TOOLS.map((definition) => definition.name),
    );
    for (const { description, ...tool } of tools) {
      assert.ok(typeof description === 'string' && description.length > 20, `${tool.name} has a description`);
      assert.deepEqual(tool, snapshotOf(tool.name), `${tool.name} as listed vs test/snapshots/tools`);
    }
  });

  it('snake style and READ_ONLY: the read-only tools under snake names, the same schemas', async () => {
    const { tools } = await snake.harness.client.listTools();
    const expected = TOOLS.filter((definition) => !writesOf(definition));
    assert.deepEqual(
      tools.map((tool) => tool.name),
      expected.map((definition) => toolName(definition.name, 'snake')),
    );
    for (const [i, { description: _description, name: _name, ...tool }] of tools.entries()) {
      const { name: _dotted, ...snapshot } = snapshotOf(expected[i]!.name);
      // The snapshot is dotted; the schemas' descriptions name tools in the session's style.
      assert.deepEqual(tool, JSON.parse(renderToolNames(JSON.stringify(snapshot), 'snake')));
    }
    const listed = JSON.stringify(tools);
    const named = TOOLS.filter((definition) => listed.includes(definition.name)).map((definition) => definition.name);
    assert.deepEqual(named, [], 'descriptions and schemas name the tools in snake style');
    assert.match(listed, /k0_clusters_listTemplates/, 'a description that names a tool names it in snake style');
  });

  it('initialize.instructions lists the offered tools, by the names tools/list gives them', async () => {
    const { tools } = await snake.harness.client.listTools();
    const instructions = snake.harness.client.getInstructions() ?? '';
    const named = [...instructions.matchAll(/^- (\S+):/gm)].map((match) => match[1]);
    assert.deepEqual(
      named,
      tools.map((tool) => tool.name),
    );
    assert.match(instructions, /read-only/);
    const dotted = env.harness.client.getInstructions() ?? '';
    assert.deepEqual(
      [...dotted.matchAll(/^- (\S+):/gm)].map((match) => match[1]),
      TOOLS.map((definition) => definition.name),
    );
  });

  it('under snake style a message names a tool in snake style', async () => {
    const error = await snake.harness.error('k0_clusters_get', { name: 'no-such-cluster' });
    assert.equal(error.code, 'notFound');
    assert.match(error.message, /k0_clusters_list lists/);
    assert.doesNotMatch(error.message, /k0\.clusters/);
    const dotted = await env.harness.error('k0.clusters.get', { name: 'no-such-cluster' });
    assert.match(dotted.message, /k0\.clusters\.list lists/);
    // Outside tools/call too: the resource template's description.
    const { resourceTemplates } = await snake.harness.client.listResourceTemplates();
    assert.match(resourceTemplates[0]?.description ?? '', /as k0_clusters_get returns it/);
  });
});
