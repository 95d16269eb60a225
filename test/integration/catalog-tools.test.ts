/**
 * The k0rdent catalog tools through a real MCP client. Offline: k0.catalog.list answers from the index this package
 * ships (source: bundled) and k0.catalog.get names an app's versions, charts in install order, dependsOn and the
 * values nesting key. On every backend of the matrix (the real kcm included, where kcm's own template controller
 * computes status.valid from the chart the world's source-controller serves): install renders kgst's objects by
 * server-side apply and waits, with progress, until the ServiceTemplate is valid; the template then serves a
 * service on a Ready cluster; objects a kgst Helm release made are reported, never changed; uninstall is refused
 * while a deployment uses the template and deletes it afterwards; rejected calls (unknown app or version, a
 * namespace outside the rules, a dry run) write nothing.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Progress } from '@modelcontextprotocol/sdk/types.js';
import { outsideMatrix, testBackends } from '../helpers/backend.js';
import { kubectlFor } from '../helpers/kubectl.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { ElicitRequestSchema, type CallToolResult, type ElicitRequest, type ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import { pino } from 'pino';
import { createMcpServer } from '../../src/mcp/server.js';
import { createMetricsRegistry } from '../../src/observability/metrics.js';
import { createRuntime, createSession } from '../../src/runtime/runtime.js';
import { okOf, sandboxKubeConfig, testSettings } from '../helpers/clusters-harness.js';
import { sandboxFor, useBackend, useHarness, useSandbox } from '../helpers/lifecycle.js';
import { packageRoot } from '../../src/config/package.js';
import { SERVICE_TEMPLATES } from '../../src/sandbox/kcm/resources.js';
import { HELM_REPOSITORIES } from '../../src/sandbox/world/resources.js';
import type { KubeObject } from '../../src/sandbox/apiserver/types.js';

interface Origin {
  source: string;
  date: string;
  stale: boolean;
  commit?: string;
}
interface ListResult {
  catalog: Origin;
  total: number;
  items: { name: string; supportType: string; tags: string[]; latest: string }[];
}
interface GetResult {
  catalog: Origin;
  name: string;
  versions: string[];
  charts: { name: string; versions: string[]; repository: string; nestingKey?: string; dependsOn?: string[] }[];
  installed: { namespace: string; name: string; version: string; valid: boolean; newerVersion?: string }[];
}
interface InstallResult {
  catalog: Origin;
  app: string;
  version: string;
  namespace: string;
  objects: { kind: string; name: string; status: string; valid?: boolean; helmRelease?: string }[];
  wait?: { valid: boolean; timedOut: boolean; message: string };
}
interface UninstallResult {
  items: { name: string; status: string; usedBy?: string[]; message?: string }[];
}

const bundled = JSON.parse(readFileSync(join(packageRoot(), 'data', 'catalog', 'index.json'), 'utf8')) as {
  metadata: { source: { commit: string; date: string } };
  addons: { name: string; charts: { name: string; versions: string[] }[] }[];
};
/** `manager/operation` of each managedFields entry. */
const managers = (object: KubeObject | undefined): string[] =>
  ((object?.metadata.managedFields ?? []) as { manager?: string; operation?: string }[]).map((f) => `${f.manager}/${f.operation}`);

const nginxVersions = bundled.addons.find((a) => a.name === 'ingress-nginx')!.charts[0]!.versions;
const NEWEST = nginxVersions[0]!;
const TEMPLATE = `ingress-nginx-${NEWEST.replace(/\./g, '-')}`;

