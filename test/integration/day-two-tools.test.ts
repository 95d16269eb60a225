/**
 * The day-two tools through a real MCP client on the sandbox: get shows the seeded upgrade, a deploy's
 * phase moving and kcm's reason for a failing config; events.list reads kcm's events.k8s.io events;
 * templates.get gives the aws schema and an example that deploys (dry run) once filled; providers.list
 * and listCredentials tell which credentials fit every seeded template; namespaces.list counts with one
 * LIST per kind at --scale.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { checkConfig } from '../../src/shared/config-schema.js';
import { AZURE_BASELINE, startHarness, structured, type Harness } from '../helpers/clusters-harness.js';
import { until } from '../helpers/until.js';
import { sandboxFor } from '../helpers/lifecycle.js';

type Rec = Record<string, unknown>;

function setPath(target: Rec, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) node = node[key] as Rec;
  node[keys[keys.length - 1] as string] = value;
}

describe('day-two tools over MCP against the sandbox', () => {
  const sandbox = sandboxFor({ provisionSeconds: 2, deleteSeconds: 0.5 });
  let h: Harness;

  before(async () => {
    h = await startHarness(sandbox, { namespaceFilter: /^(team-|kcm-system$)/ });
  });
  after(async () => {
    await h?.close();
  });

  const ok = (name: string, args: Rec): Promise<Rec> => h.ok(name, args);

  // Their names, schemas and annotations: test/snapshots/tools, checked by tool-declarations.test.ts.

  it('get of the seeded beta-staging-cluster shows its availableUpgrades, config, conditions and kubeconfig Secret name', async () => {
    const got = await ok('k0.clusters.get', { name: 'beta-staging-cluster' });
    assert.equal(got.namespace, 'team-beta', 'found by name among the readable namespaces');
    assert.deepEqual(got.availableUpgrades, ['aws-standalone-cp-1-0-43']);
    assert.equal(got.template, 'aws-standalone-cp-1-0-14');
    assert.equal((got.config as Rec).region, 'us-east-2');
    assert.equal(got.ready, true);
    assert.deepEqual(got.progress, { operation: 'provision', step: 6, total: 6 });
    assert.deepEqual(got.kubeconfigSecret, { name: 'beta-staging-cluster-kubeconfig', namespace: 'team-beta', expected: true });
    assert.ok((got.conditions as Rec[]).some((c) => c.type === 'Ready' && c.status === 'True'));
  });

  it('get: an unknown name is notFound, a namespace outside the filter forbidden, an unknown argument invalidParams', async () => {
    const missing = await h.call('k0.clusters.get', { name: 'no-such-cluster' });
    assert.equal((structured(missing).error as Rec).code, 'notFound');
    const outside = await h.call('k0.clusters.get', { name: 'x', namespace: 'finance' });
    assert.equal((structured(outside).error as Rec).code, 'forbidden');
    const extra = await h.call('k0.clusters.get', { name: 'x', namepsace: 'team-alpha' });
    assert.equal((structured(extra).error as Rec).code, 'invalidParams');
    assert.match((extra.content[0] as { text: string }).text, /did you mean "namespace"/);
  });

  it('after a deploy without wait, get shows the phase moving to Ready; events.list shows kcm events newest first', async () => {
    await ok('k0.clusters.deploy', {
      name: 'day2-moving',
      namespace: 'team-alpha',
      template: 'azure-standalone-cp-1-0-45',
      credential: 'azure-cluster-credential',
      config: AZURE_BASELINE,
    });
    const phases = new Set<string>();
    const steps: number[] = [];
    await until('day2-moving Ready', async () => {
      const got = await ok('k0.clusters.get', { name: 'day2-moving', namespace: 'team-alpha' });
      phases.add(String(got.phase).split(' ')[0] ?? '');
      steps.push((got.progress as { step: number }).step);
      return got.ready === true ? got : undefined;
    });
    assert.ok(phases.has('Provisioning') && phases.has('Ready'), `phases seen: ${[...phases].join(', ')}`);
    assert.ok(steps.some((s) => s < 6) && steps[steps.length - 1] === 6, `steps: ${steps.join(',')}`);
    const events = await ok('k0.events.list', { namespace: 'team-alpha', forKind: 'ClusterDeployment', forName: 'day2-moving' });
    assert.equal(events.source, 'events.k8s.io/v1');
    const items = events.items as Rec[];
    const reasons = items.map((e) => e.reason);
    assert.ok(reasons.includes('CAPIClusterIsReady') && reasons.includes('HelmReleaseCreated'), reasons.join(','));
    const times = items.map((e) => String(e.time));
    assert.deepEqual(times, [...times].sort().reverse(), 'newest first');
    assert.equal(items[0]?.reportingController, 'kcm-controller-manager');
    assert.equal(items[0]?.action, 'Reconcile');
    const paged = await ok('k0.events.list', { namespace: 'team-alpha', forName: 'day2-moving', limit: 2 });
    assert.equal((paged.items as Rec[]).length, 2);
    const rest = await ok('k0.events.list', { namespace: 'team-alpha', forName: 'day2-moving', limit: 100, continue: paged.continue });
    assert.equal((rest.items as Rec[]).length, items.length - 2);
  });

  it("for a config the chart fails, get and events.list show kcm's reason", async () => {
    // A value deploy's own check lets through but the chart's schema refuses: kcm's HelmChartReady says why.
    const name = 'day2-bad-config';
    sandbox.store.create(
      { group: 'k0rdent.mirantis.com', version: 'v1beta1', plural: 'clusterdeployments' },
      {
        apiVersion: 'k0rdent.mirantis.com/v1beta1',
        kind: 'ClusterDeployment',
        metadata: { name, namespace: 'team-alpha' },
        spec: {
          template: 'azure-standalone-cp-1-0-45',
          credential: 'azure-cluster-credential',
          config: { ...AZURE_BASELINE, controlPlaneNumber: 'three' },
        },
      },
    );
    const got = await until('the failure', async () => {
      const g = await ok('k0.clusters.get', { name, namespace: 'team-alpha' });
      return String(g.phase).startsWith('Failed') ? g : undefined;
    });
    const chart = (got.conditions as Rec[]).find((c) => c.type === 'HelmChartReady');
    assert.match(String(chart?.message), /failed to validate template with provided configuration/);
    const warnings = got.recentWarnings as Rec[];
    assert.equal(warnings[0]?.reason, 'ValidationError');
    const events = await ok('k0.events.list', { forName: name, types: ['Warning'] });
    assert.match(String((events.items as Rec[])[0]?.message), /Invalid configuration provided: failed to validate template/);
  });

  it('events.list: since, namespace rules and bad input', async () => {
    const future = await ok('k0.events.list', { namespace: 'team-alpha', since: new Date(Date.now() + 3_600_000).toISOString() });
    assert.deepEqual(future.items, []);
    const recent = await ok('k0.events.list', { since: '1h' });
    assert.ok((recent.items as Rec[]).length > 0);
    assert.ok((recent.items as Rec[]).every((e) => e.namespace !== 'finance'));
    const outside = await h.call('k0.events.list', { namespace: 'finance' });
    assert.equal((structured(outside).error as Rec).code, 'forbidden');
    const badSince = await h.call('k0.events.list', { since: 'yesterday' });
    assert.equal((structured(badSince).error as Rec).code, 'invalidParams');
  });

  it('templates.get of the aws template: controlPlane.instanceType required, an example that deploys (dry run) once filled', async () => {
    const t = await ok('k0.templates.get', { name: 'aws-standalone-cp-1-0-43', detail: 'full' });
    assert.equal(t.namespace, 'kcm-system');
    assert.equal(t.schemaSource, 'schema');
    assert.equal(t.cloud, 'aws');
    const required = t.required as { path: string; mustFill: boolean }[];
    assert.ok(required.some((r) => r.path === 'controlPlane.instanceType' && r.mustFill));
    assert.ok(!required.some((r) => r.path.startsWith('clusterIdentity')), 'kcm fills clusterIdentity');
    const toFill = t.toFill as string[];
    assert.ok(toFill.includes('controlPlane.instanceType') && toFill.includes('region'), toFill.join(','));
    assert.deepEqual(
      (t.credentials as Rec[]).map((c) => c.name),
      ['aws-cluster-credential'],
    );
    const example = structuredClone(t.example) as Rec;
    assert.match(String((example.controlPlane as Rec).instanceType), /^<FILL: controlPlane\.instanceType>$/);
    // Unfilled, the product's own check refuses it; filled, it deploys.
    assert.ok(checkConfig(t.schema as Rec, t.defaults as Rec, example).length > 0 || toFill.length > 0);
    const values: Record<string, unknown> = {
      region: 'us-east-2',
      'controlPlane.instanceType': 't3.small',
      'worker.instanceType': 't3.small',
    };
    for (const path of toFill) setPath(example, path, values[path] ?? 'x');
    const dry = await ok('k0.clusters.deploy', {
      name: 'day2-aws-example',
      namespace: 'kcm-system',
      template: 'aws-standalone-cp-1-0-43',
      credential: 'aws-cluster-credential',
      config: example,
      dryRun: true,
    });
    assert.equal(dry.status, 'dryRun');
    const chained = await ok('k0.templates.get', { name: 'aws-standalone-cp-1-0-14', namespace: 'team-beta' });
    assert.deepEqual(chained.upgradesTo, ['aws-standalone-cp-1-0-43']);
    const missing = await h.call('k0.templates.get', { name: 'no-such-template' });
    assert.equal((structured(missing).error as Rec).code, 'notFound');
  });

  it('providers.list and listCredentials tell, for every seeded template, which credentials fit; deploy refuses a cloud credential for docker and adopted', async () => {
    const providers = await ok('k0.providers.list', {});
    assert.equal(providers.interfacesFrom, 'cluster');
    const byName = new Map((providers.items as Rec[]).map((p) => [p.name, p]));
    const creds = (p: string): string[] =>
      ((byName.get(p)?.credentials ?? []) as Rec[])
        .filter((c) => c.namespace === 'kcm-system')
        .map((c) => String(c.name))
        .sort();
    assert.deepEqual(creds('docker'), ['docker-stub-credential']);
    assert.deepEqual(creds('internal'), ['adopted-cluster-cred']);
    assert.deepEqual(creds('gcp'), ['gcp-cluster-credential']);
    assert.deepEqual(creds('openstack'), ['openstack-cluster-credential']);
    assert.deepEqual(creds('aws'), ['aws-cluster-credential']);
    assert.deepEqual(creds('azure'), ['azure-cluster-credential', 'azure-legacy-credential']);
    assert.deepEqual(creds('vsphere'), ['vsphere-cluster-credential']);
    const aws = byName.get('aws') as Rec;
    assert.equal(aws.template, 'cluster-api-provider-aws-1-0-26');
    assert.deepEqual(
      (aws.identityKinds as Rec[]).map((k) => k.kind),
      ['AWSClusterStaticIdentity', 'AWSClusterRoleIdentity', 'AWSClusterControllerIdentity'],
    );
    // Every seeded template in kcm-system has at least one fitting credential there, and templates.get agrees.
    const templates = await ok('k0.clusters.listTemplates', { scope: 'global', limit: 500 });
    for (const t of (templates.items as Rec[]).filter((x) => x.valid === true)) {
      const detail = await ok('k0.templates.get', { name: t.name });
      const fitting = (detail.credentials as Rec[]).map((c) => String(c.name)).sort();
      assert.deepEqual(fitting, creds(String(t.cloud)), `${String(t.name)}: templates.get and providers.list agree`);
      assert.ok(fitting.length > 0, `${String(t.name)} has a fitting credential`);
    }
    for (const [template, config] of [
      ['docker-hosted-cp-1-0-15', {}],
      ['adopted-cluster-1-0-2', {}],
    ] as const) {
      const refused = await h.call('k0.clusters.deploy', {
        name: 'day2-wrong-cred',
        namespace: 'kcm-system',
        template,
        credential: 'gcp-cluster-credential',
        config,
        dryRun: true,
      });
      assert.equal(
        (structured(refused).error as Rec | undefined)?.code,
        'invalidParams',
        `${template}: ${JSON.stringify(refused.content)}`,
      );
      assert.match((refused.content[0] as { text: string }).text, /does not fit ClusterTemplate/);
    }
    const docker = await ok('k0.clusters.deploy', {
      name: 'day2-docker',
      namespace: 'kcm-system',
      template: 'docker-hosted-cp-1-0-15',
      credential: 'docker-stub-credential',
      config: {},
      dryRun: true,
    });
    assert.equal(docker.status, 'dryRun');
  });

  it('namespaces.list: the readable namespaces with writability and counts', async () => {
    const page = await ok('k0.namespaces.list', {});
    const byName = new Map((page.items as Rec[]).map((n) => [n.name, n]));
    assert.ok(!byName.has('finance'));
    assert.deepEqual(byName.get('team-beta'), {
      name: 'team-beta',
      global: false,
      writable: true,
      canRead: true,
      canDeploy: true,
      canDelete: true,
      credentials: 1,
      templates: 2,
      deployments: 1,
    });
    assert.equal((byName.get('kcm-system') as Rec).global, true);
    const first = await ok('k0.namespaces.list', { limit: 1 });
    assert.equal((first.items as Rec[]).length, 1);
    const second = await ok('k0.namespaces.list', { limit: 1, continue: first.continue });
    assert.notDeepEqual(second.items, first.items);
  });

  it('the per-family counters and a log line per call', async () => {
    const text = await h.metrics.metrics();
    assert.match(text, /clusters_get_total\{outcome="success"\} [1-9]/);
    assert.match(text, /events_list_total\{outcome="forbidden"\} [1-9]/);
    assert.match(text, /providers_list_total\{outcome="error"\} 0/);
    assert.ok(h.logs.some((l) => l.tool === 'k0.templates.get' && l.outcome === 'success' && l.template === 'aws-standalone-cp-1-0-43'));
  });
});

describe('namespaces.list at --scale 1000', () => {
  const sandbox = sandboxFor({ scale: 1000 });
  let h: Harness;

  before(async () => {
    h = await startHarness(sandbox);
  });
  after(async () => {
    await h?.close();
  });

  async function lists(): Promise<Map<string, number>> {
    const text = await (await fetch(new URL('/metrics', sandbox.url))).text();
    const counts = new Map<string, number>();
    for (const m of text.matchAll(/^apiserver_request_total\{([^}]*)\} (\d+)/gm)) {
      const labels = Object.fromEntries([...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
      if (labels.verb !== 'list') continue;
      counts.set(labels.resource ?? '', (counts.get(labels.resource ?? '') ?? 0) + Number(m[2]));
    }
    return counts;
  }

  it('counts with no more than one LIST per kind', { timeout: 120_000 }, async () => {
    const before = await lists();
    const result = await h.call('k0.namespaces.list', { limit: 500 });
    const page = structured(result) as { items: Rec[]; continue?: string; countedBy: string };
    const after = await lists();
    assert.equal(page.countedBy, 'cluster');
    assert.equal(page.items.length, 500);
    assert.ok(page.continue);
    const scale = page.items.find((n) => n.name === 'scale-0007');
    assert.deepEqual([scale?.credentials, scale?.templates, scale?.deployments], [1, 1, 3]);
    const delta = Object.fromEntries([...after].map(([r, n]) => [r, n - (before.get(r) ?? 0)]).filter(([, n]) => (n as number) > 0));
    for (const [resource, n] of Object.entries(delta)) assert.ok((n as number) <= 1, `${resource}: ${String(n)} LISTs`);
    assert.deepEqual(
      Object.keys(delta).sort(),
      ['clusterdeployments', 'clustertemplates', 'credentials', 'namespaces']
        .filter((r) => r !== 'namespaces' || delta.namespaces !== undefined)
        .sort(),
    );
  });
});
