/**
 * The Helm chart (deploy/chart) with the real `helm` CLI (npm run helm:build, from Go modules): it lints, it
 * renders the shape of each kustomize overlay from the values in deploy/chart/ci/, its ClusterRole is exactly
 * the union of the access every tool declares (the same check test/integration/rbac.test.ts holds the kustomize
 * ClusterRole to; the chart reads its rules from that very file), its values schema refuses a wrong value at
 * install time, and on the real kube-apiserver the rendered manifests pass a server-side dry run, then apply.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { parse, parseAllDocuments } from 'yaml';
import { mergeAccess } from '../../src/kube/access.js';
import { TOOLS } from '../../src/mcp/tools/index.js';
import { testBackends } from '../helpers/backend.js';
import { REPO_ROOT } from '../helpers/cli-process.js';
import { kubectlFor, type Kubectl } from '../helpers/kubectl.js';
import { backendFor, tokensFile } from '../helpers/lifecycle.js';
import { AZURE_BASELINE, sandboxKubeConfig, startHarness } from '../helpers/clusters-harness.js';

const run = promisify(execFile);
const HELM = join(REPO_ROOT, '.helm', 'bin', 'helm');
const CHART = join(REPO_ROOT, 'deploy', 'chart');
const helmSkip = existsSync(HELM) ? false : `helm chart tests skipped: the helm CLI is not built (npm run helm:build)`;
const kube = testBackends().find((b) => b.name === 'kube');

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  [key: string]: unknown;
}
interface Rule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
}

const helm = (args: string[]) => run(HELM, args, { maxBuffer: 16 * 1024 * 1024, env: { ...process.env, HELM_CACHE_HOME: tmp('cache') } });
let scratch: string | undefined;
function tmp(name: string): string {
  scratch ??= mkdtempSync(join(tmpdir(), 'k0mcp-helm-'));
  return join(scratch, name);
}

async function template(values: string, extra: string[] = []): Promise<Manifest[]> {
  const { stdout } = await helm([
    'template',
    'k0rdent-mcp',
    CHART,
    '--namespace',
    'k0rdent-mcp',
    '-f',
    join(CHART, 'ci', values),
    ...extra,
  ]);
  return parseAllDocuments(stdout)
    .map((d) => d.toJSON() as Manifest | null)
    .filter((o): o is Manifest => o !== null);
}

function grants(rules: readonly Rule[]): string[] {
  return rules
    .flatMap((r) => (r.apiGroups ?? []).flatMap((g) => (r.resources ?? []).flatMap((res) => r.verbs.map((v) => `${g}/${res}/${v}`))))
    .sort();
}

const envOf = (objects: Manifest[]): Record<string, unknown> => {
  const deployment = objects.find((o) => o.kind === 'Deployment') as unknown as {
    spec: { template: { spec: { containers: { env: { name: string; value?: string; valueFrom?: unknown }[] }[] } } };
  };
  return Object.fromEntries(deployment.spec.template.spec.containers[0]!.env.map((e) => [e.name, e.value ?? e.valueFrom]));
};

after(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('deploy/chart with the real helm CLI', { skip: helmSkip }, () => {
  let dev: Manifest[];
  let oidc: Manifest[];
  before(async () => {
    dev = await template('dev-values.yaml');
    oidc = await template('oidc-values.yaml');
  });

  it('helm lint passes with the default values and each ci/ values file', async () => {
    for (const values of ['', 'dev-values.yaml', 'oidc-values.yaml']) {
      const { stdout } = await helm(['lint', '--strict', CHART, ...(values ? ['-f', join(CHART, 'ci', values)] : [])]);
      assert.match(stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
    }
  });

  it('the ClusterRole is exactly the union of the access the tools declare, and the kustomize ClusterRole', async () => {
    const declared = mergeAccess(TOOLS.map((t) => t.access))
      .flatMap((a) => a.verbs.map((v) => `${a.group}/${a.resource}/${v}`))
      .sort();
    const kustomize = parse(readFileSync(join(REPO_ROOT, 'deploy', 'base', 'rbac.yaml'), 'utf8')) as { rules: Rule[] };
    for (const objects of [dev, oidc]) {
      const roles = objects.filter((o) => o.kind === 'ClusterRole');
      assert.equal(roles.length, 1);
      const rules = (roles[0] as unknown as { rules: Rule[] }).rules;
      assert.deepEqual(grants(rules), declared);
      assert.deepEqual(rules, kustomize.rules);
    }
  });

  it('renders each overlay: DEV_ALLOW_ANY binds the service account and reads the dev token; OIDC binds the users group', () => {
    const kinds = (objects: Manifest[]) => objects.map((o) => o.kind).sort();
    const shape = ['ClusterRole', 'ClusterRoleBinding', 'Deployment', 'NetworkPolicy', 'PodDisruptionBudget', 'Service', 'ServiceAccount'];
    assert.deepEqual(kinds(dev), shape);
    assert.deepEqual(kinds(oidc), shape);

    const devBinding = dev.find((o) => o.kind === 'ClusterRoleBinding') as unknown as { subjects: { kind: string; name: string }[] };
    assert.deepEqual(
      devBinding.subjects.map((s) => `${s.kind}/${s.name}`),
      ['ServiceAccount/k0rdent-mcp'],
    );
    const oidcBinding = oidc.find((o) => o.kind === 'ClusterRoleBinding') as unknown as { subjects: { kind: string; name: string }[] };
    assert.deepEqual(
      oidcBinding.subjects.map((s) => `${s.kind}/${s.name}`),
      ['Group/k0rdent-mcp-users'],
    );

    const devEnv = envOf(dev);
    assert.equal(devEnv.AUTH_MODE, 'DEV_ALLOW_ANY');
    assert.deepEqual(devEnv.DEV_BEARER_TOKEN, { secretKeyRef: { name: 'k0rdent-mcp-dev-token', key: 'token' } });
    assert.equal(devEnv.OIDC_ISSUER_URL, undefined);
    const oidcEnv = envOf(oidc);
    assert.equal(oidcEnv.AUTH_MODE, 'OIDC_REQUIRED');
    assert.equal(oidcEnv.OIDC_ISSUER_URL, 'https://issuer.example.com/realms/k0rdent');
    assert.equal(oidcEnv.OIDC_AUDIENCE, 'k0rdent-mcp');
    assert.equal(oidcEnv.K0RDENT_NAMESPACE_FILTER, '^team-');
    assert.equal(oidcEnv.DEV_BEARER_TOKEN, undefined);
  });

  it('the values schema refuses a wrong value at install time, naming it', async () => {
    for (const [set, field] of [
      ['auth.mode=OPEN', 'mode'],
      ['replicas=0', 'replicas'],
      ['readOnly=maybe', 'readOnly'],
      ['logLevel=verbose', 'logLevel'],
      ['auth.oidc.issuerURL=http://plain.example.com', 'issuerURL'],
      ['unknownKey=1', 'unknownKey'],
    ] as const) {
      await assert.rejects(
        helm(['template', 'k0rdent-mcp', CHART, '--set', set]),
        (error: Error & { stderr?: string }) => {
          assert.match(error.stderr ?? error.message, /values don't meet the specifications of the schema/);
          assert.match(error.stderr ?? error.message, new RegExp(field));
          return true;
        },
        set,
      );
    }
  });

  it('NOTES.txt says how to connect in each mode', async () => {
    const { stdout } = await helm([
      'install',
      'k0rdent-mcp',
      CHART,
      '--dry-run=client',
      '--namespace',
      'k0rdent-mcp',
      '-f',
      join(CHART, 'ci', 'dev-values.yaml'),
    ]);
    assert.match(stdout, /port-forward svc\/k0rdent-mcp 6767:6767/);
    assert.match(stdout, /create secret generic k0rdent-mcp-dev-token/);
  });
});

describe('deploy/chart on the real kube-apiserver', { skip: helmSkip || kube?.skip || !kube }, () => {
  const userToken = 'mcp-chart-token-0123';
  // mcp-chart: no namespaces, so the sandbox gives it no RoleBinding; only its namespace-reader binding, removed below.
  const backend = backendFor('kube', {
    tokensFile: tokensFile([
      { name: 'admin', token: 'admin-token-0123', namespaces: ['*'] },
      { name: 'mcp-chart', token: userToken, namespaces: [] },
    ]),
    provisionSeconds: 1,
    deleteSeconds: 1,
  });
  let cli: Kubectl;
  const kubectl = async (args: string[], input: string): Promise<string> => {
    const r = await cli.run(args, input);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: exit ${r.code}: ${r.stderr}${r.stdout}`);
    return r.stdout;
  };
  before(async () => {
    cli = kubectlFor(backend.adminKubeconfig);
    await kubectl(['delete', 'clusterrolebinding', 'k0rdent-sandbox:mcp-chart:namespaces'], '');
  });
  after(async () => {
    cli?.close();
  });

  it('the rendered manifests of both modes pass a server-side dry run, then apply for real', { timeout: 120_000 }, async () => {
    await kubectl(['create', 'namespace', 'k0rdent-mcp'], '');
    for (const values of ['dev-values.yaml', 'oidc-values.yaml']) {
      const objects = await template(values);
      const input = objects.map((o) => JSON.stringify(o)).join('\n');
      const dry = await kubectl(['apply', '--server-side', '--dry-run=server', '--field-manager', 'helm-chart-test', '-f', '-'], input);
      assert.equal(dry.split('\n').filter((l) => /serverside-applied \(server dry run\)$/.test(l)).length, objects.length, dry);
    }
    const objects = await template('dev-values.yaml');
    const applied = await kubectl(
      ['apply', '--server-side', '--field-manager', 'helm-chart-test', '-f', '-'],
      objects.map((o) => JSON.stringify(o)).join('\n'),
    );
    assert.equal(applied.split('\n').filter((l) => /serverside-applied$/.test(l)).length, objects.length, applied);
    const role = JSON.parse(await kubectl(['get', 'clusterrole', 'k0rdent-mcp', '-o', 'json'], '')) as { rules: Rule[] };
    const declared = mergeAccess(TOOLS.map((t) => t.access))
      .flatMap((a) => a.verbs.map((v) => `${a.group}/${a.resource}/${v}`))
      .sort();
    assert.deepEqual(grants(role.rules), declared);
  });

  it(
    "the tools work with a caller bound to exactly the chart's ClusterRole (the OIDC mode's group binding)",
    { timeout: 180_000 },
    async () => {
      const objects = await template('oidc-values.yaml', ['--set', 'auth.oidc.usersGroup=mcp-chart-users']);
      const binding = objects.find((o) => o.kind === 'ClusterRoleBinding')!;
      // The sandbox's token users carry no groups: bind the same role to the user the way the chart binds the group.
      const userBinding = {
        ...binding,
        metadata: { name: 'k0rdent-mcp-chart-user' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'mcp-chart' }],
      };
      await kubectl(
        ['apply', '--server-side', '--field-manager', 'helm-chart-test', '-f', '-'],
        [binding, userBinding].map((o) => JSON.stringify(o)).join('\n'),
      );
      const harness = await startHarness(sandboxKubeConfig(backend, userToken), {
        authMode: 'OIDC_REQUIRED',
        namespaceFilter: /^team-alpha$/,
      });
      try {
        const ok = async (name: string, args: Record<string, unknown>): Promise<Record<string, unknown>> => {
          const result = await harness.call(name, args, { timeout: 110_000 });
          assert.ok(
            result.isError !== true,
            `${name} ${JSON.stringify(args)}: ${JSON.stringify(result.structuredContent ?? result.content)}`,
          );
          return result.structuredContent as Record<string, unknown>;
        };
        await ok('k0.clusters.listCredentials', { namespace: 'team-alpha' });
        await ok('k0.clusters.listTemplates', { namespace: 'team-alpha' });
        await ok('k0.clusters.list', {});
        await ok('k0.namespaces.list', {});
        await ok('k0.providers.list', {});
        const deployed = await ok('k0.clusters.deploy', {
          name: 'chart-rbac',
          namespace: 'team-alpha',
          template: 'azure-standalone-cp-1-0-15',
          credential: 'azure-cluster-credential',
          config: AZURE_BASELINE,
          wait: true,
        });
        assert.equal(deployed.ready, true, JSON.stringify(deployed));
        await ok('k0.clusters.get', { name: 'chart-rbac', namespace: 'team-alpha' });
        await ok('k0.clusters.delete', { name: 'chart-rbac', namespace: 'team-alpha', wait: true });
      } finally {
        await harness.close();
      }
    },
  );
});
