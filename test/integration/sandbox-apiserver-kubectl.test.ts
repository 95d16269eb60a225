/** The sandbox API server driven by the real kubectl binary. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { CD, CM, clusterDeployment, GROUP, KUBECTL, startTestApiServer, type TestApiServer } from './sandbox-apiserver-fixture.js';
import { until } from '../helpers/until.js';

describe('sandbox apiserver with kubectl', () => {
  let t: TestApiServer;
  before(async () => {
    t = await startTestApiServer();
  });
  after(async () => {
    await t.close();
  });

  const manifest = (name: string, spec: Record<string, unknown> = {}): string => {
    const path = join(t.dir, `${name}-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(path, stringify(clusterDeployment(name, 'kcm-system', spec)));
    return path;
  };

  it('gets every k0rdent kind, namespaces and configmaps', async () => {
    t.store.create(CM, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'schema-ct-demo', namespace: 'kcm-system' },
      data: { a: 'b' },
    });
    t.store.create(
      { group: GROUP, version: 'v1beta1', plural: 'credentials' },
      {
        apiVersion: `${GROUP}/v1beta1`,
        kind: 'Credential',
        metadata: { name: 'azure-cluster-credential', namespace: 'kcm-system' },
        spec: { identityRef: { apiVersion: 'v1', kind: 'Secret', name: 'x', namespace: 'kcm-system' } },
      },
    );
    const kinds = t.server.registry.defs.filter((d) => d.custom);
    assert.ok(kinds.length >= 10, 'all CRDs are served');
    for (const def of kinds) {
      const r = await t.kubectl(['get', def.plural, ...(def.namespaced ? ['-A'] : [])]);
      assert.equal(r.code, 0, `kubectl get ${def.plural}: ${r.stderr}`);
    }
    const ns = await t.kubectl(['get', 'namespaces']);
    assert.equal(ns.code, 0, ns.stderr);
    assert.match(ns.stdout, /kcm-system/);
    assert.match(ns.stdout, /team-alpha/);
    const cms = await t.kubectl(['get', 'configmaps', '-n', 'kcm-system', '-o', 'name']);
    assert.equal(cms.stdout.trim(), 'configmap/schema-ct-demo');
    const creds = await t.kubectl(['get', 'credentials', '-n', 'kcm-system', '-o', 'jsonpath={.items[*].metadata.name}']);
    assert.equal(creds.stdout, 'azure-cluster-credential');
  });

  it('apply --server-side creates, and an unchanged re-apply keeps the resourceVersion', async () => {
    const file = manifest('ssa-demo');
    const first = await t.kubectl(['apply', '--server-side', '-f', file]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /serverside-applied/);
    const created = t.store.get(CD, 'kcm-system', 'ssa-demo');
    assert.ok(created);
    assert.equal(created.metadata.generation, 1);
    const second = await t.kubectl(['apply', '--server-side', '-f', file]);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(t.store.get(CD, 'kcm-system', 'ssa-demo')!.metadata.resourceVersion, created.metadata.resourceVersion);
  });

  it('kubectl get prints the CRD printer columns from a server-side Table', async () => {
    t.store.create(CD, {
      ...clusterDeployment('tabled', 'team-beta'),
      status: {
        conditions: [
          { type: 'Ready', status: 'True', reason: 'Succeeded', message: 'Object is ready', lastTransitionTime: '2026-01-01T00:00:00Z' },
        ],
      },
    });
    const r = await t.kubectl(['get', 'clusterdeployments', '-n', 'team-beta']);
    assert.equal(r.code, 0, r.stderr);
    const [header, row] = r.stdout.trim().split('\n');
    assert.match(header!, /^NAME\s+READY\s+SERVICES\s+TEMPLATE\s+MESSAGES\s+AGE$/);
    assert.match(row!, /^tabled\s+True\s+azure-standalone-cp-1-0-15\s+Object is ready\s+\d+s$/);
  });

  it('a second field manager with a conflicting value gets 409, --force-conflicts wins', async () => {
    const mine = await t.kubectl(['apply', '--server-side', '-f', manifest('conflict-demo')]);
    assert.equal(mine.code, 0, mine.stderr);
    const theirs = manifest('conflict-demo', { template: 'aws-standalone-cp-1-0-14' });
    const denied = await t.kubectl(['apply', '--server-side', '--field-manager=ops', '-f', theirs]);
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, /Apply failed with 1 conflict: conflict with "kubectl": \.spec\.template/);
    assert.equal((t.store.get(CD, 'kcm-system', 'conflict-demo')!.spec as { template: string }).template, 'azure-standalone-cp-1-0-15');
    const forced = await t.kubectl(['apply', '--server-side', '--field-manager=ops', '--force-conflicts', '-f', theirs]);
    assert.equal(forced.code, 0, forced.stderr);
    const after = t.store.get(CD, 'kcm-system', 'conflict-demo')!;
    assert.equal((after.spec as { template: string }).template, 'aws-standalone-cp-1-0-14');
    assert.equal(after.metadata.generation, 2);
    const managers = (after.metadata.managedFields as { manager: string; fieldsV1: object }[]).map((m) => m.manager).sort();
    assert.deepEqual(managers, ['kubectl', 'ops']);
  });

  it('rejects a value of the wrong type with 422 naming the field', async () => {
    const r = await t.kubectl(['apply', '--server-side', '-f', manifest('wrong-type', { template: 5 })]);
    assert.notEqual(r.code, 0);
    assert.match(
      r.stderr,
      /ClusterDeployment "wrong-type" is invalid: spec.template: Invalid value: "integer": spec.template in body must be of type string/,
    );
    assert.equal(t.store.get(CD, 'kcm-system', 'wrong-type'), undefined);
  });

  it("rejects an unknown field under kubectl's fieldValidation=Strict", async () => {
    const r = await t.kubectl(['apply', '--server-side', '-f', manifest('unknown-field', { bogus: true })]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /unknown field "spec.bogus"/);
  });

  it('delete --cascade=foreground returns and the object is gone', async () => {
    const created = await t.kubectl(['apply', '--server-side', '-f', manifest('fg-delete')]);
    assert.equal(created.code, 0, created.stderr);
    const r = await t.kubectl(['delete', 'clusterdeployment', 'fg-delete', '-n', 'kcm-system', '--cascade=foreground']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /deleted/);
    assert.equal(t.store.get(CD, 'kcm-system', 'fg-delete'), undefined);
  });

  it('creates and labels built-in kinds (kubectl sends protobuf and strategic merge for those)', async () => {
    const ns = await t.kubectl(['create', 'namespace', 'made-by-kubectl']);
    assert.equal(ns.code, 0, ns.stderr);
    const cm = await t.kubectl(['create', 'configmap', 'made', '-n', 'made-by-kubectl', '--from-literal=key=value']);
    assert.equal(cm.code, 0, cm.stderr);
    const secret = await t.kubectl(['create', 'secret', 'generic', 'made', '-n', 'made-by-kubectl', '--from-literal=key=value']);
    assert.equal(secret.code, 0, secret.stderr);
    const label = await t.kubectl(['label', 'configmap', 'made', '-n', 'made-by-kubectl', 'tier=web']);
    assert.equal(label.code, 0, label.stderr);
    const stored = t.store.get(CM, 'made-by-kubectl', 'made')!;
    assert.deepEqual(stored.data, { key: 'value' });
    assert.deepEqual(stored.metadata.labels, { tier: 'web' });
    assert.equal(stored.metadata.generateName, undefined);
    const s = t.store.get({ group: '', version: 'v1', plural: 'secrets' }, 'made-by-kubectl', 'made')!;
    assert.deepEqual(s.data, { key: Buffer.from('value').toString('base64') });
    const del = await t.kubectl(['delete', 'namespace', 'made-by-kubectl']);
    assert.equal(del.code, 0, del.stderr);
    assert.equal(t.store.get(CM, 'made-by-kubectl', 'made'), undefined);
  });

  it('get -w prints a MODIFIED transition', async () => {
    t.store.create(CD, clusterDeployment('watched', 'kcm-system'));
    const child = spawn(
      KUBECTL,
      [
        '--kubeconfig',
        t.kubeconfigPath,
        '--cache-dir',
        join(t.dir, 'cache'),
        'get',
        'clusterdeployments',
        '-n',
        'kcm-system',
        '-w',
        '--output-watch-events',
      ],
      {
        env: { ...process.env, HOME: t.dir, KUBECONFIG: '' },
      },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    try {
      assert.ok(await until('kubectl to list the watched object', () => /ADDED\s+watched/.test(out)), `initial listing: ${out}`);
      const cur = t.store.get(CD, 'kcm-system', 'watched')!;
      cur.metadata.labels = { phase: 'provisioning' };
      t.store.update(CD, cur);
      assert.ok(await until('kubectl to show the modification', () => /MODIFIED\s+watched/.test(out)), `watch output: ${out}`);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('sandbox apiserver over TLS with tokens, with kubectl', () => {
  let t: TestApiServer;
  before(async () => {
    t = await startTestApiServer({
      tls: true,
      tokens: {
        users: [
          { name: 'alice', token: 'alice-token-123', namespaces: ['team-alpha'] },
          { name: 'admin', token: 'admin-token-456', namespaces: ['*'] },
        ],
      },
    });
    t.store.create(CD, clusterDeployment('alpha-one', 'team-alpha'));
  });
  after(async () => {
    await t.close();
  });

  it('serves https with the CA from the kubeconfig', () => {
    assert.match(t.server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.match(t.server.caPem ?? '', /BEGIN CERTIFICATE/);
  });

  it('a valid token works inside its namespaces', async () => {
    const r = await t.kubectl(['get', 'clusterdeployments', '-n', 'team-alpha', '-o', 'name'], {
      kubeconfig: t.kubeconfigFor('alice-token-123'),
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'clusterdeployment.k0rdent.mirantis.com/alpha-one');
    const ns = await t.kubectl(['get', 'namespaces', '-o', 'name'], { kubeconfig: t.kubeconfigFor('alice-token-123') });
    assert.equal(ns.code, 0, ns.stderr);
    const all = await t.kubectl(['get', 'clusterdeployments', '-A', '-o', 'name'], { kubeconfig: t.kubeconfigFor('admin-token-456') });
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stdout, /alpha-one/);
  });

  it('an unknown token is Unauthorized', async () => {
    const r = await t.kubectl(['get', 'clusterdeployments', '-n', 'team-alpha'], { kubeconfig: t.kubeconfigFor('nope') });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Unauthorized/);
  });

  it("outside its namespaces the user is forbidden, in the API server's words", async () => {
    const r = await t.kubectl(['get', 'clusterdeployments', '-n', 'team-beta'], { kubeconfig: t.kubeconfigFor('alice-token-123') });
    assert.notEqual(r.code, 0);
    assert.match(
      r.stderr,
      /clusterdeployments.k0rdent.mirantis.com is forbidden: User "alice" cannot list resource "clusterdeployments" in API group "k0rdent.mirantis.com" in the namespace "team-beta"/,
    );
    const all = await t.kubectl(['get', 'clusterdeployments', '-A'], { kubeconfig: t.kubeconfigFor('alice-token-123') });
    assert.notEqual(all.code, 0);
    assert.match(
      all.stderr,
      /forbidden: User "alice" cannot list resource "clusterdeployments" in API group "k0rdent.mirantis.com" at the cluster scope/,
    );
  });
});
