/**
 * Honest not-found (issue 7 item 5) for every tool that takes a namespace, including the day-two and
 * service tools added after it: a namespace that does not exist (a typo of a readable one) is `notFound`
 * naming the readable namespaces and the nearest one — never an empty answer — and nothing is written.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sandboxWriteCount } from '../helpers/clusters-harness.js';
import { useSandbox } from '../helpers/lifecycle.js';

const CALLS: [string, Record<string, unknown>][] = [
  ['k0.clusters.get', { name: 'alpha-dev-cluster', namespace: 'team-alfa' }],
  ['k0.templates.get', { name: 'azure-standalone-cp-1-0-15', namespace: 'team-alfa' }],
  ['k0.events.list', { namespace: 'team-alfa' }],
  ['k0.services.listTemplates', { namespace: 'team-alfa' }],
  ['k0.clusters.services.apply', { cluster: 'alpha-dev-cluster', namespace: 'team-alfa', template: 'ingress-nginx-4-11-3' }],
  ['k0.clusters.services.remove', { cluster: 'alpha-dev-cluster', namespace: 'team-alfa', name: 'ingress-nginx' }],
];

describe('a namespace that does not exist, for the day-two and service tools', () => {
  const env = useSandbox({ provisionSeconds: 1, deleteSeconds: 1 }, { authMode: 'DEV_ALLOW_ANY' });

  for (const [tool, args] of CALLS) {
    it(`${tool} in "team-alfa" → notFound suggesting "team-alpha", nothing written`, async () => {
      const writes = await sandboxWriteCount(env.sandbox);
      const result = await env.harness.call(tool, args);
      assert.equal(result.isError, true, `${tool}: ${JSON.stringify(result.structuredContent)}`);
      const { error } = result.structuredContent as { error: { code: string; message: string } };
      assert.equal(error.code, 'notFound', `${tool}: ${error.message}`);
      assert.match(error.message, /namespace "?team-alfa"? does not exist/);
      assert.match(error.message, /Did you mean "team-alpha"\?/);
      assert.equal(await sandboxWriteCount(env.sandbox), writes);
    });
  }
});
