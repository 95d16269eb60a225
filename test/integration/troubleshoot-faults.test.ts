/**
 * Acceptance of issue 21 on every backend (the embedded sandbox, the kube control plane with the simulated kcm,
 * and real kcm v1.11.4 when built), with the world below kcm: for a healthy deployment and each fault of the
 * world (label sandbox.k0rdent-mcp.io/fault), through a real MCP client, diagnose names the right first broken
 * link, its reason and a next step; the log its nextCall reads (on kube: pods/log proxied by kube-apiserver to
 * the simulated kubelet, on real kcm too) contains the fault's message; nothing is written by either — the product's
 * own request counter (kube_api_requests_total) has no write on every backend, and on the embedded sandbox its API
 * server's counter agrees.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import type { Counter } from 'prom-client';
import { KubeRest, resourcePath } from '../../src/sandbox/kube/rest.js';
import type { KubeObject } from '../../src/sandbox/apiserver/types.js';
import { CLUSTER_DEPLOYMENTS } from '../../src/sandbox/kcm/resources.js';
import { testBackends } from '../helpers/backend.js';
import { AZURE_BASELINE, type Harness } from '../helpers/clusters-harness.js';
import { useBackend } from '../helpers/lifecycle.js';
import { delta, sandboxCounters, type SandboxCounters } from '../helpers/sandbox-counters.js';
import { until } from '../helpers/until.js';

const NS = 'team-alpha';
const WRITES = ['create', 'update', 'patch', 'apply', 'delete', 'deletecollection'];

interface FirstBroken {
  kind: string;
  name: string;
  reason: string;
  message: string;
  next: string;
  nextCall?: { tool: string; arguments: Record<string, unknown> };
}
interface Diagnosis {
  ready: boolean;
  firstBroken?: FirstBroken;
  requests: number;
}

/** What the product asked of the API server so far, by verb (its own kube_api_requests_total). */
async function productRequests(harness: Harness): Promise<Map<string, number>> {
  const metric = harness.metrics.getSingleMetric('kube_api_requests_total') as Counter | undefined;
  const counts = new Map<string, number>();
  for (const v of (await metric?.get())?.values ?? []) {
    const verb = String(v.labels['verb'] ?? '');
    counts.set(verb, (counts.get(verb) ?? 0) + v.value);
  }
  return counts;
}

/** [fault, first broken kind, its reason, its next step names, a line of the log its nextCall reads]. */
const CASES: [string, string, RegExp, RegExp, RegExp][] = [
  ['helm-install-failure', 'HelmRelease', /InstallFailed/, /helm-controller/, /Helm install failed|admission webhook/],
  ['infra-error', 'AzureCluster', /./, /capz/, /AuthorizationFailed/],
  [
    'machine-without-provider-id',
    'Machine',
    /NoProviderID/,
    /spec\.providerID on AzureMachine .*capz/,
    /provider ID could not be determined/,
  ],
  ['control-plane-not-initialized', 'K0sControlPlane', /ReconcilerError/, /k0smotron/, /connection refused/],
];

