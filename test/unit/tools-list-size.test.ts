/**
 * The size of tools/list (issue 24 item 5): every entry is read by the model on each session, so the list stays
 * within 2.5 KB per tool as tools are added, and the 15 tools the issue measured (49 KB then) within 32 KB.
 * Measured as the JSON the server sends (the entries installTools lists), in both name styles.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TOOLS } from '../../src/mcp/tools/index.js';
import { listedTool, toolName } from '../../src/mcp/tools/registry.js';
import type { ToolNameStyle } from '../../src/tool-names.js';
import { testSettings } from '../helpers/settings.js';

const PER_TOOL = 2.5 * 1024;
/** The tools of the issue's measurement (49 KB for these 15). */
const ISSUE_TOOLS = [
  'k0.clusters.listCredentials',
  'k0.clusters.listTemplates',
  'k0.clusters.list',
  'k0.clusters.deploy',
  'k0.clusters.update',
  'k0.clusters.delete',
  'k0.clusters.get',
  'k0.events.list',
  'k0.templates.get',
  'k0.namespaces.list',
  'k0.providers.list',
  'k0.clusters.diagnose',
  'k0.logs.get',
  'k0.services.listTemplates',
  'k0.clusters.services.apply',
];

function entrySizes(style: ToolNameStyle): { name: string; bytes: number }[] {
  const settings = testSettings({ toolNameStyle: style });
  return TOOLS.map((definition) => {
    const name = toolName(definition.name, style);
    return { name: definition.name, bytes: Buffer.byteLength(JSON.stringify(listedTool(definition, name, settings))) };
  });
}

const largest = (sizes: { name: string; bytes: number }[]): string =>
  [...sizes]
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, 5)
    .map((s) => `${s.name} ${(s.bytes / 1024).toFixed(2)} KB`)
    .join(', ');

describe('tools/list stays small', () => {
  for (const style of ['dotted', 'snake'] as const) {
    it(`${style} names: at most 2.5 KB per tool over the whole list`, () => {
      const sizes = entrySizes(style);
      const total = sizes.reduce((sum, s) => sum + s.bytes, 0);
      const budget = PER_TOOL * sizes.length;
      assert.ok(
        total <= budget,
        `tools/list entries take ${(total / 1024).toFixed(1)} KB for ${sizes.length} tools, over ${(budget / 1024).toFixed(1)} KB; the largest: ${largest(sizes)}`,
      );
    });
  }

  it('the 15 tools of the issue fit in 32 KB', () => {
    const sizes = entrySizes('dotted').filter((s) => ISSUE_TOOLS.includes(s.name));
    assert.equal(sizes.length, ISSUE_TOOLS.length, 'every tool of the issue is still declared');
    const total = sizes.reduce((sum, s) => sum + s.bytes, 0);
    assert.ok(total <= 32 * 1024, `${(total / 1024).toFixed(1)} KB > 32 KB; the largest: ${largest(sizes)}`);
  });

  it('the measure can fail: a tool with a 3 KB description is named as the largest', () => {
    const [first] = TOOLS;
    assert.ok(first);
    const padded = { ...first, description: 'x'.repeat(3000) };
    const bytes = Buffer.byteLength(JSON.stringify(listedTool(padded, first.name, testSettings())));
    assert.ok(bytes > PER_TOOL);
    assert.match(largest([{ name: first.name, bytes }, ...entrySizes('dotted')]), new RegExp(`^${first.name.replace(/\./g, '\\.')} `));
  });
});
