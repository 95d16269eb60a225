/**
 * Issue 11 item 11: the API surface kubectl expects, through the HTTP API with kubectl (primary) and
 * client-node. Each row runs on every backend of the matrix (test/helpers/backend.ts, both started once, in
 * parallel); the real kube-apiserver of the kube backend is the reference: a row's normalized kubectl output
 * must be IDENTICAL on the embedded sandbox (ages, uids, resourceVersions and timestamps normalized), except
 * where a row names a documented difference (docs/sandbox.md, "What still differs from kcm"). Each row also
 * checks its own facts, so the sandbox is held to them when kube is not built.
 * Both backends run over TLS with the same tokens file (kubectl never sends a token over http): `alice` may
 * work in team-alpha only, `admin` everywhere (on kube: static tokens + RBAC from src/sandbox/kube/rbac.ts).
 */
import assert from 'node:assert/strict';
import { request, type RequestOptions } from 'node:https';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  ApiextensionsV1Api,
  AuthenticationV1Api,
  AuthorizationV1Api,
  KubeConfig,
  KubernetesObjectApi,
  Watch,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { parse } from 'yaml';
import { buildKubeconfig } from '../../src/sandbox/apiserver/kubeconfig.js';
import { SEEDED_REGIONS } from '../../src/sandbox/seed/platform-seed.js';
import { testBackends, type Backend, type BackendName } from '../helpers/backend.js';
import { backendsFor } from '../helpers/lifecycle.js';
import { kubectlFor, type Kubectl, type KubectlResult } from '../helpers/kubectl.js';

const ALICE_TOKEN = 'fidelity-alice-token-0123456789';
const ADMIN_TOKEN = 'fidelity-admin-token-0123456789';
const TOKENS = `users:\n  - name: alice\n    token: ${ALICE_TOKEN}\n    namespaces: [team-alpha]\n  - name: admin\n    token: ${ADMIN_TOKEN}\n    namespaces: ["*"]\n`;

const CRD_DIR = join(process.cwd(), 'data', 'k0rdent', 'crds');
interface CrdFile {
  metadata: { name: string };
  spec: {
    group: string;
    scope: string;
    names: { kind: string; plural: string };
    versions: { name: string; storage: boolean; additionalPrinterColumns?: { name: string; priority?: number }[] }[];
  };
}
const CRDS: CrdFile[] = readdirSync(CRD_DIR)
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .map((f) => parse(readFileSync(join(CRD_DIR, f), 'utf8')) as CrdFile);
const CD_CRD = CRDS.find((c) => c.spec.names.kind === 'ClusterDeployment')!;

interface Side {
  name: BackendName;
  backend: Backend;
  alice: Kubectl;
  admin: Kubectl;
  adminConfig: KubeConfig;
  aliceConfig: KubeConfig;
}

const choices = testBackends().filter((b) => b.skip === false);
const skipped = testBackends().filter((b) => b.skip !== false);
const sides: Side[] = [];

function config(kubeconfig: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromString(kubeconfig);
  return kc;
}

/** Ages (`5s`, `2m30s`), RFC 3339 times and column padding do not count. */
function normalize(text: string): string {
  return text
    .split('\n')
    .map((line) =>
      line
        .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z/g, '<time>')
        .split(/ {2,}/)
        .map((cell) => (/^\d+[smhdy](\d+[smh])?$/.test(cell) ? '<age>' : cell))
        .join(' | ')
        .trimEnd(),
    )
    .join('\n');
}

interface Row {
  /** What kubernetes (or kcm) file the behaviour follows. */
  cite: string;
  who: 'alice' | 'admin';
  args: string[];
  /** The row's own facts, on each backend. */
  check(r: KubectlResult, side: Side): void | Promise<void>;
  /** Turns the sandbox's output into what kube prints, for a documented difference. */
  sandboxDiffers?: (normalized: string) => string;
  /** Compare parsed output (e.g. YAML) rather than text. */
  compare?: (r: KubectlResult) => unknown;
}

const stripTimes = (v: unknown): unknown => {
  if (Array.isArray(v)) return v.map(stripTimes);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v))
      if (!['uid', 'resourceVersion', 'creationTimestamp', 'lastTransitionTime', 'managedFields'].includes(k)) out[k] = stripTimes(x);
    return out;
  }
  return v;
};

const lines = (text: string): string[] => text.trimEnd().split('\n');
const header = (text: string): string[] => lines(text)[0]!.trim().split(/ {2,}/);

const CD_COLUMNS = (wide: boolean): string[] => [
  'NAME',
  ...CD_CRD.spec.versions
    .find((v) => v.storage)!
    .additionalPrinterColumns!.filter((c) => wide || (c.priority ?? 0) === 0)
    .map((c) => c.name.toUpperCase()),
];

const METRICS_RULE = /^ +\[\/metrics\] +\[\] +\[get\]$/;

