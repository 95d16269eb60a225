/**
 * The auth gate of the real `serve` process, before any MCP handling: OIDC_REQUIRED without a bearer,
 * malformed Authorization headers, DEV_BEARER_TOKEN enforcement, session ownership, OIDC JWT
 * verification with RFC 9728 metadata — and that no token ever reaches the logs.
 */
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { runCli, startServe, stopAll, unreachableKubeconfig, type CliProcess } from '../helpers/cli-process.js';

after(stopAll);

type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

const kubeconfig = unreachableKubeconfig();
const INIT = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'auth-test', version: '1' } },
});

/**
 * One POST on a connection of its own (`agent: false`): fetch's pool may reuse a keep-alive socket the server is
 * closing at that moment, which under load failed a test with "other side closed" before the server saw the request.
 */
async function post(base: string, headers: Record<string, string>, body = INIT): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = request(
      new URL('/mcp', base),
      {
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const responseHeaders = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            for (const one of Array.isArray(value) ? value : value === undefined ? [] : [value]) responseHeaders.append(name, one);
          }
          resolve(new Response(Buffer.concat(chunks), { status: res.statusCode ?? 0, headers: responseHeaders }));
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function connectClient(
  base: string,
  token: string | undefined,
): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const transport = new StreamableHTTPClientTransport(new URL('/mcp', base), {
    requestInit: token ? { headers: { authorization: `Bearer ${token}` } } : {},
  });
  const client = new Client({ name: 'auth-test', version: '1' });
  await client.connect(transport);
  return { client, transport };
}

