/**
 * The simulated kcm's MultiClusterService checks (src/sandbox/kcm/services.ts multiClusterServiceChecks; kcm v1.11.4
 * multiclusterservice_controller.go:127-158, validation/multiclusterservice.go:29-111): templates, then the services'
 * dependencies, then the MultiClusterService's own dependsOn; the first failure ends them. The dependency case against
 * real kcm: kcm-differential-services.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../src/sandbox/apiserver/types.js';
import { MULTI_CLUSTER_SERVICES, SERVICE_TEMPLATES, SYSTEM_NAMESPACE } from '../../src/sandbox/kcm/resources.js';
import { multiClusterServiceChecks } from '../../src/sandbox/kcm/services.js';
import { fixedReader } from '../helpers/kcm-reader.js';

const template: KubeObject = {
  apiVersion: 'k0rdent.mirantis.com/v1beta1',
  kind: 'ServiceTemplate',
  metadata: { name: 'nginx-1-0-0', namespace: SYSTEM_NAMESPACE },
  status: { valid: true },
};
const mcs = (
  name: string,
  dependsOn: string[],
  services: Record<string, unknown>[] = [{ name: 'web', template: 'nginx-1-0-0' }],
): KubeObject => ({
  apiVersion: 'k0rdent.mirantis.com/v1beta1',
  kind: 'MultiClusterService',
  metadata: { name },
  spec: { clusterSelector: { matchLabels: { env: 'dev' } }, serviceSpec: { services }, ...(dependsOn.length > 0 ? { dependsOn } : {}) },
});
const checksOf = (target: KubeObject, others: KubeObject[] = []): string[][] =>
  multiClusterServiceChecks(
    fixedReader([
      { resource: SERVICE_TEMPLATES, object: template },
      ...[target, ...others].map((object) => ({ resource: MULTI_CLUSTER_SERVICES, object })),
    ]),
    target,
  ).map((c) => [c.type, c.error ?? '']);

describe('MultiClusterService checks (kcm multiclusterservice_controller.go:127-158)', () => {
  it('all pass: the three, in order', () => {
    assert.deepEqual(checksOf(mcs('a', ['b']), [mcs('b', [])]), [
      ['ServicesReferencesValidation', ''],
      ['ServicesDependencyValidation', ''],
      ['MultiClusterServiceDependencyValidation', ''],
    ]);
  });

  it('a template missing from the system namespace fails the first and ends there', () => {
    const [first, ...rest] = checksOf(mcs('a', [], [{ name: 'web', template: 'absent-1-0-0' }]));
    assert.equal(first?.[0], 'ServicesReferencesValidation');
    assert.match(
      first?.[1] ?? '',
      /^some services have invalid templates\n.*ServiceTemplate.k0rdent.mirantis.com "absent-1-0-0" not found/s,
    );
    assert.deepEqual(rest, []);
  });

  it('an undefined MultiClusterService in dependsOn: one line each (validation/multiclusterservice.go:65-84)', () => {
    assert.deepEqual(checksOf(mcs('a', ['x', 'y'])).at(-1), [
      'MultiClusterServiceDependencyValidation',
      'failed MCS dependency validation: dependency /x of /a is not defined\ndependency /y of /a is not defined',
    ]);
  });

  it('a cycle reachable from this one, and only such a cycle (:87-111)', () => {
    assert.deepEqual(checksOf(mcs('a', ['b']), [mcs('b', ['a'])]).at(-1), [
      'MultiClusterServiceDependencyValidation',
      'failed MCS dependency cycle validation: dependency cycle detected at /a',
    ]);
    // c <-> d elsewhere in the graph is not this one's: a -> e passes.
    assert.deepEqual(checksOf(mcs('a', ['e']), [mcs('e', []), mcs('c', ['d']), mcs('d', ['c'])]).at(-1), [
      'MultiClusterServiceDependencyValidation',
      '',
    ]);
  });
});
