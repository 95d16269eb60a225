/**
 * The cluster resource template, its subscriptions, completion and the prompts, through a real MCP
 * client on the sandbox: subscribe → deploy gives resources/updated notifications, read shows Ready,
 * unsubscribe stops them, a namespace outside the filter is refused, and closing the session ends the
 * watch (the sandbox's apiserver_longrunning_requests gauge).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { AZURE_BASELINE, startHarness, structured, type Harness } from '../helpers/clusters-harness.js';
import { until } from '../helpers/until.js';
import { sandboxFor } from '../helpers/lifecycle.js';

type Rec = Record<string, unknown>;
const URI = (ns: string, name: string): string => `k0rdent://clusters/${ns}/${name}`;

describe('cluster resources, subscriptions, completion and prompts over MCP', () => {
  const sandbox = sandboxFor({ provisionSeconds: 1.5, deleteSeconds: 0.5 });
  let h: Harness;
  const updates: string[] = [];

  const openWatches = async (): Promise<number> => {
    const text = await (await fetch(new URL('/metrics', sandbox.url))).text();
    const m = /^apiserver_longrunning_requests\{verb="WATCH",resource="clusterdeployments"\} (\d+)/m.exec(text);
    return m ? Number(m[1]) : 0;
  };

  before(async () => {
    h = await startHarness(sandbox, { namespaceFilter: /^(team-|kcm-system$)/ });
    h.client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
      updates.push(n.params.uri);
    });
  });
  after(async () => {
    await h?.close();
  });

  it('advertises resources with subscribe, the template, and lists the readable deployments', async () => {
    assert.equal(h.client.getServerCapabilities()?.resources?.subscribe, true);
    const { resourceTemplates } = await h.client.listResourceTemplates();
    assert.deepEqual(
      resourceTemplates.map((t) => t.uriTemplate),
      ['k0rdent://clusters/{namespace}/{name}'],
    );
    const { resources } = await h.client.listResources();
    const uris = resources.map((r) => r.uri);
    assert.ok(uris.includes(URI('team-beta', 'beta-staging-cluster')), uris.join(', '));
    assert.ok(!uris.some((u) => u.includes('/finance/')));
    await assert.rejects(h.client.listResources({ cursor: 'bogus' }), /invalidParams: continue token/);
  });

  it('read returns the JSON k0.clusters.get returns; an unknown one is -32002', async () => {
    const read = await h.client.readResource({ uri: URI('team-beta', 'beta-staging-cluster') });
    const content = read.contents[0] as { text: string; mimeType: string };
    assert.equal(content.mimeType, 'application/json');
    const got = structured(await h.call('k0.clusters.get', { name: 'beta-staging-cluster', namespace: 'team-beta' }));
    const fromResource = JSON.parse(content.text) as Rec;
    assert.deepEqual(Object.keys(fromResource).sort(), Object.keys(got).sort());
    assert.deepEqual(fromResource.availableUpgrades, ['aws-standalone-cp-1-0-43']);
    await assert.rejects(h.client.readResource({ uri: URI('team-beta', 'nope') }), (e: Error & { code?: number }) => e.code === -32002);
    await assert.rejects(h.client.readResource({ uri: URI('finance', 'x') }), /forbidden/);
  });

  it('subscribe, deploy: at least two updates and a Ready read; unsubscribe: no more; outside the filter: an error', async () => {
    const uri = URI('team-alpha', 'sub-one');
    await h.client.subscribeResource({ uri });
    assert.equal(await openWatches(), 1, 'one watch for the namespace');
    await h.client.subscribeResource({ uri: URI('team-alpha', 'alpha-dev-cluster') });
    assert.equal(await openWatches(), 1, 'the same watch serves a second subscription there');
    const deployed = await h.call('k0.clusters.deploy', {
      name: 'sub-one',
      namespace: 'team-alpha',
      template: 'azure-standalone-cp-1-0-45',
      credential: 'azure-cluster-credential',
      config: AZURE_BASELINE,
    });
    assert.notEqual(deployed.isError, true, JSON.stringify(deployed.content));
    await until('two updates and Ready', async () => {
      if (updates.filter((u) => u === uri).length < 2) return undefined;
      const read = JSON.parse(((await h.client.readResource({ uri })).contents[0] as { text: string }).text) as Rec;
      return read.ready === true ? read : undefined;
    });
    assert.ok(!updates.includes(URI('team-alpha', 'alpha-dev-cluster')), 'an unchanged deployment sends nothing');

    await h.client.unsubscribeResource({ uri });
    const before = updates.length;
    await h.call('k0.clusters.delete', { name: 'sub-one', namespace: 'team-alpha', wait: true, pollInterval: '1s' });
    assert.equal(
      updates.filter((u) => u === uri).length,
      updates.slice(0, before).filter((u) => u === uri).length,
      'no update after unsubscribe',
    );

    await assert.rejects(h.client.subscribeResource({ uri: URI('finance', 'anything') }), /forbidden/);
    await assert.rejects(h.client.subscribeResource({ uri: 'k0rdent://clusters/only-one-part' }), /invalidParams/);
  });

  it('completion/complete offers namespaces and names of the template', async () => {
    const ref = { type: 'ref/resource' as const, uri: 'k0rdent://clusters/{namespace}/{name}' };
    const ns = await h.client.complete({ ref, argument: { name: 'namespace', value: 'team-' } });
    assert.deepEqual(ns.completion.values, ['team-alpha', 'team-beta']);
    const names = await h.client.complete({
      ref,
      argument: { name: 'name', value: 'beta' },
      context: { arguments: { namespace: 'team-beta' } },
    });
    assert.deepEqual(names.completion.values, ['beta-staging-cluster']);
    const outside = await h.client.complete({
      ref,
      argument: { name: 'name', value: '' },
      context: { arguments: { namespace: 'finance' } },
    });
    assert.deepEqual(outside.completion.values, []);
  });

  it('prompts/list and prompts/get: three guides naming the real tools; their arguments complete', async () => {
    const { prompts } = await h.client.listPrompts();
    assert.deepEqual(prompts.map((p) => p.name).sort(), ['create-cluster', 'troubleshoot-cluster', 'upgrade-cluster']);
    const troubleshoot = prompts.find((p) => p.name === 'troubleshoot-cluster');
    assert.deepEqual(
      troubleshoot?.arguments?.map((a) => [a.name, a.required]),
      [
        ['name', true],
        ['namespace', false],
      ],
    );
    const got = await h.client.getPrompt({
      name: 'troubleshoot-cluster',
      arguments: { name: 'beta-staging-cluster', namespace: 'team-beta' },
    });
    const text = (got.messages[0]?.content as { text: string }).text;
    for (const tool of ['k0.clusters.diagnose', 'k0.logs.get', 'k0.clusters.get', 'k0.events.list', 'k0.templates.get'])
      assert.ok(text.includes(tool), tool);
    assert.ok(text.indexOf('k0.clusters.diagnose') < text.indexOf('k0.logs.get'), 'diagnose first, then the log it points to');
    const create = await h.client.getPrompt({ name: 'create-cluster', arguments: { provider: 'aws' } });
    assert.match((create.messages[0]?.content as { text: string }).text, /k0\.templates\.get[\s\S]*k0\.clusters\.deploy/);
    const done = await h.client.complete({
      ref: { type: 'ref/prompt', name: 'upgrade-cluster' },
      argument: { name: 'name', value: 'alpha' },
    });
    assert.deepEqual(done.completion.values, ['alpha-dev-cluster']);
    const provider = await h.client.complete({
      ref: { type: 'ref/prompt', name: 'create-cluster' },
      argument: { name: 'provider', value: 'a' },
    });
    assert.deepEqual(provider.completion.values, ['aws', 'azure']);
  });

  it('snake tool names in the prompts', async () => {
    const snake = await startHarness(sandbox, { toolNameStyle: 'snake' });
    try {
      const got = await snake.client.getPrompt({ name: 'upgrade-cluster', arguments: { name: 'beta-staging-cluster' } });
      const text = (got.messages[0]?.content as { text: string }).text;
      assert.ok(text.includes('k0_clusters_get') && text.includes('k0_clusters_update') && !text.includes('k0.clusters.get'), text);
    } finally {
      await snake.close();
    }
  });

  it('resource requests are counted and logged like tool calls; the subscriptions gauge follows subscribe and unsubscribe', async () => {
    const metric = async (line: RegExp): Promise<number> => {
      const m = line.exec(await h.metrics.metrics());
      assert.ok(m, `series ${String(line)} exists`);
      return Number(m[1]);
    };
    const reads = /^mcp_resource_requests_total\{method="resources\/read",outcome="success"\} (\d+)/m;
    const notFound = /^mcp_resource_requests_total\{method="resources\/read",outcome="not_found"\} (\d+)/m;
    const gauge = /^mcp_resource_subscriptions (\d+)/m;
    const [readsBefore, notFoundBefore, subscribed] = [await metric(reads), await metric(notFound), await metric(gauge)];
    assert.equal(subscribed, 1, 'alpha-dev-cluster is subscribed (the earlier test left it)');
    await h.client.readResource({ uri: URI('team-beta', 'beta-staging-cluster') });
    await assert.rejects(h.client.readResource({ uri: URI('team-beta', 'no-such-cluster') }), /notFound/);
    assert.equal(await metric(reads), readsBefore + 1);
    assert.equal(await metric(notFound), notFoundBefore + 1);
    await h.client.subscribeResource({ uri: URI('team-beta', 'beta-staging-cluster') });
    await h.client.subscribeResource({ uri: URI('team-beta', 'beta-staging-cluster') });
    assert.equal(await metric(gauge), 2, 'a repeated subscribe is one subscription');
    await h.client.unsubscribeResource({ uri: URI('team-beta', 'beta-staging-cluster') });
    assert.equal(await metric(gauge), 1);
    const line = h.logs.find((l) => l['method'] === 'resources/read' && l['uri'] === URI('team-beta', 'no-such-cluster'));
    assert.ok(line, 'the rejected read has its log line');
    assert.equal(line['outcome'], 'not_found');
    assert.equal(line['errorCode'], 'notFound');
  });

  it('closing the session ends its watch and its subscriptions leave the gauge', async () => {
    assert.equal(await openWatches(), 1, 'alpha-dev-cluster is still subscribed');
    await h.close();
    await until('the watch to end', async () => ((await openWatches()) === 0 ? true : undefined));
    assert.match(await h.metrics.metrics(), /^mcp_resource_subscriptions 0$/m);
  });
});
