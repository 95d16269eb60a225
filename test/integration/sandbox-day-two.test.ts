/**
 * The sandbox parts day-two tools read, through client-node and kubectl: events.k8s.io/v1 served from
 * the same storage as core/v1 with kcm's event shape, the ProviderInterfaces, ProviderTemplates and the
 * Management status, the `<name>-kubeconfig` Secret of Ready deployments, and metadata-only lists.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CoreV1Api, CustomObjectsApi, EventsV1Api, KubeConfig, setHeaderOptions, Watch } from '@kubernetes/client-node';
import { storeApi } from '../../src/sandbox/kcm/api.js';
import { recordEvent } from '../../src/sandbox/kcm/events.js';
import { AZURE_BASELINE } from '../helpers/clusters-harness.js';
import { until } from '../helpers/until.js';
import { sandboxFor } from '../helpers/lifecycle.js';

type Rec = Record<string, unknown>;
const GROUP = 'k0rdent.mirantis.com';
const VERSION = 'v1beta1';

describe('sandbox day-two data', () => {
  const sandbox = sandboxFor({ provisionSeconds: 1, deleteSeconds: 0.5 });
  let kc: KubeConfig;
  let custom: CustomObjectsApi;
  let core: CoreV1Api;
  let events: EventsV1Api;
  let dir: string;

  before(async () => {
    kc = new KubeConfig();
    kc.loadFromString(sandbox.kubeconfig);
    kc.clusters.forEach((c) => Object.assign(c, { skipTLSVerify: true }));
    custom = kc.makeApiClient(CustomObjectsApi);
    core = kc.makeApiClient(CoreV1Api);
    events = kc.makeApiClient(EventsV1Api);
    dir = mkdtempSync(join(tmpdir(), 'sandbox-day-two-'));
    writeFileSync(join(dir, 'kubeconfig'), sandbox.kubeconfig);
  });
  after(async () => {
    rmSync(dir, { recursive: true, force: true });
  });

  // Asynchronous: the sandbox serves from this process, so a blocking spawn would starve it.
  const kubectl = (...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> =>
    new Promise((resolve, reject) => {
      const child = spawn(
        '/usr/bin/kubectl',
        ['--kubeconfig', join(dir, 'kubeconfig'), '--cache-dir', join(dir, 'cache'), '--request-timeout', '20s', ...args],
        { env: { PATH: '/usr/bin', HOME: dir } },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });

  it('a deploy to Ready: kcm events in events.k8s.io/v1 shape, the same objects as core/v1 Events, and the kubeconfig Secret', async () => {
    const seen: string[] = [];
    const watch = await new Watch(kc).watch(
      '/apis/events.k8s.io/v1/namespaces/team-alpha/events',
      { fieldSelector: 'regarding.name=day-two' },
      (type: string, object: Rec) => {
        seen.push(`${type} ${String(object['reason'])} ${String(object['apiVersion'])}`);
      },
      () => undefined,
    );
    try {
      await custom.createNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: 'team-alpha',
        plural: 'clusterdeployments',
        body: {
          apiVersion: `${GROUP}/${VERSION}`,
          kind: 'ClusterDeployment',
          metadata: { name: 'day-two' },
          spec: { template: 'azure-standalone-cp-1-0-45', credential: 'azure-cluster-credential', config: AZURE_BASELINE },
        },
      });
      const ready = await until('the CAPIClusterIsReady event', async () => {
        const list = await events.listNamespacedEvent({
          namespace: 'team-alpha',
          fieldSelector: 'regarding.name=day-two,reason=CAPIClusterIsReady',
        });
        return list.items[0];
      });
      assert.equal(ready.reportingController, 'kcm-controller-manager');
      assert.equal(ready.action, 'Reconcile');
      assert.match(String(ready.eventTime), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/);
      assert.equal(ready.regarding?.kind, 'ClusterDeployment');
      assert.equal(ready.note, 'Cluster has been provisioned');
      assert.equal(ready.deprecatedLastTimestamp, undefined, 'kcm writes no lastTimestamp');
      assert.equal(ready.deprecatedCount, undefined);

      // The same object through core/v1: involvedObject, message, reportingComponent.
      const coreList = await core.listNamespacedEvent({ namespace: 'team-alpha', fieldSelector: 'involvedObject.name=day-two' });
      const same = coreList.items.find((e) => e.metadata?.name === ready.metadata?.name);
      assert.ok(same, 'core/v1 lists the events.k8s.io event');
      assert.equal(same.message, 'Cluster has been provisioned');
      assert.equal(same.reportingComponent, 'kcm-controller-manager');
      assert.equal(same.involvedObject.name, 'day-two');
      assert.equal(same.lastTimestamp, undefined);
      assert.ok(
        seen.some((s) => s === 'ADDED CAPIClusterIsReady events.k8s.io/v1'),
        `watch saw ${seen.join(', ')}`,
      );

      const secret = await until('the kubeconfig Secret', async () => {
        const s = await core.listNamespacedSecret({ namespace: 'team-alpha', fieldSelector: 'metadata.name=day-two-kubeconfig' });
        return s.items[0];
      });
      assert.equal(secret.type, 'cluster.x-k8s.io/secret');
      assert.equal(secret.metadata?.labels?.['cluster.x-k8s.io/cluster-name'], 'day-two');
      assert.match(Buffer.from(secret.data?.['value'] ?? '', 'base64').toString('utf8'), /kind: Config/);

      await custom.deleteNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: 'team-alpha',
        plural: 'clusterdeployments',
        name: 'day-two',
      });
      await until('the Secret to go with the deployment', async () =>
        (await core.listNamespacedSecret({ namespace: 'team-alpha', fieldSelector: 'metadata.name=day-two-kubeconfig' })).items.length === 0
          ? true
          : undefined,
      );
    } finally {
      watch.abort();
    }
  });

  it('a repeated event becomes a series; an events.k8s.io/v1 POST is readable as core/v1; unknown field selectors are refused', async () => {
    const body = {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name: 'posted.1' },
      eventTime: new Date('2026-01-01T00:00:00Z'),
      reportingController: 'test-controller',
      reportingInstance: 'test-controller-1',
      action: 'Check',
      reason: 'Checked',
      note: 'posted through events.k8s.io',
      type: 'Normal',
      regarding: { kind: 'ClusterDeployment', name: 'x', namespace: 'team-beta' },
    };
    await events.createNamespacedEvent({ namespace: 'team-beta', body });
    const read = await core.readNamespacedEvent({ namespace: 'team-beta', name: 'posted.1' });
    assert.equal(read.message, 'posted through events.k8s.io');
    assert.equal(read.involvedObject.name, 'x');
    assert.equal(read.reportingComponent, 'test-controller');
    await assert.rejects(
      events.listNamespacedEvent({ namespace: 'team-beta', fieldSelector: 'involvedObject.name=x' }),
      /field label not supported/,
    );
    const byController = await events.listNamespacedEvent({ namespace: 'team-beta', fieldSelector: 'reportingController=test-controller' });
    assert.deepEqual(
      byController.items.map((e) => e.metadata?.name),
      ['posted.1'],
    );

    // kcm's recorder: the second identical occurrence turns the event into a series of 2, then 3.
    const regarding = {
      apiVersion: `${GROUP}/${VERSION}`,
      kind: 'ClusterDeployment',
      metadata: { name: 'repeat', namespace: 'team-beta', uid: 'u-1' },
    };
    const api = storeApi(sandbox.store);
    for (let i = 0; i < 3; i++) await recordEvent(api, regarding, { type: 'Warning', reason: 'ValidationError', message: 'same failure' });
    const repeated = await events.listNamespacedEvent({ namespace: 'team-beta', fieldSelector: 'regarding.name=repeat' });
    assert.equal(repeated.items.length, 1);
    assert.equal(repeated.items[0]?.series?.count, 3);
    assert.ok(repeated.items[0]?.series?.lastObservedTime);
  });

  it('serves the ProviderInterfaces, ProviderTemplates and the Management status with its components', async () => {
    const pis = (await custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: 'providerinterfaces' })) as {
      items: Rec[];
    };
    const byProvider = new Map(pis.items.map((pi) => [((pi['metadata'] as Rec)['labels'] as Rec)['cluster.x-k8s.io/provider'], pi]));
    assert.equal(pis.items.length, 8);
    const docker = byProvider.get('infrastructure-docker') as Rec;
    assert.deepEqual(
      ((docker['spec'] as Rec)['clusterIdentities'] as Rec[]).map((c) => c['kind']),
      ['Secret'],
    );
    const mgmt = (await custom.getClusterCustomObject({ group: GROUP, version: VERSION, plural: 'managements', name: 'kcm' })) as Rec;
    const status = mgmt['status'] as Rec;
    assert.ok((status['availableProviders'] as string[]).includes('infrastructure-internal'));
    const components = status['components'] as Record<string, Rec>;
    assert.deepEqual(components['cluster-api-provider-gcp'], {
      success: true,
      template: 'cluster-api-provider-gcp-1-0-25',
      exposedProviders: ['infrastructure-gcp'],
    });
    const pts = (await custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: 'providertemplates' })) as { items: Rec[] };
    assert.ok(pts.items.some((t) => (t['metadata'] as Rec)['name'] === 'cluster-api-provider-aws-1-0-26'));
    // kubectl, an independent client, finds the kind by its short name.
    const out = await kubectl('get', 'pi');
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /cluster-api-provider-docker/);
  });

  it('answers metadata-only lists and gets (PartialObjectMetadataList) without data or spec', async () => {
    const accept = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json';
    const list = (await custom.listClusterCustomObject(
      { group: GROUP, version: VERSION, plural: 'credentials' },
      setHeaderOptions('Accept', accept),
    )) as Rec;
    assert.equal(list['kind'], 'PartialObjectMetadataList');
    const items = list['items'] as Rec[];
    assert.ok(items.length > 5);
    for (const item of items) assert.deepEqual(Object.keys(item).sort(), ['apiVersion', 'kind', 'metadata']);
    const secret = (await core.readNamespacedSecret(
      { namespace: 'team-alpha', name: 'alpha-dev-cluster-kubeconfig' },
      setHeaderOptions('Accept', 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json'),
    )) as unknown as Rec;
    assert.equal(secret['kind'], 'PartialObjectMetadata');
    assert.equal(secret['data'], undefined);
  });

  it('kubectl prints events.k8s.io events', async () => {
    const out = await kubectl('get', 'events.v1.events.k8s.io', '-n', 'team-beta');
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /Checked/);
  });
});
