/**
 * docs/tools.md's examples are what the product answers (issue 24 item 2): a fresh generation — the tools called
 * on an embedded sandbox through an MCP client (test/helpers/docs-examples.ts) — equals the checked-in sections.
 * A change to a tool's answer, an error message or the sandbox's data fails here until `npm run docs:tools` ran.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { withGeneratedSections } from '../../src/mcp/tools/reference.js';
import { REPO_ROOT } from '../helpers/cli-process.js';
import { forDocs, generateToolExamples } from '../helpers/docs-examples.js';

describe("docs/tools.md's generated examples", () => {
  it('normalise what changes from run to run and cut long values visibly', () => {
    assert.deepEqual(
      forDocs({
        createdAt: '2026-12-07T09:49:28Z',
        uid: '79f8bd5b-d3a4-4a1a-8ae7-e86bf84b72b2',
        resourceVersion: '123',
        message: 'Machine demo-md-5wvb9-6jk8n of subscription 00000000-0000-0000-0000-000000000000 since 2026-12-07T09:49:28.123Z',
        line: 'E1207 09:49:28.657000       1 controller.go:144] "Reconciler error" id 79f8bd5b-d3a4-4a1a-8ae7-e86bf84b72b2',
        items: [1, 2, 3, 4, 5],
        long: 'x'.repeat(250),
      }),
      {
        createdAt: '<time>',
        uid: '<uid>',
        resourceVersion: '<rv>',
        message: 'Machine demo-md-xxxxx-xxxxx of subscription 00000000-0000-0000-0000-000000000000 since <time>',
        line: 'E<time>       1 controller.go:144] "Reconciler error" id <uid>',
        items: [1, 2, 3, '… (cut: 2 more)'],
        long: `${'x'.repeat(240)}… (cut: 10 more characters)`,
      },
    );
  });

  it('equal a fresh generation on the embedded sandbox (else: npm run docs:tools)', { timeout: 300_000 }, async () => {
    const doc = readFileSync(join(REPO_ROOT, 'docs', 'tools.md'), 'utf8');
    const fresh = withGeneratedSections(doc, await generateToolExamples());
    assert.equal(doc, fresh, 'docs/tools.md examples are stale: run `npm run docs:tools` and review the diff');
  });
});
