/**
 * MultiClusterServices written (issue 22 item 5) and the removal that missed (issue 25 item 2), through a real MCP
 * client on the embedded sandbox: a dry run lists the clusters the selector matches and writes nothing (the
 * sandbox's own write counter); applied, kcm (simulated) installs the service on the matching cluster and not on
 * the others; a change that takes the service off a cluster asks for confirmation and a decline writes nothing;
 * delete lists what loses the services; services.remove under the wrong serviceNamespace is notFound naming the
 * right one, with 0 writes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { ElicitRequestSchema, type CallToolResult, type ElicitRequest, type ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import { pino } from 'pino';
import { createMcpServer } from '../../src/mcp/server.js';
import { createMetricsRegistry } from '../../src/observability/metrics.js';
import { createRuntime, createSession } from '../../src/runtime/runtime.js';
import { sandboxKubeConfig, sandboxWriteCount, testSettings } from '../helpers/clusters-harness.js';
import { useSandbox } from '../helpers/lifecycle.js';
import { recordWatch } from '../helpers/watch.js';
import { CLUSTER_DEPLOYMENTS, MULTI_CLUSTER_SERVICES } from '../../src/sandbox/kcm/resources.js';
import type { KubeObject } from '../../src/sandbox/apiserver/types.js';

type Json = Record<string, unknown>;
const servicesOf = (cd: KubeObject): Json[] => ((cd as { status?: { services?: Json[] } }).status?.services ?? []) as Json[];
const has = (cd: KubeObject, name: string, state?: string): boolean =>
  servicesOf(cd).some((s) => s['name'] === name && (state === undefined || s['state'] === state));

describe('k0.multiClusterServices.apply / .delete and services.remove misses (embedded sandbox)', () => {
  const env = useSandbox({ provisionSeconds: 1, deleteSeconds: 1 });
  const MCS = {
    name: 'team-alpha-certs',
    clusterSelector: { matchLabels: { team: 'alpha' } },
    services: [{ template: 'cert-manager-1-16-2', namespace: 'cert-manager', values: 'crds:\n  enabled: true\n' }],
  };

  it('services.remove with the wrong serviceNamespace is notFound naming the entry’s real one; 0 writes', async () => {
    const before = await sandboxWriteCount(env.sandbox);
    const error = await env.harness.error('k0.clusters.services.remove', {
      cluster: 'alpha-dev-cluster',
      namespace: 'team-alpha',
      name: 'ingress-nginx',
    });
    assert.equal(error.code, 'notFound');
    assert.match(error.message, /no service "ingress-nginx" in serviceNamespace "default"/);
    assert.match(error.message, /serviceNamespace "ingress-nginx"/);
    assert.equal(await sandboxWriteCount(env.sandbox), before, 'nothing was written');
    // A name under no serviceNamespace at all stays the idempotent success.
    const gone = await env.harness.ok('k0.clusters.services.remove', {
      cluster: 'alpha-dev-cluster',
      namespace: 'team-alpha',
      name: 'never-installed',
    });
    assert.equal(gone.status, 'not_found');
  });

  it('a dry run lists the clusters the selector matches now and writes nothing', async () => {
    const before = await sandboxWriteCount(env.sandbox);
    const result = await env.harness.ok<{ status: string; matchingClusters: string[]; changes: string[] }>(
      'k0.multiClusterServices.apply',
      {
        ...MCS,
        dryRun: true,
      },
    );
    assert.equal(result.status, 'dryRun');
    assert.deepEqual(result.matchingClusters, ['team-alpha/alpha-dev-cluster']);
    assert.ok(result.changes.includes('+ service cert-manager/cert-manager (cert-manager-1-16-2)'), result.changes.join('\n'));
    assert.equal(await sandboxWriteCount(env.sandbox), before, 'a dry run sends no write');
    assert.equal(env.sandbox.store.get(MULTI_CLUSTER_SERVICES, undefined, MCS.name), undefined);
  });

  it('bad input is a coded error and nothing written: unknown template, values key, dependsOn', async () => {
    const before = await sandboxWriteCount(env.sandbox);
    const template = await env.harness.error('k0.multiClusterServices.apply', {
      ...MCS,
      services: [{ template: 'cert-manager-1-16-3', namespace: 'cert-manager' }],
    });
    assert.equal(template.code, 'invalidParams');
    assert.match(template.message, /Did you mean "cert-manager-1-16-2"\?/);
    const values = await env.harness.error('k0.multiClusterServices.apply', {
      ...MCS,
      services: [{ template: 'cert-manager-1-16-2', values: 'crds:\n  enabeld: true\n' }],
    });
    assert.equal(values.code, 'invalidParams');
    assert.match(values.message, /crds\.enabled/);
    const depends = await env.harness.error('k0.multiClusterServices.apply', { ...MCS, dependsOn: ['platform-monitorin'] });
    assert.equal(depends.code, 'invalidParams');
    assert.match(depends.message, /Did you mean "platform-monitoring"\?/);
    assert.equal(await sandboxWriteCount(env.sandbox), before);
  });

  it('applied, the matching cluster gets the service and the others do not', async () => {
    const alpha = await recordWatch(env.sandbox, CLUSTER_DEPLOYMENTS, {
      namespace: 'team-alpha',
      fieldSelector: 'metadata.name=alpha-dev-cluster',
    });
    try {
      const result = await env.harness.ok<{ status: string; matchingClusters: string[]; generation: number }>(
        'k0.multiClusterServices.apply',
        MCS,
      );
      assert.equal(result.status, 'created');
      assert.deepEqual(result.matchingClusters, ['team-alpha/alpha-dev-cluster']);
      const stored = env.sandbox.store.get(MULTI_CLUSTER_SERVICES, undefined, MCS.name);
      assert.deepEqual((stored as { spec?: Json }).spec?.['clusterSelector'], MCS.clusterSelector);
      const deployed = await alpha.seen('cert-manager Deployed on alpha-dev-cluster', (e) => has(e.object, 'cert-manager', 'Deployed'));
      assert.ok(deployed);
      // After the marker (the write that deployed it), the non-matching cluster has no cert-manager.
      const beta = env.sandbox.store.get(CLUSTER_DEPLOYMENTS, 'team-beta', 'beta-staging-cluster')!;
      assert.equal(has(beta, 'cert-manager'), false);
      const again = await env.harness.ok('k0.multiClusterServices.apply', MCS);
      assert.equal(again.status, 'unchanged');
    } finally {
      alpha.stop();
    }
  });

  it('a change that takes the service off its clusters asks for confirmation; without a client to ask it proceeds', async () => {
    // The harness client declares no elicitation: the change proceeds as asked, and says what it took away.
    const moved = await env.harness.ok<{ status: string; matchingClusters: string[]; changes: string[] }>('k0.multiClusterServices.apply', {
      ...MCS,
      clusterSelector: { matchLabels: { env: 'staging' } },
    });
    assert.equal(moved.status, 'updated');
    assert.deepEqual(moved.matchingClusters, ['team-beta/beta-staging-cluster']);
    assert.ok(
      moved.changes.some((c) => c.startsWith('- cluster team-alpha/alpha-dev-cluster no longer matches')),
      moved.changes.join('\n'),
    );
    assert.ok(moved.changes.includes('+ cluster team-beta/beta-staging-cluster gets the services'), moved.changes.join('\n'));
  });

  it('delete: a dry run lists the clusters that lose the services; then deleted; again not_found; a typo is notFound', async () => {
    const before = await sandboxWriteCount(env.sandbox);
    const preview = await env.harness.ok<{ status: string; matchingClusters: string[]; services: string[] }>(
      'k0.multiClusterServices.delete',
      {
        name: MCS.name,
        dryRun: true,
      },
    );
    assert.equal(preview.status, 'dryRun');
    assert.deepEqual(preview.matchingClusters, ['team-beta/beta-staging-cluster']);
    assert.deepEqual(preview.services, ['cert-manager/cert-manager (cert-manager-1-16-2)']);
    assert.equal(await sandboxWriteCount(env.sandbox), before);
    const typo = await env.harness.error('k0.multiClusterServices.delete', { name: 'team-alpha-cert' });
    assert.equal(typo.code, 'notFound');
    assert.match(typo.message, /did you mean "team-alpha-certs"/i);
    const deleted = await env.harness.ok('k0.multiClusterServices.delete', { name: MCS.name });
    assert.equal(deleted.status, 'deleted');
    const again = await env.harness.ok('k0.multiClusterServices.delete', { name: MCS.name });
    assert.equal(again.status, 'not_found');
  });
});

describe('k0.multiClusterServices.apply under a namespace filter', () => {
  const env = useSandbox({ provisionSeconds: 1, deleteSeconds: 1 }, { namespaceFilter: /^team-alpha$/ });

  it('a selector that reaches a cluster outside the writable namespaces is forbidden; nothing written', async () => {
    const before = await sandboxWriteCount(env.sandbox);
    const error = await env.harness.error('k0.multiClusterServices.apply', {
      name: 'everywhere',
      clusterSelector: { matchExpressions: [{ key: 'env', operator: 'Exists' }] },
      services: [{ template: 'cert-manager-1-16-2', namespace: 'cert-manager' }],
    });
    assert.equal(error.code, 'forbidden');
    assert.match(error.message, /would reach 1 ClusterDeployment\(s\) in namespaces this server may not change/);
    assert.equal(await sandboxWriteCount(env.sandbox), before);
  });
});

describe('destructive MultiClusterService changes ask through elicitation', () => {
  const env = useSandbox({ provisionSeconds: 1, deleteSeconds: 1 });

  /** A real SDK client that declares elicitation and answers every form with `answer`. */
  async function connect(answer: (request: ElicitRequest) => ElicitResult) {
    const runtime = createRuntime(testSettings(), sandboxKubeConfig(env.sandbox), pino({ level: 'silent' }), createMetricsRegistry());
    const server = createMcpServer(runtime, createSession(runtime, { id: 'mcs-confirm' }));
    const client = new Client({ name: 'mcs-confirm', version: '1' }, { capabilities: { elicitation: { form: {} } } });
    const asked: string[] = [];
    client.setRequestHandler(ElicitRequestSchema, (request) => {
      asked.push((request.params as { message: string }).message);
      return answer(request);
    });
    const [a, b] = InMemoryTransport.createLinkedPair();
    await server.connect(b);
    await client.connect(a);
    const call = async (name: string, args: Json): Promise<Json> => {
      const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
      assert.ok(!result.isError, JSON.stringify(result.content));
      return result.structuredContent as Json;
    };
    return { call, asked, close: async () => (await client.close(), await server.close()) };
  }

  it('declined: a removed service is cancelled with the changes listed and nothing written; typed name: deleted', async () => {
    const decline = await connect(() => ({ action: 'decline' }));
    const accept = await connect((request) => ({
      action: 'accept',
      content: { name: /Type the name "([^"]+)"/.exec((request.params as { message: string }).message)?.[1] ?? '' },
    }));
    try {
      const spec = {
        name: 'two-services',
        clusterSelector: { matchLabels: { team: 'alpha' } },
        services: [
          { template: 'cert-manager-1-16-2', namespace: 'cert-manager' },
          { template: 'kyverno-3-2-6', namespace: 'kyverno' },
        ],
      };
      assert.equal((await decline.call('k0.multiClusterServices.apply', spec)).status, 'created');
      assert.deepEqual(decline.asked, [], 'a create takes nothing away: no question');
      const before = await sandboxWriteCount(env.sandbox);
      const cancelled = await decline.call('k0.multiClusterServices.apply', { ...spec, services: spec.services.slice(0, 1) });
      assert.equal(cancelled.status, 'cancelled');
      assert.ok(
        (cancelled.changes as string[]).some((c) => c.startsWith('- service kyverno/kyverno')),
        JSON.stringify(cancelled.changes),
      );
      assert.equal(decline.asked.length, 1);
      assert.match(decline.asked[0]!, /- service kyverno\/kyverno/);
      assert.equal(await sandboxWriteCount(env.sandbox), before, 'declined: nothing written');
      const kept = env.sandbox.store.get(MULTI_CLUSTER_SERVICES, undefined, 'two-services') as unknown as {
        spec: { serviceSpec: { services: Json[] } };
      };
      assert.equal(kept.spec.serviceSpec.services.length, 2);

      const refused = await decline.call('k0.multiClusterServices.delete', { name: 'two-services' });
      assert.equal(refused.status, 'cancelled');
      assert.match(
        decline.asked[1]!,
        /uninstalls cert-manager\/cert-manager \(cert-manager-1-16-2\), kyverno\/kyverno \(kyverno-3-2-6\) from 1 cluster\(s\) \(team-alpha\/alpha-dev-cluster\)/,
      );
      const deleted = await accept.call('k0.multiClusterServices.delete', { name: 'two-services' });
      assert.equal(deleted.status, 'deleted');
      assert.equal(accept.asked.length, 1);
    } finally {
      await decline.close();
      await accept.close();
    }
  });
});