describe('k0.catalog.list and k0.catalog.get from the bundled index (no network, no cluster needed)', outsideMatrix(), () => {
  const env = useSandbox();

  it('list answers every app of the shipped index and says it is the bundled one, at its pinned commit', async () => {
    const list = await env.harness.ok<ListResult>('k0.catalog.list', {});
    assert.equal(list.catalog.source, 'bundled');
    assert.equal(list.catalog.commit, bundled.metadata.source.commit);
    assert.equal(list.catalog.date, bundled.metadata.source.date);
    assert.equal(list.total, bundled.addons.length);
    assert.deepEqual(
      list.items.map((i) => i.name),
      bundled.addons.map((a) => a.name),
    );
    assert.equal(list.items.find((i) => i.name === 'ingress-nginx')?.latest, NEWEST);
  });

  it('list filters by words, tag and support type; an unknown tag names the tags there are', async () => {
    const networking = await env.harness.ok<ListResult>('k0.catalog.list', { query: 'ingress', tag: 'networking' });
    assert.ok(networking.items.some((i) => i.name === 'ingress-nginx'));
    assert.ok(networking.items.every((i) => i.tags.includes('Networking')));
    const partner = await env.harness.ok<ListResult>('k0.catalog.list', { supportType: 'partner' });
    assert.ok(partner.total > 0 && partner.items.every((i) => i.supportType === 'partner'));
    const error = await env.harness.error('k0.catalog.list', { tag: 'Networkin' });
    assert.equal(error.code, 'invalidParams');
    assert.match(error.message, /Networking/);
  });

  it('get ingress-nginx names its versions and the values nesting key', async () => {
    const app = await env.harness.ok<GetResult>('k0.catalog.get', { app: 'ingress-nginx' });
    assert.equal(app.catalog.source, 'bundled');
    assert.deepEqual(app.versions, nginxVersions);
    assert.equal(app.charts.length, 1);
    assert.equal(app.charts[0]?.nestingKey, 'ingress-nginx');
    assert.equal(app.charts[0]?.repository, 'oci://ghcr.io/k0rdent/catalog/charts');
  });

  it('get of a multi-chart app lists its charts in install order with dependsOn and each nesting key', async () => {
    const istio = await env.harness.ok<GetResult>('k0.catalog.get', { app: 'istio' });
    assert.deepEqual(
      istio.charts.map((c) => [c.name, c.nestingKey, c.dependsOn]),
      [
        ['istio-base', 'base', undefined],
        ['istiod', 'istiod', ['istio-base']],
        ['istio-gateway', 'gateway', ['istiod']],
      ],
    );
  });

  it('an unknown app is notFound with the nearest names', async () => {
    const error = await env.harness.error('k0.catalog.get', { app: 'ingres-nginx' });
    assert.equal(error.code, 'notFound');
    assert.deepEqual((error.details?.nearest as string[])[0], 'ingress-nginx');
  });
});

