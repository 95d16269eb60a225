/**
 * The world's faults (issue 20 item 3, docs/sandbox.md "Faults") on the real-kcm backend: each fault, asked for with
 * the `sandbox.k0rdent-mcp.io/fault` label, shows in the ClusterDeployment's conditions as kcm v1.11.4 itself computes
 * them from the HelmRelease and the CAPI Cluster the world writes — and the embedded sandbox's simulated kcm computes
 * the same conditions from the same world (a differential: the conditions kcm owns are compared after the
 * deployment's name is normalised). Deployments of this file are named kf-*, in kcm-system; each is deleted (its
 * fault label removed first, so the deletion-blocked one can go) before the file ends.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { KubeObject } from '../../src/sandbox/apiserver/types.js';
import { CLUSTER_DEPLOYMENTS } from '../../src/sandbox/kcm/resources.js';
import { resourcePath } from '../../src/sandbox/kube/rest.js';
import { FAULT_LABEL, type Fault } from '../../src/sandbox/world/types.js';
import { kcmSkipReason, type Backend } from '../helpers/backend.js';
import { AZURE_BASELINE } from '../helpers/clusters-harness.js';
import { useBackend } from '../helpers/lifecycle.js';
import { until } from '../helpers/until.js';
import { conditionsOf, condition, adminRest } from '../helpers/answers.js';

const NS = 'kcm-system';
const TEMPLATE = 'azure-standalone-cp-1-0-15';
const CREDENTIAL = 'azure-cluster-credential';

/** The conditions kcm's controller writes, as `type=status/reason: message`, the deployment's name and uids normalised. */
function kcmConditions(o: KubeObject | undefined, name: string): string[] {
  return conditionsOf(o)
    .filter((c) => ['Ready', 'HelmReleaseReady', 'CAPIClusterSummary', 'Deleting', 'HelmChartReady'].includes(c.type))
    .map((c) =>
      `${c.type}=${c.status}/${c.reason ?? ''}: ${c.message ?? ''}`
        .replaceAll(name, '<name>')
        // the generated suffixes of Machines and MachineSets (CAPI's names.SimpleNameGenerator)
        .replace(/<name>-(md|cp)((?:-[a-z0-9]{5})+)/g, '<name>-$1-<suffix>')
        .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uid>')
        .replace(/vpc-0[0-9a-f]{16}/g, 'vpc-<id>'),
    )
    .sort();
}

const summaryOf = (d: KubeObject | undefined): string => condition(d, 'CAPIClusterSummary')?.message ?? '';

/** What shows once the fault has taken hold and provisioning has gone as far as it will (kcm's own conditions), per fault. */
const HOLDS: Record<Exclude<Fault, 'deletion-blocked'>, (d: KubeObject | undefined) => boolean> = {
  'helm-install-failure': (d) => condition(d, 'HelmReleaseReady')?.status === 'False' && condition(d, 'Ready')?.status === 'False',
  'infra-error': (d) => /AuthorizationFailed/.test(summaryOf(d)),
  // The control plane is up; the workers' AzureMachines never report a providerID.
  'machine-without-provider-id': (d) =>
    /WorkerMachinesReady:\n.*report spec\.providerID/.test(summaryOf(d)) && !/ControlPlane/.test(summaryOf(d)),
  // The infrastructure is up and the control-plane Machines have their providerID, but no Node ever shows.
  'control-plane-not-initialized': (d) =>
    /Control plane not yet initialized/.test(summaryOf(d)) && !/InfrastructureReady|report spec\.providerID/.test(summaryOf(d)),
};

const kcmSkip = kcmSkipReason();

