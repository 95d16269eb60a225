/**
 * k0.platform.status and k0.regions.list through a real MCP client, on every backend of the matrix: a healthy
 * platform lists every component healthy and matches the Management as kubectl reads it; the unhealthy-component
 * fault (a label any client can set on the Management) is named as the first unhealthy item with kcm's error and
 * goes away with the label; the seeded Regions, one paused; a caller who may not read cluster-scoped objects gets
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
  status: { components: Record<string, { success?: boolean; error?: string }>; availableProviders: string[] };
}

const componentSuccess = (management: KubeObject | undefined): boolean | undefined =>
  (management?.status as Management['status'] | undefined)?.components[FAILED_COMPONENT]?.success;

const dir = mkdtempSync(join(tmpdir(), 'k0mcp-platform-'));
const tokens = join(dir, 'tokens.yaml');
writeFileSync(
  tokens,
  'users:\n  - { name: admin, token: admin-token-0123, namespaces: ["*"] }\n  - { name: alpha, token: alpha-token-0123, namespaces: [team-alpha] }\n',
);
after(() => rmSync(dir, { recursive: true, force: true }));

for (const choice of testBackends()) {
  describe(`platform tools (${choice.name})`, { skip: choice.skip }, () => {
    const env = useBackend(choice.name, { tokensFile: tokens, tls: true }, {});
    let kubectl: Kubectl;
    before(() => {
      kubectl = kubectlFor(env.backend.adminKubeconfig);
    });
    after(() => kubectl?.close());

    it('a healthy platform: every component healthy, the figures of the Management as kubectl reads it', async () => {
      const marker = await env.backend.writeMarker();
      const status = await env.harness.ok<Status>('k0.platform.status', {});
      const management = await kubectl.json<Management>(['get', 'management', 'kcm']);
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
      assert.equal(status.providerTemplates.valid, status.providerTemplates.total);
      assert.ok(status.providerTemplates.total > 0);
      assert.deepEqual(status.regions, { total: 2, notReady: [], paused: ['region-east'] });
      assert.equal(await env.backend.writeMarker(), marker, 'a read tool wrote nothing');
    });

    it('the unhealthy-component fault: named first with kcm error, and gone with the label', async () => {
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

    it('k0.regions.list: the seeded Regions, ready or paused, and where each comes from', async () => {
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
