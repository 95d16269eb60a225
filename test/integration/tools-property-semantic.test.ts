/**
 * The other half of tools-property.test.ts: arguments every tool's schema ACCEPTS but that name things
 * that do not exist, exist elsewhere, or are wrong in meaning (a namespace the deployment is not in, a
 * template of another provider, an unknown config key, a label the API would refuse). For each tool the
 * registry lists, fast-check builds schema-valid arguments from the tool's own input shape (so tools
 * added later are covered) and sends each through a real MCP client. The properties:
 *  - every answer is a tool result: a success, or a coded error that is not `internal` (well-typed input
 *    never crashes a tool);
 *  - an error answer wrote nothing: the sandbox's API server answered no create/update/patch/delete with
 *    2xx during the call (its own apiserver_request_total; the embedded kcm writes to its store directly,
 *    so only this server's requests count);
 *  - a tool that does not write never sends a write.
 * PROPERTY_DEBUG=1 prints each tool's mix of outcomes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CallToolResultSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import fc from 'fast-check';
import type { z } from 'zod';
import { ERROR_CODES } from '../../src/errors.js';
import { TOOLS } from '../../src/mcp/tools/index.js';
import type { AnyToolDefinition } from '../../src/mcp/tools/registry.js';
import { useSandbox } from '../helpers/lifecycle.js';

const RUNS_PER_TOOL = 30;

/** Names that exist somewhere in the default seed (docs/sandbox.md), each in one namespace only. */
const SEEDED = [
  'alpha-dev-cluster',
  'beta-staging-cluster',
  'azure-cluster-credential',
  'aws-cluster-credential',
  'finance-aws-credential',
  'azure-standalone-cp-1-0-45',
  'azure-standalone-cp-0-0-1',
  'aws-standalone-cp-1-0-43',
  'ingress-nginx-4-11-3',
  'velero-8-0-0',
  'ingress-nginx',
  'kube-prometheus-stack',
] as const;
const NAMESPACES = ['team-alpha', 'team-beta', 'finance', 'kcm-system', 'default', 'zz-no-such-namespace'] as const;

/** A DNS-1123 label nothing in the seed has. */
const fresh = fc.stringMatching(/^zz[a-z0-9]{1,12}$/);
const reference = fc.oneof({ weight: 3, arbitrary: fresh }, { weight: 2, arbitrary: fc.constantFrom(...SEEDED) });

/** Per argument name: values of the right type whose meaning varies. Keys not here are left out unless required. */
const BY_KEY: Record<string, fc.Arbitrary<unknown>> = {
  name: reference,
  template: reference,
  credential: reference,
  cluster: reference,
  forName: reference,
  namespace: fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...NAMESPACES) }, { weight: 1, arbitrary: fresh }),
  serviceNamespace: fc.oneof(fc.constantFrom('default', 'ingress-nginx', 'monitoring'), fresh),
  forKind: fc.constantFrom('ClusterDeployment', 'Credential', 'ClusterTemplate', 'Bogus'),
  labelSelector: fc.constantFrom('env=dev', 'env in (dev,staging)', '!env', 'env==', 'a b'),
  limit: fc.integer({ min: 1, max: 600 }),
  // A token no API server issued (a page of some other list, or garbage): the list cannot go on from it.
  continue: fc.constantFrom('zz-not-a-token', 'eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6OTk5OTk5LCJzdGFydCI6Inp6In0'),
  dryRun: fc.boolean(),
  adopt: fc.boolean(),
  labels: fc.dictionary(
    fc.constantFrom('env', 'team', 'bad key!', `x${'y'.repeat(70)}`, 'example.com/owner'),
    fc.constantFrom('dev', '', 'has space', 'v'.repeat(70)),
    { maxKeys: 2 },
  ),
  config: fc.dictionary(
    fc.constantFrom('workersNumber', 'controlPlaneNumber', 'location', 'controlPlane', 'zzUnknown', 'clusterIdentity'),
    fc.oneof(
      fc.integer({ min: -1, max: 5 }),
      fc.constantFrom('', 'westeurope'),
      fc.constant(null),
      fc.constant({ vmSize: 'Standard_A4_v2' }),
      fc.constant({ zz: 1 }),
    ),
    { maxKeys: 3 },
  ),
  values: fc.oneof(
    fc.constant('controller:\n  replicaCount: 2\n'),
    fc.constant('a: [1, 2'),
    fc.constant({ controller: { replicaCount: 'x' } }),
    fc.constant({}),
  ),
  dependsOn: fc.array(fc.record({ name: reference }), { maxLength: 2 }),
  // k0.multiClusterServices.apply: templates that exist (or not) in the global namespace; selectors that match, match
  // nothing, or are refused (In without values).
  services: fc.array(fc.record({ template: reference, namespace: fc.constantFrom('default', 'monitoring') }), {
    minLength: 1,
    maxLength: 2,
  }),
  clusterSelector: fc.constantFrom(
    { matchLabels: { env: 'dev' } },
    { matchLabels: { env: 'staging' } },
    { matchExpressions: [{ key: 'env', operator: 'In' }] },
    {},
  ),
  types: fc.subarray(['Normal', 'Warning']),
  since: fc.constantFrom('1h', '10m', '2026-01-01T00:00:00Z'),
  // The catalog tools: apps of the bundled index (one multi-chart), near misses, and versions some app lacks.
  app: fc.oneof(fc.constantFrom('ingress-nginx', 'istio', 'cert-manager', 'ingres-nginx', 'istiod'), fresh),
  version: fc.constantFrom('4.15.1', 'v4.11.5', '1.30.3', '9.9.9'),
  tag: fc.constantFrom('Networking', 'networking', 'Bogus'),
  query: fc.constantFrom('ingress', 'service mesh', 'zz-nothing'),
};

