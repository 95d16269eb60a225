/**
 * One not-found shape for every tool that takes a name (issue 25 item 1): a one-letter typo answers notFound
 * with the nearest name in the namespace asked (`details.suggestion`), the right name in the wrong namespace
 * answers notFound with the readable namespaces where it exists (`details.existsIn`), both name the tool that
 * lists what is there, and nothing is written. The list of tools comes from the registry: a new tool that
 * takes a name fails here until it joins the table.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { TOOLS } from '../../src/mcp/tools/index.js';
import { errorOf, okOf, type ToolError } from '../helpers/clusters-harness.js';
import { useBackend } from '../helpers/lifecycle.js';

/** Input keys that name an existing object the tool acts on or reads. */
const NAME_KEYS = ['name', 'cluster', 'forName', 'for', 'app'];

const CLUSTER = 'alpha-dev-cluster';
const CLUSTER_TYPO = 'alpha-dev-clustr';
/** In kcm-system and team-alpha. */
const TEMPLATE = 'azure-standalone-cp-1-0-15';
const TEMPLATE_TYPO = 'azure-standalon-cp-1-0-15';
/** In kcm-system and team-beta, not in team-alpha (the AccessManagement has not brought it there). */
const GLOBAL_ONLY_TEMPLATE = 'aws-standalone-cp-1-0-14';

interface NameCase {
  /** A one-letter typo of an existing name, in the namespace that holds it. */
  typo: Record<string, unknown>;
  /** The nearest name the answer must offer. */
  suggestion: string;
  /** An existing name in a namespace that lacks it (cluster-scoped kinds have no namespace to be wrong). */
  elsewhere?: Record<string, unknown>;
  /** A namespace the answer must say holds it. */
  existsIn?: string;
  /** The tool the answer names as the one listing what is there. */
  listTool: string;
  /** What else the wrong-namespace answer must say. */
  elsewhereSays?: RegExp;
}

const deployment = (
  extra: Record<string, unknown> = {},
  key = 'name',
): Pick<NameCase, 'typo' | 'suggestion' | 'elsewhere' | 'existsIn' | 'listTool'> => ({
  typo: { [key]: CLUSTER_TYPO, namespace: 'team-alpha', ...extra },
  suggestion: CLUSTER,
  elsewhere: { [key]: CLUSTER, namespace: 'team-beta', ...extra },
  existsIn: 'team-alpha',
  listTool: 'k0.clusters.list',
});

const CASES: Record<string, NameCase> = {
  'k0.clusters.get': deployment(),
  'k0.clusters.update': deployment({ config: { workersNumber: 2 } }),
  'k0.clusters.delete': deployment(),
  'k0.clusters.diagnose': deployment(),
  'k0.clusters.services.apply': deployment({ template: 'ingress-nginx-4-11-3' }, 'cluster'),
  'k0.clusters.services.remove': deployment({ name: 'ingress-nginx', serviceNamespace: 'ingress-nginx' }, 'cluster'),
  'k0.clusters.services.status': deployment({}, 'cluster'),
  'k0.events.list': {
    typo: { forKind: 'ClusterDeployment', forName: CLUSTER_TYPO, namespace: 'team-alpha' },
    suggestion: CLUSTER,
    elsewhere: { forKind: 'ClusterDeployment', forName: CLUSTER, namespace: 'team-beta' },
    existsIn: 'team-alpha',
    listTool: 'k0.clusters.list',
  },
  'k0.logs.get': {
    typo: { for: { kind: 'ClusterDeployment', name: CLUSTER_TYPO, namespace: 'team-alpha' } },
    suggestion: CLUSTER,
    elsewhere: { for: { kind: 'ClusterDeployment', name: CLUSTER, namespace: 'team-beta' } },
    existsIn: 'team-alpha',
    listTool: 'k0.clusters.list',
  },
  'k0.templates.get': {
    typo: { name: TEMPLATE_TYPO, namespace: 'team-alpha' },
    suggestion: TEMPLATE,
    elsewhere: { name: GLOBAL_ONLY_TEMPLATE, namespace: 'team-alpha' },
    existsIn: 'kcm-system',
    listTool: 'k0.clusters.listTemplates',
    // Like deploy: how a template of the global namespace reaches this one.
    elsewhereSays: /made available in "team-alpha" through the AccessManagement "kcm"/,
  },
  // The catalog has no namespaces: a typo only.
  'k0.catalog.get': { typo: { app: 'ingres-nginx' }, suggestion: 'ingress-nginx', listTool: 'k0.catalog.list' },
  'k0.catalog.install': {
    typo: { app: 'ingres-nginx', namespace: 'team-alpha', dryRun: true },
    suggestion: 'ingress-nginx',
    listTool: 'k0.catalog.list',
  },
  'k0.catalog.uninstall': {
    typo: { app: 'ingres-nginx', namespace: 'team-alpha', dryRun: true },
    suggestion: 'ingress-nginx',
    listTool: 'k0.catalog.list',
  },
  // Cluster-scoped: a typo only.
  'k0.multiClusterServices.delete': {
    typo: { name: 'platform-monitorin', dryRun: true },
    suggestion: 'platform-monitoring',
    listTool: 'k0.multiClusterServices.list',
  },
};

