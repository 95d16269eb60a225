/**
 * The simulated kcm through @kubernetes/client-node: a watch sees a deployment's whole life in order,
 * webhook denials arrive as ApiExceptions (404 for a missing template, kcm's NotFound), the mutating default applies, and a template created
 * through the API gets kcm's status and schema ConfigMap.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ApiException, CoreV1Api, CustomObjectsApi, KubeConfig, Watch } from '@kubernetes/client-node';
import { tempDir } from '../helpers/cli-process.js';
import { AZURE_BASELINE } from '../helpers/clusters-harness.js';
import { until } from '../helpers/until.js';
import { sandboxFor } from '../helpers/lifecycle.js';

type Rec = Record<string, unknown>;
const GROUP = 'k0rdent.mirantis.com';
const VERSION = 'v1beta1';

function deployment(namespace: string, name: string, spec: Rec): Rec {
  return { apiVersion: `${GROUP}/${VERSION}`, kind: 'ClusterDeployment', metadata: { name, namespace }, spec };
}

const readyOf = (object: Rec): Rec | undefined =>
  (((object['status'] as Rec | undefined)?.['conditions'] ?? []) as Rec[]).find((c) => c['type'] === 'Ready');

describe('sandbox kcm through client-node', () => {
  const sandbox = sandboxFor({ provisionSeconds: 1, deleteSeconds: 0.5 });
  let kc: KubeConfig;
  let custom: CustomObjectsApi;
  let core: CoreV1Api;
  const aborts: AbortController[] = [];

  before(async () => {
    kc = new KubeConfig();
    kc.loadFromString(sandbox.kubeconfig);
    custom = kc.makeApiClient(CustomObjectsApi);
    core = kc.makeApiClient(CoreV1Api);
  });
  after(async () => {
    for (const a of aborts) a.abort();
  });

  it('watch delivers ADDED, the condition walk to Ready, the Deleting walk and DELETED, in order', async () => {
    const list = (await custom.listNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: 'team-alpha',
      plural: 'clusterdeployments',
    })) as Rec;
    const rv = String((list['metadata'] as Rec)['resourceVersion']);
    const seen: { type: string; ready: string; deleting: string }[] = [];
    const controller = await new Watch(kc).watch(
      `/apis/${GROUP}/${VERSION}/namespaces/team-alpha/clusterdeployments`,
      { resourceVersion: rv, fieldSelector: 'metadata.name=client-demo' },
      (type: string, object: Rec) => {
        const deleting = (((object['status'] as Rec | undefined)?.['conditions'] ?? []) as Rec[]).find((c) => c['type'] === 'Deleting');
        seen.push({ type, ready: String(readyOf(object)?.['reason'] ?? ''), deleting: String(deleting?.['reason'] ?? '') });
      },
      () => undefined,
    );
    aborts.push(controller);

    await custom.createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: 'team-alpha',
      plural: 'clusterdeployments',
      body: deployment('team-alpha', 'client-demo', {
        template: 'azure-standalone-cp-1-0-45',
        credential: 'azure-cluster-credential',
        config: AZURE_BASELINE,
      }),
    });
    await until('Ready=True through the watch', () => seen.some((e) => e.ready === 'Succeeded'));
    await custom.deleteNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: 'team-alpha',
      plural: 'clusterdeployments',
      name: 'client-demo',
      propagationPolicy: 'Foreground',
    });
    await until('DELETED through the watch', () => seen.some((e) => e.type === 'DELETED'));

    assert.equal(seen[0]?.type, 'ADDED');
    assert.equal(seen.at(-1)?.type, 'DELETED');
    assert.ok(seen.slice(1, -1).every((e) => e.type === 'MODIFIED'));
    const firstReady = seen.findIndex((e) => e.ready === 'Succeeded');
    const firstDeleting = seen.findIndex((e) => e.deleting !== '');
    assert.ok(seen.findIndex((e) => e.ready === 'Progressing') < firstReady);
    assert.ok(firstReady < firstDeleting);
    const deletingReasons = seen.map((e) => e.deleting).filter((r, i, all) => r !== '' && r !== all[i - 1]);
    // kcm waits on cloud resources only with spec.cleanupOnDeletion and never writes DeletionCompleted
    // (kcm internal/controller/clusterdeployment_controller.go:1581-1605, :1715-1744).
    assert.deepEqual(deletingReasons, ['WaitingForClusterDeletion', 'WaitingForHelmReleaseDeletion', 'WaitingForServiceSetsDeletion']);
  });

  // kcm clusterdeployment_webhook.go:59-62: the cache's NotFound, answered as a status (controller-runtime validator_custom.go:146-147).
  it('turns a webhook denial of a missing template into a 404 ApiException carrying the NotFound', async () => {
    const attempt = custom.createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: 'finance',
      plural: 'clusterdeployments',
      body: deployment('finance', 'nope', {
        template: 'aws-standalone-cp-1-0-43',
        credential: 'finance-aws-credential',
        config: { region: 'us-east-1' },
      }),
    });
    await assert.rejects(attempt, (err: unknown) => {
      assert.ok(err instanceof ApiException);
      assert.equal(err.code, 404);
      const body = JSON.parse(String(err.body)) as Rec;
      assert.equal(body['reason'], 'NotFound');
      assert.equal(
        body['message'],
        'admission webhook "validation.clusterdeployment.k0rdent.mirantis.com" denied the request: ClusterTemplate.k0rdent.mirantis.com "aws-standalone-cp-1-0-43" not found',
      );
      assert.deepEqual(body['details'], { name: 'aws-standalone-cp-1-0-43', group: 'k0rdent.mirantis.com', kind: 'ClusterTemplate' });
      return true;
    });
  });

  it('fills a missing config from the template and sets dryRun, as the mutating webhook does', async () => {
    const created = (await custom.createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: 'team-alpha',
      plural: 'clusterdeployments',
      body: deployment('team-alpha', 'no-config', { template: 'azure-standalone-cp-1-0-45', credential: 'azure-cluster-credential' }),
    })) as Rec;
    const spec = created['spec'] as Rec;
    assert.equal(spec['dryRun'], true);
    const template = (await custom.getNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: 'team-alpha',
      plural: 'clustertemplates',
      name: 'azure-standalone-cp-1-0-45',
    })) as Rec;
    assert.deepEqual(spec['config'], (template['status'] as Rec)['config']);
  });

  it('gives a template created through the API kcm status and a schema ConfigMap', async () => {
    await custom.createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: 'team-beta',
      plural: 'clustertemplates',
      body: {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: 'ClusterTemplate',
        metadata: { name: 'my-gcp-template', namespace: 'team-beta' },
        spec: {
          helm: {
            chartSpec: {
              chart: 'gcp-standalone-cp',
              version: '1.0.43',
              interval: '10m',
              sourceRef: { kind: 'HelmRepository', name: 'kcm-templates' },
            },
          },
        },
      },
    });
    let status: Rec = {};
    await until('template status', async () => {
      const t = (await custom.getNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: 'team-beta',
        plural: 'clustertemplates',
        name: 'my-gcp-template',
      })) as Rec;
      status = (t['status'] ?? {}) as Rec;
      return status['valid'] !== undefined;
    });
    assert.equal(status['valid'], true);
    assert.equal(status['chartVersion'], '1.0.43');
    assert.ok((status['providers'] as string[]).includes('infrastructure-gcp'));
    const cm = await core.readNamespacedConfigMap({ namespace: 'team-beta', name: 'schema-ct-my-gcp-template' });
    assert.ok(cm.data?.['schema']?.includes('"project"'));
    assert.equal(cm.metadata?.ownerReferences?.[0]?.name, 'my-gcp-template');
  });
});

describe('a sandbox with a seed file and scale data', () => {
  const seedFile = join(tempDir('sandbox-kcm-seedfile-'), 'seed.yaml');
  writeFileSync(
    seedFile,
    [
      'apiVersion: v1',
      'kind: List',
      'items:',
      '  - apiVersion: k0rdent.mirantis.com/v1beta1',
      '    kind: Credential',
      '    metadata: {name: lab-credential, namespace: lab}',
      '    spec: {identityRef: {apiVersion: v1, kind: Secret, name: lab-secret, namespace: lab}}',
      '  - apiVersion: k0rdent.mirantis.com/v1beta1',
      '    kind: ClusterTemplate',
      '    metadata: {name: gcp-standalone-cp-1-0-43, namespace: lab}',
      '    spec: {helm: {chartSpec: {chart: gcp-standalone-cp, version: 1.0.43, interval: 10m, sourceRef: {kind: HelmRepository, name: kcm-templates}}}}',
    ].join('\n'),
  );
  const sandbox = sandboxFor({ seedFile, scale: 5, provisionSeconds: 0.5 });

  it('serves only the seed file objects plus the scale namespaces, with kcm status filled in', async () => {
    const kc = new KubeConfig();
    kc.loadFromString(sandbox.kubeconfig);
    const custom = kc.makeApiClient(CustomObjectsApi);
    const core = kc.makeApiClient(CoreV1Api);
    const namespaces = (await core.listNamespace()).items.map((n) => n.metadata?.name ?? '');
    assert.deepEqual(namespaces.filter((n) => !n.startsWith('scale-')).sort(), ['default', 'kube-system', 'lab']);
    assert.equal(namespaces.filter((n) => n.startsWith('scale-')).length, 5);
    await until('credential status', async () => {
      const c = (await custom.getNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: 'lab',
        plural: 'credentials',
        name: 'lab-credential',
      })) as Rec;
      return (c['status'] as Rec | undefined)?.['ready'] === true;
    });
    await until('template status', async () => {
      const t = (await custom.getNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: 'lab',
        plural: 'clustertemplates',
        name: 'gcp-standalone-cp-1-0-43',
      })) as Rec;
      return (t['status'] as Rec | undefined)?.['valid'] === true;
    });
    const deployments = (await custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: 'clusterdeployments' })) as {
      items: Rec[];
    };
    assert.equal(deployments.items.length, 5 * 3);
    assert.ok(deployments.items.every((d) => readyOf(d)?.['status'] === 'True'));
  });
});
