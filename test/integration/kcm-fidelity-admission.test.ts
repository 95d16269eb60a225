/**
 * Issue 11 items 1, 3, 4 and the defaulter of 6: kcm's admission webhooks as kcm answers, on both backends,
 * through the HTTP API (client-node for creates — status, details and the Warning header — and kubectl for
 * updates and deletes, which prints `Warning: …` and `Error from server (…)`). Each row cites the kcm file it
 * follows (k0rdent/kcm at 8373a24). How an error becomes the answer:
 *   controller-runtime v0.24.1 pkg/webhook/admission/validator_custom.go:143-153: an error with an API status
 *   in its chain (kcm wraps the cached client's NotFound with %w and errors.Join) is answered with that status
 *   alone — 404 NotFound, details {group, kind, name}; anything else Denied: 403 Forbidden with the whole text;
 *   the warnings go with either; kube-apiserver prefixes the message (k8s.io/apiserver v0.34.4
 *   pkg/admission/plugin/webhook/errors/statuserror.go:28-57) and writes the warnings as `299 -` Warning headers
 *   (validating/dispatcher.go:326-328, pkg/endpoints/filters/warning.go:69-112).
 * The kube backend (a real kube-apiserver v1.34.4 calling the simulated kcm over HTTPS) is the reference for
 * what reaches the client; the embedded sandbox must answer the same. The product's answer to such a 404
 * (./clusters-admission-not-found.ts, through a real MCP client) runs here too, on the same backends.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiException, CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { testBackends } from '../helpers/backend.js';
import { until } from '../helpers/until.js';
import { AZURE_BASELINE } from '../helpers/clusters-harness.js';
import { kubectlFor, type Kubectl } from '../helpers/kubectl.js';
import { describeAdmissionNotFound } from './clusters-admission-not-found.js';
import {
  CLUSTER_DEPLOYMENTS as CDS,
  CLUSTER_TEMPLATES as CTS,
  CREDENTIALS as CREDS,
  K0RDENT_GROUP as GROUP,
  K0RDENT_VERSION as VERSION,
  SERVICE_TEMPLATES as STS,
} from '../../src/sandbox/kcm/resources.js';
import { backendFor } from '../helpers/lifecycle.js';

const NS = 'kcm-system';
const V = 'admission webhook "validation.clusterdeployment.k0rdent.mirantis.com" denied the request: ';
const M = 'admission webhook "mutation.clusterdeployment.k0rdent.mirantis.com" denied the request: ';
const PROVIDERS_WARNING = 'Failed to validate required providers';

type Rec = Record<string, unknown>;

interface Answer {
  code: number;
  reason?: string;
  message?: string;
  details?: unknown;
  object?: Rec;
  warnings: string[];
}

/** The texts of `299 - "…"` Warning headers (node-fetch joins repeated headers with ", "). */
function warningsOf(header: string | undefined): string[] {
  const out: string[] = [];
  for (const m of (header ?? '').matchAll(/299 - "((?:[^"\\]|\\.)*)"/g)) out.push(m[1]!.replace(/\\(.)/g, '$1'));
  return out;
}

function deployment(name: string, spec: Rec): Rec {
  return { apiVersion: `${GROUP}/${VERSION}`, kind: 'ClusterDeployment', metadata: { name, namespace: NS }, spec };
}

const azure = (extra: Rec = {}): Rec => ({
  template: 'azure-standalone-cp-1-0-45',
  credential: 'azure-cluster-credential',
  config: AZURE_BASELINE,
  ...extra,
});

const chartSpec = {
  chart: 'azure-standalone-cp',
  version: '1.0.45',
  interval: '10m0s',
  reconcileStrategy: 'ChartVersion',
  sourceRef: { kind: 'HelmRepository', name: 'kcm-templates' },
};
const template = (name: string, spec: Rec): Rec => ({
  apiVersion: `${GROUP}/${VERSION}`,
  kind: 'ClusterTemplate',
  metadata: { name, namespace: NS },
  spec: { helm: { chartSpec }, ...spec },
});

interface CreateRow {
  item: 1 | 3 | 4;
  name: string;
  follows: string;
  body: Rec;
  code: number;
  message: string;
  /** Expected status details: the NotFound's on a 404, none on a plain denial. */
  details?: Rec;
  warnings?: string[];
}

