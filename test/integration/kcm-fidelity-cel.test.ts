/**
 * Issue 11 item 5: the CRDs' `x-kubernetes-validations` (data/k0rdent/crds, copied from kcm at 8373a24) are
 * evaluated by the API server on both backends, through the HTTP API with client-node. The kube backend's
 * kube-apiserver v1.34.4 is the reference: every row asserts the literal answer it gives (code, reason,
 * message, causes), and the embedded API server (src/sandbox/apiserver/cel.ts) must give the same.
 * Kubernetes files followed (k8s.io/apiextensions-apiserver v0.34.4 unless said otherwise):
 *   pkg/apiserver/schema/cel/validation.go — where rules sit, self/oldSelf, transition rules skipped without an
 *     old value, the `Invalid value: "<type>": <message>` cause, messageExpression/message;
 *   pkg/registry/customresource/strategy.go — CEL after the structural checks; hasBlockingErr's
 *     "some validation rules were not checked" cause;
 *   k8s.io/apimachinery pkg/api/errors/errors.go NewInvalid and pkg/util/errors/errors.go aggregate.Error — the
 *     422 message `<Kind>.<group> "<name>" is invalid: <field>: <detail>`, identical details once.
 *
 * Item 6 (the order part) in the same file, sharing the backends (ORDER_ROWS): kube-apiserver's admission chain
 * (k8s.io/apiserver v0.34.4):
 *   pkg/endpoints/handlers/create.go — FieldManager.UpdateNoErrors, then mutatingAdmission.Admit (the
 *     NamespaceLifecycle plugin first: pkg/admission/plugin/namespace/lifecycle/admission.go Lifecycle.Admit,
 *     then the mutating webhooks), then r.Create;
 *   pkg/registry/generic/registry/store.go — Create: rest.BeforeCreate (the strategy's schema + CEL
 *     validation, :501), then createValidation (validating admission, :507), then Storage.Create (AlreadyExists);
 *   pkg/endpoints/handlers/update.go — the same transformers (field manager, then mutating admission) before
 *     rest.BeforeUpdate (:753) and updateValidation (:768).
 * The kube backend is the reference: each row gets the same answer from both.
 * kcm's webhooks: mutation.clusterdeployment (kcm internal/webhook/clusterdeployment_webhook.go Default) and
 * validation.clusterdeployment (same file, ValidateCreate), attached as store hooks or as HTTPS webhooks.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { ApiException, CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { testBackends } from '../helpers/backend.js';
import {
  ACCESS_MANAGEMENTS as AMS,
  CLUSTER_DEPLOYMENTS as CDS,
  CLUSTER_TEMPLATES as CTS,
  K0RDENT_API_VERSION as API_VERSION,
  MULTI_CLUSTER_SERVICES as MCSS,
} from '../../src/sandbox/kcm/resources.js';
import { backendFor } from '../helpers/lifecycle.js';

const NS = 'kcm-system';
const NOT_CHECKED =
  'Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation';

type Rec = Record<string, unknown>;

interface Cause {
  reason: string;
  message: string;
  field: string;
}

interface Answer {
  code: number;
  reason?: string;
  message?: string;
  causes?: Cause[];
  object?: Rec;
}

async function answer(call: () => Promise<unknown>): Promise<Answer> {
  try {
    return { code: 200, object: (await call()) as Rec };
  } catch (err) {
    if (!(err instanceof ApiException)) throw err;
    const body = JSON.parse(String(err.body)) as { reason?: string; message?: string; details?: { causes?: Cause[] } };
    return {
      code: err.code,
      ...(body.reason ? { reason: body.reason } : {}),
      ...(body.message ? { message: body.message } : {}),
      causes: [...(body.details?.causes ?? [])].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    };
  }
}

function expectInvalid(a: Answer, message: string, causes: Cause[]): void {
  assert.equal(a.code, 422, JSON.stringify(a));
  assert.equal(a.reason, 'Invalid');
  assert.equal(a.message, message);
  assert.deepEqual(
    a.causes,
    [...causes].sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y))),
  );
}

function template(name: string, helm: Rec): Rec {
  return { apiVersion: API_VERSION, kind: 'ClusterTemplate', metadata: { name, namespace: NS }, spec: { helm } };
}

const CHART_SPEC = {
  chart: 'aws-standalone-cp',
  version: '1.0.14',
  interval: '10m0s',
  sourceRef: { kind: 'HelmRepository', name: 'kcm-templates' },
};
const AWS_CONFIG = {
  region: 'us-east-2',
  controlPlaneNumber: 1,
  workersNumber: 1,
  controlPlane: { instanceType: 't3.small' },
  worker: { instanceType: 't3.small' },
};

function deployment(name: string, spec: Rec): Rec {
  return {
    apiVersion: API_VERSION,
    kind: 'ClusterDeployment',
    metadata: { name, namespace: NS },
    spec: { template: 'aws-standalone-cp-1-0-14', credential: 'aws-cluster-credential', config: AWS_CONFIG, ...spec },
  };
}

const MERGE = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

interface Row {
  name: string;
  /** The CRD rule (data/k0rdent/crds file) and the kubernetes file the row follows. */
  rule: string;
  follows: string;
  run: (custom: CustomObjectsApi) => Promise<void>;
}

