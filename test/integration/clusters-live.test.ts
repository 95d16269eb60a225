/**
 * The live lifecycle suite (docs/live-tests.md): list credentials → list templates → deploy the Azure
 * baseline → wait Ready → delete → verify gone, with cleanup on failure, through a real MCP client.
 * Against a real management cluster it runs only when K0RDENT_MGMT_KUBECONFIG_PATH and AUTH_MODE are set
 * (plus K0RDENT_LIVE_AZURE_SUBSCRIPTION_ID for the baseline; K0RDENT_LIVE_NAMESPACE optionally picks the
 * namespace); otherwise it is skipped with a message naming what is missing. The same suite always runs
 * against the sandbox, and against the kube control plane when it is built (test/helpers/backend.ts).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import type { AuthMode } from '../../src/runtime/types.js';
import { outsideMatrix, testBackends } from '../helpers/backend.js';
import { AZURE_BASELINE, type Harness, okOf as ok } from '../helpers/clusters-harness.js';
import { useBackend, useHarness } from '../helpers/lifecycle.js';

const CREDENTIAL = 'azure-cluster-credential';
const TEMPLATE = 'azure-standalone-cp-1-0-15';

interface Target {
  harness: Harness;
  namespace: string | undefined;
  subscriptionID: string;
  provisionTimeout: string;
  deletionTimeout: string;
  /** Client-side timeout for the waiting calls. */
  callTimeoutMs: number;
}

/**
 * The phases against one target. `useTarget` registers the suite's fixtures (test/helpers/lifecycle.ts, started in
 * before, closed in after) and gives the target once they have started.
 */
function lifecycle(title: string, skip: string | false, useTarget: () => () => Target): void {
  describe(title, { skip }, () => {
    let namespace: string | undefined;
    let created = false;
    const name = `mcp-live-${randomBytes(3).toString('hex')}`;
    const ns = (): Record<string, string> => (namespace ? { namespace } : {});

    // Cleanup on failure: never leave a cluster behind. Registered before the fixtures, so it runs first
    // (node:test runs a suite's after hooks in order), while the harness is still up.
    after(async () => {
      if (created)
        await target()
          .harness.call('k0.clusters.delete', { name, ...ns() })
          .catch(() => undefined);
    });
    const target = useTarget();
    before(() => {
      namespace = target().namespace;
    });

    it(`phase 1: ${CREDENTIAL} is listed and ready`, async () => {
      const { items } = ok<{ items: { name: string; namespace: string; ready: boolean; provider: string }[] }>(
        await target().harness.call('k0.clusters.listCredentials', { ...ns(), limit: 500 }),
      );
      const credential = items.find((c) => c.name === CREDENTIAL && (namespace === undefined || c.namespace === namespace));
      assert.ok(credential, `${CREDENTIAL} is listed`);
      assert.equal(credential.ready, true);
      assert.equal(credential.provider, 'azure');
    });

    it(`phase 2: ${TEMPLATE} is listed and valid`, async () => {
      const { items } = ok<{ items: { name: string; valid: boolean; configSchema: { required: string[] } }[] }>(
        await target().harness.call('k0.clusters.listTemplates', { ...ns(), limit: 500 }),
      );
      const template = items.find((t) => t.name === TEMPLATE);
      assert.ok(template, `${TEMPLATE} is listed`);
      assert.equal(template.valid, true);
    });

    it('phase 3+4: deploy the Azure baseline and wait until Ready', async () => {
      const config = { ...AZURE_BASELINE, subscriptionID: target().subscriptionID };
      const progress: string[] = [];
      const result = ok<{ namespace: string; status: string; ready: boolean; timedOut: boolean; phase: string; failure?: string }>(
        await target().harness.call(
          'k0.clusters.deploy',
          { name, template: TEMPLATE, credential: CREDENTIAL, config, ...ns(), wait: true, provisionTimeout: target().provisionTimeout },
          { onprogress: (p) => progress.push(String(p.message)), timeout: target().callTimeoutMs, resetTimeoutOnProgress: true },
        ),
      );
      created = true;
      namespace = result.namespace;
      assert.equal(result.status, 'created');
      assert.equal(result.failure, undefined);
      assert.equal(result.timedOut, false, `not Ready in time; last phase: ${result.phase}`);
      assert.equal(result.ready, true);
      assert.ok(progress.length > 0, 'progress was reported');
    });

    it('phase 5+6: delete and verify it is gone', async () => {
      assert.ok(created, 'deployed in the previous phase');
      const deleted = ok<{ status: string; gone: boolean; timedOut: boolean }>(
        await target().harness.call(
          'k0.clusters.delete',
          { name, ...ns(), wait: true, deletionTimeout: target().deletionTimeout },
          { timeout: target().callTimeoutMs, resetTimeoutOnProgress: true },
        ),
      );
      assert.equal(deleted.status, 'deleted');
      assert.equal(deleted.timedOut, false);
      assert.equal(deleted.gone, true);
      created = false;
      const { items } = ok<{ items: { name: string }[] }>(await target().harness.call('k0.clusters.list', { ...ns() }));
      assert.ok(!items.some((d) => d.name === name));
      assert.equal(ok<{ status: string }>(await target().harness.call('k0.clusters.delete', { name, ...ns() })).status, 'not_found');
    });
  });
}

