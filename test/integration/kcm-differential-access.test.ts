/**
 * AccessManagement: the embedded sandbox's simulated kcm against the real kcm v1.11.4 (issue 20 item 5, the three
 * "AccessManagement" rows of docs/sandbox.md "What still differs from kcm"). The same request sequences to both,
 * compared after normalising times, uids and resourceVersions; what differs is asserted as it is, so a test fails
 * when a difference goes away or changes. Version differences (kcm v1.11.4 against the 8373a24 data the sandbox
 * follows) are named as such.
 *
 * The real-kcm world runs with `--create-access-management=false` (src/sandbox/real-kcm/manager.ts), so this file
 * creates the AccessManagement `kcm` there (kcm v1.11.4 `api/v1beta1/accessmanagement_types.go:24`: the singleton's
 * name) with only fields both CRD versions accept (`targetNamespaces.list` and the per-Kind name lists). Its rules
 * first name every managed copy the world already holds (kcm v1.11.4 `internal/controller/accessmanagement_controller.go:
 * 374-396` deletes a managed copy no rule keeps), so creating it changes nothing of the world's. The world is shared
 * by the files after this one: `after` deletes what this file made, the AccessManagement too — kcm's validating
 * webhook refuses that while the Management exists (`internal/webhook/accessmanagement_webhook.go:67-84`), so the
 * world's webhook configuration stops sending it DELETEs of AccessManagements for that one request and is restored.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KubeObject, ResourceKey } from '../../src/sandbox/apiserver/types.js';
import type { KubeRest } from '../../src/sandbox/kube/rest.js';
import { resourcePath, type RestResponse } from '../../src/sandbox/kube/rest.js';
import { kcmSkipReason, type Backend } from '../helpers/backend.js';
import { useBackend } from '../helpers/lifecycle.js';
import { until } from '../helpers/until.js';
import { recordWatch, type RecordedWatch } from '../helpers/watch.js';
import { adminRest } from '../helpers/answers.js';

const SYSTEM = 'kcm-system';
const GROUP = 'k0rdent.mirantis.com';
const k0 = (plural: string): ResourceKey => ({ group: GROUP, version: 'v1beta1', plural });
const ACCESS_MANAGEMENTS = k0('accessmanagements');
const SERVICE_TEMPLATES = k0('servicetemplates');
const SERVICE_TEMPLATE_CHAINS = k0('servicetemplatechains');
const HELM_REPOSITORIES: ResourceKey = { group: 'source.toolkit.fluxcd.io', version: 'v1', plural: 'helmrepositories' };
const HELM_CHARTS: ResourceKey = { group: 'source.toolkit.fluxcd.io', version: 'v1', plural: 'helmcharts' };
const CLUSTER_ROLES: ResourceKey = { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'clusterroles' };
const NAMESPACES: ResourceKey = { group: '', version: 'v1', plural: 'namespaces' };
const MANAGED = 'k0rdent.mirantis.com/managed';
const COMPONENT = 'k0rdent.mirantis.com/component';

/** This file's objects (names no other file uses). */
const TARGET = 'access-diff';
const REPOSITORY = 'access-diff-charts';
const TEMPLATE = 'access-diff-cert-manager-1-16-2';
const CHAIN = 'access-diff-services';

/** The per-Kind name lists of kcm v1.11.4's AccessRule (accessmanagement_types.go:46-67), which 8373a24 keeps (deprecated). */
const KIND_FIELDS = [
  ['clustertemplatechains', 'clusterTemplateChains'],
  ['servicetemplatechains', 'serviceTemplateChains'],
  ['credentials', 'credentials'],
  ['clusterauthentications', 'clusterAuthentications'],
  ['datasources', 'dataSources'],
  ['clusterauditpolicies', 'clusterAuditPolicies'],
] as const;

type Rec = Record<string, unknown>;
const statusOf = (o: KubeObject | undefined): Rec => ((o as Rec | undefined)?.['status'] as Rec | undefined) ?? {};

