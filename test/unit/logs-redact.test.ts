/**
 * What k0.logs.get takes out of log text before it leaves the server (src/logs/redact.ts): a table of the
 * credentials controllers' logs carry — bearer tokens, Authorization headers, PEM blocks whole, escaped inside a
 * JSON line or cut by a tail that starts inside one, passwords in URLs and key=value pairs, AWS keys, JWTs — and
 * lines that must come through unchanged.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redact } from '../../src/logs/redact.js';

const BODY = 'MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun';
const PEM = `-----BEGIN RSA PRIVATE KEY-----\n${BODY}\n${BODY.split('').reverse().join('')}\nVfTlE7w==\n-----END RSA PRIVATE KEY-----`;
const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06YWRtaW4ifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ';

describe('redact: credentials out of log text', () => {
  const secretRows: [string, string, string[]][] = [
    ['a bearer token', `I1207 session.go:77] "Calling AWS" authorization="Bearer abc.def-123"`, ['abc.def-123']],
    ['an Authorization header', 'GET /apis Authorization: Basic dXNlcjpwYXNz', ['dXNlcjpwYXNz']],
    ['a PEM block over several lines', `loaded key:\n${PEM}\nnext line`, [BODY, 'VfTlE7w==']],
    ['a PEM block with escaped newlines inside a JSON line', JSON.stringify({ msg: 'key', key: PEM }), [BODY, 'VfTlE7w==']],
    ['a tail that starts inside a PEM block', `${BODY}\nVfTlE7w==\n-----END RSA PRIVATE KEY-----\nI1207 after`, [BODY, 'VfTlE7w==']],
    ['body lines of a block without either marker', `I1207 before\n${BODY}\n${BODY}\n`, [BODY]],
    ['a password in a URL', 'fetching https://admin:s3cr3tP4ss@charts.example.com/index.yaml', ['s3cr3tP4ss']],
    ['a password= pair', 'err="password=hunter2 aws_secret_access_key=abc123"', ['hunter2', 'abc123']],
    ['a JSON secret value', '{"clientSecret": "zzTopSecret", "name": "x"}', ['zzTopSecret']],
    ['an AWS access key id', 'using key AKIAABCDEFGHIJKLMNOP for the session', ['AKIAABCDEFGHIJKLMNOP']],
    ['a JWT', `token ${JWT} accepted`, [JWT]],
  ];
  for (const [what, text, secrets] of secretRows)
    it(`takes out ${what}`, () => {
      const out = redact(text);
      for (const secret of secrets) assert.ok(!out.text.includes(secret), `${secret} in ${out.text}`);
      assert.ok(out.count >= 1);
    });

  it('keeps the lines around a PEM block', () => {
    const out = redact(`loaded key:\n${PEM}\nnext line`);
    assert.equal(out.text, 'loaded key:\n[REDACTED PEM]\nnext line');
  });

  const plainRows = [
    'I1207 07:00:00.000000       1 awscluster_controller.go:198] "Reconciling AWSCluster" AWSCluster="team-alpha/alpha-dev-cluster"',
    'E1207 controller.go:316] "Reconciler error" err="failed to create VPC: VpcLimitExceeded" reconcileID="d29df765-980e-4930-a2ac-929a75c859cc"',
    'I1207 machine "Waiting for infrastructure provider to set spec.providerID on AzureMachine" Machine="team-alpha/x-md-1"',
    'I1207 url="https://charts.example.com/index.yaml" status=200',
  ];
  for (const line of plainRows)
    it(`leaves alone: ${line.slice(0, 60)}…`, () => {
      assert.deepEqual(redact(line), { text: line, count: 0 });
    });
});
