/**
 * Heartbeats: an SDK client with its default 60 s request timeout plus resetTimeoutOnProgress follows a
 * deploy whose provisioning takes longer than that timeout (75 s in the sandbox) to `ready: true`. Every
 * notification carries `total` (kcm's condition sequence), `progress` strictly increases, and the gaps
 * stay under the client's timeout — heartbeats fill the minutes in which no condition changes. The largest
 * gap is printed, not asserted against PROGRESS_INTERVAL (timings vary under load).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { DEFAULT_REQUEST_TIMEOUT_MSEC } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { CallToolResult, Progress } from '@modelcontextprotocol/sdk/types.js';
import { stopAll } from '../helpers/cli-process.js';
import { deployArgs, serveOn, startSandboxProcess, type SandboxProcess } from '../helpers/long-ops.js';

after(stopAll);

describe('heartbeats keep a long wait alive', () => {
  let sandbox: SandboxProcess;
  before(async () => {
    sandbox = await startSandboxProcess(75);
  });
  after(async () => {
    await sandbox?.proc.stop();
  });

  it('deploy wait=true outlasting the 60 s default timeout → ready: true with total set and progress strictly increasing', async () => {
    const { proc, base } = await serveOn(sandbox);
    const client = new Client({ name: 'heartbeat-test', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', base)));
    const seen: { at: number; progress: Progress }[] = [];
    const started = Date.now();
    const result = (await client.callTool({ name: 'k0.clusters.deploy', arguments: deployArgs('heartbeat', { wait: true }) }, undefined, {
      resetTimeoutOnProgress: true,
      onprogress: (progress) => seen.push({ at: Date.now(), progress }),
    })) as CallToolResult;
    assert.ok(!result.isError, JSON.stringify(result.content));
    assert.equal((result.structuredContent as { ready: boolean }).ready, true);
    assert.ok(Date.now() - started > DEFAULT_REQUEST_TIMEOUT_MSEC, 'the wait outlasted the default timeout (else this proves nothing)');

    assert.ok(seen.length > 0);
    for (const { progress } of seen) {
      assert.equal(progress.total, 6, 'total = the steps of kcm condition sequence');
      assert.match(progress.message ?? '', /^\w+: \w+ \(\d\/6\), (\d+m)?\d+s$/);
    }
    for (let i = 1; i < seen.length; i++)
      assert.ok(seen[i]!.progress.progress > seen[i - 1]!.progress.progress, `progress strictly increases at ${i}`);
    assert.equal(seen.at(-1)?.progress.progress, 6);
    const gaps = [seen[0]!.at - started, ...seen.slice(1).map((s, i) => s.at - seen[i]!.at)];
    const largest = Math.max(...gaps);
    assert.ok(largest < DEFAULT_REQUEST_TIMEOUT_MSEC, `a gap of ${largest} ms would have timed the call out`);
    console.log(
      `heartbeat: ${seen.length} notifications over ${Date.now() - started} ms, largest gap ${largest} ms (PROGRESS_INTERVAL 10s)`,
    );
    await client.close();
    await proc.stop();
  });
});
