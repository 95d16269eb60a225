/**
 * The CLI's words (issue 25 item 5): each command's --help offers only the flags it reads — `stdio --help` has no
 * HTTP flag and `stdio` refuses one — and the stdio start log does not print what only `serve` uses (listenAddr,
 * HTTP limits, OIDC).
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { CONFIG_VARIABLES } from '../../src/config/variables.js';
import { HTTP_ONLY } from '../../src/cli/options.js';
import { runCli, startCli, stopAll, unreachableKubeconfig } from '../helpers/cli-process.js';

const httpFlags = CONFIG_VARIABLES.filter((v) => HTTP_ONLY.includes(v.key)).map((v) => v.flag);
const sharedFlags = CONFIG_VARIABLES.filter((v) => !HTTP_ONLY.includes(v.key)).map((v) => v.flag);

describe('each command offers its own flags', () => {
  after(() => stopAll());

  it('stdio --help lists the shared flags and no HTTP-only one; serve --help lists both', async () => {
    assert.ok(httpFlags.includes('--listen-addr') && httpFlags.length >= 5, httpFlags.join(' '));
    const stdio = await runCli(['stdio', '--help']);
    assert.equal(stdio.code, 0, stdio.stderr);
    for (const flag of httpFlags) assert.ok(!stdio.stdout.includes(`${flag} `), `stdio --help offers ${flag}`);
    for (const flag of [...sharedFlags, '--sandbox']) assert.ok(stdio.stdout.includes(`${flag} `), `stdio --help lacks ${flag}`);
    const serve = await runCli(['serve', '--help']);
    assert.equal(serve.code, 0, serve.stderr);
    for (const flag of [...httpFlags, ...sharedFlags, '--stateless'])
      assert.ok(serve.stdout.includes(`${flag} `), `serve --help lacks ${flag}`);
  });

  it('stdio refuses an HTTP-only flag', async () => {
    const { code, stderr } = await runCli(['stdio', '--listen-addr', '127.0.0.1:9999'], {
      K0RDENT_MGMT_KUBECONFIG_PATH: unreachableKubeconfig(),
    });
    assert.notEqual(code, 0);
    assert.match(stderr, /unknown option '--listen-addr'/);
  });

  it('the stdio start log summarises the configuration without listenAddr or the HTTP settings', async () => {
    const proc = startCli(['stdio'], { K0RDENT_MGMT_KUBECONFIG_PATH: unreachableKubeconfig(), LOG_LEVEL: 'info' });
    const line = await proc.waitForLog(/k0rdent-mcp starting/);
    const config = line.config as Record<string, unknown>;
    assert.equal(config.globalNamespace, 'kcm-system', JSON.stringify(line));
    for (const key of ['listenAddr', 'devBearerTokenSet', 'oidcIssuerUrl', 'sessionIdleTimeoutMs', 'httpMaxConnections']) {
      assert.ok(!(key in config), `the stdio start log prints ${key}: ${JSON.stringify(config)}`);
    }
    proc.child.stdin!.end();
    assert.equal(await proc.exited(), 0);
  });
});
