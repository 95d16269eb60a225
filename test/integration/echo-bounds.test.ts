/**
 * One bound on every echo (issue 18 item 7), through real MCP clients over the serve app: whatever the
 * caller sent — a 3 MB task id, a 100 KB URI, 5,000 unknown config keys or arguments — the answer and
 * every log line stay under a few KB, and a list says how many it left out. The sandbox's 401 log line
 * names no user.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { CallToolResultSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { AZURE_BASELINE, sandboxWriteCount } from '../helpers/clusters-harness.js';
import { sandboxFor, tokensFile } from '../helpers/lifecycle.js';
import { startServeApp, type ServeApp } from '../helpers/serve-app.js';

/** "A few KB": the most an answer or a log line may be, whatever the input. */
const FEW_KB = 4096;

describe('every echo of the input is bounded', () => {
  const sandbox = sandboxFor({ provisionSeconds: 600 });
  let serve: ServeApp;
  let client: Client;
  let logsBefore = 0;

  before(async () => {
    serve = await startServeApp(sandbox);
    client = await serve.connect('echo-bounds');
  });
  after(async () => {
    await serve?.close();
  });

  /** The log lines written since the previous check are each under FEW_KB. */
  const assertLogLinesBounded = (): void => {
    const fresh = serve.rawLogs.slice(logsBefore);
    logsBefore = serve.rawLogs.length;
    const longest = Math.max(0, ...fresh.map((line) => line.length));
    assert.ok(longest < FEW_KB, `a log line of ${longest} characters`);
  };
  const rejection = async (promise: Promise<unknown>): Promise<Error> =>
    promise.then(
      () => assert.fail('expected an error'),
      (error: unknown) => error as Error,
    );

  it('a 3 MB unknown task id in tasks/result', async () => {
    const error = await rejection(client.experimental.tasks.getTaskResult(`k0t1.${'x'.repeat(3_000_000)}`, CallToolResultSchema));
    assert.match(error.message, /Task not found/);
    assert.ok(error.message.length < FEW_KB, `${error.message.length} characters`);
    assertLogLinesBounded();
  });

  it('a 100 KB URI in resources/subscribe and resources/read', async () => {
    const long = `k0rdent://clusters/team-alpha/${'a'.repeat(100_000)}`;
    const subscribe = await rejection(client.subscribeResource({ uri: long }));
    assert.match(subscribe.message, /invalidParams/);
    assert.ok(subscribe.message.length < FEW_KB, `${subscribe.message.length} characters`);
    const line = serve.logs.findLast((l) => l['method'] === 'resources/subscribe');
    assert.ok(line && String(line['uri']).length < 300, 'the log line carries the URI cut');
    // Not our template at all: the SDK's own "Resource <uri> not found" is cut on its way out.
    const read = await rejection(client.readResource({ uri: `other://${'b'.repeat(100_000)}` }));
    assert.ok(read.message.length < FEW_KB, `${read.message.length} characters`);
    assertLogLinesBounded();
  });

  it('5,000 unknown config keys: the answer lists a few and says how many more, nothing is written', async () => {
    const config: Record<string, unknown> = { ...AZURE_BASELINE };
    for (let i = 0; i < 5000; i++) config[`unknownSetting${i}`] = i;
    const writes = await sandboxWriteCount(sandbox);
    const result = (await client.callTool({
      name: 'k0.clusters.deploy',
      arguments: {
        name: 'echo-keys',
        namespace: 'team-alpha',
        template: 'azure-standalone-cp-1-0-15',
        credential: 'azure-cluster-credential',
        config,
      },
    })) as CallToolResult;
    assert.equal(result.isError, true);
    const text = (result.content[0] as { text: string }).text;
    assert.match(text, /^invalidParams: /);
    assert.match(text, /: 5,000 problems: config\.unknownSetting0 is not a setting of this template/);
    assert.match(text, / … and 4,9\d\d more$/);
    assert.ok(JSON.stringify(result).length < 2 * FEW_KB, `${JSON.stringify(result).length} characters of answer`);
    assert.equal(await sandboxWriteCount(sandbox), writes, 'nothing written');
    assertLogLinesBounded();
  });

  it('5,000 unknown arguments', async () => {
    const args: Record<string, unknown> = { name: 'echo-args' };
    for (let i = 0; i < 5000; i++) args[`notAnArgument${i}`] = i;
    const result = (await client.callTool({ name: 'k0.clusters.get', arguments: args })) as CallToolResult;
    assert.equal(result.isError, true);
    const text = (result.content[0] as { text: string }).text;
    assert.match(text, /"notAnArgument0" is not an argument of k0\.clusters\.get/);
    assert.ok(JSON.stringify(result).length < 2 * FEW_KB, `${JSON.stringify(result).length} characters of answer`);
    assertLogLinesBounded();
  });
});

describe("the sandbox's 401 log line", () => {
  const lines: string[] = [];
  const sandbox = sandboxFor({
    tokensFile: tokensFile([{ name: 'alice', token: 'alice-token', namespaces: ['*'] }]),
    log: (line) => lines.push(line),
  });

  it('names no user', async () => {
    const res = await fetch(new URL('/api/v1/namespaces', sandbox.url), { headers: { authorization: 'Bearer wrong' } });
    assert.equal(res.status, 401);
    await res.text();
    const line = lines.find((l) => l.startsWith('GET /api/v1/namespaces') && / 401 /.test(l));
    assert.ok(line, lines.join('\n'));
    assert.doesNotMatch(line, /user=|system:admin|alice/);
    assert.match(line, /unauthenticated$/);
  });
});
