/**
 * The sandbox kcm's cleanup of spec.cleanupOnDeletion (src/sandbox/kcm/child-cleanup.ts, deletion.ts) on what
 * kcm-differential-child cannot hold against real kcm within its budget: the Secret cases of deleteChildResources
 * (kcm v1.11.4 clusterdeployment_controller.go:1798-1812, internal/util/kube/client.go:34-51) and the three outcomes of
 * a pass (done, a wait run out, a failure: :1632-1653, ensureDeletingCondition :1706-1717). The held load balancer
 * itself is held against real kcm there.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../src/sandbox/apiserver/types.js';
import { cleanupChildCluster, type ChildCleanup } from '../../src/sandbox/kcm/child-cleanup.js';
import type { Condition } from '../../src/sandbox/kcm/conditions.js';
import { deletionPass, needsChildCleanup, type DeletionWorld } from '../../src/sandbox/kcm/deletion.js';
import { CREDENTIALS, SECRETS } from '../../src/sandbox/kcm/resources.js';
import { fixedReader } from '../helpers/kcm-reader.js';

const NS = 'kcm-system';
const NOW = '2026-12-07T15:00:00Z';

const reader = fixedReader;

const credential: KubeObject = {
  apiVersion: 'k0rdent.mirantis.com/v1beta1',
  kind: 'Credential',
  metadata: { name: 'cred', namespace: NS },
  spec: {},
};

function deleting(conditions: Condition[] = []): KubeObject {
  return {
    apiVersion: 'k0rdent.mirantis.com/v1beta1',
    kind: 'ClusterDeployment',
    metadata: { name: 'c', namespace: NS, generation: 1, deletionTimestamp: NOW, finalizers: ['k0rdent.mirantis.com/cluster-deployment'] },
    spec: { credential: 'cred', cleanupOnDeletion: true },
    status: { conditions },
  };
}

function secret(data: Record<string, string>): KubeObject {
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'c-kubeconfig', namespace: NS }, data };
}

const world = (childCleanup?: ChildCleanup): DeletionWorld => ({
  cleanup: true,
  dataSource: false,
  cluster: false,
  machines: false,
  infraFinalizer: false,
  release: false,
  serviceSets: false,
  clusterDataSource: false,
  ...(childCleanup ? { childCleanup } : {}),
});

const brief = (conditions: Condition[] | undefined, type: string): string | undefined => {
  const c = conditions?.find((x) => x.type === type);
  return c ? `${c.status}/${c.reason}: ${c.message}` : undefined;
};

describe('sandbox kcm: the child cluster cleanup of spec.cleanupOnDeletion', () => {
  it('no kubeconfig Secret: nothing to clean (kcm skips the procedure: :1808-1812)', async () => {
    assert.deepEqual(await cleanupChildCluster(reader([]), deleting()), { outcome: 'done' });
  });

  it('a Secret without `value`: the error kcm writes (client.go:40-43 wrapped at :1805-1807)', async () => {
    const r = reader([{ resource: SECRETS, object: secret({ other: 'eA==' }) }]);
    assert.deepEqual(await cleanupChildCluster(r, deleting()), {
      outcome: 'failed',
      message: 'failed to get child cluster of ClusterDeployment kcm-system/c: kubeconfig from Secret kcm-system/c-kubeconfig is empty',
    });
  });

  it("the sandbox's own Secret names a simulated child cluster with nothing in it: done at once", async () => {
    const kubeconfig = [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: c',
      '  cluster: {server: "https://c.kcm-system.sandbox.invalid:6443"}',
      'contexts:',
      '- name: c',
      '  context: {cluster: c, user: c}',
      'current-context: c',
      'users:',
      '- name: c',
      '  user: {token: t}',
      '',
    ].join('\n');
    const r = reader([{ resource: SECRETS, object: secret({ value: Buffer.from(kubeconfig).toString('base64') }) }]);
    assert.deepEqual(await cleanupChildCluster(r, deleting()), { outcome: 'done' });
  });

  it('the pass: done → CloudResourcesDeleted True; a wait run out → Progressing, still waiting; a failure → Failed, retried', () => {
    const r = reader([{ resource: CREDENTIALS, object: credential }]);
    assert.equal(needsChildCleanup(r, deleting()), true);
    assert.equal(needsChildCleanup(reader([]), deleting()), false, 'getClusterScope stops first without the Credential');

    const done = deletionPass(r, deleting(), [], world({ outcome: 'done' }), NOW);
    assert.equal(brief(done.conditions, 'CloudResourcesDeletedCondition'), undefined, 'the finalizer goes in the same pass: no status');
    assert.equal(done.removeFinalizer, true);

    const timeout = deletionPass(r, deleting(), [], world({ outcome: 'timeout' }), NOW);
    assert.equal(
      brief(timeout.conditions, 'CloudResourcesDeletedCondition'),
      'False/Progressing: waiting for cloud resources to be deleted',
    );
    assert.equal(brief(timeout.conditions, 'Deleting'), 'True/WaitingForCloudResourcesDeletion: Waiting for cloud resources to be deleted');
    assert.deepEqual([timeout.removeFinalizer, timeout.blocked, timeout.deleteRelease], [false, false, false]);

    const message = 'failed to deletecollection of Services: failed to list namespaces: connection refused';
    const failed = deletionPass(r, deleting(), [], world({ outcome: 'failed', message }), NOW);
    assert.equal(brief(failed.conditions, 'CloudResourcesDeletedCondition'), `False/Failed: ${message}`);
    assert.equal(brief(failed.conditions, 'Deleting'), `True/Failed: ${message}`);
    assert.deepEqual([failed.removeFinalizer, failed.blocked], [false, true]);

    // Once True is stored, no pass cleans again (:1632-1635).
    const stored = deleting([
      { type: 'CloudResourcesDeletedCondition', status: 'True', reason: 'Succeeded', message: '', lastTransitionTime: NOW },
    ]);
    assert.equal(needsChildCleanup(r, stored), false);
  });
});
