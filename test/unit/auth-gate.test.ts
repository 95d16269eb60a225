/** The auth gate and Host/Origin policy as pure functions; metrics registered once. */
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import { createAuthGate, parseAuthorization, secretsEqual, tokenFingerprint } from '../../src/http/auth.js';
import { allowedHostsFor, createHostPolicy } from '../../src/http/origin.js';
import { createMetricsRegistry, getMetricsRegistry } from '../../src/observability/metrics.js';
import { outcomeOf } from '../../src/observability/instruments.js';
import { observeToolCall } from '../../src/observability/tool-metrics.js';
import type { Settings } from '../../src/runtime/types.js';

function req(headers: Record<string, string>): IncomingMessage {
  return { headers } as unknown as IncomingMessage;
}

const baseSettings = { authMode: 'DEV_ALLOW_ANY' } as Settings;

describe('Authorization header parsing', () => {
  it('accepts RFC 6750 bearer tokens, scheme case-insensitive', () => {
    assert.deepEqual(parseAuthorization('Bearer abc.DEF-123_~+/=='), { kind: 'bearer', token: 'abc.DEF-123_~+/==' });
    assert.deepEqual(parseAuthorization('bearer x'), { kind: 'bearer', token: 'x' });
    assert.deepEqual(parseAuthorization(undefined), { kind: 'none' });
  });

  it('rejects everything else as malformed', () => {
    for (const h of ['', 'Bearer', 'Bearer ', 'Basic abc', 'Bearer a b', 'Bearer ä', 'Token x']) {
      assert.deepEqual(parseAuthorization(h), { kind: 'malformed' }, h);
    }
  });

  it('compares secrets in constant time by hash, and fingerprints tokens', () => {
    assert.equal(secretsEqual('abc', 'abc'), true);
    assert.equal(secretsEqual('abc', 'abcd'), false);
    assert.equal(tokenFingerprint(undefined), '');
    assert.notEqual(tokenFingerprint('a'), tokenFingerprint('b'));
    assert.equal(tokenFingerprint('a').includes('a'.repeat(2)), false);
  });
});

describe('auth gate decisions', () => {
  it('DEV_ALLOW_ANY without a dev token: anything well-formed passes, the bearer is kept', async () => {
    const gate = createAuthGate({ settings: baseSettings, devBearerToken: undefined, oidc: undefined });
    assert.deepEqual(await gate(req({})), { ok: true, bearerToken: undefined });
    assert.deepEqual(await gate(req({ authorization: 'Bearer t' })), { ok: true, bearerToken: 't' });
    assert.equal((await gate(req({ authorization: 'Basic t' }))).ok, false);
  });

  it('DEV_ALLOW_ANY with a dev token: only that token', async () => {
    const gate = createAuthGate({ settings: baseSettings, devBearerToken: 'right', oidc: undefined });
    assert.equal((await gate(req({}))).ok, false);
    assert.equal((await gate(req({ authorization: 'Bearer wrong' }))).ok, false);
    assert.deepEqual(await gate(req({ authorization: 'Bearer right' })), { ok: true, bearerToken: 'right' });
  });

  it('OIDC_REQUIRED: a bearer is required; the verifier decides 401 vs 503', async () => {
    const settings = { authMode: 'OIDC_REQUIRED' } as Settings;
    const gate = createAuthGate({
      settings,
      devBearerToken: undefined,
      oidc: {
        issuer: 'https://i',
        checkDiscovery: () => Promise.resolve({ ok: true }),
        verify: (token) =>
          Promise.resolve(
            token === 'good'
              ? { ok: true, subject: 's' }
              : token === 'down'
                ? { ok: false, unavailable: true, reason: 'issuer down' }
                : { ok: false, unavailable: false, reason: 'bad' },
          ),
      },
    });
    const missing = await gate(req({}));
    assert.equal(missing.ok === false && missing.status, 401);
    assert.deepEqual(await gate(req({ authorization: 'Bearer good' })), { ok: true, bearerToken: 'good' });
    const bad = await gate(req({ authorization: 'Bearer bad' }));
    assert.equal(bad.ok === false && bad.status, 401);
    const down = await gate(req({ authorization: 'Bearer down' }));
    assert.equal(down.ok === false && down.status, 503);
  });
});

describe('Host/Origin policy (DNS rebinding)', () => {
  it('allows the listen host and loopback names with the port', () => {
    assert.deepEqual(allowedHostsFor('127.0.0.1', 6767).sort(), ['127.0.0.1:6767', '[::1]:6767', 'localhost:6767'].sort());
  });

  it('loopback bind: foreign Host or Origin → 403; own names pass', () => {
    const policy = createHostPolicy('127.0.0.1', 6767);
    assert.equal(policy.check(req({ host: '127.0.0.1:6767' })), undefined);
    assert.equal(policy.check(req({ host: 'localhost:6767', origin: 'http://localhost:6767' })), undefined);
    assert.equal(policy.check(req({ host: 'evil.example:6767' }))?.status, 403);
    assert.equal(policy.check(req({ host: '127.0.0.1:6767', origin: 'http://evil.example' }))?.status, 403);
    assert.equal(policy.check(req({ host: '127.0.0.1:6767', origin: 'null' }))?.status, 403);
    assert.equal(policy.check(req({ host: '127.0.0.1:6767', origin: 'http://127.0.0.1:9999' }))?.status, 403);
  });

  it('wildcard bind: any Host, but the Origin must be the request host', () => {
    const policy = createHostPolicy('0.0.0.0', 8080);
    assert.equal(policy.check(req({ host: 'mcp.example.com:8080' })), undefined);
    assert.equal(policy.check(req({ host: 'mcp.example.com:8080', origin: 'http://mcp.example.com:8080' })), undefined);
    assert.equal(policy.check(req({ host: 'mcp.example.com:8080', origin: 'http://evil.example:8080' }))?.status, 403);
  });
});

describe('metrics', () => {
  it('the process registry is one object with default metrics', async () => {
    assert.equal(getMetricsRegistry(), getMetricsRegistry());
    assert.match(await getMetricsRegistry().metrics(), /process_cpu_user_seconds_total/);
  });

  it('observeToolCall registers the generic pair once and counts by tool and outcome', async () => {
    const registry = createMetricsRegistry();
    observeToolCall(registry, 'k0.clusters.list', 'success', 0.02);
    observeToolCall(registry, 'k0.clusters.list', 'success', 0.03);
    observeToolCall(registry, 'k0.clusters.list', outcomeOf('forbidden'), 0.01);
    const text = await registry.metrics();
    assert.match(text, /mcp_tool_calls_total\{tool="k0.clusters.list",outcome="success"\} 2/);
    assert.match(text, /mcp_tool_calls_total\{tool="k0.clusters.list",outcome="forbidden"\} 1/);
    assert.match(text, /mcp_tool_call_duration_seconds_count\{tool="k0.clusters.list"\} 3/);
  });

  it('maps error codes to outcome labels', () => {
    assert.deepEqual([undefined, 'forbidden', 'invalidParams', 'notFound', 'conflict', 'unavailable', 'internal'].map(outcomeOf), [
      'success',
      'forbidden',
      'invalid',
      'not_found',
      'conflict',
      'error',
      'error',
    ]);
  });
});
