/**
 * Two rows of docs/sandbox.md "What still differs from kcm" held against the real kcm v1.11.4 (issue 20 item 5):
 * the same requests to the embedded sandbox's simulated kcm and to real kcm (the `kcm` backend, the run's shared
 * world), admission answers compared after normalising only what is named as the difference.
 *
 * - dependency error order: kcm's ClusterDeployment webhook runs ValidateServiceDependencyOverall last
 *   (kcm v1.11.4 `internal/webhook/clusterdeployment_webhook.go:84`); it walks the services in Go map order
 *   (`internal/util/validation/services.go:151`, hasCycle `:189`), the sandbox in spec order. One service's own
 *   dependencies keep their `dependsOn` order on both (a slice); across services kcm's order varies from call to call.
 * - ProviderInterface lookup: no difference any more. kcm finds a provider's interface by the
 *   `cluster.x-k8s.io/provider` label, else by the Flux chart-name label of the component that exposes the provider
 *   (`internal/providerinterface/util.go:65-115`); the sandbox does the same (src/sandbox/kcm/admission.ts).
 *
 * Only admission answers (dry runs: nothing is deployed) and one ServiceTemplate's status: this file runs on the
 * real-kcm lane, the run's critical path. The services name a ServiceTemplate with a local ConfigMap source, which kcm
 * validates at once (`internal/controller/servicetemplate_controller.go:104-154`) where a chart source waited ~10 s
 * for its HelmChart here (two 5 s requeues); the sandbox validates it the same way (src/sandbox/kcm/service-templates.ts).
 * The shared world is left as it was found: the ServiceTemplate, its ConfigMap and the ProviderInterface this file
 * makes are deleted, and the shipped interface it relabels gets its labels back (`after`).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import type { KubeObject, ResourceKey } from '../../src/sandbox/apiserver/types.js';
import { CLUSTER_DEPLOYMENTS } from '../../src/sandbox/kcm/resources.js';
import { KubeRest, resourcePath } from '../../src/sandbox/kube/rest.js';
import { kcmSkipReason, type Backend } from '../helpers/backend.js';
import { AZURE_BASELINE } from '../helpers/clusters-harness.js';
import { useBackend } from '../helpers/lifecycle.js';
import { until } from '../helpers/until.js';
import { recordWatch } from '../helpers/watch.js';
import { conditionsOf, type Answer, answerOf } from '../helpers/answers.js';

const SYSTEM = 'kcm-system';
const K0RDENT = 'k0rdent.mirantis.com';
const SERVICE_TEMPLATES: ResourceKey = { group: K0RDENT, version: 'v1beta1', plural: 'servicetemplates' };
const PROVIDER_INTERFACES: ResourceKey = { group: K0RDENT, version: 'v1beta1', plural: 'providerinterfaces' };
const CONFIG_MAPS: ResourceKey = { group: '', version: 'v1', plural: 'configmaps' };
const MULTI_CLUSTER_SERVICES: ResourceKey = { group: K0RDENT, version: 'v1beta1', plural: 'multiclusterservices' };
const SERVICE_SETS: ResourceKey = { group: K0RDENT, version: 'v1beta1', plural: 'servicesets' };
const CORE_EVENTS: ResourceKey = { group: '', version: 'v1', plural: 'events' };

const TEMPLATE = 'kcm-diff-svc-local';
const MANIFESTS = 'kcm-diff-svc-manifests';
const MCS = 'kcm-diff-svc-deps';
/** A MultiClusterService whose template is in the system namespace only. */
const MCS_NS = 'kcm-diff-svc-ns';
/** The shipped interface this file relabels, and the one it makes: found only by the Flux label of the component. */
const SHIPPED_PI = 'cluster-api-provider-openstack';
const FALLBACK_PI = 'kcm-diff-svc-fallback-openstack';
const PROVIDER_LABEL = 'cluster.x-k8s.io/provider';
const FLUX_NAME_LABEL = 'helm.toolkit.fluxcd.io/name';
/** The component of kcm's Management that exposes infrastructure-openstack (its `status.components`). */
const OPENSTACK_COMPONENT = 'cluster-api-provider-openstack';