function liveSkipReason(): string | false {
  const missing = ['K0RDENT_MGMT_KUBECONFIG_PATH', 'AUTH_MODE', 'K0RDENT_LIVE_AZURE_SUBSCRIPTION_ID'].filter((v) => !process.env[v]);
  return missing.length === 0 ? false : `live cluster suite skipped: set ${missing.join(', ')} to run it against a real management cluster`;
}

lifecycle('clusters-live against a real management cluster', liveSkipReason() || outsideMatrix().skip, () => {
  const filter = process.env.K0RDENT_NAMESPACE_FILTER;
  const env = useHarness(
    () => {
      const kubeConfig = new KubeConfig();
      kubeConfig.loadFromFile(process.env.K0RDENT_MGMT_KUBECONFIG_PATH as string);
      if (process.env.K0RDENT_MGMT_CONTEXT) kubeConfig.setCurrentContext(process.env.K0RDENT_MGMT_CONTEXT);
      return kubeConfig;
    },
    {
      authMode: process.env.AUTH_MODE as AuthMode,
      namespaceFilter: filter ? new RegExp(filter) : undefined,
      ...(process.env.CLUSTER_GLOBAL_NAMESPACE ? { globalNamespace: process.env.CLUSTER_GLOBAL_NAMESPACE } : {}),
    },
  );
  return () => ({
    harness: env.harness,
    namespace: process.env.K0RDENT_LIVE_NAMESPACE,
    subscriptionID: process.env.K0RDENT_LIVE_AZURE_SUBSCRIPTION_ID as string,
    provisionTimeout: '10m',
    deletionTimeout: '20m',
    callTimeoutMs: 35 * 60_000,
  });
});

// On real kcm (src/sandbox/real-kcm) the Azure baseline is admitted, rendered and brought to Ready by kcm v1.11.4 itself.
for (const backend of testBackends({ kcm: true })) {
  lifecycle(
    `clusters-live against the ${
      backend.name === 'kube'
        ? 'kube control plane (kube-apiserver + simulated kcm)'
        : backend.name === 'kcm'
          ? 'real kcm v1.11.4 (kube-apiserver + kcm + the simulated world)'
          : 'sandbox'
    }`,
    backend.skip,
    () => {
      const env = useBackend(
        backend.name,
        { provisionSeconds: 1, deleteSeconds: 1 },
        { authMode: 'OIDC_REQUIRED', namespaceFilter: /^team-/ },
      );
      return () => ({
        harness: env.harness,
        namespace: undefined,
        subscriptionID: '00000000-0000-0000-0000-000000000000',
        provisionTimeout: '30s',
        deletionTimeout: '30s',
        callTimeoutMs: 30_000,
      });
    },
  );
}
