/**
 * Issue 11, items 2, 7, 8 and the availableUpgrades part of 11: the simulated kcm renders the chart's
 * `required` checks, reports ClusterTemplate status from the chart, and writes a deployment's status as
 * one reconcile does, re-checking failed validations. Every row cites the kcm (or Helm) source it
 * follows, and runs through the API server's HTTP API with client-node (reads, status writes, watch) and
 * kubectl (applies), on both backends (test/helpers/backend.ts).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { CustomObjectsApi, KubeConfig, Watch } from '@kubernetes/client-node';
import { parse as parseYaml } from 'yaml';
import { testBackends } from '../helpers/backend.js';
import { startHarness } from '../helpers/clusters-harness.js';
import { kubectlFor, type Kubectl } from '../helpers/kubectl.js';
import { K0RDENT_GROUP as GROUP, K0RDENT_VERSION as VERSION } from '../../src/sandbox/kcm/resources.js';
import { until } from '../helpers/until.js';
import { backendFor } from '../helpers/lifecycle.js';

type Rec = Record<string, unknown>;
interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
}
interface Obj {
  metadata: { name: string; namespace?: string; generation?: number; resourceVersion?: string; uid?: string };
  spec?: Rec;
  status?: Rec & { conditions?: Condition[] };
}

const NS = 'kcm-system';
const CHARTS = 'data/k0rdent/charts';
const AZURE = 'azure-standalone-cp-1-0-45';

const cond = (o: Obj | undefined, type: string): Condition | undefined => o?.status?.conditions?.find((c) => c.type === type);

/** A valid azure-standalone-cp config: what its `required` calls ask for. */
const AZURE_CONFIG = {
  location: 'westus2',
  subscriptionID: '00000000-0000-4000-8000-000000000001',
  controlPlane: { vmSize: 'Standard_A4_v2' },
  worker: { vmSize: 'Standard_A4_v2' },
};

function yamlOf(object: Rec): string {
  return JSON.stringify(object);
}

function deployment(name: string, template: string, credential: string, config: Rec | undefined, extra: Rec = {}): Rec {
  return {
    apiVersion: `${GROUP}/${VERSION}`,
    kind: 'ClusterDeployment',
    metadata: { name, namespace: NS },
    spec: { template, credential, dryRun: true, ...(config !== undefined ? { config } : {}), ...extra },
  };
}

