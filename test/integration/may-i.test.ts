/**
 * "May I?" (issue 23 item 3 and 5) through a real MCP client, on the embedded sandbox and on the kube backend
 * (kube-apiserver's own RBAC decides there): a user of the token table who may read team-beta but not deploy
 * there (`readOnly`) sees canRead true and canDeploy/canDelete false in k0.namespaces.list, no count where it may
 * not list, and every write tool aimed at team-beta answers `forbidden` naming the missing permission (verb,
 * resource, namespace) after one SelfSubjectRulesReview and no write: the server's own request counter shows no
 * create/patch/delete, and neither does the API server's (the sandbox's apiserver_request_total; on kube, where
 * kcm writes on its own timers, team-beta's deployments keep their names, generations and no deletion). Where the review allows (team-alpha), the same user deploys.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Registry } from 'prom-client';
import { testBackends, type Backend } from '../helpers/backend.js';
import { AZURE_BASELINE, startHarness, type Harness, type ToolError } from '../helpers/clusters-harness.js';
import { useBackend, useHarness } from '../helpers/lifecycle.js';
import { sandboxCounters } from '../helpers/sandbox-counters.js';
import { CLUSTER_DEPLOYMENTS } from '../../src/sandbox/kcm/resources.js';

const VIEWER_TOKEN = 'beta-viewer-token-0123';
const dir = mkdtempSync(join(tmpdir(), 'k0mcp-may-i-'));
const tokens = join(dir, 'tokens.yaml');
writeFileSync(
  tokens,
  [
    'users:',
    '  - { name: admin, token: admin-token-0123, namespaces: ["*"] }',
    // Reads and writes team-alpha; only reads team-beta.
    `  - { name: beta-viewer, token: ${VIEWER_TOKEN}, namespaces: [team-alpha], readOnly: [team-beta] }`,
    '',
  ].join('\n'),
);
after(() => rmSync(dir, { recursive: true, force: true }));

interface NamespaceItem {
  name: string;
  writable: boolean;
  canRead?: boolean;
  canDeploy?: boolean;
  canDelete?: boolean;
  credentials?: number;
  templates?: number;
  deployments?: number;
}

const WRITE_VERBS = ['create', 'update', 'patch', 'delete', 'deletecollection'];

/** The product's own kube_api_requests_total, by `verb/resource`. */
async function productRequests(metrics: Registry): Promise<Map<string, number>> {
  const text = await metrics.metrics();
  const counts = new Map<string, number>();
  for (const m of text.matchAll(/^kube_api_requests_total\{verb="([^"]*)",resource="([^"]*)",code="[^"]*"\} (\d+)/gm)) {
    const key = `${m[1]}/${m[2]}`;
    counts.set(key, (counts.get(key) ?? 0) + Number(m[3]));
  }
  return counts;
}

function grown(before: Map<string, number>, after: Map<string, number>, keep: (verb: string, resource: string) => boolean): string[] {
  return [...after]
    .filter(([key, n]) => n > (before.get(key) ?? 0) && keep(key.slice(0, key.indexOf('/')), key.slice(key.indexOf('/') + 1)))
    .map(([key, n]) => `${key} +${n - (before.get(key) ?? 0)}`);
}

/** The API server's side: writes it answered (the embedded sandbox's counter), or etcd's revision (kube). */
async function serverWrites(backend: Backend): Promise<() => Promise<string[]>> {
  if (backend.embedded) {
    const url = backend.embedded.url;
    const before = await sandboxCounters(url);
    return async () => {
      const now = await sandboxCounters(url);
      return (
        now.requests
          // A review is a create that stores nothing.
          .filter((r) => (WRITE_VERBS.includes(r.verb) || r.verb === 'apply') && !r.resource.startsWith('selfsubject'))
          .filter(
            (r) => r.value > (before.requests.find((b) => b.verb === r.verb && b.resource === r.resource && b.code === r.code)?.value ?? 0),
          )
          .map((r) => `${r.verb} ${r.resource} ${r.code}`)
      );
    };
  }
  // kube: kcm and the API server's own controllers write on their own timers, so etcd's revision is no proof here;
  // what a refused write would have changed is: team-beta's deployments (names, generations, deletion) stay as they were.
  const beta = async (): Promise<string[]> =>
    (await backend.list(CLUSTER_DEPLOYMENTS, { namespace: 'team-beta' }))
      .map((o) => `${o.metadata.name}@${String(o.metadata.generation)}${o.metadata.deletionTimestamp ? ' deleting' : ''}`)
      .sort();
  const before = await beta();
  return async () => {
    const now = await beta();
    return JSON.stringify(now) === JSON.stringify(before) ? [] : [`team-beta deployments ${before.join(', ')} → ${now.join(', ')}`];
  };
}

for (const choice of testBackends({ kcm: true })) {
  describe(`may I? (${choice.name})`, { skip: choice.skip }, () => {
    const env = useBackend(choice.name, { tokensFile: tokens, provisionSeconds: 1, deleteSeconds: 1 }, false);
    const viewer = useHarness(() => env.backend, { authMode: 'OIDC_REQUIRED' }, VIEWER_TOKEN);

    it('k0.namespaces.list: what the API server lets this user do in each namespace, and no count it may not read', async () => {
      const page = await viewer.harness.ok<{ items: NamespaceItem[] }>('k0.namespaces.list', {});
      const byName = new Map(page.items.map((i) => [i.name, i]));
      const beta = byName.get('team-beta');
      assert.ok(beta, JSON.stringify(page.items.map((i) => i.name)));
      assert.equal(beta.canRead, true);
      assert.equal(beta.canDeploy, false);
      assert.equal(beta.canDelete, false);
      assert.equal(beta.writable, false, 'read-only: not writable, whatever the namespace filter says');
      assert.equal(beta.deployments, 1, 'beta-staging-cluster');
      assert.equal(beta.credentials, 1);
      const alpha = byName.get('team-alpha');
      assert.deepEqual(
        { canRead: alpha?.canRead, canDeploy: alpha?.canDeploy, canDelete: alpha?.canDelete, writable: alpha?.writable },
        { canRead: true, canDeploy: true, canDelete: true, writable: true },
      );
      const finance = byName.get('finance');
      assert.ok(finance);
      assert.equal(finance.canRead, false);
      assert.equal(finance.canDeploy, false);
      assert.equal(finance.writable, false);
      assert.deepEqual(
        [finance.credentials, finance.templates, finance.deployments],
        [undefined, undefined, undefined],
        'a namespace it may not read shows no counts (never zeros it did not see)',
      );
    });

    it('deploy into team-beta: forbidden naming create clusterdeployments there, after one review and with no write', async () => {
      // A fresh identity: nothing remembered, so the one review is this call's.
      let fresh: Harness | undefined;
      try {
        fresh = await startHarness(env.backend, { authMode: 'OIDC_REQUIRED' }, VIEWER_TOKEN);
        const server = await serverWrites(env.backend);
        const before = await productRequests(fresh.metrics);
        const error: ToolError = await fresh.error('k0.clusters.deploy', {
          name: 'viewer-cluster',
          template: 'aws-standalone-cp-1-0-43',
          credential: 'aws-cluster-credential',
          namespace: 'team-beta',
          config: { region: 'us-east-2', controlPlane: { instanceType: 't3.small' }, worker: { instanceType: 't3.small' } },
        });
        const after = await productRequests(fresh.metrics);
        assert.equal(error.code, 'forbidden', error.message);
        assert.match(error.message, /you may not create clusterdeployments\.k0rdent\.mirantis\.com in namespace "team-beta"/);
        assert.match(error.message, /nothing was written/);
        assert.deepEqual(error.details?.missing, {
          verb: 'create',
          group: 'k0rdent.mirantis.com',
          resource: 'clusterdeployments',
          namespace: 'team-beta',
        });
        assert.equal(error.details?.reviewedBy, 'SelfSubjectRulesReview');
        assert.deepEqual(
          grown(before, after, () => true),
          ['create/selfsubjectrulesreviews +1'],
          'one review and nothing else: no read, no write attempted',
        );
        assert.deepEqual(await server(), [], 'the API server answered no write');
      } finally {
        await fresh?.close();
      }
    });

    it('update, delete and services apply/remove in team-beta: forbidden naming the permission, nothing written', async () => {
      const server = await serverWrites(env.backend);
      const before = await productRequests(viewer.harness.metrics);
      const calls: [string, Record<string, unknown>, string][] = [
        ['k0.clusters.update', { name: 'beta-staging-cluster', namespace: 'team-beta', config: { workersNumber: 3 } }, 'patch'],
        ['k0.clusters.delete', { name: 'beta-staging-cluster', namespace: 'team-beta' }, 'delete'],
        [
          'k0.clusters.services.apply',
          { cluster: 'beta-staging-cluster', namespace: 'team-beta', template: 'cert-manager-1-16-2' },
          'patch',
        ],
        ['k0.clusters.services.remove', { cluster: 'beta-staging-cluster', namespace: 'team-beta', name: 'cert-manager' }, 'patch'],
        // A dry run needs the same permission as the write it rehearses.
        [
          'k0.clusters.deploy',
          {
            name: 'viewer-cluster',
            template: 'aws-standalone-cp-1-0-43',
            credential: 'aws-cluster-credential',
            namespace: 'team-beta',
            config: { region: 'us-east-2' },
            dryRun: true,
          },
          'create',
        ],
      ];
      for (const [tool, args, verb] of calls) {
        const error = await viewer.harness.error(tool, args);
        assert.equal(error.code, 'forbidden', `${tool}: ${error.message}`);
        const named = verb === 'create' ? '' : ' "beta-staging-cluster"';
        assert.ok(
          error.message.includes(`you may not ${verb} clusterdeployments.k0rdent.mirantis.com${named} in namespace "team-beta"`),
          `${tool}: ${error.message}`,
        );
      }
      const after = await productRequests(viewer.harness.metrics);
      assert.deepEqual(
        grown(before, after, (v) => WRITE_VERBS.includes(v) && v !== 'create'),
        [],
        'no patch or delete attempted',
      );
      assert.deepEqual(
        grown(before, after, (v, r) => v === 'create' && r !== 'selfsubjectrulesreviews'),
        [],
        'no create attempted but the reviews',
      );
      assert.deepEqual(await server(), [], 'the API server answered no write');
    });

    it('where the review allows (team-alpha) the same user deploys: the dry run reaches the API server', async () => {
      const result = await viewer.harness.ok<{ status: string; namespace: string }>('k0.clusters.deploy', {
        name: 'viewer-alpha',
        template: 'azure-standalone-cp-1-0-45',
        credential: 'azure-cluster-credential',
        namespace: 'team-alpha',
        config: AZURE_BASELINE,
        dryRun: true,
      });
      assert.deepEqual(result.status, 'dryRun');
      assert.equal(result.namespace, 'team-alpha');
    });
  });
}
