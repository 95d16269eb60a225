/**
 * Fail-fast configuration: each invalid value makes the real process exit non-zero with ONE line on
 * stderr naming the variable (and nothing on stdout).
 */
import assert from 'node:assert/strict';
import { writeFileSync, chmodSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli, stopAll, tempDir, unreachableKubeconfig, writeKubeconfig } from '../helpers/cli-process.js';

after(stopAll);

const kubeconfig = unreachableKubeconfig();
const dir = tempDir();

function assertOneLineNaming(result: { code: number | null; stdout: string; stderr: string }, ...names: string[]): void {
  assert.equal(result.code, 2, `expected exit code 2 (configuration error), stderr: ${result.stderr}`);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `expected one line, got:\n${result.stderr}`);
  for (const name of names) assert.match(lines[0]!, new RegExp(name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  assert.equal(result.stdout, '');
}

describe('serve fails fast on invalid configuration', { concurrency: 4 }, () => {
  const base = { K0RDENT_MGMT_KUBECONFIG_PATH: kubeconfig, LISTEN_ADDR: '127.0.0.1:0' };

  it('no kubeconfig and no --sandbox names both options', async () => {
    const r = await runCli(['serve'], { LISTEN_ADDR: '127.0.0.1:0' });
    assertOneLineNaming(r, 'K0RDENT_MGMT_KUBECONFIG_PATH', '--sandbox');
  });

  it('two kubeconfig sources', async () => {
    const r = await runCli(['serve'], { ...base, K0RDENT_MGMT_KUBECONFIG_TEXT: 'apiVersion: v1' });
    assertOneLineNaming(r, 'K0RDENT_MGMT_KUBECONFIG_PATH', 'K0RDENT_MGMT_KUBECONFIG_TEXT', 'exactly one');
  });

  it('a kubeconfig source together with --sandbox', async () => {
    const r = await runCli(['serve', '--sandbox'], base);
    assertOneLineNaming(r, 'K0RDENT_MGMT_KUBECONFIG_PATH', '--sandbox');
  });

  it('bad base64', async () => {
    const r = await runCli(['serve'], { LISTEN_ADDR: '127.0.0.1:0', K0RDENT_MGMT_KUBECONFIG_B64: 'not*base64!' });
    assertOneLineNaming(r, 'K0RDENT_MGMT_KUBECONFIG_B64', 'base64');
  });

  it('base64 of something that is not YAML', async () => {
    const b64 = Buffer.from('clusters: [unclosed\n  - : :').toString('base64');
    const r = await runCli(['serve'], { LISTEN_ADDR: '127.0.0.1:0', K0RDENT_MGMT_KUBECONFIG_B64: b64 });
    assertOneLineNaming(r, 'K0RDENT_MGMT_KUBECONFIG_B64', 'YAML');
  });

  it('invalid YAML text', async () => {
    const r = await runCli(['serve'], { LISTEN_ADDR: '127.0.0.1:0', K0RDENT_MGMT_KUBECONFIG_TEXT: 'a: [1, 2\nb: }' });
    assertOneLineNaming(r, 'K0RDENT_MGMT_KUBECONFIG_TEXT', 'YAML');
  });

  it('unreadable path', async () => {
    const r = await runCli(['serve'], { LISTEN_ADDR: '127.0.0.1:0', K0RDENT_MGMT_KUBECONFIG_PATH: join(dir, 'missing.yaml') });
    assertOneLineNaming(r, 'K0RDENT_MGMT_KUBECONFIG_PATH', 'cannot be read');
  });

  it('a path without read permission', { skip: process.getuid?.() === 0 ? 'root can read anything' : false }, async () => {
    const file = join(dir, 'noread.yaml');
    writeFileSync(file, 'x: 1');
    chmodSync(file, 0o000);
    const r = await runCli(['serve'], { LISTEN_ADDR: '127.0.0.1:0', K0RDENT_MGMT_KUBECONFIG_PATH: file });
    assertOneLineNaming(r, 'K0RDENT_MGMT_KUBECONFIG_PATH');
  });

  it('unknown context lists the available ones', async () => {
    const r = await runCli(['serve'], { ...base, K0RDENT_MGMT_CONTEXT: 'nope' });
    assertOneLineNaming(r, 'K0RDENT_MGMT_CONTEXT', '"nope"', 'mgmt');
  });

  it('bad namespace regex', async () => {
    const r = await runCli(['serve'], { ...base, K0RDENT_NAMESPACE_FILTER: 'team-(' });
    assertOneLineNaming(r, 'K0RDENT_NAMESPACE_FILTER', 'regular expression');
  });

  it('unknown AUTH_MODE', async () => {
    const r = await runCli(['serve'], { ...base, AUTH_MODE: 'OPEN' });
    assertOneLineNaming(r, 'AUTH_MODE', 'DEV_ALLOW_ANY', 'OIDC_REQUIRED');
  });

  it('bad LISTEN_ADDR', async () => {
    const r = await runCli(['serve'], { ...base, LISTEN_ADDR: 'localhost' });
    assertOneLineNaming(r, 'LISTEN_ADDR', 'host:port');
  });

  it('bad LOG_LEVEL', async () => {
    const r = await runCli(['serve'], { ...base, LOG_LEVEL: 'verbose' });
    assertOneLineNaming(r, 'LOG_LEVEL', 'debug, info, warn or error');
  });

  it('bad READ_ONLY boolean', async () => {
    const r = await runCli(['serve'], { ...base, READ_ONLY: 'maybe' });
    assertOneLineNaming(r, 'READ_ONLY', 'true or false');
  });

  it('bad TOOL_NAME_STYLE', async () => {
    const r = await runCli(['serve'], { ...base, TOOL_NAME_STYLE: 'kebab' });
    assertOneLineNaming(r, 'TOOL_NAME_STYLE', 'dotted or snake');
  });

  it('a flag wins over the environment (bad flag value over a good env value)', async () => {
    const r = await runCli(['serve', '--auth-mode', 'NOPE'], { ...base, AUTH_MODE: 'DEV_ALLOW_ANY' });
    assertOneLineNaming(r, 'AUTH_MODE', '--auth-mode', '"NOPE"');
  });

  it('non-loopback LISTEN_ADDR in DEV_ALLOW_ANY without DEV_BEARER_TOKEN', async () => {
    const r = await runCli(['serve'], { ...base, LISTEN_ADDR: '0.0.0.0:0' });
    assertOneLineNaming(r, 'LISTEN_ADDR', 'DEV_BEARER_TOKEN');
  });

  it('OIDC_ISSUER_URL outside OIDC_REQUIRED', async () => {
    const r = await runCli(['serve'], { ...base, OIDC_ISSUER_URL: 'https://issuer.example.com' });
    assertOneLineNaming(r, 'OIDC_ISSUER_URL', 'OIDC_REQUIRED');
  });

  it('a kubeconfig without any context', async () => {
    const file = writeKubeconfig('http://127.0.0.1:1', { dir: tempDir() });
    const r = await runCli(['stdio'], { K0RDENT_MGMT_KUBECONFIG_PATH: file, K0RDENT_MGMT_CONTEXT: 'other' });
    assertOneLineNaming(r, 'K0RDENT_MGMT_CONTEXT');
  });

  it('a LISTEN_ADDR already in use exits 1 with a one-line reason', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    try {
      const port = (blocker.address() as AddressInfo).port;
      const r = await runCli(['serve'], { K0RDENT_MGMT_KUBECONFIG_PATH: kubeconfig, LISTEN_ADDR: `127.0.0.1:${port}` });
      assert.equal(r.code, 1);
      const last = r.stderr.trim().split('\n').at(-1)!;
      assert.match(last, /^k0rdent-mcp: startup failed: .*EADDRINUSE/);
    } finally {
      await new Promise<void>((r) => blocker.close(() => r()));
    }
  });
});
