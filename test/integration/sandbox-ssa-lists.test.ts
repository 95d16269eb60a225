/**
 * Server-side apply of list-map entries over the sandbox's HTTP API, with client-node and kubectl as two
 * independent field managers: each owns one entry of spec.serviceSpec.services (keyed by name and
 * namespace), re-applies change only their own entry, dropping an entry removes it only when nobody else
 * owns it, conflicts come only from the same key's fields, and status.conditions merge by type.
 * Expected behaviour: sigs.k8s.io/structured-merge-diff/v6 merge/update.go as kube-apiserver runs it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { buildKubeconfig } from '../../src/sandbox/apiserver/kubeconfig.js';
import type { KubeObject } from '../../src/sandbox/apiserver/types.js';
import { clusterDeployment, GROUP, startTestApiServer, VERSION, type TestApiServer } from './sandbox-apiserver-fixture.js';

type Json = Record<string, unknown>;
const base = { group: GROUP, version: VERSION, plural: 'clusterdeployments', namespace: 'team-alpha' };
const ssa = setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply);
const AV = `${GROUP}/${VERSION}`;

const servicesConfig = (name: string, services: Json[]): KubeObject => ({
  apiVersion: AV,
  kind: 'ClusterDeployment',
  metadata: { name, namespace: 'team-alpha' },
  spec: { serviceSpec: { services } },
});
const yamlFor = (name: string, services: { name: string; template: string; values?: string }[]): string =>
  [
    `apiVersion: ${AV}`,
    'kind: ClusterDeployment',
    'metadata:',
    `  name: ${name}`,
    '  namespace: team-alpha',
    'spec:',
    '  serviceSpec:',
    '    services:',
    ...services.flatMap((s) => [
      `    - name: ${s.name}`,
      `      template: ${s.template}`,
      ...(s.values ? [`      values: ${JSON.stringify(s.values)}`] : []),
    ]),
  ].join('\n');

describe('sandbox server-side apply of list-map entries (client-node + kubectl)', () => {
  let t: TestApiServer;
  let custom: CustomObjectsApi;

  before(async () => {
    t = await startTestApiServer();
    const kc = new KubeConfig();
    kc.loadFromString(buildKubeconfig({ url: t.server.url }));
    custom = kc.makeApiClient(CustomObjectsApi);
  });
  after(async () => {
    await t.close();
  });

  const applyA = (name: string, values: string): Promise<KubeObject> =>
    custom.patchNamespacedCustomObject(
      {
        ...base,
        name,
        body: servicesConfig(name, [{ name: 'a', template: 'ingress-nginx-4-11-0', values }]),
        fieldManager: 'mcp.services',
      },
      ssa,
    ) as Promise<KubeObject>;
  const getJson = async (name: string): Promise<KubeObject> => {
    const r = await t.kubectl(['get', 'clusterdeployment', name, '-n', 'team-alpha', '--show-managed-fields', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as KubeObject;
  };
  const servicesOf = (o: KubeObject): Json[] => (o.spec as { serviceSpec?: { services?: Json[] } }).serviceSpec?.services ?? [];
  const owner = (o: KubeObject, manager: string): Json | undefined =>
    (o.metadata.managedFields as { manager: string; fieldsV1: Json }[] | undefined)?.find((m) => m.manager === manager)?.fieldsV1;
  const serviceKeys = (fields: Json | undefined): string[] =>
    Object.keys(
      (((fields?.['f:spec'] as Json | undefined)?.['f:serviceSpec'] as Json | undefined)?.['f:services'] as Json | undefined) ?? {},
    );

  async function setup(name: string): Promise<void> {
    const created = await t.kubectl(['apply', '--server-side', '--field-manager=creator', '-f', '-'], {
      input: JSON.stringify(clusterDeployment(name, 'team-alpha')),
    });
    assert.equal(created.code, 0, created.stderr);
    await applyA(name, 'replicaCount: 1');
    const b = await t.kubectl(['apply', '--server-side', '--field-manager=other', '-f', '-'], {
      input: yamlFor(name, [{ name: 'b', template: 'cert-manager-1-16-2' }]),
    });
    assert.equal(b.code, 0, b.stderr);
  }

  it('two managers each own one entry, and the deployment’s other fields stay with their owner', async () => {
    await setup('two');
    const live = await getJson('two');
    assert.deepEqual(
      servicesOf(live).map((s) => [s.name, s.namespace, s.template]),
      [
        ['a', 'default', 'ingress-nginx-4-11-0'],
        ['b', 'default', 'cert-manager-1-16-2'],
      ],
    );
    assert.deepEqual(serviceKeys(owner(live, 'mcp.services')), ['k:{"name":"a","namespace":"default"}']);
    assert.deepEqual(serviceKeys(owner(live, 'other')), ['k:{"name":"b","namespace":"default"}']);
    assert.equal((live.spec as Json).template, 'azure-standalone-cp-1-0-15');
    assert.ok((owner(live, 'creator')?.['f:spec'] as Json)['f:template'] !== undefined);
  });

  it('re-applying A with other values changes only A', async () => {
    await setup('reapply');
    const before = await getJson('reapply');
    await applyA('reapply', 'replicaCount: 3');
    const after = await getJson('reapply');
    assert.deepEqual(
      servicesOf(after).map((s) => [s.name, s.values ?? null]),
      [
        ['a', 'replicaCount: 3'],
        ['b', null],
      ],
    );
    assert.deepEqual(owner(after, 'other'), owner(before, 'other'));
  });

  it('dropping A from its owner’s configuration removes A; B remains, owned by other (kubectl)', async () => {
    await setup('remove');
    await custom.patchNamespacedCustomObject(
      { ...base, name: 'remove', body: servicesConfig('remove', []), fieldManager: 'mcp.services' },
      ssa,
    );
    const live = await getJson('remove');
    assert.deepEqual(
      servicesOf(live).map((s) => s.name),
      ['b'],
    );
    const mf = await t.kubectl([
      'get',
      'clusterdeployment',
      'remove',
      '-n',
      'team-alpha',
      '--show-managed-fields',
      '-o',
      'jsonpath={range .metadata.managedFields[*]}{.manager}={.fieldsV1.f:spec.f:serviceSpec.f:services}{"\\n"}{end}',
    ]);
    assert.equal(mf.code, 0, mf.stderr);
    assert.match(mf.stdout, /^other=.*"k:\{\\?"name\\?":\\?"b\\?",\\?"namespace\\?":\\?"default\\?"\}"/m);
    assert.doesNotMatch(mf.stdout, /^mcp\.services=.+/m);
  });

  it('an entry also applied by another manager is not removed when one drops it', async () => {
    await setup('shared');
    const both = await t.kubectl(['apply', '--server-side', '--field-manager=other', '-f', '-'], {
      input: yamlFor('shared', [
        { name: 'b', template: 'cert-manager-1-16-2' },
        { name: 'a', template: 'ingress-nginx-4-11-0' },
      ]),
    });
    assert.equal(both.code, 0, both.stderr);
    await custom.patchNamespacedCustomObject(
      { ...base, name: 'shared', body: servicesConfig('shared', []), fieldManager: 'mcp.services' },
      ssa,
    );
    assert.deepEqual(
      servicesOf(await getJson('shared'))
        .map((s) => s.name)
        .sort(),
      ['a', 'b'],
    );
  });

  it('kubectl conflicts on A’s values (owned by mcp.services) but not when adding its own entry', async () => {
    await setup('conflict');
    const clash = await t.kubectl(['apply', '--server-side', '--field-manager=other', '-f', '-'], {
      input: yamlFor('conflict', [
        { name: 'b', template: 'cert-manager-1-16-2' },
        { name: 'a', template: 'ingress-nginx-4-11-0', values: 'replicaCount: 9' },
      ]),
    });
    assert.notEqual(clash.code, 0);
    assert.match(clash.stderr, /conflict with "mcp\.services": \.spec\.serviceSpec\.services\[name="a",namespace="default"\]\.values/);
    const more = await t.kubectl(['apply', '--server-side', '--field-manager=other', '-f', '-'], {
      input: yamlFor('conflict', [
        { name: 'b', template: 'cert-manager-1-16-2' },
        { name: 'c', template: 'kyverno-3-2-6' },
      ]),
    });
    assert.equal(more.code, 0, more.stderr);
    assert.deepEqual(
      servicesOf(await getJson('conflict')).map((s) => s.name),
      ['a', 'b', 'c'],
    );
  });

  it('status.conditions merge by type between two /status appliers', async () => {
    await setup('status');
    const cond = (type: string, status: string): Json => ({
      type,
      status,
      reason: 'Testing',
      message: `${type} is ${status}`,
      lastTransitionTime: '2026-01-01T00:00:00Z',
    });
    const applyStatus = (manager: string, c: Json) =>
      custom.patchNamespacedCustomObjectStatus(
        {
          ...base,
          name: 'status',
          body: {
            apiVersion: AV,
            kind: 'ClusterDeployment',
            metadata: { name: 'status', namespace: 'team-alpha' },
            status: { conditions: [c] },
          },
          fieldManager: manager,
          force: true,
        },
        ssa,
      );
    await applyStatus('kcm', cond('Ready', 'False'));
    await applyStatus('observer', cond('Paused', 'False'));
    await applyStatus('kcm', cond('Ready', 'True'));
    const live = await getJson('status');
    const conditions = ((live.status as Json).conditions as Json[]).map((c) => `${String(c.type)}=${String(c.status)}`);
    assert.deepEqual(conditions, ['Ready=True', 'Paused=False']);
  });
});
