/**
 * k0.platform.status and k0.regions.list through a real MCP client, on the embedded sandbox and real kcm (ROWS): a
 * healthy platform lists every component healthy and matches the Management as kubectl reads it; the
 * unhealthy-component fault (a label any client can set: on the Management for the simulated kcm, on the component's
 * HelmRelease for real kcm) is named as the first unhealthy item with kcm's error and goes away with the label; the seeded Regions, one paused; a caller who may not read cluster-scoped objects gets
 * `forbidden` naming what is missing; nothing is written by either tool.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { testBackends } from '../helpers/backend.js';
import { startHarness, type Harness } from '../helpers/clusters-harness.js';
import { kubectlFor, type Kubectl } from '../helpers/kubectl.js';
import { useBackend } from '../helpers/lifecycle.js';
import { until } from '../helpers/until.js';
import { MANAGEMENTS } from '../../src/sandbox/kcm/resources.js';
import { HELM_RELEASES } from '../../src/sandbox/world/resources.js';
import { FAULT_LABEL } from '../../src/sandbox/world/types.js';
import type { KubeObject } from '../../src/sandbox/apiserver/types.js';
import {
  COMPONENT_FAILURE,
  FAILED_COMPONENT,
  FAILED_COMPONENT_ERROR,
  MANAGEMENT_FAULT_LABEL,
} from '../../src/sandbox/kcm/management-faults.js';

interface Status {
  healthy: boolean;
  firstUnhealthy?: { kind: string; name: string; reason: string; message: string; next: string };
  management?: {
    release?: string;
    ready: boolean;
    components: { name: string; healthy: boolean; error?: string }[];
    availableProviders: string[];
  };
  releases: { name: string; ready: boolean; current: boolean; upgradeTarget: boolean }[];
  providerTemplates: { total: number; valid: number; invalid: unknown[] };
  regions: { total: number; notReady: string[]; paused: string[] };
}
interface Management {
  spec: { release: string };
  status: {
    components: Record<string, { success?: boolean; error?: string }>;
    availableProviders: string[];
    conditions?: { type: string; status: string }[];
  };
}
interface Items<T> {
  items: T[];
}
type Named = { metadata: { name: string } };
type ReleaseObject = Named & { status?: { ready?: boolean } };
type TemplateObject = Named & { status?: { valid?: boolean } };
type RegionObject = { metadata: { name: string; annotations?: Record<string, string> } };

/**
 * The Regions each backend holds: the sandboxes seed two (src/sandbox/seed/platform-seed.ts), one paused; the real-kcm
 * world seeds none (src/sandbox/real-kcm/seed.ts: kcm v1.11.4's Region controller, internal/controller/region/controller.go:162-171,
 * reads and copies the regional cluster's kubeconfig Secret and reconciles components there, and the world has no regional cluster).
 */
const seededRegions = (backend: string): boolean => backend !== 'kcm';

/** Whether the component succeeded (kcm omits `success: false`: ComponentStatus.Success is `omitempty`). */
const componentSuccess = (management: KubeObject | undefined): boolean | undefined => {
  const component = (management?.status as Management['status'] | undefined)?.components[FAILED_COMPONENT];
  return component ? component.success === true : undefined;
};

/** The Ready condition of a HelmRelease as [reason, message]. */
const readyOf = (hr: KubeObject | undefined): [string, string] | undefined => {
  const conditions = (hr?.status as { conditions?: { type: string; reason: string; message: string }[] } | undefined)?.conditions;
  const ready = conditions?.find((c) => c.type === 'Ready');
  return ready ? [ready.reason, ready.message] : undefined;
};

const dir = mkdtempSync(join(tmpdir(), 'k0mcp-platform-'));
const tokens = join(dir, 'tokens.yaml');
writeFileSync(
  tokens,
  'users:\n  - { name: admin, token: admin-token-0123, namespaces: ["*"] }\n  - { name: alpha, token: alpha-token-0123, namespaces: [team-alpha] }\n',
);
after(() => rmSync(dir, { recursive: true, force: true }));

