/**
 * The world below kcm through the product: a deployment made with k0.clusters.deploy (its `labels` asking for a
 * fault) reaches kcm's conditions as kcm derives them from the HelmRelease and the CAPI Cluster, and each
 * fault is where a troubleshooter must find it — in the objects below the deployment and in the controllers'
 * logs (SandboxOptions.logSink). Embedded sandbox.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../src/sandbox/apiserver/types.js';
import { CLUSTER_DEPLOYMENTS } from '../../src/sandbox/kcm/resources.js';
import { CLUSTERS, HELM_RELEASES, MACHINES, resourceOfKind } from '../../src/sandbox/world/resources.js';
import { FAULT_LABEL } from '../../src/sandbox/world/types.js';
import { AZURE_BASELINE } from '../helpers/clusters-harness.js';
import { useSandbox } from '../helpers/lifecycle.js';
import { until } from '../helpers/until.js';

type Rec = Record<string, unknown>;
const NS = 'team-alpha';
const TEMPLATE = 'azure-standalone-cp-1-0-45';
const CREDENTIAL = 'azure-cluster-credential';
const cond = (o: KubeObject | undefined, type: string): Rec | undefined =>
  ((((o?.['status'] ?? {}) as Rec)['conditions'] ?? []) as Rec[]).find((c) => c['type'] === type);

describe('the world below kcm, through the MCP deploy tool', () => {
  const lines: { controller: string; line: string; subject?: string }[] = [];
  const env = useSandbox({
    provisionSeconds: 1,
    deleteSeconds: 0.5,
    logSink: (controller, _namespace, line, subject) => lines.push({ controller, line, ...(subject ? { subject: subject.name } : {}) }),
  });
  const deploy = (name: string, fault?: string): Promise<unknown> =>
    env.harness.ok('k0.clusters.deploy', {
      name,
      namespace: NS,
      template: TEMPLATE,
      credential: CREDENTIAL,
      config: AZURE_BASELINE,
      ...(fault ? { labels: { [FAULT_LABEL]: fault } } : {}),
    });
  const deployment = (name: string): KubeObject | undefined => env.sandbox.store.get(CLUSTER_DEPLOYMENTS, NS, name);

  it('a healthy deployment is Ready once its HelmRelease is and its CAPI Cluster is, with Flux and CAPI texts', async () => {
    await deploy('w-ok');
    await until('w-ok Ready', () => cond(deployment('w-ok'), 'Ready')?.['status'] === 'True');
    const d = deployment('w-ok');
    assert.equal(
      cond(d, 'HelmReleaseReady')?.['message'],
      `Helm install succeeded for release ${NS}/w-ok.v1 with chart azure-standalone-cp@1.0.45`,
    );
    assert.deepEqual([cond(d, 'CAPIClusterSummary')?.['status'], cond(d, 'CAPIClusterSummary')?.['reason']], ['True', 'InfoReported']);
    const cluster = env.sandbox.store.get(CLUSTERS, NS, 'w-ok')!;
    assert.equal(cluster.metadata.labels?.['helm.toolkit.fluxcd.io/name'], 'w-ok');
    assert.ok(env.sandbox.store.get(resourceOfKind('AzureCluster')!, NS, 'w-ok'));
    const machines = env.sandbox.store.list(MACHINES, { namespace: NS, labelSelector: 'cluster.x-k8s.io/cluster-name=w-ok' });
    assert.equal(machines.length, 2);
    assert.ok(machines.every((m) => String((m['spec'] as Rec)['providerID']).startsWith('azure:///subscriptions/')));
  });

  it('infra-error: CAPIClusterSummary carries the provider error; capz logs it', async () => {
    await deploy('w-infra', 'infra-error');
    await until('the AuthorizationFailed summary', () =>
      /AuthorizationFailed/.test(String(cond(deployment('w-infra'), 'CAPIClusterSummary')?.['message'])),
    );
    const summary = cond(deployment('w-infra'), 'CAPIClusterSummary')!;
    assert.equal(summary['status'], 'False');
    assert.match(
      String(summary['message']),
      /^\* InfrastructureReady:\n {2}\* failed to reconcile cluster services: failed to reconcile resource group w-infra: /,
    );
    assert.equal(cond(deployment('w-infra'), 'Ready')?.['reason'], 'Progressing');
    const azure = env.sandbox.store.get(resourceOfKind('AzureCluster')!, NS, 'w-infra');
    assert.equal(cond(azure, 'NetworkInfrastructureReady')?.['reason'], 'Failed');
    assert.ok(
      lines.some((l) => l.controller === 'capz-controller-manager' && l.subject === 'w-infra' && l.line.includes('AuthorizationFailed')),
    );
  });

  it("helm-install-failure: HelmReleaseReady False with helm-controller's message; Ready False/Failed", async () => {
    await deploy('w-helm', 'helm-install-failure');
    await until('HelmReleaseReady False', () => cond(deployment('w-helm'), 'HelmReleaseReady')?.['status'] === 'False');
    const d = deployment('w-helm');
    assert.equal(cond(d, 'HelmReleaseReady')?.['reason'], 'InstallFailed');
    assert.match(
      String(cond(d, 'HelmReleaseReady')?.['message']),
      new RegExp(`^Helm install failed for release ${NS}/w-helm with chart azure-standalone-cp@1\\.0\\.45: `),
    );
    assert.deepEqual([cond(d, 'Ready')?.['status'], cond(d, 'Ready')?.['reason']], ['False', 'Failed']);
    assert.equal(env.sandbox.store.get(CLUSTERS, NS, 'w-helm'), undefined);
    assert.ok(lines.some((l) => l.controller === 'helm-controller' && l.subject === 'w-helm' && l.line.includes('Helm install failed')));
  });

  it("deletion-blocked: the deployment stays Deleting, held by the infrastructure cluster's finalizer", async () => {
    await deploy('w-block', 'deletion-blocked');
    await until('w-block Ready', () => cond(deployment('w-block'), 'Ready')?.['status'] === 'True');
    await env.harness.ok('k0.clusters.delete', { name: 'w-block', namespace: NS });
    const infra = resourceOfKind('AzureCluster')!;
    // The held state: the provider's DependencyViolation, and kcm's cleanup finalizer gone (kcm removes it once no
    // Machines remain, which may come after the first DependencyViolation).
    await until('the DependencyViolation on the AzureCluster, held by its own finalizer only', () => {
      const held = env.sandbox.store.get(infra, NS, 'w-block');
      return (
        /DependencyViolation/.test(String(cond(held, 'Ready')?.['message'])) &&
        held?.metadata.finalizers?.length === 1 &&
        held.metadata.finalizers[0] === 'azurecluster.infrastructure.cluster.x-k8s.io'
      );
    });
    const azure = env.sandbox.store.get(infra, NS, 'w-block')!;
    assert.ok(azure.metadata.deletionTimestamp);
    assert.deepEqual(azure.metadata.finalizers, ['azurecluster.infrastructure.cluster.x-k8s.io']);
    const d = deployment('w-block')!;
    assert.equal(cond(d, 'Deleting')?.['reason'], 'WaitingForClusterDeletion');
    await until(
      'the Cluster waiting for its infrastructure',
      () => cond(env.sandbox.store.get(CLUSTERS, NS, 'w-block'), 'Deleting')?.['reason'] === 'WaitingForInfrastructureDeletion',
    );
    assert.equal(cond(deployment('w-block'), 'Deleting')?.['reason'], 'WaitingForClusterDeletion');
    assert.match(String(cond(deployment('w-block'), 'Deleting')?.['message']), /Waiting for AzureCluster to be deleted/);
    assert.ok(env.sandbox.store.get(HELM_RELEASES, NS, 'w-block')?.metadata.deletionTimestamp, 'the uninstall waits too');
  });
});
