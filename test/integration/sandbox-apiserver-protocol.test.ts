/** Wire-level behaviour of the sandbox API server: errors as Status bodies, discovery, status subresource, faults, metrics. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CD, clusterDeployment, GROUP, startTestApiServer, VERSION, type TestApiServer } from './sandbox-apiserver-fixture.js';

interface Status {
  kind: string;
  status: string;
  code: number;
  reason: string;
  message: string;
  details?: { name?: string; group?: string; kind?: string; causes?: { reason: string; message: string; field: string }[] };
}

describe('sandbox apiserver protocol', () => {
  let t: TestApiServer;
  const cdPath = `/apis/${GROUP}/${VERSION}/namespaces/kcm-system/clusterdeployments`;
  const call = async (
    method: string,
    path: string,
    body?: string,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; json: unknown; headers: Headers; text: string }> => {
    const res = await fetch(t.server.url + path, {
      method,
      headers: { 'Content-Type': 'application/json', ...headers },
      ...(body !== undefined ? { body } : {}),
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, json, headers: res.headers, text };
  };
  const expectStatus = (r: { status: number; json: unknown }, code: number, reason: string): Status => {
    assert.equal(r.status, code, JSON.stringify(r.json));
    const s = r.json as Status;
    assert.equal(s.kind, 'Status');
    assert.equal(s.status, 'Failure');
    assert.equal(s.code, code);
    assert.equal(s.reason, reason);
    return s;
  };

  before(async () => {
    t = await startTestApiServer();
  });
  after(async () => {
    await t.close();
  });

  it("answers bad requests with the API server's codes and keeps serving", async () => {
    expectStatus(await call('POST', cdPath, '{"apiVersion": '), 400, 'BadRequest');
    const unknown = expectStatus(await call('GET', `/apis/${GROUP}/${VERSION}/widgets`), 404, 'NotFound');
    assert.equal(unknown.message, 'the server could not find the requested resource');
    expectStatus(await call('GET', '/apis/nope.example.com/v1'), 404, 'NotFound');
    expectStatus(
      await call('POST', cdPath, JSON.stringify(clusterDeployment('x', 'kcm-system')), { 'Content-Type': 'text/plain' }),
      415,
      'UnsupportedMediaType',
    );
    t.store.create(CD, clusterDeployment('target', 'kcm-system'));
    expectStatus(
      await call('PATCH', `${cdPath}/target`, '{"spec":{}}', { 'Content-Type': 'application/strategic-merge-patch+json' }),
      415,
      'UnsupportedMediaType',
    );
    const noManager = expectStatus(
      await call('PATCH', `${cdPath}/target`, JSON.stringify(clusterDeployment('target', 'kcm-system')), {
        'Content-Type': 'application/apply-patch+yaml',
      }),
      422,
      'Invalid',
    );
    assert.match(noManager.message, /fieldManager: Required value: is required for apply patch/);
    const forceOnMerge = expectStatus(
      await call('PATCH', `${cdPath}/target?force=true`, '{"spec":{}}', { 'Content-Type': 'application/merge-patch+json' }),
      422,
      'Invalid',
    );
    assert.match(forceOnMerge.message, /force/);
    expectStatus(
      await call('PATCH', `${cdPath}/target?fieldManager=x`, 'spec: [unclosed', { 'Content-Type': 'application/apply-patch+yaml' }),
      400,
      'BadRequest',
    );
    const missing = expectStatus(await call('GET', `${cdPath}/ghost`), 404, 'NotFound');
    assert.equal(missing.message, 'clusterdeployments.k0rdent.mirantis.com "ghost" not found');
    assert.deepEqual(missing.details, { name: 'ghost', group: GROUP, kind: 'clusterdeployments' });
    expectStatus(await call('PUT', `/apis/${GROUP}/${VERSION}/clusterdeployments`, '{}'), 405, 'MethodNotAllowed');
    const ok = await call('GET', `${cdPath}/target`);
    assert.equal(ok.status, 200);
  });

  it('422 Invalid carries causes with the field path', async () => {
    const bad = clusterDeployment('bad-type', 'kcm-system', { template: 5 });
    const s = expectStatus(await call('POST', cdPath, JSON.stringify(bad)), 422, 'Invalid');
    // The CRD has CEL rules: the type error blocks them and says so, as kube-apiserver does
    // (k8s.io/apiextensions-apiserver pkg/registry/customresource/strategy.go hasBlockingErr).
    assert.match(
      s.message,
      /^ClusterDeployment.k0rdent.mirantis.com "bad-type" is invalid: \[spec.template: Invalid value: "integer": .*, <nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation\]$/,
    );
    assert.deepEqual(
      s.details?.causes?.map((c) => [c.reason, c.field]),
      [
        ['FieldValueTypeInvalid', 'spec.template'],
        ['FieldValueInvalid', '<nil>'],
      ],
    );
    const badName = expectStatus(await call('POST', cdPath, JSON.stringify(clusterDeployment('Bad_Name', 'kcm-system'))), 422, 'Invalid');
    assert.equal(badName.details?.causes?.[0]?.field, 'metadata.name');
  });

  it('unknown fields: pruned with a warning by default, silently under Ignore, 422 under Strict', async () => {
    const body = JSON.stringify(clusterDeployment('pruned', 'kcm-system', { bogus: 1 }));
    const byDefault = await call('POST', `${cdPath}?dryRun=All`, body);
    assert.equal(byDefault.status, 201);
    assert.match(byDefault.headers.get('warning') ?? '', /unknown field/);
    const ignore = await call('POST', `${cdPath}?dryRun=All&fieldValidation=Ignore`, body);
    assert.equal(ignore.status, 201);
    assert.equal(ignore.headers.get('warning'), null);
    assert.equal((ignore.json as { spec: Record<string, unknown> }).spec.bogus, undefined);
    const strict = expectStatus(await call('POST', `${cdPath}?fieldValidation=Strict`, body), 422, 'Invalid');
    assert.match(strict.message, /unknown field "spec.bogus"/);
    const warn = await call('POST', `${cdPath}?fieldValidation=Warn`, body);
    assert.equal(warn.status, 201);
    assert.match(warn.headers.get('warning') ?? '', /299 - "unknown field \\"spec.bogus\\""/);
    assert.equal((t.store.get(CD, 'kcm-system', 'pruned')!.spec as Record<string, unknown>).bogus, undefined);
  });

  it('a watch with timeoutSeconds ends by itself', async () => {
    const res = await fetch(`${t.server.url}${cdPath}?watch=true&timeoutSeconds=1&resourceVersion=${t.store.currentResourceVersion()}`);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), '');
  });

  it('a watch from a malformed resourceVersion is 400', async () => {
    expectStatus(await call('GET', `${cdPath}?watch=true&resourceVersion=abc`), 400, 'BadRequest');
  });

  it('PUT with a stale resourceVersion is 409 Conflict', async () => {
    const created = t.store.create(CD, clusterDeployment('occ', 'kcm-system'));
    t.store.update(CD, { ...created, metadata: { ...created.metadata, labels: { a: 'b' } } });
    const s = expectStatus(await call('PUT', `${cdPath}/occ`, JSON.stringify(created)), 409, 'Conflict');
    assert.match(s.message, /the object has been modified; please apply your changes to the latest version and try again/);
  });

  it('status subresource: main writes ignore .status, /status writes change only .status', async () => {
    const created = (await call('POST', cdPath, JSON.stringify(clusterDeployment('with-status', 'kcm-system')))).json as Record<
      string,
      unknown
    >;
    const put = await call('PUT', `${cdPath}/with-status`, JSON.stringify({ ...created, status: { observedGeneration: 9 } }));
    assert.equal(put.status, 200);
    assert.equal(t.store.get(CD, 'kcm-system', 'with-status')!.status, undefined);
    const st = await call(
      'PATCH',
      `${cdPath}/with-status/status`,
      JSON.stringify({ status: { observedGeneration: 1 }, spec: { dryRun: true } }),
      { 'Content-Type': 'application/merge-patch+json' },
    );
    assert.equal(st.status, 200, st.text);
    const now = t.store.get(CD, 'kcm-system', 'with-status')!;
    assert.deepEqual(now.status, { observedGeneration: 1 });
    assert.notEqual((now.spec as Record<string, unknown>).dryRun, true);
    assert.equal(now.metadata.generation, 1);
  });

  it('a stored status that the schema would reject does not block writes to the main resource', async () => {
    t.store.create(CD, { ...clusterDeployment('odd-status', 'kcm-system'), status: { observedGeneration: 'not-a-number' } });
    const r = await call('PATCH', `${cdPath}/odd-status`, '{"metadata":{"labels":{"a":"b"}}}', {
      'Content-Type': 'application/merge-patch+json',
    });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(t.store.get(CD, 'kcm-system', 'odd-status')!.metadata.labels, { a: 'b' });
    expectStatus(
      await call('PATCH', `${cdPath}/odd-status/status`, '{"status":{"observedGeneration":"x"}}', {
        'Content-Type': 'application/merge-patch+json',
      }),
      422,
      'Invalid',
    );
  });

  it('admission hooks deny with their code and write nothing, also in dryRun', async () => {
    t.store.registerValidatingAdmission({ group: GROUP, plural: 'clusterdeployments' }, (req) =>
      req.object?.metadata.name === 'denied-by-hook'
        ? {
            allowed: false,
            code: 403,
            reason: 'Forbidden',
            message:
              'admission webhook "validation.clusterdeployment.k0rdent.mirantis.com" denied the request: the ClusterDeployment is invalid',
          }
        : { allowed: true },
    );
    const body = JSON.stringify(clusterDeployment('denied-by-hook', 'kcm-system'));
    const s = expectStatus(await call('POST', cdPath, body), 403, 'Forbidden');
    assert.match(s.message, /denied the request/);
    expectStatus(await call('POST', `${cdPath}?dryRun=All`, body), 403, 'Forbidden');
    assert.equal(t.store.get(CD, 'kcm-system', 'denied-by-hook'), undefined);
  });

  it('discovery: legacy by default, aggregated with the exact Content-Type when asked', async () => {
    const legacy = await call('GET', '/apis');
    assert.equal((legacy.json as { kind: string }).kind, 'APIGroupList');
    const accept = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json';
    const agg = await call('GET', '/apis', undefined, { Accept: accept });
    assert.equal(agg.headers.get('content-type'), 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
    const items = (
      agg.json as { items: { metadata: { name: string }; versions: { resources: { resource: string; scope: string }[] }[] }[] }
    ).items;
    const k0 = items.find((i) => i.metadata.name === GROUP)!;
    assert.ok(k0.versions[0]!.resources.some((r) => r.resource === 'clusterdeployments' && r.scope === 'Namespaced'));
    const core = await call('GET', '/api', undefined, { Accept: accept });
    assert.equal((core.json as { items: { metadata: { name: string } }[] }).items[0]!.metadata.name, '');
    const list = await call('GET', `/apis/${GROUP}/${VERSION}`);
    const cd = (list.json as { resources: { name: string; shortNames?: string[]; namespaced: boolean; kind: string }[] }).resources.find(
      (r) => r.name === 'clusterdeployments',
    )!;
    assert.equal(cd.kind, 'ClusterDeployment');
    assert.equal(cd.namespaced, true);
    const group = await call('GET', `/apis/${GROUP}`);
    assert.deepEqual((group.json as { kind: string; preferredVersion: unknown }).preferredVersion, {
      groupVersion: `${GROUP}/${VERSION}`,
      version: VERSION,
    });
    const version = await call('GET', '/version');
    assert.equal((version.json as { major: string }).major, '1');
    const index = await call('GET', '/openapi/v3');
    const url = (index.json as { paths: Record<string, { serverRelativeURL: string }> }).paths[`apis/${GROUP}/${VERSION}`]!
      .serverRelativeURL;
    const doc = await call('GET', url);
    const patchOp = (
      doc.json as { paths: Record<string, { patch?: { 'x-kubernetes-group-version-kind': unknown; parameters: { name: string }[] } }> }
    ).paths[`/apis/${GROUP}/${VERSION}/namespaces/{namespace}/clusterdeployments/{name}`]!.patch!;
    assert.deepEqual(patchOp['x-kubernetes-group-version-kind'], { group: GROUP, version: VERSION, kind: 'ClusterDeployment' });
    assert.ok(patchOp.parameters.some((p) => p.name === 'fieldValidation'));
  });

  it('SelfSubjectAccessReview answers as JSON', async () => {
    const r = await call(
      'POST',
      '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
      JSON.stringify({
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectAccessReview',
        spec: { resourceAttributes: { verb: 'create', group: GROUP, resource: 'clusterdeployments', namespace: 'kcm-system' } },
      }),
    );
    assert.equal(r.status, 201);
    assert.equal((r.json as { status: { allowed: boolean } }).status.allowed, true);
  });

  it('fault injection: 5xx with a Status body, latency, dropped connections, `times`', async () => {
    t.server.faults.add({ path: /\/clusterdeployments$/, method: 'GET', status: 503, times: 1 });
    expectStatus(await call('GET', cdPath), 503, 'ServiceUnavailable');
    assert.equal((await call('GET', cdPath)).status, 200, 'the rule expired after one use');
    t.server.faults.add({ path: /\/clusterdeployments$/, drop: true, times: 1 });
    await assert.rejects(call('GET', cdPath));
    assert.equal((await call('GET', cdPath)).status, 200);
    t.server.faults.add({ path: /\/version$/, latencyMs: 30 });
    assert.equal((await call('GET', '/version')).status, 200);
    t.server.faults.clear();
  });

  it('closeWatches ends open watch streams', async () => {
    const res = await fetch(`${t.server.url}${cdPath}?watch=true&resourceVersion=${t.store.currentResourceVersion()}`);
    assert.equal(res.status, 200);
    const reading = res.text();
    t.server.faults.closeWatches();
    assert.equal(await reading, '');
  });

  it('counts requests in apiserver_request_total{verb,resource,code}', async () => {
    await call('GET', `${cdPath}/target`);
    await call('GET', `${cdPath}/ghost`);
    const metrics = await call('GET', '/metrics');
    assert.match(metrics.text, /apiserver_request_total\{verb="get",resource="clusterdeployments",code="200"\} \d+/);
    assert.match(metrics.text, /apiserver_request_total\{verb="get",resource="clusterdeployments",code="404"\} \d+/);
    assert.match(metrics.text, /apiserver_request_total\{verb="create",resource="clusterdeployments",code="422"\} \d+/);
  });

  it('DELETE honours propagationPolicy from the body and finalizers', async () => {
    t.store.create(CD, {
      ...clusterDeployment('fin', 'kcm-system'),
      metadata: { name: 'fin', namespace: 'kcm-system', finalizers: ['example.com/x'] },
    });
    const r = await call('DELETE', `${cdPath}/fin`, JSON.stringify({ propagationPolicy: 'Background' }));
    assert.equal(r.status, 200);
    assert.ok((r.json as { metadata: { deletionTimestamp?: string } }).metadata.deletionTimestamp);
    const obj = t.store.get(CD, 'kcm-system', 'fin')!;
    obj.metadata.finalizers = [];
    t.store.update(CD, obj);
    assert.equal(t.store.get(CD, 'kcm-system', 'fin'), undefined);
    t.store.create(CD, clusterDeployment('plain', 'kcm-system'));
    const gone = await call('DELETE', `${cdPath}/plain`);
    assert.equal((gone.json as { status: string }).status, 'Success');
    expectStatus(await call('DELETE', `${cdPath}/plain`), 404, 'NotFound');
  });
});
