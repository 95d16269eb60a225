/**
 * The k0.clusters.* tools through a real MCP client against the sandbox: the seed scenarios and the
 * acceptance bullets of issue 4. The main suite runs on both backends (test/helpers/backend.ts); the
 * metrics and paging suites need the sandbox's store and request log.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeRest } from '../../src/sandbox/kube/rest.js';
import { outsideMatrix, testBackends, type Backend } from '../helpers/backend.js';
import type { KubeObject as SandboxObject } from '../../src/sandbox/apiserver/types.js';
import { AZURE_BASELINE, startHarness, type Harness, errorOf, okOf as ok } from '../helpers/clusters-harness.js';
import { until } from '../helpers/until.js';
import { backendFor, sandboxFor, tokensFile, useHarness, useSandbox } from '../helpers/lifecycle.js';

const GROUP = 'k0rdent.mirantis.com';
const CD = { group: GROUP, version: 'v1beta1', plural: 'clusterdeployments' };
const CREDENTIALS = { group: GROUP, version: 'v1beta1', plural: 'credentials' };
const TEMPLATES = { group: GROUP, version: 'v1beta1', plural: 'clustertemplates' };
const AZURE_TEMPLATE = 'azure-standalone-cp-1-0-15';
const AZURE_CREDENTIAL = 'azure-cluster-credential';

type Items<T> = { items: T[]; continue?: string };

/**
 * On kube the cluster's own validation rule is a real ValidatingAdmissionPolicy (CEL) with its binding;
 * kube-apiserver answers 422 with the policy's message, as the sandbox's stand-in hook does.
 */
async function rejectAntarctica(backend: Backend): Promise<void> {
  if (backend.embedded) {
    backend.embedded.store.registerValidatingAdmission({ group: GROUP, plural: 'clusterdeployments' }, (request) => {
      const config = (request.object?.spec as { config?: { location?: string } } | undefined)?.config;
      if (config?.location === 'antarctica') {
        return {
          allowed: false,
          code: 422,
          reason: 'Invalid',
          message: `ClusterDeployment.k0rdent.mirantis.com "${request.object?.metadata.name}" is invalid: spec.config.location: Unsupported value: "antarctica"`,
        };
      }
      return { allowed: true };
    });
    return;
  }
  const admin = new KubeConfig();
  admin.loadFromString(backend.adminKubeconfig);
  const rest = new KubeRest(admin);
  const VAP = { group: 'admissionregistration.k8s.io', version: 'v1', plural: 'validatingadmissionpolicies' };
  const BINDING = { group: 'admissionregistration.k8s.io', version: 'v1', plural: 'validatingadmissionpolicybindings' };
  await rest.create(
    VAP,
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name: 'no-antarctica' },
      spec: {
        failurePolicy: 'Fail',
        matchConstraints: {
          resourceRules: [
            { apiGroups: [GROUP], apiVersions: ['v1beta1'], operations: ['CREATE', 'UPDATE'], resources: ['clusterdeployments'] },
          ],
        },
        validations: [
          {
            expression: "!has(object.spec.config) || !has(object.spec.config.location) || object.spec.config.location != 'antarctica'",
            message: 'spec.config.location: Unsupported value: "antarctica"',
            reason: 'Invalid',
          },
        ],
      },
    },
    'test',
  );
  await rest.create(
    BINDING,
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicyBinding',
      metadata: { name: 'no-antarctica' },
      spec: { policyName: 'no-antarctica', validationActions: ['Deny'] },
    },
    'test',
  );
  // The policy takes effect asynchronously: wait until a dry run is refused by it.
  const probe = {
    apiVersion: `${GROUP}/v1beta1`,
    kind: 'ClusterDeployment',
    metadata: { name: 'vap-probe', namespace: 'kcm-system' },
    spec: { template: AZURE_TEMPLATE, credential: AZURE_CREDENTIAL, config: { ...AZURE_BASELINE, location: 'antarctica' } },
  };
  await until(
    'the ValidatingAdmissionPolicy to refuse a dry run',
    async () => {
      const res = await rest.raw({
        method: 'POST',
        path: `/apis/${GROUP}/v1beta1/namespaces/kcm-system/clusterdeployments`,
        query: { dryRun: 'All' },
        body: probe,
      });
      return res.status === 422 ? true : undefined;
    },
    30_000,
  );
}

