import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiException } from '@kubernetes/client-node';
import { AppError } from '../../src/errors.js';
import { toAppError } from '../../src/kube/errors.js';
import { asAppError, toolErrorResult } from '../../src/mcp/errors.js';

/** What client-node 1.4 throws: ApiException(code, "Unknown API Status Code!", <Status JSON string>, headers). */
function apiException(code: number, status: Record<string, unknown> | undefined): ApiException<unknown> {
  const body =
    status === undefined
      ? undefined
      : JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code, ...status });
  return new ApiException(code, code === 401 ? 'Unauthorized' : 'Unknown API Status Code!', body, { 'content-type': 'application/json' });
}

const ctx = { action: 'apply ClusterDeployment team-alpha/c1' };

describe('Kubernetes failures → AppError (one mapping)', () => {
  const table: { title: string; error: unknown; code: string; message: RegExp }[] = [
    { title: '401 (client-node gives no body)', error: apiException(401, undefined), code: 'unauthorized', message: /401 Unauthorized/ },
    {
      title: '403 RBAC',
      error: apiException(403, {
        reason: 'Forbidden',
        message: 'clusterdeployments.k0rdent.mirantis.com "c1" is forbidden: User "bob" cannot patch resource',
      }),
      code: 'forbidden',
      message: /User "bob" cannot patch/,
    },
    {
      title: '403 admission webhook denial → invalidParams with the server message',
      error: apiException(403, {
        reason: 'Forbidden',
        message:
          'admission webhook "validation.clusterdeployment.k0rdent.mirantis.com" denied the request: the ClusterDeployment is invalid: the Credential team-alpha/x is not Ready',
      }),
      code: 'invalidParams',
      message: /denied the request: the ClusterDeployment is invalid: the Credential team-alpha\/x is not Ready/,
    },
    {
      // kcm internal/webhook/clusterdeployment_webhook.go:59-62 via controller-runtime validator_custom.go:146-147
      title: "404 from kcm's webhook (a template the deployment names does not exist) → invalidParams, what to do",
      error: apiException(404, {
        reason: 'NotFound',
        message:
          'admission webhook "validation.clusterdeployment.k0rdent.mirantis.com" denied the request: ClusterTemplate.k0rdent.mirantis.com "x" not found',
        details: { name: 'x', group: 'k0rdent.mirantis.com', kind: 'ClusterTemplate' },
      }),
      code: 'invalidParams',
      message:
        /denied the request: ClusterTemplate\.k0rdent\.mirantis\.com "x" not found; the ClusterTemplate "x" does not exist .*list them with k0\.clusters\.listTemplates/,
    },
    {
      title: "404 from kcm's webhook (a credential) → invalidParams naming k0.clusters.listCredentials",
      error: apiException(404, {
        reason: 'NotFound',
        message:
          'admission webhook "validation.clusterdeployment.k0rdent.mirantis.com" denied the request: Credential.k0rdent.mirantis.com "gone" not found',
        details: { name: 'gone', group: 'k0rdent.mirantis.com', kind: 'Credential' },
      }),
      code: 'invalidParams',
      message: /"gone" not found; the Credential "gone" does not exist .*k0\.clusters\.listCredentials/,
    },
    {
      title: '404',
      error: apiException(404, { reason: 'NotFound', message: 'clusterdeployments.k0rdent.mirantis.com "c1" not found' }),
      code: 'notFound',
      message: /"c1" not found/,
    },
    {
      title: '409 apply conflict',
      error: apiException(409, { reason: 'Conflict', message: 'Apply failed with 1 conflict: conflict with "kubectl": .spec.config' }),
      code: 'conflict',
      message: /Apply failed with 1 conflict/,
    },
    {
      title: '422 Invalid keeps the message and the causes',
      error: apiException(422, {
        reason: 'Invalid',
        message: 'ClusterDeployment.k0rdent.mirantis.com "c1" is invalid: spec.template: Required value',
        details: { causes: [{ reason: 'FieldValueRequired', message: 'Required value', field: 'spec.template' }] },
      }),
      code: 'invalidParams',
      message: /spec\.template: Required value/,
    },
    {
      title: '500',
      error: apiException(500, { reason: 'InternalError', message: 'etcdserver: request timed out' }),
      code: 'unavailable',
      message: /etcdserver: request timed out/,
    },
    {
      title: '503 without a Status body',
      error: new ApiException(503, 'Unknown API Status Code!', 'upstream connect error', {}),
      code: 'unavailable',
      message: /upstream connect error/,
    },
    {
      title: 'connection refused (node-fetch FetchError)',
      error: Object.assign(new Error('request to http://127.0.0.1:1/ failed, reason: connect ECONNREFUSED'), {
        type: 'system',
        code: 'ECONNREFUSED',
        errno: 'ECONNREFUSED',
      }),
      code: 'unavailable',
      message: /cannot reach the Kubernetes API/,
    },
    {
      title: 'request timeout (AbortError)',
      error: Object.assign(new Error('The operation was aborted.'), { name: 'AbortError', type: 'aborted' }),
      code: 'unavailable',
      message: /did not answer in time/,
    },
    {
      title: 'watch failure with statusCode',
      error: Object.assign(new Error('Gone'), { statusCode: 410 }),
      code: 'unavailable',
      message: /410/,
    },
    { title: 'anything else', error: new TypeError('boom'), code: 'internal', message: /boom/ },
  ];
  for (const row of table) {
    it(row.title, () => {
      const mapped = toAppError(row.error, ctx);
      assert.equal(mapped.code, row.code);
      assert.match(mapped.message, row.message);
      assert.ok(mapped.message.startsWith(ctx.action), mapped.message);
    });
  }
  it('422 details carry the causes and the reason', () => {
    const mapped = toAppError(
      apiException(422, { reason: 'Invalid', message: 'bad', details: { causes: [{ field: 'spec.config', message: 'Invalid value' }] } }),
      ctx,
    );
    assert.deepEqual(mapped.details, { httpStatus: 422, reason: 'Invalid', causes: [{ field: 'spec.config', message: 'Invalid value' }] });
  });
  it('AppErrors pass through unchanged', () => {
    const original = new AppError('forbidden', 'no');
    assert.equal(toAppError(original, ctx), original);
  });
});

describe('AppError → MCP tool result', () => {
  it('isError, "<code>: <message>" text and structuredContent.error', () => {
    const result = toolErrorResult(new AppError('forbidden', 'namespace "finance" is outside ...', { namespace: 'finance' }));
    assert.equal(result.isError, true);
    assert.deepEqual(result.content, [{ type: 'text', text: 'forbidden: namespace "finance" is outside ...' }]);
    assert.deepEqual(result.structuredContent, {
      error: { code: 'forbidden', message: 'namespace "finance" is outside ...', details: { namespace: 'finance' } },
    });
  });
  it('unknown failures become internal with their first line only', () => {
    const error = asAppError(new Error('first line\nsecret stack detail'));
    assert.equal(error.code, 'internal');
    assert.ok(!error.message.includes('secret stack detail'));
  });
});
