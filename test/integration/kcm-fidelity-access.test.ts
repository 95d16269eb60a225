/**
 * Issue 11 item 10: AccessManagement as kcm runs it, on both backends, through client-node: its webhooks
 * (kcm internal/webhook/accessmanagement_webhook.go = AMW), its controller (kcm
 * internal/controller/accessmanagement_controller.go = AMC) and its rule model (kcm
 * api/v1beta1/accessmanagement_types.go = AMT), each row citing the kcm file:line it follows.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { ApiException, CustomObjectsApi, EventsV1Api, KubeConfig } from '@kubernetes/client-node';
import { KubeRest } from '../../src/sandbox/kube/rest.js';
import { testBackends } from '../helpers/backend.js';
import { K0RDENT_API_VERSION as API_VERSION, K0RDENT_GROUP as GROUP, K0RDENT_VERSION as VERSION } from '../../src/sandbox/kcm/resources.js';
import { until } from '../helpers/until.js';
import { backendFor } from '../helpers/lifecycle.js';

type Rec = Record<string, unknown>;
const key = (plural: string) => ({ group: GROUP, version: VERSION, plural });
const WEBHOOK = 'admission webhook "validation.accessmanagement.k0rdent.mirantis.com" denied the request: ';

/** The Status of a refused request. */
async function refusal(attempt: Promise<unknown>): Promise<{ code: number; reason: string; message: string }> {
  try {
    await attempt;
  } catch (err) {
    assert.ok(err instanceof ApiException, String(err));
    const body = (typeof err.body === 'string' ? JSON.parse(err.body) : err.body) as Rec;
    return { code: err.code, reason: String(body['reason']), message: String(body['message']) };
  }
  return assert.fail('the request was accepted');
}

