// npm run docs:tools — writes the tool reference generated from the declarations (src/mcp/tools/reference.ts):
// one snapshot per tool under test/snapshots/tools/ (stale ones removed) and the generated sections of
// docs/tools.md. test/unit/tool-reference.test.ts fails when either is stale. Runs on the build (dist/).
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const { TOOLS } = await import('../dist/src/mcp/tools/index.js');
const { generatedSections, snapshotFile, snapshotText, withGeneratedSections } = await import('../dist/src/mcp/tools/reference.js');

const dir = 'test/snapshots/tools';
const wanted = new Map(TOOLS.map((definition) => [snapshotFile(definition), snapshotText(definition)]));
for (const file of readdirSync(dir)) if (file.endsWith('.json') && !wanted.has(file)) rmSync(join(dir, file));
for (const [file, text] of wanted) writeFileSync(join(dir, file), text);

const doc = 'docs/tools.md';
writeFileSync(doc, withGeneratedSections(readFileSync(doc, 'utf8'), generatedSections(TOOLS)));
console.log(`${wanted.size} tool snapshots in ${dir}; generated sections of ${doc} written`);
