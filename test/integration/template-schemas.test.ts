/**
 * Template schemas are read once (issue 13 item 4): listTemplates in steady state makes one request
 * (the LIST), no ConfigMap GET; deploy's config check uses the same cache; the cache follows the
 * template's uid and the ConfigMap's uid/resourceVersion. Counted at the sandbox API server.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../../src/errors.js';
import { TemplateSchemas, type ConfigMapReader } from '../../src/clusters/template-schemas.js';
import type { KubeObject } from '../../src/kube/k0rdent-api.js';
import { AZURE_BASELINE, structured } from '../helpers/clusters-harness.js';
import { delta, sandboxCounters } from '../helpers/sandbox-counters.js';
import { useSandbox } from '../helpers/lifecycle.js';

describe('listTemplates and deploy read each schema ConfigMap once', () => {
  const env = useSandbox({ scale: 5 }, { logLevel: 'warn' });

  it('a second listTemplates makes no ConfigMap GET: one request in steady state, the same result', async () => {
    const before1 = await sandboxCounters(env.sandbox.url);
    const first = await env.harness.call('k0.clusters.listTemplates', { limit: 100, detail: 'full' });
    assert.notEqual(first.isError, true, JSON.stringify(first.content));
    const d1 = delta(before1, await sandboxCounters(env.sandbox.url));
    assert.ok(d1.requests({ verb: 'get', resource: 'configmaps' }) > 0, 'the first call reads the schemas');

    const before2 = await sandboxCounters(env.sandbox.url);
    const second = await env.harness.call('k0.clusters.listTemplates', { limit: 100, detail: 'full' });
    const d2 = delta(before2, await sandboxCounters(env.sandbox.url));
    assert.equal(d2.requests({ resource: 'configmaps' }), 0);
    assert.equal(d2.requests(), 1, 'only the ClusterTemplate LIST');
    assert.deepEqual(structured(second), structured(first));
    const withSchema = structured<{ items: { configSchema: { source: string } }[] }>(second).items.filter(
      (t) => t.configSchema.source === 'schema',
    );
    assert.ok(withSchema.length > 0, 'outlines still come from the schemas');
  });

  it("deploy's config check uses the same cache, and still rejects a config the schema refuses", async () => {
    const before1 = await sandboxCounters(env.sandbox.url);
    const ok = await env.harness.call('k0.clusters.deploy', {
      name: 'cache-ok',
      namespace: 'kcm-system',
      template: 'azure-standalone-cp-1-0-15',
      credential: 'azure-cluster-credential',
      config: AZURE_BASELINE,
      dryRun: true,
    });
    assert.notEqual(ok.isError, true, JSON.stringify(ok.content));
    const bad = await env.harness.call('k0.clusters.deploy', {
      name: 'cache-bad',
      namespace: 'kcm-system',
      template: 'azure-standalone-cp-1-0-15',
      credential: 'azure-cluster-credential',
      config: { ...AZURE_BASELINE, location: 42 },
    });
    assert.equal(bad.isError, true);
    assert.equal(structured<{ error: { code: string } }>(bad).error.code, 'invalidParams');
    const d = delta(before1, await sandboxCounters(env.sandbox.url));
    assert.equal(d.requests({ resource: 'configmaps' }), 0, 'listTemplates already read this schema');
  });
});

describe('TemplateSchemas', () => {
  const schema = { type: 'object', required: ['location'], properties: { location: { type: 'string' } } };
  const template = (uid: string): KubeObject => ({
    metadata: { name: 't', namespace: 'ns', uid },
    status: { schemaConfigMapName: 'schema-ct-t' },
  });

  function reader(state: { rv: string; fail?: AppError }): ConfigMapReader & { reads: number } {
    const r = {
      reads: 0,
      async getConfigMap() {
        r.reads++;
        if (state.fail) throw state.fail;
        return { uid: 'cm-1', resourceVersion: state.rv, data: { schema: JSON.stringify(schema) } };
      },
    };
    return r;
  }

  it('reads once per template uid; a re-created template (new uid) is read again', async () => {
    const cache = new TemplateSchemas();
    const api = reader({ rv: '1' });
    const a = await cache.schemaOf(api, template('u1'), {});
    const b = await cache.schemaOf(api, template('u1'), {});
    assert.deepEqual(a, schema);
    assert.equal(b, a);
    assert.equal(api.reads, 1);
    await cache.schemaOf(api, template('u2'), {});
    assert.equal(api.reads, 2);
  });

  it('re-checks after the interval; an unchanged ConfigMap (same uid/resourceVersion) keeps the parsed object', async () => {
    let now = 0;
    const cache = new TemplateSchemas(1000, () => now);
    const state = { rv: '7' };
    const api = reader(state);
    const first = await cache.schemaOf(api, template('u3'), {});
    now = 1001;
    const same = await cache.schemaOf(api, template('u3'), {});
    assert.equal(api.reads, 2);
    assert.equal(same, first, 'the same parsed object');
    state.rv = '8';
    now = 2002;
    const changed = await cache.schemaOf(api, template('u3'), {});
    assert.notEqual(changed, first, 'a new resourceVersion is parsed afresh');
  });

  it('a refusal (403) is remembered until the re-check; an outage is not', async () => {
    const refused = new TemplateSchemas();
    const forbidden = reader({ rv: '1', fail: new AppError('forbidden', 'no') });
    assert.equal(await refused.schemaOf(forbidden, template('u4'), {}), undefined);
    assert.equal(await refused.schemaOf(forbidden, template('u4'), {}), undefined);
    assert.equal(forbidden.reads, 1);
    const down = new TemplateSchemas();
    const unavailable = reader({ rv: '1', fail: new AppError('unavailable', 'down') });
    await down.schemaOf(unavailable, template('u5'), {});
    await down.schemaOf(unavailable, template('u5'), {});
    assert.equal(unavailable.reads, 2);
  });
});