/**
 * Tools whose `name` is the object they create: their named references answer like deploy's checks
 * (invalidParams, SPEC section 6) with the nearest name and the AccessManagement explanation.
 */
const CREATES: Record<string, { typo: Record<string, unknown>; nearest: string; elsewhere?: Record<string, unknown> }> = {
  'k0.clusters.deploy': {
    typo: { name: 'nf-new', namespace: 'team-alpha', template: TEMPLATE_TYPO, credential: 'azure-cluster-credential', config: {} },
    nearest: TEMPLATE,
    elsewhere: {
      name: 'nf-new',
      namespace: 'team-alpha',
      template: GLOBAL_ONLY_TEMPLATE,
      credential: 'azure-cluster-credential',
      config: {},
    },
  },
  'k0.multiClusterServices.apply': {
    typo: {
      name: 'nf-new',
      clusterSelector: { matchLabels: { team: 'alpha' } },
      services: [{ template: 'ingress-nginx-4-11', name: 'ingress-nginx', namespace: 'ingress-nginx' }],
      dryRun: true,
    },
    nearest: 'ingress-nginx-4-11-3',
  },
};

/** Delete stays idempotent (SPEC: nothing to delete is a success): a near miss is `not_found` with the nearest in `hint`. */
const SUCCESS_ON_TYPO = new Set(['k0.clusters.delete']);

