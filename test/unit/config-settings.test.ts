/** Settings from env + flags: defaults, flag-wins, every validation rule, the secret-free summary. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/config/errors.js';
import { checkKubeconfig } from '../../src/config/kubeconfig-source.js';
import * as k8s from '@kubernetes/client-node';
import { loadKubeConfig } from '../../src/config/kubeconfig.js';
import { checkServeExposure, isLoopbackHost, parseConfig, parseListenAddr, summarizeSettings } from '../../src/config/settings.js';
import { packageRoot } from '../../src/config/package.js';
import { collectRawConfig, CONFIG_VARIABLES } from '../../src/config/variables.js';

const KUBECONFIG = `apiVersion: v1
kind: Config
clusters:
- name: a
  cluster: {server: 'https://a.example:6443'}
- name: b
  cluster: {server: 'http://127.0.0.1:8080'}
users:
- name: u
  user: {token: operator-token}
contexts:
- name: first
  context: {cluster: a, user: u}
- name: second
  context: {cluster: b, user: u}
current-context: first
`;

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a ConfigError');
}

describe('settings', () => {
  it('defaults match README.md "Configuration"', () => {
    const { settings, kubeconfig, devBearerToken } = parseConfig({ kubeconfigText: KUBECONFIG }, { sandbox: false });
    assert.equal(kubeconfig.kind, 'text');
    assert.equal(devBearerToken, undefined);
    assert.deepEqual(
      { ...settings },
      {
        kubeconfigSource: 'text',
        kubeContext: undefined,
        namespaceFilter: undefined,
        authMode: 'DEV_ALLOW_ANY',
        devBearerTokenSet: false,
        globalNamespace: 'kcm-system',
        defaultNamespaceDev: 'kcm-system',
        deployFieldOwner: 'mcp.clusters',
        servicesFieldOwner: 'mcp.services',
        listenAddr: { host: '127.0.0.1', port: 6767 },
        logLevel: 'info',
        readOnly: false,
        toolNameStyle: 'dotted',
        oidcIssuerUrl: undefined,
        oidcAudience: undefined,
        confirmDestructive: 'auto',
        progressIntervalMs: 10_000,
        sessionIdleTimeoutMs: 900_000,
        sessionLimitPerCaller: 100,
        httpRequestTimeoutMs: 30_000,
        httpHeadersTimeoutMs: 20_000,
        httpMaxConnections: 1024,
      },
    );
  });

  it('every variable has a distinct env name and flag', () => {
    assert.equal(new Set(CONFIG_VARIABLES.map((v) => v.env)).size, CONFIG_VARIABLES.length);
    assert.equal(new Set(CONFIG_VARIABLES.map((v) => v.flag)).size, CONFIG_VARIABLES.length);
    assert.equal(CONFIG_VARIABLES.length, 29);
  });

  it('the README configuration table lists every variable with its flag', () => {
    const readme = readFileSync(join(packageRoot(), 'README.md'), 'utf8');
    for (const v of CONFIG_VARIABLES) {
      const row = readme.split('\n').find((line) => line.startsWith(`| \`${v.env}\` |`));
      assert.ok(row, `README has no row for ${v.env}`);
      assert.ok(row.includes(`\`${v.flag} `), `README row for ${v.env} does not name ${v.flag}`);
    }
  });

  it('a flag wins over the environment; empty values count as unset', () => {
    const raw = collectRawConfig(
      { LOG_LEVEL: 'warn', AUTH_MODE: 'OIDC_REQUIRED', TOOL_NAME_STYLE: '' },
      { logLevel: 'debug', readOnly: true },
    );
    assert.deepEqual(raw, { logLevel: 'debug', authMode: 'OIDC_REQUIRED', readOnly: 'true' });
  });

  it('parses values', () => {
    const { settings } = parseConfig(
      {
        kubeconfigPath: '/x',
        context: 'second',
        namespaceFilter: '^team-',
        authMode: 'OIDC_REQUIRED',
        listenAddr: '[::1]:7000',
        logLevel: 'debug',
        readOnly: 'TRUE',
        toolNameStyle: 'snake',
        oidcIssuerUrl: 'https://issuer.example',
        oidcAudience: 'mcp',
        confirmDestructive: 'never',
        progressInterval: '2s',
        sessionIdleTimeout: '1h',
        sessionLimitPerCaller: '7',
      },
      { sandbox: false },
    );
    assert.equal(settings.confirmDestructive, 'never');
    assert.equal(settings.progressIntervalMs, 2000);
    assert.equal(settings.sessionIdleTimeoutMs, 3_600_000);
    assert.equal(settings.sessionLimitPerCaller, 7);
    assert.equal(settings.namespaceFilter?.test('team-alpha'), true);
    assert.equal(settings.namespaceFilter?.test('finance'), false);
    assert.deepEqual(settings.listenAddr, { host: '::1', port: 7000 });
    assert.equal(settings.readOnly, true);
    assert.equal(settings.toolNameStyle, 'snake');
    assert.equal(settings.kubeContext, 'second');
  });

  const invalid: Array<[string, Record<string, string>, RegExp]> = [
    ['bad regex', { namespaceFilter: '(' }, /^K0RDENT_NAMESPACE_FILTER \(--namespace-filter\) is not a valid regular expression/],
    ['unknown AUTH_MODE', { authMode: 'anything' }, /^AUTH_MODE .*DEV_ALLOW_ANY or OIDC_REQUIRED/],
    ['bad LISTEN_ADDR', { listenAddr: '127.0.0.1:99999' }, /^LISTEN_ADDR .*host:port/],
    ['bad LOG_LEVEL', { logLevel: 'trace' }, /^LOG_LEVEL .*debug, info, warn or error/],
    ['bad READ_ONLY', { readOnly: 'nah' }, /^READ_ONLY .*true or false/],
    ['bad TOOL_NAME_STYLE', { toolNameStyle: 'camel' }, /^TOOL_NAME_STYLE .*dotted or snake/],
    ['bad global namespace', { globalNamespace: 'KCM_System' }, /^CLUSTER_GLOBAL_NAMESPACE .*DNS-1123/],
    ['bad OIDC issuer', { authMode: 'OIDC_REQUIRED', oidcIssuerUrl: 'issuer' }, /^OIDC_ISSUER_URL .*issuer URL/],
    ['audience without issuer', { authMode: 'OIDC_REQUIRED', oidcAudience: 'x' }, /^OIDC_AUDIENCE .*OIDC_ISSUER_URL/],
    ['bad CONFIRM_DESTRUCTIVE', { confirmDestructive: 'always' }, /^CONFIRM_DESTRUCTIVE .*auto or never/],
    ['bad PROGRESS_INTERVAL', { progressInterval: '10' }, /^PROGRESS_INTERVAL .*duration/],
    ['too short PROGRESS_INTERVAL', { progressInterval: '100ms' }, /^PROGRESS_INTERVAL .*at least 1s/],
    ['bad SESSION_IDLE_TIMEOUT', { sessionIdleTimeout: 'forever' }, /^SESSION_IDLE_TIMEOUT .*duration/],
    ['bad SESSION_LIMIT_PER_CALLER', { sessionLimitPerCaller: '0' }, /^SESSION_LIMIT_PER_CALLER .*positive whole number/],
    [
      'two kubeconfig sources',
      { kubeconfigB64: 'eA==' },
      /K0RDENT_MGMT_KUBECONFIG_TEXT and K0RDENT_MGMT_KUBECONFIG_B64 are both set|K0RDENT_MGMT_KUBECONFIG_B64 and K0RDENT_MGMT_KUBECONFIG_TEXT are both set/,
    ],
  ];
  for (const [name, raw, message] of invalid) {
    it(`rejects ${name} with one line naming the variable`, () => {
      const error = configError(() => parseConfig({ kubeconfigText: KUBECONFIG, ...raw }, { sandbox: false }));
      assert.match(error.message, message);
      assert.equal(error.line().includes('\n'), false);
    });
  }

  it('no kubeconfig and no --sandbox names both options', () => {
    const error = configError(() => parseConfig({}, { sandbox: false }));
    assert.match(error.message, /K0RDENT_MGMT_KUBECONFIG_PATH/);
    assert.match(error.message, /--sandbox/);
  });

  it('--sandbox needs no kubeconfig', () => {
    assert.equal(parseConfig({}, { sandbox: true }).settings.kubeconfigSource, 'sandbox');
  });

  it('the summary never carries the dev token', () => {
    const parsed = parseConfig({ kubeconfigText: KUBECONFIG, devBearerToken: 'very-secret-dev-token' }, { sandbox: false });
    assert.equal(parsed.devBearerToken, 'very-secret-dev-token');
    const summary = JSON.stringify(summarizeSettings(parsed.settings));
    assert.equal(summary.includes('very-secret-dev-token'), false);
    assert.match(summary, /"devBearerTokenSet":true/);
  });
});

describe('listen address and exposure', () => {
  it('parses host:port', () => {
    assert.deepEqual(parseListenAddr('0.0.0.0:0'), { host: '0.0.0.0', port: 0 });
    assert.equal(parseListenAddr('6767'), undefined);
    assert.equal(parseListenAddr('host:-1'), undefined);
  });

  it('knows loopback hosts', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1']) assert.equal(isLoopbackHost(h), true, h);
    for (const h of ['0.0.0.0', '10.0.0.1', '::', 'example.com']) assert.equal(isLoopbackHost(h), false, h);
  });

  it('refuses non-loopback DEV_ALLOW_ANY without a dev token, allows it with one or in OIDC_REQUIRED', () => {
    const open = parseConfig({ kubeconfigText: KUBECONFIG, listenAddr: '0.0.0.0:6767' }, { sandbox: false }).settings;
    assert.match(configError(() => checkServeExposure(open)).message, /LISTEN_ADDR.*DEV_BEARER_TOKEN/);
    const withToken = parseConfig(
      { kubeconfigText: KUBECONFIG, listenAddr: '0.0.0.0:6767', devBearerToken: 't' },
      { sandbox: false },
    ).settings;
    assert.doesNotThrow(() => checkServeExposure(withToken));
    const oidc = parseConfig(
      { kubeconfigText: KUBECONFIG, listenAddr: '0.0.0.0:6767', authMode: 'OIDC_REQUIRED' },
      { sandbox: false },
    ).settings;
    assert.doesNotThrow(() => checkServeExposure(oidc));
  });
});

describe('kubeconfig sources', () => {
  it('loads TEXT and B64 identically and keeps current-context', () => {
    const fromText = loadKubeConfig(k8s, checkKubeconfig({ kind: 'text', value: KUBECONFIG }, undefined));
    const fromB64 = loadKubeConfig(k8s, checkKubeconfig({ kind: 'b64', value: Buffer.from(KUBECONFIG).toString('base64') }, undefined));
    assert.equal(fromText.getCurrentContext(), 'first');
    assert.equal(fromB64.getCurrentCluster()?.server, 'https://a.example:6443');
  });

  it('switches to the configured context; http:// clusters work with client-node', () => {
    const kc = loadKubeConfig(k8s, checkKubeconfig({ kind: 'text', value: KUBECONFIG }, 'second'));
    assert.equal(kc.getCurrentContext(), 'second');
    assert.equal(kc.getCurrentCluster()?.server, 'http://127.0.0.1:8080');
    assert.equal(kc.getCurrentCluster()?.skipTLSVerify, true);
  });

  it('names the variable for each problem, never the contents', () => {
    const cases: Array<[Parameters<typeof checkKubeconfig>[0], string | undefined, RegExp]> = [
      [{ kind: 'b64', value: '%%%' }, undefined, /^K0RDENT_MGMT_KUBECONFIG_B64 .*base64/],
      [{ kind: 'text', value: 'a: [' }, undefined, /^K0RDENT_MGMT_KUBECONFIG_TEXT .*YAML/],
      [{ kind: 'text', value: 'just: a map' }, undefined, /^K0RDENT_MGMT_KUBECONFIG_TEXT .*not a kubeconfig/],
      [{ kind: 'path', value: '/nonexistent/kubeconfig' }, undefined, /^K0RDENT_MGMT_KUBECONFIG_PATH .*cannot be read \(ENOENT\)/],
      [{ kind: 'path', value: '/tmp' }, undefined, /^K0RDENT_MGMT_KUBECONFIG_PATH .*not a file/],
      [{ kind: 'text', value: KUBECONFIG }, 'third', /^K0RDENT_MGMT_CONTEXT .*"third".*first, second/],
      [{ kind: 'text', value: KUBECONFIG.replace('current-context: first', '') }, undefined, /K0RDENT_MGMT_CONTEXT/],
    ];
    for (const [source, context, message] of cases) {
      const error = configError(() => checkKubeconfig(source, context));
      assert.match(error.message, message);
      assert.equal(error.message.includes('operator-token'), false);
    }
  });
});
