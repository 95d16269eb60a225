/**
 * What an SRE scrapes from a real `serve --sandbox` process: right after startup /metrics has the build
 * info, in-flight calls at 0, the HTTP counter and every tool series at 0; /healthz and /readyz name the
 * version; a tool call moves exactly the series it should, and a waiting deploy counts as in flight
 * until it returns.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { TOOLS } from '../../src/mcp/tools/index.js';
import { REPO_ROOT, startServe, stopAll, type CliProcess } from '../helpers/cli-process.js';
import { until } from '../helpers/until.js';

after(stopAll);

const version = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** The value of one series in Prometheus text, or undefined when the series is absent. */
function sample(text: string, series: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return undefined;
}

describe('serve: metrics and probes for operators', () => {
  let proc: CliProcess;
  let base: string;
  const scrape = async (): Promise<string> => (await fetch(new URL('/metrics', base))).text();

  before(async () => {
    ({ proc, base } = await startServe(['--sandbox'], { LOG_LEVEL: 'debug' }));
  });
  after(async () => {
    await proc?.stop();
  });

  it('right after startup: build info, in-flight calls at 0, the HTTP counter and every tool series at 0', async () => {
    const text = await scrape();
    assert.equal(sample(text, `k0rdent_mcp_build_info{version="${version}",node="${process.version}"}`), 1);
    assert.equal(sample(text, 'mcp_inflight_calls'), 0);
    assert.match(text, /^# TYPE http_requests_total counter$/m);
    // The families of the other owners are there from startup too (docs/operations.md "Metrics").
    assert.match(text, /^# TYPE mcp_sessions gauge$/m);
    assert.match(text, /^# TYPE kube_api_requests_total counter$/m);
    assert.match(text, /^# TYPE kube_api_request_duration_seconds histogram$/m);
    const tools = TOOLS.map((t) => t.name);
    assert.ok(tools.length >= 5);
    for (const tool of tools) {
      for (const outcome of ['success', 'forbidden', 'invalid', 'not_found', 'conflict', 'error']) {
        assert.equal(sample(text, `mcp_tool_calls_total{tool="${tool}",outcome="${outcome}"}`), 0, `${tool} ${outcome}`);
      }
      assert.equal(sample(text, `mcp_tool_call_duration_seconds_count{tool="${tool}"}`), 0, tool);
    }
  });

  it('/healthz and /readyz report the version', async () => {
    const health = await fetch(new URL('/healthz', base));
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok', version });
    const ready = await fetch(new URL('/readyz', base));
    assert.equal(ready.status, 200);
    const body = (await ready.json()) as { status: string; version: string; kubernetes: { version?: string } };
    assert.equal(body.status, 'ready');
    assert.equal(body.version, version);
    assert.equal(typeof body.kubernetes.version, 'string');
  });

  it(
    'a call moves its tool series and the HTTP counter; a waiting deploy is in flight until it returns',
    { timeout: 120_000 },
    async () => {
      const before = await scrape();
      const client = new Client({ name: 'ops-test', version: '1.0.0' });
      await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', base)));
      try {
        const listed = (await client.callTool({ name: 'k0.clusters.listCredentials', arguments: {} })) as CallToolResult;
        assert.ok(!listed.isError, JSON.stringify(listed.structuredContent));
        const afterList = await scrape();
        const series = 'mcp_tool_calls_total{tool="k0.clusters.listCredentials",outcome="success"}';
        assert.equal(sample(afterList, series), (sample(before, series) ?? 0) + 1);
        assert.equal(sample(afterList, 'mcp_tool_calls_total{tool="k0.clusters.list",outcome="success"}'), 0, 'another tool did not move');
        assert.ok((sample(afterList, 'http_requests_total{route="/mcp",code="200"}') ?? 0) >= 2, 'initialize and the call were counted');
        assert.ok((sample(afterList, 'http_requests_total{route="/metrics",code="200"}') ?? 0) >= 1, 'the earlier scrape was counted');
        assert.ok((sample(afterList, 'http_requests_total{route="/healthz",code="200"}') ?? 0) >= 1);
        assert.equal(sample(afterList, 'mcp_inflight_calls'), 0);

        // A deploy that waits for Ready (the sandbox kcm takes 5 s) is in flight while it waits.
        const deploying = client.callTool(
          {
            name: 'k0.clusters.deploy',
            arguments: {
              name: 'ops-metrics-cluster',
              template: 'azure-standalone-cp-1-0-15',
              credential: 'azure-cluster-credential',
              config: {
                location: 'westus2',
                subscriptionID: '00000000-0000-0000-0000-000000000000',
                controlPlaneNumber: 1,
                workersNumber: 1,
                controlPlane: { vmSize: 'Standard_A4_v2' },
                worker: { vmSize: 'Standard_A4_v2' },
              },
              wait: true,
            },
          },
          undefined,
          { timeout: 110_000 },
        );
        await until('the waiting deploy to be counted in flight', async () => sample(await scrape(), 'mcp_inflight_calls') === 1, 60_000);
        const deployed = (await deploying) as CallToolResult;
        assert.ok(!deployed.isError, JSON.stringify(deployed.structuredContent));
        assert.equal((deployed.structuredContent as { ready?: boolean }).ready, true);
        const afterDeploy = await scrape();
        assert.equal(sample(afterDeploy, 'mcp_inflight_calls'), 0);
        assert.equal(sample(afterDeploy, 'mcp_tool_calls_total{tool="k0.clusters.deploy",outcome="success"}'), 1);

        // The wait is in the log: one info line saying what it waits for, a debug line at each phase change.
        const lines = proc
          .stderr()
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as { level: string | number; msg: string; cluster?: string; goal?: string; state?: string });
        const mine = lines.filter((l) => l.cluster === 'ops-metrics-cluster');
        const started = mine.filter((l) => l.msg.startsWith('waiting for ClusterDeployment'));
        assert.equal(started.length, 1, 'one wait-start line');
        assert.ok(started[0]!.level === 'info' || started[0]!.level === 30, `info, not ${started[0]!.level}`);
        assert.match(started[0]!.msg, /^waiting for ClusterDeployment kcm-system\/ops-metrics-cluster to be Ready for generation 1$/);
        const phases = mine.filter((l) => l.msg.startsWith('wait: ClusterDeployment'));
        assert.ok(phases.length >= 2, `a debug line per phase change (${phases.length})`);
        for (const phase of phases) assert.ok(phase.level === 'debug' || phase.level === 20, `debug, not ${phase.level}`);
        const deleted = (await client.callTool({
          name: 'k0.clusters.delete',
          arguments: { name: 'ops-metrics-cluster' },
        })) as CallToolResult;
        assert.ok(!deleted.isError, JSON.stringify(deleted.structuredContent));
      } finally {
        await client.close();
      }
    },
  );

  it('unknown paths are counted under route="other", never under their own path', async () => {
    assert.equal((await fetch(new URL('/no/such/path?x=1', base))).status, 404);
    const text = await scrape();
    assert.ok((sample(text, 'http_requests_total{route="other",code="404"}') ?? 0) >= 1);
    assert.doesNotMatch(text, /route="\/no\/such\/path/);
  });
});
