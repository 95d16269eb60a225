/**
 * Chart render, chart versions, requeue timing and settled deployments: the embedded sandbox's simulated kcm against
 * real kcm v1.11.4 (the `kcm` backend, with the simulated world below it), the same requests to both (issue 20;
 * docs/sandbox.md "What still differs from kcm", those four rows). What is the same is asserted equal; what still
 * differs is asserted as it is, so the test fails when the difference changes. Cheap on the real-kcm lane: dry-run
 * deployments only (kcm runs its checks and stops before the HelmRelease), and the scenarios run side by side from the
 * start, both backends at once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KubeObject, ResourceKey } from '../../src/sandbox/apiserver/types.js';
import { CLUSTER_DEPLOYMENTS, COMPONENT_LABEL } from '../../src/sandbox/kcm/resources.js';
import { missingChartError } from '../../src/sandbox/kcm/status.js';
import { resourcePath } from '../../src/sandbox/kube/rest.js';
import { kcmSkipReason, type Backend } from '../helpers/backend.js';
import { AZURE_BASELINE } from '../helpers/clusters-harness.js';
import { useBackend } from '../helpers/lifecycle.js';
import { until } from '../helpers/until.js';
import { recordWatch, type RecordedWatch } from '../helpers/watch.js';
import { condition, type Condition, adminRest } from '../helpers/answers.js';

const SYSTEM = 'kcm-system';
const TEMPLATES: ResourceKey = { group: 'k0rdent.mirantis.com', version: 'v1beta1', plural: 'clustertemplates' };
/** A version of a shipped chart kcm never published (aws-standalone-cp's first in the k0rdent repository is 0.0.4). */
const UNPUBLISHED = { name: 'diff-charts-unpublished', chart: 'aws-standalone-cp', version: '0.0.1' };
/** The template the settled-deployment and requeue rows make invalid and valid again (its status only). */
const RECHECK = { name: 'diff-charts-recheck', chart: 'azure-standalone-cp', version: '1.0.45' };

const statusOf = (o: KubeObject | undefined): Record<string, unknown> => (o?.['status'] as Record<string, unknown> | undefined) ?? {};

function template(name: string, chart: string, version: string): KubeObject {
  return {
    apiVersion: 'k0rdent.mirantis.com/v1beta1',
    kind: 'ClusterTemplate',
    // With the component label kcm's template controller adds (its first reconcile only adds it and requeues, 5 s).
    metadata: { name, namespace: SYSTEM, labels: { [COMPONENT_LABEL]: 'kcm' } },
    spec: { helm: { chartSpec: { chart, version, interval: '10m0s', sourceRef: { kind: 'HelmRepository', name: 'kcm-templates' } } } },
  };
}

function dryRunDeployment(name: string, templateName: string, config: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'k0rdent.mirantis.com/v1beta1',
    kind: 'ClusterDeployment',
    metadata: { name, namespace: SYSTEM },
    spec: { template: templateName, credential: 'azure-cluster-credential', dryRun: true, config },
  };
}

/** The checks of a dry run have all run: TemplateReady, HelmChartReady and CredentialReady decided (True or False). */
const checked = (o: KubeObject): boolean =>
  ['TemplateReady', 'HelmChartReady', 'CredentialReady'].every((t) => ['True', 'False'].includes(condition(o, t)?.status ?? '')) ||
  condition(o, 'TemplateReady')?.status === 'False' ||
  condition(o, 'HelmChartReady')?.status === 'False';

const seconds = (time: string | undefined): number => Date.parse(time ?? '') / 1000;

const kcmSkip = kcmSkipReason();

