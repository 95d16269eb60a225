/**
 * Issue 7, "nothing silent", through a real MCP client against the sandbox: deploy creates and update
 * changes; a wait reports Ready only for the generation it waits for (asserted on the sandbox's own
 * condition history); honest not-found; kcm's not-ready reasons.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { KubeObject as SandboxObject, StoreEvent } from '../../src/sandbox/apiserver/types.js';
import { AZURE_BASELINE, sandboxWriteCount, startHarness, type Harness, errorOf, okOf as ok } from '../helpers/clusters-harness.js';
import { until } from '../helpers/until.js';
import { useSandbox, sandboxFor } from '../helpers/lifecycle.js';

const run = promisify(execFile);
const GROUP = 'k0rdent.mirantis.com';
const CD = { group: GROUP, version: 'v1beta1', plural: 'clusterdeployments' };
const TEMPLATE = 'azure-standalone-cp-1-0-15';
const UPGRADE = 'azure-standalone-cp-1-0-45';
const CREDENTIAL = 'azure-cluster-credential';

type Condition = { type: string; status: string; reason?: string; message?: string; observedGeneration?: number };
type Rec = Record<string, unknown>;

const conditionsOf = (object: SandboxObject | undefined): Condition[] =>
  ((object?.['status'] as Rec | undefined)?.['conditions'] ?? []) as Condition[];
const find = (conditions: readonly Condition[], type: string): Condition | undefined => conditions.find((c) => c.type === type);

describe('deploy creates, update changes (issue 7)', () => {
  const sandbox = sandboxFor({ provisionSeconds: 2, deleteSeconds: 1 });
  let dev: Harness;
  const dir = mkdtempSync(join(tmpdir(), 'clusters-update-'));

  before(async () => {
    dev = await startHarness(sandbox, { authMode: 'DEV_ALLOW_ANY' });
    writeFileSync(join(dir, 'kubeconfig'), sandbox.kubeconfig);
  });

  after(async () => {
    await dev?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Someone else creates a deployment with kubectl (client-side apply, no managed-by label). */
  async function kubectlCreate(name: string, config: Rec): Promise<SandboxObject> {
    const manifest = JSON.stringify({
      apiVersion: `${GROUP}/v1beta1`,
      kind: 'ClusterDeployment',
      metadata: { name, namespace: 'team-alpha', labels: { owner: 'ops' } },
      spec: { template: TEMPLATE, credential: CREDENTIAL, config },
    });
    const file = join(dir, `${name}.json`);
    writeFileSync(file, manifest);
    await run('/usr/bin/kubectl', ['--kubeconfig', join(dir, 'kubeconfig'), '--cache-dir', join(dir, 'cache'), 'apply', '-f', file], {
      env: { PATH: '/usr/bin', HOME: dir },
    });
    const stored = sandbox.store.get(CD, 'team-alpha', name);
    assert.ok(stored, 'kubectl created it');
    return stored;
  }

  function settled(name: string): Promise<SandboxObject> {
    return until(`${name} to settle (Ready for its generation)`, () => {
      const object = sandbox.store.get(CD, 'team-alpha', name);
      const ready = find(conditionsOf(object), 'Ready');
      return object && ready?.status === 'True' && ready.observedGeneration === object.metadata.generation ? object : undefined;
    });
  }

  it('deploy over a kubectl-created deployment with another config → conflict listing the paths; its generation is unchanged', async () => {
    const theirs = await kubectlCreate('theirs', { ...AZURE_BASELINE, workersNumber: 2 });
    const writes = await sandboxWriteCount(sandbox);
    const error = errorOf(
      await dev.call('k0.clusters.deploy', {
        name: 'theirs',
        namespace: 'team-alpha',
        template: TEMPLATE,
        credential: CREDENTIAL,
        config: AZURE_BASELINE,
      }),
    );
    assert.equal(error.code, 'conflict');
    assert.match(error.message, /config\.workersNumber: 2 → 1/);
    assert.match(error.message, /k0\.clusters\.update/);
    assert.ok(
      (error.details?.differences as string[]).some((d) => d.startsWith('labels["app.kubernetes.io/managed-by"]')),
      'the missing managed label is a difference too',
    );
    assert.equal(sandbox.store.get(CD, 'team-alpha', 'theirs')?.metadata.generation, theirs.metadata.generation);
    assert.equal(await sandboxWriteCount(sandbox), writes, 'nothing written');
  });

  it('update of a deployment this server did not create → refused without adopt, accepted with it', async () => {
    const writes = await sandboxWriteCount(sandbox);
    const refused = errorOf(
      await dev.call('k0.clusters.update', { name: 'theirs', namespace: 'team-alpha', config: { workersNumber: 3 } }),
    );
    assert.equal(refused.code, 'conflict');
    assert.match(refused.message, /not created by this server.*adopt: true/);
    assert.equal(await sandboxWriteCount(sandbox), writes, 'nothing written');

    const adopted = ok<{ status: string; changes: string[]; adopted: boolean }>(
      await dev.call('k0.clusters.update', { name: 'theirs', namespace: 'team-alpha', config: { workersNumber: 3 }, adopt: true }),
    );
    assert.equal(adopted.status, 'updated');
    assert.equal(adopted.adopted, true);
    assert.ok(adopted.changes.includes('config.workersNumber: 2 → 3'), adopted.changes.join('; '));
    const stored = sandbox.store.get(CD, 'team-alpha', 'theirs') as SandboxObject & { spec: { config: Rec } };
    assert.equal(stored.metadata.labels?.['app.kubernetes.io/managed-by'], 'k0rdent-mcp');
    assert.equal(stored.metadata.labels?.['owner'], 'ops', 'their labels stay');
    assert.deepEqual(stored.spec.config, { ...AZURE_BASELINE, workersNumber: 3 });
  });

  it('identical re-deploy → unchanged; update {config: {workersNumber: 3}} changes only that key and lists it', async () => {
    const args = {
      name: 'ours',
      namespace: 'team-alpha',
      template: TEMPLATE,
      credential: CREDENTIAL,
      config: AZURE_BASELINE,
      labels: { env: 'dev' },
    };
    assert.equal(ok<{ status: string }>(await dev.call('k0.clusters.deploy', args)).status, 'created');
    const writes = await sandboxWriteCount(sandbox);
    assert.equal(ok<{ status: string }>(await dev.call('k0.clusters.deploy', args)).status, 'unchanged');
    assert.equal(await sandboxWriteCount(sandbox), writes, 'an identical re-deploy writes nothing');

    const dry = ok<{ status: string; changes: string[] }>(
      await dev.call('k0.clusters.update', { name: 'ours', namespace: 'team-alpha', config: { workersNumber: 3 }, dryRun: true }),
    );
    assert.equal(dry.status, 'dryRun');
    assert.deepEqual(dry.changes, ['config.workersNumber: 1 → 3']);
    assert.equal(
      (sandbox.store.get(CD, 'team-alpha', 'ours') as SandboxObject & { spec: { config: Rec } }).spec.config['workersNumber'],
      1,
      'dryRun stores nothing',
    );

    const updated = ok<{ status: string; changes: string[]; generation: number }>(
      await dev.call('k0.clusters.update', { name: 'ours', namespace: 'team-alpha', config: { workersNumber: 3 } }),
    );
    assert.equal(updated.status, 'updated');
    assert.deepEqual(updated.changes, ['config.workersNumber: 1 → 3']);
    const stored = sandbox.store.get(CD, 'team-alpha', 'ours') as SandboxObject & { spec: { config: Rec } };
    assert.deepEqual(stored.spec.config, { ...AZURE_BASELINE, workersNumber: 3 }, 'every other key kept');
    assert.equal(stored.metadata.labels?.['env'], 'dev');
    assert.equal(updated.generation, stored.metadata.generation);

    const again = ok<{ status: string; changes: string[] }>(
      await dev.call('k0.clusters.update', { name: 'ours', namespace: 'team-alpha', config: { workersNumber: 3 } }),
    );
    assert.deepEqual([again.status, again.changes], ['unchanged', []]);

    const removed = ok<{ changes: string[] }>(
      await dev.call('k0.clusters.update', {
        name: 'ours',
        namespace: 'team-alpha',
        labels: { tier: 'gold' },
        config: { worker: { rootVolumeSize: 40 } },
      }),
    );
    assert.deepEqual(removed.changes, ['config.worker.rootVolumeSize: (absent) → 40', 'labels["tier"]: (absent) → "gold"']);
  });

  it('update: config checked like deploy (typo → path and nearest key), an upgrade not in availableUpgrades → invalidParams naming the allowed ones; nothing written', async () => {
    const writes = await sandboxWriteCount(sandbox);
    const typo = errorOf(
      await dev.call('k0.clusters.update', {
        name: 'ours',
        namespace: 'team-alpha',
        config: { workerNumber: 2, controlPlane: { vmSzie: 'x' } },
      }),
    );
    assert.equal(typo.code, 'invalidParams');
    assert.match(typo.message, /config\.workerNumber is not a setting of this template; did you mean config\.workersNumber\?/);
    assert.match(
      typo.message,
      /config\.controlPlane\.vmSzie is not a setting of this template; did you mean config\.controlPlane\.vmSize\?/,
    );
    const upgrade = errorOf(
      await dev.call('k0.clusters.update', { name: 'ours', namespace: 'team-alpha', template: 'azure-hosted-cp-1-0-48' }),
    );
    assert.equal(upgrade.code, 'invalidParams');
    assert.match(upgrade.message, new RegExp(`available upgrades \\(status.availableUpgrades\\) are ${UPGRADE}`));
    assert.deepEqual(upgrade.details?.availableUpgrades, [UPGRADE]);
    const deployTypo = errorOf(
      await dev.call('k0.clusters.deploy', {
        name: 'typo',
        namespace: 'team-alpha',
        template: TEMPLATE,
        credential: CREDENTIAL,
        config: { ...AZURE_BASELINE, workerNumber: 2 },
      }),
    );
    assert.equal(deployTypo.code, 'invalidParams');
    assert.match(deployTypo.message, /config\.workerNumber is not a setting of this template; did you mean config\.workersNumber\?/);
    const proto = errorOf(
      await dev.call(
        'k0.clusters.deploy',
        JSON.parse(
          `{"name":"proto","namespace":"team-alpha","template":"${TEMPLATE}","credential":"${CREDENTIAL}","labels":{"__proto__":"x"},"config":{"__proto__":{"a":1}}}`,
        ) as Rec,
      ),
    );
    assert.equal(proto.code, 'invalidParams');
    assert.match(proto.message, /labels\.__proto__: the key "__proto__" is not allowed/);
    assert.match(proto.message, /config\.__proto__: the key "__proto__" is not allowed/);
    assert.equal(await sandboxWriteCount(sandbox), writes, 'nothing written');
  });

  it('update to a credential that does not fit the template → invalidParams (the same provider fit as deploy); nothing written', async () => {
    // A ready AWS credential in team-alpha: kcm's webhook would accept nothing else for azure, and neither may update.
    sandbox.store.create(
      { group: GROUP, version: 'v1beta1', plural: 'credentials' },
      {
        apiVersion: `${GROUP}/v1beta1`,
        kind: 'Credential',
        metadata: { name: 'alpha-aws-credential', namespace: 'team-alpha' },
        spec: {
          identityRef: {
            apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta2',
            kind: 'AWSClusterStaticIdentity',
            name: 'aws-cluster-identity',
          },
        },
      },
    );
    await until(
      'alpha-aws-credential ready',
      () =>
        (
          sandbox.store.get({ group: GROUP, version: 'v1beta1', plural: 'credentials' }, 'team-alpha', 'alpha-aws-credential')?.[
            'status'
          ] as Rec | undefined
        )?.['ready'] === true,
    );
    const writes = await sandboxWriteCount(sandbox);
    const misfit = errorOf(
      await dev.call('k0.clusters.update', { name: 'ours', namespace: 'team-alpha', credential: 'alpha-aws-credential' }),
    );
    assert.equal(misfit.code, 'invalidParams');
    assert.match(
      misfit.message,
      /Credential team-alpha\/alpha-aws-credential does not fit ClusterTemplate azure-standalone-cp-1-0-15, which needs infrastructure provider azure/,
    );
    assert.deepEqual(misfit.details?.['templateProviders'], ['azure']);
    assert.equal(await sandboxWriteCount(sandbox), writes, 'nothing written');
  });

  it('update wait=true returns only after the sandbox kcm reconciled the new generation, not on the Ready it copies from the old release', async () => {
    await settled('ours');
    const history: { generation: number | undefined; conditions: Condition[] }[] = [];
    const unsubscribe = sandbox.store.subscribe((event: StoreEvent) => {
      if (event.object.metadata.name === 'ours' && event.object.metadata.namespace === 'team-alpha')
        history.push({ generation: event.object.metadata.generation, conditions: structuredClone(conditionsOf(event.object)) });
    });
    try {
      const result = ok<{ status: string; generation: number; ready: boolean; conditions: Condition[] }>(
        await dev.call(
          'k0.clusters.update',
          { name: 'ours', namespace: 'team-alpha', template: UPGRADE, wait: true, pollInterval: '1s', provisionTimeout: '60s' },
          { timeout: 60_000 },
        ),
      );
      assert.equal(result.status, 'updated');
      assert.equal(result.ready, true);
      const target = result.generation;
      const ofTarget = history.filter((h) => h.generation === target);
      // The trap is real: kcm first writes Ready=True for the new generation with the old release copied in.
      const copied = ofTarget.find(
        (h) =>
          find(h.conditions, 'Ready')?.status === 'True' && !(find(h.conditions, 'HelmReleaseReady')?.message ?? '').includes('@1.0.45'),
      );
      assert.ok(
        copied,
        `the sandbox showed Ready=True for generation ${target} before the release was upgraded: ${JSON.stringify(history.map((h) => [h.generation, find(h.conditions, 'Ready')?.status]))}`,
      );
      // The answer came after kcm reached Ready for the target with the new chart, and it shows that state.
      const reconciled = ofTarget.findIndex(
        (h) =>
          find(h.conditions, 'Ready')?.status === 'True' && (find(h.conditions, 'HelmReleaseReady')?.message ?? '').includes('@1.0.45'),
      );
      assert.ok(reconciled >= 0 && ofTarget.indexOf(copied) < reconciled, 'the copied Ready came before the reconciled one');
      assert.ok(
        ofTarget.slice(0, reconciled).some((h) => find(h.conditions, 'Ready')?.status !== 'True'),
        'Ready went through not-True in between',
      );
      assert.match(
        find(result.conditions, 'HelmReleaseReady')?.message ?? '',
        /upgrade succeeded .* with chart azure-standalone-cp@1\.0\.45/,
      );
      assert.ok(
        result.conditions.every((c) => c.observedGeneration === undefined || c.observedGeneration >= target),
        JSON.stringify(result.conditions),
      );
    } finally {
      unsubscribe();
    }
  });

  it('a config change with wait=true waits for the new release revision as well', async () => {
    const revisionOf = (message: string | undefined): number => Number(/\.v(\d+) with chart/.exec(message ?? '')?.[1] ?? NaN);
    const before = revisionOf(find(conditionsOf(await settled('ours')), 'HelmReleaseReady')?.message);
    const result = ok<{ ready: boolean; generation: number; conditions: Condition[] }>(
      await dev.call(
        'k0.clusters.update',
        { name: 'ours', namespace: 'team-alpha', config: { workersNumber: 2 }, wait: true, pollInterval: '1s', provisionTimeout: '60s' },
        { timeout: 60_000 },
      ),
    );
    assert.equal(result.ready, true);
    // Flux numbers releases, not generations (helm-controller: Snapshot.Version, one per install or upgrade).
    assert.equal(revisionOf(find(result.conditions, 'HelmReleaseReady')?.message), before + 1);
  });

  it('clusters_update_total and clusters_update_duration_seconds are exported, every outcome from 0', async () => {
    const fresh = await startHarness(sandbox);
    try {
      const text = await fresh.metrics.metrics();
      for (const outcome of ['success', 'forbidden', 'invalid', 'not_found', 'conflict', 'error'])
        assert.match(text, new RegExp(`^clusters_update_total\\{outcome="${outcome}"\\} 0$`, 'm'));
      assert.match(text, /^clusters_update_duration_seconds_count 0$/m);
    } finally {
      await fresh.close();
    }
  });
});

