/**
 * The sandbox's simulated kcm services as kubectl sees them: seeded ServiceTemplates (system namespace
 * and AccessManagement copies), a seeded MultiClusterService with its clusters, status.services walking
 * kcm's states (kcm api/v1beta1/serviceset_types.go), values errors failing with Helm's message,
 * ServicesInReadyState "x/y" on every deployment feeding Ready (kcm clusterdeployment_controller.go
 * setServicesCondition, handleClusterDeploymentFailedConditions), and the webhook's denials
 * (kcm internal/util/validation/services.go).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { kubectlFor, type Kubectl } from '../helpers/kubectl.js';
import { until } from '../helpers/until.js';
import { recordWatch } from '../helpers/watch.js';
import type { KubeObject } from '../../src/sandbox/apiserver/types.js';
import { CLUSTER_DEPLOYMENTS } from '../../src/sandbox/kcm/resources.js';
import { sandboxFor } from '../helpers/lifecycle.js';

type Json = Record<string, unknown>;
interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
}
interface Deployment {
  metadata: { name?: string; namespace?: string; generation?: number };
  spec: Json;
  status: { conditions?: Condition[]; services?: Json[]; observedGeneration?: number };
}

const cond = (d: Deployment, type: string): Condition | undefined => d.status.conditions?.find((c) => c.type === type);
const serviceState = (d: Deployment, name: string): Json | undefined => d.status.services?.find((s) => s.name === name);

function servicesYaml(
  name: string,
  namespace: string,
  services: { name: string; template: string; namespace?: string; values?: string; dependsOn?: string }[],
): string {
  return [
    'apiVersion: k0rdent.mirantis.com/v1beta1',
    'kind: ClusterDeployment',
    'metadata:',
    `  name: ${name}`,
    `  namespace: ${namespace}`,
    'spec:',
    '  serviceSpec:',
    '    services:',
    ...services.flatMap((s) => [
      `    - name: ${s.name}`,
      `      template: ${s.template}`,
      ...(s.namespace ? [`      namespace: ${s.namespace}`] : []),
      ...(s.values ? [`      values: ${JSON.stringify(s.values)}`] : []),
      ...(s.dependsOn ? ['      dependsOn:', `      - name: ${s.dependsOn}`] : []),
    ]),
  ].join('\n');
}

describe('sandbox kcm services (kubectl)', () => {
  const sandbox = sandboxFor({ provisionSeconds: 1, deleteSeconds: 1 });
  let kubectl: Kubectl;
  const get = (ns: string, name: string): Promise<Deployment> => kubectl.json<Deployment>(['get', 'clusterdeployment', name, '-n', ns]);

  before(async () => {
    kubectl = kubectlFor(sandbox.kubeconfig);
  });
  after(async () => {
    kubectl.close();
  });

  it('seeds ServiceTemplates with kcm status in kcm-system and AccessManagement copies in the team namespaces', async () => {
    const system = await kubectl.json<{ items: { metadata: { name: string }; status: Json }[] }>([
      'get',
      'servicetemplates',
      '-n',
      'kcm-system',
    ]);
    const byName = new Map(system.items.map((t) => [t.metadata.name, t.status]));
    assert.ok(system.items.length >= 5);
    assert.deepEqual(
      {
        valid: byName.get('ingress-nginx-4-11-3')?.valid,
        chartVersion: byName.get('ingress-nginx-4-11-3')?.chartVersion,
        k8sConstraint: byName.get('ingress-nginx-4-11-3')?.k8sConstraint,
        schema: byName.get('ingress-nginx-4-11-3')?.schemaConfigMapName,
      },
      { valid: true, chartVersion: '4.11.3', k8sConstraint: '>=1.21.0-0', schema: 'schema-st-ingress-nginx-4-11-3' },
    );
    assert.equal(byName.get('velero-8-0-0')?.valid, false);
    assert.match(String(byName.get('velero-8-0-0')?.validationError), /no 'velero' chart with version matching '8.0.0' found/);
    const team = await kubectl.json<{ items: { metadata: { name: string; labels: Record<string, string> } }[] }>([
      'get',
      'servicetemplates',
      '-n',
      'team-alpha',
    ]);
    assert.ok(
      team.items.some((t) => t.metadata.name === 'cert-manager-1-16-2' && t.metadata.labels['k0rdent.mirantis.com/managed'] === 'true'),
    );
    const cm = await kubectl.json<{ data: { schema: string } }>(['get', 'configmap', 'schema-st-ingress-nginx-4-11-3', '-n', 'team-alpha']);
    assert.equal((JSON.parse(cm.data.schema) as Json).type, 'object');
  });

  it('every deployment carries ServicesInReadyState; seeded services are Deployed and the MultiClusterService lists its cluster', async () => {
    const all = await kubectl.json<{ items: Deployment[] }>(['get', 'clusterdeployments', '-A']);
    for (const d of all.items)
      assert.ok(cond(d, 'ServicesInReadyState'), `${d.metadata.namespace}/${d.metadata.name} has ServicesInReadyState`);
    const alpha = all.items.find((d) => d.metadata.name === 'alpha-dev-cluster')!;
    assert.deepEqual([cond(alpha, 'ServicesInReadyState')?.status, cond(alpha, 'ServicesInReadyState')?.message], ['True', '1/1']);
    assert.equal(serviceState(alpha, 'ingress-nginx')?.state, 'Deployed');
    const beta = all.items.find((d) => d.metadata.name === 'beta-staging-cluster')!;
    assert.equal(serviceState(beta, 'kube-prometheus-stack')?.state, 'Deployed', 'the MultiClusterService reaches the env=staging cluster');
    const mcs = await kubectl.json<{ status: { matchingClusters: Json[]; conditions: Condition[] } }>([
      'get',
      'multiclusterservice',
      'platform-monitoring',
    ]);
    assert.deepEqual(
      mcs.status.matchingClusters.map((c) => [c.namespace, c.name, c.deployed]),
      [['team-beta', 'beta-staging-cluster', true]],
    );
    // kcm v1.11.4 counts an MCS's clusters, not its services (multiclusterservice_controller.go:259-291): no
    // ServicesInReadyState on it.
    assert.equal(mcs.status.conditions.find((c) => c.type === 'ClusterInReadyState')?.message, '1/1');
    assert.equal(
      mcs.status.conditions.find((c) => c.type === 'ServicesInReadyState'),
      undefined,
    );
    const printed = await kubectl.run(['get', 'clusterdeployments', '-n', 'team-alpha']);
    assert.match(printed.stdout, /^alpha-dev-cluster\s+True\s+1\/1\s/m, 'the Services printer column shows the condition message');
  });

  it('a service added with kubectl walks Provisioning → Deployed; Ready waits on it', async () => {
    // Provisioning lasts under a second: it is read from a recorded watch, never polled for.
    const watch = await recordWatch<Deployment & KubeObject>(sandbox, CLUSTER_DEPLOYMENTS, {
      namespace: 'team-alpha',
      fieldSelector: 'metadata.name=alpha-dev-cluster',
    });
    try {
      const r = await kubectl.run(
        ['apply', '--server-side', '--field-manager=other', '-f', '-'],
        servicesYaml('alpha-dev-cluster', 'team-alpha', [
          { name: 'cert-manager', namespace: 'cert-manager', template: 'cert-manager-1-16-2', values: 'crds:\n  enabled: true\n' },
        ]),
      );
      assert.equal(r.code, 0, r.stderr);
      const deployed = (await watch.seen('cert-manager Deployed', (e) => serviceState(e.object, 'cert-manager')?.state === 'Deployed'))
        .object;
      const provisioning = watch.objects().find((d) => serviceState(d, 'cert-manager')?.state === 'Provisioning');
      assert.ok(
        provisioning,
        `the watch saw cert-manager Provisioning before Deployed: ${JSON.stringify(watch.objects().map((d) => serviceState(d, 'cert-manager')?.state))}`,
      );
      assert.deepEqual(
        [cond(provisioning, 'ServicesInReadyState')?.status, cond(provisioning, 'ServicesInReadyState')?.message],
        ['False', '1/2'],
      );
      assert.deepEqual(
        [cond(provisioning, 'Ready')?.status, cond(provisioning, 'Ready')?.reason, cond(provisioning, 'Ready')?.message],
        ['False', 'Progressing', '1/2 Services are ready.'],
      );
      assert.equal(provisioning.status.observedGeneration, provisioning.metadata.generation);
      assert.equal(cond(provisioning, 'HelmReleaseReady')?.status, 'True', 'a services-only change does not re-walk the cluster');
      assert.equal(serviceState(deployed, 'cert-manager')?.version, '1.16.2');
      assert.deepEqual([cond(deployed, 'ServicesInReadyState')?.message, cond(deployed, 'Ready')?.status], ['2/2', 'True']);
    } finally {
      watch.stop();
    }
  });

  it('values that break the chart schema end Failed with Helm’s message', async () => {
    const r = await kubectl.run(
      ['apply', '--server-side', '--field-manager=other', '-f', '-'],
      servicesYaml('alpha-dev-cluster', 'team-alpha', [
        { name: 'cert-manager', namespace: 'cert-manager', template: 'cert-manager-1-16-2', values: 'replicaCount: many\n' },
      ]),
    );
    assert.equal(r.code, 0, r.stderr);
    const failed = await until('cert-manager Failed', async () => {
      const d = await get('team-alpha', 'alpha-dev-cluster');
      return serviceState(d, 'cert-manager')?.state === 'Failed' ? d : undefined;
    });
    assert.match(
      String(serviceState(failed, 'cert-manager')?.failureMessage),
      /^values don't meet the specifications of the schema\(s\) in the following chart\(s\): cert-manager: at '\/replicaCount': must be integer/,
    );
    assert.deepEqual(
      [cond(failed, 'ServicesInReadyState')?.status, cond(failed, 'ServicesInReadyState')?.message, cond(failed, 'Ready')?.message],
      ['False', '1/2', '1/2 Services are ready.'],
    );
  });

  it('an entry removed from the spec goes Deleting, then leaves status.services', async () => {
    const r = await kubectl.run(
      ['apply', '--server-side', '--field-manager=other', '-f', '-'],
      servicesYaml('alpha-dev-cluster', 'team-alpha', []).replace('    services:', '    services: []'),
    );
    assert.equal(r.code, 0, r.stderr);
    await until('cert-manager gone', async () => {
      const d = await get('team-alpha', 'alpha-dev-cluster');
      return serviceState(d, 'cert-manager') === undefined && cond(d, 'ServicesInReadyState')?.message === '1/1' ? d : undefined;
    });
  });

  it('the webhook denies a missing or invalid ServiceTemplate and an undefined dependency, in kcm’s words', async () => {
    const missing = await kubectl.run(
      ['apply', '--server-side', '--field-manager=other', '-f', '-'],
      servicesYaml('alpha-dev-cluster', 'team-alpha', [{ name: 'x', template: 'nope-1-0-0' }]),
    );
    assert.notEqual(missing.code, 0);
    assert.match(
      missing.stderr,
      // kcm services.go:51,68-70: the NotFound inside the errors.Join is what the webhook answers (404).
      /Error from server \(NotFound\): admission webhook "validation\.clusterdeployment\.k0rdent\.mirantis\.com" denied the request: ServiceTemplate\.k0rdent\.mirantis\.com "nope-1-0-0" not found/,
    );
    sandbox.store.create(
      { group: 'k0rdent.mirantis.com', version: 'v1beta1', plural: 'servicetemplates' },
      {
        apiVersion: 'k0rdent.mirantis.com/v1beta1',
        kind: 'ServiceTemplate',
        metadata: { name: 'broken-1-0-0', namespace: 'team-alpha' },
        spec: { helm: { chartSpec: { chart: 'broken', version: '1.0.0' } } },
        status: { valid: false, validationError: 'chart not found' },
      },
    );
    const invalid = await kubectl.run(
      ['apply', '--server-side', '--field-manager=other', '-f', '-'],
      servicesYaml('alpha-dev-cluster', 'team-alpha', [{ name: 'x', template: 'broken-1-0-0' }]),
    );
    assert.match(
      invalid.stderr,
      /some services have invalid templates\nthe ServiceTemplate team-alpha\/broken-1-0-0 is invalid with the error: chart not found/,
    );
    const dep = await kubectl.run(
      ['apply', '--server-side', '--field-manager=other', '-f', '-'],
      servicesYaml('alpha-dev-cluster', 'team-alpha', [{ name: 'x', template: 'kyverno-3-2-6', dependsOn: 'ghost' }]),
    );
    assert.match(
      dep.stderr,
      /some services have invalid dependencies\nfailed service dependency validation: dependency default\/ghost of service default\/x is not defined as a service/,
    );
    const d = await get('team-alpha', 'alpha-dev-cluster');
    assert.equal(serviceState(d, 'x'), undefined, 'nothing was written');
  });

  it('a new deployment without services reports 0/0', async () => {
    const yaml = [
      'apiVersion: k0rdent.mirantis.com/v1beta1',
      'kind: ClusterDeployment',
      'metadata: {name: plain, namespace: team-alpha}',
      'spec:',
      '  template: azure-standalone-cp-1-0-45',
      '  credential: azure-cluster-credential',
      '  config: {location: westus2, subscriptionID: 00000000-0000-4000-8000-000000000009, controlPlane: {vmSize: Standard_A4_v2}, worker: {vmSize: Standard_A4_v2}}',
    ].join('\n');
    const r = await kubectl.run(['apply', '--server-side', '-f', '-'], yaml);
    assert.equal(r.code, 0, r.stderr);
    const ready = await until('plain Ready', async () => {
      const d = await get('team-alpha', 'plain');
      return cond(d, 'Ready')?.status === 'True' ? d : undefined;
    });
    assert.deepEqual([cond(ready, 'ServicesInReadyState')?.status, cond(ready, 'ServicesInReadyState')?.message], ['True', '0/0']);
  });
});
