/**
 * The child cluster behind a ClusterDeployment, on the embedded sandbox's simulated kcm and on real kcm v1.11.4
 * (issue 20; docs/sandbox.md "What still differs from kcm", the Deletion rows). The child cluster is a second
 * kube-apiserver this file starts (the test control plane with one throwaway CRD: it starts in a few seconds; the
 * file owns its process group and stops it, also on failure), handed to kcm as the deployment's kubeconfig Secret
 * `<cd>-kubeconfig` (key `value`), as Cluster API writes it.
 *
 * cleanupOnDeletion: kcm deletes the child's LoadBalancer Services and PVCs, keeps its other Services, and waits up
 * to 10 s for the load balancers (kcm clusterdeployment_controller.go:1798-1852, internal/util/kube/delete.go); a
 * load balancer held by a finalizer makes the wait run out: CloudResourcesDeleted=False/Progressing, Deleting
 * WaitingForCloudResourcesDeletion, until it goes (or, when kcm's last poll races its own deadline, Failed with
 * client-go's rate-limiter error: see the test). The sandbox does the same (src/sandbox/kcm/child-cleanup.ts):
 * asserted the same on both.
 *
 * Regional clients: a Credential with spec.region is checked in the Region's own cluster (the child control plane,
 * named by the Region's spec.kubeConfig Secret), by kcm and by the sandbox (src/sandbox/kcm/regional-credential.ts):
 * asserted the same on both.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import type { KubeObject, ResourceKey } from '../../src/sandbox/apiserver/types.js';
import { CLUSTER_DEPLOYMENTS, CREDENTIALS } from '../../src/sandbox/kcm/resources.js';
import { kcmDir } from '../../src/sandbox/real-kcm/assets.js';
import { startControlPlane, type ControlPlane } from '../../src/sandbox/kube/control-plane.js';
import { KubeRest, resourcePath } from '../../src/sandbox/kube/rest.js';
import { kcmSkipReason, type Backend } from '../helpers/backend.js';
import { AZURE_BASELINE } from '../helpers/clusters-harness.js';
import { useBackend } from '../helpers/lifecycle.js';
import { until } from '../helpers/until.js';
import { recordWatch, type RecordedWatch } from '../helpers/watch.js';
import { conditionsOf, type Condition, type Answer, answerOf } from '../helpers/answers.js';

/** An answer with the Status' details (a NotFound's name, group and kind; an Invalid's causes). */
type DetailedAnswer = Answer & { details: unknown };
const detailed = (res: Awaited<ReturnType<KubeRest['raw']>>): DetailedAnswer => ({
  ...answerOf(res),
  details: (res.body as { details?: unknown } | undefined)?.details,
});

const SYSTEM = 'kcm-system';
const SERVICES: ResourceKey = { group: '', version: 'v1', plural: 'services' };
const PVCS: ResourceKey = { group: '', version: 'v1', plural: 'persistentvolumeclaims' };
const SECRETS: ResourceKey = { group: '', version: 'v1', plural: 'secrets' };
const EVENTS: ResourceKey = { group: '', version: 'v1', plural: 'events' };
const HOLD = 'child.test/hold';

const MANAGEMENTS: ResourceKey = { group: 'k0rdent.mirantis.com', version: 'v1beta1', plural: 'managements' };
const REGIONS: ResourceKey = { group: 'k0rdent.mirantis.com', version: 'v1beta1', plural: 'regions' };
const CLUSTER_IPAM_CLAIMS: ResourceKey = { group: 'k0rdent.mirantis.com', version: 'v1beta1', plural: 'clusteripamclaims' };
const ipamRef = (o: KubeObject | undefined): string | undefined =>
  (o?.['spec'] as { ipamClaim?: { ref?: string } } | undefined)?.ipamClaim?.ref;

const restOf = (kubeconfig: string): KubeRest => {
  const kc = new KubeConfig();
  kc.loadFromString(kubeconfig);
  return new KubeRest(kc);
};

/**
 * A CRD folder for the child control plane: a throwaway kind, and for the regional Credential the two kinds kcm's
 * Credential controller reads in a Region's cluster (ProviderInterfaces and the identity: credential_controller.go:122-134,
 * credential/clusteridentities.go:115-124), from kcm's own CRD sets, so that its answer is the identity's absence there.
 */
function childCrdDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'k0rdent-child-crds-'));
  writeFileSync(
    join(dir, 'holds.yaml'),
    [
      'apiVersion: apiextensions.k8s.io/v1',
      'kind: CustomResourceDefinition',
      'metadata: {name: holds.child.test}',
      'spec:',
      '  group: child.test',
      '  names: {kind: Hold, listKind: HoldList, plural: holds, singular: hold}',
      '  scope: Namespaced',
      '  versions:',
      '  - {name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}}',
      '',
    ].join('\n'),
  );
  for (const file of [
    'kcm/providerinterfaces.k0rdent.mirantis.com.yaml',
    'providers/azureclusteridentities.infrastructure.cluster.x-k8s.io.yaml',
  ])
    if (existsSync(join(kcmDir(), 'crds', file))) copyFileSync(join(kcmDir(), 'crds', file), join(dir, file.split('/')[1] ?? file));
  return dir;
}

const kcmSkip = kcmSkipReason();