interface Service {
  name: string;
  namespace?: string;
  template: string;
  dependsOn?: { name: string; namespace?: string }[];
}

/** A ClusterDeployment kcm admits up to its services: the Azure baseline with the seeded Azure Credential. */
function deployment(name: string, services: Service[]): KubeObject {
  return {
    apiVersion: `${K0RDENT}/v1beta1`,
    kind: 'ClusterDeployment',
    metadata: { name, namespace: SYSTEM },
    spec: {
      template: 'azure-standalone-cp-1-0-15',
      credential: 'azure-cluster-credential',
      config: { ...AZURE_BASELINE },
      serviceSpec: { services },
    },
  } as KubeObject;
}

const DENIED = 'admission webhook "validation.clusterdeployment.k0rdent.mirantis.com" denied the request: ';
const DEPENDENCIES = `${DENIED}the ClusterDeployment is invalid: some services have invalid dependencies\n`;
const MISSING = /^dependency (\S+) of service (\S+) is not defined as a service$/;

/**
 * The one normalisation of the dependency error: its lines grouped by service in the order the services are listed
 * (a stable sort, so each service's own lines keep their order). The sandbox's answer is already in that order.
 */
function inSpecOrder(message: string, services: Service[], prefix = DEPENDENCIES): string {
  const head = `${prefix}failed service dependency validation: `;
  assert.ok(message.startsWith(head), message);
  const lines = message.slice(head.length).split('\n');
  const rank = (line: string): number => {
    const service = MISSING.exec(line)?.[2];
    const index = services.findIndex((s) => `${s.namespace ?? 'default'}/${s.name}` === service);
    assert.ok(index >= 0, `a line of no listed service: ${line}`);
    return index;
  };
  return head + [...lines].sort((a, b) => rank(a) - rank(b)).join('\n');
}

const kcmSkip = kcmSkipReason();

