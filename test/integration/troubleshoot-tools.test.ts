/**
 * k0.clusters.diagnose and k0.logs.get through a real MCP client, on every backend (test/helpers/backend.ts): on kube
 * and real kcm the controller logs come the real way — kube-apiserver proxies `pods/log` to the simulated kubelet
 * of the pods' Node; on real kcm that kubelet runs in the run's shared world (another process), and the lines this
 * file plants are appended to the pod's log file there, as the container's output would be
 * (src/sandbox/pods/controller-logs.ts). Bad input gets coded errors with the nearest name, a caller limited to
 * team-alpha is refused the controllers' logs in kcm-system, a planted token never leaves the server, and nothing is
 * written.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { testBackends } from '../helpers/backend.js';
import { structured } from '../helpers/clusters-harness.js';
import { tokensFile, useBackend, useHarness } from '../helpers/lifecycle.js';

interface Logs {
  namespace: string;
  pod: string;
  container: string;
  controller?: string;
  lines: string[];
  cut?: string;
  redactions: number;
}

function errorOf(result: CallToolResult): { code: string; message: string; details?: Record<string, unknown> } {
  assert.equal(result.isError, true, JSON.stringify(result.structuredContent));
  return (result.structuredContent as { error: { code: string; message: string; details?: Record<string, unknown> } }).error;
}

function ok<T>(result: CallToolResult): T {
  assert.notEqual(result.isError, true, JSON.stringify(result.structuredContent));
  return structured<T>(result);
}

const PLANTED_TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06YWRtaW4ifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ';
const PLANTED_URL_PASSWORD = 's3cr3tP4ssw0rd';
// A private key's body as PEM writes it (64-character base64 lines), and its short last line.
const PEM_BODY = [
  'MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun',
  'nugt0AtffV6VzeLgeRt0mNzPeEOgl4oM2HxMzoCHPLVfL1USu1AEQCKAABIAwoEI',
];
const PEM_LAST = 'VfTlE7wQ==';
/** Nothing planted leaves the server. */
function assertNoPlantedSecret(value: unknown): void {
  const text = JSON.stringify(value);
  for (const secret of [PLANTED_TOKEN, PLANTED_URL_PASSWORD, 'hunter2', '=abc', ...PEM_BODY, PEM_LAST])
    assert.ok(!text.includes(secret), `${secret} leaked: ${text}`);
}

/** Users of the shared real-kcm world's token table (SHARED_KCM_TOKENS): the admin and one limited to team-alpha. */
const USERS = [
  { name: 'admin', token: 'admin-token-0123', namespaces: ['*'] },
  { name: 'alpha', token: 'alpha-token-0123', namespaces: ['team-alpha'] },
];