const ROWS: Record<string, Row> = {
  'get one object: a Table with the CRD printer columns': {
    cite: 'k8s.io/apiserver pkg/endpoints/handlers/get.go GetResource → response.go transformResponseObject/asTable; k8s.io/apiextensions-apiserver pkg/registry/customresource/tableconvertor/tableconvertor.go',
    who: 'admin',
    args: ['get', 'cld', 'alpha-dev-cluster', '-n', 'team-alpha'],
    check: async (r, side) => {
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(header(r.stdout), CD_COLUMNS(false));
      assert.equal(lines(r.stdout).length, 2);
      // The same row the list prints.
      const list = await side.admin.run(['get', 'cld', '-n', 'team-alpha']);
      const row = lines(list.stdout).find((l) => l.startsWith('alpha-dev-cluster '));
      assert.equal(normalize(lines(r.stdout)[1]!), normalize(row ?? ''));
    },
  },
  'get one object -o wide: the priority-1 columns too': {
    cite: 'tableconvertor.go (priority kept); kubectl prints priority>0 only with -o wide',
    who: 'admin',
    args: ['get', 'cld', 'alpha-dev-cluster', '-n', 'team-alpha', '-o', 'wide'],
    check: (r) => {
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(header(r.stdout), CD_COLUMNS(true));
    },
  },
  'get one object --show-labels': {
    cite: 'response.go asTable: the row object is PartialObjectMetadata (labels for kubectl)',
    who: 'admin',
    args: ['get', 'cld', 'alpha-dev-cluster', '-n', 'team-alpha', '--show-labels'],
    check: async (r, side) => {
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(header(r.stdout), [...CD_COLUMNS(false), 'LABELS']);
      const object = await side.backend.get(
        { group: 'k0rdent.mirantis.com', version: 'v1beta1', plural: 'clusterdeployments' },
        'team-alpha',
        'alpha-dev-cluster',
      );
      const labels = Object.entries(object?.metadata.labels ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .sort()
        .join(',');
      assert.ok(labels.length > 0);
      assert.ok(lines(r.stdout)[1]!.trimEnd().endsWith(labels), r.stdout);
    },
  },
  'get one object -o name': {
    cite: 'kubectl name printer over the GET (k8s.io/cli-runtime pkg/printers/name.go)',
    who: 'admin',
    args: ['get', 'cld', 'alpha-dev-cluster', '-n', 'team-alpha', '-o', 'name'],
    check: (r) => assert.equal(r.stdout, 'clusterdeployment.k0rdent.mirantis.com/alpha-dev-cluster\n'),
  },
  'get crd: the 22 kcm CRDs with NAME and CREATED AT': {
    cite: 'k8s.io/apiextensions-apiserver pkg/registry/customresourcedefinition/etcd.go → k8s.io/apiserver pkg/registry/rest/table.go (default table convertor)',
    who: 'admin',
    args: ['get', 'crd'],
    check: (r) => {
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(header(r.stdout), ['NAME', 'CREATED AT']);
      const body = lines(r.stdout).slice(1);
      // Beside kcm's own, the CRDs of the world below kcm (data/world/crds: Flux, Cluster API, providers).
      const names = body.map((l) => l.split(/ +/)[0] ?? '');
      assert.deepEqual(
        names.filter((n) => n.endsWith('.k0rdent.mirantis.com')),
        CRDS.map((c) => c.metadata.name),
      );
      assert.ok(names.includes('clusters.cluster.x-k8s.io') && names.includes('helmreleases.helm.toolkit.fluxcd.io'));
      for (const l of body) assert.match(l, / \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    },
  },
  'get crd NAME -o yaml: the CRD as stored, defaulted and established': {
    cite: 'k8s.io/apiextensions-apiserver pkg/apis/apiextensions/v1/defaults.go (conversion None), pkg/controller/status/naming_controller.go, pkg/controller/establish/establishing_controller.go',
    who: 'admin',
    args: ['get', 'crd', 'clusterdeployments.k0rdent.mirantis.com', '-o', 'yaml'],
    compare: (r) => stripTimes(parse(r.stdout)),
    check: (r) => {
      assert.equal(r.code, 0, r.stderr);
      const crd = parse(r.stdout) as {
        kind: string;
        metadata: { generation: number };
        spec: unknown;
        status: { conditions: { type: string; status: string }[]; storedVersions: string[]; acceptedNames: { kind: string } };
      };
      assert.equal(crd.kind, 'CustomResourceDefinition');
      assert.equal(crd.metadata.generation, 1);
      assert.deepEqual(crd.spec, { ...CD_CRD.spec, conversion: { strategy: 'None' } });
      assert.deepEqual(
        crd.status.conditions.map((c) => `${c.type}=${c.status}`),
        ['NamesAccepted=True', 'Established=True'],
      );
      assert.deepEqual(crd.status.storedVersions, ['v1beta1']);
      assert.equal(crd.status.acceptedNames.kind, 'ClusterDeployment');
    },
  },
  'get crd as a user limited to a namespace: forbidden at the cluster scope': {
    cite: 'k8s.io/apiserver pkg/endpoints/filters/authorization.go (RBAC denial wording)',
    who: 'alice',
    args: ['get', 'crd'],
    check: (r) => {
      assert.equal(r.code, 1);
      assert.match(
        r.stderr,
        /customresourcedefinitions\.apiextensions\.k8s\.io is forbidden: User "alice" cannot list resource "customresourcedefinitions" in API group "apiextensions\.k8s\.io" at the cluster scope/,
      );
    },
  },
  'auth whoami': {
    cite: 'k8s.io/kubernetes pkg/registry/authentication/selfsubjectreview/rest.go; kubectl pkg/cmd/auth/whoami.go',
    who: 'alice',
    args: ['auth', 'whoami'],
    check: (r) =>
      assert.equal(
        normalize(r.stdout),
        normalize('ATTRIBUTE   VALUE\nUsername    alice\nUID         alice\nGroups      [system:authenticated]\n'),
      ),
  },
  'auth whoami -o json': {
    cite: 'pkg/registry/authentication/selfsubjectreview/rest.go (status.userInfo)',
    who: 'alice',
    args: ['auth', 'whoami', '-o', 'json'],
    compare: (r) => stripTimes(JSON.parse(r.stdout)),
    check: (r) => {
      const review = JSON.parse(r.stdout) as { kind: string; apiVersion: string; status: unknown };
      assert.equal(review.kind, 'SelfSubjectReview');
      assert.equal(review.apiVersion, 'authentication.k8s.io/v1');
      assert.deepEqual(review.status, { userInfo: { username: 'alice', uid: 'alice', groups: ['system:authenticated'] } });
    },
  },
  'auth can-i --list -n team-alpha (a namespace the token may use)': {
    cite: 'k8s.io/kubernetes pkg/registry/authorization/selfsubjectrulesreview/rest.go; plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go (basic-user, discovery, public-info-viewer); kubectl pkg/cmd/auth/cani.go',
    who: 'alice',
    args: ['auth', 'can-i', '--list', '-n', 'team-alpha'],
    // The sandbox serves /metrics without a token and says so; kube-apiserver needs system:monitoring.
    sandboxDiffers: (text) => {
      const before = text.split('\n');
      const without = before.filter((l) => l !== ' | [/metrics] | [] | [get]');
      assert.equal(without.length, before.length - 1, 'the sandbox lists /metrics');
      return without.join('\n');
    },
    check: (r, side) => {
      assert.equal(r.code, 0, r.stderr);
      const out = lines(r.stdout);
      assert.ok(
        out.some((l) => /^\*\.\* +\[\] +\[\] +\[\*\]$/.test(l)),
        r.stdout,
      );
      assert.ok(out.some((l) => /^namespaces +\[\] +\[\] +\[get list watch\]$/.test(l)));
      assert.ok(out.some((l) => /^selfsubjectreviews\.authentication\.k8s\.io +\[\] +\[\] +\[create\]$/.test(l)));
      assert.equal(
        out.some((l) => METRICS_RULE.test(l)),
        side.name === 'sandbox',
      );
    },
  },
  'auth can-i --list in a namespace the token may not use': {
    cite: 'selfsubjectrulesreview/rest.go',
    who: 'alice',
    args: ['auth', 'can-i', '--list', '-n', 'team-beta'],
    sandboxDiffers: (text) =>
      text
        .split('\n')
        .filter((l) => l !== ' | [/metrics] | [] | [get]')
        .join('\n'),
    check: (r) => {
      assert.equal(r.code, 0, r.stderr);
      assert.ok(!lines(r.stdout).some((l) => l.startsWith('*.*')), r.stdout);
    },
  },
  'auth can-i --list as the all-namespaces user': {
    cite: 'selfsubjectrulesreview/rest.go (cluster-admin: *.* and the * non-resource URL)',
    who: 'admin',
    args: ['auth', 'can-i', '--list', '-n', 'team-alpha'],
    check: (r) => {
      assert.ok(
        lines(r.stdout).some((l) => /^\*\.\* +\[\] +\[\] +\[\*\]$/.test(l)),
        r.stdout,
      );
      assert.ok(
        lines(r.stdout).some((l) => /^ +\[\*\] +\[\] +\[\*\]$/.test(l)),
        r.stdout,
      );
    },
  },
  'auth can-i create clusterdeployments -n team-alpha: yes': {
    cite: 'k8s.io/kubernetes pkg/registry/authorization/selfsubjectaccessreview/rest.go; kubectl cani.go RunAccessCheck',
    who: 'alice',
    args: ['auth', 'can-i', 'create', 'clusterdeployments', '-n', 'team-alpha'],
    check: (r) => {
      assert.equal(r.code, 0);
      assert.equal(r.stdout, 'yes\n');
    },
  },
  'auth can-i create clusterdeployments -n team-beta: no (no reason, as RBAC gives none)': {
    cite: 'selfsubjectaccessreview/rest.go; k8s.io/kubernetes plugin/pkg/auth/authorizer/rbac/rbac.go (a denial without reason)',
    who: 'alice',
    args: ['auth', 'can-i', 'create', 'clusterdeployments', '-n', 'team-beta'],
    check: (r) => {
      assert.equal(r.code, 1);
      assert.equal(r.stdout, 'no\n');
    },
  },
  'what can-i says is what the server does: create in team-alpha is allowed': {
    cite: 'k8s.io/apiserver pkg/endpoints/filters/authorization.go (the same authorizer answers the review and the request)',
    who: 'alice',
    args: ['create', 'configmap', 'fidelity-can-i', '-n', 'team-alpha', '--dry-run=server', '--from-literal=a=b'],
    check: (r) => {
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'configmap/fidelity-can-i created (server dry run)\n');
    },
  },
  'what can-i says is what the server does: create in team-beta is forbidden': {
    cite: 'k8s.io/apiserver pkg/endpoints/filters/authorization.go',
    who: 'alice',
    args: ['create', 'configmap', 'fidelity-can-i', '-n', 'team-beta', '--dry-run=server', '--from-literal=a=b'],
    check: (r) => {
      assert.equal(r.code, 1);
      assert.match(
        r.stderr,
        /configmaps is forbidden: User "alice" cannot create resource "configmaps" in API group "" in the namespace "team-beta"/,
      );
    },
  },
  'auth can-i list crd: no, and get crd is indeed forbidden (row above)': {
    cite: 'selfsubjectaccessreview/rest.go',
    who: 'alice',
    args: ['auth', 'can-i', 'list', 'customresourcedefinitions.apiextensions.k8s.io'],
    check: (r) => assert.equal(r.stdout, 'no\n'),
  },
  'watch-list: initial ADDED events, then the initial-events-end BOOKMARK': {
    cite: 'k8s.io/apiserver pkg/storage/cacher/cacher.go setInitialEventsEndBookmarkIfRequested; k8s.io/apimachinery pkg/apis/meta/v1/types.go InitialEventsAnnotationKey',
    who: 'admin',
    args: [
      'get',
      '--raw',
      '/api/v1/namespaces/team-alpha/configmaps?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=1',
    ],
    compare: (r) =>
      r.stdout
        .trim()
        .split('\n')
        .map((l) => {
          const e = JSON.parse(l) as { type: string; object: { metadata: { name?: string; annotations?: Record<string, string> } } };
          return e.type === 'BOOKMARK'
            ? `BOOKMARK ${JSON.stringify(e.object.metadata.annotations)}`
            : `${e.type} ${e.object.metadata.name}`;
        }),
    check: async (r, side) => {
      assert.equal(r.code, 0, r.stderr);
      const events = r.stdout
        .trim()
        .split('\n')
        .map(
          (l) =>
            JSON.parse(l) as {
              type: string;
              object: { kind: string; metadata: { name?: string; resourceVersion: string; annotations?: Record<string, string> } };
            },
        );
      const last = events.at(-1)!;
      assert.equal(last.type, 'BOOKMARK');
      assert.equal(last.object.kind, 'ConfigMap');
      assert.deepEqual(last.object.metadata.annotations, { 'k8s.io/initial-events-end': 'true' });
      assert.match(last.object.metadata.resourceVersion, /^\d+$/);
      const added = events.slice(0, -1);
      assert.ok(added.every((e) => e.type === 'ADDED'));
      const names = (await side.admin.run(['get', 'configmaps', '-n', 'team-alpha', '-o', 'name'])).stdout
        .trim()
        .split('\n')
        .map((n) => n.replace('configmap/', ''));
      assert.deepEqual(added.map((e) => e.object.metadata.name).sort(), names.sort());
      assert.ok(names.length > 0);
    },
  },
  'watch-list without resourceVersionMatch: 422': {
    cite: 'k8s.io/apimachinery pkg/apis/meta/internalversion/validation/validation.go validateWatchOptions; k8s.io/apiserver pkg/endpoints/handlers/get.go (NewInvalid ListOptions)',
    who: 'admin',
    args: ['get', '--raw', '/api/v1/namespaces/team-alpha/configmaps?watch=true&sendInitialEvents=true&allowWatchBookmarks=true'],
    check: (r) => {
      assert.equal(r.code, 1);
      // kubectl words a 422 Status from its details (kind ListOptions, name "", causes).
      assert.equal(
        r.stderr.trim(),
        'The ListOptions "" is invalid: resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan',
      );
    },
  },
  'sendInitialEvents on a list: 422': {
    cite: 'validation.go ValidateListOptions ("sendInitialEvents is forbidden for list")',
    who: 'admin',
    args: ['get', '--raw', '/api/v1/namespaces/team-alpha/configmaps?sendInitialEvents=true'],
    check: (r) =>
      assert.equal(r.stderr.trim(), 'The ListOptions "" is invalid: sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list'),
  },
  'resourceVersionMatch=Exact on a watch-list: both errors': {
    cite: 'validation.go validateWatchOptions (field.ErrorList aggregated in brackets)',
    who: 'admin',
    args: ['get', '--raw', '/api/v1/namespaces/team-alpha/configmaps?watch=true&sendInitialEvents=true&resourceVersionMatch=Exact'],
    check: (r) =>
      assert.equal(
        r.stderr.trim(),
        'The ListOptions "" is invalid: \n* resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan\n* resourceVersionMatch: Unsupported value: "Exact": supported values: "NotOlderThan"',
      ),
  },
  'discovery: every kcm CRD, the CRDs and the self reviews': {
    cite: 'k8s.io/apiserver pkg/endpoints/discovery (aggregated); the 22 CRDs of kcm (data/k0rdent/crds = kcm templates/provider/kcm/templates/crds)',
    who: 'admin',
    args: ['api-resources', '--api-group=k0rdent.mirantis.com', '-o', 'name'],
    check: (r) => {
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(lines(r.stdout).sort(), CRDS.map((c) => c.metadata.name).sort());
    },
  },
  'discovery of the built-in groups kubectl auth and get crd need': {
    cite: 'k8s.io/apiextensions-apiserver pkg/apiserver/apiserver.go; k8s.io/kubernetes pkg/registry/authentication/rest, pkg/registry/authorization/rest',
    who: 'admin',
    args: ['api-resources', '--api-group=apiextensions.k8s.io', '-o', 'wide', '--no-headers'],
    // Read-only here: the sandbox's kinds are fixed at start (docs/sandbox.md).
    sandboxDiffers: (text) => text.replace(' | get,list,watch | ', ' | create,delete,deletecollection,get,list,patch,update,watch | '),
    check: (r, side) => {
      assert.equal(r.code, 0, r.stderr);
      const [row] = lines(r.stdout);
      assert.match(
        row!,
        /^customresourcedefinitions +crd,crds +apiextensions\.k8s\.io\/v1 +false +CustomResourceDefinition +\S+ +api-extensions$/,
      );
      if (side.name === 'sandbox') assert.match(row!, / get,list,watch /);
    },
  },
};

describe('issue 11 item 11: the API surface kubectl expects', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fidelity-api-'));
  const tokensFile = join(dir, 'tokens.yaml');
  writeFileSync(tokensFile, TOKENS, { mode: 0o600 });
  const matrix = backendsFor(
    choices.map((c) => c.name),
    { tls: true, tokensFile, provisionSeconds: 1, deleteSeconds: 1 },
  );
  before(() => {
    for (const backend of matrix.backends) {
      const cluster = config(backend.kubeconfig).getCurrentCluster()!;
      const caPem = Buffer.from(cluster.caData ?? '', 'base64').toString('utf8');
      const aliceKc = buildKubeconfig({ url: cluster.server, caPem, token: ALICE_TOKEN });
      const adminKc = buildKubeconfig({ url: cluster.server, caPem, token: ADMIN_TOKEN });
      sides.push({
        name: backend.name,
        backend,
        alice: kubectlFor(aliceKc),
        admin: kubectlFor(adminKc),
        aliceConfig: config(aliceKc),
        adminConfig: config(adminKc),
      });
    }
  });
  after(() => {
    for (const s of sides) {
      s.alice.close();
      s.admin.close();
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs on the backends of the matrix', (t) => {
    assert.ok(sides.some((s) => s.name === 'sandbox'));
    for (const s of skipped) t.diagnostic(String(s.skip));
  });

  for (const [name, row] of Object.entries(ROWS)) {
    it(`kubectl: ${name} — ${row.cite}`, async () => {
      const outputs = new Map<BackendName, KubectlResult>();
      await Promise.all(
        sides.map(async (side) => {
          const r = await (row.who === 'alice' ? side.alice : side.admin).run(row.args);
          outputs.set(side.name, r);
          try {
            await row.check(r, side);
          } catch (err) {
            if (err instanceof Error) err.message = `[${side.name}] ${err.message}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
            throw err;
          }
        }),
      );
      const kube = outputs.get('kube');
      const sandbox = outputs.get('sandbox');
      if (!kube || !sandbox) return;
      assert.equal(sandbox.code, kube.code, `exit codes: sandbox ${sandbox.code}, kube ${kube.code}`);
      if (row.compare) return assert.deepEqual(row.compare(sandbox), row.compare(kube));
      const s = normalize(sandbox.stdout);
      assert.equal(row.sandboxDiffers ? row.sandboxDiffers(s) : s, normalize(kube.stdout), 'stdout as on kube-apiserver');
      assert.equal(normalize(sandbox.stderr), normalize(kube.stderr), 'stderr as on kube-apiserver');
    });
  }

  it('client-node: a GET of one object as a Table, and the CRDs, self reviews and watch-list through the typed clients', async () => {
    // response.go transformResponseObject (one row, metadata.resourceVersion the object's); apiextensions
    // customresourcedefinition REST; selfsubjectreview / selfsubjectrulesreview REST; cacher.go bookmark.
    const seen = new Map<BackendName, unknown>();
    for (const side of sides) {
      const objects = KubernetesObjectApi.makeApiClient(side.adminConfig);
      const cd = await objects.read({
        apiVersion: 'k0rdent.mirantis.com/v1beta1',
        kind: 'ClusterDeployment',
        metadata: { name: 'alpha-dev-cluster', namespace: 'team-alpha' },
      });
      const cluster = side.adminConfig.getCurrentCluster()!;
      const res = await fetchTable(
        side.adminConfig,
        `${cluster.server}/apis/k0rdent.mirantis.com/v1beta1/namespaces/team-alpha/clusterdeployments/alpha-dev-cluster`,
      );
      assert.equal(res.kind, 'Table');
      assert.equal(res.metadata.resourceVersion, cd.metadata?.resourceVersion);
      assert.equal(res.rows.length, 1);
      assert.equal(res.rows[0]!.cells[0], 'alpha-dev-cluster');
      assert.deepEqual(res.rows[0]!.object.metadata.uid, cd.metadata?.uid);
      assert.deepEqual(
        res.columnDefinitions.map((c) => `${c.name}:${c.type}:${c.priority}`),
        [
          'Name:string:0',
          ...CD_CRD.spec.versions[0]!.additionalPrinterColumns!.map((c) => `${c.name}:${(c as { type?: string }).type}:${c.priority ?? 0}`),
        ],
      );

      const crds = await side.adminConfig.makeApiClient(ApiextensionsV1Api).listCustomResourceDefinition();
      assert.deepEqual(
        crds.items
          .map((c) => c.metadata?.name ?? '')
          .filter((n) => n.endsWith('.k0rdent.mirantis.com'))
          .sort(),
        CRDS.map((c) => c.metadata.name).sort(),
      );
      const whoami = await side.aliceConfig
        .makeApiClient(AuthenticationV1Api)
        .createSelfSubjectReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } });
      assert.deepEqual({ ...whoami.status?.userInfo }, { username: 'alice', uid: 'alice', groups: ['system:authenticated'] });
      const authz = side.aliceConfig.makeApiClient(AuthorizationV1Api);
      const rules = await authz.createSelfSubjectRulesReview({
        body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', spec: { namespace: 'team-alpha' } },
      });
      const access = await Promise.all(
        ['team-alpha', 'team-beta'].map((namespace) =>
          authz.createSelfSubjectAccessReview({
            body: {
              apiVersion: 'authorization.k8s.io/v1',
              kind: 'SelfSubjectAccessReview',
              spec: { resourceAttributes: { verb: 'delete', group: 'k0rdent.mirantis.com', resource: 'clusterdeployments', namespace } },
            },
          }),
        ),
      );
      assert.deepEqual(
        access.map((a) => a.status?.allowed),
        [true, false],
      );

      // Watch-list through client-node's Watch: the events up to the initial-events-end bookmark.
      const events = await watchUntilBookmark(
        side.adminConfig,
        '/apis/k0rdent.mirantis.com/v1beta1/namespaces/team-alpha/clusterdeployments',
      );
      assert.deepEqual(events.at(-1), 'BOOKMARK initial-events-end');
      assert.ok(events.includes('ADDED alpha-dev-cluster'), events.join(', '));
      // The CRDs watch too (read-only here, but list/get/watch as on kube).
      const crdEvents = await watchUntilBookmark(side.adminConfig, '/apis/apiextensions.k8s.io/v1/customresourcedefinitions');
      assert.deepEqual(
        crdEvents.filter((e) => !e.startsWith('ADDED ') || e.endsWith('.k0rdent.mirantis.com')),
        [...CRDS.map((c) => `ADDED ${c.metadata.name}`), 'BOOKMARK initial-events-end'],
      );
      assert.ok(crdEvents.includes('ADDED clusters.cluster.x-k8s.io'), "the world CRDs are served beside kcm's");

      // RBAC lists the rules in the order it visits bindings (not stable on kube): compared as sets.
      const status = JSON.parse(JSON.stringify(rules.status)) as { resourceRules?: unknown[]; nonResourceRules?: unknown[] };
      const sorted = (list: unknown[] = []): unknown[] => [...list].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
      seen.set(side.name, {
        rules: { ...status, resourceRules: sorted(status.resourceRules), nonResourceRules: sorted(status.nonResourceRules) },
        crdNames: crds.items.map((c) => c.metadata?.name),
        events,
      });
    }
    const kube = seen.get('kube') as { rules: { nonResourceRules?: { nonResourceURLs?: string[] }[] } } | undefined;
    const sandbox = seen.get('sandbox') as { rules: { nonResourceRules?: { nonResourceURLs?: string[] }[] } } | undefined;
    if (kube && sandbox) {
      // The one documented difference: the sandbox's /metrics rule (served without a token).
      const trimmed = {
        ...sandbox,
        rules: {
          ...sandbox.rules,
          nonResourceRules: sandbox.rules.nonResourceRules?.filter((r) => !r.nonResourceURLs?.includes('/metrics')),
        },
      };
      assert.deepEqual(trimmed, kube);
    }
  });

  it('client-node: SelfSubjectAccessReview agrees with what the server then does (list and create, three scopes, four resources)', async () => {
    // selfsubjectaccessreview/rest.go asks the same authorizer (k8s.io/apiserver pkg/endpoints/filters/authorization.go)
    // that then allows or denies the request: an RBAC 403 ("User ... cannot ...") exactly when the review says no.
    const resources = [
      { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap', namespaced: true },
      { group: 'k0rdent.mirantis.com', version: 'v1beta1', plural: 'clusterdeployments', kind: 'ClusterDeployment', namespaced: true },
      { group: '', version: 'v1', plural: 'namespaces', kind: 'Namespace', namespaced: false },
      {
        group: 'apiextensions.k8s.io',
        version: 'v1',
        plural: 'customresourcedefinitions',
        kind: 'CustomResourceDefinition',
        namespaced: false,
      },
    ];
    await Promise.all(
      sides.map(async (side) => {
        const authz = side.aliceConfig.makeApiClient(AuthorizationV1Api);
        for (const r of resources) {
          for (const namespace of r.namespaced ? ['team-alpha', 'team-beta', undefined] : [undefined]) {
            for (const verb of ['list', 'create']) {
              const review = await authz.createSelfSubjectAccessReview({
                body: {
                  apiVersion: 'authorization.k8s.io/v1',
                  kind: 'SelfSubjectAccessReview',
                  spec: { resourceAttributes: { verb, group: r.group, resource: r.plural, ...(namespace ? { namespace } : {}) } },
                },
              });
              const base = `${r.group ? `/apis/${r.group}` : '/api'}/${r.version}${namespace ? `/namespaces/${namespace}` : ''}/${r.plural}`;
              const answer =
                verb === 'list'
                  ? await call(side.aliceConfig, 'GET', base)
                  : await call(side.aliceConfig, 'POST', `${base}?dryRun=All`, {
                      apiVersion: r.group ? `${r.group}/${r.version}` : r.version,
                      kind: r.kind,
                      metadata: { name: 'fidelity-authz' },
                    });
              const rbacDenied = answer.status === 403 && / cannot /.test(answer.message);
              assert.equal(
                rbacDenied,
                review.status?.allowed !== true,
                `[${side.name}] ${verb} ${r.plural} in ${namespace ?? 'the cluster scope'}: review ${String(review.status?.allowed)}, server ${answer.status} ${answer.message}`,
              );
            }
          }
        }
      }),
    );
  });

  it('client-node: every one of the 22 kcm CRDs is served — discovery, list, get, create (dry run)', async () => {
    // kcm's CRDs (data/k0rdent/crds, from kcm templates/provider/kcm/templates/crds at 8373a24); the
    // objects are minimal valid specs that kube-apiserver (schema, CEL, kcm's webhooks) accepts.
    const one = async (side: Side, crd: CrdFile): Promise<void> => {
      const objects = KubernetesObjectApi.makeApiClient(side.adminConfig);
      const kind = crd.spec.names.kind;
      const namespaced = crd.spec.scope === 'Namespaced';
      const namespace = namespaced ? 'team-alpha' : undefined;
      const what = `[${side.name}] ${kind}`;
      const list = await objects.list('k0rdent.mirantis.com/v1beta1', kind, namespace);
      assert.ok(Array.isArray(list.items), what);
      const body: KubernetesObject = {
        apiVersion: 'k0rdent.mirantis.com/v1beta1',
        kind,
        metadata: { name: `fidelity-${kind.toLowerCase()}`, ...(namespace ? { namespace } : {}) },
        ...(CREATE[kind] ?? {}),
      } as KubernetesObject;
      assert.ok(CREATE[kind], `${what}: no create body`);
      if (kind === 'AccessManagement') {
        // kcm admits a single AccessManagement (internal/webhook/accessmanagement_webhook.go:66-79): the seeded `kcm` exists.
        await assert.rejects(
          objects.create(body, undefined, 'All'),
          (err: { code?: number; body?: unknown }) => err.code === 403 && /AccessManagement object already exists/.test(String(err.body)),
          what,
        );
      } else {
        const created = await objects.create(body, undefined, 'All');
        assert.equal(created.metadata?.name, body.metadata?.name, what);
        assert.equal(created.kind, kind, what);
      }
      const first = list.items[0];
      if (first) {
        const got = await objects.read({
          apiVersion: 'k0rdent.mirantis.com/v1beta1',
          kind,
          metadata: { name: first.metadata!.name!, ...(namespace ? { namespace } : {}) },
        });
        assert.equal(got.metadata?.uid, first.metadata?.uid, what);
      } else {
        await assert.rejects(
          objects.read({
            apiVersion: 'k0rdent.mirantis.com/v1beta1',
            kind,
            metadata: { name: body.metadata!.name!, ...(namespace ? { namespace } : {}) },
          }),
          (err: { code?: number }) => err.code === 404,
          `${what}: the dry run wrote nothing`,
        );
      }
    };
    // Every side and kind at once (each request is independent; the dry runs write nothing).
    await Promise.all(sides.flatMap((side) => CRDS.map((crd) => one(side, crd))));
  });
});

const CHART_SPEC = {
  chart: 'fidelity-chart',
  version: '1.0.0',
  sourceRef: { kind: 'HelmRepository', name: 'kcm-templates' },
  interval: '10m0s',
};
/** Minimal valid objects per kind (each accepted by kube-apiserver with fieldValidation=Strict, dry run). */
const CREATE: Record<string, Record<string, unknown>> = {
  AccessManagement: { spec: {} },
  ClusterAuditPolicy: { spec: { policy: { rules: [{ level: 'None' }] } } },
  ClusterAuthentication: { spec: {} },
  ClusterDataSource: { spec: { dataSource: 'fidelity-ds', schema: 'fidelity' } },
  ClusterDeployment: {
    spec: {
      template: 'azure-standalone-cp-1-0-45',
      credential: 'azure-cluster-credential',
      config: {
        location: 'westus2',
        subscriptionID: '00000000-0000-4000-8000-000000000042',
        clusterIdentity: { name: 'azure-cluster-identity', namespace: 'kcm-system' },
        controlPlane: { vmSize: 'Standard_A4_v2' },
        worker: { vmSize: 'Standard_A4_v2' },
      },
    },
  },
  ClusterIPAMClaim: { spec: { provider: 'in-cluster' } },
  ClusterIPAM: { spec: {} },
  ClusterTemplateChain: { spec: {} },
  ClusterTemplate: { spec: { helm: { chartSpec: CHART_SPEC } } },
  Credential: {
    spec: {
      identityRef: {
        apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1',
        kind: 'AzureClusterIdentity',
        name: 'azure-cluster-identity',
        namespace: 'team-alpha',
      },
    },
  },
  DataSource: {
    spec: {
      type: 'postgresql',
      endpoints: ['db.example.com:5432'],
      auth: { username: { name: 'fidelity-db', key: 'username' }, password: { name: 'fidelity-db', key: 'password' } },
    },
  },
  ManagementBackup: { spec: {} },
  Management: { spec: { release: 'kcm-1-12-0' } },
  MultiClusterService: { spec: {} },
  ProviderInterface: { spec: {} },
  ProviderTemplate: { spec: { helm: { chartSpec: CHART_SPEC } } },
  // kcm's Region webhook checks the kubeconfig Secret exists with its key (validation/region.go:29-39): the seeded
  // region-west's (src/sandbox/seed/platform-seed.ts).
  Region: { spec: { kubeConfig: { name: `${SEEDED_REGIONS.ready}-kubeconfig`, key: 'value' } } },
  Release: { spec: { version: '1.0.0', kcm: { template: 'kcm-1-0-0' }, capi: { template: 'cluster-api-1-0-0' } } },
  ServiceSet: { spec: { cluster: 'fidelity-cluster', provider: { name: 'ksm-projectsveltos' } } },
  ServiceTemplateChain: { spec: {} },
  ServiceTemplate: { spec: { helm: { chartSpec: CHART_SPEC } } },
  StateManagementProvider: {
    spec: {
      adapter: { apiVersion: 'v1', kind: 'Deployment', name: 'adapter', namespace: 'kcm-system', readinessRule: 'true' },
      provisioner: [],
      provisionerCRDs: [],
      selector: {},
      suspend: false,
    },
  },
};

interface TableBody {
  kind: string;
  metadata: { resourceVersion?: string };
  columnDefinitions: { name: string; type: string; priority: number }[];
  rows: { cells: unknown[]; object: { metadata: { uid?: string } } }[];
}

/** A GET with kubectl's Table Accept header, over client-node's TLS and token options. */
async function fetchTable(kc: KubeConfig, url: string): Promise<TableBody> {
  const opts: RequestOptions = { headers: { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' } };
  await kc.applyToHTTPSOptions(opts);
  return new Promise((resolve, reject) => {
    const req = request(url, opts, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text += d));
      res.on('end', () => {
        try {
          assert.equal(res.statusCode, 200, text);
          // kube-apiserver labels a Table plain application/json (responsewriters/writers.go WriteObjectNegotiated).
          assert.equal(res.headers['content-type'], 'application/json');
          resolve(JSON.parse(text) as TableBody);
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** One request with client-node's TLS and token options; the status and a Status message, if any. */
async function call(kc: KubeConfig, method: string, url: string, body?: unknown): Promise<{ status: number; message: string }> {
  const server = kc.getCurrentCluster()!.server;
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const opts: RequestOptions = {
    method,
    headers: { Accept: 'application/json', ...(payload ? { 'Content-Type': 'application/json' } : {}) },
  };
  await kc.applyToHTTPSOptions(opts);
  return new Promise((resolve, reject) => {
    const req = request(`${server}${url}`, opts, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text += d));
      res.on('end', () => {
        let message = '';
        try {
          message = String((JSON.parse(text) as { message?: string }).message ?? '');
        } catch {
          message = text;
        }
        resolve({ status: res.statusCode ?? 0, message });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** client-node's Watch with the watch-list parameters, stopped at the initial-events-end bookmark. */
async function watchUntilBookmark(kc: KubeConfig, path: string): Promise<string[]> {
  const events: string[] = [];
  let controller: AbortController | undefined;
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), 20_000);
  try {
    await new Promise<void>((resolve, reject) => {
      deadline.signal.addEventListener('abort', () => reject(new Error(`no initial-events-end bookmark in 20s: ${events.join(', ')}`)));
      void new Watch(kc)
        .watch(
          path,
          { sendInitialEvents: true, resourceVersionMatch: 'NotOlderThan', allowWatchBookmarks: true },
          (type: string, object: { metadata?: { name?: string; annotations?: Record<string, string> } }) => {
            if (type === 'BOOKMARK') {
              if (object.metadata?.annotations?.['k8s.io/initial-events-end'] === 'true') {
                events.push('BOOKMARK initial-events-end');
                resolve();
              }
              return;
            }
            events.push(`${type} ${object.metadata?.name ?? ''}`);
          },
          (err: unknown) => {
            if (err) reject(err instanceof Error ? err : new Error(String(err)));
          },
        )
        .then((c) => (controller = c), reject);
    });
  } finally {
    clearTimeout(timer);
    controller?.abort();
  }
  return events;
}