describe('services validation and ProviderInterface lookup: the simulated kcm against real kcm v1.11.4', { skip: kcmSkip }, () => {
  const sandboxEnv = useBackend('sandbox', { provisionSeconds: 1, deleteSeconds: 1 }, false);
  const kcmEnv = useBackend('kcm', { provisionSeconds: 1, deleteSeconds: 1 }, false);
  const both = (): [Backend, Backend] => [sandboxEnv.backend, kcmEnv.backend];
  const restOf = (b: Backend | string): KubeRest => {
    const kc = new KubeConfig();
    kc.loadFromString(typeof b === 'string' ? b : b.adminKubeconfig);
    return new KubeRest(kc);
  };
  /** The same request to both backends, answers normalised. */
  async function ask(spec: Parameters<KubeRest['raw']>[0]): Promise<{ sandbox: Answer; kcm: Answer }> {
    const [s, k] = both();
    return { sandbox: answerOf(await restOf(s).raw(spec)), kcm: answerOf(await restOf(k).raw(spec)) };
  }
  const dryRun = (object: KubeObject): Parameters<KubeRest['raw']>[0] => ({
    method: 'POST',
    path: resourcePath(CLUSTER_DEPLOYMENTS, object.metadata.namespace),
    query: { dryRun: 'All' },
    body: object,
  });

  /**
   * A MultiClusterService selecting `env: dev` (the seeded team-alpha/alpha-dev-cluster on both), made with kcm's
   * finalizer and component label so that kcm's first reconcile validates it (multiclusterservice_controller.go:106-124).
   */
  const createDevMcs = (b: Backend, name: string, services: Service[]): ReturnType<KubeRest['raw']> =>
    restOf(b).raw({
      method: 'POST',
      path: resourcePath(MULTI_CLUSTER_SERVICES, undefined),
      body: {
        apiVersion: `${K0RDENT}/v1beta1`,
        kind: 'MultiClusterService',
        metadata: {
          name,
          labels: { 'k0rdent.mirantis.com/component': 'kcm' },
          finalizers: ['k0rdent.mirantis.com/multicluster-service'],
        },
        spec: { clusterSelector: { matchLabels: { env: 'dev' } }, serviceSpec: { services } },
      },
    });
  /** The ServiceSets a MultiClusterService has on a backend. */
  const setsOf = async (b: Backend, mcs: string): Promise<KubeObject[]> =>
    (await b.list(SERVICE_SETS)).filter(
      (set) => (set['spec'] as { multiClusterService?: string } | undefined)?.multiClusterService === mcs,
    );

  // What this file changed on the shared world, undone as the admin (useBackend's own after hook runs first; on the
  // shared world its close leaves the world running). The embedded sandbox is this file's own and goes with it.
  let kcmAdmin: string | undefined;
  let shippedLabels: Record<string, string> | undefined;
  before(() => {
    kcmAdmin = kcmEnv.backend.adminKubeconfig;
  });
  after(async () => {
    if (!kcmAdmin) return;
    const admin = restOf(kcmAdmin);
    if (shippedLabels)
      await admin.raw({
        method: 'PATCH',
        path: resourcePath(PROVIDER_INTERFACES, undefined, SHIPPED_PI),
        contentType: 'application/merge-patch+json',
        body: { metadata: { labels: { ...shippedLabels, [FLUX_NAME_LABEL]: null } } },
      });
    await admin.raw({ method: 'DELETE', path: resourcePath(PROVIDER_INTERFACES, undefined, FALLBACK_PI) });
    // kcm lets a MultiClusterService go (its finalizer) in its next reconcile; should it not, the finalizer goes here.
    for (const name of [MCS, MCS_NS]) {
      await admin.raw({ method: 'DELETE', path: resourcePath(MULTI_CLUSTER_SERVICES, undefined, name) });
      await until(
        `${name} gone on kcm`,
        async () => (await admin.raw({ method: 'GET', path: resourcePath(MULTI_CLUSTER_SERVICES, undefined, name) })).status === 404,
        { timeoutMs: 20_000, everyMs: 100 },
      ).catch(async () => {
        await admin.raw({
          method: 'PATCH',
          path: resourcePath(MULTI_CLUSTER_SERVICES, undefined, name),
          contentType: 'application/merge-patch+json',
          body: { metadata: { finalizers: null } },
        });
      });
    }
    await admin.raw({ method: 'DELETE', path: resourcePath(SERVICE_TEMPLATES, SYSTEM, TEMPLATE) });
    await admin.raw({ method: 'DELETE', path: resourcePath(CONFIG_MAPS, SYSTEM, MANIFESTS) });
    // The files after this one find the world as this one found it, or this file fails (not a log line).
    const left: string[] = [];
    if (shippedLabels) {
      const shipped = await admin.raw({ method: 'GET', path: resourcePath(PROVIDER_INTERFACES, undefined, SHIPPED_PI) });
      const labels = (shipped.body as KubeObject | undefined)?.metadata?.labels ?? {};
      if (JSON.stringify(labels) !== JSON.stringify(shippedLabels)) left.push(`${SHIPPED_PI} labelled ${JSON.stringify(labels)}`);
    }
    for (const [resource, namespace, name] of [
      [PROVIDER_INTERFACES, undefined, FALLBACK_PI],
      [MULTI_CLUSTER_SERVICES, undefined, MCS],
      [MULTI_CLUSTER_SERVICES, undefined, MCS_NS],
      [SERVICE_TEMPLATES, SYSTEM, TEMPLATE],
      [CONFIG_MAPS, SYSTEM, MANIFESTS],
    ] as const) {
      const gone = await until(
        `${resource.plural} ${name} gone`,
        async () => (await admin.raw({ method: 'GET', path: resourcePath(resource, namespace, name) })).status === 404,
        { timeoutMs: 10_000, everyMs: 100 },
      ).catch(() => false);
      if (!gone) left.push(`${resource.plural} ${name} still there`);
    }
    if (left.length > 0) throw new Error(`the shared real-kcm world is not as this file found it: ${left.join('; ')}`);
  });

  describe('dependency error order', () => {
    before(async () => {
      // The services' ServiceTemplate (kcm refuses undefined dependencies only after every template is valid:
      // clusterdeployment_webhook.go:80-86). A ConfigMap source: valid at once on both, with the same status.
      for (const b of both()) {
        const watch = await recordWatch(b, SERVICE_TEMPLATES, { namespace: SYSTEM, fieldSelector: `metadata.name=${TEMPLATE}` });
        try {
          const cm = await restOf(b).raw({
            method: 'POST',
            path: resourcePath(CONFIG_MAPS, SYSTEM),
            body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: MANIFESTS, namespace: SYSTEM }, data: {} },
          });
          assert.equal(cm.status, 201, `${b.name}: ${JSON.stringify(cm.body)}`);
          const st = await restOf(b).raw({
            method: 'POST',
            path: resourcePath(SERVICE_TEMPLATES, SYSTEM),
            body: {
              apiVersion: `${K0RDENT}/v1beta1`,
              kind: 'ServiceTemplate',
              // Carrying kcm's component label already: kcm adds it first and requeues the template 5 s later
              // (servicetemplate_controller.go:75-80, internal/util/labels/label.go:29-39, ratelimit.go:26).
              metadata: { name: TEMPLATE, namespace: SYSTEM, labels: { 'k0rdent.mirantis.com/component': 'kcm' } },
              spec: { resources: { localSourceRef: { kind: 'ConfigMap', name: MANIFESTS }, deploymentType: 'Remote' } },
            },
          });
          assert.equal(st.status, 201, `${b.name}: ${JSON.stringify(st.body)}`);
          const seen = await watch.seen(
            `${TEMPLATE} valid on ${b.name}`,
            (e) => (e.object['status'] as { valid?: boolean } | undefined)?.valid === true,
            {
              timeoutMs: 30_000,
            },
          );
          assert.deepEqual(seen.object['status'], {
            observedGeneration: 1,
            sourceStatus: { kind: 'ConfigMap', name: MANIFESTS, namespace: SYSTEM },
            valid: true,
          });
        } finally {
          watch.stop();
        }
      }
    });

    it("one service's undefined dependencies: the same answer on both, in its dependsOn order", async () => {
      const services: Service[] = [
        {
          name: 'app',
          namespace: 'apps',
          template: TEMPLATE,
          dependsOn: [{ name: 'db', namespace: 'data' }, { name: 'cache' }, { name: 'queue', namespace: 'mq' }],
        },
      ];
      const { sandbox, kcm } = await ask(dryRun(deployment('kcm-diff-svc-deps-one', services)));
      assert.deepEqual(kcm, {
        status: 403,
        reason: 'Forbidden',
        message:
          `${DEPENDENCIES}failed service dependency validation: dependency data/db of service apps/app is not defined as a service\n` +
          'dependency default/cache of service apps/app is not defined as a service\n' +
          'dependency mq/queue of service apps/app is not defined as a service',
        warnings: [],
      });
      assert.deepEqual(sandbox, kcm);
    });

    it("several services' undefined dependencies: the same lines; the sandbox in spec order, kcm in Go map order (the one difference)", async () => {
      const services: Service[] = [
        { name: 'a', namespace: 'apps', template: TEMPLATE, dependsOn: [{ name: 'x' }] },
        { name: 'b', namespace: 'apps', template: TEMPLATE, dependsOn: [{ name: 'ydep', namespace: 'data' }] },
        { name: 'c', namespace: 'apps', template: TEMPLATE, dependsOn: [{ name: 'z' }, { name: 'w' }] },
        { name: 'd', namespace: 'apps', template: TEMPLATE, dependsOn: [{ name: 'a', namespace: 'apps' }] },
      ];
      const { sandbox, kcm } = await ask(dryRun(deployment('kcm-diff-svc-deps-many', services)));
      const expected =
        `${DEPENDENCIES}failed service dependency validation: dependency default/x of service apps/a is not defined as a service\n` +
        'dependency data/ydep of service apps/b is not defined as a service\n' +
        'dependency default/z of service apps/c is not defined as a service\n' +
        'dependency default/w of service apps/c is not defined as a service';
      // The sandbox: spec order, nothing to normalise.
      assert.deepEqual(sandbox, { status: 403, reason: 'Forbidden', message: expected, warnings: [] });
      // kcm: the same lines in some order of the services, each service's own lines in its order.
      assert.deepEqual({ ...kcm, message: inSpecOrder(kcm.message, services) }, sandbox);
    });

    it('a cycle reachable from several starts: named at the first service in spec order by the sandbox, at any of them by kcm', async () => {
      const services: Service[] = [
        { name: 'a', namespace: 'apps', template: TEMPLATE, dependsOn: [{ name: 'b', namespace: 'apps' }] },
        { name: 'b', namespace: 'apps', template: TEMPLATE, dependsOn: [{ name: 'a', namespace: 'apps' }] },
        { name: 'c', namespace: 'apps', template: TEMPLATE, dependsOn: [{ name: 'c', namespace: 'apps' }] },
      ];
      const { sandbox, kcm } = await ask(dryRun(deployment('kcm-diff-svc-cycle', services)));
      const cycle = (node: string): string =>
        `${DEPENDENCIES}failed service dependency cycle validation: dependency cycle detected at ${node}`;
      assert.deepEqual(sandbox, { status: 403, reason: 'Forbidden', message: cycle('apps/a'), warnings: [] });
      // hasCycle starts from each node in Go map order: the first one it starts from is the one named.
      assert.ok(
        ['apps/a', 'apps/b', 'apps/c'].some((node) => kcm.message === cycle(node)),
        `kcm named no node of the cycles: ${kcm.message}`,
      );
      assert.deepEqual({ ...kcm, message: cycle('apps/a') }, sandbox);
    });
    it('a MultiClusterService with undefined dependencies (a difference removed): ServicesDependencyValidation and Ready fail with the same text on both, with the same Warning event, and no service reaches a cluster', async () => {
      // kcm v1.11.4 multiclusterservice_controller.go:127-158: the services' templates (in the system namespace), then
      // their dependencies, each a condition; a failure is Ready=False with its text, a Warning event (record.Warnf:
      // reason the condition, action ValidateServiceDependencies; a cluster-scoped object's events go to `default`) and
      // ends the reconcile (no ServiceSets). Made with kcm's finalizer and component label, so kcm's first reconcile
      // validates (:106-124). The sandbox: src/sandbox/kcm/services.ts multiClusterServiceChecks.
      const services: Service[] = [
        { name: 'a', namespace: 'apps', template: TEMPLATE, dependsOn: [{ name: 'x' }] },
        { name: 'b', namespace: 'apps', template: TEMPLATE, dependsOn: [{ name: 'z' }] },
      ];
      const message =
        'some services have invalid dependencies\nfailed service dependency validation: ' +
        'dependency default/x of service apps/a is not defined as a service\ndependency default/z of service apps/b is not defined as a service';
      // kcm's lines in Go map order, as the webhook's: grouped by spec order for the comparison.
      const prefix = 'some services have invalid dependencies\n';
      const normalised = (text: string): string => (text ? inSpecOrder(text, services, prefix) : text);
      const outcomeOn = async (b: Backend): Promise<{ conditions: string[][]; event: string[] }> => {
        const watch = await recordWatch(b, MULTI_CLUSTER_SERVICES, { fieldSelector: `metadata.name=${MCS}` });
        const events = await recordWatch(b, CORE_EVENTS, { namespace: 'default', fieldSelector: `involvedObject.name=${MCS}` });
        try {
          // The selector matches the seeded dev deployment on both: no ServiceSet may be made for it.
          const made = await createDevMcs(b, MCS, services);
          assert.equal(made.status, 201, `${b.name}: ${JSON.stringify(made.body)}`);
          const seen = await watch.seen(
            `${MCS} has a Ready condition on ${b.name}`,
            (e) => conditionsOf(e.object).some((c) => c.type === 'Ready'),
            {
              timeoutMs: 30_000,
            },
          );
          const warned = await events.seen(
            `${MCS}'s Warning event on ${b.name}`,
            (e) => e.object['reason'] === 'ServicesDependencyValidation',
            {
              timeoutMs: 30_000,
            },
          );
          return {
            conditions: conditionsOf(seen.object).map((c) => [c.type, c.status, c.reason ?? '', normalised(c.message ?? '')]),
            event: [
              String(warned.object['type']),
              String(warned.object['reason']),
              String((warned.object['action'] as string | undefined) ?? ''),
              normalised(String(warned.object['message'])),
            ],
          };
        } finally {
          watch.stop();
          events.stop();
        }
      };
      const [sandbox, kcm] = await Promise.all(both().map(outcomeOn));
      assert.deepEqual(kcm, {
        conditions: [
          ['ServicesReferencesValidation', 'True', 'Succeeded', ''],
          ['ServicesDependencyValidation', 'False', 'Failed', message],
          ['Ready', 'False', 'Failed', message],
        ],
        event: ['Warning', 'ServicesDependencyValidation', 'ValidateServiceDependencies', message],
      });
      assert.deepEqual(sandbox, kcm, 'the same conditions and event on the sandbox');
      // Its services reach no cluster on either: no ServiceSet names it, and the matched deployment lists none of them
      // (read at each backend's quiet point, so nothing still queued is missed).
      for (const b of both()) {
        await b.writeMarker();
        assert.deepEqual(await setsOf(b, MCS), [], `${b.name}: no ServiceSet of ${MCS}`);
        const dev = await b.get(CLUSTER_DEPLOYMENTS, 'team-alpha', 'alpha-dev-cluster');
        assert.ok(dev, `${b.name}: the seeded dev deployment the selector matches`);
        const listed = ((dev['status'] as { services?: { name: string; namespace?: string }[] } | undefined)?.services ?? []).filter(
          (svc) => svc.namespace === 'apps',
        );
        assert.deepEqual(listed, [], `${b.name}: none of ${MCS}'s services on alpha-dev-cluster`);
      }
    });

    it('a MultiClusterService whose template is only in kcm-system (a difference, asserted as it is): kcm makes no ServiceSet for a matched deployment of another namespace, the sandbox makes one', async () => {
      // kcm v1.11.4 internal/serviceset/util.go:744-755 (ResolveServicesToApply: templateNamespace is the ServiceSet's,
      // the deployment's namespace; fillServiceVersions :86-92 Gets the template there) while its checks look in the
      // system namespace (multiclusterservice_controller.go:127); the sandbox takes an MCS's templates from kcm-system
      // (src/sandbox/kcm/services.ts templateNamespaceOf). The selector matches the seeded team-alpha/alpha-dev-cluster.
      const services: Service[] = [{ name: 'probe', namespace: 'apps', template: TEMPLATE }];
      const outcomeOn = async (b: Backend): Promise<{ clusters: string; sets: number }> => {
        const watch = await recordWatch(b, MULTI_CLUSTER_SERVICES, { fieldSelector: `metadata.name=${MCS_NS}` });
        const setWatch = await recordWatch(b, SERVICE_SETS, { namespace: 'team-alpha' });
        try {
          const made = await createDevMcs(b, MCS_NS, services);
          assert.equal(made.status, 201, `${b.name}: ${JSON.stringify(made.body)}`);
          const counted = await watch.seen(
            `${MCS_NS} counts its clusters on ${b.name}`,
            (e) => conditionsOf(e.object).some((c) => c.type === 'ClusterInReadyState'),
            { timeoutMs: 30_000 },
          );
          if (b.name === 'sandbox')
            await setWatch.seen(
              `${MCS_NS}'s ServiceSet on the sandbox`,
              (e) => (e.object['spec'] as { multiClusterService?: string } | undefined)?.multiClusterService === MCS_NS,
            );
          else await b.writeMarker();
          const sets = await setsOf(b, MCS_NS);
          return { clusters: conditionsOf(counted.object).find((c) => c.type === 'ClusterInReadyState')?.message ?? '', sets: sets.length };
        } finally {
          watch.stop();
          setWatch.stop();
          await restOf(b).raw({ method: 'DELETE', path: resourcePath(MULTI_CLUSTER_SERVICES, undefined, MCS_NS) });
        }
      };
      const [sandbox, kcm] = await Promise.all(both().map(outcomeOn));
      assert.deepEqual(kcm, { clusters: '0/1', sets: 0 }, 'kcm: the template is not in team-alpha, so no ServiceSet');
      assert.deepEqual(sandbox?.sets, 1, 'the sandbox: a ServiceSet for alpha-dev-cluster (KNOWN: templates from kcm-system)');
    });
  });

  describe('ProviderInterface lookup (a difference removed: the same on both)', () => {
    // No deployment of the shared world is an OpenStack one: relabelling its interface changes no other file's answers.
    const openstack: KubeObject = {
      apiVersion: `${K0RDENT}/v1beta1`,
      kind: 'ClusterDeployment',
      metadata: { name: 'kcm-diff-svc-openstack', namespace: SYSTEM },
      spec: { template: 'openstack-standalone-cp-1-0-46', credential: 'openstack-cluster-credential', config: {} },
    };
    const SECRET_REFUSED = `${DENIED}the ClusterDeployment is invalid: provider infrastructure-openstack does not support ClusterIdentity Kind Secret from the Credential kcm-system/openstack-cluster-credential`;
    const UNSUPPORTED = `${DENIED}the ClusterDeployment is invalid: unsupported infrastructure provider infrastructure-openstack`;
    const relabel = async (b: Backend, name: string, labels: Record<string, string | null>): Promise<void> => {
      const res = await restOf(b).raw({
        method: 'PATCH',
        path: resourcePath(PROVIDER_INTERFACES, undefined, name),
        contentType: 'application/merge-patch+json',
        body: { metadata: { labels } },
      });
      assert.equal(res.status, 200, `${b.name}: ${JSON.stringify(res.body)}`);
    };
    /**
     * The dry run on both once kcm's webhook answers `message` (its client is the informer cache, which sees a
     * relabel a moment after the API answered it; bounded: a kcm that never answers it fails here), then compared.
     */
    const askAfterChange = async (message: string): Promise<{ sandbox: Answer; kcm: Answer }> => {
      const k = kcmEnv.backend;
      await until(
        `kcm answers: ${message.slice(DENIED.length)}`,
        async () => (answerOf(await restOf(k).raw(dryRun(openstack))).message === message ? true : undefined),
        { timeoutMs: 15_000, everyMs: 100 },
      ).catch(async (err: Error) => {
        throw new Error(`${err.message}; kcm answered ${JSON.stringify(answerOf(await restOf(k).raw(dryRun(openstack))))}`);
      });
      return ask(dryRun(openstack));
    };

    it('the CAPI label first; else the Flux chart-name label of the component exposing the provider; else unsupported', async () => {
      for (const b of both()) {
        const shipped = await b.get(PROVIDER_INTERFACES, undefined, SHIPPED_PI);
        assert.ok(shipped, `${b.name}: ${SHIPPED_PI}`);
        assert.equal(shipped.metadata.labels?.[PROVIDER_LABEL], 'infrastructure-openstack');
        assert.equal(shipped.metadata.labels?.[FLUX_NAME_LABEL], undefined);
        if (b.name === 'kcm') shippedLabels = { ...shipped.metadata.labels };
        // The component that exposes the provider, whose release name the fallback looks for.
        const management = await b.get({ group: K0RDENT, version: 'v1beta1', plural: 'managements' }, undefined, 'kcm');
        const components =
          (management?.['status'] as { components?: Record<string, { exposedProviders?: string[] }> } | undefined)?.components ?? {};
        assert.deepEqual(
          Object.keys(components).filter((c) => components[c]?.exposedProviders?.includes('infrastructure-openstack')),
          [OPENSTACK_COMPONENT],
          `${b.name}: the component exposing infrastructure-openstack`,
        );
      }
      // Step 1: an interface carrying only the Flux label, its identity kinds without Secret: the labelled one still wins.
      for (const b of both()) {
        const made = await restOf(b).raw({
          method: 'POST',
          path: resourcePath(PROVIDER_INTERFACES, undefined),
          body: {
            apiVersion: `${K0RDENT}/v1beta1`,
            kind: 'ProviderInterface',
            metadata: { name: FALLBACK_PI, labels: { [FLUX_NAME_LABEL]: OPENSTACK_COMPONENT } },
            spec: {
              clusterIdentities: [{ group: 'infrastructure.cluster.x-k8s.io', version: 'v1alpha1', kind: 'OpenStackClusterIdentity' }],
              description: 'kcm-differential-services: found only by the Flux chart-name label',
            },
          },
        });
        assert.equal(made.status, 201, `${b.name}: ${JSON.stringify(made.body)}`);
      }
      const labelled = await ask(dryRun(openstack));
      assert.deepEqual(labelled.kcm, { status: 201, reason: '', message: '', warnings: [] });
      assert.deepEqual(labelled.sandbox, labelled.kcm);

      // Step 2: the shipped interface loses the CAPI label: the fallback finds the new one, which has no Secret kind.
      for (const b of both()) await relabel(b, SHIPPED_PI, { [PROVIDER_LABEL]: null });
      const fallback = await askAfterChange(SECRET_REFUSED);
      assert.deepEqual(fallback.kcm, { status: 403, reason: 'Forbidden', message: SECRET_REFUSED, warnings: [] });
      assert.deepEqual(fallback.sandbox, fallback.kcm);

      // Step 3: nothing carries either label: no interface, the provider unsupported.
      for (const b of both()) await relabel(b, FALLBACK_PI, { [FLUX_NAME_LABEL]: null });
      const none = await askAfterChange(UNSUPPORTED);
      assert.deepEqual(none.kcm, { status: 403, reason: 'Forbidden', message: UNSUPPORTED, warnings: [] });
      assert.deepEqual(none.sandbox, none.kcm);
    });

    it("under a Region the Flux label names the Region's release, `<region>-<component>` (the sandbox only: the real-kcm seed has no Region)", async () => {
      // kcm: helm.ReleaseName(parent.HelmReleasePrefix(), component) with the Credential's Region as the parent
      // (internal/providerinterface/util.go:102, api/v1beta1/region_types.go:129-131, internal/helm/release.go:137-142).
      const b = sandboxEnv.backend;
      const rest = restOf(b);
      const made = await rest.raw({
        method: 'POST',
        path: resourcePath({ group: K0RDENT, version: 'v1beta1', plural: 'credentials' }, SYSTEM),
        body: {
          apiVersion: `${K0RDENT}/v1beta1`,
          kind: 'Credential',
          metadata: { name: 'kcm-diff-svc-west', namespace: SYSTEM },
          spec: {
            region: 'region-west',
            identityRef: {
              apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1',
              kind: 'AzureClusterIdentity',
              name: 'azure-cluster-identity',
              namespace: SYSTEM,
            },
          },
        },
      });
      assert.equal(made.status, 201, JSON.stringify(made.body));
      const watch = await recordWatch(
        b,
        { group: K0RDENT, version: 'v1beta1', plural: 'credentials' },
        {
          namespace: SYSTEM,
          fieldSelector: 'metadata.name=kcm-diff-svc-west',
        },
      );
      try {
        await watch.seen('kcm-diff-svc-west ready', (e) => (e.object['status'] as { ready?: boolean } | undefined)?.ready === true);
      } finally {
        watch.stop();
      }
      const west: KubeObject = {
        ...deployment('kcm-diff-svc-west', []),
        spec: { template: 'azure-standalone-cp-1-0-15', credential: 'kcm-diff-svc-west', config: { ...AZURE_BASELINE } },
      };
      const answer = async (): Promise<Answer> => answerOf(await rest.raw(dryRun(west)));
      assert.equal((await answer()).status, 201, 'found by the CAPI label, whatever the parent');
      await relabel(b, 'cluster-api-provider-azure', { [PROVIDER_LABEL]: null, [FLUX_NAME_LABEL]: 'cluster-api-provider-azure' });
      assert.deepEqual(await answer(), {
        status: 403,
        reason: 'Forbidden',
        message: `${DENIED}the ClusterDeployment is invalid: unsupported infrastructure provider infrastructure-azure`,
        warnings: [],
      });
      await relabel(b, 'cluster-api-provider-azure', { [FLUX_NAME_LABEL]: 'region-west-cluster-api-provider-azure' });
      assert.deepEqual(await answer(), { status: 201, reason: '', message: '', warnings: [] });
    });
  });
});
