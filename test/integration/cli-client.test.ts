/**
 * The client in the box (`k0rdent-mcp tools` / `k0rdent-mcp call`), run as real processes: without --url
 * it starts its own `stdio --sandbox`; with --url it talks to a running `serve --sandbox` over Streamable
 * HTTP; a deploy with wait prints progress lines; usage mistakes exit 2 before anything starts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TOOLS } from '../../src/mcp/tools/index.js';
import { startCli, startServe, stopAll } from '../helpers/cli-process.js';
import { AZURE_BASELINE } from '../helpers/clusters-harness.js';

after(stopAll);

async function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const proc = startCli(args);
  proc.child.stdin?.end();
  const code = await proc.exited();
  return { code, stdout: proc.stdout(), stderr: proc.stderr() };
}

describe('k0rdent-mcp tools / call', () => {
  let url: string;
  before(async () => {
    const { base } = await startServe(['--sandbox'], {});
    url = new URL('/mcp', base).toString();
  });

  it('tools lists every tool with read or WRITE from its annotations (own sandbox, no --url)', async () => {
    const { code, stdout, stderr } = await run(['tools']);
    assert.equal(code, 0, stderr);
    const rows = stdout.trim().split('\n');
    assert.equal(rows.length, TOOLS.length);
    for (const tool of TOOLS) {
      const row = rows.find((r) => r.split(/\s+/)[0] === tool.name);
      assert.ok(row, `${tool.name} is listed`);
      assert.equal(row.split(/\s+/)[1], tool.annotations.readOnlyHint === true ? 'read' : 'WRITE', tool.name);
    }
  });

  it('call k0.clusters.list without --url starts its own sandbox and prints the seeded clusters as JSON', async () => {
    const { code, stdout, stderr } = await run(['call', 'k0.clusters.list', '{"namespace":"team-alpha"}']);
    assert.equal(code, 0, stderr);
    const result = JSON.parse(stdout) as { items: { name: string; namespace: string }[] };
    assert.ok(result.items.length > 0);
    assert.ok(result.items.every((i) => i.namespace === 'team-alpha'));
    assert.ok(result.items.some((i) => i.name === 'alpha-dev-cluster'));
  });

  it('call with --url talks to the running server, and a deploy with wait prints its progress', async () => {
    const args = JSON.stringify({
      name: 'cli-progress',
      namespace: 'kcm-system',
      template: 'azure-standalone-cp-1-0-15',
      credential: 'azure-cluster-credential',
      config: AZURE_BASELINE,
      wait: true,
    });
    const deployed = await run(['call', 'k0.clusters.deploy', args, '--url', url, '--wait-progress']);
    assert.equal(deployed.code, 0, deployed.stderr);
    const result = JSON.parse(deployed.stdout) as { status: string; ready?: boolean };
    assert.equal(result.status, 'created');
    assert.equal(result.ready, true);
    assert.match(deployed.stderr, /^progress [\d.]+\/\d+: Provisioning/m);
    assert.match(deployed.stderr, /^progress (\d+)\/\1: Ready/m);

    const listed = await run(['call', 'k0.clusters.list', '{"namespace":"kcm-system"}', '--url', url]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.ok((JSON.parse(listed.stdout) as { items: { name: string }[] }).items.some((i) => i.name === 'cli-progress'));
  });

  it('a tool error exits 1 with the coded text; usage mistakes exit 2 with what to do', async () => {
    const missing = await run(['call', 'k0.clusters.get', '{"name":"no-such-cluster","namespace":"team-alpha"}', '--url', url]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^k0\.clusters\.get: .*not ?found/im);
    assert.equal(missing.stdout, '');

    const badJson = await run(['call', 'k0.clusters.list', '{namespace:']);
    assert.equal(badJson.code, 2);
    assert.match(badJson.stderr, /are not JSON .*write them like/);

    const notObject = await run(['call', 'k0.clusters.list', '[1]']);
    assert.equal(notObject.code, 2);
    assert.match(notObject.stderr, /must be a JSON object/);

    const header = await run(['call', 'k0.clusters.list', '--header', 'X-A: b']);
    assert.equal(header.code, 2);
    assert.match(header.stderr, /--header needs --url/);

    const badUrl = await run(['tools', '--url', 'not a url']);
    assert.equal(badUrl.code, 2);
    assert.match(badUrl.stderr, /is not a URL/);
  });
});