const CREATE_ROWS: CreateRow[] = [
  {
    item: 1,
    name: 'a missing ClusterTemplate (config given): 404 with the NotFound alone',
    follows: 'kcm internal/webhook/clusterdeployment_webhook.go:59-62, :187-190',
    body: deployment('fid-no-template', azure({ template: 'fid-missing-1-0-0' })),
    code: 404,
    message: `${V}ClusterTemplate.k0rdent.mirantis.com "fid-missing-1-0-0" not found`,
    details: { name: 'fid-missing-1-0-0', group: GROUP, kind: 'ClusterTemplate' },
  },
  {
    item: 1,
    name: 'a missing ClusterTemplate without config: the mutating webhook answers 404 first',
    follows: 'kcm internal/webhook/clusterdeployment_webhook.go:168-171 (Default); controller-runtime defaulter_custom.go:135-139',
    body: deployment('fid-no-template-default', { template: 'fid-missing-1-0-0', credential: 'azure-cluster-credential' }),
    code: 404,
    message: `${M}ClusterTemplate.k0rdent.mirantis.com "fid-missing-1-0-0" not found`,
    details: { name: 'fid-missing-1-0-0', group: GROUP, kind: 'ClusterTemplate' },
  },
  {
    item: 1,
    name: 'a missing Credential: 404 through the providers check, with its warning',
    follows: 'kcm internal/webhook/clusterdeployment_webhook.go:68-70; internal/util/validation/cluster_template.go:36-40',
    body: deployment('fid-no-credential', azure({ credential: 'fid-missing-credential' })),
    code: 404,
    message: `${V}Credential.k0rdent.mirantis.com "fid-missing-credential" not found`,
    details: { name: 'fid-missing-credential', group: GROUP, kind: 'Credential' },
    warnings: [PROVIDERS_WARNING],
  },
  {
    item: 3,
    name: 'an empty spec.credential: the cache has no Credential "" (404, no name in the details)',
    follows: 'kcm internal/util/validation/cluster_template.go:36-40; controller-runtime pkg/cache/internal/cache_reader.go:74-79',
    body: deployment('fid-empty-credential', azure({ credential: '' })),
    code: 404,
    message: `${V}Credential.k0rdent.mirantis.com "" not found`,
    details: { group: GROUP, kind: 'Credential' },
    warnings: [PROVIDERS_WARNING],
  },
  {
    item: 3,
    name: 'no spec.credential at all: the same 404',
    follows: 'kcm internal/util/validation/cluster_template.go:36-40',
    body: deployment('fid-absent-credential', { template: 'azure-standalone-cp-1-0-45', config: AZURE_BASELINE }),
    code: 404,
    message: `${V}Credential.k0rdent.mirantis.com "" not found`,
    details: { group: GROUP, kind: 'Credential' },
    warnings: [PROVIDERS_WARNING],
  },
  {
    item: 3,
    name: "a Credential's Region that does not exist (the parent of the providers check)",
    follows: 'kcm internal/util/validation/util.go:36-42; cluster_template.go:41-44',
    body: deployment('fid-region', azure({ credential: 'fid-region-credential' })),
    code: 404,
    message: `${V}Region.k0rdent.mirantis.com "fid-gone-region" not found`,
    details: { name: 'fid-gone-region', group: GROUP, kind: 'Region' },
    warnings: [PROVIDERS_WARNING],
  },
  {
    item: 3,
    name: 'a service naming a missing ServiceTemplate: the NotFound inside the errors.Join (404)',
    follows: 'kcm internal/util/validation/services.go:37-63, :66-71; clusterdeployment_webhook.go:80-82',
    body: deployment('fid-missing-st', azure({ serviceSpec: { services: [{ name: 'x', template: 'fid-missing-st-1-0-0' }] } })),
    code: 404,
    message: `${V}ServiceTemplate.k0rdent.mirantis.com "fid-missing-st-1-0-0" not found`,
    details: { name: 'fid-missing-st-1-0-0', group: GROUP, kind: 'ServiceTemplate' },
  },
  {
    item: 3,
    name: 'a broken dependsOn',
    follows: 'kcm internal/util/validation/services.go:122-160; clusterdeployment_webhook.go:84-86',
    body: deployment(
      'fid-depends',
      azure({ serviceSpec: { services: [{ name: 'x', template: 'kyverno-3-2-6', dependsOn: [{ name: 'ghost' }] }] } }),
    ),
    code: 403,
    message: `${V}the ClusterDeployment is invalid: some services have invalid dependencies\nfailed service dependency validation: dependency default/ghost of service default/x is not defined as a service`,
  },
  {
    item: 3,
    name: "a service whose k8s constraint the template's version does not meet, with kcm's warning",
    follows: 'kcm internal/util/validation/cluster_template.go:104-142; clusterdeployment_webhook.go:72-74',
    body: deployment(
      'fid-k8s',
      azure({ template: 'fid-k8s-1-0-45', serviceSpec: { services: [{ name: 'kyverno', template: 'kyverno-3-2-6' }] } }),
    ),
    code: 403,
    message: `${V}failed to validate k8s compatibility: k8s version v1.20.0 of the ClusterTemplate ${NS}/fid-k8s-1-0-45 does not satisfy k8s constraint >=1.25.0-0 from the ServiceTemplate ${NS}/kyverno-3-2-6 referred in the ClusterDeployment ${NS}/fid-k8s`,
    warnings: ['Failed to validate k8s version compatibility with ServiceTemplates'],
  },
  {
    item: 3,
    name: 'a provider contract version the Management does not expose',
    follows: 'kcm internal/util/validation/cluster_template.go:69-96, :45-48',
    body: deployment('fid-contracts', azure({ template: 'fid-contracts-1-0-45' })),
    code: 403,
    message: `${V}failed to validate required providers: incompatible providers in Management kcm: one or more required provider contract versions does not satisfy deployed: [provider infrastructure-azure does not support v1beta2]`,
    warnings: [PROVIDERS_WARNING],
  },
  {
    item: 4,
    name: 'providers not deployed: "failed to validate required providers: …", no "the ClusterDeployment is invalid: " before it; sorted',
    follows: 'kcm internal/webhook/clusterdeployment_webhook.go:68-70; cluster_template.go:88-91',
    body: deployment('fid-providers', azure({ template: 'fid-providers-1-0-45' })),
    code: 403,
    message: `${V}failed to validate required providers: incompatible providers in Management kcm: one or more required providers are not deployed yet: [bootstrap-nowhere infrastructure-nowhere]`,
    warnings: [PROVIDERS_WARNING],
  },
  {
    item: 4,
    name: 'a Credential of another cloud: no "checking credential identity reference supports cluster template: " prefix',
    follows: 'kcm internal/util/validation/cd.go:89-91, :117-124; clusterdeployment_webhook.go:76-78',
    body: deployment('fid-other-cloud', azure({ credential: 'aws-cluster-credential' })),
    code: 403,
    message: `${V}the ClusterDeployment is invalid: provider infrastructure-azure does not support ClusterIdentity Kind AWSClusterStaticIdentity from the Credential ${NS}/aws-cluster-credential`,
  },
  {
    item: 4,
    name: 'a Credential that is not Ready',
    follows: 'kcm internal/util/validation/cd.go:57-59',
    body: deployment('fid-not-ready', azure({ credential: 'azure-legacy-credential' })),
    code: 403,
    message: `${V}the ClusterDeployment is invalid: the Credential ${NS}/azure-legacy-credential is not Ready`,
  },
];