for (const choice of testBackends({ kcm: true })) {
  describe(`troubleshooting tools on the ${choice.name} backend`, { skip: choice.skip }, () => {
    // The shared real-kcm world's timings (SHARED_KCM_OPTIONS, spelled out: scripts/run-tests.mjs finds its files by them).
    const env = useBackend(choice.name, () => ({ provisionSeconds: 1, deleteSeconds: 1, tokensFile: tokensFile(USERS) }));
    const limited = useHarness(() => env.backend, { authMode: 'OIDC_REQUIRED', namespaceFilter: /^team-alpha$/ }, 'alpha-token-0123');
    const writer = () => {
      const b = env.backend;
      const logs = b.embedded?.controllerLogs ?? b.kube?.controllerLogs ?? b.realKcm?.controllerLogs;
      assert.ok(logs, `the ${choice.name} backend has no controller logs to plant a line in`);
      return logs;
    };

    before(() => {
      const capa = 'capa-controller-manager';
      writer().write(
        capa,
        'I1207 07:00:00.000000       1 awscluster_controller.go:198] "Reconciling AWSCluster" AWSCluster="team-alpha/alpha-dev-cluster"',
      );
      writer().write(
        capa,
        `I1207 07:00:01.000000       1 session.go:77] "Calling AWS" cluster="alpha-dev-cluster" authorization="Bearer ${PLANTED_TOKEN}"`,
      );
      writer().write(
        capa,
        'I1207 07:00:02.000000       1 awscluster_controller.go:198] "Reconciling AWSCluster" AWSCluster="team-beta/beta-staging-cluster"',
      );
      writer().write(
        capa,
        'E1207 07:00:03.000000       1 awscluster_controller.go:198] "failed to reconcile" err="password=hunter2 aws_secret_access_key=abc" AWSCluster="team-alpha/alpha-dev-cluster"',
      );
      writer().write(
        capa,
        `I1207 07:00:04.000000       1 s3.go:112] "Uploading bootstrap data" url="https://capa:${PLANTED_URL_PASSWORD}@s3.example.com/bootstrap" AWSCluster="team-alpha/alpha-dev-cluster"`,
      );
      // A multi-line message: the key's body lines do not name the object; a read that starts inside the block
      // (tailLines) gets them without their BEGIN line.
      writer().write(
        capa,
        [
          'E1207 07:00:05.000000       1 identity.go:64] "Loaded identity" AWSCluster="team-alpha/alpha-dev-cluster" key=-----BEGIN RSA PRIVATE KEY-----',
          ...PEM_BODY,
          PEM_LAST,
          '-----END RSA PRIVATE KEY-----',
        ].join('\n'),
      );
    });

    it('logs for an AWSCluster: the capa controller pod, lines naming the object only, credentials redacted', async () => {
      const before = await env.backend.writeMarker();
      const logs = ok<Logs>(
        await env.harness.call('k0.logs.get', { for: { kind: 'AWSCluster', name: 'alpha-dev-cluster', namespace: 'team-alpha' } }),
      );
      assert.equal(logs.namespace, 'kcm-system');
      assert.equal(logs.controller, 'capa');
      assert.match(logs.pod, /^capa-controller-manager-/);
      assert.equal(logs.container, 'manager');
      // The five planted lines naming it (the world's own capa may log about it too, on real kcm).
      for (const planted of ['07:00:00.000000', '07:00:01.000000', '07:00:03.000000', '07:00:04.000000', '07:00:05.000000'])
        assert.ok(
          logs.lines.some((l) => l.includes(planted)),
          `planted line ${planted} missing:\n${logs.lines.join('\n')}`,
        );
      if (choice.name !== 'kcm') assert.equal(logs.lines.length, 5, logs.lines.join('\n'));
      assert.ok(logs.lines.every((l) => l.includes('alpha-dev-cluster')));
      assertNoPlantedSecret(logs);
      assert.ok(
        logs.lines.some((l) => l.includes('https://capa:[REDACTED]@s3.example.com/bootstrap')),
        logs.lines.join('\n'),
      );
      assert.ok(
        logs.lines.some((l) => l.endsWith('key=[REDACTED PEM]')),
        logs.lines.join('\n'),
      );
      assert.ok(logs.redactions >= 5, String(logs.redactions));
      assert.equal(await env.backend.writeMarker(), before, 'nothing written');
    });

    it('logs of a pod named directly, tailLines, and a pod without that container', async () => {
      const pod = writer().podsOf('capa-controller-manager')[0]!;
      const logs = ok<Logs>(await env.harness.call('k0.logs.get', { namespace: 'kcm-system', pod, tailLines: 2 }));
      // At most the last two lines; the redaction may join what a cut key block left into one.
      assert.ok(logs.lines.length >= 1 && logs.lines.length <= 2, logs.lines.join('\n'));
      assertNoPlantedSecret(logs);
      // Every cut through the planted key: the read starts inside the block, without its BEGIN line.
      for (let tailLines = 1; tailLines <= 12; tailLines++)
        assertNoPlantedSecret(ok<Logs>(await env.harness.call('k0.logs.get', { namespace: 'kcm-system', pod, tailLines })));
      assertNoPlantedSecret(ok<Logs>(await env.harness.call('k0.logs.get', { namespace: 'kcm-system', pod })));
      const wrong = errorOf(await env.harness.call('k0.logs.get', { namespace: 'kcm-system', pod, container: 'manger' }));
      assert.equal(wrong.code, 'invalidParams');
      assert.match(wrong.message, /Did you mean "manager"/);
      const previous = errorOf(await env.harness.call('k0.logs.get', { namespace: 'kcm-system', pod, previous: true }));
      assert.equal(previous.code, 'invalidParams');
      assert.match(previous.message, /previous/);
    });

    it('bad input: an unknown kind, a pod that is not there, a namespace outside the rules — coded errors with the nearest name', async () => {
      const kind = errorOf(await env.harness.call('k0.logs.get', { for: { kind: 'HelmRelase', name: 'x', namespace: 'team-alpha' } }));
      assert.equal(kind.code, 'invalidParams');
      assert.match(kind.message, /Did you mean "HelmRelease"/);
      const served = errorOf(
        await env.harness.call('k0.logs.get', {
          for: { kind: 'ClusterDeploymnt', name: 'x', namespace: 'team-alpha', apiVersion: 'k0rdent.mirantis.com/v1beta1' },
        }),
      );
      assert.equal(served.code, 'invalidParams');
      assert.match(served.message, /Did you mean "ClusterDeployment"/);
      const pod = writer().podsOf('helm-controller')[0]!;
      const missing = errorOf(await env.harness.call('k0.logs.get', { namespace: 'kcm-system', pod: `${pod}x` }));
      assert.equal(missing.code, 'notFound');
      assert.match(missing.message, new RegExp(`Did you mean "${pod}"`));
      const outside = errorOf(await limited.harness.call('k0.logs.get', { namespace: 'team-beta', pod: 'anything' }));
      assert.equal(outside.code, 'forbidden');
      assert.match(outside.message, /outside the namespaces this server may read/);
    });

    it("a caller limited to team-alpha is refused the controllers' logs in kcm-system, naming the rule", async () => {
      const refused = errorOf(
        await limited.harness.call('k0.logs.get', { for: { kind: 'HelmRelease', name: 'alpha-dev-cluster', namespace: 'team-alpha' } }),
      );
      assert.equal(refused.code, 'forbidden');
      assert.match(refused.message, /kcm-system/);
      assert.match(refused.message, /pods\/log/);
    });

    it('diagnose: the chain from the deployment as far as this backend serves kinds, a name that is not there, nothing written', async () => {
      const before = await env.backend.writeMarker();
      const result = ok<{ chain: { kind: string; status: string }[]; requests: number; firstBroken?: unknown }>(
        await env.harness.call('k0.clusters.diagnose', { name: 'alpha-dev-cluster', namespace: 'team-alpha' }),
      );
      assert.deepEqual(
        result.chain.slice(0, 3).map((n) => n.kind),
        ['ClusterDeployment', 'ClusterTemplate', 'Credential'],
      );
      assert.ok(result.requests <= 30, String(result.requests));
      const typo = errorOf(await env.harness.call('k0.clusters.diagnose', { name: 'alpha-dev-clustr', namespace: 'team-alpha' }));
      assert.equal(typo.code, 'notFound');
      assert.match(typo.message, /Did you mean "alpha-dev-cluster"/);
      assert.equal(await env.backend.writeMarker(), before, 'nothing written');
    });
  });
}