for (const choice of testBackends({ kcm: true })) {
  describe(`k0.catalog.install and uninstall (${choice.name})`, { skip: choice.skip }, () => {
    const env = useBackend(choice.name, { provisionSeconds: 1, deleteSeconds: 1 });
    const filtered = useHarness(() => env.backend, { namespaceFilter: /^team-/ });

    const template = (namespace: string, name: string): Promise<KubeObject | undefined> =>
      env.backend.get(SERVICE_TEMPLATES, namespace, name);

    it('rejected calls write nothing: an unknown version (nearest named), a namespace outside the rules, a dry run', async () => {
      const before = await env.backend.writeMarker();
      const version = await env.harness.error('k0.catalog.install', { app: 'ingress-nginx', version: '4.15.0' });
      assert.equal(version.code, 'notFound');
      assert.equal(version.details?.nearest, NEWEST);
      const forbidden = await filtered.harness.error('k0.catalog.install', { app: 'ingress-nginx', namespace: 'kcm-system' });
      assert.equal(forbidden.code, 'forbidden');
      const app = await env.harness.error('k0.catalog.install', { app: 'ingress-ngnix' });
      assert.equal(app.code, 'notFound');
      const dry = await env.harness.ok<InstallResult>('k0.catalog.install', {
        app: 'ingress-nginx',
        namespace: 'team-alpha',
        dryRun: true,
      });
      assert.deepEqual(
        dry.objects.map((o) => [o.kind, o.name, o.status]),
        [
          ['HelmRepository', 'k0rdent-catalog', 'dryRun'],
          ['ServiceTemplate', TEMPLATE, 'dryRun'],
        ],
      );
      assert.equal(await env.backend.writeMarker(), before, 'no write happened anywhere');
      assert.equal(await template('team-alpha', TEMPLATE), undefined);
    });

    it('install with wait: kgst’s HelmRepository and ServiceTemplate by SSA, followed with progress until kcm says valid', async () => {
      const progress: Progress[] = [];
      const result = await env.harness.ok<InstallResult>(
        'k0.catalog.install',
        { app: 'ingress-nginx', namespace: 'team-alpha', wait: true, timeout: '3m' },
        { onprogress: (p) => progress.push(p), timeout: 200_000 },
      );
      assert.equal(result.version, NEWEST);
      assert.deepEqual(
        result.objects.map((o) => [o.kind, o.name, o.status]),
        [
          ['HelmRepository', 'k0rdent-catalog', 'created'],
          ['ServiceTemplate', TEMPLATE, 'created'],
        ],
      );
      assert.equal(result.wait?.valid, true, result.wait?.message);
      assert.equal(result.objects[1]?.valid, true);
      assert.ok(progress.length > 0, 'progress notifications were sent');
      const stored = await template('team-alpha', TEMPLATE);
      assert.equal((stored?.status as { valid?: boolean } | undefined)?.valid, true, 'kcm set status.valid');
      const chartSpec = (stored?.spec as { helm: { chartSpec: Record<string, unknown> } }).helm.chartSpec;
      assert.equal(chartSpec.chart, 'ingress-nginx');
      assert.equal(chartSpec.version, NEWEST);
      assert.equal(chartSpec.interval, '10m0s');
      assert.deepEqual(chartSpec.sourceRef, { kind: 'HelmRepository', name: 'k0rdent-catalog' });
      assert.equal(stored?.metadata.labels?.['app.kubernetes.io/managed-by'], 'k0rdent-mcp');
      assert.equal(stored?.metadata.labels?.['k0rdent.mirantis.com/managed'], undefined, 'kcm reads it as a copy kcm made');
      assert.ok(managers(stored).includes('mcp.catalog/Apply'));
      const repo = await env.backend.get(HELM_REPOSITORIES, 'team-alpha', 'k0rdent-catalog');
      const repoSpec = repo?.spec as { url?: string; type?: string } | undefined;
      assert.deepEqual([repoSpec?.url, repoSpec?.type], ['oci://ghcr.io/k0rdent/catalog/charts', 'oci']);

      const again = await env.harness.ok<InstallResult>('k0.catalog.install', { app: 'ingress-nginx', namespace: 'team-alpha' });
      assert.deepEqual(
        again.objects.map((o) => o.status),
        ['unchanged', 'unchanged'],
      );
      const app = await env.harness.ok<GetResult>('k0.catalog.get', { app: 'ingress-nginx' });
      const installed = app.installed.find((i) => i.namespace === 'team-alpha' && i.name === TEMPLATE);
      assert.deepEqual(installed && { version: installed.version, valid: installed.valid, newer: installed.newerVersion }, {
        version: NEWEST,
        valid: true,
        newer: undefined,
      });
    });

    it('the installed template serves a service on a Ready cluster, and uninstall is refused while the cluster uses it', async () => {
      // On real kcm: kcm's ServiceSet controller writes the Profile, the world's Sveltos (src/sandbox/world/sveltos.ts)
      // the ClusterSummary kcm reads the Deployed state from.
      const applied = await env.harness.ok<{ deployed?: boolean; state?: string }>(
        'k0.clusters.services.apply',
        {
          cluster: 'alpha-dev-cluster',
          namespace: 'team-alpha',
          template: TEMPLATE,
          serviceNamespace: 'ingress',
          wait: true,
          timeout: '2m',
          pollInterval: '1s',
        },
        { timeout: 150_000 },
      );
      assert.equal(applied.state, 'Deployed');
      const before = await env.backend.writeMarker();
      const refused = await env.harness.ok<UninstallResult>('k0.catalog.uninstall', { app: 'ingress-nginx', namespace: 'team-alpha' });
      assert.equal(refused.items[0]?.status, 'refused');
      assert.deepEqual(refused.items[0]?.usedBy, ['ClusterDeployment team-alpha/alpha-dev-cluster']);
      assert.equal(await env.backend.writeMarker(), before, 'nothing was deleted');
      await env.harness.ok('k0.clusters.services.remove', {
        cluster: 'alpha-dev-cluster',
        namespace: 'team-alpha',
        name: 'ingress-nginx',
        serviceNamespace: 'ingress',
      });
    });

    it('uninstall without a version deletes every version it installed there, the ServiceTemplates only; a second one finds nothing', async () => {
      const older = nginxVersions[1]!;
      await env.harness.ok('k0.catalog.install', { app: 'ingress-nginx', version: older, namespace: 'team-alpha' });
      const removed = await env.harness.ok<UninstallResult>('k0.catalog.uninstall', { app: 'ingress-nginx', namespace: 'team-alpha' });
      assert.deepEqual(removed.items, [
        { name: TEMPLATE, status: 'deleted' },
        { name: `ingress-nginx-${older.replace(/\./g, '-')}`, status: 'deleted' },
      ]);
      assert.ok(await env.backend.get(HELM_REPOSITORIES, 'team-alpha', 'k0rdent-catalog'), 'the HelmRepository stays');
      const again = await env.harness.ok<UninstallResult>('k0.catalog.uninstall', { app: 'ingress-nginx', namespace: 'team-alpha' });
      assert.deepEqual(again.items, [{ name: TEMPLATE, status: 'not_found' }]);
    });

    it('a ServiceTemplate a kgst Helm release made is reported, never changed or deleted', async () => {
      const name = 'cert-manager-1-21-1';
      await createAsAdmin(env.backend.adminKubeconfig, {
        apiVersion: 'k0rdent.mirantis.com/v1beta1',
        kind: 'ServiceTemplate',
        metadata: {
          name,
          namespace: 'team-beta',
          annotations: { 'meta.helm.sh/release-name': 'cert-manager', 'meta.helm.sh/release-namespace': 'team-beta' },
        },
        spec: {
          helm: {
            chartSpec: {
              chart: 'cert-manager',
              version: '1.21.1',
              interval: '5m0s',
              sourceRef: { kind: 'HelmRepository', name: 'k0rdent-catalog' },
            },
          },
        },
      });
      const before = await template('team-beta', name);
      const result = await env.harness.ok<InstallResult>('k0.catalog.install', {
        app: 'cert-manager',
        version: '1.21.1',
        namespace: 'team-beta',
      });
      const reported = result.objects.find((o) => o.name === name);
      assert.deepEqual(reported && [reported.status, reported.helmRelease], ['helmRelease', 'cert-manager']);
      const after = await template('team-beta', name);
      assert.deepEqual(after?.spec, before?.spec, 'its spec is the release’s');
      assert.ok(!managers(after).some((m) => m.startsWith('mcp.catalog/')), 'this server owns none of its fields');
      const uninstall = await env.harness.ok<UninstallResult>('k0.catalog.uninstall', {
        app: 'cert-manager',
        version: '1.21.1',
        namespace: 'team-beta',
      });
      assert.equal(uninstall.items[0]?.status, 'helmRelease');
      assert.ok(await template('team-beta', name), 'still there');
    });
  });
}

