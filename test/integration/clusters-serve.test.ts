/**
 * `k0rdent-mcp serve --sandbox` (what `npm start` runs) as a real process, driven by an MCP client over
 * Streamable HTTP: the whole list → deploy → list → delete flow, and the cluster metrics on /metrics.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { startServe, stopAll } from '../helpers/cli-process.js';
import { AZURE_BASELINE } from '../helpers/clusters-harness.js';

after(stopAll);

describe('serve --sandbox: list → deploy → list → delete over Streamable HTTP', () => {
  let base: string;
  let client: Client;
  before(async () => {
    ({ base } = await startServe(['--sandbox'], {}));
    client = new Client({ name: 'clusters-serve-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', base)));
  });
  after(async () => {
    await client?.close();
  });

  const call = async <T>(name: string, args: Record<string, unknown>): Promise<T> => {
    const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
    assert.ok(!result.isError, `${name} failed: ${JSON.stringify(result.content)}`);
    return result.structuredContent as T;
  };

  it('runs the flow and counts it in /metrics', async () => {
    const credentials = await call<{ items: { name: string; namespace: string; ready: boolean }[] }>('k0.clusters.listCredentials', {
      namespace: 'kcm-system',
    });
    const credential = credentials.items.find((c) => c.name === 'azure-cluster-credential' && c.ready);
    assert.ok(credential, 'azure-cluster-credential is listed and ready');
    const templates = await call<{ items: { name: string; valid: boolean; configSchema: { required: string[] } }[] }>(
      'k0.clusters.listTemplates',
      { scope: 'global', detail: 'full' },
    );
    const template = templates.items.find((t) => t.name === 'azure-standalone-cp-1-0-15');
    assert.ok(template?.valid);
    assert.ok(template.configSchema.required.includes('location'));

    const deployed = await call<{ name: string; namespace: string; status: string }>('k0.clusters.deploy', {
      name: 'serve-flow',
      template: template.name,
      credential: credential.name,
      config: AZURE_BASELINE,
    });
    assert.deepEqual([deployed.namespace, deployed.status], ['kcm-system', 'created']);

    const listed = await call<{ items: { name: string; namespace: string; template: string }[] }>('k0.clusters.list', {
      namespace: 'kcm-system',
    });
    assert.ok(listed.items.some((d) => d.name === 'serve-flow' && d.template === template.name));

    const deleted = await call<{ status: string }>('k0.clusters.delete', { name: 'serve-flow' });
    assert.equal(deleted.status, 'deleted');

    const metrics = await (await fetch(new URL('/metrics', base))).text();
    for (const counter of [
      'clusters_list_credentials_total',
      'clusters_list_templates_total',
      'clusters_deploy_total',
      'clusters_list_total',
      'clusters_delete_total',
    ]) {
      assert.match(metrics, new RegExp(`^${counter}\\{outcome="success"\\} 1$`, 'm'));
    }
    assert.match(metrics, /^clusters_deploy_duration_seconds_count 1$/m);
  });
});