interface KubectlRow {
  item: 1 | 3 | 4;
  name: string;
  follows: string;
  args: string[];
  /** undefined: kubectl succeeds. */
  error?: RegExp;
  warnings: string[];
}

const mergePatch = (patch: Rec): string[] => [
  'patch',
  'clusterdeployment',
  'fid-up',
  '-n',
  NS,
  '--type=merge',
  '--dry-run=server',
  '-p',
  JSON.stringify(patch),
];

const KUBECTL_ROWS: KubectlRow[] = [
  {
    item: 3,
    name: 'update: the new template is fetched first — a missing one is 404 before the upgrade-path check',
    follows: 'kcm internal/webhook/clusterdeployment_webhook.go:98-101 (before :103-107)',
    args: mergePatch({ spec: { template: 'fid-missing-1-0-0' } }),
    error:
      /^Error from server \(NotFound\): admission webhook "validation\.clusterdeployment\.k0rdent\.mirantis\.com" denied the request: ClusterTemplate\.k0rdent\.mirantis\.com "fid-missing-1-0-0" not found$/m,
    warnings: [],
  },
  {
    item: 3,
    name: "update: an upgrade the chain does not offer — the error is kcm's sentinel, the explanation the warning",
    follows: 'kcm internal/webhook/clusterdeployment_webhook.go:42, :104-107',
    args: mergePatch({ spec: { template: 'aws-standalone-cp-1-0-43' } }),
    error:
      /^Error from server \(Forbidden\): admission webhook "validation\.clusterdeployment\.k0rdent\.mirantis\.com" denied the request: cluster upgrade is forbidden$/m,
    warnings: [
      "Cluster can't be upgraded from azure-standalone-cp-1-0-15 to aws-standalone-cp-1-0-43. This upgrade sequence is not allowed",
    ],
  },
  {
    item: 3,
    name: 'update: an offered upgrade of a dryRun deployment is allowed, with the Helm chart name warning',
    follows: 'kcm internal/webhook/clusterdeployment_webhook.go:121-125, :194-214',
    args: mergePatch({ spec: { template: 'azure-standalone-cp-1-0-45' } }),
    warnings: [
      'Helm chart name changed from "azure-standalone-cp-1-0-15" to "azure-standalone-cp-1-0-45": Flux will uninstall the existing release and reinstall it as a new release, which may cause service disruption or resource recreation',
    ],
  },
  {
    item: 3,
    name: 'update: spec.dataSource added after creation',
    follows: 'kcm internal/webhook/clusterdeployment_webhook.go:134-138',
    args: mergePatch({ spec: { dataSource: 'fid-data-source' } }),
    error:
      /^Error from server \(Forbidden\): admission webhook "validation\.clusterdeployment\.k0rdent\.mirantis\.com" denied the request: the ClusterDeployment is invalid: spec\.dataSource cannot be added or removed after creation$/m,
    warnings: [],
  },
  {
    item: 1,
    name: 'update: a new credential that does not exist (ClusterDeployCredential) is 404',
    follows: 'kcm internal/webhook/clusterdeployment_webhook.go:128-132; internal/util/validation/cd.go:51-55',
    args: mergePatch({ spec: { credential: 'fid-missing-credential' } }),
    error:
      /^Error from server \(NotFound\): admission webhook "validation\.clusterdeployment\.k0rdent\.mirantis\.com" denied the request: Credential\.k0rdent\.mirantis\.com "fid-missing-credential" not found$/m,
    warnings: [],
  },
  {
    item: 4,
    name: 'deleting a ClusterTemplate a deployment uses: "template deletion is forbidden", the reason as the warning',
    follows: 'kcm internal/webhook/template_webhook.go:35, :74-81',
    args: ['delete', 'clustertemplate', 'azure-standalone-cp-1-0-15', '-n', NS, '--dry-run=server'],
    error:
      /^Error from server \(Forbidden\): admission webhook "validation\.clustertemplate\.k0rdent\.mirantis\.com" denied the request: template deletion is forbidden$/m,
    warnings: ["The ClusterTemplate object can't be removed if ClusterDeployment objects referencing it still exist"],
  },
  {
    item: 4,
    name: "deleting a ServiceTemplate a deployment's services use: forbidden, the reason as the warning",
    follows: 'kcm v1.11.4 internal/webhook/template_webhook.go:131-138',
    args: ['delete', 'servicetemplate', 'ingress-nginx-4-11-3', '-n', 'team-alpha', '--dry-run=server'],
    error:
      /^Error from server \(Forbidden\): admission webhook "validation\.servicetemplate\.k0rdent\.mirantis\.com" denied the request: template deletion is forbidden$/m,
    warnings: ["The ServiceTemplate object can't be removed if ClusterDeployment objects referencing it still exist"],
  },
  {
    item: 4,
    name: "deleting a ProviderTemplate its Release names: forbidden (the Release owns it, as kcm's ProviderTemplate controller sets)",
    follows: 'kcm v1.11.4 internal/webhook/template_webhook.go:208-215; internal/controller/template_controller.go:145-173',
    args: ['delete', 'providertemplate', 'cluster-api-1-1-15', '--dry-run=server'],
    error:
      /^Error from server \(Forbidden\): admission webhook "validation\.providertemplate\.k0rdent\.mirantis\.com" denied the request: template deletion is forbidden$/m,
    warnings: ['The ProviderTemplate cluster-api-1-1-15 cannot be removed while it is part of existing Releases: kcm-1-12-0'],
  },
];

