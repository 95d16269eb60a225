/**
 * The sandbox's simulated kcm as kubectl sees it: seeded kinds, a ClusterDeployment applied, waited
 * for, watched and deleted, kcm's webhook denials, schema errors in conditions, and a TLS + token
 * kubeconfig kubectl accepts. On both backends (test/helpers/backend.ts): on kube the denials come from kcm's
 * HTTPS webhooks through kube-apiserver, and the token's RBAC is kube-apiserver's own.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { testBackends } from '../helpers/backend.js';
import { until } from '../helpers/until.js';
import { backendFor, tokensFile } from '../helpers/lifecycle.js';

const KUBECTL = '/usr/bin/kubectl';

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

interface Kubectl {
  run(args: string[], stdin?: string): Promise<Result>;
  spawn(args: string[]): { child: ChildProcess; output: () => string };
}

/** kubectl with its own kubeconfig and discovery cache in a temp dir. */
function kubectlFor(sandbox: { kubeconfig: string }, dir: string): Kubectl {
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, sandbox.kubeconfig);
  const base = ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache'), '--request-timeout', '20s'];
  return {
    run: (args, stdin) =>
      new Promise((resolve, reject) => {
        const child = spawn(KUBECTL, [...base, ...args], {
          stdio: ['pipe', 'pipe', 'pipe'],
          env: { PATH: process.env.PATH ?? '/usr/bin', HOME: dir },
        });
        let stdout = '';
        let stderr = '';
        child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
        child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, stdout, stderr }));
        child.stdin.end(stdin ?? '');
      }),
    spawn: (args) => {
      const child = spawn(KUBECTL, [...base, ...args], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { PATH: process.env.PATH ?? '/usr/bin', HOME: dir },
      });
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
      return { child, output: () => out };
    },
  };
}

function deploymentYaml(namespace: string, name: string, template: string, credential: string, config: string): string {
  return [
    'apiVersion: k0rdent.mirantis.com/v1beta1',
    'kind: ClusterDeployment',
    'metadata:',
    `  name: ${name}`,
    `  namespace: ${namespace}`,
    'spec:',
    `  template: ${template}`,
    `  credential: ${credential}`,
    '  config:',
    ...config.split('\n').map((l) => `    ${l}`),
  ].join('\n');
}

const AZURE_CONFIG = [
  'location: westus2',
  'subscriptionID: 00000000-0000-4000-8000-000000000042',
  'controlPlaneNumber: 1',
  'workersNumber: 1',
  'controlPlane: {vmSize: Standard_A4_v2}',
  'worker: {vmSize: Standard_A4_v2}',
].join('\n');

type Rec = Record<string, unknown>;
const names = (list: string): string[] =>
  ((JSON.parse(list) as { items: { metadata: { name: string } }[] }).items ?? []).map((i) => i.metadata.name);
const conditionsOf = (json: string): Rec[] => (((JSON.parse(json) as Rec)['status'] as Rec)['conditions'] ?? []) as Rec[];