/**
 * The embedded sandbox (the simulated kcm's Management, Releases, Regions and its Management fault) and real kcm (a
 * real kube-apiserver's RBAC and kubectl, kcm's own status, the fault through a HelmRelease). The `kube` row (the same
 * simulated kcm on a real kube-apiserver) is left out: these read-only tools see nothing there that the two rows do not
 * (the simulated kcm's status writes on kube are exercised by every other kube-row suite), and its start was most of this
 * file's time (34.8 s of 61.7 s at load 17), against the 2-3 s the real-kcm fault case adds.
 */
const ROWS = testBackends({ kcm: true }).filter((choice) => choice.name !== 'kube');

for (const choice of ROWS) {
  describe(`platform tools (${choice.name})`, { skip: choice.skip }, () => {
    // On real kcm the run's shared world (its timings, its token users; TLS is its own).
    const env = useBackend(
      choice.name,
      choice.name === 'kcm' ? { tokensFile: tokens, provisionSeconds: 1, deleteSeconds: 1 } : { tokensFile: tokens, tls: true },
      {},
    );
    let kubectl: Kubectl;
    before(() => {
      kubectl = kubectlFor(env.backend.adminKubeconfig);
    });
    after(() => kubectl?.close());

    it('a healthy platform: every component healthy, the figures of the Management as kubectl reads it', async () => {
      const marker = await env.backend.writeMarker();
      // One kubectl for the four kinds (a List of them all), beside the tool call: nothing changes them meanwhile.
      const [status, all] = await Promise.all([
        env.harness.ok<Status>('k0.platform.status', {}),
        kubectl.json<Items<{ kind: string }>>(['get', 'managements,releases,providertemplates,regions']),
      ]);
      const ofKind = <T>(kind: string): Items<T> => ({ items: all.items.filter((o) => o.kind === kind) as T[] });
      const management = ofKind<Management & Named>('Management').items.find((m) => m.metadata.name === 'kcm');
      assert.ok(management, 'kubectl lists the Management kcm');
      assert.equal(status.healthy, true, JSON.stringify(status.firstUnhealthy));
      assert.equal(status.firstUnhealthy, undefined);
      assert.equal(status.management?.ready, true);
      assert.equal(status.management?.release, management.spec.release);
      assert.deepEqual(
        status.management?.components.map((c) => c.name),
        Object.keys(management.status.components).sort(),
      );
      assert.ok(status.management?.components.every((c) => c.healthy && c.error === undefined));
      assert.deepEqual(status.management?.availableProviders, management.status.availableProviders);
      const current = status.releases.filter((r) => r.current);
      assert.deepEqual(
        current.map((r) => [r.name, r.ready]),
        [[management.spec.release, true]],
      );
      // Every figure as kubectl reads the objects behind it (on real kcm: what kcm v1.11.4 computed).
      const ready = management.status.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
      assert.equal(status.management?.ready, ready);
      assert.deepEqual(
        status.management?.components.map((c) => [c.name, c.healthy]),
        Object.entries(management.status.components)
          .map(([name, c]) => [name, c.success === true])
          .sort(),
      );
      const releases = ofKind<ReleaseObject>('Release');
      assert.deepEqual(
        status.releases.map((r) => [r.name, r.ready]).sort(),
        releases.items.map((r) => [r.metadata.name, r.status?.ready === true]).sort(),
      );
      const templates = ofKind<TemplateObject>('ProviderTemplate');
      assert.equal(status.providerTemplates.total, templates.items.length);
      assert.equal(status.providerTemplates.valid, templates.items.filter((t) => t.status?.valid === true).length);
      assert.equal(status.providerTemplates.valid, status.providerTemplates.total);
      assert.ok(status.providerTemplates.total > 0);
      const regions = ofKind<RegionObject>('Region');
      assert.deepEqual(status.regions, {
        total: regions.items.length,
        notReady: [],
        // Paused by the annotation's presence (kcm v1.11.4 api/v1beta1/region_types.go:29).
        paused: regions.items
          .filter((r) => 'k0rdent.mirantis.com/region-pause' in (r.metadata.annotations ?? {}))
          .map((r) => r.metadata.name),
      });
      if (seededRegions(choice.name)) assert.deepEqual(status.regions, { total: 2, notReady: [], paused: ['region-east'] });
      assert.equal(await env.backend.writeMarker(), marker, 'a read tool wrote nothing');
    });

    it('the unhealthy-component fault: named first with kcm error, and gone with the label', async () => {
      if (choice.name === 'kcm') {
        await componentFaultOnRealKcm();
        return;
      }
      const labelled = await kubectl.run(['label', 'management', 'kcm', `${MANAGEMENT_FAULT_LABEL}=${COMPONENT_FAILURE}`]);
      assert.equal(labelled.code, 0, labelled.stderr);
      try {
        await until(
          'the fault in the Management status',
          async () => componentSuccess(await env.backend.get(MANAGEMENTS, undefined, 'kcm')) === false,
        );
        const status = await env.harness.ok<Status>('k0.platform.status', {});
        assert.equal(status.healthy, false);
        assert.deepEqual(
          [status.firstUnhealthy?.kind, status.firstUnhealthy?.name, status.firstUnhealthy?.reason, status.firstUnhealthy?.message],
          ['Management component', FAILED_COMPONENT, 'InstallationFailed', FAILED_COMPONENT_ERROR],
        );
        assert.match(status.firstUnhealthy?.next ?? '', /k0\.logs\.get/);
        assert.equal(status.management?.ready, false);
        assert.deepEqual(
          status.management?.components.filter((c) => !c.healthy).map((c) => c.name),
          [FAILED_COMPONENT],
        );
      } finally {
        const removed = await kubectl.run(['label', 'management', 'kcm', `${MANAGEMENT_FAULT_LABEL}-`]);
        assert.equal(removed.code, 0, removed.stderr);
      }
      await until(
        'the component healthy again',
        async () => componentSuccess(await env.backend.get(MANAGEMENTS, undefined, 'kcm')) === true,
      );
      assert.equal((await env.harness.ok<Status>('k0.platform.status', {})).healthy, true);
    });

    /**
     * On real kcm the component fails as on a real management cluster: its HelmRelease fails (the world's
     * helm-controller fault `helm-upgrade-failure`, a label on the HelmRelease kcm keeps, src/sandbox/world/faults.ts)
     * and kcm v1.11.4 computes the component's error from it (internal/controller/components/reconciler.go:259-262,
     * :467-470 "HelmRelease <ns>/<name> is not yet ready: <Ready message>"). kcm does not watch HelmReleases
     * (management_controller.go:925-929 For(Management) only) and requeues only while a component is not ready
     * (:235-238, every 10 s), so the Management is touched, as an operator would, for kcm to read the failure at once.
     */
    async function componentFaultOnRealKcm(): Promise<void> {
      const release = ['helmrelease', '-n', 'kcm-system', FAILED_COMPONENT];
      const hr = async (): Promise<KubeObject | undefined> => env.backend.get(HELM_RELEASES, 'kcm-system', FAILED_COMPONENT);
      const touch = async (value: string): Promise<void> => {
        const touched = await kubectl.run(['annotate', 'management', 'kcm', `k0rdent-mcp.io/touched${value}`, '--overwrite']);
        assert.equal(touched.code, 0, touched.stderr);
      };
      const labelled = await kubectl.run(['label', ...release, `${FAULT_LABEL}=helm-upgrade-failure`]);
      assert.equal(labelled.code, 0, labelled.stderr);
      try {
        await until('the HelmRelease failed its upgrade', async () => readyOf(await hr())?.[0] === 'UpgradeFailed');
        const flux = readyOf(await hr())?.[1] ?? '';
        // Flux's text (helm-controller v1.6.2 internal/reconcile/upgrade.go:128).
        assert.match(
          flux,
          new RegExp(`^Helm upgrade failed for release kcm-system/${FAILED_COMPONENT} with chart ${FAILED_COMPONENT}@[0-9.]+: `),
        );
        // Touched again while kcm has not computed it: a reconcile that read its HelmRelease cache before the failure
        // arrived would otherwise leave the healthy status until kcm's next reconcile.
        await until(
          'kcm computed the component failed',
          async () => {
            if (componentSuccess(await env.backend.get(MANAGEMENTS, undefined, 'kcm')) === false) return true;
            await touch(`=${Date.now()}`);
            return false;
          },
          { everyMs: 500 },
        );
        const status = await env.harness.ok<Status>('k0.platform.status', {});
        const management = await kubectl.json<Management>(['get', 'management', 'kcm']);
        const error = management.status.components[FAILED_COMPONENT]?.error;
        assert.equal(error, `HelmRelease kcm-system/${FAILED_COMPONENT} is not yet ready: ${flux}`);
        assert.equal(status.healthy, false);
        assert.deepEqual(
          [status.firstUnhealthy?.kind, status.firstUnhealthy?.name, status.firstUnhealthy?.reason, status.firstUnhealthy?.message],
          ['Management component', FAILED_COMPONENT, 'InstallationFailed', error],
        );
        // The figures as kubectl reads the Management kcm wrote.
        assert.deepEqual(
          status.management?.components.map((c) => [c.name, c.healthy, c.error]),
          Object.entries(management.status.components)
            .map(([name, c]) => [name, c.success === true, c.error || undefined])
            .sort(),
        );
        assert.equal(status.management?.ready, management.status.conditions?.find((c) => c.type === 'Ready')?.status === 'True');
        assert.equal(status.management?.ready, false);
        assert.deepEqual(status.management?.availableProviders, management.status.availableProviders);
      } finally {
        const removed = await kubectl.run(['label', ...release, `${FAULT_LABEL}-`]);
        assert.equal(removed.code, 0, removed.stderr);
      }
      // The world retries the upgrade once the label is gone; kcm reads it at the touch (or its 10 s requeue).
      await until('the HelmRelease upgraded', async () => readyOf(await hr())?.[0] === 'UpgradeSucceeded');
      await touch('-');
      await until(
        'the component healthy again',
        async () => componentSuccess(await env.backend.get(MANAGEMENTS, undefined, 'kcm')) === true,
      );
      assert.equal((await env.harness.ok<Status>('k0.platform.status', {})).healthy, true);
    }

    it('k0.regions.list: the seeded Regions, ready or paused, and where each comes from', async (t) => {
      if (!seededRegions(choice.name)) {
        const { items } = await env.harness.ok<{ items: unknown[] }>('k0.regions.list', {});
        const regions = await kubectl.json<Items<RegionObject>>(['get', 'regions']);
        assert.equal(items.length, regions.items.length, 'the Regions kubectl lists');
        t.skip('the real-kcm world seeds no Region (src/sandbox/real-kcm/seed.ts)');
        return;
      }
      const { items } = await env.harness.ok<{
        items: { name: string; ready: boolean; paused: boolean; source?: string; availableProviders: string[] }[];
      }>('k0.regions.list', {});
      assert.deepEqual(
        items.map((r) => [r.name, r.ready, r.paused, r.source]),
        [
          ['region-east', true, true, 'kubeconfig Secret region-east-kubeconfig'],
          ['region-west', true, false, 'kubeconfig Secret region-west-kubeconfig'],
        ],
      );
      assert.ok(items.every((r) => r.availableProviders.includes('infrastructure-aws')));
    });

    it('a caller who may not read cluster-scoped objects gets forbidden naming what is missing', async () => {
      let alpha: Harness | undefined;
      try {
        alpha = await startHarness(env.backend, { authMode: 'OIDC_REQUIRED', namespaceFilter: /^team-alpha$/ }, 'alpha-token-0123');
        const error = await alpha.error('k0.platform.status', {});
        assert.equal(error.code, 'forbidden');
        assert.match(error.message, /cluster-scoped and this caller may not read them/);
        assert.match(error.message, /^(Managements|Releases|ProviderTemplates|Regions) are cluster-scoped/);
        const regions = await alpha.error('k0.regions.list', {});
        assert.equal(regions.code, 'forbidden');
        assert.match(regions.message, /Regions are cluster-scoped/);
      } finally {
        await alpha?.close();
      }
    });
  });
}