describe('honest not-found (issue 7)', () => {
  const env = useSandbox({ provisionSeconds: 1, deleteSeconds: 1 }, { authMode: 'DEV_ALLOW_ANY' });

  for (const [tool, args] of [
    ['k0.clusters.delete', { name: 'alpha-dev-cluster', namespace: 'team-alfa' }],
    ['k0.clusters.list', { namespace: 'team-alfa' }],
    ['k0.clusters.listCredentials', { namespace: 'team-alfa' }],
    ['k0.clusters.listTemplates', { namespace: 'team-alfa' }],
    ['k0.clusters.deploy', { name: 'x', namespace: 'team-alfa', template: TEMPLATE, credential: CREDENTIAL, config: AZURE_BASELINE }],
    ['k0.clusters.update', { name: 'alpha-dev-cluster', namespace: 'team-alfa', config: { workersNumber: 2 } }],
  ] as const) {
    it(`${tool} in a namespace that does not exist → notFound naming the readable namespaces and the nearest one`, async () => {
      const writes = await sandboxWriteCount(env.sandbox);
      const error = errorOf(await env.harness.call(tool, args));
      assert.equal(error.code, 'notFound');
      assert.match(error.message, /namespace "team-alfa" does not exist\. Readable namespaces: .*team-alpha.* Did you mean "team-alpha"\?/);
      assert.equal(error.details?.suggestion, 'team-alpha');
      // delete learns of the missing namespace from its DELETE's 404 (a request, not a write).
      if (tool !== 'k0.clusters.delete') assert.equal(await sandboxWriteCount(env.sandbox), writes, 'nothing written');
      assert.equal(env.sandbox.store.get({ group: '', version: 'v1', plural: 'namespaces' }, undefined, 'team-alfa'), undefined);
    });
  }

  it('delete without a namespace while the deployment lives in team-alpha → notFound saying where it is (issue 25: not a silent success)', async () => {
    const error = errorOf(await env.harness.call('k0.clusters.delete', { name: 'alpha-dev-cluster' }));
    assert.equal(error.code, 'notFound');
    assert.equal(error.details?.namespace, 'kcm-system');
    assert.match(error.message, /nothing was deleted.*exists in namespace "team-alpha"/);
    assert.ok(env.sandbox.store.get(CD, 'team-alpha', 'alpha-dev-cluster'), 'not deleted');
  });

  it('update of a name absent from the namespace → notFound saying where it exists', async () => {
    const error = errorOf(await env.harness.call('k0.clusters.update', { name: 'alpha-dev-cluster', config: { workersNumber: 2 } }));
    assert.equal(error.code, 'notFound');
    assert.match(error.message, /exists in namespace "team-alpha"/);
  });

  it("listCredentials carries kcm's CredentialReady message, and so does deploy's error", async () => {
    const listed = ok<{ items: { name: string; ready: boolean; notReadyReason?: string }[] }>(
      await env.harness.call('k0.clusters.listCredentials', { namespace: 'kcm-system' }),
    );
    const notReady = listed.items.filter((c) => !c.ready);
    assert.ok(notReady.length > 0);
    for (const c of notReady) assert.match(c.notReadyReason ?? '', /ClusterIdentity object of Kind=AzureClusterIdentity .* not found/);
    const error = errorOf(
      await env.harness.call('k0.clusters.deploy', {
        name: 'x',
        template: TEMPLATE,
        credential: notReady[0]!.name,
        config: AZURE_BASELINE,
      }),
    );
    assert.equal(error.code, 'invalidParams');
    assert.match(error.message, /is not ready: ClusterIdentity object of Kind=AzureClusterIdentity .* not found/);
  });
});