describe(
  'chart render, chart versions, requeue timing, settled deployments: the sandbox against real kcm v1.11.4',
  { skip: kcmSkip },
  () => {
    const templateWatches = new Map<string, RecordedWatch>();
    const created: { backend: Backend; resource: ResourceKey; name: string }[] = [];
    // Registered before the backends' own `after` (hooks run in order): what the file made goes while both still run.
    after(async () => {
      for (const w of templateWatches.values()) w.stop();
      // Deployments first (kcm refuses to delete a template a deployment uses), gone before their template goes.
      const deployments = created.filter((c) => c.resource === CLUSTER_DEPLOYMENTS);
      for (const c of deployments) await adminRest(c.backend).raw({ method: 'DELETE', path: resourcePath(c.resource, SYSTEM, c.name) });
      await Promise.all(
        deployments.map((c) =>
          until(`${c.name} gone on ${c.backend.name}`, async () => !(await c.backend.get(c.resource, SYSTEM, c.name)), {
            timeoutMs: 60_000,
          }),
        ),
      );
      for (const c of created.filter((c) => c.resource !== CLUSTER_DEPLOYMENTS))
        await adminRest(c.backend).raw({ method: 'DELETE', path: resourcePath(c.resource, SYSTEM, c.name) });
    });
    const sandboxEnv = useBackend('sandbox', { provisionSeconds: 1, deleteSeconds: 1 }, false);
    const kcmEnv = useBackend('kcm', { provisionSeconds: 1, deleteSeconds: 1 }, false);
    const both = (): Backend[] => [sandboxEnv.backend, kcmEnv.backend];
    const kcmLog = (): string => `\nkcm log:\n${kcmEnv.backend.realKcm?.kcmLogTail(40) ?? ''}`;

    async function create(b: Backend, resource: ResourceKey, object: KubeObject): Promise<void> {
      const res = await adminRest(b).raw({ method: 'POST', path: resourcePath(resource, SYSTEM), body: object });
      assert.equal(res.status, 201, `${b.name}: ${JSON.stringify(res.body)}`);
      created.push({ backend: b, resource, name: object.metadata.name });
    }

    /** The template's status once its controller decided it (valid true or false), from the recorded watch. */
    async function decided(b: Backend, name: string): Promise<Record<string, unknown>> {
      const watch = templateWatches.get(b.name);
      assert.ok(watch, `a template watch on ${b.name}`);
      const event = await watch.seen(
        `${name} validated on ${b.name}`,
        (e) => e.object.metadata.name === name && typeof statusOf(e.object)['valid'] === 'boolean',
        { timeoutMs: 60_000 },
      );
      return statusOf(event.object);
    }

    /** Each backend's part of a scenario, side by side; kcm's log added to a failure. */
    const onBoth = <T>(part: (b: Backend) => Promise<T>): Promise<T[]> =>
      Promise.all(both().map(part)).catch((err: Error) => {
        throw new Error(err.message + kcmLog());
      });

    /** The unpublished version's template status on both; a published older version from the one copy. */
    async function versionsScenario(): Promise<{ pulled: Record<string, unknown>[]; older: Record<string, unknown>[][] }> {
      const pulled = await onBoth(async (b) => {
        const s = await decided(b, UNPUBLISHED.name);
        return { valid: s['valid'], validationError: s['validationError'], chartVersion: s['chartVersion'] };
      });
      const older = await onBoth(async (b) => [
        statusOf(await b.get(TEMPLATES, SYSTEM, 'azure-standalone-cp-1-0-15')),
        statusOf(await b.get(TEMPLATES, SYSTEM, 'azure-standalone-cp-1-0-45')),
      ]);
      return { pulled, older };
    }

    /** HelmChartReady of a dry run whose config Helm cannot render. */
    function renderScenario(): Promise<(Condition | undefined)[]> {
      const name = 'diff-charts-render';
      return onBoth(async (b) => {
        const watch = await recordWatch(b, CLUSTER_DEPLOYMENTS, { namespace: SYSTEM, fieldSelector: `metadata.name=${name}` });
        try {
          // The schema allows it (bastion is not required; a null removes the default, Helm's coalesce); the chart's
          // azurecluster.yaml then reads .Values.bastion.enabled.
          await create(b, CLUSTER_DEPLOYMENTS, dryRunDeployment(name, 'azure-standalone-cp-1-0-45', { ...AZURE_BASELINE, bastion: null }));
          const event = await watch.seen(`${name}'s checks on ${b.name}`, (e) => checked(e.object), { timeoutMs: 60_000 });
          return condition(event.object, 'HelmChartReady');
        } finally {
          watch.stop();
        }
      });
    }

    /**
     * A settled dry run whose template turns invalid through its status alone (no event reaches the deployment: kcm
     * does not watch ClusterTemplates with its webhooks on, clusterdeployment_controller.go:2375-2381), then an event of
     * the deployment's own (a label: kcm reconciles on every event, `For` without predicates, and re-runs every check);
     * then the template valid again through its status alone, which only the failed reconcile's requeue brings back.
     */
    function settledScenario(): Promise<{ failed: Partial<Condition>; gap: number }[]> {
      const name = 'diff-charts-settled';
      return onBoth(async (b) => {
        assert.equal((await decided(b, RECHECK.name))['valid'], true, `${b.name}: ${RECHECK.name} valid`);
        const watch = await recordWatch(b, CLUSTER_DEPLOYMENTS, { namespace: SYSTEM, fieldSelector: `metadata.name=${name}` });
        try {
          await create(b, CLUSTER_DEPLOYMENTS, dryRunDeployment(name, RECHECK.name, { ...AZURE_BASELINE }));
          await watch.seen(
            `${name} checked and passing on ${b.name}`,
            (e) => ['TemplateReady', 'HelmChartReady', 'CredentialReady'].every((t) => condition(e.object, t)?.status === 'True'),
            { timeoutMs: 60_000 },
          );
          const tplStatus = statusOf(await b.get(TEMPLATES, SYSTEM, RECHECK.name));
          await b.updateStatus(TEMPLATES, SYSTEM, RECHECK.name, {
            ...tplStatus,
            valid: false,
            validationError: 'made invalid by the test',
          });
          const poked = await adminRest(b).raw({
            method: 'PATCH',
            path: resourcePath(CLUSTER_DEPLOYMENTS, SYSTEM, name),
            contentType: 'application/merge-patch+json',
            body: { metadata: { labels: { 'diff-charts/poke': '1' } } },
          });
          assert.equal(poked.status, 200, `${b.name}: ${JSON.stringify(poked.body)}`);
          const failed = await watch.seen(
            `TemplateReady=False on ${name} (${b.name})`,
            (e) => condition(e.object, 'TemplateReady')?.status === 'False',
            {
              timeoutMs: 60_000,
            },
          );
          await b.updateStatus(TEMPLATES, SYSTEM, RECHECK.name, { ...tplStatus, valid: true });
          const later = (): readonly { object: KubeObject }[] => watch.events.slice(watch.events.indexOf(failed) + 1);
          const passed = await watch.seen(
            `TemplateReady=True again on ${name} (${b.name})`,
            (e) => later().includes(e) && condition(e.object, 'TemplateReady')?.status === 'True',
            { timeoutMs: 60_000 },
          );
          const down = condition(failed.object, 'TemplateReady');
          const up = condition(passed.object, 'TemplateReady');
          return {
            failed: { status: down?.status, reason: down?.reason, message: down?.message },
            gap: seconds(up?.lastTransitionTime) - seconds(down?.lastTransitionTime),
          };
        } finally {
          watch.stop();
        }
      });
    }

    // The three scenarios run side by side from the start (their waits overlap: kcm validates a new template on a
    // requeue of its template controller, 5 s, and re-runs a failed check on another); each test asserts its own.
    const pending: {
      versions?: ReturnType<typeof versionsScenario>;
      render?: ReturnType<typeof renderScenario>;
      settled?: ReturnType<typeof settledScenario>;
    } = {};
    before(async () => {
      await Promise.all(both().map(async (b) => templateWatches.set(b.name, await recordWatch(b, TEMPLATES, { namespace: SYSTEM }))));
      const templatesMade = onBoth((b) =>
        Promise.all([UNPUBLISHED, RECHECK].map((t) => create(b, TEMPLATES, template(t.name, t.chart, t.version)))),
      );
      pending.versions = templatesMade.then(versionsScenario);
      pending.render = renderScenario();
      pending.settled = templatesMade.then(settledScenario);
      // Each is awaited by its test; a rejection meanwhile is not unhandled.
      for (const p of Object.values(pending)) p.catch(() => undefined);
    });
    const awaited = <T>(p: Promise<T> | undefined): Promise<T> => {
      assert.ok(p, 'the scenarios started');
      return p;
    };

    it('chart versions (a difference closed): a version kcm never published is refused with the pull error on both; a published older one is served from the one copy of the chart', async () => {
      const { pulled, older } = await awaited(pending.versions);
      const [sandbox, kcm] = pulled;
      assert.deepEqual(kcm, {
        valid: false,
        validationError: missingChartError(UNPUBLISHED.chart, UNPUBLISHED.version),
        chartVersion: UNPUBLISHED.version,
      });
      assert.deepEqual(sandbox, kcm);
      // The difference left: every published version is the one copy of the chart (the sandbox data/k0rdent/charts, the
      // world the kcm module's), so a seeded older template reports the latest chart's values as its config; kcm
      // against oci://ghcr.io/k0rdent/kcm/charts would report 1.0.15's own.
      for (const [i, [v1015, v1045]] of older.entries()) {
        const name = both()[i]?.name;
        assert.deepEqual([v1015?.['valid'], v1015?.['chartVersion']], [true, '1.0.15'], `${name}: the published older version is valid`);
        assert.deepEqual(v1015?.['config'], v1045?.['config'], `${name}: 1.0.15 is served from the one copy (the latest's values)`);
      }
    });

    it("chart render (a difference narrowed): a config Helm cannot render (bastion: null, a nil pointer in the chart's templates) fails HelmChartReady with the same message on both", async () => {
      const [sandbox, kcm] = await awaited(pending.render);
      assert.equal(kcm?.status, 'False', `kcm's Helm render fails: ${JSON.stringify(kcm)}`);
      // text/template's ExecError as Helm passes it on (exec.go evalField; helm v3.21.3 engine.go:324-345 cleanupExecError).
      assert.equal(
        kcm?.message,
        'failed to validate template with provided configuration: template: azure-standalone-cp/templates/azurecluster.yaml:13:16: ' +
          'executing "azure-standalone-cp/templates/azurecluster.yaml" at <.Values.bastion.enabled>: nil pointer evaluating interface {}.enabled',
      );
      assert.deepEqual(
        { status: sandbox?.status, reason: sandbox?.reason, message: sandbox?.message },
        { status: kcm?.status, reason: kcm?.reason, message: kcm?.message },
      );
    });

    it('settled deployments (a difference closed) and requeue timing: a check that starts failing with no event of its own is seen on the next event on both, and passes again on the requeue, at least 5 s later on kcm', async () => {
      const [sandbox, kcm] = await awaited(pending.settled);
      const expected = `ClusterTemplate ${SYSTEM}/${RECHECK.name} is not marked as valid: made invalid by the test`;
      assert.deepEqual(kcm?.failed, { status: 'False', reason: 'Failed', message: expected });
      assert.deepEqual(sandbox?.failed, kcm?.failed, 'the settled walk re-ran the template check on the label event, as kcm does');
      // requeue timing, a lower bound only (the times are seconds; an upper bound would be a race): kcm's rate limiter
      // retries a failed reconcile after 5 s (internal/util/ratelimit/ratelimit.go:26 DefaultFastDelay); the sandbox
      // after min(5 s, provisionSeconds), here 1 s.
      assert.ok((kcm?.gap ?? 0) >= 5, `kcm re-ran the check ${kcm?.gap} s after the failure (at least 5)`);
      assert.ok((sandbox?.gap ?? 0) >= 1, `the sandbox re-ran the check ${sandbox?.gap} s after the failure (at least 1)`);
    });
  },
);
