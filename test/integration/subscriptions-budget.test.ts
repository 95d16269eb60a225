/**
 * Resource subscriptions are a shared, bounded resource (issue 18 item 4), through real MCP clients over
 * the serve app: subscriptions to namespaces that do not exist are refused (notFound, nearest namespace);
 * 3 sessions × 50 subscriptions share one watch per namespace, on the identity's watch pool (at most
 * WATCH_SOCKETS sockets), fanned out to every session; another caller's list and /readyz answer throughout;
 * the gauge counts exactly what is subscribed; a stateless server does not offer subscribe.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ResourceUpdatedNotificationSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { WATCH_SOCKETS } from '../../src/kube/identity.js';
import { MAX_SUBSCRIPTIONS } from '../../src/mcp/resources/subscriptions.js';
import { MAX_SUBSCRIPTIONS_PER_IDENTITY, WATCH_BUDGET, watchHubOf } from '../../src/mcp/resources/watch-hub.js';
import { scaleNamespaceName } from '../../src/sandbox/seed/scale.js';
import { AZURE_BASELINE } from '../helpers/clusters-harness.js';
import { testBackends } from '../helpers/backend.js';
import { backendFor } from '../helpers/lifecycle.js';
import { startServeApp, type ServeApp } from '../helpers/serve-app.js';
import { until } from '../helpers/until.js';

const URI = (ns: string, name: string): string => `k0rdent://clusters/${ns}/${name}`;
const EXISTING = ['kcm-system', 'team-alpha', 'team-beta', 'finance'];
const SESSIONS = 3;
const PER_SESSION = 50;

for (const choice of testBackends())
  describe(`resource subscriptions share a bounded watch budget (${choice.name})`, { skip: choice.skip }, () => {
    // On the sandbox, 33 generated namespaces (scale-0000 …) besides the seeded ones: enough to reach the watch budget.
    const backend = backendFor(choice.name, {
      provisionSeconds: 1,
      deleteSeconds: 0.5,
      ...(choice.name === 'sandbox' ? { scale: WATCH_BUDGET + 1 } : {}),
    });
    let serve: ServeApp;
    /** What only the embedded sandbox can do here (generated namespaces, its /metrics). */
    const sandboxOnly = choice.name === 'sandbox' ? {} : { skip: "the cap is the server's own: checked once, on the sandbox" };
    const embeddedOnly = choice.name === 'sandbox' ? {} : { skip: 'needs the embedded sandbox (its --scale namespaces and /metrics)' };
    let other: Client;

    const subscriptionsGauge = async (): Promise<number> => {
      const m = /^mcp_resource_subscriptions (\d+)$/m.exec(await serve.runtime.metrics.metrics());
      assert.ok(m, 'the gauge exists');
      return Number(m[1]);
    };
    /** Another caller's list and /readyz, as they answer now. */
    const othersAnswer = async (): Promise<void> => {
      const [list, ready] = await Promise.all([
        other.callTool({ name: 'k0.clusters.list', arguments: {} }) as Promise<CallToolResult>,
        fetch(new URL('/readyz', serve.base)),
      ]);
      assert.ok(!list.isError, JSON.stringify(list.content));
      assert.equal(ready.status, 200, await ready.text());
    };

    before(async () => {
      serve = await startServeApp(backend);
      other = await serve.connect('other-caller');
    });
    after(async () => {
      await serve?.close();
    });

    it(`${SESSIONS} × ${PER_SESSION} subscriptions to missing namespaces are refused with the nearest; others are unaffected`, async () => {
      const sessions = await Promise.all(Array.from({ length: SESSIONS }, (_, i) => serve.connect(`missing-${i}`)));
      const storm = Promise.allSettled(
        sessions.flatMap((client, s) =>
          Array.from({ length: PER_SESSION }, (_, i) => client.subscribeResource({ uri: URI(`team-alphb-${s}-${i}`, 'c') })),
        ),
      );
      await othersAnswer();
      const results = await storm;
      await othersAnswer();
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 0, 'no subscription to a missing namespace is accepted');
      const first = results[0] as PromiseRejectedResult;
      assert.match(String(first.reason), /notFound: namespace "team-alphb-0-0" does not exist; did you mean "team-alpha"\?/);
      assert.equal(watchHubOf(serve.kube.base(), serve.runtime.logger).watchedNamespaces, 0, 'no watch was opened');
      assert.equal(await subscriptionsGauge(), 0);
    });

    it(`${SESSIONS} × ${PER_SESSION} subscriptions to existing namespaces: one watch per namespace, every session notified`, async () => {
      const sessions = await Promise.all(Array.from({ length: SESSIONS }, (_, i) => serve.connect(`existing-${i}`)));
      const updates: string[][] = sessions.map(() => []);
      sessions.forEach((client, s) =>
        client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => void updates[s]!.push(n.params.uri)),
      );
      // The same names in every session: the watches are shared, the notifications fanned out.
      const names = Array.from({ length: PER_SESSION }, (_, i) => [EXISTING[i % EXISTING.length]!, `shared-${i}`] as const);
      const storm = Promise.all(sessions.flatMap((client) => names.map(([ns, name]) => client.subscribeResource({ uri: URI(ns, name) }))));
      await othersAnswer();
      await storm;
      await othersAnswer();

      assert.equal(await subscriptionsGauge(), SESSIONS * PER_SESSION, 'the gauge counts what is subscribed, no more');
      const hub = watchHubOf(serve.kube.base(), serve.runtime.logger);
      assert.equal(hub.watchedNamespaces, EXISTING.length, 'one watch per namespace for every session of the identity');
      const watchSockets = serve.kube.base().watches().openSockets();
      assert.ok(watchSockets <= EXISTING.length, `${watchSockets} watch sockets for ${EXISTING.length} namespaces`);
      assert.ok(watchSockets <= WATCH_SOCKETS);

      // A change reaches every session that follows the name.
      const [namespace, name] = names[1]!;
      const deployed = (await other.callTool({
        name: 'k0.clusters.deploy',
        arguments: {
          name,
          namespace,
          template: 'azure-standalone-cp-1-0-15',
          credential: 'azure-cluster-credential',
          config: AZURE_BASELINE,
        },
      })) as CallToolResult;
      assert.ok(!deployed.isError, JSON.stringify(deployed.content));
      for (let s = 0; s < SESSIONS; s++) {
        await until(`session ${s} to be told of ${namespace}/${name}`, async () =>
          updates[s]!.includes(URI(namespace, name)) ? true : undefined,
        );
      }

      // Sessions end (DELETE /mcp): the gauge follows, and the last one out of a namespace stops its watch.
      await Promise.all(sessions.map((client) => (client.transport as StreamableHTTPClientTransport).terminateSession()));
      await othersAnswer();
      await until('the watches to stop and the gauge to reach 0', async () =>
        hub.watchedNamespaces === 0 && (await subscriptionsGauge()) === 0 ? true : undefined,
      );
    });

    it(
      `namespace number ${WATCH_BUDGET + 1} of one identity is refused; the API server sees at most ${WATCH_BUDGET} subscription watches`,
      embeddedOnly,
      async () => {
        const client = await serve.connect('budget');
        const namespaces = Array.from({ length: WATCH_BUDGET + 1 }, (_, i) => scaleNamespaceName(i));
        for (const namespace of namespaces.slice(0, WATCH_BUDGET)) await client.subscribeResource({ uri: URI(namespace, 'c') });
        await assert.rejects(
          client.subscribeResource({ uri: URI(namespaces[WATCH_BUDGET]!, 'c') }),
          new RegExp(`unavailable: this server already watches ${WATCH_BUDGET} namespaces for this identity`),
        );
        await othersAnswer();
        const hub = watchHubOf(serve.kube.base(), serve.runtime.logger);
        assert.equal(hub.watchedNamespaces, WATCH_BUDGET);
        // Counted on both ends: the identity's watch pool, and the watches the API server holds open.
        assert.ok(serve.kube.base().watches().openSockets() <= WATCH_SOCKETS);
        const served = await until('the API server to hold the watches', async () => {
          const m = /^apiserver_longrunning_requests\{verb="WATCH",resource="clusterdeployments"\} (\d+)/m.exec(
            await (await fetch(new URL('/metrics', backend.embedded!.url))).text(),
          );
          return m && Number(m[1]) === WATCH_BUDGET ? Number(m[1]) : undefined;
        });
        assert.equal(served, WATCH_BUDGET);
        assert.equal(await subscriptionsGauge(), WATCH_BUDGET);
        await (client.transport as StreamableHTTPClientTransport).terminateSession();
        await until('the watches to stop', async () => (hub.watchedNamespaces === 0 ? true : undefined));
      },
    );

    it(
      `caps per caller: ${MAX_SUBSCRIPTIONS_PER_IDENTITY} subscriptions over all sessions of one identity, then invalidParams`,
      sandboxOnly,
      async () => {
        const sessions = await Promise.all(
          Array.from({ length: MAX_SUBSCRIPTIONS_PER_IDENTITY / MAX_SUBSCRIPTIONS }, (_, i) => serve.connect(`cap-${i}`)),
        );
        for (const [s, client] of sessions.entries()) {
          await Promise.all(
            Array.from({ length: MAX_SUBSCRIPTIONS }, (_, i) => client.subscribeResource({ uri: URI('team-beta', `cap-${s}-${i}`) })),
          );
        }
        assert.equal(await subscriptionsGauge(), MAX_SUBSCRIPTIONS_PER_IDENTITY);
        const one_more = await serve.connect('cap-one-more');
        await assert.rejects(
          one_more.subscribeResource({ uri: URI('team-beta', 'one-more') }),
          new RegExp(
            `invalidParams: this caller already has ${MAX_SUBSCRIPTIONS_PER_IDENTITY} resource subscriptions over all its sessions`,
          ),
        );
        assert.equal(watchHubOf(serve.kube.base(), serve.runtime.logger).watchedNamespaces, 1, 'one namespace, one watch');
        await othersAnswer();
        await Promise.all(sessions.map((client) => (client.transport as StreamableHTTPClientTransport).terminateSession()));
        await until('the gauge to reach 0', async () => ((await subscriptionsGauge()) === 0 ? true : undefined));
      },
    );

    it('a stateless server does not offer subscribe (a subscription there could never deliver)', async () => {
      const stateless = await startServeApp(backend, {}, { stateless: true });
      try {
        const client = await stateless.connect('stateless');
        assert.ok(!client.getServerCapabilities()?.resources?.subscribe, 'subscribe is not advertised');
        await assert.rejects(client.subscribeResource({ uri: URI('team-alpha', 'x') }), /Method not found/);
        const listed = await client.listResources();
        assert.ok(Array.isArray(listed.resources), 'resources are still listed and read');
      } finally {
        await stateless.close();
      }
    });
  });