for (const choice of testBackends()) {
  describe(`kcm fidelity: chart render, template status, reconcile writes (${choice.name})`, { skip: choice.skip }, () => {
    const backend = backendFor(choice.name, { provisionSeconds: 0.5, deleteSeconds: 0.5 });
    let api: CustomObjectsApi;
    let kc: KubeConfig;
    let kubectl: Kubectl;

    const getCD = async (name: string): Promise<Obj> =>
      (await api.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: NS, plural: 'clusterdeployments', name })) as Obj;
    const getCT = async (name: string, namespace = NS): Promise<Obj> =>
      (await api.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: 'clustertemplates', name })) as Obj;
    const apply = async (object: Rec): Promise<void> => {
      const r = await kubectl.run(['apply', '--server-side', '--field-manager=render-test', '-f', '-'], yamlOf(object));
      assert.equal(r.code, 0, r.stderr);
    };
    /** Replaces an object's status through the status subresource, as a controller would. */
    const setStatus = async (plural: string, name: string, change: (status: Rec) => Rec): Promise<void> => {
      for (let attempt = 0; ; attempt++) {
        const current = (await api.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: NS, plural, name })) as Obj;
        try {
          await api.replaceNamespacedCustomObjectStatus({
            group: GROUP,
            version: VERSION,
            namespace: NS,
            plural,
            name,
            body: { ...current, status: change({ ...(current.status ?? {}) }) },
          });
          return;
        } catch (err) {
          if (attempt > 5) throw err;
        }
      }
    };
    /** The deployment once `probe` holds (polled with the kit's until; the message carries the last status). */
    const deploymentWhen = async (name: string, probe: (o: Obj) => boolean, what: string, timeoutMs = 15_000): Promise<Obj> => {
      let last: Obj | undefined;
      try {
        return await until(
          `${name}: ${what}`,
          async () => {
            last = await getCD(name);
            return probe(last) ? last : undefined;
          },
          timeoutMs,
        );
      } catch (error) {
        assert.fail(`${String(error)}; last status ${JSON.stringify(last?.status)}`);
      }
    };
    const helmChartReady = (name: string, status: string): Promise<Obj> =>
      deploymentWhen(
        name,
        (o) => cond(o, 'HelmChartReady')?.status === status && o.status?.['observedGeneration'] === o.metadata.generation,
        `HelmChartReady=${status}`,
      );

    before(async () => {
      kc = new KubeConfig();
      kc.loadFromString(backend.adminKubeconfig);
      api = kc.makeApiClient(CustomObjectsApi);
      kubectl = kubectlFor(backend.adminKubeconfig);
    });
    after(async () => {
      kubectl?.close();
    });

    // Item 2: the Helm dry run kcm runs (kcm internal/controller/clusterdeployment_controller.go:1258-1266
    // validateConfig → internal/helm/actor.go:62-80, install.DryRun + ClientOnly) fails the charts'
    // `required` calls; Helm's wording (helm v3.21.4 pkg/engine/engine.go:338-341 cleanupExecError),
    // text/template's line:col (Go text/template/exec.go evalCall → parse/parse.go:153 ErrorContext), and
    // the first failing file in Helm's order (engine.go:347-370 sortTemplates: reverse-lexical).
    const RENDER_ROWS: {
      name: string;
      why: string;
      template: string;
      credential: string;
      config: Rec | undefined;
      error: string | undefined;
    }[] = [
      {
        name: 'render-empty',
        why: 'config {}: the worker template renders first (reverse-lexical order) and its vmSize is ""',
        template: AZURE,
        credential: 'azure-cluster-credential',
        config: {},
        error:
          'execution error at (azure-standalone-cp/templates/azuremachinetemplate-worker.yaml:15:17): .Values.worker.vmSize is required',
      },
      {
        name: 'render-subscription',
        why: 'vmSizes given, subscriptionID "" (the issue\'s example)',
        template: AZURE,
        credential: 'azure-cluster-credential',
        config: { location: 'westus2', controlPlane: { vmSize: 'a' }, worker: { vmSize: 'b' } },
        error:
          'execution error at (azure-standalone-cp/templates/azurecluster.yaml:19:21): .Values.subscriptionID is required to create a cluster',
      },
      {
        name: 'render-no-workers',
        why: '`if gt (int .Values.workersNumber) 0` skips the worker template; the control plane one fails',
        template: AZURE,
        credential: 'azure-cluster-credential',
        config: { workersNumber: 0, subscriptionID: 's' },
        error:
          'execution error at (azure-standalone-cp/templates/azuremachinetemplate-controlplane.yaml:14:17): .Values.controlPlane.vmSize is required',
      },
      {
        name: 'render-hosted',
        why: 'azure-hosted-cp with config {}: azuremachinetemplate.yaml renders before azurecluster.yaml',
        template: 'azure-hosted-cp-1-0-48',
        credential: 'azure-cluster-credential',
        config: {},
        error: 'execution error at (azure-hosted-cp/templates/azuremachinetemplate.yaml:14:17): .Values.vmSize is required',
      },
      {
        name: 'render-schema-first',
        why: "a null removes the default (Helm's coalesce) and the schema check runs before the render (helm pkg/chartutil/values.go:166-170)",
        template: 'azure-hosted-cp-1-0-48',
        credential: 'azure-cluster-credential',
        config: { vmSize: null, subscriptionID: 's' },
        error: "values don't meet the specifications of the schema(s) in the following chart(s):",
      },
      {
        name: 'render-with-block',
        why: 'inside `with .serviceAccount`, .scopes is nil: the call in the with block fails',
        template: 'gcp-standalone-cp-1-0-43',
        credential: 'gcp-cluster-credential',
        config: {
          project: 'p',
          region: 'r',
          controlPlane: { instanceType: 'n1', serviceAccount: { email: 'default' } },
          worker: { instanceType: 'n1' },
        },
        error:
          'execution error at (gcp-standalone-cp/templates/gcpmachinetemplate-controlplane.yaml:34:20): controlPlane.serviceAccount.scopes is required',
      },
      {
        name: 'render-empty-with',
        why: 'serviceAccount {} is false for `with`: its required calls do not run; an empty scopes list is not nil',
        template: 'gcp-standalone-cp-1-0-43',
        credential: 'gcp-cluster-credential',
        config: {
          project: 'p',
          region: 'r',
          controlPlane: { instanceType: 'n1', serviceAccount: {} },
          worker: { instanceType: 'n1', serviceAccount: { email: 'e', scopes: [] } },
        },
        error: undefined,
      },
      {
        name: 'render-configless',
        why: 'no config: the mutating webhook copies the template status.config (values.yaml) and sets dryRun (kcm internal/webhook/clusterdeployment_webhook.go:181), and the render then fails',
        template: AZURE,
        credential: 'azure-cluster-credential',
        config: undefined,
        error:
          'execution error at (azure-standalone-cp/templates/azuremachinetemplate-worker.yaml:15:17): .Values.worker.vmSize is required',
      },
      {
        name: 'render-valid',
        why: 'every required value given',
        template: AZURE,
        credential: 'azure-cluster-credential',
        config: AZURE_CONFIG,
        error: undefined,
      },
    ];

    it('item 2: config is checked by rendering the chart (one row per required path)', async () => {
      for (const row of RENDER_ROWS) await apply(deployment(row.name, row.template, row.credential, row.config));
      for (const row of RENDER_ROWS) {
        const got = await helmChartReady(row.name, row.error === undefined ? 'True' : 'False');
        const c = cond(got, 'HelmChartReady')!;
        if (row.error === undefined) {
          assert.deepEqual([c.reason, c.message], ['Succeeded', ''], row.why);
          assert.equal(cond(got, 'Ready')?.status, 'True', `${row.name}: a valid dry run is Ready (${row.why})`);
          continue;
        }
        // kcm clusterdeployment_controller.go:1261 wraps Helm's error.
        const message = `failed to validate template with provided configuration: ${row.error}`;
        assert.equal(c.reason, 'Failed', row.name);
        // The schema rows end in the validator's own words (ajv here, santhosh-tekuri/jsonschema in Helm: docs/sandbox.md).
        if (row.error.endsWith(':')) assert.ok(c.message.startsWith(message), `${row.name}: ${row.why}: ${c.message}`);
        else assert.equal(c.message, message, `${row.name}: ${row.why}`);
        assert.deepEqual([cond(got, 'Ready')?.status, cond(got, 'Ready')?.reason], ['False', 'Failed'], row.name);
        // Credential readiness is checked after the config (:464 then :467): still Unknown from initClusterConditions (:1272).
        assert.equal(cond(got, 'CredentialReady')?.status, 'Unknown', `${row.name}: the credential check comes after the config`);
      }
      const configless = await getCD('render-configless');
      assert.equal(configless.spec?.['dryRun'], true);
      const values = parseYaml(readFileSync(`${CHARTS}/azure-standalone-cp/values.yaml`, 'utf8')) as Rec;
      assert.deepEqual(configless.spec?.['config'], values, 'the webhook copied the chart values.yaml via status.config');
      // The warning event kcm records (:1262-1263): "Invalid configuration provided: ...".
      const events = (
        await kubectl.json<{ items: { reason: string; message: string; involvedObject: { name: string } }[] }>(['get', 'events', '-n', NS])
      ).items;
      const ev = events.find((e) => e.involvedObject.name === 'render-empty' && e.reason === 'ValidationError');
      assert.equal(
        ev?.message,
        `Invalid configuration provided: failed to validate template with provided configuration: ${RENDER_ROWS[0]!.error}`,
      );
      assert.equal(
        events.filter((e) => e.involvedObject.name === 'render-empty' && e.reason === 'ValidationError').length,
        1,
        'recorded once: kcm warns only when the condition changed',
      );
    });

    // Item 7: kcm's template controller fills status from the chart (internal/controller/template_controller.go:365-399
    // fillStatusFromChart; api/v1beta1/clustertemplate_types.go:69 FillStatusWithProviders).
    it('item 7: ClusterTemplate status comes from Chart.yaml and values.yaml', async () => {
      const chartYaml = parseYaml(readFileSync(`${CHARTS}/azure-standalone-cp/Chart.yaml`, 'utf8')) as {
        description: string;
        version: string;
      };
      const values = parseYaml(readFileSync(`${CHARTS}/azure-standalone-cp/values.yaml`, 'utf8')) as Rec;
      const schema = readFileSync(`${CHARTS}/azure-standalone-cp/values.schema.json`, 'utf8');
      const status = (await getCT(AZURE)).status!;
      const rows: [string, unknown, unknown, string][] = [
        ['config', status['config'], values, 'the whole values.yaml (template_controller.go:391-397)'],
        [
          'providers',
          status['providers'],
          ['bootstrap-k0sproject-k0smotron', 'control-plane-k0sproject-k0smotron', 'infrastructure-azure'],
          'annotation split, sorted, compacted (api/v1beta1/templates_common.go:107-128)',
        ],
        [
          'providerContracts',
          status['providerContracts'],
          {
            'bootstrap-k0sproject-k0smotron': 'v1beta2',
            'control-plane-k0sproject-k0smotron': 'v1beta2',
            'infrastructure-azure': 'v1beta1',
          },
          'cluster.x-k8s.io/<provider> annotations (templates_common.go:132-187)',
        ],
        [
          'description',
          status['description'],
          chartYaml.description.replace(/\s/g, ' '),
          "Helm's Metadata.Validate sanitizeString: whitespace → space (helm pkg/chart/metadata.go:94, :171)",
        ],
        ['chartVersion', status['chartVersion'], chartYaml.version, 'the HelmChart spec version (template_controller.go:268)'],
        ['valid', status['valid'], true, 'no validationError (template_controller.go:414-418)'],
        ['schemaConfigMapName', status['schemaConfigMapName'], `schema-ct-${AZURE}`, 'template_controller.go:316-360'],
      ];
      for (const [field, got, want, why] of rows) assert.deepEqual(got, want, `${field}: ${why}`);
      assert.ok(String(status['description']).endsWith('nodes. '), 'the block scalar newline became a space');
      const cm = await kubectl.json<{ data: { schema: string } }>(['get', 'configmap', `schema-ct-${AZURE}`, '-n', NS]);
      assert.equal(cm.data.schema, schema, 'the schema ConfigMap holds the chart values.schema.json verbatim (template_controller.go:351)');

      // A ClusterTemplate created now: spec.providers win and are sorted; a missing chart version is invalid in kcm's words.
      await apply({
        apiVersion: `${GROUP}/${VERSION}`,
        kind: 'ClusterTemplate',
        metadata: { name: 'render-gcp', namespace: NS },
        spec: {
          helm: {
            chartSpec: {
              chart: 'gcp-standalone-cp',
              version: '1.0.43',
              interval: '10m0s',
              sourceRef: { kind: 'HelmRepository', name: 'kcm-templates' },
            },
          },
          providers: ['infrastructure-gcp', 'bootstrap-k0sproject-k0smotron', 'infrastructure-gcp'],
        },
      });
      await apply({
        apiVersion: `${GROUP}/${VERSION}`,
        kind: 'ClusterTemplate',
        metadata: { name: 'render-missing', namespace: NS },
        spec: {
          helm: {
            chartSpec: {
              chart: 'no-such-chart',
              version: '1.2.3',
              interval: '10m0s',
              sourceRef: { kind: 'HelmRepository', name: 'kcm-templates' },
            },
          },
        },
      });
      let gcp = await getCT('render-gcp');
      let missing = await getCT('render-missing');
      await until('both templates validated', async () => {
        gcp = await getCT('render-gcp');
        missing = await getCT('render-missing');
        return typeof gcp.status?.['valid'] === 'boolean' && typeof missing.status?.['valid'] === 'boolean';
      });
      assert.deepEqual(
        gcp.status?.['providers'],
        ['bootstrap-k0sproject-k0smotron', 'infrastructure-gcp'],
        'spec.providers sorted and compacted (templates_common.go:110-114)',
      );
      assert.deepEqual(gcp.status?.['config'], parseYaml(readFileSync(`${CHARTS}/gcp-standalone-cp/values.yaml`, 'utf8')));
      assert.equal(missing.status?.['valid'], false);
      // kcm internal/helm/chart.go:34 prefixes flux's HelmChart Ready message.
      assert.match(
        String(missing.status?.['validationError']),
        /^failed to download helm chart artifact: chart pull error: failed to download chart for remote reference: failed to get 'oci:\/\/ghcr\.io\/k0rdent\/kcm\/charts\/no-such-chart:1\.2\.3'/,
      );
      assert.equal(missing.status?.['config'], undefined, 'no config before the chart is downloaded');
    });

    // Item 8: one status write per reconcile (kcm :316-318 deferred updateStatus, :1512-1528), in kcm's order.
    it('item 8: the first status write already carries the checks (no all-Unknown write kcm never makes)', async () => {
      const seen: Obj[] = [];
      const watch = new Watch(kc);
      const path = `/apis/${GROUP}/${VERSION}/namespaces/${NS}/clusterdeployments`;
      let ready!: () => void;
      const opened = new Promise<void>((r) => (ready = r));
      const request = await watch.watch(
        path,
        { fieldSelector: 'metadata.name=render-writes', allowWatchBookmarks: false },
        (type: string, object: Obj) => {
          if (type === 'ADDED' || type === 'MODIFIED') seen.push(object);
        },
        () => undefined,
      );
      ready();
      await opened;
      try {
        await apply(deployment('render-writes', AZURE, 'azure-cluster-credential', AZURE_CONFIG));
        await deploymentWhen('render-writes', (o) => cond(o, 'Ready')?.status === 'True', 'Ready');
        // Every write up to the quiet point (was a fixed 300 ms sleep): the marker waits out kcm's pending
        // writes on kube, then the watch has delivered the object as it stands.
        await backend.writeMarker();
        const latest = await getCD('render-writes');
        await until('the watch to deliver the latest write', () =>
          seen.some((o) => o.metadata.resourceVersion === latest.metadata.resourceVersion),
        );
      } finally {
        request.abort();
      }
      const withConditions = seen.filter((o) => (o.status?.conditions ?? []).length > 0);
      assert.ok(withConditions.length > 0, 'the watch saw status writes');
      const first = withConditions[0]!;
      // kcm's reconcileUpdate runs updateCluster and updateServices on one object (clusterdeployment_controller.go:
      // 392-393) and its deferred updateStatus (:316-318, :1512-1529) writes them together: the checks and
      // ServicesInReadyState ("0/0", :1434-1509) arrive in the same write, whatever else runs at the time.
      assert.deepEqual(
        ['TemplateReady', 'HelmChartReady', 'CredentialReady', 'ServicesInReadyState'].map((t) => cond(first, t)?.status),
        ['True', 'True', 'True', 'True'],
        `the first status write holds the reconcile's results: ${JSON.stringify(first.status?.conditions)}`,
      );
      for (const o of withConditions)
        assert.ok(!(o.status?.conditions ?? []).every((c) => c.status === 'Unknown'), 'never an all-Unknown status');
      // A dry run has nothing more to write: the next reconciles compute the same status, and kcm skips an
      // unchanged one (:1519).
      assert.equal(
        withConditions.length,
        1,
        `status writes: ${withConditions.map((o) => JSON.stringify(o.status?.conditions?.map((c) => c.type + '=' + c.status))).join(' | ')}`,
      );
    });

    it('item 8: a failed check is re-checked on requeue; the template, then the config, then the credential', async () => {
      // Its own template and credential, so their status can be changed as kcm's controllers would.
      await apply({
        apiVersion: `${GROUP}/${VERSION}`,
        kind: 'ClusterTemplate',
        metadata: { name: 'render-tpl', namespace: NS },
        spec: {
          helm: {
            chartSpec: {
              chart: 'azure-standalone-cp',
              version: '1.0.45',
              interval: '10m0s',
              sourceRef: { kind: 'HelmRepository', name: 'kcm-templates' },
            },
          },
        },
      });
      const source = (await api.getNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: NS,
        plural: 'credentials',
        name: 'azure-cluster-credential',
      })) as Obj;
      await apply({
        apiVersion: `${GROUP}/${VERSION}`,
        kind: 'Credential',
        metadata: { name: 'render-cred', namespace: NS },
        spec: source.spec ?? {},
      });
      await until('render-tpl valid and render-cred ready', async () => {
        const [t, c] = [
          await getCT('render-tpl'),
          (await api.getNamespacedCustomObject({
            group: GROUP,
            version: VERSION,
            namespace: NS,
            plural: 'credentials',
            name: 'render-cred',
          })) as Obj,
        ];
        return t.status?.['valid'] === true && c.status?.['ready'] === true;
      });
      const name = 'render-requeue';
      await apply(deployment(name, 'render-tpl', 'render-cred', { location: 'westus2' }));
      await helmChartReady(name, 'False');

      // The template turns invalid: the requeued reconcile (kcm returns the error: :417-419, :639-657;
      // controller-runtime requeues it, internal/util/ratelimit/ratelimit.go:33) reports it, before the config.
      await setStatus('clustertemplates', 'render-tpl', (s) => ({ ...s, valid: false, validationError: 'chart went away' }));
      let got = await deploymentWhen(name, (o) => cond(o, 'TemplateReady')?.status === 'False', 'TemplateReady=False');
      assert.equal(cond(got, 'TemplateReady')?.message, `ClusterTemplate ${NS}/render-tpl is not marked as valid: chart went away`);
      await setStatus('clustertemplates', 'render-tpl', (s) => ({ ...s, valid: true, validationError: undefined }));
      got = await deploymentWhen(
        name,
        (o) => cond(o, 'TemplateReady')?.status === 'True',
        'TemplateReady=True again, by requeue only (no ClusterTemplate watch with the webhook on: :2375-2381)',
      );
      assert.equal(cond(got, 'HelmChartReady')?.status, 'False', 'the config still fails');

      // The config is fixed (a new generation): it renders; the credential readiness comes next (:467-475).
      await setStatus('credentials', 'render-cred', (s) => ({ ...s, ready: false }));
      await apply(deployment(name, 'render-tpl', 'render-cred', AZURE_CONFIG));
      got = await deploymentWhen(
        name,
        (o) => cond(o, 'CredentialReady')?.status === 'False' && cond(o, 'HelmChartReady')?.status === 'True',
        'CredentialReady=False after the config',
      );
      assert.equal(cond(got, 'CredentialReady')?.message, `the Credential ${NS}/render-cred is not ready`);
      // The Credential watch (:2316-2319) brings the next reconcile as soon as it is ready.
      await setStatus('credentials', 'render-cred', (s) => ({ ...s, ready: true }));
      got = await deploymentWhen(name, (o) => cond(o, 'Ready')?.status === 'True', 'Ready once the credential is ready');
      assert.equal(cond(got, 'CredentialReady')?.status, 'True');

      // The Credential disappears: getClusterScope fails first (:187-196) with the cached client's NotFound.
      const r = await kubectl.run(['delete', 'credential', 'render-cred', '-n', NS, '--wait=true']);
      assert.equal(r.code, 0, r.stderr);
      got = await deploymentWhen(name, (o) => cond(o, 'CredentialReady')?.status === 'False', 'CredentialReady=False (missing)');
      assert.equal(
        cond(got, 'CredentialReady')?.message,
        `failed to get Credential ${NS}/render-cred: Credential.k0rdent.mirantis.com "render-cred" not found`,
      );
      assert.deepEqual([cond(got, 'Ready')?.status, cond(got, 'Ready')?.reason], ['False', 'Failed']);
      await apply({
        apiVersion: `${GROUP}/${VERSION}`,
        kind: 'Credential',
        metadata: { name: 'render-cred', namespace: NS },
        spec: source.spec ?? {},
      });
      got = await deploymentWhen(name, (o) => cond(o, 'Ready')?.status === 'True', 'Ready again once the Credential is back');
    });

    // The product side: a config the product's own schema check lets through (the schema allows any
    // serviceAccount object) but the chart's `required` refuses ends the deploy's wait with kcm's reason.
    it('fallout: k0.clusters.deploy with wait reports HelmChartReady=False from the render as the failure', async () => {
      const harness = await startHarness(backend);
      try {
        const result = await harness.call('k0.clusters.deploy', {
          name: 'render-product',
          namespace: NS,
          template: 'gcp-standalone-cp-1-0-43',
          credential: 'gcp-cluster-credential',
          config: {
            project: 'p',
            region: 'europe-west1',
            controlPlane: { instanceType: 'n1-standard-2', serviceAccount: { email: 'default' } },
            worker: { instanceType: 'n1-standard-2' },
          },
          wait: true,
          pollInterval: '1s',
          provisionTimeout: '20s',
        });
        assert.notEqual(result.isError, true, JSON.stringify(result.content));
        const answer = result.structuredContent as { ready?: boolean; phase?: string; failure?: string };
        assert.equal(answer.ready, false);
        assert.match(String(answer.phase), /^Failed \(HelmChartReady: /);
        assert.equal(
          answer.failure,
          'HelmChartReady: failed to validate template with provided configuration: execution error at (gcp-standalone-cp/templates/gcpmachinetemplate-controlplane.yaml:34:20): controlPlane.serviceAccount.scopes is required',
        );
      } finally {
        await harness.close();
      }
    });

    // Item 11 (part): `availableUpgrades,omitempty` (kcm api/v1beta1/clusterdeployment_types.go:174;
    // setAvailableUpgrades :1937-1970 sorts them).
    it('item 11: an empty availableUpgrades is omitted; a chain-offered one is listed', async () => {
      const mine = await getCD('render-valid');
      assert.equal(Object.hasOwn(mine.status ?? {}, 'availableUpgrades'), false, JSON.stringify(mine.status));
      const printed = await kubectl.run(['get', 'clusterdeployment', 'render-valid', '-n', NS, '-o', 'jsonpath={.status}']);
      assert.doesNotMatch(printed.stdout, /availableUpgrades/);
      const seeded = (await api.getNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: 'team-alpha',
        plural: 'clusterdeployments',
        name: 'alpha-dev-cluster',
      })) as Obj;
      assert.equal(
        Object.hasOwn(seeded.status ?? {}, 'availableUpgrades'),
        false,
        'the seeded azure 1.0.45 deployment has no upgrade either',
      );
      // kcm-system's azure-templates chain offers 1.0.45 to a 1.0.15 deployment.
      await apply(deployment('render-upgradable', 'azure-standalone-cp-1-0-15', 'azure-cluster-credential', AZURE_CONFIG));
      const upgradable = await deploymentWhen('render-upgradable', (o) => cond(o, 'Ready')?.status === 'True', 'Ready');
      assert.deepEqual(upgradable.status?.['availableUpgrades'], ['azure-standalone-cp-1-0-45']);
    });
  });
}