describe('the faults on real kcm v1.11.4 (and the simulated kcm computes the same conditions)', { skip: kcmSkip }, () => {
  const created: string[] = [];
  // Registered before the backends' own after hooks, so it runs while they are up (hooks run in registration order).
  // Leaves the shared world as found: every kf-* deployment gone, the deletion-blocked one released first.
  after(async () => {
    // Every deletion at once, then every wait: one deletion's time, not ten in a row (the lane is the run's critical path).
    const gone = (b: Backend, name: string): Promise<void> =>
      (async () => {
        const rest = adminRest(b);
        const path = resourcePath(CLUSTER_DEPLOYMENTS, NS, name);
        await rest.raw({
          method: 'PATCH',
          path,
          contentType: 'application/merge-patch+json',
          body: { metadata: { labels: { [FAULT_LABEL]: null } } },
        });
        await rest.raw({ method: 'DELETE', path });
        await until(`${name} gone on ${b.name}`, async () => !(await b.get(CLUSTER_DEPLOYMENTS, NS, name)), {
          timeoutMs: 120_000,
          everyMs: 500,
        });
      })().catch(() => {
        // the backend did not start, or the deletion is stuck: the next file's start reports it
      });
    await Promise.all([kcmEnv.backend, sandboxEnv.backend].flatMap((b) => created.map((name) => gone(b, name))));
  });
  const sandboxEnv = useBackend('sandbox', { provisionSeconds: 1, deleteSeconds: 1 }, false);
  const kcmEnv = useBackend('kcm', { provisionSeconds: 1, deleteSeconds: 1 }, false);
  const both = (): Backend[] => [sandboxEnv.backend, kcmEnv.backend];
  const kcmLog = (): string => `\nkcm log:\n${kcmEnv.backend.realKcm?.kcmLogTail(30) ?? ''}`;

  async function deploy(b: Backend, name: string, fault: Fault): Promise<void> {
    const res = await adminRest(b).raw({
      method: 'POST',
      path: resourcePath(CLUSTER_DEPLOYMENTS, NS),
      body: {
        apiVersion: 'k0rdent.mirantis.com/v1beta1',
        kind: 'ClusterDeployment',
        metadata: { name, namespace: NS, labels: { [FAULT_LABEL]: fault } },
        spec: { template: TEMPLATE, credential: CREDENTIAL, config: { ...AZURE_BASELINE } },
      },
    });
    assert.equal(res.status, 201, `${b.name}: ${JSON.stringify(res.body)}`);
    if (!created.includes(name)) created.push(name);
  }

  for (const fault of Object.keys(HOLDS) as (keyof typeof HOLDS)[]) {
    it(`${fault}: kcm's conditions show it, the same on both`, async () => {
      const name = `kf-${fault}`;
      await Promise.all(both().map((b) => deploy(b, name, fault)));
      const seen: Record<string, string[]> = {};
      for (const b of both()) {
        const held = await until(
          `${fault} in ${name}'s conditions on ${b.name}`,
          async () => {
            const d = await b.get(CLUSTER_DEPLOYMENTS, NS, name);
            return HOLDS[fault](d) ? d : undefined;
          },
          { timeoutMs: 120_000, everyMs: 500 },
        ).catch((err: Error) => {
          throw new Error(err.message + (b.name === 'kcm' ? kcmLog() : ''));
        });
        seen[b.name] = kcmConditions(held, name);
      }
      // Both settle on the same conditions (a side still a step behind catches up; bounded, the last reads reported).
      await until(
        `the same conditions for ${fault} on both`,
        async () => {
          for (const b of both()) seen[b.name] = kcmConditions(await b.get(CLUSTER_DEPLOYMENTS, NS, name), name);
          return JSON.stringify(seen['sandbox']) === JSON.stringify(seen['kcm']);
        },
        { timeoutMs: 60_000, everyMs: 500 },
      ).catch(() => undefined);
      assert.notEqual(condition(await kcmEnv.backend.get(CLUSTER_DEPLOYMENTS, NS, name), 'Ready')?.status, 'True', 'not Ready on kcm');
      assert.deepEqual(seen['sandbox'], seen['kcm'], `the simulated kcm against real kcm for ${fault}`);
    });
  }

  it("deletion-blocked: Deleting=True/WaitingForClusterDeletion with Cluster API's summary, held by the infrastructure cluster", async () => {
    const name = 'kf-deletion-blocked';
    await Promise.all(both().map((b) => deploy(b, name, 'deletion-blocked')));
    for (const b of both())
      await until(
        `${name} Ready on ${b.name}`,
        async () => condition(await b.get(CLUSTER_DEPLOYMENTS, NS, name), 'Ready')?.status === 'True',
        {
          timeoutMs: 120_000,
          everyMs: 500,
        },
      );
    for (const b of both()) await adminRest(b).raw({ method: 'DELETE', path: resourcePath(CLUSTER_DEPLOYMENTS, NS, name) });
    const seen: Record<string, string[]> = {};
    for (const b of both()) {
      const held = await until(
        `${name} waiting for the AzureCluster on ${b.name}`,
        async () => {
          const d = await b.get(CLUSTER_DEPLOYMENTS, NS, name);
          const deleting = condition(d, 'Deleting');
          return deleting?.reason === 'WaitingForClusterDeletion' && /Waiting for AzureCluster to be deleted/.test(deleting.message ?? '')
            ? d
            : undefined;
        },
        { timeoutMs: 120_000, everyMs: 500 },
      ).catch((err: Error) => {
        throw new Error(err.message + (b.name === 'kcm' ? kcmLog() : ''));
      });
      seen[b.name] = kcmConditions(held, name);
    }
    assert.deepEqual(seen['sandbox'], seen['kcm'], 'the simulated kcm against real kcm for deletion-blocked');
  });
});