const ROWS: Row[] = [
  {
    name: 'ClusterTemplate: none of chartSpec, chartRef, chartSource → the one-of rule on spec.helm',
    rule: "k0rdent.mirantis.com_clustertemplates.yaml spec.helm: 'has(self.chartSpec) || has(self.chartRef) || has(self.chartSource)'",
    follows: 'validation.go validateExpressions (field.Invalid(fldPath, sts.Type, message))',
    run: async (custom) => {
      const a = await answer(() => custom.createNamespacedCustomObject({ ...CTS, namespace: NS, body: template('cel-none', {}) }));
      expectInvalid(
        a,
        'ClusterTemplate.k0rdent.mirantis.com "cel-none" is invalid: spec.helm: Invalid value: "object": one of chartSpec, chartRef or chartSource must be set',
        [
          {
            reason: 'FieldValueInvalid',
            message: 'Invalid value: "object": one of chartSpec, chartRef or chartSource must be set',
            field: 'spec.helm',
          },
        ],
      );
    },
  },
  {
    name: 'ClusterTemplate: chartSpec and chartRef together → two mutually-exclusive failures, one message',
    rule: "k0rdent.mirantis.com_clustertemplates.yaml spec.helm: '(has(self.chartSpec) ? (!has(self.chartSource) && !has(self.chartRef)): true)' and the chartRef twin",
    follows:
      'validation.go (one error per failed rule); k8s.io/apimachinery pkg/util/errors/errors.go aggregate.Error (identical messages once)',
    run: async (custom) => {
      const a = await answer(() =>
        custom.createNamespacedCustomObject({
          ...CTS,
          namespace: NS,
          body: template('cel-both', { chartSpec: CHART_SPEC, chartRef: { kind: 'HelmChart', name: 'x' } }),
        }),
      );
      const cause = {
        reason: 'FieldValueInvalid',
        message: 'Invalid value: "object": chartSpec, chartSource and chartRef are mutually exclusive',
        field: 'spec.helm',
      };
      expectInvalid(
        a,
        'ClusterTemplate.k0rdent.mirantis.com "cel-both" is invalid: spec.helm: Invalid value: "object": chartSpec, chartSource and chartRef are mutually exclusive',
        [cause, cause],
      );
    },
  },
  {
    name: 'ClusterTemplate: a valid template passes every rule; the transition rule does not run on CREATE; a metadata-only update keeps self == oldSelf',
    rule: "k0rdent.mirantis.com_clustertemplates.yaml spec: 'self == oldSelf' (Spec is immutable), spec.helm one-of rules",
    follows: 'validation.go validateExpressions ("transition rules are evaluated only if there is a comparable existing value")',
    run: async (custom) => {
      const created = await answer(() =>
        custom.createNamespacedCustomObject({ ...CTS, namespace: NS, body: template('cel-valid', { chartSpec: CHART_SPEC }) }),
      );
      assert.equal(created.code, 200, JSON.stringify(created));
      const labelled = await answer(() =>
        custom.patchNamespacedCustomObject(
          { ...CTS, namespace: NS, name: 'cel-valid', body: { metadata: { labels: { cel: 'yes' } } } },
          MERGE,
        ),
      );
      assert.equal(labelled.code, 200, JSON.stringify(labelled));
      assert.equal(((labelled.object!['metadata'] as Rec)['labels'] as Rec)['cel'], 'yes');
    },
  },
  {
    name: 'ClusterTemplate: changing the spec → Spec is immutable (a transition rule with oldSelf)',
    rule: "k0rdent.mirantis.com_clustertemplates.yaml spec: 'self == oldSelf' message 'Spec is immutable'",
    follows: 'validation.go validationActivationWithOldSelf (oldSelf bound on UPDATE)',
    run: async (custom) => {
      const created = await answer(() =>
        custom.createNamespacedCustomObject({ ...CTS, namespace: NS, body: template('cel-immutable', { chartSpec: CHART_SPEC }) }),
      );
      assert.equal(created.code, 200, JSON.stringify(created));
      const a = await answer(() =>
        custom.patchNamespacedCustomObject(
          { ...CTS, namespace: NS, name: 'cel-immutable', body: { spec: { helm: { chartSpec: { version: '1.0.43' } } } } },
          MERGE,
        ),
      );
      expectInvalid(
        a,
        'ClusterTemplate.k0rdent.mirantis.com "cel-immutable" is invalid: spec: Invalid value: "object": Spec is immutable',
        [{ reason: 'FieldValueInvalid', message: 'Invalid value: "object": Spec is immutable', field: 'spec' }],
      );
    },
  },
  {
    name: 'AccessManagement: targetNamespaces with list and stringSelector → the one-of rule, on a list item',
    rule: "k0rdent.mirantis.com_accessmanagements.yaml spec.accessRules[].targetNamespaces: '((has(self.stringSelector) ? 1 : 0) + (has(self.selector) ? 1 : 0) + (has(self.list) ? 1 : 0)) <= 1'",
    follows: 'validation.go validateArray (items validated at fldPath.Index(i))',
    run: async (custom) => {
      const body = {
        apiVersion: API_VERSION,
        kind: 'AccessManagement',
        metadata: { name: 'cel-am' },
        spec: {
          accessRules: [
            { targetNamespaces: { list: ['team-alpha'] } },
            { targetNamespaces: { list: ['team-beta'], stringSelector: 'env=dev' } },
          ],
        },
      };
      const a = await answer(() => custom.createClusterCustomObject({ ...AMS, body }));
      expectInvalid(
        a,
        'AccessManagement.k0rdent.mirantis.com "cel-am" is invalid: spec.accessRules[1].targetNamespaces: Invalid value: "object": only one of list, selector, stringSelector can be specified',
        [
          {
            reason: 'FieldValueInvalid',
            message: 'Invalid value: "object": only one of list, selector, stringSelector can be specified',
            field: 'spec.accessRules[1].targetNamespaces',
          },
        ],
      );
    },
  },
  {
    name: 'ClusterDeployment: a serviceSpec policyRef with both remoteURL and kind (CEL runs before the validating webhook)',
    rule: "k0rdent.mirantis.com_clusterdeployments.yaml spec.serviceSpec.policyRefs[]: 'has(self.remoteURL) != has(self.kind)'",
    follows: 'pkg/registry/generic/registry/store.go (BeforeCreate before createValidation); validation.go validateArray',
    run: async (custom) => {
      const body = deployment('cel-policy', {
        template: 'no-such-template',
        serviceSpec: { policyRefs: [{ kind: 'ConfigMap', name: 'p', namespace: NS, remoteURL: { url: 'https://example.com/p.yaml' } }] },
      });
      const a = await answer(() => custom.createNamespacedCustomObject({ ...CDS, namespace: NS, body }));
      expectInvalid(
        a,
        'ClusterDeployment.k0rdent.mirantis.com "cel-policy" is invalid: spec.serviceSpec.policyRefs[0]: Invalid value: "object": either remoteURL or kind must be set, but not both',
        [
          {
            reason: 'FieldValueInvalid',
            message: 'Invalid value: "object": either remoteURL or kind must be set, but not both',
            field: 'spec.serviceSpec.policyRefs[0]',
          },
        ],
      );
    },
  },
  {
    name: "ClusterDeployment: serviceSpec.provider.name may be set once ('' → name passes), then never changed",
    rule: 'k0rdent.mirantis.com_clusterdeployments.yaml spec.serviceSpec.provider.name: "oldSelf == \'\' || self == oldSelf"',
    follows: 'validation.go validateMap (oldSelf of a property correlated by key; the string schema type in the cause)',
    run: async (custom) => {
      const created = await answer(() =>
        custom.createNamespacedCustomObject({
          ...CDS,
          namespace: NS,
          body: deployment('cel-provider', { serviceSpec: { provider: { name: '' } } }),
        }),
      );
      assert.equal(created.code, 200, JSON.stringify(created));
      const set = await answer(() =>
        custom.patchNamespacedCustomObject(
          { ...CDS, namespace: NS, name: 'cel-provider', body: { spec: { serviceSpec: { provider: { name: 'ksm-projectsveltos' } } } } },
          MERGE,
        ),
      );
      assert.equal(set.code, 200, `setting the name from '' passes: ${JSON.stringify(set)}`);
      const a = await answer(() =>
        custom.patchNamespacedCustomObject(
          { ...CDS, namespace: NS, name: 'cel-provider', body: { spec: { serviceSpec: { provider: { name: 'other-provider' } } } } },
          MERGE,
        ),
      );
      expectInvalid(
        a,
        'ClusterDeployment.k0rdent.mirantis.com "cel-provider" is invalid: spec.serviceSpec.provider.name: Invalid value: "string": Provider name is immutable once set',
        [
          {
            reason: 'FieldValueInvalid',
            message: 'Invalid value: "string": Provider name is immutable once set',
            field: 'spec.serviceSpec.provider.name',
          },
        ],
      );
    },
  },
  {
    name: 'a structural error blocks the rules: the "some validation rules were not checked" cause instead of their verdicts',
    rule: 'k0rdent.mirantis.com_multiclusterservices.yaml (has x-kubernetes-validations; keepServicesOnSelectorMismatch is a boolean)',
    follows: 'pkg/registry/customresource/strategy.go hasBlockingErr',
    run: async (custom) => {
      const body = {
        apiVersion: API_VERSION,
        kind: 'MultiClusterService',
        metadata: { name: 'cel-mcs' },
        spec: { keepServicesOnSelectorMismatch: 'yes', serviceSpec: { policyRefs: [{ name: 'p', namespace: NS }] } },
      };
      const a = await answer(() => custom.createClusterCustomObject({ ...MCSS, body }));
      expectInvalid(
        a,
        `MultiClusterService.k0rdent.mirantis.com "cel-mcs" is invalid: [spec.keepServicesOnSelectorMismatch: Invalid value: "string": spec.keepServicesOnSelectorMismatch in body must be of type boolean: "string", <nil>: ${NOT_CHECKED}]`,
        [
          {
            reason: 'FieldValueTypeInvalid',
            message: 'Invalid value: "string": spec.keepServicesOnSelectorMismatch in body must be of type boolean: "string"',
            field: 'spec.keepServicesOnSelectorMismatch',
          },
          { reason: 'FieldValueInvalid', message: NOT_CHECKED, field: '<nil>' },
        ],
      );
    },
  },
];