for (const choice of testBackends({ kcm: true })) {
  describe(
    `k0.clusters.* tools over MCP against the ${choice.name === 'kube' ? 'kube control plane' : choice.name === 'kcm' ? 'real kcm v1.11.4' : 'sandbox'}`,
    { skip: choice.skip },
    () => {
      const sandboxLog: string[] = [];
      const sandbox = backendFor(choice.name, { provisionSeconds: 1, deleteSeconds: 1, log: (line) => sandboxLog.push(line) });
      const devEnv = useHarness(() => sandbox, { authMode: 'DEV_ALLOW_ANY' });
      const prodEnv = useHarness(() => sandbox, { authMode: 'OIDC_REQUIRED', namespaceFilter: /^team-/ });
      let dev: Harness;
      let prod: Harness;

      // "No write happened anywhere" compares clientWriteMarker(): on kube the simulated kcm's timed status and Event
      // writes move etcd's revision, and under load one came after any quiet window (a full run at load 20).
      before(async () => {
        // A validation rule of the cluster (like a ValidatingAdmissionPolicy) that rejects one region with 422.
        await rejectAntarctica(sandbox);
        dev = devEnv.harness;
        prod = prodEnv.harness;
      });

      // Registration (names, annotations, schemas, snake style, READ_ONLY): test/integration/tool-declarations.test.ts.
      describe('listCredentials', () => {
        it('production with filter ^team- returns kcm-system plus the team-* namespaces, with provider and ready', async () => {
          const { items } = ok<
            Items<{
              name: string;
              namespace: string;
              provider: string;
              providerBasis: string;
              ready: boolean;
              identityRef: { kind?: string };
            }>
          >(await prod.call('k0.clusters.listCredentials', {}));
          const expected = (await sandbox.list(CREDENTIALS))
            .filter((o) => o.metadata.namespace === 'kcm-system' || /^team-/.test(o.metadata.namespace ?? ''))
            .map((o) => `${o.metadata.namespace}/${o.metadata.name}`)
            .sort();
          assert.deepEqual(items.map((c) => `${c.namespace}/${c.name}`).sort(), expected);
          assert.ok(items.some((c) => c.namespace === 'kcm-system'));
          assert.ok(items.some((c) => c.namespace.startsWith('team-')));
          assert.ok(!items.some((c) => c.namespace === 'finance'));
          const byName = (name: string): string | undefined => items.find((c) => c.namespace === 'kcm-system' && c.name === name)?.provider;
          assert.deepEqual(
            [
              'gcp-cluster-credential',
              'openstack-cluster-credential',
              'docker-stub-credential',
              'adopted-cluster-cred',
              'vsphere-cluster-credential',
            ].map(byName),
            ['gcp', 'openstack', 'docker', 'internal', 'vsphere'],
          );
          const azure = items.find((c) => c.namespace === 'kcm-system' && c.name === AZURE_CREDENTIAL);
          assert.equal(azure?.provider, 'azure');
          assert.equal(azure?.ready, true);
          for (const c of items) {
            const stored = (await sandbox.get(CREDENTIALS, c.namespace, c.name)) as SandboxObject & { status?: { ready?: boolean } };
            assert.equal(c.ready, stored.status?.ready === true, `${c.namespace}/${c.name} ready`);
            // A plain Secret is placed by the ProviderInterfaces plus its name, never left "ambiguous" here.
            if (c.identityRef.kind === 'Secret') assert.equal(c.providerBasis, 'name', `${c.namespace}/${c.name}`);
          }
        });
        it('namespace="finance" in production → forbidden, no data', async () => {
          const result = await prod.call('k0.clusters.listCredentials', { namespace: 'finance' });
          assert.equal(errorOf(result).code, 'forbidden');
          assert.equal((result.structuredContent as { items?: unknown }).items, undefined);
        });
        it('limit and continue page through every credential exactly once', async () => {
          const seen: string[] = [];
          let token: string | undefined;
          let pages = 0;
          do {
            const page = ok<Items<{ name: string; namespace: string }>>(
              await dev.call('k0.clusters.listCredentials', { limit: 2, ...(token ? { continue: token } : {}) }),
            );
            assert.ok(page.items.length <= 2);
            seen.push(...page.items.map((c) => `${c.namespace}/${c.name}`));
            token = page.continue;
            pages++;
          } while (token && pages < 50);
          const all = (await sandbox.list(CREDENTIALS)).map((o) => `${o.metadata.namespace}/${o.metadata.name}`);
          assert.deepEqual([...seen].sort(), [...all].sort());
          assert.ok(pages > 1);
        });
      });

      describe('listTemplates', () => {
        type T = {
          name: string;
          namespace: string;
          valid: boolean;
          cloud?: string;
          configSchema: { required: string[]; properties: Record<string, { type?: string }> };
        };
        it('scope global = only kcm-system, local = only the other readable namespaces, all = both', async () => {
          const global = ok<Items<T>>(await prod.call('k0.clusters.listTemplates', { scope: 'global' })).items;
          const local = ok<Items<T>>(await prod.call('k0.clusters.listTemplates', { scope: 'local' })).items;
          const all = ok<Items<T>>(await prod.call('k0.clusters.listTemplates', {})).items;
          assert.ok(global.length > 0 && global.every((t) => t.namespace === 'kcm-system'));
          assert.ok(local.length > 0 && local.every((t) => /^team-/.test(t.namespace)));
          const key = (t: T): string => `${t.namespace}/${t.name}`;
          assert.deepEqual(all.map(key).sort(), [...global, ...local].map(key).sort());
          const storeCount = (await sandbox.list(TEMPLATES)).filter(
            (o) => o.metadata.namespace === 'kcm-system' || /^team-/.test(o.metadata.namespace ?? ''),
          ).length;
          assert.equal(all.length, storeCount);
        });
        it('includes the config outline (required keys) of azure-standalone-cp-1-0-15', async () => {
          const { items } = ok<Items<T>>(await dev.call('k0.clusters.listTemplates', { scope: 'global', detail: 'full' }));
          const azure = items.find((t) => t.name === AZURE_TEMPLATE);
          assert.ok(azure, 'template listed');
          assert.equal(azure.cloud, 'azure');
          assert.equal(azure.valid, true);
          for (const key of ['controlPlaneNumber', 'workersNumber', 'location', 'subscriptionID', 'controlPlane', 'worker'])
            assert.ok(azure.configSchema.required.includes(key), key);
          assert.ok(!azure.configSchema.required.includes('clusterIdentity'));
          assert.equal(azure.configSchema.properties.location?.type, 'string');
        });
        it('scope global with another namespace is rejected; a forbidden namespace is forbidden', async () => {
          assert.equal(
            errorOf(await prod.call('k0.clusters.listTemplates', { scope: 'global', namespace: 'team-alpha' })).code,
            'invalidParams',
          );
          assert.equal(errorOf(await prod.call('k0.clusters.listTemplates', { namespace: 'finance' })).code, 'forbidden');
        });
      });

      describe('deploy, list and delete', () => {
        it('dev mode deploy without namespace lands in kcm-system and reports it; identical re-deploy is unchanged', async () => {
          const args = {
            name: 'dev-cluster-1',
            template: AZURE_TEMPLATE,
            credential: AZURE_CREDENTIAL,
            config: AZURE_BASELINE,
            labels: { env: 'test' },
          };
          const first = ok<{ namespace: string; status: string; uid: string; resourceVersion: string }>(
            await dev.call('k0.clusters.deploy', args),
          );
          assert.equal(first.namespace, 'kcm-system');
          assert.equal(first.status, 'created');
          const stored = (await sandbox.get(CD, 'kcm-system', 'dev-cluster-1')) as SandboxObject & {
            spec: { config: unknown; template: string };
          };
          assert.ok(stored, 'the ClusterDeployment exists in kcm-system');
          assert.equal(stored.metadata.uid, first.uid);
          assert.deepEqual(stored.spec.config, AZURE_BASELINE);
          assert.equal(stored.metadata.labels?.['k0rdent.mirantis.com/managed'], 'true');
          assert.equal(stored.metadata.labels?.['app.kubernetes.io/managed-by'], 'k0rdent-mcp');
          assert.equal(stored.metadata.labels?.env, 'test');
          assert.ok(
            (stored.metadata.managedFields as { manager: string }[] | undefined)?.some((m) => m.manager === 'mcp.clusters'),
            'applied with the configured field manager',
          );

          const again = ok<{ status: string; resourceVersion: string }>(await dev.call('k0.clusters.deploy', args));
          assert.equal(again.status, 'unchanged');

          const listed = ok<Items<{ name: string; namespace: string; template: string; deleting: boolean }>>(
            await dev.call('k0.clusters.list', { namespace: 'kcm-system', labelSelector: 'env=test' }),
          );
          assert.deepEqual(
            listed.items.map((d) => [d.name, d.template, d.deleting]),
            [['dev-cluster-1', AZURE_TEMPLATE, false]],
          );

          // deploy creates: another label set on the same name is a conflict naming the difference, nothing written.
          const before = (await sandbox.get(CD, 'kcm-system', 'dev-cluster-1'))!;
          const changed = errorOf(await dev.call('k0.clusters.deploy', { ...args, labels: { env: 'test', tier: 'gold' } }));
          assert.equal(changed.code, 'conflict');
          assert.match(changed.message, /labels\["tier"\]: \(absent\) → "gold".*k0\.clusters\.update/);
          assert.equal((await sandbox.get(CD, 'kcm-system', 'dev-cluster-1'))!.metadata.generation, before.metadata.generation);
          assert.deepEqual((await sandbox.get(CD, 'kcm-system', 'dev-cluster-1'))!.metadata.labels?.['tier'], undefined);

          // Moving to another template is allowed only to one of status.availableUpgrades (kcm's update check).
          const current = (await sandbox.get(CD, 'kcm-system', 'dev-cluster-1')) as SandboxObject & {
            status?: { availableUpgrades?: string[] };
          };
          const notOffered = 'aws-standalone-cp-1-0-14';
          assert.ok(!(current.status?.availableUpgrades ?? []).includes(notOffered));
          const upgrade = errorOf(await dev.call('k0.clusters.update', { name: 'dev-cluster-1', template: notOffered }));
          assert.equal(upgrade.code, 'invalidParams');
          assert.match(upgrade.message, new RegExp(`uses template "${AZURE_TEMPLATE}" and cannot be moved to "${notOffered}"`));
          assert.equal(
            ((await sandbox.get(CD, 'kcm-system', 'dev-cluster-1')) as SandboxObject & { spec: { template: string } }).spec.template,
            AZURE_TEMPLATE,
          );
        });

        it('production with filter ^team- picks the first matching namespace', async () => {
          const result = ok<{ namespace: string; status: string }>(
            await prod.call('k0.clusters.deploy', {
              name: 'prod-cluster-1',
              template: AZURE_TEMPLATE,
              credential: AZURE_CREDENTIAL,
              config: AZURE_BASELINE,
              dryRun: true,
            }),
          );
          const firstTeam = (await sandbox.list({ group: '', version: 'v1', plural: 'namespaces' }))
            .map((n) => n.metadata.name)
            .filter((n) => /^team-/.test(n))
            .sort()[0];
          assert.equal(result.namespace, firstTeam);
          assert.equal(result.status, 'dryRun');
        });

        it('dryRun stores nothing and returns the object the server would store', async () => {
          const result = ok<{
            status: string;
            object: { metadata: { name: string; labels: Record<string, string> }; spec: { template: string; config: unknown } };
          }>(
            await dev.call('k0.clusters.deploy', {
              name: 'dry-cluster',
              template: AZURE_TEMPLATE,
              credential: AZURE_CREDENTIAL,
              config: AZURE_BASELINE,
              dryRun: true,
            }),
          );
          assert.equal(result.status, 'dryRun');
          assert.equal(result.object.spec.template, AZURE_TEMPLATE);
          assert.equal(result.object.metadata.labels['k0rdent.mirantis.com/managed'], 'true');
          assert.equal(await sandbox.get(CD, 'kcm-system', 'dry-cluster'), undefined);
        });

        it('explicit forbidden namespace → forbidden and the sandbox shows nothing written', async () => {
          const before = await sandbox.clientWriteMarker();
          const result = await prod.call('k0.clusters.deploy', {
            name: 'fin-cluster',
            namespace: 'finance',
            template: AZURE_TEMPLATE,
            credential: AZURE_CREDENTIAL,
            config: AZURE_BASELINE,
          });
          assert.equal(errorOf(result).code, 'forbidden');
          assert.equal(await sandbox.get(CD, 'finance', 'fin-cluster'), undefined);
          assert.equal(await sandbox.clientWriteMarker(), before, 'no write happened anywhere');
        });

        it('missing template → invalidParams naming the available templates and the nearest one', async () => {
          const error = errorOf(
            await dev.call('k0.clusters.deploy', {
              name: 'typo-cluster',
              template: 'azure-standalone-cp-1-0-16',
              credential: AZURE_CREDENTIAL,
              config: AZURE_BASELINE,
            }),
          );
          assert.equal(error.code, 'invalidParams');
          const available = (await sandbox.list(TEMPLATES, { namespace: 'kcm-system' }))
            .filter((t) => (t as { status?: { valid?: boolean } }).status?.valid === true)
            .map((t) => t.metadata.name);
          for (const name of available) assert.ok(error.message.includes(name), `message names ${name}`);
          assert.match(error.message, /Did you mean "azure-standalone-cp-1-0-15"\?/);
          assert.equal(await sandbox.get(CD, 'kcm-system', 'typo-cluster'), undefined);
        });

        it('a template only in the global namespace → invalidParams with the AccessManagement hint', async () => {
          const betaTemplates = new Set((await sandbox.list(TEMPLATES, { namespace: 'team-beta' })).map((t) => t.metadata.name));
          const globalOnly = (await sandbox.list(TEMPLATES, { namespace: 'kcm-system' }))
            .map((t) => t.metadata.name)
            .find((name) => !betaTemplates.has(name));
          assert.ok(globalOnly);
          const error = errorOf(
            await prod.call('k0.clusters.deploy', {
              name: 'beta-cluster',
              namespace: 'team-beta',
              template: globalOnly,
              credential: 'aws-cluster-credential',
              config: {},
            }),
          );
          assert.equal(error.code, 'invalidParams');
          assert.match(error.message, /AccessManagement "kcm"/);
          assert.match(error.message, /ClusterTemplateChain/);
        });

        it('a credential that is not ready → invalidParams; empty required config → invalidParams naming the JSON path', async () => {
          const notReady = (await sandbox.list(CREDENTIALS, { namespace: 'kcm-system' })).find(
            (c) => (c as { status?: { ready?: boolean } }).status?.ready !== true,
          )?.metadata.name;
          assert.ok(notReady);
          const e1 = errorOf(
            await dev.call('k0.clusters.deploy', {
              name: 'nr-cluster',
              template: AZURE_TEMPLATE,
              credential: notReady,
              config: AZURE_BASELINE,
            }),
          );
          assert.equal(e1.code, 'invalidParams');
          assert.match(e1.message, /is not ready/);
          const e2 = errorOf(
            await dev.call('k0.clusters.deploy', {
              name: 'empty-cluster',
              template: AZURE_TEMPLATE,
              credential: AZURE_CREDENTIAL,
              config: { ...AZURE_BASELINE, location: '' },
            }),
          );
          assert.equal(e2.code, 'invalidParams');
          assert.match(e2.message, /config\.location is required and must not be empty/);
          assert.ok(!e2.message.includes('clusterIdentity'));
          assert.equal(await sandbox.get(CD, 'kcm-system', 'empty-cluster'), undefined);
        });

        it('arguments that do not match the input schema → invalidParams like every other failure, logged and counted', async () => {
          const before = await sandbox.clientWriteMarker();
          const error = errorOf(
            await dev.call('k0.clusters.deploy', { name: 'typed-cluster', template: 42, credential: AZURE_CREDENTIAL, wait: 'yes' }),
          );
          assert.equal(error.code, 'invalidParams');
          assert.match(error.message, /do not match the input schema of k0.clusters.deploy/);
          assert.match(error.message, /template/);
          assert.match(error.message, /wait/);
          assert.equal(await sandbox.clientWriteMarker(), before, 'no write happened anywhere');
          const line = dev.logs.find((l) => l.tool === 'k0.clusters.deploy' && l.cluster === 'typed-cluster');
          assert.ok(line, 'one log line for the rejected call');
          assert.equal(line.level, 40, 'logged as a warning');
          assert.equal(line.outcome, 'invalid');
          assert.equal(line.credential, AZURE_CREDENTIAL);
          assert.match(await dev.metrics.metrics(), /^clusters_deploy_total\{outcome="invalid"\} [1-9]\d*$/m);

          const unknownTool = await dev.client.callTool({ name: 'k0.clusters.nope', arguments: {} });
          assert.equal(unknownTool.isError, true, 'an unknown tool is still refused');
        });

        it('a malformed duration is invalidParams even without wait, and nothing is written', async () => {
          const before = await sandbox.clientWriteMarker();
          const deploy = errorOf(
            await dev.call('k0.clusters.deploy', {
              name: 'slow-cluster',
              template: AZURE_TEMPLATE,
              credential: AZURE_CREDENTIAL,
              config: AZURE_BASELINE,
              provisionTimeout: 'soon',
            }),
          );
          assert.equal(deploy.code, 'invalidParams');
          assert.match(deploy.message, /provisionTimeout "soon" is not a duration/);
          const del = errorOf(await dev.call('k0.clusters.delete', { name: 'slow-cluster', pollInterval: '-5s' }));
          assert.equal(del.code, 'invalidParams');
          assert.match(del.message, /pollInterval/);
          assert.equal(await sandbox.clientWriteMarker(), before, 'no write happened anywhere');
        });

        it('aws: required keys the chart defaults are not demanded; empty-string defaults (region, instanceType) are', async () => {
          const AWS_TEMPLATE = 'aws-standalone-cp-1-0-14';
          const missing = errorOf(
            await prod.call('k0.clusters.deploy', {
              name: 'aws-cluster',
              namespace: 'team-beta',
              template: AWS_TEMPLATE,
              credential: 'aws-cluster-credential',
              config: {},
              dryRun: true,
            }),
          );
          assert.equal(missing.code, 'invalidParams');
          for (const path of ['config.region', 'config.controlPlane.instanceType', 'config.worker.instanceType'])
            assert.ok(missing.message.includes(path), `names ${path}: ${missing.message}`);
          for (const defaulted of ['imageLookup', 'k0s.version', 'iamInstanceProfile', 'clusterIdentity'])
            assert.ok(!missing.message.includes(defaulted), `does not demand ${defaulted}: ${missing.message}`);
          if (choice.name === 'kcm') {
            // The product is stricter than kcm here: its pre-check (src/clusters/config-schema.ts) refuses the chart's
            // empty-string defaults, which CAPA would refuse only at provisioning; real kcm v1.11.4 admits the same
            // deployment (and renders it: real-kcm-differential's 'the product is stricter than kcm').
            const admin = new KubeConfig();
            admin.loadFromString(sandbox.adminKubeconfig);
            const admitted = await new KubeRest(admin).raw({
              method: 'POST',
              path: `/apis/${GROUP}/v1beta1/namespaces/team-beta/clusterdeployments`,
              query: { dryRun: 'All' },
              body: {
                apiVersion: `${GROUP}/v1beta1`,
                kind: 'ClusterDeployment',
                metadata: { name: 'aws-cluster', namespace: 'team-beta' },
                spec: { template: AWS_TEMPLATE, credential: 'aws-cluster-credential', config: { region: 'us-east-2' } },
              },
            });
            assert.equal(admitted.status, 201, `real kcm admits an empty instanceType: ${JSON.stringify(admitted.body)}`);
          }

          const config = { region: 'us-east-2', controlPlane: { instanceType: 't3.large' }, worker: { instanceType: 't3.large' } };
          const result = ok<{ status: string; namespace: string }>(
            await prod.call('k0.clusters.deploy', {
              name: 'aws-cluster',
              namespace: 'team-beta',
              template: AWS_TEMPLATE,
              credential: 'aws-cluster-credential',
              config,
              dryRun: true,
            }),
          );
          assert.deepEqual([result.status, result.namespace], ['dryRun', 'team-beta']);
        });

        it('Kubernetes validation error → invalidParams with the API server message and a warning log line', async () => {
          const error = errorOf(
            await dev.call('k0.clusters.deploy', {
              name: 'ice-cluster',
              template: AZURE_TEMPLATE,
              credential: AZURE_CREDENTIAL,
              config: { ...AZURE_BASELINE, location: 'antarctica' },
            }),
          );
          assert.equal(error.code, 'invalidParams');
          assert.match(error.message, /spec\.config\.location: Unsupported value: "antarctica"/);
          const lines = dev.logs.filter((l) => l.tool === 'k0.clusters.deploy' && l.cluster === 'ice-cluster');
          assert.equal(lines.length, 1, 'exactly one log line for the call');
          const line = lines[0];
          assert.ok(line);
          assert.equal(line.level, 40, 'logged as a warning');
          assert.equal(line.outcome, 'invalid');
          assert.equal(line.template, AZURE_TEMPLATE);
          assert.equal(line.credential, AZURE_CREDENTIAL);
          assert.equal(line.namespace, 'kcm-system');
          assert.equal(line.sessionId, 'test-session');
          assert.equal(typeof line.durationMs, 'number');
        });

        it('delete → deleted with propagationPolicy=Foreground on the wire; again → not_found, not an error', async () => {
          const deleted = ok<{ status: string; namespace: string }>(await dev.call('k0.clusters.delete', { name: 'dev-cluster-1' }));
          assert.deepEqual([deleted.status, deleted.namespace], ['deleted', 'kcm-system']);
          // The sandbox logs each request (kube has no request log; the wire is the same product code).
          if (sandbox.embedded) {
            assert.ok(
              sandboxLog.some((l) =>
                /^DELETE \/apis\/k0rdent\.mirantis\.com\/v1beta1\/namespaces\/kcm-system\/clusterdeployments\/dev-cluster-1\?.*propagationPolicy=Foreground/.test(
                  l,
                ),
              ),
              'DELETE carried propagationPolicy=Foreground',
            );
          }
          await until(
            'dev-cluster-1 gone',
            async () => ((await sandbox.get(CD, 'kcm-system', 'dev-cluster-1')) === undefined ? true : undefined),
            10_000,
          );
          const again = await dev.call('k0.clusters.delete', { name: 'dev-cluster-1' });
          assert.ok(!again.isError);
          assert.equal(ok<{ status: string }>(again).status, 'not_found');
        });

        it('dev mode with a filter that excludes the dev default: deploy/delete without namespace → forbidden, nothing written', async () => {
          const filtered = await startHarness(sandbox, { authMode: 'DEV_ALLOW_ANY', namespaceFilter: /^team-/ });
          try {
            const before = await sandbox.clientWriteMarker();
            const deploy = errorOf(
              await filtered.call('k0.clusters.deploy', {
                name: 'default-ns-cluster',
                template: AZURE_TEMPLATE,
                credential: AZURE_CREDENTIAL,
                config: AZURE_BASELINE,
              }),
            );
            assert.equal(deploy.code, 'forbidden');
            assert.match(deploy.message, /CLUSTER_DEFAULT_NAMESPACE_DEV/);
            const seeded = (await sandbox.list(CD, { namespace: 'kcm-system' }))[0]?.metadata.name ?? 'anything';
            const del = errorOf(await filtered.call('k0.clusters.delete', { name: seeded }));
            assert.equal(del.code, 'forbidden');
            assert.equal(await sandbox.clientWriteMarker(), before, 'no write happened anywhere');
          } finally {
            await filtered.close();
          }
        });

        it('delete in a forbidden namespace → forbidden', async () => {
          const seeded = (await sandbox.list(CD, { namespace: 'finance' }))[0];
          const name = seeded?.metadata.name ?? 'anything';
          const result = await prod.call('k0.clusters.delete', { name, namespace: 'finance' });
          assert.equal(errorOf(result).code, 'forbidden');
          if (seeded) assert.equal((await sandbox.get(CD, 'finance', name))?.metadata.deletionTimestamp, undefined, 'nothing was deleted');
        });
      });

      describe('waiting', () => {
        it('deploy wait=true → ready:true with progress notifications; delete wait=true → gone', async () => {
          const progress: { progress: number; message?: string }[] = [];
          const result = ok<{ ready: boolean; timedOut: boolean; phase: string; conditions: { type: string; status: string }[] }>(
            await prod.call(
              'k0.clusters.deploy',
              {
                name: 'wait-cluster',
                namespace: 'team-alpha',
                template: AZURE_TEMPLATE,
                credential: AZURE_CREDENTIAL,
                config: AZURE_BASELINE,
                wait: true,
                pollInterval: '1s',
                provisionTimeout: '30s',
              },
              { onprogress: (p) => progress.push(p), timeout: 30_000 },
            ),
          );
          assert.equal(result.ready, true);
          assert.equal(result.timedOut, false);
          assert.equal(result.phase, 'Ready');
          assert.ok(result.conditions.some((c) => c.type === 'Ready' && c.status === 'True'));
          assert.ok(progress.length >= 2, `progress notifications received: ${progress.length}`);
          for (let i = 1; i < progress.length; i++)
            assert.ok((progress[i]?.progress ?? 0) > (progress[i - 1]?.progress ?? 0), 'progress increases');
          assert.ok(progress.every((p) => typeof p.message === 'string' && p.message.length > 0));

          const deleteProgress: { message?: string }[] = [];
          const gone = ok<{ status: string; gone: boolean; timedOut: boolean }>(
            await prod.call(
              'k0.clusters.delete',
              { name: 'wait-cluster', namespace: 'team-alpha', wait: true, pollInterval: '1s', deletionTimeout: '30s' },
              { onprogress: (p) => deleteProgress.push(p), timeout: 30_000 },
            ),
          );
          assert.deepEqual([gone.status, gone.gone, gone.timedOut], ['deleted', true, false]);
          assert.equal(await sandbox.get(CD, 'team-alpha', 'wait-cluster'), undefined);
          assert.ok(
            deleteProgress.some((p) => /Deleting/.test(p.message ?? '')),
            'progress from the Deleting condition',
          );
        });

        it('cancelling a waiting deploy ends the wait on the server', async () => {
          const controller = new AbortController();
          const pending = prod.call(
            'k0.clusters.deploy',
            {
              name: 'cancel-cluster',
              namespace: 'team-alpha',
              template: AZURE_TEMPLATE,
              credential: AZURE_CREDENTIAL,
              config: AZURE_BASELINE,
              wait: true,
              provisionTimeout: '5m',
            },
            { signal: controller.signal, onprogress: () => controller.abort('test cancels') },
          );
          await assert.rejects(pending);
          const line = await until("the cancelled deploy's log line", () =>
            prod.logs.find((l) => l.tool === 'k0.clusters.deploy' && l.cluster === 'cancel-cluster'),
          );
          assert.equal(line.outcome, 'cancelled');
          await prod.call('k0.clusters.delete', { name: 'cancel-cluster', namespace: 'team-alpha' });
        });
      });
    },
  );
}

