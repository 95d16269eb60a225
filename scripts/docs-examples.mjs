// Part of `npm run docs:tools`: writes docs/tools.md's generated examples (each tool's input and structured output,
// the errors of the common mistakes, k0.clusters.diagnose of each sandbox fault) by calling the tools on one
// embedded sandbox through one MCP client (test/helpers/docs-examples.ts; runs on the build, dist/).
// test/unit/tool-examples.test.ts fails when docs/tools.md differs from a fresh generation.
import { readFileSync, writeFileSync } from 'node:fs';

const started = Date.now();
const { generateToolExamples } = await import('../dist/test/helpers/docs-examples.js');
const { withGeneratedSections } = await import('../dist/src/mcp/tools/reference.js');

const doc = 'docs/tools.md';
const sections = await generateToolExamples();
writeFileSync(doc, withGeneratedSections(readFileSync(doc, 'utf8'), sections));
console.log(`examples of ${doc} written (${((Date.now() - started) / 1000).toFixed(1)} s)`);
