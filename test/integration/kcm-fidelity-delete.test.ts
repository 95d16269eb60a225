/**
 * Issue 11 item 9: a ClusterDeployment is deleted as kcm deletes it, on both backends, seen through
 * client-node (a watch on the deployments, events.k8s.io/v1 Events, the Credential's own API). Each row
 * cites the kcm file it follows (kcm at 8373a24: internal/controller/clusterdeployment_controller.go = CDC).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CustomObjectsApi, EventsV1Api, KubeConfig, Watch } from '@kubernetes/client-node';
import { testBackends } from '../helpers/backend.js';
import { AZURE_BASELINE } from '../helpers/clusters-harness.js';
import {
  CLUSTER_DEPLOYMENTS as CDS,
  CREDENTIALS as CREDS,
  K0RDENT_GROUP as GROUP,
  K0RDENT_VERSION as VERSION,
} from '../../src/sandbox/kcm/resources.js';
import { until } from '../helpers/until.js';
import { backendFor } from '../helpers/lifecycle.js';

type Rec = Record<string, unknown>;

interface Seen {
  type: string;
  conditions: Rec[];
  finalizers: string[];
}

const conditionOf = (conditions: Rec[], type: string): Rec | undefined => conditions.find((c) => c['type'] === type);

for (const choice of testBackends()) {
  describe(`kcm deletion fidelity on the ${choice.name} backend`, { skip: choice.skip }, () => {
    const backend = backendFor(choice.name, { provisionSeconds: 1, deleteSeconds: 1, accessManagementPollSeconds: 1 });
    let kc: KubeConfig;
    let custom: CustomObjectsApi;
    let events: EventsV1Api;
    const aborts: AbortController[] = [];
    /** Every watch event of each deployment, in order, by namespace/name. */
    const seen = new Map<string, Seen[]>();

    before(async () => {
      kc = new KubeConfig();
      kc.loadFromString(backend.adminKubeconfig);
      custom = kc.makeApiClient(CustomObjectsApi);
      events = kc.makeApiClient(EventsV1Api);
      const list = (await custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: 'clusterdeployments' })) as Rec;
      const watch = await new Watch(kc).watch(
        `/apis/${GROUP}/${VERSION}/clusterdeployments`,
        { resourceVersion: String((list['metadata'] as Rec)['resourceVersion']) },
        (type: string, object: Rec) => {
          const meta = object['metadata'] as Rec;
          const key = `${String(meta['namespace'])}/${String(meta['name'])}`;
          const conditions = (((object['status'] as Rec | undefined)?.['conditions'] ?? []) as Rec[]).map((c) => ({ ...c }));
          seen.set(key, [...(seen.get(key) ?? []), { type, conditions, finalizers: (meta['finalizers'] ?? []) as string[] }]);
        },
        () => undefined,
      );
      aborts.push(watch);
    });
    after(async () => {
      for (const a of aborts) a.abort();
    });

    const deleteDeployment = (namespace: string, name: string): Promise<unknown> =>
      custom.deleteNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: 'clusterdeployments', name });
    const gone = (namespace: string, name: string): Promise<boolean> =>
      until(`${namespace}/${name} gone`, async () => (await backend.get(CDS, namespace, name)) === undefined);
    /** The distinct Deleting reasons the watch saw, with their messages. */
    const deletingSteps = (key: string): [string, string][] => {
      const steps: [string, string][] = [];
      for (const s of seen.get(key) ?? []) {
        const d = conditionOf(s.conditions, 'Deleting');
        if (d && steps.at(-1)?.[0] !== d['reason']) steps.push([String(d['reason']), String(d['message'])]);
      }
      return steps;
    };
    const eventsOf = async (namespace: string, name: string): Promise<Rec[]> =>
      ((await events.listNamespacedEvent({ namespace })).items as unknown as Rec[]).filter(
        (e) => (e['regarding'] as Rec | undefined)?.['name'] === name,
      );
    const readyDeployment = async (namespace: string, name: string, spec: Rec): Promise<void> => {
      await custom.createNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace,
        plural: 'clusterdeployments',
        body: { apiVersion: `${GROUP}/${VERSION}`, kind: 'ClusterDeployment', metadata: { name, namespace }, spec },
      });
      await until(`${namespace}/${name} Ready`, async () => {
        const o = await backend.get(CDS, namespace, name);
        const conditions = ((o?.['status'] as Rec | undefined)?.['conditions'] ?? []) as Rec[];
        return conditionOf(conditions, 'Ready')?.['status'] === 'True' && conditionOf(conditions, 'ServicesInReadyState') !== undefined;
      });
    };

    it('a plain deployment: WaitingForClusterDeletion, then HelmRelease, then ServiceSets; no cloud or data-source step; DeletionCompleted never written', async () => {
      const key = 'team-beta/beta-staging-cluster';
      await deleteDeployment('team-beta', 'beta-staging-cluster');
      await gone('team-beta', 'beta-staging-cluster');
      await until('DELETED through the watch', () => seen.get(key)?.some((s) => s.type === 'DELETED'));
      // CDC:1581-1584 (cloud only with spec.cleanupOnDeletion, data source only with spec.dataSource),
      // CDC:1715-1744 (reasons and messages; WaitingForClusterDeletion shows the CAPI summary's message),
      // CDC:1601-1605 (no status write once the finalizer is gone: DeletionCompleted is never persisted).
      assert.deepEqual(
        deletingSteps(key).map(([reason]) => reason),
        ['WaitingForClusterDeletion', 'WaitingForHelmReleaseDeletion', 'WaitingForServiceSetsDeletion'],
      );
      assert.deepEqual(deletingSteps(key).slice(1), [
        ['WaitingForHelmReleaseDeletion', 'Waiting for HelmRelease to be deleted'],
        ['WaitingForServiceSetsDeletion', 'Waiting for ServiceSets to be deleted'],
      ]);
      // While the CAPI Cluster goes, the message is its summary over Deleting (internal/util/conditions/capi.go:76-86),
      // Cluster API's own words for what it waits for (cluster_controller.go:391-401, :437-438, :477-478).
      const clusterMessages = (seen.get(key) ?? [])
        .map((s) => conditionOf(s.conditions, 'Deleting'))
        .filter((d) => d?.['reason'] === 'WaitingForClusterDeletion')
        .map((d) => String(d?.['message']));
      assert.ok(
        clusterMessages.some((m) => /^\* Deleting:\n {2}\* MachineDeployments: beta-staging-cluster-md/.test(m)),
        JSON.stringify(clusterMessages),
      );
      const states = seen.get(key)!.filter((s) => conditionOf(s.conditions, 'Deleting'));
      // Ready mirrors Deleting as False/Deleting with its message (internal/util/conditions/ready_condition.go:28-39).
      for (const s of states) {
        const ready = conditionOf(s.conditions, 'Ready')!;
        assert.deepEqual(
          [ready['status'], ready['reason'], ready['message']],
          ['False', 'Deleting', conditionOf(s.conditions, 'Deleting')!['message']],
        );
      }
      // aggregateCapiConditions, CDC:1324-1336: the summary turns True/DeletionCompleted once the Cluster is gone.
      const summary = conditionOf(states.at(-1)!.conditions, 'CAPIClusterSummary')!;
      assert.deepEqual([summary['status'], summary['reason'], summary['message']], ['True', 'DeletionCompleted', 'Cluster was deleted']);
      // kcm's events as its recorder writes them (events.k8s.io/v1, reportingController kcm-controller-manager,
      // action Reconcile: CDC:2212-2219, internal/record/recorder.go): CDC:1378, :1896, :1667, :1673, :1698.
      const recorded = await until('SuccessfulDelete event', async () => {
        const list = await eventsOf('team-beta', 'beta-staging-cluster');
        return list.some((e) => e['reason'] === 'SuccessfulDelete') ? list : undefined;
      });
      const byReason = (reason: string): Rec | undefined => recorded.find((e) => e['reason'] === reason);
      const expected: [string, string][] = [
        ['CAPIClusterIsDeleting', 'Cluster is deleting'],
        ['ClusterDeleted', 'Cluster team-beta/beta-staging-cluster has been deleted'],
        ['HelmReleaseDeleted', 'HelmRelease team-beta/beta-staging-cluster has been deleted'],
        ['ServiceSetsDeleted', 'ServiceSets for cluster team-beta/beta-staging-cluster have been deleted'],
        ['SuccessfulDelete', 'ClusterDeployment has been deleted'],
      ];
      for (const [reason, note] of expected) {
        const e = byReason(reason);
        assert.ok(e, `event ${reason} in ${JSON.stringify(recorded.map((x) => x['reason']))}`);
        assert.deepEqual(
          [
            e['type'],
            e['note'],
            e['action'],
            e['reportingController'],
            (e['regarding'] as Rec)['kind'],
            (e['regarding'] as Rec)['apiVersion'],
          ],
          ['Normal', note, 'Reconcile', 'kcm-controller-manager', 'ClusterDeployment', `${GROUP}/${VERSION}`],
        );
      }
      // HelmReleaseDeleted is recorded on every pass past the HelmRelease (CDC:1667): the recorder makes it a series.
      assert.equal((byReason('HelmReleaseDeleted')!['series'] as Rec | undefined)?.['count'], 2);
      assert.ok(!recorded.some((e) => e['reason'] === 'ClusterDataSourceDeleted'), 'no data source, no ClusterDataSourceDeleted');
    });

    it('with spec.cleanupOnDeletion and spec.dataSource: the cloud step first, the ClusterDataSource last, CloudResourcesDeletedCondition and DataSourceReady', async () => {
      await custom.createNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: 'team-alpha',
        plural: 'datasources',
        body: {
          apiVersion: `${GROUP}/${VERSION}`,
          kind: 'DataSource',
          metadata: { name: 'kine-db', namespace: 'team-alpha' },
          spec: {
            type: 'postgresql',
            endpoints: ['db.example.com:5432'],
            auth: { username: { name: 'kine-db', key: 'user' }, password: { name: 'kine-db', key: 'password' } },
          },
        },
      });
      await readyDeployment('team-alpha', 'full-delete', {
        template: 'azure-standalone-cp-1-0-45',
        credential: 'azure-cluster-credential',
        config: AZURE_BASELINE,
        cleanupOnDeletion: true,
        dataSource: 'kine-db',
      });
      await deleteDeployment('team-alpha', 'full-delete');
      await gone('team-alpha', 'full-delete');
      // CDC:1625-1655: the cleanup runs after the ServiceSets are marked; its condition turns True in the
      // first pass and the step is left in the next; CDC:1676-1682, :1755-1780: the ClusterDataSource goes last.
      assert.deepEqual(
        deletingSteps('team-alpha/full-delete').map(([reason]) => reason),
        [
          'WaitingForCloudResourcesDeletion',
          'WaitingForClusterDeletion',
          'WaitingForHelmReleaseDeletion',
          'WaitingForServiceSetsDeletion',
          'WaitingForClusterDataSourceDeletion',
        ],
      );
      assert.deepEqual(deletingSteps('team-alpha/full-delete')[0], [
        'WaitingForCloudResourcesDeletion',
        'Waiting for cloud resources to be deleted',
      ]);
      assert.deepEqual(deletingSteps('team-alpha/full-delete').at(-1), [
        'WaitingForClusterDataSourceDeletion',
        'Waiting for ClusterDataSource to be deleted',
      ]);
      const last = seen
        .get('team-alpha/full-delete')!
        .filter((s) => conditionOf(s.conditions, 'Deleting'))
        .at(-1)!;
      // api/v1beta1/clusterdeployment_types.go:54 (the type is "CloudResourcesDeletedCondition"); getClusterScope CDC:218.
      assert.deepEqual(
        [
          conditionOf(last.conditions, 'CloudResourcesDeletedCondition')?.['status'],
          conditionOf(last.conditions, 'CloudResourcesDeletedCondition')?.['reason'],
        ],
        ['True', 'Succeeded'],
      );
      assert.equal(conditionOf(last.conditions, 'DataSourceReady')?.['status'], 'True');
      const recorded = await until('SuccessfulDelete event', async () => {
        const list = await eventsOf('team-alpha', 'full-delete');
        return list.some((e) => e['reason'] === 'SuccessfulDelete') ? list : undefined;
      });
      // CDC:1777.
      assert.equal(
        recorded.find((e) => e['reason'] === 'ClusterDataSourceDeleted')?.['note'],
        'ClusterDataSource team-alpha/full-delete has been deleted',
      );
    });

    it('a deployment whose Credential is gone keeps its finalizer with CredentialReady=False until AccessManagement re-creates the managed copy', async () => {
      const key = 'team-alpha/alpha-dev-cluster';
      const am = (await custom.getClusterCustomObject({ group: GROUP, version: VERSION, plural: 'accessmanagements', name: 'kcm' })) as Rec;
      const rules = ((am['spec'] as Rec)['accessRules'] as Rec[]).map((r) => structuredClone(r));
      const setRules = (accessRules: Rec[]): Promise<unknown> =>
        custom.patchClusterCustomObject({
          group: GROUP,
          version: VERSION,
          plural: 'accessmanagements',
          name: 'kcm',
          body: [{ op: 'replace', path: '/spec/accessRules', value: accessRules }],
        });
      // The team-alpha rule stops naming the Credential: AccessManagement deletes its managed copy
      // (accessmanagement_controller.go:250-253, :566-586); kcm's Credential finalizer only releases
      // ClusterIdentities (internal/controller/credential_controller.go:160-180), so it goes at once.
      const withoutCredential = rules.map((r) =>
        ((r['targetNamespaces'] as Rec)['list'] as string[]).includes('team-alpha')
          ? { ...r, resources: (r['resources'] as Rec[]).filter((x) => x['kind'] !== 'Credential') }
          : r,
      );
      await setRules(withoutCredential);
      await until(
        'the managed Credential removed',
        async () => (await backend.get(CREDS, 'team-alpha', 'azure-cluster-credential')) === undefined,
      );
      const from = seen.get(key)?.length ?? 0;
      await deleteDeployment('team-alpha', 'alpha-dev-cluster');
      // getClusterScope (CDC:187-197) fails before reconcileDelete (CDC:178-181); Reconcile writes the status anyway
      // (CDC:165-175); controller-runtime's cached client names the Kind (pkg/cache/internal/cache_reader.go:75-79).
      const blocked = await until('CredentialReady=False', () =>
        seen
          .get(key)
          ?.slice(from)
          .find((s) => conditionOf(s.conditions, 'CredentialReady')?.['status'] === 'False'),
      );
      const message =
        'failed to get Credential team-alpha/azure-cluster-credential: Credential.k0rdent.mirantis.com "azure-cluster-credential" not found';
      const credentialReady = conditionOf(blocked.conditions, 'CredentialReady')!;
      assert.deepEqual([credentialReady['reason'], credentialReady['message']], ['Failed', message]);
      // No Deleting condition: Ready is the failure (internal/util/conditions/ready_condition.go:41-90, CDC:1532-1545).
      assert.equal(conditionOf(blocked.conditions, 'Deleting'), undefined);
      const ready = conditionOf(blocked.conditions, 'Ready')!;
      assert.deepEqual([ready['status'], ready['reason'], ready['message']], ['False', 'Failed', message]);
      assert.deepEqual(blocked.finalizers, ['k0rdent.mirantis.com/cluster-deployment']);
      const warning = await until('CredentialError event', async () =>
        (await eventsOf('team-alpha', 'alpha-dev-cluster')).find((e) => e['reason'] === 'CredentialError'),
      );
      assert.deepEqual([warning['type'], warning['note']], ['Warning', message]); // CDC:193-196
      // Still there once the backend is quiet (the marker waits out kcm's pending writes on kube; was a fixed
      // 1.5 s sleep, shorter than kcm's 5 s blocked retry): nothing but the Credential's return unblocks it.
      await backend.writeMarker();
      assert.ok((await backend.get(CDS, 'team-alpha', 'alpha-dev-cluster'))?.metadata.deletionTimestamp);
      assert.equal(deletingSteps(key).length, 0);
      // The rule names it again: AccessManagement re-creates the copy (:470-506) and kcm, which watches
      // Credentials for deployments (CDC:2317-2320), goes on with the deletion.
      await setRules(rules);
      const copy = await until('the managed copy re-created', () => backend.get(CREDS, 'team-alpha', 'azure-cluster-credential'));
      assert.equal(copy.metadata.labels?.['k0rdent.mirantis.com/managed'], 'true');
      await gone('team-alpha', 'alpha-dev-cluster');
      assert.deepEqual(
        deletingSteps(key).map(([reason]) => reason),
        ['WaitingForClusterDeletion', 'WaitingForHelmReleaseDeletion', 'WaitingForServiceSetsDeletion'],
      );
    });
  });
}