/** Per tool, generators that replace BY_KEY's: a cluster-scoped delete has only a name to be wrong about (near misses of the seed's MultiClusterService). */
const BY_TOOL_KEY: Record<string, Record<string, fc.Arbitrary<unknown>>> = {
  'k0.multiClusterServices.delete': { name: fc.constantFrom('platform-monitorin', 'platform-monitoring-2', 'zz-no-such-mcs') },
};

type ZodDef = { type: string; innerType?: { def: ZodDef }; entries?: Record<string, string> };

/** Schema-valid arguments for the tool, built from its input shape. `wait` is never set (no long waits). */
function meaningfulArguments(definition: AnyToolDefinition): fc.Arbitrary<Record<string, unknown>> {
  const shape = definition.input.shape as Record<string, z.ZodType & { def: ZodDef }>;
  const parts: Record<string, fc.Arbitrary<unknown>> = {};
  const required: string[] = [];
  for (const [key, schema] of Object.entries(shape)) {
    const optional = schema.def.type === 'optional';
    const inner = optional ? schema.def.innerType?.def : schema.def;
    let arbitrary = BY_TOOL_KEY[definition.name]?.[key] ?? BY_KEY[key];
    if (arbitrary === undefined && inner?.type === 'enum' && inner.entries) arbitrary = fc.constantFrom(...Object.values(inner.entries));
    if (arbitrary === undefined) {
      assert.ok(optional, `${definition.name}: no generator for the required argument ${key}; add one to BY_KEY`);
      continue;
    }
    parts[key] = arbitrary;
    if (!optional) required.push(key);
  }
  return fc.record(parts, { requiredKeys: required }).filter((args) => definition.input.strict().safeParse(args).success);
}

/** 2xx answers to create/update/patch/delete (not the self reviews), from the sandbox's own /metrics. */
async function acceptedWrites(sandbox: { url: string }): Promise<number> {
  const text = await (await fetch(`${sandbox.url}/metrics`)).text();
  let total = 0;
  for (const match of text.matchAll(/^apiserver_request_total\{([^}]*)\} (\d+)$/gm)) {
    const labels = match[1] as string;
    const verb = /verb="([^"]*)"/.exec(labels)?.[1] ?? '';
    const code = /code="(\d+)"/.exec(labels)?.[1] ?? '';
    // The caller's permission reviews ("may I?" before a write) are creates that store nothing.
    if (/resource="selfsubject\w*reviews"/.test(labels)) continue;
    if (['create', 'update', 'patch', 'delete', 'deletecollection'].includes(verb) && code.startsWith('2')) total += Number(match[2]);
  }
  return total;
}

describe('every tool answers meaningful-but-wrong arguments with a coded error and writes nothing (fast-check)', () => {
  const env = useSandbox(
    { provisionSeconds: 1, deleteSeconds: 1 },
    { authMode: 'DEV_ALLOW_ANY', namespaceFilter: /^(team-|kcm-system$|default$)/ },
  );

  for (const definition of TOOLS) {
    it(`${definition.name}: ${RUNS_PER_TOOL} schema-valid argument sets → a success or a coded, non-internal error; an error writes nothing`, async () => {
      const outcomes = new Map<string, number>();
      await fc.assert(
        fc.asyncProperty(meaningfulArguments(definition), async (args) => {
          const before = await acceptedWrites(env.sandbox);
          const result = (await env.harness.client.request(
            { method: 'tools/call', params: { name: definition.name, arguments: args } },
            CallToolResultSchema,
          )) as CallToolResult;
          const written = (await acceptedWrites(env.sandbox)) - before;
          const shown = JSON.stringify(args).slice(0, 300);
          if (result.isError) {
            const error = (result.structuredContent as { error?: { code?: string; message?: string } } | undefined)?.error;
            assert.ok(
              error && (ERROR_CODES as readonly string[]).includes(error.code ?? ''),
              `no coded error for ${shown}: ${JSON.stringify(result).slice(0, 300)}`,
            );
            assert.notEqual(error.code, 'internal', `internal error for ${shown}: ${error.message ?? ''}`);
            assert.ok((error.message ?? '').length > 0, 'the error says what went wrong');
            assert.equal(written, 0, `an error answer (${error.code}) for ${shown} came with ${written} accepted write(s)`);
            outcomes.set(error.code ?? '', (outcomes.get(error.code ?? '') ?? 0) + 1);
          } else {
            if (definition.annotations.readOnlyHint)
              assert.equal(written, 0, `${definition.name} does not write, yet ${written} write(s) were accepted for ${shown}`);
            outcomes.set('success', (outcomes.get('success') ?? 0) + 1);
          }
        }),
        { numRuns: RUNS_PER_TOOL, seed: 11 },
      );
      if (process.env['PROPERTY_DEBUG']) console.log(definition.name, JSON.stringify([...outcomes]));
      // The generators reach the tool's own checks, not only its happy path (a tool that takes no argument has
      // only `{}` to be called with: its runs must all succeed, and writing nothing is what they prove).
      if (Object.keys(definition.input.shape).length === 0) {
        assert.deepEqual([...outcomes], [['success', RUNS_PER_TOOL]]);
        return;
      }
      assert.ok(
        [...outcomes.keys()].some((k) => k !== 'success'),
        `${definition.name}: no run was refused: ${JSON.stringify([...outcomes])}`,
      );
    });
  }
});
