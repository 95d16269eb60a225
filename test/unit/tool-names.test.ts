/** Tool names: the catalog is the declarations' names, and a name renders in the style of the call that builds the message. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { TOOLS } from '../../src/mcp/tools/index.js';
import { renderToolNames, TOOL, toolRef, withToolNameStyle } from '../../src/tool-names.js';

const SRC = join(resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..'), 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** The string literals and template parts of a module that name a tool (comments do not count). */
function namingStrings(file: string, text: string): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (
      ts.isStringLiteral(node) ||
      ts.isNoSubstitutionTemplateLiteral(node) ||
      ts.isTemplateHead(node) ||
      ts.isTemplateMiddle(node) ||
      ts.isTemplateTail(node)
    ) {
      if (renderToolNames(node.text, 'snake') !== node.text) found.push(node.text.slice(0, 120));
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe('tool names', () => {
  it('TOOL is exactly the declared tools', () => {
    assert.deepEqual(Object.values(TOOL).sort(), TOOLS.map((definition) => definition.name).sort());
  });

  it('toolRef names a tool in the style of the call it runs in, across awaits; dotted outside a call', async () => {
    assert.equal(toolRef(TOOL.clustersUpdate), 'k0.clusters.update');
    const inCall = await withToolNameStyle('snake', async () => {
      await new Promise((resolve) => setImmediate(resolve));
      return `create it with ${toolRef(TOOL.clustersDeploy)}`;
    });
    assert.equal(inCall, 'create it with k0_clusters_deploy');
    assert.equal(await withToolNameStyle('dotted', async () => toolRef(TOOL.clustersServicesApply)), 'k0.clusters.services.apply');
    assert.equal(toolRef(TOOL.clustersList, 'snake'), 'k0_clusters_list', 'an explicit style wins');
  });

  it('renderToolNames renders whole names only, the longest first', () => {
    const text = 'see k0.clusters.listTemplates, then k0.clusters.list. Not k0.clusters.listing, xk0.clusters.list or k0.clusters.services';
    assert.equal(
      renderToolNames(text, 'snake'),
      'see k0_clusters_listTemplates, then k0_clusters_list. Not k0.clusters.listing, xk0.clusters.list or k0.clusters.services',
    );
    assert.equal(renderToolNames(text, 'dotted'), text);
    assert.equal(renderToolNames('k0.clusters.services.apply', 'snake'), 'k0_clusters_services_apply');
  });

  it('no module names a tool in a string literal: messages use toolRef(TOOL.x), declarations TOOL.x', () => {
    const literal = sourceFiles(SRC)
      .filter((file) => !file.startsWith(join(SRC, 'sandbox')) && file !== join(SRC, 'tool-names.ts'))
      .flatMap((file) => namingStrings(file, readFileSync(file, 'utf8')).map((text) => `src/${relative(SRC, file)}: "${text}"`));
    assert.deepEqual(literal, [], 'a tool name written as a literal is wrong under TOOL_NAME_STYLE=snake');
  });

  it('the scan sees a literal, in a template too, and not a comment', () => {
    const probe = "// k0.clusters.get\nconst a = 'k0.clusters.list';\nconst b = `x ${a} k0.events.list`;";
    assert.deepEqual(namingStrings('probe.ts', probe), ['k0.clusters.list', ' k0.events.list']);
  });
});