describe('one not-found shape for every tool that takes a name (issue 25)', () => {
  const env = useBackend('sandbox', { provisionSeconds: 1, deleteSeconds: 1 }, { authMode: 'DEV_ALLOW_ANY' });

  // One write marker around the whole table (a marker waits for the backend to be quiet: ~2 s each).
  let marker = '';
  before(async () => {
    marker = await env.backend.writeMarker();
  });

  it('every tool that takes a name is in the table (derived from the registry)', () => {
    const named = TOOLS.filter((t) => Object.keys(t.input.shape).some((key) => NAME_KEYS.includes(key))).map((t) => t.name);
    const missing = named.filter((name) => CASES[name] === undefined && CREATES[name] === undefined);
    assert.deepEqual(missing, [], `add these tools to CASES (or CREATES) in ${import.meta.url.split('/').pop()}`);
  });

  const shaped = (tool: string, error: ToolError, c: NameCase): void => {
    assert.equal(error.code, 'notFound', `${tool}: ${error.message}`);
    assert.equal(error.details?.['listTool'], c.listTool, `${tool} names the listing tool`);
    assert.ok(error.message.includes(c.listTool), `${tool}: ${error.message}`);
  };

  for (const [tool, c] of Object.entries(CASES)) {
    it(`${tool}: a one-letter typo → the nearest name "${c.suggestion}"`, async () => {
      const result = await env.harness.call(tool, c.typo);
      if (SUCCESS_ON_TYPO.has(tool)) {
        const value = okOf<{ status: string; hint?: string }>(result);
        assert.equal(value.status, 'not_found');
        assert.match(value.hint ?? '', new RegExp(`Did you mean "${c.suggestion}"\\?`));
        assert.match(value.hint ?? '', /nothing was deleted/);
      } else {
        const error = errorOf(result);
        shaped(tool, error, c);
        assert.equal(error.details?.['suggestion'], c.suggestion, `${tool}: ${error.message}`);
        assert.match(error.message, new RegExp(`Did you mean "${c.suggestion}"\\?`));
      }
    });

    const { elsewhere, existsIn } = c;
    if (elsewhere === undefined || existsIn === undefined) continue;
    it(`${tool}: the right name in the wrong namespace → where it exists ("${existsIn}")`, async () => {
      const error = errorOf(await env.harness.call(tool, elsewhere));
      shaped(tool, error, c);
      assert.ok((error.details?.['existsIn'] as string[] | undefined)?.includes(existsIn), `${tool}: ${JSON.stringify(error.details)}`);
      assert.match(error.message, new RegExp(`exists in namespaces? [^;]*"${existsIn}"`));
      if (c.elsewhereSays) assert.match(error.message, c.elsewhereSays);
    });
  }

  for (const [tool, c] of Object.entries(CREATES)) {
    it(`${tool}: a template typo → the nearest${c.elsewhere ? '; a template only in the global namespace → AccessManagement' : ''}`, async () => {
      const typo = errorOf(await env.harness.call(tool, c.typo));
      assert.equal(typo.code, 'invalidParams');
      assert.match(typo.message, new RegExp(`Did you mean "${c.nearest}"\\?`));
      if (c.elsewhere) {
        const elsewhere = errorOf(await env.harness.call(tool, c.elsewhere));
        assert.match(elsewhere.message, /made available in "team-alpha" through the AccessManagement "kcm"/);
      }
    });
  }

  it('update of a near miss never suggests deploy (it would create a second deployment); a name with no near one may', async () => {
    const near = errorOf(await env.harness.call('k0.clusters.update', { name: CLUSTER_TYPO, namespace: 'team-alpha', config: {} }));
    assert.doesNotMatch(near.message, /k0\.clusters\.deploy/);
    const none = errorOf(await env.harness.call('k0.clusters.update', { name: 'zzzzzzzzzzzzzzzz', namespace: 'team-alpha', config: {} }));
    assert.equal(none.code, 'notFound');
    assert.equal(none.details?.['suggestion'], undefined);
    assert.match(none.message, /To create a new deployment, use k0\.clusters\.deploy/);
  });

  it('get without a namespace: a typo → the nearest readable name and its namespace', async () => {
    const error = errorOf(await env.harness.call('k0.clusters.get', { name: CLUSTER_TYPO }));
    assert.equal(error.code, 'notFound');
    assert.equal(error.details?.['suggestion'], CLUSTER);
    assert.deepEqual(error.details?.['suggestionIn'], ['team-alpha']);
    assert.match(error.message, /Did you mean "alpha-dev-cluster" \(namespace "team-alpha"\)\?/);
  });

  it('templates.get without a namespace: a typo in the global namespace → the nearest there', async () => {
    const error = errorOf(await env.harness.call('k0.templates.get', { name: TEMPLATE_TYPO }));
    assert.equal(error.code, 'notFound');
    assert.equal(error.details?.['suggestion'], TEMPLATE);
    assert.match(error.message, /global namespace "kcm-system"/);
  });

  it('resources/read of k0rdent://clusters/… answers the same shape (MCP "Resource not found", code once)', async () => {
    const read = (uri: string) => env.harness.client.readResource({ uri });
    await assert.rejects(read(`k0rdent://clusters/team-alpha/${CLUSTER_TYPO}`), (error: Error & { code?: number; data?: unknown }) => {
      assert.equal(error.code, -32002);
      assert.match(error.message, /^MCP error -32002: notFound: ClusterDeployment "alpha-dev-clustr" does not exist/);
      assert.doesNotMatch(error.message, /MCP error -32002: MCP error/);
      assert.match(error.message, /Did you mean "alpha-dev-cluster"\?/);
      assert.equal((error.data as { details?: { suggestion?: string } }).details?.suggestion, CLUSTER);
      return true;
    });
    await assert.rejects(read(`k0rdent://clusters/team-beta/${CLUSTER}`), (error: Error & { code?: number }) => {
      assert.equal(error.code, -32002);
      assert.match(error.message, /exists in namespace "team-alpha"/);
      return true;
    });
  });

  it('nothing in this table wrote anything (every call above, typos and wrong namespaces alike)', async () => {
    assert.equal(await env.backend.writeMarker(), marker, `a call of ${[...Object.keys(CASES), ...Object.keys(CREATES)].join(', ')} wrote`);
  });
});
