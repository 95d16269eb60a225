/**
 * The stdio front (issue 24 item 4, src/cli/stdio-front.ts): `initialize`, `tools/list` and `ping` are answered from
 * the build's start answers before the MCP SDK's server module has even loaded; the server that loads behind knows
 * the client as if it had answered itself (its capabilities reach the confirmation of a delete); the answers are
 * the server's own for every settings variant, and no setting outside their key changes them.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ElicitRequestSchema, type CallToolResult, type ElicitRequest } from '@modelcontextprotocol/sdk/types.js';
import { computeStartAnswers } from '../../src/cli/start-answers.js';
import { START_ANSWERS_FILE, startAnswersKey, type StartAnswersFile } from '../../src/cli/start-cache.js';
import { packageVersion } from '../../src/config/package.js';
import type { Settings } from '../../src/config/types.js';
import { AZURE_BASELINE } from '../helpers/clusters-harness.js';
import { CLI, cleanEnv, startCli, stopAll, tempDir, type CliProcess } from '../helpers/cli-process.js';
import { sandboxFor } from '../helpers/lifecycle.js';
import { testSettings } from '../helpers/settings.js';
import { until } from '../helpers/until.js';

/** Holds the SDK's Server module (what answers initialize once loaded) until the test opens a gate file. */
const HOOKS = `
import { existsSync, writeFileSync } from 'node:fs';
export async function load(url, context, nextLoad) {
  if (url.includes('/@modelcontextprotocol/sdk/dist/esm/server/index.js')) {
    writeFileSync(process.env.SDK_REQUESTED, 'requested');
    // test-kit: allowed (a module-loading hook in the child process, not test code: it cannot import the kit)
    while (!existsSync(process.env.SDK_GATE)) await new Promise((r) => setTimeout(r, 20));
  }
  return nextLoad(url, context);
}
`;
const REGISTER = `import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n`;

