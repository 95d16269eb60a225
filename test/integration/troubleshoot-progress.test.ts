/**
 * Progress you can see during a scale, and a wait that does not end before the machines are there (issue 21):
 * k0.clusters.update scaling a deployment from 1 to 3 workers with wait=true, through a real MCP client, reports the
 * machine counts CAPI keeps (the CAPI Cluster's worker counters and its Machines by phase) in its progress
 * notifications — recorded as they arrive — and answers Ready only once kcm says Ready AND the CAPI Cluster counts
 * 3 workers desired, ready and up to date (src/k0rdent/judge.ts): on kube and real kcm, kcm reports Ready right after
 * the HelmRelease upgrade, before Cluster API counted the new workers. On every backend with the world below kcm; on
 * real kcm the run's shared world (the shared world's 1 s timings), the deployment deleted after.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { testBackends } from '../helpers/backend.js';
import { AZURE_BASELINE } from '../helpers/clusters-harness.js';
import { useBackend } from '../helpers/lifecycle.js';

const NS = 'team-alpha';
const CAPI_CLUSTERS = { group: 'cluster.x-k8s.io', version: 'v1beta2', plural: 'clusters' } as const;

for (const choice of testBackends({ kcm: true })) {
  describe(`machine counts in a wait's progress on the ${choice.name} backend`, { skip: choice.skip }, () => {
    // Elsewhere the shared real-kcm world's timings (SHARED_KCM_OPTIONS, spelled out: scripts/run-tests.mjs finds its
    // files by them); the embedded sandbox (cheap to start) takes 4 s per machine, so its wait sees them come up.
    const env = useBackend(
      choice.name,
      choice.name === 'sandbox' ? { provisionSeconds: 4, deleteSeconds: 1 } : { provisionSeconds: 1, deleteSeconds: 1 },
    );
    const timeout = choice.name === 'kcm' ? 300_000 : 120_000;
    const name = 'progress-scale';
    it('a scale from 1 to 3 workers with wait=true says "workers n/3 ready" and ends once CAPI counts 3 workers', async () => {
      try {
        const deployed = await env.harness.ok<{ ready?: boolean }>(
          'k0.clusters.deploy',
          {
            name,
            namespace: NS,
            template: 'azure-standalone-cp-1-0-15',
            credential: 'azure-cluster-credential',
            config: { ...AZURE_BASELINE, workersNumber: 1 },
            wait: true,
            provisionTimeout: '4m',
          },
          { timeout, resetTimeoutOnProgress: true },
        );
        assert.equal(deployed.ready, true, JSON.stringify(deployed));

        const messages: string[] = [];
        const scaled = await env.harness.ok<{ status: string; ready?: boolean; phase?: string }>(
          'k0.clusters.update',
          // pollInterval: the re-check while kcm says Ready and the counters are behind (nothing else may change).
          { name, namespace: NS, config: { workersNumber: 3 }, wait: true, provisionTimeout: '4m', pollInterval: '1s' },
          { timeout, resetTimeoutOnProgress: true, onprogress: (p) => messages.push(p.message ?? '') },
        );
        console.log(`progress of the scale on ${choice.name}:\n  ${messages.join('\n  ')}`);
        assert.equal(scaled.status, 'updated');
        assert.equal(scaled.ready, true, JSON.stringify(scaled));
        assert.ok(
          messages.some((m) => /\bworkers [0-3]\/3 ready\b/.test(m)),
          `no progress message with the worker counts out of 3:\n${messages.join('\n')}`,
        );
        // The wait answered Ready: the CAPI Cluster then counts the 3 workers asked for (read after the answer).
        const clusters = await env.backend.list(CAPI_CLUSTERS, { namespace: NS });
        const cluster = clusters.find((c) => c.metadata.labels?.['helm.toolkit.fluxcd.io/name'] === name);
        const workers = (cluster?.status as { workers?: Record<string, number> } | undefined)?.workers;
        assert.deepEqual(
          [workers?.['desiredReplicas'], workers?.['readyReplicas'], workers?.['upToDateReplicas']],
          [3, 3, 3],
          `the wait answered Ready while the CAPI Cluster counts ${JSON.stringify(workers)}`,
        );
        if (choice.name === 'sandbox') {
          // The sandbox's kcm follows the Cluster's scale-up in CAPIClusterSummary, and a machine takes 4 s there: the
          // wait shows the workers coming up.
          assert.ok(
            messages.some((m) => /\bworkers [0-2]\/3 ready\b/.test(m)),
            `no progress message while workers were still coming up:\n${messages.join('\n')}`,
          );
        }
      } finally {
        // The shared real-kcm world outlives this file: leave no deployment behind (the next file waits for its deletion).
        if (choice.name === 'kcm') await env.harness.call('k0.clusters.delete', { name, namespace: NS, wait: false });
      }
    });
  });
}