describe("a deployment's child cluster (a second kube-apiserver): the sandbox against real kcm v1.11.4", { skip: kcmSkip }, () => {
  // The child control plane starts beside the backends (its own process group; closed in `after`, also on failure).
  const crdDir = childCrdDir();
  let childStart: Promise<ControlPlane> | undefined;
  before(() => {
    childStart = startControlPlane({ crdDirs: [crdDir], timeoutMs: 120_000 });
    // Awaited by the tests; a failure is reported there.
    childStart.catch(() => undefined);
  });
  const sandboxEnv = useBackend('sandbox', { provisionSeconds: 1, deleteSeconds: 1 }, false);
  const kcmEnv = useBackend('kcm', { provisionSeconds: 1, deleteSeconds: 1 }, false);
  after(async () => {
    const child = await childStart?.catch(() => undefined);
    await child?.close();
    rmSync(crdDir, { recursive: true, force: true });
  });
  const child = async (): Promise<ControlPlane> => {
    assert.ok(childStart, 'the child control plane was started');
    return childStart;
  };
  const kcmLog = (): string => `\nkcm log:\n${kcmEnv.backend.realKcm?.kcmLogTail(40) ?? ''}`;

  /**
   * One backend's run: a dry-run deployment (nothing below it to wait for) with cleanupOnDeletion, its kubeconfig
   * Secret naming the child cluster; the child holds a LoadBalancer Service kept by a finalizer, a ClusterIP Service
   * and a PVC. Deleted; once kcm reports the wait ran out, the finalizer is dropped and the deployment goes.
   */
  async function cleanupRun(
    b: Backend,
    name: string,
  ): Promise<{ states: string[]; lb: KubeObject[]; keep: boolean; pvcDeleting: boolean }> {
    const cp = await child();
    const childRest = restOf(cp.adminKubeconfig);
    const rest = restOf(b.adminKubeconfig);
    const ns = 'default';
    const lbName = `lb-${b.name}`;
    const keepName = `keep-${b.name}`;
    const pvcName = `data-${b.name}`;
    await childRest.create(
      SERVICES,
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: lbName, namespace: ns, finalizers: [HOLD] },
        spec: { type: 'LoadBalancer', ports: [{ port: 80 }] },
      },
      'test',
    );
    await childRest.create(
      SERVICES,
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: keepName, namespace: ns },
        spec: { type: 'ClusterIP', ports: [{ port: 80 }] },
      },
      'test',
    );
    await childRest.create(
      PVCS,
      {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name: pvcName, namespace: ns },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
      },
      'test',
    );
    const childWatch = await recordWatch({ adminKubeconfig: cp.adminKubeconfig }, SERVICES, {
      namespace: ns,
      fieldSelector: `metadata.name=${lbName}`,
    });
    const watch = await recordWatch(b, CLUSTER_DEPLOYMENTS, { namespace: SYSTEM, fieldSelector: `metadata.name=${name}` });
    try {
      const created = await rest.raw({
        method: 'POST',
        path: resourcePath(CLUSTER_DEPLOYMENTS, SYSTEM),
        body: {
          apiVersion: 'k0rdent.mirantis.com/v1beta1',
          kind: 'ClusterDeployment',
          metadata: { name, namespace: SYSTEM },
          spec: {
            template: 'azure-standalone-cp-1-0-15',
            credential: 'azure-cluster-credential',
            config: { ...AZURE_BASELINE },
            dryRun: true,
            cleanupOnDeletion: true,
          },
        },
      });
      assert.equal(created.status, 201, `${b.name}: ${JSON.stringify(created.body)}`);
      const secret = await rest.raw({
        method: 'POST',
        path: resourcePath(SECRETS, SYSTEM),
        body: {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: `${name}-kubeconfig`, namespace: SYSTEM, labels: { 'cluster.x-k8s.io/cluster-name': name } },
          type: 'cluster.x-k8s.io/secret',
          data: { value: Buffer.from(cp.adminKubeconfig).toString('base64') },
        },
      });
      assert.equal(secret.status, 201, `${b.name}: ${JSON.stringify(secret.body)}`);
      await watch.seen(`${name} with kcm's finalizer on ${b.name}`, (e) =>
        (e.object.metadata.finalizers ?? []).includes('k0rdent.mirantis.com/cluster-deployment'),
      );
      const deleted = await rest.raw({ method: 'DELETE', path: resourcePath(CLUSTER_DEPLOYMENTS, SYSTEM, name) });
      assert.ok(deleted.status === 200 || deleted.status === 202, `${b.name}: ${deleted.status}`);
      await watch
        .seen(
          `${name} waiting for cloud resources on ${b.name}`,
          (e) => conditionsOf(e.object).some((c) => c.type === 'CloudResourcesDeletedCondition' && c.status === 'False'),
          { timeoutMs: 60_000 },
        )
        .catch((err: Error) => {
          throw new Error(err.message + (b.name === 'kcm' ? kcmLog() : ''));
        });
      await childWatch.seen(`${lbName} marked for deletion in the child cluster`, (e) => e.object.metadata.deletionTimestamp !== undefined);
      // The load balancer goes: the next pass finds nothing left to wait for.
      await childRest.json({
        method: 'PATCH',
        path: resourcePath(SERVICES, ns, lbName),
        contentType: 'application/merge-patch+json',
        body: { metadata: { finalizers: null } },
      });
      await watch
        .seen(`${name} gone on ${b.name}`, (e) => e.type === 'DELETED', { timeoutMs: 60_000 })
        .catch((err: Error) => {
          throw new Error(err.message + (b.name === 'kcm' ? kcmLog() : ''));
        });
      const states = [
        ...new Set(
          watch.objects().flatMap((o) =>
            conditionsOf(o)
              .filter((c) => c.type === 'CloudResourcesDeletedCondition' || c.type === 'Deleting')
              .map((c) => `${c.type}=${c.status}/${c.reason ?? ''}: ${c.message ?? ''}`),
          ),
        ),
      ];
      const keep = (await childRest.raw({ method: 'GET', path: resourcePath(SERVICES, ns, keepName) })).status === 200;
      const pvc = await childRest.raw({ method: 'GET', path: resourcePath(PVCS, ns, pvcName) });
      const pvcDeleting = pvc.status === 404 || (pvc.body as KubeObject).metadata.deletionTimestamp !== undefined;
      return { states, lb: childWatch.objects(), keep, pvcDeleting };
    } finally {
      watch.stop();
      childWatch.stop();
    }
  }

  it("cleanupOnDeletion (a difference removed): the child's load balancer and PVC deleted, its ClusterIP Service kept, and a held load balancer waited for — the same on both", async () => {
    // One backend after the other: each cleanup deletes every load balancer of the child cluster.
    const sandbox = await cleanupRun(sandboxEnv.backend, 'child-cleanup');
    const kcm = await cleanupRun(kcmEnv.backend, 'child-cleanup');
    const waiting = [
      'CloudResourcesDeletedCondition=False/Progressing: waiting for cloud resources to be deleted',
      'Deleting=True/WaitingForCloudResourcesDeletion: Waiting for cloud resources to be deleted',
    ];
    assert.deepEqual([...sandbox.states].sort(), waiting, 'the sandbox waited for the held load balancer');
    // kcm's last poll of the wait ticks at the 10 s deadline itself (interval 500 ms, timeout 10 s: delete.go:89-90),
    // so it races its context: when the tick wins, the List is refused by client-go's rate limiter on an expired
    // context, an error that is not context.DeadlineExceeded, and kcm writes Failed instead of Progressing (seen in one of
    // the first two runs here). Either way the deployment is retried and goes once the load balancer has; the
    // sandbox never polls at the deadline (the first outcome).
    const raced =
      'failed to deletecollection of Services: failed to list during wait: client rate limiter Wait returned an error: rate: Wait(n=1) would exceed context deadline';
    const kcmRaced = [`CloudResourcesDeletedCondition=False/Failed: ${raced}`, `Deleting=True/Failed: ${raced}`];
    // A later pass may race where an earlier one did not (or the other way round): both outcomes may show, nothing else.
    assert.ok(
      kcm.states.length > 0 && kcm.states.every((x) => waiting.includes(x) || kcmRaced.includes(x)),
      `kcm showed the wait or its deadline race; it showed ${JSON.stringify(kcm.states)}`,
    );
    for (const [name, run] of [
      ['sandbox', sandbox],
      ['kcm', kcm],
    ] as const) {
      assert.equal(run.keep, true, `${name}: the ClusterIP Service is kept`);
      assert.equal(
        run.pvcDeleting,
        true,
        `${name}: the PVC is deleted (held by kube's pvc-protection finalizer: no controller here removes it)`,
      );
    }
  });

  /** The same request to both backends, answers normalised (status, reason, message, warnings). */
  async function ask(spec: Parameters<KubeRest['raw']>[0]): Promise<{ sandbox: Answer; kcm: Answer }> {
    return {
      sandbox: answerOf(await restOf(sandboxEnv.backend.adminKubeconfig).raw(spec)),
      kcm: answerOf(await restOf(kcmEnv.backend.adminKubeconfig).raw(spec)),
    };
  }

  /** The same request to both backends, answers normalised with the Status' details. */
  async function askWithDetails(spec: Parameters<KubeRest['raw']>[0]): Promise<{ sandbox: DetailedAnswer; kcm: DetailedAnswer }> {
    const [sandbox, kcm] = await Promise.all(
      [sandboxEnv.backend, kcmEnv.backend].map(async (b) => detailed(await restOf(b.adminKubeconfig).raw(spec))),
    );
    return { sandbox: sandbox!, kcm: kcm! };
  }

  /**
   * The same request to both, when kcm's webhook answers from an informer cache that may not hold the test's last write
   * yet (seen under load): kcm is asked again until `settled` says its answer is not the one of a lagging cache, then
   * the sandbox (its store is its cache) once. Only for requests that write nothing, or nothing until they are settled;
   * a kcm that never settles fails on the timeout.
   */
  async function askOnceKcmCaughtUp(
    spec: Parameters<KubeRest['raw']>[0],
    what: string,
    settled: (kcm: DetailedAnswer) => boolean,
  ): Promise<{ sandbox: DetailedAnswer; kcm: DetailedAnswer }> {
    const kcm = await until(what, async () => {
      const answer = detailed(await restOf(kcmEnv.backend.adminKubeconfig).raw(spec));
      return settled(answer) ? answer : undefined;
    });
    return { sandbox: detailed(await restOf(sandboxEnv.backend.adminKubeconfig).raw(spec)), kcm };
  }

  it("the Management's Release check (a difference removed): a CREATE, and an UPDATE changing spec.release, naming a Release that does not exist — the same 422 on both (dry run)", async () => {
    // kcm management_webhook.go:51-59 (CREATE), :69-76 (UPDATE), validateRelease :170-179; the sandbox's
    // src/sandbox/kcm/management-webhook.ts.
    const forbidden = (name: string): DetailedAnswer => {
      const body = 'Forbidden: Release.k0rdent.mirantis.com "child-absent-release" not found';
      return {
        status: 422,
        reason: 'Invalid',
        message: `admission webhook "validation.management.k0rdent.mirantis.com" denied the request: Management.k0rdent.mirantis.com "${name}" is invalid: spec.release: ${body}`,
        warnings: [],
        details: {
          name,
          group: 'k0rdent.mirantis.com',
          kind: 'Management',
          causes: [{ reason: 'FieldValueForbidden', message: body, field: 'spec.release' }],
        },
      };
    };
    const created = await askWithDetails({
      method: 'POST',
      path: resourcePath(MANAGEMENTS, undefined),
      query: { dryRun: 'All' },
      body: {
        apiVersion: 'k0rdent.mirantis.com/v1beta1',
        kind: 'Management',
        metadata: { name: 'child-other' },
        spec: { release: 'child-absent-release' },
      },
    });
    assert.deepEqual(created.sandbox, created.kcm, 'CREATE: the same answer');
    assert.deepEqual(created.kcm, forbidden('child-other'));
    const updated = await askWithDetails({
      method: 'PATCH',
      path: resourcePath(MANAGEMENTS, undefined, 'kcm'),
      query: { dryRun: 'All' },
      contentType: 'application/merge-patch+json',
      body: { spec: { release: 'child-absent-release' } },
    });
    assert.deepEqual(updated.sandbox, updated.kcm, 'UPDATE: the same answer');
    assert.deepEqual(updated.kcm, forbidden('kcm'));
  });

  it('a Management being deleted: out of reach on both while a deployment or Region exists — its DELETE is refused the same (dry run)', async () => {
    const { sandbox, kcm } = await ask({ method: 'DELETE', path: resourcePath(MANAGEMENTS, undefined, 'kcm'), query: { dryRun: 'All' } });
    const denied = {
      status: 403,
      reason: 'Forbidden',
      message: 'admission webhook "validation.management.k0rdent.mirantis.com" denied the request: management deletion is forbidden',
    };
    // The reason names what was found first (mgmt.go:181-199: Regions, then ClusterDeployments): each backend's answer is
    // the one the rule gives for what that backend holds (the sandbox seeds two Regions; the real-kcm seed none, and
    // deployments), so a backend that answered otherwise fails here.
    const expected = async (b: Backend): Promise<Answer> => {
      const reason =
        (await b.list(REGIONS)).length > 0
          ? "The Management object can't be removed if Region objects still exist"
          : (await b.list(CLUSTER_DEPLOYMENTS)).length > 0
            ? "The Management object can't be removed if ClusterDeployment objects still exist"
            : undefined;
      return reason ? { ...denied, warnings: [reason] } : { status: 200, reason: '', message: '', warnings: [] };
    };
    assert.deepEqual(sandbox, await expected(sandboxEnv.backend));
    assert.deepEqual(kcm, await expected(kcmEnv.backend));
    assert.equal(sandbox.status, 403, 'the sandbox refused it (its seed has Regions and deployments)');
    assert.equal(kcm.status, 403, 'real kcm refused it (the shared world has deployments)');
  });

  it('a Management UPDATE removing a provider a deployment needs (a difference removed): the same 422, cause and warning on both (dry run)', async () => {
    // kcm management_webhook.go:83-88 (checkComponentsRemoval :102-160 over validation/provider_template.go:45-107):
    // a provider removed from spec.providers whose ProviderTemplate serves a deployment's template is refused; the
    // sandbox's src/sandbox/kcm/components-removal.ts. Both hold the Azure baseline deployment, so the Azure provider
    // is in use on both.
    const answers = await Promise.all(
      [sandboxEnv.backend, kcmEnv.backend].map(async (b) => {
        const management = await b.get(MANAGEMENTS, undefined, 'kcm');
        const all = (management?.['spec'] as { providers?: { name: string }[] } | undefined)?.providers ?? [];
        const providers = all.filter((p) => p.name !== 'cluster-api-provider-azure');
        assert.ok(providers.length < all.length, `${b.name}: the Management lists cluster-api-provider-azure`);
        const res = await restOf(b.adminKubeconfig).raw({
          method: 'PATCH',
          path: resourcePath(MANAGEMENTS, undefined, 'kcm'),
          query: { dryRun: 'All' },
          contentType: 'application/merge-patch+json',
          body: { spec: { providers } },
        });
        return detailed(res);
      }),
    );
    const [sandbox, kcm] = answers as [DetailedAnswer, DetailedAnswer];
    const body =
      'Forbidden: provider infrastructure-azure is required by at least one ClusterDeployment and cannot be removed from the Management kcm';
    assert.deepEqual(kcm, {
      status: 422,
      reason: 'Invalid',
      message: `admission webhook "validation.management.k0rdent.mirantis.com" denied the request: Management.k0rdent.mirantis.com "kcm" is invalid: spec.providers: ${body}`,
      warnings: ['Some of the providers cannot be removed'],
      details: {
        name: 'kcm',
        group: 'k0rdent.mirantis.com',
        kind: 'Management',
        causes: [{ reason: 'FieldValueForbidden', message: body, field: 'spec.providers' }],
      },
    });
    assert.deepEqual(sandbox, kcm, 'the same answer on the sandbox');
  });

  it('Regions and IPAM: a deployment a Region names cannot be deleted (the same on both); kcm claims IPAM for spec.ipamClaim, the sandbox does not (a difference, asserted as it is)', async () => {
    const name = 'child-ipam';
    const region = 'child-region';
    const deployment = {
      apiVersion: 'k0rdent.mirantis.com/v1beta1',
      kind: 'ClusterDeployment',
      metadata: { name, namespace: SYSTEM },
      spec: {
        template: 'azure-standalone-cp-1-0-15',
        credential: 'azure-cluster-credential',
        config: { ...AZURE_BASELINE },
        dryRun: true,
        ipamClaim: { spec: { provider: 'in-cluster', nodeNetwork: { cidr: '10.0.0.0/24' } } },
      },
    };
    const watches = await Promise.all(
      [sandboxEnv.backend, kcmEnv.backend].map((b) =>
        recordWatch(b, CLUSTER_DEPLOYMENTS, { namespace: SYSTEM, fieldSelector: `metadata.name=${name}` }),
      ),
    );
    try {
      const created = await ask({ method: 'POST', path: resourcePath(CLUSTER_DEPLOYMENTS, SYSTEM), body: deployment });
      assert.deepEqual(created, {
        sandbox: { status: 201, reason: '', message: '', warnings: [] },
        kcm: { status: 201, reason: '', message: '', warnings: [] },
      });
      // A Region whose cluster is the deployment (no kubeconfig Secret exists for it, so kcm's Region controller stops
      // at its regional client and adds no finalizer: region/controller.go:93-98).
      const regionCreated = await ask({
        method: 'POST',
        path: resourcePath(REGIONS, undefined),
        body: {
          apiVersion: 'k0rdent.mirantis.com/v1beta1',
          kind: 'Region',
          metadata: { name: region },
          spec: { clusterDeployment: { name, namespace: SYSTEM } },
        },
      });
      assert.deepEqual([regionCreated.sandbox.status, regionCreated.kcm.status], [201, 201], JSON.stringify(regionCreated));
      const refused = await ask({
        method: 'DELETE',
        path: resourcePath(CLUSTER_DEPLOYMENTS, SYSTEM, name),
        query: { dryRun: 'All' },
      });
      assert.deepEqual(refused.sandbox, refused.kcm);
      assert.deepEqual(refused.kcm, {
        status: 403,
        reason: 'Forbidden',
        message: `admission webhook "validation.clusterdeployment.k0rdent.mirantis.com" denied the request: ClusterDeployment cannot be deleted: referenced by Region "${region}"`,
        warnings: [],
      });
      const regionDeleted = await ask({ method: 'DELETE', path: resourcePath(REGIONS, undefined, region) });
      assert.deepEqual([regionDeleted.sandbox.status, regionDeleted.kcm.status], [200, 200], JSON.stringify(regionDeleted));

      // IPAM (clusterdeployment_controller.go:366-390, processClusterIPAM :2031-2100): kcm creates the claim
      // `<cd>-ipam`, owned by the deployment, and points spec.ipamClaim.ref at it, then waits for it to be bound
      // before anything else; the sandbox ignores spec.ipamClaim.
      const [ws, wk] = watches as [RecordedWatch, RecordedWatch];
      await wk
        .seen(`${name}'s ipamClaim.ref set by kcm`, (e) => ipamRef(e.object) === `${name}-ipam`)
        .catch((err: Error) => {
          throw new Error(err.message + kcmLog());
        });
      const claim = await kcmEnv.backend.get(CLUSTER_IPAM_CLAIMS, SYSTEM, `${name}-ipam`);
      assert.equal(
        (claim?.['spec'] as { clusterIPAMRef?: string } | undefined)?.clusterIPAMRef,
        `${name}-ipam`,
        'kcm: the claim names its ClusterIPAM',
      );
      assert.equal(claim?.metadata.ownerReferences?.[0]?.name, name, 'kcm: the deployment owns the claim');
      // The sandbox's reconcile of the dry run is done once Ready is written (the marker): no claim, no ref.
      await ws.seen(`${name} reconciled on the sandbox`, (e) => conditionsOf(e.object).some((c) => c.type === 'Ready'));
      assert.equal(await sandboxEnv.backend.get(CLUSTER_IPAM_CLAIMS, SYSTEM, `${name}-ipam`), undefined, 'sandbox: no claim');
      assert.equal(ipamRef(await sandboxEnv.backend.get(CLUSTER_DEPLOYMENTS, SYSTEM, name)), undefined, 'sandbox: no ref');
      // Deletion looks at neither (reconcileDelete :1578-1704): gone on both; kcm's claim goes with its owner.
      for (const b of [sandboxEnv.backend, kcmEnv.backend]) {
        const res = await restOf(b.adminKubeconfig).raw({ method: 'DELETE', path: resourcePath(CLUSTER_DEPLOYMENTS, SYSTEM, name) });
        assert.ok(res.status === 200 || res.status === 202, `${b.name}: ${res.status}`);
      }
      for (const [i, w] of [ws, wk].entries())
        await w.seen(`${name} gone on ${i === 0 ? 'sandbox' : 'kcm'}`, (e) => e.type === 'DELETED', { timeoutMs: 60_000 });
    } finally {
      for (const w of watches) w.stop();
    }
  });

  it('the Region webhook (a difference removed): CREATE refused for a missing kubeconfig Secret, a Secret without the key and a missing ClusterDeployment; DELETE refused while a deployment uses a Credential of the Region — the same answers on both', async () => {
    // kcm region_webhook.go:51-53 over validation/region.go:29-52 (CREATE), :92-99 over region.go:54-74 (DELETE);
    // the sandbox's src/sandbox/kcm/region-webhook.ts.
    const backends = [sandboxEnv.backend, kcmEnv.backend] as const;
    const region = 'child-rw';
    const host = 'child-rw-host';
    const user = 'child-rw-user';
    const cred = 'child-rw-credential';
    const noKey = 'child-rw-nokey';
    const WEBHOOK = 'admission webhook "validation.region.k0rdent.mirantis.com" denied the request: ';
    const regionBody = (spec: Record<string, unknown>): KubeObject => ({
      apiVersion: 'k0rdent.mirantis.com/v1beta1',
      kind: 'Region',
      metadata: { name: region },
      spec,
    });
    const deploymentBody = (name: string, credential: string): KubeObject => ({
      apiVersion: 'k0rdent.mirantis.com/v1beta1',
      kind: 'ClusterDeployment',
      metadata: { name, namespace: SYSTEM },
      spec: { template: 'azure-standalone-cp-1-0-15', credential, config: { ...AZURE_BASELINE }, dryRun: true },
    });
    const cdWatches = await Promise.all(backends.map((b) => recordWatch(b, CLUSTER_DEPLOYMENTS, { namespace: SYSTEM })));
    const credWatches = await Promise.all(
      backends.map((b) => recordWatch(b, CREDENTIALS, { namespace: SYSTEM, fieldSelector: `metadata.name=${cred}` })),
    );
    const regionWatches = await Promise.all(backends.map((b) => recordWatch(b, REGIONS, { fieldSelector: `metadata.name=${region}` })));
    const leftovers: string[] = [];
    /** Drops spec.region from the Credential (allowed: its rule `self == oldSelf` does not run on a removal). */
    const leaveRegion = async (b: Backend): Promise<void> => {
      const stored = await b.get(CREDENTIALS, SYSTEM, cred);
      if ((stored?.['spec'] as { region?: string } | undefined)?.region === undefined) return;
      const res = await restOf(b.adminKubeconfig).raw({
        method: 'PATCH',
        path: resourcePath(CREDENTIALS, SYSTEM, cred),
        contentType: 'application/merge-patch+json',
        body: { spec: { region: null } },
      });
      assert.equal(res.status, 200, `${b.name}: the Credential leaves the Region: ${JSON.stringify(res.body)}`);
    };
    try {
      // CREATE (dry run: a backend that admitted one keeps nothing).
      const missingSecret = await askWithDetails({
        method: 'POST',
        path: resourcePath(REGIONS, undefined),
        query: { dryRun: 'All' },
        body: regionBody({ kubeConfig: { name: 'child-rw-absent', key: 'value' } }),
      });
      assert.deepEqual(missingSecret.sandbox, missingSecret.kcm, 'a missing kubeconfig Secret: the same answer');
      assert.deepEqual(missingSecret.kcm, {
        status: 404,
        reason: 'NotFound',
        message: `${WEBHOOK}Secret "child-rw-absent" not found`,
        warnings: [],
        details: { name: 'child-rw-absent', kind: 'Secret' },
      });
      for (const b of backends) {
        const secret = await restOf(b.adminKubeconfig).raw({
          method: 'POST',
          path: resourcePath(SECRETS, SYSTEM),
          body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: noKey, namespace: SYSTEM }, data: { other: 'eA==' } },
        });
        assert.equal(secret.status, 201, `${b.name}: ${JSON.stringify(secret.body)}`);
      }
      const missingKey = await askOnceKcmCaughtUp(
        {
          method: 'POST',
          path: resourcePath(REGIONS, undefined),
          query: { dryRun: 'All' },
          body: regionBody({ kubeConfig: { name: noKey, key: 'value' } }),
        },
        "kcm's cache holds the new Secret",
        (kcm) => kcm.status !== 404,
      );
      assert.deepEqual(missingKey.sandbox, missingKey.kcm, 'a Secret without the key: the same answer');
      assert.deepEqual(missingKey.kcm, {
        status: 403,
        reason: 'Forbidden',
        message: `${WEBHOOK}kubeConfig Secret does not have value key defined`,
        warnings: [],
        details: undefined,
      });
      const missingCd = await askWithDetails({
        method: 'POST',
        path: resourcePath(REGIONS, undefined),
        query: { dryRun: 'All' },
        body: regionBody({ clusterDeployment: { name: 'child-rw-absent', namespace: SYSTEM } }),
      });
      assert.deepEqual(missingCd.sandbox, missingCd.kcm, 'a missing ClusterDeployment: the same answer');
      assert.deepEqual(missingCd.kcm, {
        status: 404,
        reason: 'NotFound',
        message: `${WEBHOOK}ClusterDeployment.k0rdent.mirantis.com "child-rw-absent" not found`,
        warnings: [],
        details: { name: 'child-rw-absent', group: 'k0rdent.mirantis.com', kind: 'ClusterDeployment' },
      });

      // DELETE: a Credential (ready, with the seeded Azure credential's identity) used by a deployment, then given the
      // Region (spec.region may be set once: its rule `self == oldSelf` runs only when both exist).
      await Promise.all(
        backends.map(async (b, i) => {
          const rest = restOf(b.adminKubeconfig);
          const seeded = await b.get(CREDENTIALS, SYSTEM, 'azure-cluster-credential');
          const identityRef = (seeded?.['spec'] as { identityRef?: unknown } | undefined)?.identityRef;
          assert.ok(identityRef, `${b.name}: the seeded azure-cluster-credential names its identity`);
          const created = await rest.raw({
            method: 'POST',
            path: resourcePath(CREDENTIALS, SYSTEM),
            body: {
              apiVersion: 'k0rdent.mirantis.com/v1beta1',
              kind: 'Credential',
              metadata: { name: cred, namespace: SYSTEM },
              spec: { identityRef },
            },
          });
          assert.equal(created.status, 201, `${b.name}: ${JSON.stringify(created.body)}`);
          await credWatches[i]!.seen(
            `${cred} ready on ${b.name}`,
            (e) => (e.object['status'] as { ready?: boolean } | undefined)?.ready === true,
            {
              timeoutMs: 30_000,
            },
          );
          for (const [name, credential] of [
            [host, 'azure-cluster-credential'],
            [user, cred],
          ] as const) {
            const cd = await rest.raw({
              method: 'POST',
              path: resourcePath(CLUSTER_DEPLOYMENTS, SYSTEM),
              body: deploymentBody(name, credential),
            });
            assert.equal(cd.status, 201, `${b.name} ${name}: ${JSON.stringify(cd.body)}`);
          }
          // kcm's webhook Gets the host deployment from its cache, which may lag its creation: a 404 writes nothing,
          // so the create is sent again until it is not one.
          const rgn = await until(`${b.name}'s cache holds ${host}`, async () => {
            const res = await rest.raw({
              method: 'POST',
              path: resourcePath(REGIONS, undefined),
              body: regionBody({ clusterDeployment: { name: host, namespace: SYSTEM } }),
            });
            return res.status === 404 ? undefined : res;
          });
          assert.equal(rgn.status, 201, `${b.name}: ${JSON.stringify(rgn.body)}`);
          const patched = await rest.raw({
            method: 'PATCH',
            path: resourcePath(CREDENTIALS, SYSTEM, cred),
            contentType: 'application/merge-patch+json',
            body: { spec: { region } },
          });
          assert.equal(patched.status, 200, `${b.name}: ${JSON.stringify(patched.body)}`);
        }),
      );
      const refused = await askOnceKcmCaughtUp(
        { method: 'DELETE', path: resourcePath(REGIONS, undefined, region), query: { dryRun: 'All' } },
        'kcm refuses the Region DELETE once its cache holds the Credential in the Region',
        (kcm) => kcm.status !== 200,
      );
      assert.deepEqual(refused.sandbox, refused.kcm, 'a Region whose Credential a deployment uses: the same answer');
      assert.deepEqual(refused.kcm, {
        status: 403,
        reason: 'Forbidden',
        message: `${WEBHOOK}region deletion is forbidden`,
        warnings: ["The Region object can't be removed while any ClusterDeployment objects deployed in that Region still exist"],
        details: undefined,
      });
      // Once that deployment is gone, the Region goes (on both). The Credential leaves the Region first: kcm reconciles
      // a deployment whose Credential names a Region through that Region's cluster (its deletion too), and this
      // Region's cluster (the host deployment's, a dry run) has no kubeconfig, so the deletion would wait forever.
      await Promise.all(backends.map((b) => leaveRegion(b)));
      await Promise.all(
        backends.map(async (b, i) => {
          const rest = restOf(b.adminKubeconfig);
          const gone = await rest.raw({ method: 'DELETE', path: resourcePath(CLUSTER_DEPLOYMENTS, SYSTEM, user) });
          assert.ok(gone.status === 200 || gone.status === 202, `${b.name}: ${gone.status}`);
          await cdWatches[i]!.seen(`${user} gone on ${b.name}`, (e) => e.type === 'DELETED' && e.object.metadata.name === user, {
            timeoutMs: 60_000,
          });
        }),
      );
      const allowed = await askOnceKcmCaughtUp(
        { method: 'DELETE', path: resourcePath(REGIONS, undefined, region) },
        "kcm's cache no longer holds the deployment or the Credential's region",
        (kcm) => kcm.status !== 403,
      );
      assert.deepEqual(
        [(allowed.sandbox as Answer).status, (allowed.kcm as Answer).status],
        [200, 200],
        `the Region's DELETE is admitted on both once no deployment uses its Credential: ${JSON.stringify(allowed)}`,
      );
    } finally {
      // Leave the shared world as found, in the order the webhooks allow: the deployment that uses the Credential, the
      // Region, the deployment the Region names, the Credential, the Secret.
      await Promise.all(
        backends.map(async (b, i) => {
          const rest = restOf(b.adminKubeconfig);
          const wait = (w: RecordedWatch | undefined, what: string, name: string): Promise<unknown> =>
            (
              w?.seen(`${what} gone on ${b.name}`, (e) => e.type === 'DELETED' && e.object.metadata.name === name, { timeoutMs: 60_000 }) ??
              Promise.resolve()
            ).catch((err: Error) => leftovers.push(err.message));
          const remove = async (
            resource: ResourceKey,
            namespace: string | undefined,
            name: string,
            w: RecordedWatch | undefined,
          ): Promise<void> => {
            if (!(await b.get(resource, namespace, name))) return;
            // A webhook refusal (403) from a kcm cache that still holds what the previous step removed (a Region
            // naming the deployment, a deployment using the Credential) deletes nothing: sent again until it is not one.
            await until(`${name} deleted on ${b.name}`, async () => {
              const res = await rest.raw({ method: 'DELETE', path: resourcePath(resource, namespace, name) });
              return res.status === 403 ? undefined : true;
            }).catch((err: Error) => leftovers.push(err.message));
            await wait(w, name, name);
          };
          await leaveRegion(b).catch((err: Error) => leftovers.push(err.message));
          await remove(CLUSTER_DEPLOYMENTS, SYSTEM, user, cdWatches[i]);
          await remove(REGIONS, undefined, region, regionWatches[i]);
          await remove(CLUSTER_DEPLOYMENTS, SYSTEM, host, cdWatches[i]);
          await remove(CREDENTIALS, SYSTEM, cred, credWatches[i]);
          await rest.raw({ method: 'DELETE', path: resourcePath(SECRETS, SYSTEM, noKey) });
        }),
      );
      for (const w of [...cdWatches, ...credWatches, ...regionWatches]) w.stop();
    }
    assert.deepEqual(leftovers, [], 'the deployments, the Region and the Credential are gone on both');
  });

  it("regional clients (a difference removed): a Credential of a Region is checked in the Region's cluster — its identity missing there, the same on both", async () => {
    // The Region's cluster is the child control plane (its kubeconfig Secret in kcm-system: spec.kubeConfig), holding
    // the ProviderInterface and AzureClusterIdentity kinds but no object of either. Its kcm template names no
    // ProviderTemplate, so kcm's Region controller, which reaches the same cluster, installs nothing (no HelmRelease:
    // components/reconciler.go:193-199, capi waits on it :180-191) and its deletion has no HelmRelease to wait for
    // (region/controller.go:312-345).
    const cp = await child();
    const region = 'child-rgn';
    const secretName = `${region}-kubeconfig`;
    const cred = 'child-rgn-credential';
    const identity = {
      apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1',
      kind: 'AzureClusterIdentity',
      name: 'azure-cluster-identity',
      namespace: SYSTEM,
    };
    const backends = [sandboxEnv.backend, kcmEnv.backend] as const;
    const credWatches = await Promise.all(
      backends.map((b) => recordWatch(b, CREDENTIALS, { namespace: SYSTEM, fieldSelector: `metadata.name=${cred}` })),
    );
    const regionWatches = await Promise.all(backends.map((b) => recordWatch(b, REGIONS, { fieldSelector: `metadata.name=${region}` })));
    const eventWatches = await Promise.all(
      backends.map((b) => recordWatch(b, EVENTS, { namespace: SYSTEM, fieldSelector: `involvedObject.name=${cred}` })),
    );
    const ready = (o: KubeObject): Condition | undefined => conditionsOf(o).find((c) => c.type === 'CredentialReady');
    const created: Backend[] = [];
    const leftovers: string[] = [];
    try {
      for (const b of backends) {
        const rest = restOf(b.adminKubeconfig);
        const secret = await rest.raw({
          method: 'POST',
          path: resourcePath(SECRETS, SYSTEM),
          body: {
            apiVersion: 'v1',
            kind: 'Secret',
            metadata: { name: secretName, namespace: SYSTEM },
            data: { value: Buffer.from(cp.adminKubeconfig).toString('base64') },
          },
        });
        assert.equal(secret.status, 201, `${b.name}: ${JSON.stringify(secret.body)}`);
        created.push(b);
        const rgn = await rest.raw({
          method: 'POST',
          path: resourcePath(REGIONS, undefined),
          body: {
            apiVersion: 'k0rdent.mirantis.com/v1beta1',
            kind: 'Region',
            metadata: { name: region },
            spec: { kubeConfig: { name: secretName, key: 'value' }, core: { kcm: { template: 'child-test-absent' } } },
          },
        });
        assert.equal(rgn.status, 201, `${b.name}: ${JSON.stringify(rgn.body)}`);
        const credential = await rest.raw({
          method: 'POST',
          path: resourcePath(CREDENTIALS, SYSTEM),
          body: {
            apiVersion: 'k0rdent.mirantis.com/v1beta1',
            kind: 'Credential',
            metadata: { name: cred, namespace: SYSTEM },
            spec: { region, identityRef: identity },
          },
        });
        assert.equal(credential.status, 201, `${b.name}: ${JSON.stringify(credential.body)}`);
      }
      // One Credential reconcile on each: the first CredentialReady each writes.
      const [ws, wk] = credWatches as unknown as [RecordedWatch, RecordedWatch];
      const sandboxReady = ready((await ws.seen(`${cred} reconciled on the sandbox`, (e) => ready(e.object) !== undefined)).object);
      const kcmReady = ready(
        (
          await wk
            .seen(`${cred} reconciled on kcm`, (e) => ready(e.object) !== undefined, { timeoutMs: 30_000 })
            .catch((err: Error) => {
              throw new Error(err.message + kcmLog());
            })
        ).object,
      );
      const brief = (c: Condition | undefined): string => `${c?.status}/${c?.reason}: ${c?.message}`;
      // kcm (credential_controller.go:99-150): the regional client from the Region's kubeconfig Secret
      // (internal/util/kube/client.go:151-175); no ProviderInterface there, so nothing to copy
      // (clusteridentities.go:115-124); the identity looked up there, not found.
      const missing = `ClusterIdentity object of Kind=AzureClusterIdentity ${SYSTEM}/azure-cluster-identity not found`;
      assert.equal(brief(kcmReady), `False/Failed: ${missing}`, 'kcm looked the identity up in the Region cluster');
      assert.equal(brief(sandboxReady), `False/Failed: ${missing}`, 'the sandbox looked the identity up in the Region cluster');
      for (const [i, b] of backends.entries()) {
        const event = await eventWatches[i]!.seen(
          `${b.name}'s MissingClusterIdentity event`,
          (e) => e.object['reason'] === 'MissingClusterIdentity',
        );
        assert.deepEqual([event.object['type'], event.object['message']], ['Warning', missing], b.name);
      }
      // The identity kcm did not find there is in its management cluster (the seeded azure-cluster-credential's); the
      // sandbox holds no identity objects in its own API.
      assert.ok(
        await kcmEnv.backend.get(
          { group: 'infrastructure.cluster.x-k8s.io', version: 'v1beta1', plural: 'azureclusteridentities' },
          SYSTEM,
          identity.name,
        ),
        'kcm: the identity is in the management cluster',
      );
      // A deployment with the regional Credential (dry run): kcm's webhook checks the template's providers against the
      // Region's status.availableProviders before the Credential (clusterdeployment_webhook.go:58-89), and this Region
      // exposes none, so the regional client of cd.go:94-97 is not reached here.
      const admitted = await ask({
        method: 'POST',
        path: resourcePath(CLUSTER_DEPLOYMENTS, SYSTEM),
        query: { dryRun: 'All' },
        body: {
          apiVersion: 'k0rdent.mirantis.com/v1beta1',
          kind: 'ClusterDeployment',
          metadata: { name: 'child-rgn-cd', namespace: SYSTEM },
          spec: { template: 'azure-standalone-cp-1-0-15', credential: cred, config: { ...AZURE_BASELINE } },
        },
      });
      assert.deepEqual(admitted.sandbox, admitted.kcm, 'the same admission answer');
      assert.deepEqual(admitted.kcm, {
        status: 403,
        reason: 'Forbidden',
        message: `admission webhook "validation.clusterdeployment.k0rdent.mirantis.com" denied the request: failed to validate required providers: incompatible providers in Region ${region}: one or more required providers are not deployed yet: [bootstrap-k0sproject-k0smotron control-plane-k0sproject-k0smotron infrastructure-azure]`,
        warnings: ['Failed to validate required providers'],
      });
    } finally {
      // Leave the shared world as found: the Credential (kcm refuses a Region's deletion only while a deployment uses a
      // Credential of it: validation/region.go:54-74; none does here), then the Region (kcm's finalizer goes with nothing to remove), then the Secret.
      for (const [i, b] of created.entries()) {
        const rest = restOf(b.adminKubeconfig);
        await rest.raw({ method: 'DELETE', path: resourcePath(CREDENTIALS, SYSTEM, cred) });
        await credWatches[i]
          ?.seen(`${cred} gone on ${b.name}`, (e) => e.type === 'DELETED', { timeoutMs: 30_000 })
          .catch((err: Error) => leftovers.push(err.message));
        await rest.raw({ method: 'DELETE', path: resourcePath(REGIONS, undefined, region) });
        await regionWatches[i]
          ?.seen(`${region} gone on ${b.name}`, (e) => e.type === 'DELETED', { timeoutMs: 30_000 })
          .catch(() => undefined);
        await rest.raw({ method: 'DELETE', path: resourcePath(SECRETS, SYSTEM, secretName) });
      }
      for (const w of [...credWatches, ...regionWatches, ...eventWatches]) w.stop();
    }
    assert.deepEqual(leftovers, [], 'the Credential and the Region are gone on both');
  });
});