for (const choice of testBackends()) {
  describe(`kcm AccessManagement fidelity on the ${choice.name} backend`, { skip: choice.skip }, () => {
    const backend = backendFor(choice.name, { provisionSeconds: 1, deleteSeconds: 1, accessManagementPollSeconds: 1 });
    let custom: CustomObjectsApi;
    let events: EventsV1Api;
    let seededRules: Rec[];

    before(async () => {
      const kc = new KubeConfig();
      kc.loadFromString(backend.adminKubeconfig);
      custom = kc.makeApiClient(CustomObjectsApi);
      events = kc.makeApiClient(EventsV1Api);
      seededRules = (((await getAm())['spec'] as Rec)['accessRules'] as Rec[]).map((r) => structuredClone(r));
      // Sources of the Kinds kcm distributes besides Credentials and chains, in the system namespace.
      await create('kcm-system', 'datasources', 'DataSource', 'shared-db', {
        type: 'postgresql',
        endpoints: ['db.example.com:5432'],
        auth: { username: { name: 'db', key: 'user' }, password: { name: 'db', key: 'password' } },
        certificateAuthority: { name: 'db-ca', key: 'ca.crt' },
      });
      await create('kcm-system', 'clusterauthentications', 'ClusterAuthentication', 'oidc', {
        caSecret: { name: 'oidc-ca', key: 'ca.crt' },
      });
    });
    const getAm = async (): Promise<Rec> =>
      (await custom.getClusterCustomObject({ group: GROUP, version: VERSION, plural: 'accessmanagements', name: 'kcm' })) as Rec;
    const setRules = (accessRules: Rec[]): Promise<unknown> =>
      custom.patchClusterCustomObject({
        group: GROUP,
        version: VERSION,
        plural: 'accessmanagements',
        name: 'kcm',
        body: [{ op: 'replace', path: '/spec/accessRules', value: accessRules }],
      });
    const create = (namespace: string, plural: string, kind: string, name: string, spec: Rec): Promise<unknown> =>
      custom.createNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace,
        plural,
        body: { apiVersion: API_VERSION, kind, metadata: { name, namespace }, spec },
      });
    const settled = (generation?: number): Promise<Rec> =>
      until('AccessManagement reconciled', async () => {
        const am = await getAm();
        const status = (am['status'] ?? {}) as Rec;
        const wanted = generation ?? ((am['metadata'] as Rec)['generation'] as number);
        return status['observedGeneration'] === wanted ? am : undefined;
      });
    const amEvents = async (): Promise<Rec[]> =>
      ((await events.listNamespacedEvent({ namespace: 'default' })).items as unknown as Rec[]).filter(
        (e) => (e['regarding'] as Rec | undefined)?.['kind'] === 'AccessManagement',
      );

    it('the webhook allows one AccessManagement and no deletion while the Management exists', async () => {
      // AMW:66-79.
      const second = await refusal(
        custom.createClusterCustomObject({
          group: GROUP,
          version: VERSION,
          plural: 'accessmanagements',
          body: { apiVersion: API_VERSION, kind: 'AccessManagement', metadata: { name: 'second' }, spec: {} },
        }),
      );
      assert.deepEqual(second, { code: 403, reason: 'Forbidden', message: `${WEBHOOK}AccessManagement object already exists` });
      // AMW:87-103.
      const removal = await refusal(
        custom.deleteClusterCustomObject({ group: GROUP, version: VERSION, plural: 'accessmanagements', name: 'kcm' }),
      );
      assert.deepEqual(removal, { code: 403, reason: 'Forbidden', message: `${WEBHOOK}AccessManagement deletion is forbidden` });
      assert.ok(await getAm());
    });

    it('the webhook refuses Kinds the API server does not serve and cluster-scoped Kinds, every bad entry joined', async () => {
      const bad = [
        ...seededRules,
        { targetNamespaces: { list: ['team-alpha'] }, resources: [{ apiGroup: 'example.com', kind: 'Widget' }, { kind: 'Namespace' }] },
        { resources: [{ apiGroup: GROUP, kind: 'Region' }] },
      ];
      const n = seededRules.length;
      // AMW:118-148 (errors.Join: one line each); apimachinery meta.NoKindMatchError's text; schema.GroupKind.String().
      assert.deepEqual(await refusal(setRules(bad)), {
        code: 403,
        reason: 'Forbidden',
        message:
          WEBHOOK +
          [
            `accessRules[${n}].resources[0]: failed to resolve Widget.example.com (ensure the CRD is installed): no matches for kind "Widget" in group "example.com"`,
            `accessRules[${n}].resources[1]: Namespace is cluster-scoped and cannot be distributed into target namespaces by AccessManagement`,
            `accessRules[${n + 1}].resources[0]: Region.${GROUP} is cluster-scoped and cannot be distributed into target namespaces by AccessManagement`,
          ].join('\n'),
      });
    });

    it('a rule Kind is resolved against what the sandbox serves: a Role is unresolvable on both, though kube-apiserver serves it', async () => {
      // The simulated kcm's mapper covers the sandbox's resources (src/sandbox/kcm/access-rules.ts defaultKindMapper),
      // which on kube is what its cache watches; 8373a24's RESTMapper would resolve Role on kube (docs/sandbox.md,
      // "What still differs from kcm", AccessManagement; the rest of the row: kcm-differential-access).
      const n = seededRules.length;
      assert.deepEqual(
        await refusal(setRules([...seededRules, { resources: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', names: ['x'] }] }])),
        {
          code: 403,
          reason: 'Forbidden',
          message: `${WEBHOOK}accessRules[${n}].resources[0]: failed to resolve Role.rbac.authorization.k8s.io (ensure the CRD is installed): no matches for kind "Role" in group "rbac.authorization.k8s.io"`,
        },
      );
      if (choice.name === 'kube') {
        const kc = new KubeConfig();
        kc.loadFromString(backend.adminKubeconfig);
        const served = await new KubeRest(kc).raw({ method: 'GET', path: '/apis/rbac.authorization.k8s.io/v1' });
        assert.equal(served.status, 200, 'kube-apiserver serves rbac.authorization.k8s.io/v1');
      }
    });

    it('distributes every Kind a rule names into its namespaces (created when missing), with the deprecated lists migrated by the mutating webhook', async () => {
      await setRules([
        ...seededRules,
        {
          targetNamespaces: { list: ['team-delta'] },
          // Deprecated per-Kind lists and a built-in Kind without apiGroup (AMT:78-119, AMT:199-226).
          resources: [{ kind: 'ClusterTemplateChain', names: ['aws-templates'] }],
          credentials: ['azure-cluster-credential'],
          dataSources: ['shared-db'],
          clusterAuthentications: ['oidc'],
          serviceTemplateChains: ['platform-services'],
        },
      ]);
      const am = await settled();
      const rule = ((am['spec'] as Rec)['accessRules'] as Rec[]).at(-1)!;
      // MigrateAccessRules (AMT:270-319, AMW:110-113): appended in synthesizeResourceRules' order, apiGroup defaulted, old fields gone.
      assert.deepEqual(rule, {
        targetNamespaces: { list: ['team-delta'] },
        resources: [
          { apiGroup: GROUP, kind: 'ClusterTemplateChain', names: ['aws-templates'] },
          { apiGroup: GROUP, kind: 'ServiceTemplateChain', names: ['platform-services'] },
          { apiGroup: GROUP, kind: 'Credential', names: ['azure-cluster-credential'] },
          { apiGroup: GROUP, kind: 'ClusterAuthentication', names: ['oidc'] },
          { apiGroup: GROUP, kind: 'DataSource', names: ['shared-db'] },
        ],
      });
      // EnsureNamespace (AMC:471-473, internal/util/kube/secrets.go:196-214).
      assert.ok(
        await until('team-delta created', () => backend.get({ group: '', version: 'v1', plural: 'namespaces' }, undefined, 'team-delta')),
      );
      const copy = (plural: string, name: string) =>
        until(`${plural} ${name} in team-delta`, () => backend.get(key(plural), 'team-delta', name));
      // createManagedObject (AMC:475-486): the source without status, finalizers or annotations, labelled managed only.
      const ds = await copy('datasources', 'shared-db');
      assert.deepEqual(ds.metadata.labels, { 'k0rdent.mirantis.com/managed': 'true' });
      assert.equal(ds['status'], undefined);
      // applyBuiltinNamespaceRewrite (AMC:513-528): an empty CA namespace points at the source's namespace.
      assert.deepEqual((ds['spec'] as Rec)['certificateAuthority'], { name: 'db-ca', key: 'ca.crt', namespace: 'kcm-system' });
      assert.deepEqual(((await copy('clusterauthentications', 'oidc'))['spec'] as Rec)['caSecret'], {
        name: 'oidc-ca',
        key: 'ca.crt',
        namespace: 'kcm-system',
      });
      // A set identityRef namespace points at the copy's own namespace (AMC:515-518).
      const credential = await copy('credentials', 'azure-cluster-credential');
      assert.equal(((credential['spec'] as Rec)['identityRef'] as Rec)['namespace'], 'team-delta');
      // The chains' controllers then copy their templates, owned by the chain (internal/controller/templatechain_controller.go:159-250).
      const chain = await copy('clustertemplatechains', 'aws-templates');
      const template = await copy('clustertemplates', 'aws-standalone-cp-1-0-43');
      assert.deepEqual(
        template.metadata.ownerReferences?.map((r) => [r.kind, r.name, r.uid]),
        [['ClusterTemplateChain', 'aws-templates', chain.metadata.uid]],
      );
      assert.ok(await copy('servicetemplatechains', 'platform-services'));
      // status.resources per Kind, sorted by group then Kind; no error; current = the rules applied (AMC:203-273, AMT:36-62).
      const status = (await settled())['status'] as Rec;
      assert.deepEqual(
        status['resources'],
        ['ClusterAuthentication', 'ClusterTemplateChain', 'Credential', 'DataSource', 'ServiceTemplateChain'].map((kind) => ({
          apiGroup: GROUP,
          kind,
        })),
      );
      assert.equal(status['error'], undefined);
      assert.deepEqual(status['current'], ((await getAm())['spec'] as Rec)['accessRules']);
      // Events on the AccessManagement (AMC:429-431).
      const created = await until('CredentialCreated', async () => (await amEvents()).find((e) => e['reason'] === 'CredentialCreated'));
      assert.deepEqual(
        [created['type'], created['note'], created['action']],
        ['Normal', 'Successfully created Credential team-delta/azure-cluster-credential', 'Reconcile'],
      );
    });

    it('deletes the copies no rule selects any more, also of Kinds no rule names any more', async () => {
      await setRules(seededRules);
      // cleanupManagedResources (AMC:566-586) over current and stale Kinds (AMC:171-177, :275-295).
      for (const [plural, name] of [
        ['credentials', 'azure-cluster-credential'],
        ['datasources', 'shared-db'],
        ['clusterauthentications', 'oidc'],
        ['clustertemplatechains', 'aws-templates'],
      ] as const) {
        await until(
          `${plural} ${name} removed from team-delta`,
          async () => (await backend.get(key(plural), 'team-delta', name)) === undefined,
        );
      }
      const status = (await settled())['status'] as Rec;
      // A stale Kind is forgotten once cleaned up (AMC:256-265).
      assert.deepEqual(
        (status['resources'] as Rec[]).map((r) => r['kind']),
        ['ClusterTemplateChain', 'Credential', 'ServiceTemplateChain'],
      );
      const deleted = await until('DataSourceDeleted', async () => (await amEvents()).find((e) => e['reason'] === 'DataSourceDeleted'));
      assert.equal(deleted['note'], 'Successfully deleted DataSource team-delta/shared-db'); // AMC:581-583
      // Copies the rules still select stay.
      assert.ok(await backend.get(key('credentials'), 'team-alpha', 'azure-cluster-credential'));
    });

    it('the poller re-creates a managed copy that was deleted', async () => {
      await custom.deleteNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: 'team-beta',
        plural: 'clustertemplatechains',
        name: 'aws-templates',
      });
      await until(
        'the chain deleted',
        async () => (await backend.get(key('clustertemplatechains'), 'team-beta', 'aws-templates')) === undefined,
      );
      // Deletes are not watched (AMC:993-1008); the poller re-reconciles (AMC:56-62, :1102-1116).
      const back = await until('the chain re-created', () => backend.get(key('clustertemplatechains'), 'team-beta', 'aws-templates'));
      assert.equal(back.metadata.labels?.['k0rdent.mirantis.com/managed'], 'true');
    });

    it("status.error and the Kind's error name a source that does not exist; status.current keeps the last rules applied", async () => {
      const before = ((await settled())['status'] as Rec)['current'];
      await setRules([
        ...seededRules,
        { targetNamespaces: { list: ['team-beta'] }, resources: [{ kind: 'Credential', names: ['no-such-credential'] }] },
      ]);
      const status = (await settled())['status'] as Rec;
      // processResourceRule (AMC:416-419), recordFirstError (AMC:297-301), Reconcile (AMC:149-156), current only on success (AMC:267-272).
      assert.equal(status['error'], 'Credential kcm-system/no-such-credential is not found');
      assert.deepEqual(
        (status['resources'] as Rec[]).find((r) => r['kind'] === 'Credential'),
        { apiGroup: GROUP, kind: 'Credential', error: 'Credential kcm-system/no-such-credential is not found' },
      );
      assert.deepEqual(status['current'], before);
      await setRules(seededRules);
      assert.equal(((await settled())['status'] as Rec)['error'], undefined);
    });
  });
}