interface Answer {
  status: number;
  message: string;
  warnings: string[];
}
function answerOf(res: RestResponse): Answer {
  const body = (typeof res.body === 'object' && res.body !== null ? res.body : {}) as { message?: string };
  const header = res.headers['warning'];
  const warnings = (Array.isArray(header) ? header : header ? [header] : [])
    .flatMap((h) => h.split(/,\s*(?=299 )/))
    .map((w) => (/^299 - "(.*)"$/.exec(w.trim())?.[1] ?? w).replace(/\\"/g, '"'));
  return { status: res.status, message: res.status >= 400 ? (body.message ?? '') : '', warnings };
}

const rulesOf = (body: unknown): Rec[] => ((body as Rec)['spec'] as { accessRules: Rec[] }).accessRules;

async function mustWrite(rest: KubeRest, spec: Parameters<KubeRest['raw']>[0]): Promise<RestResponse> {
  const res = await rest.raw(spec);
  assert.ok(res.status < 300, `${spec.method} ${spec.path}: ${res.status} ${JSON.stringify(res.body)}`);
  return res;
}

/**
 * One rule per namespace that holds managed copies of the six Kinds (outside the system namespace), naming them:
 * the AccessManagement this file writes keeps what the backend already distributed.
 */
async function keepRules(rest: KubeRest): Promise<Rec[]> {
  const byNamespace = new Map<string, Rec>();
  for (const [plural, field] of KIND_FIELDS) {
    const list = await rest.json<{ items: KubeObject[] }>({
      method: 'GET',
      path: resourcePath(k0(plural), undefined),
      query: { labelSelector: `${MANAGED}=true` },
    });
    for (const o of list.items) {
      const ns = o.metadata.namespace ?? '';
      if (ns === SYSTEM) continue;
      let rule = byNamespace.get(ns);
      if (!rule) byNamespace.set(ns, (rule = { targetNamespaces: { list: [ns] } }));
      ((rule[field] as string[] | undefined) ?? (rule[field] = [])).push(o.metadata.name);
    }
  }
  return [...byNamespace.keys()].sort().map((ns) => byNamespace.get(ns)!);
}

/** The managed copies of the six Kinds outside the system namespace, as `kind ns/name` (what `after` must leave). */
async function managedCopies(rest: KubeRest): Promise<string[]> {
  const out: string[] = [];
  for (const [plural] of KIND_FIELDS) {
    const list = await rest.json<{ items: KubeObject[] }>({
      method: 'GET',
      path: resourcePath(k0(plural), undefined),
      query: { labelSelector: `${MANAGED}=true` },
    });
    for (const o of list.items) if (o.metadata.namespace !== SYSTEM) out.push(`${plural} ${o.metadata.namespace ?? ''}/${o.metadata.name}`);
  }
  return out.sort();
}

/** A copy's state as a watch event shows it: labels, owner kinds, and the status with its chart reference. */
function copyState(o: KubeObject): Rec {
  return {
    labels: o.metadata.labels ?? {},
    owners: (o.metadata.ownerReferences ?? []).map((r) => `${r.kind}/${r.name}`),
    spec: (o as Rec)['spec'],
    status: statusOf(o),
  };
}

/** The differential runs where real kcm is built (on the shared world's lane under scripts/run-tests.mjs), as the other differential files. */
const kcmSkip = kcmSkipReason();

describe('AccessManagement: the simulated kcm (embedded sandbox) against real kcm v1.11.4', { skip: kcmSkip }, () => {
  const sandboxEnv = useBackend('sandbox', { provisionSeconds: 1, deleteSeconds: 1 }, false);
  const kcmEnv = useBackend('kcm', { provisionSeconds: 1, deleteSeconds: 1 }, false);
  const both = (): [Backend, Backend] => [sandboxEnv.backend, kcmEnv.backend];
  const kcmLog = (): string => `\nkcm log:\n${kcmEnv.backend.realKcm?.kcmLogTail(40) ?? ''}`;

  /** What the world held before this file (kcm only: the sandbox is this file's own). */
  let kcmManagedBefore: string[] = [];
  /** Each backend's watch of ServiceTemplates in the target namespace, from before the AccessManagement. */
  const copies = new Map<string, RecordedWatch>();
  /** The AccessManagement each backend holds once reconciled. */
  const reconciled = new Map<string, KubeObject>();

  /**
   * The HelmRepository, its HelmChart, a ServiceTemplate naming that chart (`chartRef`) and the chain, in the system
   * namespace; the template valid. A `chartRef` template with kcm's component label is valid in one reconcile of kcm's
   * ServiceTemplate controller (servicetemplate_controller.go:74-79, template_controller.go:206-212), where a
   * `chartSpec` one waits for kcm's 5 s requeues (the label, then the HelmChart it creates): less time on the lane.
   */
  async function makeSources(b: Backend): Promise<void> {
    const rest = adminRest(b);
    await mustWrite(rest, {
      method: 'POST',
      path: resourcePath(HELM_REPOSITORIES, SYSTEM),
      body: {
        apiVersion: 'source.toolkit.fluxcd.io/v1',
        kind: 'HelmRepository',
        metadata: { name: REPOSITORY, namespace: SYSTEM },
        spec: { url: 'oci://ghcr.io/k0rdent/catalog/charts', type: 'oci', interval: '10m0s' },
      },
    });
    const charts = await recordWatch(b, HELM_CHARTS, { namespace: SYSTEM, fieldSelector: `metadata.name=${TEMPLATE}` });
    try {
      await mustWrite(rest, {
        method: 'POST',
        path: resourcePath(HELM_CHARTS, SYSTEM),
        body: {
          apiVersion: 'source.toolkit.fluxcd.io/v1',
          kind: 'HelmChart',
          metadata: { name: TEMPLATE, namespace: SYSTEM },
          spec: {
            chart: 'cert-manager',
            version: '1.16.2',
            interval: '10m0s',
            reconcileStrategy: 'ChartVersion',
            sourceRef: { kind: 'HelmRepository', name: REPOSITORY },
          },
        },
      });
      await charts.seen(`HelmChart ${TEMPLATE} Ready on ${b.name}`, (e) =>
        ((statusOf(e.object)['conditions'] as Rec[] | undefined) ?? []).some((c) => c['type'] === 'Ready' && c['status'] === 'True'),
      );
    } finally {
      charts.stop();
    }
    const watch = await recordWatch(b, SERVICE_TEMPLATES, { namespace: SYSTEM, fieldSelector: `metadata.name=${TEMPLATE}` });
    try {
      await mustWrite(rest, {
        method: 'POST',
        path: resourcePath(SERVICE_TEMPLATES, SYSTEM),
        body: {
          apiVersion: `${GROUP}/v1beta1`,
          kind: 'ServiceTemplate',
          metadata: { name: TEMPLATE, namespace: SYSTEM, labels: { [COMPONENT]: 'kcm' } },
          spec: { helm: { chartRef: { kind: 'HelmChart', name: TEMPLATE, namespace: SYSTEM } } },
        },
      });
      await watch.seen(`${TEMPLATE} valid on ${b.name}`, (e) => statusOf(e.object)['valid'] === true);
    } finally {
      watch.stop();
    }
    await mustWrite(rest, {
      method: 'POST',
      path: resourcePath(SERVICE_TEMPLATE_CHAINS, SYSTEM),
      body: {
        apiVersion: `${GROUP}/v1beta1`,
        kind: 'ServiceTemplateChain',
        metadata: { name: CHAIN, namespace: SYSTEM },
        spec: { supportedTemplates: [{ name: TEMPLATE }] },
      },
    });
  }

  /** The AccessManagement `kcm` with the keep rules and this file's rule: created on kcm, its spec replaced on the sandbox. */
  async function applyAccessManagement(b: Backend): Promise<void> {
    const rest = adminRest(b);
    const accessRules = [...(await keepRules(rest)), { targetNamespaces: { list: [TARGET] }, serviceTemplateChains: [CHAIN] }];
    const existing = await rest.raw({ method: 'GET', path: resourcePath(ACCESS_MANAGEMENTS, undefined, 'kcm') });
    if (existing.status === 404) {
      await mustWrite(rest, {
        method: 'POST',
        path: resourcePath(ACCESS_MANAGEMENTS, undefined),
        body: { apiVersion: `${GROUP}/v1beta1`, kind: 'AccessManagement', metadata: { name: 'kcm' }, spec: { accessRules } },
      });
    } else {
      await mustWrite(rest, {
        method: 'PATCH',
        path: resourcePath(ACCESS_MANAGEMENTS, undefined, 'kcm'),
        contentType: 'application/merge-patch+json',
        body: { spec: { accessRules } },
      });
    }
  }

  before(async () => {
    const [s, k] = both();
    kcmManagedBefore = await managedCopies(adminRest(k));
    await Promise.all([makeSources(s), makeSources(k)]).catch((err: Error) => {
      throw new Error(err.message + kcmLog());
    });
    for (const b of [s, k]) copies.set(b.name, await recordWatch(b, SERVICE_TEMPLATES, { namespace: TARGET }));
    const amWatches = await Promise.all([s, k].map((b) => recordWatch(b, ACCESS_MANAGEMENTS, { fieldSelector: 'metadata.name=kcm' })));
    try {
      await Promise.all([applyAccessManagement(s), applyAccessManagement(k)]);
      await Promise.all(
        [s, k].map(async (b, i) => {
          const seen = await amWatches[i]!.seen(`AccessManagement kcm reconciled on ${b.name}`, (e) => {
            const status = statusOf(e.object);
            return (
              status['observedGeneration'] === e.object.metadata.generation &&
              Array.isArray(status['current']) &&
              JSON.stringify(status['current']).includes(CHAIN)
            );
          });
          reconciled.set(b.name, seen.object);
        }),
      );
    } catch (err) {
      throw new Error((err instanceof Error ? err.message : String(err)) + kcmLog());
    } finally {
      for (const w of amWatches) w.stop();
    }
  });

  after(async () => {
    for (const w of copies.values()) w.stop();
    if (!kcmEnv.backend.realKcm) return;
    const rest = adminRest(kcmEnv.backend);
    // What would leave the shared world otherwise than this file found it fails the file, after the cleanup.
    const problems: string[] = [];
    await deleteAccessManagement(rest).catch((err: Error) => problems.push(err.message));
    // The copies went into TARGET only: the namespace takes them (kube-controller-manager's namespace controller).
    await rest.raw({ method: 'DELETE', path: resourcePath(NAMESPACES, undefined, TARGET) });
    await rest.raw({ method: 'DELETE', path: resourcePath(SERVICE_TEMPLATE_CHAINS, SYSTEM, CHAIN) });
    await rest.raw({ method: 'DELETE', path: resourcePath(SERVICE_TEMPLATES, SYSTEM, TEMPLATE) });
    await rest.raw({ method: 'DELETE', path: resourcePath(HELM_CHARTS, SYSTEM, TEMPLATE) });
    await rest.raw({ method: 'DELETE', path: resourcePath(HELM_REPOSITORIES, SYSTEM, REPOSITORY) });
    const left = (await managedCopies(rest)).filter((c) => !c.includes(` ${TARGET}/`));
    if (JSON.stringify(left) !== JSON.stringify(kcmManagedBefore))
      problems.push(`managed copies changed: before ${kcmManagedBefore.join(', ')}; after ${left.join(', ')}`);
    if ((await rest.raw({ method: 'GET', path: resourcePath(ACCESS_MANAGEMENTS, undefined, 'kcm') })).status !== 404)
      problems.push('the AccessManagement kcm is still there');
    if (problems.length > 0) throw new Error(`the shared real-kcm world is not as this file found it: ${problems.join('; ')}`);
  });

  /**
   * Deletes the AccessManagement on the real-kcm world: kcm's webhook forbids it while the Management exists, so its
   * validating webhook stops matching DELETE of accessmanagements for this request, and is restored in any case.
   */
  async function deleteAccessManagement(rest: KubeRest): Promise<void> {
    const path = '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/kcm-validating-webhook-configuration';
    const config = await rest.json<{ webhooks: { name: string; rules: { operations: string[] }[] }[] }>({ method: 'GET', path });
    const i = config.webhooks.findIndex((w) => w.name === 'validation.accessmanagement.k0rdent.mirantis.com');
    if (i < 0) throw new Error('the world has no validation.accessmanagement webhook');
    const operations = config.webhooks[i]!.rules[0]!.operations;
    const patch = (ops: string[], expected: string[]): Promise<RestResponse> =>
      mustWrite(rest, {
        method: 'PATCH',
        path,
        contentType: 'application/json-patch+json',
        body: [
          { op: 'test', path: `/webhooks/${i}/rules/0/operations`, value: expected },
          { op: 'replace', path: `/webhooks/${i}/rules/0/operations`, value: ops },
        ],
      });
    const without = operations.filter((o) => o !== 'DELETE');
    await patch(without, operations);
    try {
      // kube-apiserver picks the configuration change up from its informer: a 403 until then.
      await until(
        'the AccessManagement deleted',
        async () => {
          const res = await rest.raw({ method: 'DELETE', path: resourcePath(ACCESS_MANAGEMENTS, undefined, 'kcm') });
          return res.status === 200 || res.status === 404;
        },
        { timeoutMs: 20_000, everyMs: 100 },
      );
    } finally {
      await patch(operations, without);
    }
  }

  it('the `kcm-resources` ClusterRole: written by neither (kcm v1.11.4 has no dynamic RBAC; **version**: 8373a24 has)', async () => {
    const [s, k] = both();
    // kcm 8373a24 internal/controller/accessmanagement_controller.go:909-953 (ensureDynamicRBAC) writes ClusterRole
    // `<am>-resources` labelled k0rdent.mirantis.com/aggregate-to-manager=true; kcm v1.11.4's controller has no such
    // step (its reconcileObj, :143-175, copies and cleans up only). The sandbox writes none either, as v1.11.4.
    const sRes = await adminRest(s).raw({ method: 'GET', path: resourcePath(CLUSTER_ROLES, undefined, 'kcm-resources') });
    const kRes = await adminRest(k).raw({ method: 'GET', path: resourcePath(CLUSTER_ROLES, undefined, 'kcm-resources') });
    assert.equal(kRes.status, 404, `kcm v1.11.4 wrote kcm-resources: ${JSON.stringify(kRes.body)}`);
    assert.equal(sRes.status, 404, `the sandbox answers GET clusterroles/kcm-resources: ${JSON.stringify(sRes.body)}`);
    const aggregated = await adminRest(k).json<{ items: KubeObject[] }>({
      method: 'GET',
      path: resourcePath(CLUSTER_ROLES, undefined),
      query: { labelSelector: 'k0rdent.mirantis.com/aggregate-to-manager=true' },
    });
    assert.deepEqual(
      aggregated.items.map((o) => o.metadata.name),
      [],
    );
  });

  it('ServiceTemplate copies: the same states in the same order on both, and the status the source has', async () => {
    const [s, k] = both();
    // kcm: the chain copy (accessmanagement_controller.go:569-600), its template copy with the source's chartRef
    // (templatechain_controller.go:196-199), then the ServiceTemplate controller's component label
    // (servicetemplate_controller.go:74-79) and, a reconcile later, its status from that HelmChart
    // (template_controller.go:206-212, :262-313). The sandbox: the same controller steps (src/sandbox/kcm/service-templates.ts).
    const states = new Map<string, Rec[]>();
    for (const b of [s, k]) {
      const watch = copies.get(b.name)!;
      const valid = await watch
        .seen(`the ${TEMPLATE} copy valid on ${b.name}`, (e) => e.object.metadata.name === TEMPLATE && statusOf(e.object)['valid'] === true)
        .catch((err: Error) => {
          throw new Error(err.message + (b.name === 'kcm' ? kcmLog() : ''));
        });
      const upTo = watch.events.indexOf(valid);
      states.set(
        b.name,
        watch.events
          .slice(0, upTo + 1)
          .filter((e) => e.object.metadata.name === TEMPLATE)
          .map((e) => ({ type: e.type, ...copyState(e.object) })),
      );
      // The copy's status is its source's: the same HelmChart, the same chart.
      const source = await b.get(SERVICE_TEMPLATES, SYSTEM, TEMPLATE);
      assert.deepEqual(statusOf(valid.object), statusOf(source), `${b.name}: the copy's status is the source's`);
    }
    assert.deepEqual(states.get('sandbox'), states.get('kcm'));
    assert.deepEqual(
      states.get('kcm')!.map(
        (st) =>
          `${String(st['type'])} ${Object.keys(st['labels'] as Rec)
            .sort()
            .join(',')} ${Object.keys(st['status'] as Rec).length > 0 ? 'status' : '-'}`,
      ),
      [`ADDED ${MANAGED} -`, `MODIFIED ${COMPONENT},${MANAGED} -`, `MODIFIED ${COMPONENT},${MANAGED} status`],
    );
  });

  it('events on the AccessManagement: the same (events.k8s.io/v1, in `default`, action Reconcile)', async () => {
    // kcm: record.Eventf(am, nil, reason, "Reconcile", ...) (accessmanagement_controller.go:1059-1067) for the
    // chain copy (:267-269); the sandbox's recorder the same (src/sandbox/kcm/events.ts). Only what this run's
    // AccessManagement got (its uid); the reporting instance is the manager's pod on kcm, a fixed name on the sandbox.
    const seen = new Map<string, Rec[]>();
    for (const b of both()) {
      const uid = reconciled.get(b.name)?.metadata.uid;
      const list = await adminRest(b).json<{ items: Rec[] }>({ method: 'GET', path: '/apis/events.k8s.io/v1/events' });
      seen.set(
        b.name,
        list.items
          .filter((e) => (e['regarding'] as Rec | undefined)?.['uid'] === uid)
          .map((e) => {
            const regarding = e['regarding'] as Rec;
            return {
              namespace: (e['metadata'] as Rec)['namespace'],
              type: e['type'],
              reason: e['reason'],
              action: e['action'],
              note: e['note'],
              reportingController: e['reportingController'],
              regarding: { apiVersion: regarding['apiVersion'], kind: regarding['kind'], name: regarding['name'] },
            };
          }),
      );
    }
    assert.deepEqual(seen.get('sandbox'), seen.get('kcm'));
    assert.deepEqual(
      seen.get('kcm')!.map((e) => `${String(e['reason'])}: ${String(e['note'])}`),
      [`ServiceTemplateChainCreated: Successfully created ServiceTemplateChain ${TARGET}/${CHAIN}`],
    );
  });

  /** The same dry-run JSON patch to both: one more rule at the end of the AccessManagement's rules. */
  async function addRuleDryRun(
    rule: Rec,
    strict: boolean,
  ): Promise<{ sandbox: Answer & { body: unknown }; kcm: Answer & { body: unknown } }> {
    const ask = async (b: Backend): Promise<Answer & { body: unknown }> => {
      const res = await adminRest(b).raw({
        method: 'PATCH',
        path: resourcePath(ACCESS_MANAGEMENTS, undefined, 'kcm'),
        query: { dryRun: 'All', ...(strict ? { fieldValidation: 'Strict' } : {}) },
        contentType: 'application/json-patch+json',
        body: [{ op: 'add', path: '/spec/accessRules/-', value: rule }],
      });
      return { ...answerOf(res), body: res.body };
    };
    const [s, k] = both();
    return { sandbox: await ask(s), kcm: await ask(k) };
  }

  it('the Kinds it can distribute: **version** — kcm v1.11.4 has no `resources` (its six per-Kind lists only)', async () => {
    // kcm v1.11.4's AccessRule (api/v1beta1/accessmanagement_types.go:46-67) names ClusterTemplateChains,
    // ServiceTemplateChains, Credentials, ClusterAuthentications, DataSources and ClusterAuditPolicies, nothing else;
    // 8373a24's `resources` (any namespaced Kind) is not in its CRD. A ConfigMap rule: the sandbox admits it (its
    // webhook maps ConfigMap), kube-apiserver refuses the unknown field for kcm v1.11.4 under Strict validation.
    const n = rulesOf(reconciled.get('kcm')).length;
    const rule = { targetNamespaces: { list: [TARGET] }, resources: [{ kind: 'ConfigMap', names: ['access-diff-cm'] }] };
    // The same rule written to both (the per-Kind list): the sandbox's mutating webhook moves it into `resources`
    // (8373a24 MigrateAccessRules); kcm v1.11.4 has no mutating webhook for AccessManagement and keeps it.
    assert.deepEqual(rulesOf(reconciled.get('kcm')).at(-1), { serviceTemplateChains: [CHAIN], targetNamespaces: { list: [TARGET] } });
    assert.deepEqual(rulesOf(reconciled.get('sandbox')).at(-1), {
      targetNamespaces: { list: [TARGET] },
      resources: [{ apiGroup: GROUP, kind: 'ServiceTemplateChain', names: [CHAIN] }],
    });
    const strict = await addRuleDryRun(rule, true);
    assert.equal(strict.sandbox.status, 200, JSON.stringify(strict.sandbox));
    assert.deepEqual(rulesOf(strict.sandbox.body).at(-1), { ...rule, resources: [{ kind: 'ConfigMap', names: ['access-diff-cm'] }] });
    // A patch that Strict refuses: 422, the patched object, then the decoder's error.
    assert.equal(strict.kcm.status, 422, JSON.stringify(strict.kcm));
    assert.ok(strict.kcm.message.endsWith(`: strict decoding error: unknown field "spec.accessRules[${n}].resources"`), strict.kcm.message);
    // Without Strict (client-node, kubectl --validate=false) kcm v1.11.4 keeps the rule without `resources`: nothing to distribute.
    const warn = await addRuleDryRun(rule, false);
    assert.equal(warn.kcm.status, 200);
    assert.deepEqual(warn.kcm.warnings, [`unknown field "spec.accessRules[${n}].resources"`]);
    assert.deepEqual(rulesOf(warn.kcm.body).at(-1), { targetNamespaces: { list: [TARGET] } });
  });

  it('the Kinds it can distribute: any Kind the sandbox serves (a HelmRepository is copied); kcm v1.11.4 drops the rule', async () => {
    // 8373a24's webhook and controller resolve a rule's Kind with the manager's RESTMapper (the API server's
    // discovery): the simulated kcm maps every resource the embedded sandbox serves (src/sandbox/kcm/access-rules.ts
    // defaultKindMapper), so a HelmRepository rule is admitted and the repository copied. kcm v1.11.4 drops the field.
    const [s, k] = both();
    const n = rulesOf(reconciled.get('kcm')).length;
    const rule = {
      targetNamespaces: { list: [TARGET] },
      resources: [{ apiGroup: 'source.toolkit.fluxcd.io', kind: 'HelmRepository', names: [REPOSITORY] }],
    };
    const dry = await addRuleDryRun(rule, false);
    assert.deepEqual(dry.kcm.warnings, [`unknown field "spec.accessRules[${n}].resources"`]);
    assert.equal(dry.kcm.status, 200);
    assert.equal(dry.sandbox.status, 200, JSON.stringify(dry.sandbox));
    // On the sandbox (this file's own), for real: the copy, labelled managed, without the source's status.
    const watch = await recordWatch(s, HELM_REPOSITORIES, { namespace: TARGET, fieldSelector: `metadata.name=${REPOSITORY}` });
    try {
      await mustWrite(adminRest(s), {
        method: 'PATCH',
        path: resourcePath(ACCESS_MANAGEMENTS, undefined, 'kcm'),
        contentType: 'application/json-patch+json',
        body: [{ op: 'add', path: '/spec/accessRules/-', value: rule }],
      });
      const copy = await watch.seen(`the ${REPOSITORY} copy in ${TARGET}`, (e) => e.type === 'ADDED');
      assert.deepEqual(copy.object.metadata.labels, { [MANAGED]: 'true' });
      assert.deepEqual((copy.object as Rec)['spec'], ((await s.get(HELM_REPOSITORIES, SYSTEM, REPOSITORY)) as Rec)['spec']);
    } finally {
      watch.stop();
    }
    // kcm v1.11.4 has nothing of the kind in the namespace it copied the chain to.
    assert.deepEqual(
      (await k.list(HELM_REPOSITORIES, { namespace: TARGET })).map((o) => o.metadata.name),
      [],
    );
  });
});