describe('OIDC_REQUIRED without an issuer', () => {
  let proc: CliProcess;
  let base: string;
  before(async () => {
    ({ proc, base } = await startServe([], { K0RDENT_MGMT_KUBECONFIG_PATH: kubeconfig, AUTH_MODE: 'OIDC_REQUIRED', LOG_LEVEL: 'debug' }));
  });
  after(() => proc.stop());

  it('no bearer → 401 with WWW-Authenticate: Bearer, and no MCP session', async () => {
    const r = await post(base, {});
    assert.equal(r.status, 401);
    assert.match(r.headers.get('www-authenticate') ?? '', /^Bearer /);
    assert.equal(r.headers.get('mcp-session-id'), null);
  });

  it('a bearer is accepted and an MCP client lists tools', async () => {
    const { client, transport } = await connectClient(base, 'user-a-token-1111');
    try {
      assert.ok(transport.sessionId);
      assert.ok(Array.isArray((await client.listTools()).tools));
    } finally {
      await client.close();
    }
  });

  it("a session cannot be used with another caller's token", async () => {
    const first = await post(base, { authorization: 'Bearer user-a-token-2222' });
    assert.equal(first.status, 200);
    const sessionId = first.headers.get('mcp-session-id')!;
    assert.ok(sessionId);
    await first.text();
    const list = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
    const common = { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' };
    const stolen = await post(base, { ...common, authorization: 'Bearer user-b-token-3333' }, list);
    assert.equal(stolen.status, 404, 'another bearer is told the session does not exist');
    await stolen.text();
    const anonymous = await post(base, common, list);
    assert.equal(anonymous.status, 401);
    await anonymous.text();
    const owner = await post(base, { ...common, authorization: 'Bearer user-a-token-2222' }, list);
    assert.equal(owner.status, 200);
    assert.match(await owner.text(), /"tools":\[/);
  });

  it('no token appears in the logs', () => {
    for (const token of ['user-a-token-1111', 'user-a-token-2222', 'user-b-token-3333']) {
      assert.equal(proc.stderr().includes(token), false, `${token} leaked into the logs`);
    }
    assert.match(proc.stderr(), /refused by the auth gate/, 'the refusals were logged (without tokens)');
  });
});

describe('malformed Authorization headers are 401 in any mode', () => {
  let proc: CliProcess;
  let base: string;
  before(async () => {
    ({ proc, base } = await startServe([], { K0RDENT_MGMT_KUBECONFIG_PATH: kubeconfig }));
  });
  after(() => proc.stop());

  for (const header of ['Basic dXNlcjpwYXNz', 'Bearer', 'Bearer two words', 'Bearer tok"en', 'token-without-scheme']) {
    it(`DEV_ALLOW_ANY: "${header}" → 401`, async () => {
      const r = await post(base, { authorization: header });
      assert.equal(r.status, 401);
      assert.match(r.headers.get('www-authenticate') ?? '', /^Bearer /);
      await r.text();
    });
  }

  it('DEV_ALLOW_ANY without DEV_BEARER_TOKEN: no header is fine', async () => {
    const r = await post(base, {});
    assert.equal(r.status, 200);
    await r.text();
  });
});

describe('DEV_BEARER_TOKEN', () => {
  const DEV_TOKEN = 'dev-secret-token-9f8e7d';
  let proc: CliProcess;
  let base: string;
  before(async () => {
    ({ proc, base } = await startServe([], { K0RDENT_MGMT_KUBECONFIG_PATH: kubeconfig, DEV_BEARER_TOKEN: DEV_TOKEN, LOG_LEVEL: 'debug' }));
  });
  after(() => proc.stop());

  it('missing → 401', async () => {
    const r = await post(base, {});
    assert.equal(r.status, 401);
    await r.text();
  });

  it('wrong → 401', async () => {
    const r = await post(base, { authorization: 'Bearer dev-secret-token-WRONG' });
    assert.equal(r.status, 401);
    await r.text();
  });

  it('right → 200 and an MCP client works', async () => {
    const r = await post(base, { authorization: `Bearer ${DEV_TOKEN}` });
    assert.equal(r.status, 200);
    await r.text();
    const { client } = await connectClient(base, DEV_TOKEN);
    try {
      assert.ok(Array.isArray((await client.listTools()).tools));
    } finally {
      await client.close();
    }
  });

  it('the dev token never appears in the logs (not even the startup summary)', () => {
    assert.match(proc.stderr(), /"devBearerTokenSet":true/);
    assert.equal(proc.stderr().includes(DEV_TOKEN), false);
    assert.equal(proc.stderr().includes('dev-secret-token-WRONG'), false);
  });

  it('a non-loopback LISTEN_ADDR is allowed once DEV_BEARER_TOKEN is set', async () => {
    const other = await startServe([], { K0RDENT_MGMT_KUBECONFIG_PATH: kubeconfig, DEV_BEARER_TOKEN: DEV_TOKEN, LISTEN_ADDR: '0.0.0.0:0' });
    try {
      const port = new URL(other.base).port;
      const r = await fetch(`http://127.0.0.1:${port}/healthz`);
      assert.equal(r.status, 200);
    } finally {
      await other.proc.stop();
    }
  });
});

describe('OIDC_REQUIRED with OIDC_ISSUER_URL and OIDC_AUDIENCE', () => {
  let issuer: Server;
  let issuerUrl: string;
  let proc: CliProcess;
  let base: string;
  let sign: (claims: { aud?: string; exp?: number | null; iss?: string }, key?: PrivateKey) => Promise<string>;
  let otherKey: PrivateKey;
  const issued: string[] = [];

  before(async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    otherKey = (await generateKeyPair('RS256')).privateKey;
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    issuer = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      if (req.url === '/.well-known/openid-configuration') res.end(JSON.stringify({ issuer: issuerUrl, jwks_uri: `${issuerUrl}/jwks` }));
      else res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((r) => issuer.listen(0, '127.0.0.1', r));
    issuerUrl = `http://127.0.0.1:${(issuer.address() as AddressInfo).port}`;
    sign = async (claims, key = privateKey) => {
      const jwt = new SignJWT({ sub: 'alice' })
        .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
        .setIssuer(claims.iss ?? issuerUrl)
        .setAudience(claims.aud ?? 'k0rdent-mcp')
        .setIssuedAt();
      // exp: null → a token without an expiry claim.
      if (claims.exp !== null) jwt.setExpirationTime(claims.exp ?? Math.floor(Date.now() / 1000) + 600);
      const token = await jwt.sign(key);
      issued.push(token);
      return token;
    };
    ({ proc, base } = await startServe([], {
      K0RDENT_MGMT_KUBECONFIG_PATH: kubeconfig,
      AUTH_MODE: 'OIDC_REQUIRED',
      OIDC_ISSUER_URL: issuerUrl,
      OIDC_AUDIENCE: 'k0rdent-mcp',
      LOG_LEVEL: 'debug',
    }));
  });
  after(async () => {
    await proc.stop();
    await new Promise<void>((r) => issuer.close(() => r()));
  });

  it('no bearer → 401 whose challenge points at the protected-resource metadata', async () => {
    const r = await post(base, {});
    assert.equal(r.status, 401);
    const challenge = r.headers.get('www-authenticate') ?? '';
    assert.match(challenge, /^Bearer /);
    assert.match(challenge, new RegExp(`resource_metadata="${base}/\\.well-known/oauth-protected-resource"`));
    await r.text();
  });

  it('publishes RFC 9728 metadata', async () => {
    const r = await fetch(`${base}/.well-known/oauth-protected-resource`);
    assert.equal(r.status, 200);
    const meta = (await r.json()) as Record<string, unknown>;
    assert.equal(meta.resource, `${base}/mcp`);
    assert.deepEqual(meta.authorization_servers, [issuerUrl]);
    assert.deepEqual(meta.bearer_methods_supported, ['header']);
  });

  it('a valid JWT is accepted and an MCP client works', async () => {
    const { client } = await connectClient(base, await sign({}));
    try {
      assert.ok(Array.isArray((await client.listTools()).tools));
    } finally {
      await client.close();
    }
  });

  it('a JWT for another audience → 401', async () => {
    const r = await post(base, { authorization: `Bearer ${await sign({ aud: 'someone-else' })}` });
    assert.equal(r.status, 401);
    assert.match(r.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
    await r.text();
  });

  it('an expired JWT → 401', async () => {
    const r = await post(base, { authorization: `Bearer ${await sign({ exp: Math.floor(Date.now() / 1000) - 3600 })}` });
    assert.equal(r.status, 401);
    await r.text();
  });

  it('a JWT without exp (it would never expire) → 401', async () => {
    const r = await post(base, { authorization: `Bearer ${await sign({ exp: null })}` });
    assert.equal(r.status, 401);
    assert.match(r.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
    await r.text();
  });

  it('a JWT from another issuer → 401', async () => {
    const r = await post(base, { authorization: `Bearer ${await sign({ iss: 'https://evil.example' })}` });
    assert.equal(r.status, 401);
    await r.text();
  });

  it('a JWT signed by an unknown key → 401', async () => {
    const r = await post(base, { authorization: `Bearer ${await sign({}, otherKey)}` });
    assert.equal(r.status, 401);
    await r.text();
  });

  it('an opaque non-JWT token → 401', async () => {
    const r = await post(base, { authorization: 'Bearer opaque-token-not-a-jwt' });
    assert.equal(r.status, 401);
    await r.text();
  });

  it('no issued token appears in the logs', () => {
    assert.ok(issued.length >= 5);
    for (const token of issued) assert.equal(proc.stderr().includes(token), false, 'a JWT leaked into the logs');
    assert.equal(proc.stderr().includes('opaque-token-not-a-jwt'), false);
  });
});

describe('OIDC_ISSUER_URL must be the issuer its discovery document names', () => {
  it('a discovery document naming another issuer → serve refuses to start, naming both', async () => {
    const other = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ issuer: 'https://attacker.example', jwks_uri: 'https://attacker.example/jwks' }));
    });
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
    try {
      const result = await runCli(['serve', '--listen-addr', '127.0.0.1:0'], {
        K0RDENT_MGMT_KUBECONFIG_PATH: kubeconfig,
        AUTH_MODE: 'OIDC_REQUIRED',
        OIDC_ISSUER_URL: url,
      });
      assert.equal(result.code, 2, result.stderr);
      assert.match(
        result.stderr,
        /configuration error: the discovery document .* names issuer "https:\/\/attacker\.example", not OIDC_ISSUER_URL/,
      );
      assert.ok(result.stderr.includes(url), result.stderr);
    } finally {
      await new Promise<void>((r) => other.close(() => r()));
    }
  });
});