describe('cluster metrics after tool calls', outsideMatrix(), () => {
  const env = useSandbox({ provisionSeconds: 1, deleteSeconds: 1 }, { authMode: 'DEV_ALLOW_ANY', namespaceFilter: /^team-/ });

  it('a successful deploy counts once with one duration observation; a forbidden call counts as forbidden', async () => {
    ok(
      await env.harness.call('k0.clusters.deploy', {
        name: 'm-cluster',
        namespace: 'team-alpha',
        template: AZURE_TEMPLATE,
        credential: AZURE_CREDENTIAL,
        config: AZURE_BASELINE,
      }),
    );
    const afterDeploy = await env.harness.metrics.metrics();
    assert.match(afterDeploy, /^clusters_deploy_total\{outcome="success"\} 1$/m);
    assert.match(afterDeploy, /^clusters_deploy_duration_seconds_count 1$/m);
    assert.match(afterDeploy, /^clusters_deploy_total\{outcome="forbidden"\} 0$/m, 'every outcome series starts at 0');

    errorOf(
      await env.harness.call('k0.clusters.deploy', {
        name: 'm-cluster',
        namespace: 'finance',
        template: AZURE_TEMPLATE,
        credential: AZURE_CREDENTIAL,
        config: AZURE_BASELINE,
      }),
    );
    errorOf(await env.harness.call('k0.clusters.listCredentials', { namespace: 'finance' }));
    const text = await env.harness.metrics.metrics();
    assert.match(text, /^clusters_deploy_total\{outcome="success"\} 1$/m);
    assert.match(text, /^clusters_deploy_total\{outcome="forbidden"\} 1$/m);
    assert.match(text, /^clusters_deploy_duration_seconds_count 2$/m);
    assert.match(text, /^clusters_list_credentials_total\{outcome="forbidden"\} 1$/m);
    assert.match(text, /^clusters_list_duration_seconds_count\{operation="credentials"\} 1$/m);
    for (const name of [
      'clusters_list_templates_total',
      'clusters_list_total',
      'clusters_delete_total',
      'clusters_delete_duration_seconds',
    ])
      assert.ok(text.includes(`# TYPE ${name}`), `${name} registered`);
    assert.match(text, /process_cpu_user_seconds_total/);
  });
});