for (const choice of testBackends()) {
  describe(`kcm fidelity, admission (issue 11 items 1, 3, 4, 6) on the ${choice.name} backend`, { skip: choice.skip }, () => {
    const backend = backendFor(choice.name, { provisionSeconds: 1, deleteSeconds: 1 });
    let custom: CustomObjectsApi;
    let kubectl: Kubectl;

    const create = async (resource: { group: string; version: string; plural: string }, body: Rec, dryRun = true): Promise<Answer> => {
      try {
        const info = await custom.createNamespacedCustomObjectWithHttpInfo({
          ...resource,
          namespace: NS,
          body,
          ...(dryRun ? { dryRun: 'All' } : {}),
        });
        return { code: info.httpStatusCode, object: info.data as Rec, warnings: warningsOf(info.headers['warning']) };
      } catch (err) {
        if (!(err instanceof ApiException)) throw err;
        const status = JSON.parse(String(err.body)) as Rec;
        const headers = (err.headers ?? {}) as Record<string, string>;
        return {
          code: err.code,
          reason: String(status['reason']),
          message: String(status['message']),
          details: status['details'],
          warnings: warningsOf(headers['warning']),
        };
      }
    };

    before(async () => {
      const kc = new KubeConfig();
      kc.loadFromString(backend.adminKubeconfig);
      custom = kc.makeApiClient(CustomObjectsApi);
      kubectl = kubectlFor(backend.adminKubeconfig);
      // Templates whose status says what a row needs (the controller derives it from the spec).
      for (const t of [
        template('fid-k8s-1-0-45', { k8sVersion: 'v1.20.0' }),
        template('fid-contracts-1-0-45', { providerContracts: { 'infrastructure-azure': 'v1beta2' } }),
        template('fid-providers-1-0-45', { providers: ['infrastructure-nowhere', 'bootstrap-nowhere'] }),
      ]) {
        const created = await create(CTS, t, false);
        assert.equal(created.code, 201, JSON.stringify(created));
      }
      const azureCredential = (await backend.get(CREDS, NS, 'azure-cluster-credential'))!;
      const regional = {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: 'Credential',
        metadata: { name: 'fid-region-credential', namespace: NS },
        spec: { ...(azureCredential['spec'] as Rec), region: 'fid-gone-region' },
      };
      assert.equal((await create(CREDS, regional, false)).code, 201);
      // A dry-run deployment on the template the seeded chain upgrades (azure-standalone-cp-1-0-15 → -1-0-45).
      const up = await create(CDS, deployment('fid-up', azure({ template: 'azure-standalone-cp-1-0-15', dryRun: true })), false);
      assert.equal(up.code, 201, JSON.stringify(up));
      await until('the templates validated and fid-up offered its upgrade', async () => {
        for (const name of ['fid-k8s-1-0-45', 'fid-contracts-1-0-45', 'fid-providers-1-0-45']) {
          if (((await backend.get(CTS, NS, name))?.['status'] as Rec | undefined)?.['valid'] !== true) return undefined;
        }
        const upgrades = ((await backend.get(CDS, NS, 'fid-up'))?.['status'] as Rec | undefined)?.['availableUpgrades'];
        return Array.isArray(upgrades) && upgrades.includes('azure-standalone-cp-1-0-45') ? true : undefined;
      });
    });
    after(async () => {
      kubectl?.close();
    });

    for (const row of CREATE_ROWS) {
      it(`item ${row.item}: ${row.name} [${row.follows}]`, async () => {
        const existed = await backend.get(CDS, NS, String((row.body['metadata'] as Rec)['name']));
        assert.equal(existed, undefined, 'a name no earlier row wrote');
        const a = await create(CDS, row.body);
        assert.equal(a.code, row.code, JSON.stringify(a));
        assert.equal(a.reason, row.code === 404 ? 'NotFound' : 'Forbidden');
        assert.equal(a.message, row.message);
        assert.deepEqual(a.details, row.details, 'status details: the NotFound carries group, kind and name; a plain denial none');
        assert.deepEqual(a.warnings, row.warnings ?? []);
        assert.equal(await backend.get(CDS, NS, String((row.body['metadata'] as Rec)['name'])), undefined, 'nothing stored');
      });
    }

    for (const row of KUBECTL_ROWS) {
      it(`item ${row.item}: ${row.name} [${row.follows}]`, async () => {
        const r = await kubectl.run(row.args);
        const printed = [...r.stderr.matchAll(/^Warning: (.*)$/gm)].map((m) => m[1]);
        assert.deepEqual(printed, row.warnings, r.stderr);
        if (row.error) {
          assert.notEqual(r.code, 0, r.stdout);
          assert.match(r.stderr, row.error);
        } else {
          assert.equal(r.code, 0, r.stderr);
        }
      });
    }

    it("the Region webhook's CREATE: a missing kubeconfig Secret (404, details without a group), a Secret without the key (403), a missing ClusterDeployment (404); the Management's: a missing Release (422) [kcm internal/webhook/region_webhook.go:51-53, internal/util/validation/region.go:29-52, management_webhook.go:51-59]", async () => {
      const W = 'admission webhook "validation.region.k0rdent.mirantis.com" denied the request: ';
      const region = async (spec: Rec): Promise<Answer> => {
        const body = { apiVersion: `${GROUP}/${VERSION}`, kind: 'Region', metadata: { name: 'fid-region' }, spec };
        try {
          const info = await custom.createClusterCustomObjectWithHttpInfo({
            group: GROUP,
            version: VERSION,
            plural: 'regions',
            body,
            dryRun: 'All',
          });
          return { code: info.httpStatusCode, object: info.data as Rec, warnings: warningsOf(info.headers['warning']) };
        } catch (err) {
          if (!(err instanceof ApiException)) throw err;
          const status = JSON.parse(String(err.body)) as Rec;
          return {
            code: err.code,
            reason: String(status['reason']),
            message: String(status['message']),
            details: status['details'],
            warnings: [],
          };
        }
      };
      const core = new KubeConfig();
      core.loadFromString(backend.adminKubeconfig);
      const secrets = core.makeApiClient(CoreV1Api);
      await secrets.createNamespacedSecret({
        namespace: NS,
        body: { metadata: { name: 'fid-region-nokey' }, data: { other: 'eA==' } },
      });
      try {
        const noSecret = await region({ kubeConfig: { name: 'fid-region-absent', key: 'value' } });
        assert.deepEqual(
          [noSecret.code, noSecret.reason, noSecret.message, noSecret.details],
          [404, 'NotFound', `${W}Secret "fid-region-absent" not found`, { name: 'fid-region-absent', kind: 'Secret' }],
        );
        const noKey = await region({ kubeConfig: { name: 'fid-region-nokey', key: 'value' } });
        assert.deepEqual(
          [noKey.code, noKey.reason, noKey.message, noKey.details],
          [403, 'Forbidden', `${W}kubeConfig Secret does not have value key defined`, undefined],
        );
        const noCd = await region({ clusterDeployment: { name: 'fid-region-absent', namespace: NS } });
        assert.deepEqual(
          [noCd.code, noCd.reason, noCd.message, noCd.details],
          [
            404,
            'NotFound',
            `${W}ClusterDeployment.${GROUP} "fid-region-absent" not found`,
            { name: 'fid-region-absent', group: GROUP, kind: 'ClusterDeployment' },
          ],
        );
        // The check passes for an existing deployment (dry run: nothing stored).
        const admitted = await region({ clusterDeployment: { name: 'fid-up', namespace: NS } });
        assert.equal(admitted.code, 201, JSON.stringify(admitted));
        // The Management webhook's CREATE checks its Release the same way (management_webhook.go:51-59, :170-179).
        let management: Answer;
        try {
          await custom.createClusterCustomObject({
            group: GROUP,
            version: VERSION,
            plural: 'managements',
            body: {
              apiVersion: `${GROUP}/${VERSION}`,
              kind: 'Management',
              metadata: { name: 'fid-other' },
              spec: { release: 'fid-absent' },
            },
            dryRun: 'All',
          });
          management = { code: 201, warnings: [] };
        } catch (err) {
          if (!(err instanceof ApiException)) throw err;
          const status = JSON.parse(String(err.body)) as Rec;
          management = {
            code: err.code,
            reason: String(status['reason']),
            message: String(status['message']),
            details: status['details'],
            warnings: [],
          };
        }
        const body = `Forbidden: Release.${GROUP} "fid-absent" not found`;
        assert.deepEqual(management, {
          code: 422,
          reason: 'Invalid',
          message: `admission webhook "validation.management.k0rdent.mirantis.com" denied the request: Management.${GROUP} "fid-other" is invalid: spec.release: ${body}`,
          details: {
            name: 'fid-other',
            group: GROUP,
            kind: 'Management',
            causes: [{ reason: 'FieldValueForbidden', message: body, field: 'spec.release' }],
          },
          warnings: [],
        });
      } finally {
        await secrets.deleteNamespacedSecret({ namespace: NS, name: 'fid-region-nokey' });
      }
    });

    it('warnings reach client-node as Warning headers on a denial (item 3) [k8s.io/apiserver pkg/endpoints/filters/warning.go:69-112]', async () => {
      // The same text twice would be written once (warning.go:87-91); one webhook sends one here.
      const a = await create(CDS, deployment('fid-warning-header', azure({ credential: 'fid-missing-credential' })));
      assert.equal(a.code, 404);
      assert.deepEqual(a.warnings, [PROVIDERS_WARNING]);
    });

    // Item 6, the defaulter: kcm internal/webhook/template_webhook.go:96-99, :296-307 (DefaultSourceRef
    // api/v1beta1/templates_common.go:32-38, DefaultReconcileInterval internal/helm/release.go:34), as a mutating
    // webhook: it runs before the CRD's `required: [chart, interval, sourceRef]` is checked (reconcileStrategy is
    // the CRD schema's own default, applied when the object is decoded).
    const bare = (name: string, kind: 'ClusterTemplate' | 'ServiceTemplate', chart: Rec): Rec => ({
      apiVersion: `${GROUP}/${VERSION}`,
      kind,
      metadata: { name, namespace: NS },
      spec: { helm: { chartSpec: chart } },
    });
    const chartSpecOf = (o: Rec | undefined): Rec => (((o?.['spec'] as Rec)['helm'] as Rec)['chartSpec'] ?? {}) as Rec;
    it('item 6: a ClusterTemplate with only chart and version gets sourceRef HelmRepository kcm-templates and interval 10m0s [kcm internal/webhook/template_webhook.go:96-99, :296-307]', async () => {
      const a = await create(CTS, bare('fid-bare-1-0-45', 'ClusterTemplate', { chart: 'azure-standalone-cp', version: '1.0.45' }));
      assert.equal(a.code, 201, JSON.stringify(a));
      assert.deepEqual(chartSpecOf(a.object), {
        chart: 'azure-standalone-cp',
        version: '1.0.45',
        interval: '10m0s',
        reconcileStrategy: 'ChartVersion',
        sourceRef: { kind: 'HelmRepository', name: 'kcm-templates' },
      });
    });
    it('item 6: a zero interval is defaulted, a sourceRef given is kept [kcm internal/webhook/template_webhook.go:301-306]', async () => {
      const a = await create(
        CTS,
        bare('fid-zero-1-0-45', 'ClusterTemplate', {
          chart: 'azure-standalone-cp',
          version: '1.0.45',
          interval: '0s',
          sourceRef: { kind: 'GitRepository', name: 'mine' },
        }),
      );
      assert.equal(a.code, 201, JSON.stringify(a));
      assert.deepEqual(chartSpecOf(a.object), {
        chart: 'azure-standalone-cp',
        version: '1.0.45',
        interval: '10m0s',
        reconcileStrategy: 'ChartVersion',
        sourceRef: { kind: 'GitRepository', name: 'mine' },
      });
      // An interval Go's time.ParseDuration rejects: the decoder answers 400 before the defaulter (controller-runtime
      // v0.24.1 defaulter_custom.go:129-131), ahead of the CRD pattern ("abc") and where the pattern allows it (overflow).
      for (const interval of ['abc', '9999999999h']) {
        const bad = await create(
          CTS,
          bare('fid-bad-interval-1-0-45', 'ClusterTemplate', { chart: 'azure-standalone-cp', version: '1.0.45', interval }),
        );
        assert.deepEqual(
          [bad.code, bad.message],
          [
            400,
            `admission webhook "mutation.clustertemplate.k0rdent.mirantis.com" denied the request: time: invalid duration "${interval}"`,
          ],
          JSON.stringify(bad),
        );
      }
    });
    it('item 6: ServiceTemplates are defaulted the same way [kcm internal/webhook/template_webhook.go:174-177]', async () => {
      const a = await create(STS, bare('fid-bare-st-1-0-0', 'ServiceTemplate', { chart: 'kyverno', version: '3.2.6' }));
      assert.equal(a.code, 201, JSON.stringify(a));
      assert.deepEqual(chartSpecOf(a.object), {
        chart: 'kyverno',
        version: '3.2.6',
        interval: '10m0s',
        reconcileStrategy: 'ChartVersion',
        sourceRef: { kind: 'HelmRepository', name: 'kcm-templates' },
      });
    });

    describeAdmissionNotFound(() => backend);
  });
}