for (const choice of testBackends({ kcm: true })) {
  describe(`diagnose and logs for each fault of the world on the ${choice.name} backend`, { skip: choice.skip }, () => {
    // Real kcm: the run's shared world (its 1 s timings; the faults are steady states, so no pace matters here);
    // what this file leaves there goes in the hook below. Elsewhere a backend of the file's own.
    const env = useBackend(
      choice.name,
      choice.name === 'kcm' ? { provisionSeconds: 1, deleteSeconds: 1 } : { provisionSeconds: 3, deleteSeconds: 2 },
    );
    if (choice.name === 'kcm')
      after(async () => {
        // The shared world goes on after this file: its deployments go (the deletion-blocked one healed first by taking
        // its fault label off, which the world reads at each pass), so the next file starts on a quiet world. As the
        // admin: useBackend's own after hook has closed the harness by then.
        const kc = new KubeConfig();
        kc.loadFromString(env.backend.adminKubeconfig);
        const admin = new KubeRest(kc);
        const list = await admin.json<{ items: KubeObject[] }>({ method: 'GET', path: resourcePath(CLUSTER_DEPLOYMENTS, NS) });
        for (const d of list.items.filter((o) => o.metadata.name.startsWith('acc-'))) {
          const path = resourcePath(CLUSTER_DEPLOYMENTS, NS, d.metadata.name);
          if (d.metadata.labels?.['sandbox.k0rdent-mcp.io/fault'] !== undefined)
            await admin.raw({
              method: 'PATCH',
              path,
              contentType: 'application/merge-patch+json',
              body: { metadata: { labels: { 'sandbox.k0rdent-mcp.io/fault': null } } },
            });
          await admin.raw({ method: 'DELETE', path });
        }
      });
    // Real kcm reconciles on its own clock (~seconds per step): the calls get longer windows there.
    const callTimeout = choice.name === 'kcm' ? 600_000 : 120_000;

    const call = async <T>(tool: string, args: Record<string, unknown>): Promise<T> =>
      env.harness.ok<T>(tool, args, { timeout: callTimeout, resetTimeoutOnProgress: true });
    const deploy = (name: string, fault: string | undefined, wait: boolean) =>
      call('k0.clusters.deploy', {
        name,
        namespace: NS,
        template: 'azure-standalone-cp-1-0-15',
        credential: 'azure-cluster-credential',
        config: AZURE_BASELINE,
        ...(fault ? { labels: { 'sandbox.k0rdent-mcp.io/fault': fault } } : {}),
        ...(wait ? { wait: true, provisionTimeout: '8m', pollInterval: '1s' } : {}),
      });
    // The faults are steady states (the world keeps the object failing), so waiting for one by diagnosing again is
    // waiting for the world to get there, not catching a transient.
    const brokenOf = (name: string) =>
      until(
        `${name}: a first broken link`,
        async () => {
          const d = await call<Diagnosis>('k0.clusters.diagnose', { name, namespace: NS });
          return d.firstBroken !== undefined ? d : undefined;
        },
        { timeoutMs: choice.name === 'kcm' ? 300_000 : 90_000, everyMs: 500 },
      );
    /** Runs `reads` and asserts that neither the product nor (on the embedded sandbox) the API server saw a write. */
    const nothingWritten = async (reads: () => Promise<void>): Promise<void> => {
      const sandbox = env.backend.embedded;
      const apiBefore: SandboxCounters | undefined = sandbox ? await sandboxCounters(sandbox.url) : undefined;
      const before = await productRequests(env.harness);
      await reads();
      const after = await productRequests(env.harness);
      const asked = [...after].filter(([verb, n]) => n > (before.get(verb) ?? 0)).map(([verb]) => verb);
      assert.ok(asked.length > 0, 'the reads reached the API server');
      for (const verb of WRITES) assert.equal((after.get(verb) ?? 0) - (before.get(verb) ?? 0), 0, `the product sent no ${verb}`);
      if (sandbox && apiBefore) {
        // The world writes to the store directly; every write over HTTP is a client's: the tools make none.
        const counted = delta(apiBefore, await sandboxCounters(sandbox.url));
        for (const verb of WRITES) assert.equal(counted.requests({ verb }), 0, `the API server answered no ${verb}`);
      }
    };

    /** The log lines the nextCall reads (pods/log through the API server on kube and real kcm). */
    const nextLines = async (nextCall: { tool: string; arguments: Record<string, unknown> }): Promise<string[]> =>
      (await call<{ lines: string[] }>(nextCall.tool, nextCall.arguments)).lines;
    const assertLine = (lines: string[], pattern: RegExp): void => {
      assert.ok(
        lines.some((l) => pattern.test(l)),
        `no line matches ${String(pattern)} in:\n${lines.slice(-5).join('\n')}`,
      );
    };

    it('a healthy deployment: ready, nothing broken, within the request budget', async () => {
      await deploy('acc-healthy', undefined, true);
      await nothingWritten(async () => {
        const d = await call<Diagnosis>('k0.clusters.diagnose', { name: 'acc-healthy', namespace: NS });
        assert.equal(d.ready, true);
        assert.equal(d.firstBroken, undefined, JSON.stringify(d.firstBroken));
        assert.ok(d.requests <= 30, String(d.requests));
      });
    });

    it(
      "real kcm: the kcm pod's log is kcm's own output, read for a ClusterDeployment through pods/log",
      { skip: choice.name === 'kcm' ? false : 'only real kcm writes the kcm pod log' },
      async () => {
        await deploy('acc-kcm-log', undefined, true);
        await nothingWritten(async () => {
          const logs = await call<{ controller?: string; pod: string; lines: string[] }>('k0.logs.get', {
            for: { kind: 'ClusterDeployment', name: 'acc-kcm-log', namespace: NS },
          });
          assert.equal(logs.controller, 'kcm');
          assert.match(logs.pod, /^kcm-controller-manager-/);
          assert.ok(logs.lines.length > 0, 'kcm logged about the deployment it reconciled');
          // kcm's zap JSON, each line naming the object (the tool keeps only those).
          for (const line of logs.lines) {
            const entry = JSON.parse(line) as { level?: unknown; msg?: unknown };
            assert.equal(typeof entry.level, 'string', line);
            assert.equal(typeof entry.msg, 'string', line);
            assert.ok(line.includes('acc-kcm-log'), line);
          }
        });
      },
    );

    for (const [fault, kind, reason, next, logMessage] of CASES) {
      // control-plane-not-initialized shows only in k0smotron's log (ReconcilerError): diagnose reads it there.
      it(`${fault}: ${kind} is the first broken link, and its controller's log has the fault's message`, async () => {
        const name = `acc-${fault}`;
        await deploy(name, fault, false);
        const found = await brokenOf(name);
        assert.equal(found.firstBroken?.kind, kind, JSON.stringify(found.firstBroken));
        await nothingWritten(async () => {
          const d = await call<Diagnosis>('k0.clusters.diagnose', { name, namespace: NS });
          const broken = d.firstBroken;
          assert.equal(broken?.kind, kind, JSON.stringify(broken));
          assert.match(broken?.reason ?? '', reason);
          assert.match(broken?.next ?? '', next);
          assert.equal(broken?.nextCall?.tool, 'k0.logs.get', JSON.stringify(broken?.nextCall));
          assertLine(await nextLines(broken!.nextCall!), logMessage);
        });
      });
    }

    it('the troubleshoot-cluster prompt leads an assistant to the cause: diagnose, then the log its nextCall names', async () => {
      const name = 'acc-prompt';
      await deploy(name, 'infra-error', false);
      await brokenOf(name);
      const prompt = await env.harness.client.getPrompt({ name: 'troubleshoot-cluster', arguments: { name, namespace: NS } });
      const text = (prompt.messages[0]?.content as { text: string }).text;
      // Step 1 names the call to make with these arguments; step 2 says to follow firstBroken.nextCall.
      assert.match(text, new RegExp(`1\\. k0\\.clusters\\.diagnose with name "${name}", namespace "${NS}"`));
      assert.match(text, /2\. Call the firstBroken\.nextCall .*k0\.logs\.get/);
      const d = await call<Diagnosis>('k0.clusters.diagnose', { name, namespace: NS });
      assert.equal(d.firstBroken?.kind, 'AzureCluster', JSON.stringify(d.firstBroken));
      assertLine(await nextLines(d.firstBroken!.nextCall!), /AuthorizationFailed/);
    });

    it('deletion-blocked: the infrastructure cluster and the finalizer holding the deletion', async () => {
      const name = 'acc-deletion-blocked';
      await deploy(name, 'deletion-blocked', true);
      await call('k0.clusters.delete', { name, namespace: NS });
      const found = await brokenOf(name);
      assert.equal(found.firstBroken?.kind, 'AzureCluster', JSON.stringify(found.firstBroken));
      await nothingWritten(async () => {
        const d = await call<Diagnosis>('k0.clusters.diagnose', { name, namespace: NS });
        assert.equal(d.firstBroken?.kind, 'AzureCluster', JSON.stringify(d.firstBroken));
        assert.match(d.firstBroken?.message ?? '', /finalizer/);
        assert.match(d.firstBroken?.next ?? '', /capz/);
        assertLine(await nextLines(d.firstBroken!.nextCall!), /DependencyViolation/);
      });
    });
  });
}