describe('paging every list tool at small limits returns the unpaged result exactly once', outsideMatrix(), () => {
  // admin may list cluster-wide (one filtered cluster-wide LIST per page); beta may not (403 → the
  // per-namespace fallback), and may read kcm-system and team-beta only (team-alpha answers 403).
  const log: string[] = [];
  const sandbox = sandboxFor(() => ({
    tokensFile: tokensFile([
      { name: 'admin', token: 'admin-token', namespaces: ['*'] },
      { name: 'beta', token: 'beta-token', namespaces: ['kcm-system', 'team-beta'] },
    ]),
    log: (line) => log.push(line),
  }));
  const harnesses: { label: string; filter: RegExp | undefined; harness: Harness }[] = [];
  const filters: (RegExp | undefined)[] = [/^team-beta/, /^team-/, undefined];
  // Enough items in more than one readable namespace that pages end inside filtered server pages.
  const extraTemplates = 6;
  const extraCredentials = 4;
  // One harness per user and filter (test/helpers/lifecycle.ts closes each in after).
  const fixtures = filters.flatMap((filter) =>
    (
      [
        ['admin', 'admin-token'],
        ['beta', 'beta-token'],
      ] as const
    ).map(([user, token]) => ({
      label: `${user} filter=${String(filter)}`,
      filter,
      env: useHarness(() => sandbox, { authMode: 'OIDC_REQUIRED', namespaceFilter: filter }, token),
    })),
  );

  before(() => {
    for (const ns of ['team-alpha', 'team-beta', 'finance']) {
      const template = sandbox.store.list(TEMPLATES).find((o) => o.metadata.namespace === 'kcm-system');
      const credential = sandbox.store.list(CREDENTIALS).find((o) => o.metadata.namespace === 'kcm-system');
      assert.ok(template && credential);
      for (let i = 0; i < extraTemplates; i++) {
        sandbox.store.create(TEMPLATES, {
          ...template,
          metadata: { name: `paging-${i}-${template.metadata.name}`, namespace: ns },
        } as SandboxObject);
      }
      for (let i = 0; i < extraCredentials; i++) {
        sandbox.store.create(CREDENTIALS, {
          ...credential,
          metadata: { name: `paging-${i}-${credential.metadata.name}`, namespace: ns },
        } as SandboxObject);
      }
    }
    for (const { label, filter, env } of fixtures) harnesses.push({ label, filter, harness: env.harness });
  });

  const calls: { tool: string; args: Record<string, unknown>; kind: typeof CD }[] = [
    { tool: 'k0.clusters.listCredentials', args: {}, kind: CREDENTIALS },
    { tool: 'k0.clusters.listTemplates', args: {}, kind: TEMPLATES },
    { tool: 'k0.clusters.listTemplates', args: { scope: 'local' }, kind: TEMPLATES },
    { tool: 'k0.clusters.list', args: {}, kind: CD },
  ];

  it('credentials, templates (all, local) and deployments at limits 1..5, cluster-wide and per-namespace', async () => {
    const key = (o: { namespace: string; name: string }): string => `${o.namespace}/${o.name}`;
    const wrong: string[] = [];
    for (const { label, filter, harness } of harnesses) {
      const beta = label.startsWith('beta');
      for (const { tool, args, kind } of calls) {
        const what = `${label} ${tool} ${JSON.stringify(args)}`;
        const full = ok<Items<{ namespace: string; name: string }>>(await harness.call(tool, { ...args, limit: 500 }));
        assert.equal(full.continue, undefined, `${what}: one page holds everything`);
        const all = full.items.map(key);
        // The unpaged result is itself right: every readable object of the kind, once.
        const readable = (ns: string): boolean =>
          (ns === 'kcm-system' || filter === undefined || filter.test(ns)) &&
          (!beta || ns === 'kcm-system' || ns === 'team-beta') &&
          (args.scope !== 'local' || ns !== 'kcm-system');
        const expected = sandbox.store
          .list(kind)
          .filter((o) => readable(o.metadata.namespace ?? ''))
          .map((o) => `${o.metadata.namespace}/${o.metadata.name}`);
        assert.deepEqual([...all].sort(), [...expected].sort(), `${what}: unpaged result`);
        assert.ok(all.length > 0, `${what}: something to page through`);
        for (let limit = 1; limit <= 5; limit++) {
          const seen: string[] = [];
          let token: string | undefined;
          let pages = 0;
          do {
            const page = ok<Items<{ namespace: string; name: string }>>(
              await harness.call(tool, { ...args, limit, ...(token ? { continue: token } : {}) }),
            );
            assert.ok(page.items.length <= limit, `${what} limit=${limit}: page size`);
            seen.push(...page.items.map(key));
            token = page.continue;
            pages++;
          } while (token && pages <= all.length + 1);
          // The pages, concatenated, are the unpaged result: same items, same order, each once.
          if (JSON.stringify(seen) !== JSON.stringify(all))
            wrong.push(`${what} limit=${limit}: got ${seen.length} [${seen.join(' ')}], want ${all.length} [${all.join(' ')}]`);
        }
        // A client may change the limit between pages (Kubernetes allows it).
        const mixed = [5, 1, 4, 2, 3];
        const seen: string[] = [];
        let token: string | undefined;
        for (let pages = 0; pages <= all.length + 1; pages++) {
          const page = ok<Items<{ namespace: string; name: string }>>(
            await harness.call(tool, { ...args, limit: mixed[pages % mixed.length], ...(token ? { continue: token } : {}) }),
          );
          seen.push(...page.items.map(key));
          token = page.continue;
          if (!token) break;
        }
        if (JSON.stringify(seen) !== JSON.stringify(all))
          wrong.push(`${what} limits ${mixed.join(',')}…: got ${seen.length} [${seen.join(' ')}], want ${all.length} [${all.join(' ')}]`);
      }
    }
    assert.deepEqual(wrong, [], wrong.join('\n'));
    // Both strategies were exercised: admin lists cluster-wide; beta is refused that and lists per namespace.
    const lists = (user: string, namespaced: boolean, status: number): number =>
      log.filter((l) =>
        new RegExp(
          `^GET /apis/k0rdent\\.mirantis\\.com/v1beta1/${namespaced ? 'namespaces/[^/]+/' : ''}(credentials|clustertemplates|clusterdeployments)\\?.* ${status} user=${user}$`,
        ).test(l),
      ).length;
    assert.ok(lists('admin', false, 200) > 0 && lists('admin', true, 200) === 0, 'admin: cluster-wide LISTs only');
    assert.ok(lists('beta', false, 403) > 0 && lists('beta', true, 200) > 0, 'beta: 403 cluster-wide, then per-namespace LISTs');
  });

  it('per-namespace paging resumes at the right namespace when a readable namespace appears meanwhile', async () => {
    const entry = harnesses.find((h) => h.label === 'beta filter=undefined');
    assert.ok(entry);
    const key = (o: { namespace: string; name: string }): string => `${o.namespace}/${o.name}`;
    const all = ok<Items<{ namespace: string; name: string }>>(
      await entry.harness.call('k0.clusters.listCredentials', { limit: 500 }),
    ).items.map(key);
    const first = ok<Items<{ namespace: string; name: string }>>(await entry.harness.call('k0.clusters.listCredentials', { limit: 2 }));
    assert.ok(first.continue);
    const seen = first.items.map(key);
    // Sorts before every other namespace, is readable by the policy (no filter), forbidden to beta by RBAC.
    const NAMESPACES = { group: '', version: 'v1', plural: 'namespaces' };
    sandbox.store.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'aaa-paging' } } as SandboxObject);
    try {
      let token: string | undefined = first.continue;
      for (let pages = 0; token && pages <= all.length; pages++) {
        const page: Items<{ namespace: string; name: string }> = ok<Items<{ namespace: string; name: string }>>(
          await entry.harness.call('k0.clusters.listCredentials', { limit: 2, continue: token }),
        );
        seen.push(...page.items.map(key));
        token = page.continue;
      }
      assert.deepEqual(seen, all);
    } finally {
      sandbox.store.delete(NAMESPACES, undefined, 'aaa-paging');
    }
  });
});