/** A ClusterDeployment as the order rows send it (namespace and spec as given). */
function orderDeployment(namespace: string, name: string, spec: Rec): Rec {
  return { apiVersion: API_VERSION, kind: 'ClusterDeployment', metadata: { name, namespace }, spec };
}

/** The managedFields entry of `manager`: its fieldsV1. */
function ownedBy(object: Rec, manager: string): Rec {
  const entries = ((object['metadata'] as Rec)['managedFields'] ?? []) as Rec[];
  const entry = entries.find((e) => e['manager'] === manager);
  assert.ok(entry, `a managedFields entry for ${manager}: ${JSON.stringify(entries)}`);
  return entry['fieldsV1'] as Rec;
}

const ORDER_ROWS: Row[] = [
  {
    name: 'mutating admission runs before schema validation: the mutating webhook denial wins over a type error',
    follows: 'k8s.io/apiserver pkg/endpoints/handlers/create.go (mutatingAdmission.Admit before r.Create → BeforeCreate)',
    rule: 'kcm internal/webhook/clusterdeployment_webhook.go (Default: the mutating webhook; ValidateCreate: the validating one)',
    run: async (custom) => {
      // No config → kcm's mutating webhook looks the template up and denies (kcm clusterdeployment_webhook.go Default).
      const a = await answer(() =>
        custom.createNamespacedCustomObject({
          ...CDS,
          namespace: 'kcm-system',
          body: orderDeployment('kcm-system', 'order-mutating-first', { template: 'no-such-template', credential: 42 }),
        }),
      );
      assert.notEqual(a.code, 422, `the schema error must not be reported first: ${JSON.stringify(a)}`);
      assert.ok(a.code === 403 || a.code === 404, JSON.stringify(a));
      assert.match(
        a.message ?? '',
        /admission webhook "mutation\.clusterdeployment\.k0rdent\.mirantis\.com" denied the request: .*no-such-template/,
      );
    },
  },
  {
    name: 'schema validation runs before validating admission: a type error wins over the validating webhook denial',
    follows: 'k8s.io/apiserver pkg/registry/generic/registry/store.go:501 (BeforeCreate) before :507 (createValidation)',
    rule: 'kcm internal/webhook/clusterdeployment_webhook.go (Default: the mutating webhook; ValidateCreate: the validating one)',
    run: async (custom) => {
      // A config → the mutating webhook does nothing; the template is missing, which the validating webhook would deny.
      const a = await answer(() =>
        custom.createNamespacedCustomObject({
          ...CDS,
          namespace: 'kcm-system',
          body: orderDeployment('kcm-system', 'order-schema-first', { template: 'no-such-template', credential: 42, config: { a: 1 } }),
        }),
      );
      assert.equal(a.code, 422, JSON.stringify(a));
      assert.equal(a.reason, 'Invalid');
      assert.equal(
        a.message,
        'ClusterDeployment.k0rdent.mirantis.com "order-schema-first" is invalid: [spec.credential: Invalid value: "integer": spec.credential in body must be of type string: "integer", <nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation]',
      );
    },
  },
  {
    name: 'NamespaceLifecycle (a mutating plugin, first in the chain) answers before the mutating webhooks',
    follows: 'k8s.io/apiserver pkg/admission/plugin/namespace/lifecycle/admission.go (Lifecycle.Admit)',
    rule: 'kcm internal/webhook/clusterdeployment_webhook.go (Default: the mutating webhook; ValidateCreate: the validating one)',
    run: async (custom) => {
      const a = await answer(() =>
        custom.createNamespacedCustomObject({
          ...CDS,
          namespace: 'order-no-such-ns',
          body: orderDeployment('order-no-such-ns', 'order-ns', { template: 'no-such-template', credential: 'x' }),
        }),
      );
      assert.equal(a.code, 404, JSON.stringify(a));
      assert.equal(a.message, 'namespaces "order-no-such-ns" not found');
    },
  },
  {
    name: 'AlreadyExists comes from storage, after validation and admission: an invalid duplicate is 422, a valid one 409',
    follows: 'k8s.io/apiserver pkg/registry/generic/registry/store.go Create (Storage.Create after BeforeCreate and createValidation)',
    rule: 'kcm internal/webhook/clusterdeployment_webhook.go (Default: the mutating webhook; ValidateCreate: the validating one)',
    run: async (custom) => {
      const spec = {
        template: 'aws-standalone-cp-1-0-14',
        credential: 'aws-cluster-credential',
        config: {
          region: 'us-east-2',
          controlPlaneNumber: 1,
          workersNumber: 2,
          controlPlane: { instanceType: 't3.small' },
          worker: { instanceType: 't3.small' },
        },
      };
      const invalid = await answer(() =>
        custom.createNamespacedCustomObject({
          ...CDS,
          namespace: 'team-beta',
          body: orderDeployment('team-beta', 'beta-staging-cluster', { ...spec, dryRun: 'yes' }),
        }),
      );
      assert.equal(invalid.code, 422, JSON.stringify(invalid));
      assert.match(
        invalid.message ?? '',
        /^ClusterDeployment\.k0rdent\.mirantis\.com "beta-staging-cluster" is invalid: \[spec\.dryRun: Invalid value: "string": spec\.dryRun in body must be of type boolean: "string", <nil>: Invalid value: null: some validation rules were not checked/,
      );
      const duplicate = await answer(() =>
        custom.createNamespacedCustomObject({
          ...CDS,
          namespace: 'team-beta',
          body: orderDeployment('team-beta', 'beta-staging-cluster', spec),
        }),
      );
      assert.equal(duplicate.code, 409, JSON.stringify(duplicate));
      assert.equal(duplicate.message, 'clusterdeployments.k0rdent.mirantis.com "beta-staging-cluster" already exists');
    },
  },
  {
    name: "fields a mutating webhook sets are not attributed to the writer's managedFields (they are computed before admission)",
    follows: 'k8s.io/apiserver pkg/endpoints/handlers/create.go (FieldManager.UpdateNoErrors before mutatingAdmission.Admit)',
    rule: 'kcm internal/webhook/clusterdeployment_webhook.go (Default: the mutating webhook; ValidateCreate: the validating one)',
    run: async (custom) => {
      // kcm's mutating webhook copies the template's status.config and sets dryRun (clusterdeployment_webhook.go Default).
      const created = await answer(() =>
        custom.createNamespacedCustomObject({
          ...CDS,
          namespace: 'kcm-system',
          fieldManager: 'order-writer',
          dryRun: 'All',
          body: orderDeployment('kcm-system', 'order-defaulted', {
            template: 'aws-standalone-cp-1-0-14',
            credential: 'aws-cluster-credential',
          }),
        }),
      );
      assert.equal(created.code, 200, JSON.stringify(created));
      const spec = created.object!['spec'] as Rec;
      assert.equal(spec['dryRun'], true, 'the mutating webhook set dryRun');
      assert.ok(spec['config'] && typeof spec['config'] === 'object', 'the mutating webhook copied the template config');
      // The writer owns what it sent and the schema defaults applied at decoding (propagateCredentials), not
      // spec.config or spec.dryRun, which the webhook added after the field manager ran.
      const owned = ownedBy(created.object!, 'order-writer')['f:spec'] as Rec;
      assert.deepEqual(Object.keys(owned).sort(), ['.', 'f:credential', 'f:propagateCredentials', 'f:template']);
    },
  },
];

for (const choice of testBackends()) {
  describe(
    `kcm fidelity, CEL rules (issue 11 item 5) and the admission order (item 6) on the ${choice.name} backend`,
    { skip: choice.skip },
    () => {
      const backend = backendFor(choice.name, { provisionSeconds: 1, deleteSeconds: 1 });
      let custom: CustomObjectsApi;
      before(async () => {
        const kc = new KubeConfig();
        kc.loadFromString(backend.adminKubeconfig);
        custom = kc.makeApiClient(CustomObjectsApi);
      });
      for (const row of ROWS) {
        it(`${row.name} [rule: ${row.rule}] [follows: ${row.follows}]`, () => row.run(custom));
      }
      for (const row of ORDER_ROWS) {
        it(`admission order (item 6): ${row.name} [follows: ${row.follows}; ${row.rule}]`, () => row.run(custom));
      }
    },
  );
}
