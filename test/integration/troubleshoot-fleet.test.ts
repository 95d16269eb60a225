/**
 * Fleet health with real failures (issue 21 item 4): on the sandbox's scale seed (1,000 namespaces, 3,000
 * deployments) plus deployments the world below kcm really fails (label sandbox.k0rdent-mcp.io/fault), walking
 * every page of `k0.clusters.list {status: "failing"}` takes no more API requests than walking a plain list and
 * none per deployment (the sandbox API server's own counters), and every deployment that is not ready carries
 * its one-line reason — for the faulted ones, the fault's own words.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { CLUSTER_DEPLOYMENTS } from '../../src/sandbox/kcm/resources.js';
import { AZURE_BASELINE } from '../helpers/clusters-harness.js';
import { useSandbox } from '../helpers/lifecycle.js';
import { delta, sandboxCounters } from '../helpers/sandbox-counters.js';
import { until } from '../helpers/until.js';

const NS = 'team-alpha';

interface Item {
  name: string;
  namespace: string;
  status: string;
  ready: boolean;
  reason?: string;
}

/**
 * Each faulted deployment: its fault, what its kcm conditions say once the world holds it there, the status the
 * list gives it and the start of its one-line reason (the first condition that is not True, cut at 240 characters).
 */
const FLEET: [string, string, RegExp, string, RegExp][] = [
  ['fleet-helm', 'helm-install-failure', /Helm install failed/, 'failing', /^HelmReleaseReady: InstallFailed: Helm install failed/],
  [
    'fleet-infra',
    'infra-error',
    /AuthorizationFailed/,
    'progressing',
    /^CAPIClusterSummary: IssuesReported: \* InfrastructureReady: \* failed to reconcile cluster services/,
  ],
  [
    'fleet-noid',
    'machine-without-provider-id',
    /to report spec\.providerID/,
    'progressing',
    // Which of CAPI's summary items comes first depends on how far the control plane's Machine got when the
    // list is read (a clean-clone run on an idle machine saw ControlPlaneInitialized first): either names the wait.
    /^CAPIClusterSummary: IssuesReported: \* (WorkersAvailable: \* MachineDeployment fleet-noid-md: 0 available replicas|ControlPlaneInitialized: )/,
  ],
  [
    'fleet-cp',
    'control-plane-not-initialized',
    /Control plane not yet initialized/,
    'progressing',
    /^CAPIClusterSummary: IssuesReported: \* ControlPlaneInitialized: Control plane not yet initialized/,
  ],
];

describe('fleet health at 1,000 namespaces with failing deployments from the world', () => {
  const env = useSandbox({ scale: 1000, provisionSeconds: 2, deleteSeconds: 1 });

  before(async () => {
    for (const [name, fault] of FLEET)
      await env.harness.ok('k0.clusters.deploy', {
        name,
        namespace: NS,
        template: 'azure-standalone-cp-1-0-15',
        credential: 'azure-cluster-credential',
        config: AZURE_BASELINE,
        labels: { 'sandbox.k0rdent-mcp.io/fault': fault },
      });
    // Each fault is a steady state the world reaches and keeps: read from the store, not through the product.
    for (const [name, , held] of FLEET)
      await until(
        `${name}: its fault in kcm's conditions`,
        () => {
          const conditions = (env.sandbox.store.get(CLUSTER_DEPLOYMENTS, NS, name)?.['status'] as { conditions?: unknown[] } | undefined)
            ?.conditions;
          return held.test(JSON.stringify(conditions ?? []));
        },
        { timeoutMs: 60_000 },
      );
  });

  async function walk(args: Record<string, unknown>): Promise<{ items: Item[]; requests: number; gets: number }> {
    const before = await sandboxCounters(env.sandbox.url);
    const items: Item[] = [];
    let next: string | undefined;
    do {
      const page = await env.harness.ok<{ items: Item[]; continue?: string }>('k0.clusters.list', {
        limit: 100,
        ...args,
        ...(next ? { continue: next } : {}),
      });
      items.push(...page.items);
      next = page.continue;
    } while (next !== undefined);
    const counted = delta(before, await sandboxCounters(env.sandbox.url));
    return { items, requests: counted.requests(), gets: counted.requests({ verb: 'get' }) };
  }

  it('status "failing" lists the world\'s failures with their reason, in no more requests than a plain list', async () => {
    const plain = await walk({});
    assert.ok(plain.items.length >= 3000 + FLEET.length, String(plain.items.length));
    const failing = await walk({ status: 'failing' });
    assert.deepEqual(
      failing.items.map((i) => `${i.namespace}/${i.name}`),
      plain.items.filter((i) => i.status === 'failing').map((i) => `${i.namespace}/${i.name}`),
    );
    assert.equal(failing.gets, 0, 'no request per deployment');
    assert.ok(failing.requests <= plain.requests, `${failing.requests} requests, plain: ${plain.requests}`);

    const notReady = plain.items.filter((i) => i.status !== 'ready');
    assert.ok(notReady.length >= FLEET.length, String(notReady.length));
    const silent = notReady.filter((i) => typeof i.reason !== 'string' || i.reason === '' || i.reason.includes('\n'));
    assert.deepEqual(silent, [], 'every deployment that is not ready has a one-line reason');
    for (const [name, , , status, said] of FLEET) {
      const item = plain.items.find((i) => i.namespace === NS && i.name === name);
      assert.equal(item?.status, status, JSON.stringify(item));
      assert.match(item?.reason ?? '', said, name);
      assert.ok((item?.reason ?? '').length <= 240, name);
    }
    const helm = failing.items.find((i) => i.name === 'fleet-helm');
    assert.match(helm?.reason ?? '', /InstallFailed/);
  });
});