for (const backend of testBackends()) {
  describe(`sandbox kcm through kubectl (${backend.name})`, { skip: backend.skip }, () => {
    const sandbox = backendFor(backend.name, { provisionSeconds: 1, deleteSeconds: 1 });
    let kubectl: Kubectl;
    const dir = mkdtempSync(join(tmpdir(), 'sandbox-kcm-kubectl-'));
    const watchers: ChildProcess[] = [];

    before(async () => {
      kubectl = kubectlFor(sandbox, dir);
    });
    after(async () => {
      for (const w of watchers) w.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    });

    it('gets every seeded kind', async () => {
      const expectations: [string[], string[]][] = [
        [
          ['get', 'namespaces'],
          ['kcm-system', 'team-alpha', 'team-beta', 'finance', 'default', 'kube-system'],
        ],
        [
          ['get', 'credentials', '-n', 'kcm-system'],
          ['azure-cluster-credential', 'aws-cluster-credential', 'gcp-cluster-credential'],
        ],
        [
          ['get', 'clustertemplates', '-A'],
          ['azure-standalone-cp-1-0-15', 'aws-standalone-cp-1-0-14', 'azure-standalone-cp-1-0-45'],
        ],
        [['get', 'clusterdeployments', '-A'], ['alpha-dev-cluster']],
        [['get', 'configmaps', '-n', 'kcm-system'], ['schema-ct-azure-standalone-cp-1-0-15']],
        [['get', 'clustertemplatechains', '-A'], ['azure-templates']],
        [['get', 'managements'], ['kcm']],
        [['get', 'accessmanagements'], ['kcm']],
      ];
      for (const [args, expected] of expectations) {
        const result = await kubectl.run([...args, '-o', 'json']);
        assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
        const got = names(result.stdout);
        for (const name of expected) assert.ok(got.includes(name), `${args.join(' ')} lists ${name}`);
      }
      const template = await kubectl.run([
        'get',
        'clustertemplate',
        'azure-standalone-cp-1-0-15',
        '-n',
        'kcm-system',
        '-o',
        'jsonpath={.status.valid} {.status.chartVersion} {.status.schemaConfigMapName}',
      ]);
      assert.equal(template.stdout, 'true 1.0.15 schema-ct-azure-standalone-cp-1-0-15');
      const credential = await kubectl.run([
        'get',
        'credential',
        'azure-cluster-credential',
        '-n',
        'team-alpha',
        '-o',
        'jsonpath={.status.ready} {.metadata.labels.k0rdent\\.mirantis\\.com/managed}',
      ]);
      assert.equal(credential.stdout, 'true true');
    });

    it('applies a ClusterDeployment server-side, waits for Ready, watches the transitions and deletes it in the foreground', async () => {
      const watch = kubectl.spawn([
        'get',
        'clusterdeployments',
        '-A',
        '-w',
        '-o',
        'custom-columns=NAME:.metadata.name,READY:.status.conditions[?(@.type=="Ready")].reason',
      ]);
      watchers.push(watch.child);
      await until('the watch to list the seeded deployments', () => watch.output().includes('alpha-dev-cluster'));

      const apply = await kubectl.run(
        ['apply', '--server-side', '-f', '-'],
        deploymentYaml('kcm-system', 'demo', 'azure-standalone-cp-1-0-15', 'azure-cluster-credential', AZURE_CONFIG),
      );
      assert.equal(apply.code, 0, apply.stderr);
      assert.match(apply.stdout, /clusterdeployment.k0rdent.mirantis.com\/demo serverside-applied/);

      const wait = await kubectl.run(['wait', '--for=condition=Ready', '--timeout=30s', 'clusterdeployment/demo', '-n', 'kcm-system']);
      assert.equal(wait.code, 0, wait.stderr);
      assert.match(wait.stdout, /condition met/);

      const got = await kubectl.run(['get', 'clusterdeployment', 'demo', '-n', 'kcm-system', '-o', 'json']);
      const object = JSON.parse(got.stdout) as { metadata: { finalizers: string[] } };
      assert.ok(object.metadata.finalizers.includes('k0rdent.mirantis.com/cluster-deployment'));
      const types = conditionsOf(got.stdout).map((c) => `${c['type']}=${c['status']}`);
      for (const t of [
        'TemplateReady=True',
        'CredentialReady=True',
        'HelmChartReady=True',
        'HelmReleaseReady=True',
        'CAPIClusterSummary=True',
        'Ready=True',
      ])
        assert.ok(types.includes(t), t);

      const del = await kubectl.run(['delete', '--cascade=foreground', 'clusterdeployment', 'demo', '-n', 'kcm-system', '--timeout=30s']);
      assert.equal(del.code, 0, del.stderr);
      const gone = await kubectl.run(['get', 'clusterdeployment', 'demo', '-n', 'kcm-system']);
      assert.notEqual(gone.code, 0);
      assert.match(gone.stderr, /NotFound.*"demo" not found/);

      await until('the watch to show the deletion', () => /demo\s+Deleting/.test(watch.output()));
      const states = watch
        .output()
        .split('\n')
        .filter((l) => l.startsWith('demo '))
        .map((l) => l.split(/\s+/)[1]);
      const distinct = states.filter((s, i) => s !== states[i - 1]);
      const at = (s: string): number => distinct.indexOf(s);
      assert.ok(at('Progressing') >= 0 && at('Succeeded') > at('Progressing') && at('Deleting') > at('Succeeded'), distinct.join(' → '));
    });

    it("denies a deployment whose template is not in its namespace, in kcm's wording", async () => {
      const result = await kubectl.run(
        ['apply', '--server-side', '-f', '-'],
        deploymentYaml('team-beta', 'wrong-ns', 'azure-standalone-cp-1-0-45', 'aws-cluster-credential', AZURE_CONFIG),
      );
      assert.notEqual(result.code, 0);
      assert.match(
        result.stderr,
        // kcm clusterdeployment_webhook.go:59-62 → the cache's NotFound (controller-runtime validator_custom.go:146-147)
        /Error from server \(NotFound\): admission webhook "validation\.clusterdeployment\.k0rdent\.mirantis\.com" denied the request: ClusterTemplate\.k0rdent\.mirantis\.com "azure-standalone-cp-1-0-45" not found/,
      );
      const absent = await kubectl.run(['get', 'clusterdeployment', 'wrong-ns', '-n', 'team-beta']);
      assert.notEqual(absent.code, 0);
    });

    it('denies a deployment whose credential is not ready', async () => {
      const result = await kubectl.run(
        ['create', '-f', '-'],
        deploymentYaml('kcm-system', 'stale-cred', 'azure-standalone-cp-1-0-45', 'azure-legacy-credential', AZURE_CONFIG),
      );
      assert.notEqual(result.code, 0);
      assert.match(
        result.stderr,
        /denied the request: the ClusterDeployment is invalid: the Credential kcm-system\/azure-legacy-credential is not Ready/,
      );
    });

    it('reports a config the chart schema rejects as HelmChartReady=False and Ready=False/Failed', async () => {
      const config = AZURE_CONFIG.replace('controlPlaneNumber: 1', 'controlPlaneNumber: "three"');
      const apply = await kubectl.run(
        ['apply', '--server-side', '-f', '-'],
        deploymentYaml('kcm-system', 'bad-config', 'azure-standalone-cp-1-0-45', 'azure-cluster-credential', config),
      );
      assert.equal(apply.code, 0, apply.stderr);
      const wait = await kubectl.run([
        'wait',
        '--for=condition=HelmChartReady=False',
        '--timeout=30s',
        'clusterdeployment/bad-config',
        '-n',
        'kcm-system',
      ]);
      assert.equal(wait.code, 0, wait.stderr);
      const got = await kubectl.run(['get', 'clusterdeployment', 'bad-config', '-n', 'kcm-system', '-o', 'json']);
      const conditions = conditionsOf(got.stdout);
      const chart = conditions.find((c) => c['type'] === 'HelmChartReady')!;
      assert.match(String(chart['message']), /^failed to validate template with provided configuration: .*controlPlaneNumber/);
      const ready = conditions.find((c) => c['type'] === 'Ready')!;
      assert.deepEqual([ready['status'], ready['reason']], ['False', 'Failed']);
    });
    it('makes a kcm-system template available in finance through AccessManagement, then deploys there', async () => {
      const patch = JSON.stringify([
        {
          op: 'add',
          path: '/spec/accessRules/-',
          value: { targetNamespaces: { list: ['finance'] }, resources: [{ kind: 'ClusterTemplateChain', names: ['aws-templates'] }] },
        },
      ]);
      const patched = await kubectl.run(['patch', 'accessmanagement', 'kcm', '--type=json', '-p', patch]);
      assert.equal(patched.code, 0, patched.stderr);
      const config = [
        'region: us-east-1',
        'controlPlaneNumber: 1',
        'workersNumber: 1',
        'controlPlane: {instanceType: t3.small}',
        'worker: {instanceType: t3.small}',
      ].join('\n');
      const manifest = deploymentYaml('finance', 'fin-cluster', 'aws-standalone-cp-1-0-43', 'finance-aws-credential', config);
      // The controller copies the chain and its templates right after the patch.
      await until(
        'aws-standalone-cp-1-0-43 copied into finance',
        async () => (await kubectl.run(['get', 'clustertemplate', 'aws-standalone-cp-1-0-43', '-n', 'finance'])).code === 0,
        { everyMs: 200 },
      );
      const applied = await kubectl.run(['apply', '--server-side', '-f', '-'], manifest);
      assert.equal(applied.code, 0, applied.stderr);
      const wait = await kubectl.run(['wait', '--for=condition=Ready', '--timeout=30s', 'clusterdeployment/fin-cluster', '-n', 'finance']);
      assert.equal(wait.code, 0, wait.stderr);
    });
  });

  describe(`sandbox kubeconfig with --tls and --tokens (${backend.name})`, { skip: backend.skip }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'sandbox-kcm-tls-'));
    const sandbox = backendFor(backend.name, {
      tls: true,
      tokensFile: tokensFile([
        { name: 'alice', token: 'alice-token-0123456789', namespaces: ['team-alpha'] },
        { name: 'admin', token: 'admin-token-0123456789', namespaces: ['*'] },
      ]),
    });
    after(() => {
      rmSync(dir, { recursive: true, force: true });
    });

    it('carries the CA and the first user token, and kubectl accepts it', async () => {
      assert.match(sandbox.kube?.url ?? sandbox.embedded?.url ?? '', /^https:\/\/127\.0\.0\.1:\d+$/);
      assert.match(sandbox.kubeconfig, /certificate-authority-data: \S+/);
      assert.match(sandbox.kubeconfig, /token: alice-token-0123456789/);
      const kubectl = kubectlFor(sandbox, dir);
      const own = await kubectl.run(['get', 'clustertemplates', '-n', 'team-alpha', '-o', 'json']);
      assert.equal(own.code, 0, own.stderr);
      assert.ok(names(own.stdout).includes('azure-standalone-cp-1-0-45'));
      const other = await kubectl.run(['get', 'clustertemplates', '-n', 'kcm-system']);
      assert.notEqual(other.code, 0);
      assert.match(other.stderr, /Forbidden/);
    });
  });
}
