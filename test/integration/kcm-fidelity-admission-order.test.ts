/**
 * Issue 11 item 6 (the order part): the admission chain of kube-apiserver on both backends, through the HTTP
 * API with client-node. kube-apiserver's order (k8s.io/apiserver v0.34.4):
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
import { after, before, describe, it } from 'node:test';
import { ApiException, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { startBackend, testBackends, type Backend } from '../helpers/backend.js';

const GROUP = 'k0rdent.mirantis.com';
const VERSION = 'v1beta1';
const CDS = { group: GROUP, version: VERSION, plural: 'clusterdeployments' };

type Rec = Record<string, unknown>;

interface Answer {
  code: number;
  reason?: string;
  message?: string;
  object?: Rec;
}

function deployment(namespace: string, name: string, spec: Rec): Rec {
  return { apiVersion: `${GROUP}/${VERSION}`, kind: 'ClusterDeployment', metadata: { name, namespace }, spec };
}

async function answer(call: () => Promise<unknown>): Promise<Answer> {
  try {
    return { code: 201, object: (await call()) as Rec };
  } catch (err) {
    if (!(err instanceof ApiException)) throw err;
    const body = JSON.parse(String(err.body)) as Rec;
    return { code: err.code, reason: String(body['reason']), message: String(body['message']) };
  }
}

/** The managedFields entry of `manager`: its fieldsV1. */
function ownedBy(object: Rec, manager: string): Rec {
  const entries = ((object['metadata'] as Rec)['managedFields'] ?? []) as Rec[];
  const entry = entries.find((e) => e['manager'] === manager);
  assert.ok(entry, `a managedFields entry for ${manager}: ${JSON.stringify(entries)}`);
  return entry['fieldsV1'] as Rec;
}

interface Row {
  name: string;
  /** The kubernetes (and kcm) file the row follows. */
  follows: string;
  run: (custom: CustomObjectsApi) => Promise<void>;
}

const ROWS: Row[] = [
  {
    name: 'mutating admission runs before schema validation: the mutating webhook denial wins over a type error',
    follows: 'k8s.io/apiserver pkg/endpoints/handlers/create.go (mutatingAdmission.Admit before r.Create → BeforeCreate)',
    run: async (custom) => {
      // No config → kcm's mutating webhook looks the template up and denies (kcm clusterdeployment_webhook.go Default).
      const a = await answer(() =>
        custom.createNamespacedCustomObject({ ...CDS, namespace: 'kcm-system', body: deployment('kcm-system', 'order-mutating-first', { template: 'no-such-template', credential: 42 }) }),
      );
      assert.notEqual(a.code, 422, `the schema error must not be reported first: ${JSON.stringify(a)}`);
      assert.ok(a.code === 403 || a.code === 404, JSON.stringify(a));
      assert.match(a.message ?? '', /admission webhook "mutation\.clusterdeployment\.k0rdent\.mirantis\.com" denied the request: .*no-such-template/);
    },
  },
  {
    name: 'schema validation runs before validating admission: a type error wins over the validating webhook denial',
    follows: 'k8s.io/apiserver pkg/registry/generic/registry/store.go:501 (BeforeCreate) before :507 (createValidation)',
    run: async (custom) => {
      // A config → the mutating webhook does nothing; the template is missing, which the validating webhook would deny.
      const a = await answer(() =>
        custom.createNamespacedCustomObject({ ...CDS, namespace: 'kcm-system', body: deployment('kcm-system', 'order-schema-first', { template: 'no-such-template', credential: 42, config: { a: 1 } }) }),
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
    run: async (custom) => {
      const a = await answer(() =>
        custom.createNamespacedCustomObject({ ...CDS, namespace: 'order-no-such-ns', body: deployment('order-no-such-ns', 'order-ns', { template: 'no-such-template', credential: 'x' }) }),
      );
      assert.equal(a.code, 404, JSON.stringify(a));
      assert.equal(a.message, 'namespaces "order-no-such-ns" not found');
    },
  },
  {
    name: 'AlreadyExists comes from storage, after validation and admission: an invalid duplicate is 422, a valid one 409',
    follows: 'k8s.io/apiserver pkg/registry/generic/registry/store.go Create (Storage.Create after BeforeCreate and createValidation)',
    run: async (custom) => {
      const spec = { template: 'aws-standalone-cp-1-0-14', credential: 'aws-cluster-credential', config: { region: 'us-east-2', controlPlaneNumber: 1, workersNumber: 2, controlPlane: { instanceType: 't3.small' }, worker: { instanceType: 't3.small' } } };
      const invalid = await answer(() =>
        custom.createNamespacedCustomObject({ ...CDS, namespace: 'team-beta', body: deployment('team-beta', 'beta-staging-cluster', { ...spec, dryRun: 'yes' }) }),
      );
      assert.equal(invalid.code, 422, JSON.stringify(invalid));
      assert.match(invalid.message ?? '', /^ClusterDeployment\.k0rdent\.mirantis\.com "beta-staging-cluster" is invalid: \[spec\.dryRun: Invalid value: "string": spec\.dryRun in body must be of type boolean: "string", <nil>: Invalid value: null: some validation rules were not checked/);
      const duplicate = await answer(() => custom.createNamespacedCustomObject({ ...CDS, namespace: 'team-beta', body: deployment('team-beta', 'beta-staging-cluster', spec) }));
      assert.equal(duplicate.code, 409, JSON.stringify(duplicate));
      assert.equal(duplicate.message, 'clusterdeployments.k0rdent.mirantis.com "beta-staging-cluster" already exists');
    },
  },
  {
    name: "fields a mutating webhook sets are not attributed to the writer's managedFields (they are computed before admission)",
    follows: 'k8s.io/apiserver pkg/endpoints/handlers/create.go (FieldManager.UpdateNoErrors before mutatingAdmission.Admit)',
    run: async (custom) => {
      // kcm's mutating webhook copies the template's status.config and sets dryRun (clusterdeployment_webhook.go Default).
      const created = await answer(() =>
        custom.createNamespacedCustomObject({
          ...CDS,
          namespace: 'kcm-system',
          fieldManager: 'order-writer',
          dryRun: 'All',
          body: deployment('kcm-system', 'order-defaulted', { template: 'aws-standalone-cp-1-0-14', credential: 'aws-cluster-credential' }),
        }),
      );
      assert.equal(created.code, 201, JSON.stringify(created));
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
  describe(`kcm fidelity, admission order (issue 11 item 6) on the ${choice.name} backend`, { skip: choice.skip }, () => {
    let backend: Backend;
    let custom: CustomObjectsApi;
    before(async () => {
      backend = await startBackend(choice.name, { provisionSeconds: 1, deleteSeconds: 1 });
      const kc = new KubeConfig();
      kc.loadFromString(backend.adminKubeconfig);
      custom = kc.makeApiClient(CustomObjectsApi);
    });
    after(async () => {
      await backend?.close();
    });

    for (const row of ROWS) {
      it(`${row.name} [${row.follows}]`, () => row.run(custom));
    }
  });
}
