/**
 * Long operations against real processes: SIGTERM during a wait answers the call with its current state
 * (interrupted: true) and exits 0; a client whose stream broke mid-wait resumes it with Last-Event-ID
 * and receives the result; a stall reaches the client as notifications/message at its chosen level.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { LoggingMessageNotificationSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CLI, cleanEnv, stopAll } from '../helpers/cli-process.js';
import { deployArgs, serveOn, sandboxProcessFor } from '../helpers/long-ops.js';
import { until } from '../helpers/until.js';

after(stopAll);

const ACCEPT = 'application/json, text/event-stream';

/** Reads SSE events from a fetch body until `stop` says so; returns every event read. */
async function readEvents(
  body: ReadableStream<Uint8Array>,
  stop: (event: { id?: string; data: string }) => boolean,
): Promise<{ id?: string; data: string }[]> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const events: { id?: string; data: string }[] = [];
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return events;
    buffer += decoder.decode(value, { stream: true });
    let cut: number;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const event: { id?: string; data: string } = { data: '' };
      for (const line of block.split('\n')) {
        if (line.startsWith('id:')) event.id = line.slice(3).trim();
        else if (line.startsWith('data:')) event.data += line.slice(5).trim();
      }
      events.push(event);
      if (stop(event)) {
        await reader.cancel();
        return events;
      }
    }
  }
}