/** Creates an object with kubectl as the backend's admin (a kgst release's object, made by someone else than this server). */
async function createAsAdmin(adminKubeconfig: string, object: KubeObject): Promise<void> {
  const kubectl = kubectlFor(adminKubeconfig);
  try {
    const result = await kubectl.run(['create', '-f', '-'], JSON.stringify(object));
    assert.equal(result.code, 0, result.stderr);
  } finally {
    kubectl.close();
  }
}

describe('k0.catalog.uninstall asks the user first (CONFIRM_DESTRUCTIVE=auto, a client with elicitation)', outsideMatrix(), () => {
  const sandbox = sandboxFor({ provisionSeconds: 1, deleteSeconds: 1 });

  async function connect(
    answer: (request: ElicitRequest) => ElicitResult,
  ): Promise<{ client: Client; asked: ElicitRequest[]; close: () => Promise<void> }> {
    const runtime = createRuntime(testSettings(), sandboxKubeConfig(sandbox), pino({ level: 'silent' }), createMetricsRegistry());
    const server = createMcpServer(runtime, createSession(runtime, { id: 'catalog-confirm' }));
    const client = new Client({ name: 'catalog-confirm', version: '1' }, { capabilities: { elicitation: { form: {} } } });
    const asked: ElicitRequest[] = [];
    client.setRequestHandler(ElicitRequestSchema, (request) => {
      asked.push(request);
      return answer(request);
    });
    const [a, b] = InMemoryTransport.createLinkedPair();
    await server.connect(b);
    await client.connect(a);
    return { client, asked, close: async () => (await client.close(), await server.close()) };
  }
  const uninstall = async (client: Client): Promise<UninstallResult> =>
    okOf<UninstallResult>(
      (await client.callTool({
        name: 'k0.catalog.uninstall',
        arguments: { app: 'cert-manager', namespace: 'team-alpha' },
      })) as CallToolResult,
    );

  it('declined: cancelled, the template stays; confirmed with its name: deleted', async () => {
    const declining = await connect(() => ({ action: 'decline' }));
    try {
      okOf(
        (await declining.client.callTool({
          name: 'k0.catalog.install',
          arguments: { app: 'cert-manager', namespace: 'team-alpha' },
        })) as CallToolResult,
      );
      const name = `cert-manager-${bundled.addons.find((a) => a.name === 'cert-manager')!.charts[0]!.versions[0]!.replace(/\./g, '-')}`;
      const declined = await uninstall(declining.client);
      assert.deepEqual(
        declined.items.map((i) => [i.name, i.status]),
        [[name, 'cancelled']],
      );
      assert.equal(declining.asked.length, 1);
      assert.match(declining.asked[0]?.params.message ?? '', new RegExp(`ServiceTemplate team-alpha/${name}`));
      const kept = sandbox.store.get(SERVICE_TEMPLATES, 'team-alpha', name);
      assert.ok(kept && !kept.metadata.deletionTimestamp, 'the template stays');
    } finally {
      await declining.close();
    }
    const confirming = await connect((request) => ({
      action: 'accept',
      content: { name: /Type the name "([^"]+)"/.exec(request.params.message)?.[1] ?? '' },
    }));
    try {
      const confirmed = await uninstall(confirming.client);
      assert.deepEqual(
        confirmed.items.map((i) => i.status),
        ['deleted'],
      );
    } finally {
      await confirming.close();
    }
  });
});
