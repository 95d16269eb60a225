/**
 * The tool declarations are the source of truth, and what is checked in follows them: one snapshot per tool
 * (test/snapshots/tools/<tool>.json: name, title, annotations, input and output JSON Schemas, execution) and the
 * generated sections of docs/tools.md. A change to a declaration fails here until `npm run docs:tools` rewrote
 * both, so the change shows in review as a diff of the schemas. Also: what the registry derives from a
 * declaration (writes, the listed output schema, the instructions).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { TOOLS } from '../../src/mcp/tools/index.js';
import { generatedSections, snapshotFile, snapshotText, withGeneratedSections } from '../../src/mcp/tools/reference.js';
import { defineTool, listedOutput, serverInstructions, toolName, writesOf } from '../../src/mcp/tools/registry.js';
import { testSettings } from '../helpers/settings.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const SNAPSHOTS = join(REPO, 'test', 'snapshots', 'tools');
const STALE = 'stale: run `npm run docs:tools` and review the diff';

describe('tool reference', () => {
  it('one checked-in snapshot per tool, equal to the declaration', () => {
    const files = readdirSync(SNAPSHOTS)
      .filter((file) => file.endsWith('.json'))
      .sort();
    assert.deepEqual(files, TOOLS.map(snapshotFile).sort(), `the snapshot files are ${STALE}`);
    for (const definition of TOOLS) {
      assert.equal(
        readFileSync(join(SNAPSHOTS, snapshotFile(definition)), 'utf8'),
        snapshotText(definition),
        `${definition.name}: ${STALE}`,
      );
    }
  });

  it("docs/tools.md's tool table and schema reference are generated from the declarations", () => {
    const doc = readFileSync(join(REPO, 'docs', 'tools.md'), 'utf8');
    assert.equal(doc, withGeneratedSections(doc, generatedSections(TOOLS)), `docs/tools.md is ${STALE}`);
  });

  it('a changed declaration no longer matches its snapshot', () => {
    const [first] = TOOLS;
    assert.ok(first);
    const changed = defineTool({ ...first, output: first.output.extend({ extra: z.string() }) });
    assert.notEqual(snapshotText(changed), snapshotText(first));
  });

  it('writes is what the annotations say; the listed output is the success shape, optional, with error', () => {
    for (const definition of TOOLS) assert.equal(writesOf(definition), !definition.annotations.readOnlyHint, definition.name);
    const listed = listedOutput(z.object({ name: z.string() }));
    assert.equal(listed.safeParse({}).success, true, 'an error result has no success member');
    assert.equal(listed.safeParse({ error: { code: 'notFound', message: 'gone' } }).success, true);
    assert.equal(listed.safeParse({ name: 1 }).success, false);
  });

  it('initialize.instructions names every offered tool in the session style, and only those', () => {
    const dotted = serverInstructions(testSettings(), TOOLS);
    for (const definition of TOOLS) assert.ok(dotted.includes(`- ${definition.name}: ${definition.title}`), definition.name);
    const snake = serverInstructions(testSettings({ toolNameStyle: 'snake', readOnly: true }), TOOLS);
    for (const definition of TOOLS) {
      assert.equal(snake.includes(`- ${toolName(definition.name, 'snake')}:`), !writesOf(definition), definition.name);
      assert.ok(!snake.includes(definition.name), `${definition.name} is named in snake style`);
    }
    assert.match(snake, /read-only/);
  });
});