describe('long operations over real processes', () => {
  const sandbox = sandboxProcessFor(120);

  it('SIGTERM during a wait: the client receives a result with interrupted: true, the process exits 0', async () => {
    const { proc, base } = await serveOn(sandbox);
    const client = new Client({ name: 'sigterm-test', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', base)));
    const progress: string[] = [];
    const call = client.callTool({ name: 'k0.clusters.deploy', arguments: deployArgs('sigterm-wait', { wait: true }) }, undefined, {
      timeout: 120_000,
      onprogress: (p) => progress.push(p.message ?? ''),
    });
    // Once the wait has reported a state, the server is told to stop.
    await until('the first progress notification', () => progress.length > 0, 60_000);
    proc.child.kill('SIGTERM');
    const result = (await call) as CallToolResult;
    assert.ok(!result.isError, JSON.stringify(result.content));
    const value = result.structuredContent as { status: string; ready: boolean; interrupted?: boolean; phase?: string; note?: string };
    assert.equal(value.status, 'created');
    assert.equal(value.ready, false);
    assert.equal(value.interrupted, true);
    assert.match(value.phase ?? '', /Provisioning|Pending/);
    assert.match(value.note ?? '', /continues.*k0\.clusters\.get/);
    assert.equal(await proc.exited(), 0);
    await client.close().catch(() => undefined);
  });

  it('stdio: SIGTERM during a wait answers the call with interrupted: true, then the process exits', async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [CLI, 'stdio', '--kubeconfig-path', sandbox.kubeconfig],
      env: cleanEnv() as Record<string, string>,
      stderr: 'pipe',
    });
    const client = new Client({ name: 'stdio-sigterm', version: '1' });
    await client.connect(transport);
    // (StdioClientTransport does not expose the exit code; serve's test above checks code 0.)
    const pid = transport.pid;
    assert.ok(pid);
    const exited = until(
      'the stdio process to exit',
      () => {
        try {
          process.kill(pid, 0);
          return false;
        } catch {
          return true;
        }
      },
      { timeoutMs: 120_000, everyMs: 100 },
    );
    const progress: string[] = [];
    const call = client.callTool({ name: 'k0.clusters.deploy', arguments: deployArgs('stdio-sigterm', { wait: true }) }, undefined, {
      timeout: 120_000,
      onprogress: (p) => progress.push(p.message ?? ''),
    });
    await until('the first progress notification', () => progress.length > 0, 60_000);
    process.kill(pid, 'SIGTERM');
    const result = (await call) as CallToolResult;
    assert.equal((result.structuredContent as { interrupted?: boolean }).interrupted, true);
    await exited;
    await client.close().catch(() => undefined);
  });

  describe('on a sandbox that provisions in 6 s', () => {
    const fast = sandboxProcessFor(6);

    it('a client that drops its stream mid-wait and reconnects with Last-Event-ID receives the final result', async () => {
      const { proc, base } = await serveOn(fast);
      const url = new URL('/mcp', base);
      const init = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: ACCEPT },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'initialize',
          params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'resume', version: '1' } },
        }),
      });
      await init.text();
      const session = init.headers.get('mcp-session-id') ?? '';
      const headers = {
        'content-type': 'application/json',
        accept: ACCEPT,
        'mcp-session-id': session,
        'mcp-protocol-version': '2025-11-25',
      };
      await (
        await fetch(url, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) })
      ).text();

      const dropped = new AbortController();
      const call = await fetch(url, {
        method: 'POST',
        signal: dropped.signal,
        headers,
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 2,
          method: 'tools/call',
          params: { name: 'k0.clusters.deploy', arguments: deployArgs('resume-wait', { wait: true }), _meta: { progressToken: 'p1' } },
        }),
      });
      assert.equal(call.status, 200);
      // Read up to the first progress notification, then drop the stream.
      const first = await readEvents(call.body!, (e) => e.data.includes('notifications/progress'));
      assert.ok(first[0]?.id, 'a priming event with an id comes first');
      const lastId = first.filter((e) => e.id !== undefined).at(-1)!.id!;
      dropped.abort();

      // Until the server has seen the old connection close it answers 409; a client retries after `retry`.
      const resumed = await until(
        'the resumed stream (409 until the server has seen the old one close)',
        async () => {
          const answer = await fetch(url, { method: 'GET', headers: { ...headers, 'last-event-id': lastId } });
          if (answer.status !== 409) return answer;
          await answer.text();
          return undefined;
        },
        { timeoutMs: 5000, everyMs: 100 },
      );
      assert.equal(resumed.status, 200);
      const rest = await readEvents(resumed.body!, (e) => e.data.includes('"id":2'));
      const final = JSON.parse(rest.at(-1)!.data) as { id: number; result: { structuredContent: { ready: boolean; status: string } } };
      assert.equal(final.id, 2);
      assert.equal(final.result.structuredContent.ready, true);
      assert.equal(final.result.structuredContent.status, 'created');
      await proc.stop();
    });
  });

  it('a stall reaches the client as notifications/message (warning), and not below the level it set', async () => {
    const { proc, base } = await serveOn(sandbox);
    try {
      const run = async (level: 'warning' | 'error'): Promise<string[]> => {
        const client = new Client({ name: `log-${level}`, version: '1' });
        await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', base)));
        const messages: string[] = [];
        client.setNotificationHandler(
          LoggingMessageNotificationSchema,
          (n) => void messages.push(`${n.params.level}: ${String(n.params.data)}`),
        );
        await client.setLoggingLevel(level);
        const result = (await client.callTool(
          {
            name: 'k0.clusters.deploy',
            // The world below kcm moves the conditions for about 2 s after the create (HelmRelease installed), then
            // nothing changes until the infrastructure is up (provisionSeconds 120): a 10 s stall shows by ~12 s.
            arguments: deployArgs(`stall-${level}`, { wait: true, stallThreshold: '10s', provisionTimeout: '18s' }),
          },
          undefined,
          { timeout: 60_000 },
        )) as CallToolResult;
        assert.equal((result.structuredContent as { timedOut?: boolean }).timedOut, true);
        await client.close();
        return messages;
      };
      const warned = await run('warning');
      assert.ok(
        warned.some((m) => /^warning: no condition of ClusterDeployment team-alpha\/stall-warning changed for \d+s; still /.test(m)),
        warned.join('\n'),
      );
      assert.deepEqual(await run('error'), [], 'nothing below the level the client set');
    } finally {
      await proc.stop();
    }
  });
});