function messages(proc: CliProcess): Record<string, unknown>[] {
  return proc
    .stdout()
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

function rpc(proc: CliProcess) {
  return {
    send: (message: Record<string, unknown>) => proc.child.stdin!.write(`${JSON.stringify({ jsonrpc: '2.0', ...message })}\n`),
    answer: (id: number, timeoutMs = 60_000) =>
      until(`the answer to request ${id}`, () => messages(proc).find((m) => m.id === id), timeoutMs),
  };
}

const initialize = (protocolVersion: string) => ({
  method: 'initialize',
  params: { protocolVersion, capabilities: {}, clientInfo: { name: 'front-test', version: '1' } },
});

describe('the stdio front answers the handshake before the server loads', () => {
  const sandbox = sandboxFor({});
  let kubeconfig: string;
  before(() => {
    kubeconfig = join(tempDir(), 'kubeconfig.yaml');
    writeFileSync(kubeconfig, sandbox.kubeconfig);
  });
  after(() => stopAll());

  it('the build wrote the server’s own answers for each READ_ONLY × TOOL_NAME_STYLE variant', async () => {
    const file = JSON.parse(readFileSync(START_ANSWERS_FILE, 'utf8')) as StartAnswersFile;
    for (const readOnly of [false, true]) {
      for (const toolNameStyle of ['dotted', 'snake'] as const) {
        const settings = testSettings({ readOnly, toolNameStyle });
        const stored = file.answers[startAnswersKey(settings, packageVersion())];
        assert.ok(stored, `no start answers for readOnly=${readOnly} ${toolNameStyle}`);
        assert.deepEqual(stored, await computeStartAnswers(settings), `stale start answers for readOnly=${readOnly} ${toolNameStyle}`);
      }
    }
  });

  it('no setting outside the key changes either answer; each setting in it does', async () => {
    const base = testSettings();
    const reference = await computeStartAnswers(base);
    const changed: Partial<Settings>[] = [
      { kubeconfigSource: 'path' },
      { kubeContext: 'other' },
      { namespaceFilter: /^team-/ },
      { authMode: 'OIDC_REQUIRED' },
      { devBearerTokenSet: true },
      { defaultNamespaceDev: 'team-alpha' },
      { deployFieldOwner: 'someone.else' },
      { listenAddr: { host: '0.0.0.0', port: 8080 } },
      { logLevel: 'error' },
      { oidcIssuerUrl: 'https://issuer.example', oidcAudience: 'aud' },
      { confirmDestructive: 'never' },
      { progressIntervalMs: 1000 },
      { sessionIdleTimeoutMs: 1000, sessionLimitPerCaller: 1 },
      { httpRequestTimeoutMs: 1000, httpHeadersTimeoutMs: 1000, httpMaxConnections: 1 },
    ];
    const covered = new Set(changed.flatMap((change) => Object.keys(change)));
    const keyed = ['readOnly', 'toolNameStyle', 'globalNamespace', 'servicesFieldOwner'];
    for (const field of Object.keys(base)) assert.ok(covered.has(field) || keyed.includes(field), `setting ${field} is not tried here`);
    for (const change of changed) {
      const settings = { ...base, ...change };
      assert.equal(startAnswersKey(settings, '1'), startAnswersKey(base, '1'));
      assert.deepEqual(await computeStartAnswers(settings), reference, `${JSON.stringify(change)} changes the start answers`);
    }
    for (const change of [{ readOnly: true }, { toolNameStyle: 'snake' as const }, { globalNamespace: 'g' }, { servicesFieldOwner: 'o' }]) {
      assert.notEqual(startAnswersKey({ ...base, ...change }, '1'), startAnswersKey(base, '1'), JSON.stringify(change));
      assert.notDeepEqual(await computeStartAnswers({ ...base, ...change }), reference, JSON.stringify(change));
    }
  });

  it('initialize, tools/list, prompts/list, resources/templates/list and ping are answered while the SDK server module is held back; calls work once it loads', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'hooks.mjs'), HOOKS);
    writeFileSync(join(dir, 'register.mjs'), REGISTER);
    const gate = join(dir, 'gate');
    const requested = join(dir, 'requested');
    const proc = startCli(['stdio'], {
      K0RDENT_MGMT_KUBECONFIG_PATH: kubeconfig,
      LOG_LEVEL: 'info',
      NODE_OPTIONS: `--import=${pathToFileURL(join(dir, 'register.mjs')).href}`,
      SDK_GATE: gate,
      SDK_REQUESTED: requested,
    });
    const io = rpc(proc);
    io.send({ id: 1, ...initialize('2025-06-18') });
    const init = (await io.answer(1)).result as { protocolVersion: string; serverInfo: { name: string }; instructions: string };
    assert.equal(init.protocolVersion, '2025-06-18', 'the client’s supported version is kept');
    assert.equal(init.serverInfo.name, 'k0rdent-mcp');
    io.send({ method: 'notifications/initialized' });
    io.send({ id: 2, method: 'tools/list' });
    io.send({ id: 3, method: 'ping' });
    // What VS Code asks right after initialize, besides resources/list (which needs the cluster, so the server).
    io.send({ id: 6, method: 'prompts/list' });
    io.send({ id: 7, method: 'resources/templates/list', params: {} });
    const tools = ((await io.answer(2)).result as { tools: { name: string }[] }).tools.map((t) => t.name);
    assert.ok(tools.includes('k0.clusters.list'), tools.join(', '));
    assert.deepEqual((await io.answer(3)).result, {});
    const prompts = ((await io.answer(6)).result as { prompts: { name: string }[] }).prompts;
    assert.ok(prompts.length > 0, 'prompts listed');
    const templates = ((await io.answer(7)).result as { resourceTemplates: { uriTemplate: string }[] }).resourceTemplates;
    assert.ok(
      templates.some((t) => t.uriTemplate.startsWith('k0rdent://clusters/')),
      JSON.stringify(templates),
    );
    // A tool call waits for the server, which is still held.
    io.send({ id: 4, method: 'tools/call', params: { name: 'k0.clusters.list', arguments: { namespace: 'kcm-system' } } });
    await until('the server module to be requested', () => (existsSync(requested) ? true : undefined), 30_000);
    assert.equal(existsSync(gate), false, 'answered while the SDK server module was held back');
    assert.equal(
      messages(proc).find((m) => m.id === 4),
      undefined,
      'the tool call is not answered before the server loads',
    );
    writeFileSync(gate, 'open');
    const call = (await io.answer(4)).result as CallToolResult;
    assert.notEqual(call.isError, true, JSON.stringify(call));
    // The server answered the replayed initialize the same way (else it logs that the answers are stale) and
    // its answer was not sent twice.
    io.send({ id: 5, method: 'ping' });
    await io.answer(5);
    assert.equal(messages(proc).filter((m) => m.id === 1).length, 1, 'initialize answered once');
    assert.doesNotMatch(proc.stderr(), /start answers are stale/);
    proc.child.stdin!.end();
    assert.equal(await proc.exited(), 0);
    assert.doesNotMatch(proc.stderr(), /start answers are stale/);
  });

  it('an unknown protocol version is answered with the latest, as the SDK does', async () => {
    const proc = startCli(['stdio'], { K0RDENT_MGMT_KUBECONFIG_PATH: kubeconfig, LOG_LEVEL: 'warn' });
    const io = rpc(proc);
    io.send({ id: 1, ...initialize('1999-01-01') });
    const file = JSON.parse(readFileSync(START_ANSWERS_FILE, 'utf8')) as StartAnswersFile;
    assert.equal(((await io.answer(1)).result as { protocolVersion: string }).protocolVersion, file.protocol.latest);
    io.send({ id: 2, method: 'ping' });
    await io.answer(2);
    proc.child.stdin!.end();
    assert.equal(await proc.exited(), 0);
    assert.doesNotMatch(proc.stderr(), /start answers are stale/);
  });

  it('settings without start answers: the server answers the handshake itself', async () => {
    const proc = startCli(['stdio'], {
      K0RDENT_MGMT_KUBECONFIG_PATH: kubeconfig,
      LOG_LEVEL: 'warn',
      CLUSTER_GLOBAL_NAMESPACE: 'shared-ns',
    });
    const io = rpc(proc);
    io.send({ id: 1, ...initialize('2025-06-18') });
    await io.answer(1);
    io.send({ id: 2, method: 'tools/list' });
    const tools = ((await io.answer(2)).result as { tools: { name: string; description: string }[] }).tools;
    assert.match(tools.find((t) => t.name === 'k0.clusters.listCredentials')?.description ?? '', /shared-ns/);
    proc.child.stdin!.end();
    assert.equal(await proc.exited(), 0);
  });

  it('the server knows the client the front answered: a delete asks it through elicitation, as it declared', async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [CLI, 'stdio', '--sandbox'],
      env: cleanEnv({ LOG_LEVEL: 'warn' }) as Record<string, string>,
      stderr: 'pipe',
    });
    const client = new Client({ name: 'front-elicitation', version: '1' }, { capabilities: { elicitation: { form: {} } } });
    const asked: ElicitRequest[] = [];
    client.setRequestHandler(ElicitRequestSchema, (request) => {
      asked.push(request);
      return { action: 'decline' };
    });
    await client.connect(transport);
    try {
      const deployed = (await client.callTool({
        name: 'k0.clusters.deploy',
        arguments: {
          name: 'front-confirm',
          template: 'azure-standalone-cp-1-0-15',
          credential: 'azure-cluster-credential',
          config: AZURE_BASELINE,
        },
      })) as CallToolResult;
      assert.notEqual(deployed.isError, true, JSON.stringify(deployed.content));
      const deleted = (await client.callTool({ name: 'k0.clusters.delete', arguments: { name: 'front-confirm' } })) as CallToolResult;
      assert.equal((deleted.structuredContent as { status?: string }).status, 'cancelled', JSON.stringify(deleted.content));
      assert.equal(asked.length, 1, 'the server asked the client, which declared elicitation in the initialize the front answered');
    } finally {
      await client.close();
    }
  });
});
