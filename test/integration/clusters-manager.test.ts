/**
 * The cluster manager against the sandbox: listing strategy (one cluster-wide LIST, per-namespace
 * fallback on 403), and the wait (watch re-established after a break, stall warnings, early end on
 * Ready=False/Failed, timeout).
 */
import assert from 'node:assert/strict';

import { describe, it } from 'node:test';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { ClusterManager } from '../../src/clusters/manager.js';
import { namespacePolicyFromSettings } from '../../src/policy/index.js';
import type { SandboxHandle } from '../../src/sandbox/index.js';
import { AppError } from '../../src/errors.js';
import { AZURE_BASELINE, sandboxKubeConfig, testSettings, type LogLine } from '../helpers/clusters-harness.js';
import { until } from '../helpers/until.js';
import { sandboxFor, tokensFile } from '../helpers/lifecycle.js';

const GROUP = 'k0rdent.mirantis.com';
const CREDENTIALS = { group: GROUP, version: 'v1beta1', plural: 'credentials' };
const CD = { group: GROUP, version: 'v1beta1', plural: 'clusterdeployments' };

function capture(): { logger: Logger; logs: LogLine[] } {
  const logs: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _e, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') logs.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, sink), logs };
}

function manager(
  sandbox: SandboxHandle,
  logger: Logger,
  overrides: Parameters<typeof testSettings>[0] = {},
  token?: string,
): ClusterManager {
  const settings = testSettings(overrides);
  return new ClusterManager({
    kube: sandboxKubeConfig(sandbox, token),
    namespaces: namespacePolicyFromSettings(settings),
    fieldOwner: settings.deployFieldOwner,
    logger,
  });
}

const credentialLists = (log: string[]): { clusterWide: string[]; namespaced: string[] } => ({
  clusterWide: log.filter((l) => /^GET \/apis\/k0rdent\.mirantis\.com\/v1beta1\/credentials[? ]/.test(l)),
  namespaced: log.filter((l) => /^GET \/apis\/k0rdent\.mirantis\.com\/v1beta1\/namespaces\/[^/]+\/credentials[? ]/.test(l)),
});

describe('listing cost does not grow with the number of namespaces', () => {
  const log: string[] = [];
  const tokens = tokensFile([
    { name: 'admin', token: 'admin-token', namespaces: ['*'] },
    { name: 'alice', token: 'alice-token', namespaces: ['kcm-system', 'team-alpha'] },
  ]);
  const sandbox = sandboxFor({ scale: 40, tokensFile: tokens, log: (line) => log.push(line) });

  it('an identity that may list cluster-wide makes ONE LIST, filtered by the policy', async () => {
    const { logger } = capture();
    log.length = 0;
    const page = await manager(sandbox, logger, { namespaceFilter: /^team-/ }, 'admin-token').listCredentials({ limit: 500 });
    const { clusterWide, namespaced } = credentialLists(log);
    assert.equal(clusterWide.length, 1, clusterWide.join('\n'));
    assert.equal(namespaced.length, 0);
    const expected = sandbox.store
      .list(CREDENTIALS)
      .filter((o) => o.metadata.namespace === 'kcm-system' || /^team-/.test(o.metadata.namespace ?? ''))
      .map((o) => `${o.metadata.namespace}/${o.metadata.name}`)
      .sort();
    assert.deepEqual(page.items.map((c) => `${c.namespace}/${c.name}`).sort(), expected);
    assert.ok(sandbox.store.list({ group: '', version: 'v1', plural: 'namespaces' }).length > 40, 'the scaled sandbox has many namespaces');
  });

  it('on 403 it falls back to per-namespace LISTs of the readable namespaces only, skipping forbidden ones', async () => {
    const { logger } = capture();
    log.length = 0;
    const page = await manager(sandbox, logger, { authMode: 'OIDC_REQUIRED', namespaceFilter: /^team-/ }, 'alice-token').listCredentials(
      {},
    );
    const { clusterWide, namespaced } = credentialLists(log);
    assert.equal(clusterWide.length, 1);
    assert.match(clusterWide[0] ?? '', / 403 user=alice$/);
    // kcm-system, team-alpha, team-beta are readable by the policy; the scaled namespaces are not touched.
    assert.deepEqual(namespaced.map((l) => /namespaces\/([^/]+)\//.exec(l)?.[1]).sort(), ['kcm-system', 'team-alpha', 'team-beta']);
    const namespaces = new Set(page.items.map((c) => c.namespace));
    assert.deepEqual([...namespaces].sort(), ['kcm-system', 'team-alpha']);
  });

  it('per-namespace fallback pages with continue tokens', async () => {
    const { logger } = capture();
    const m = manager(sandbox, logger, { authMode: 'OIDC_REQUIRED', namespaceFilter: /^team-/ }, 'alice-token');
    const all = (await m.listCredentials({})).items.map((c) => `${c.namespace}/${c.name}`);
    const seen: string[] = [];
    let token: string | undefined;
    for (let i = 0; i < 50; i++) {
      const page = await m.listCredentials({ limit: 1, ...(token ? { continue: token } : {}) });
      seen.push(...page.items.map((c) => `${c.namespace}/${c.name}`));
      token = page.continue;
      if (!token) break;
    }
    assert.deepEqual(seen, all);
  });

  it("the API server's own 401/403 reach the caller as unauthorized/forbidden, nothing written", async () => {
    const { logger } = capture();
    const alice = manager(sandbox, logger, { authMode: 'OIDC_REQUIRED', namespaceFilter: /^team-/ }, 'alice-token');
    const before = sandbox.store.currentResourceVersion();
    // The policy allows team-beta; alice's RBAC does not.
    await assert.rejects(
      alice.deploy({
        name: 'rbac-cluster',
        namespace: 'team-beta',
        template: 'aws-standalone-cp-1-0-14',
        credential: 'aws-cluster-credential',
        config: { region: 'us-east-2' },
      }),
      // Refused before the write by alice's own review (src/shared/access-review.ts), naming what is missing.
      (e: unknown) =>
        e instanceof AppError && e.code === 'forbidden' && /may not create clusterdeployments\S* in namespace "team-beta"/.test(e.message),
    );
    await assert.rejects(
      alice.delete({ name: 'beta-staging-cluster', namespace: 'team-beta' }),
      (e: unknown) => e instanceof AppError && e.code === 'forbidden',
    );
    assert.equal(sandbox.store.currentResourceVersion(), before);
    const stranger = manager(sandbox, logger, {}, 'no-such-token');
    await assert.rejects(stranger.listCredentials({}), (e: unknown) => e instanceof AppError && e.code === 'unauthorized');
  });

  it('listing templates across many namespaces reads each distinct schema ConfigMap once', async () => {
    const { logger } = capture();
    log.length = 0;
    const page = await manager(sandbox, logger, {}, 'admin-token').listTemplates({ limit: 500, detail: 'full' });
    const namespaces = new Set(page.items.map((t) => t.namespace));
    assert.ok(namespaces.size > 40, `templates from ${namespaces.size} namespaces`);
    const distinct = new Set(page.items.map((t) => `${t.name}|${t.version ?? ''}`));
    const configMapGets = log.filter((l) => /^GET \/api\/v1\/namespaces\/[^/]+\/configmaps\//.test(l));
    assert.ok(configMapGets.length <= distinct.size, `${configMapGets.length} ConfigMap GETs for ${distinct.size} distinct templates`);
    assert.ok(page.items.filter((t) => t.configSchema?.source === 'schema').length > distinct.size, 'copies share the schema read once');
  });

  it('cluster-wide paging under a filter returns every readable item exactly once', async () => {
    const { logger } = capture();
    const m = manager(sandbox, logger, { namespaceFilter: /^scale-00[0-1]/ }, 'admin-token');
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await m.listDeployments({ limit: 3, ...(token ? { continue: token } : {}) });
      assert.ok(page.items.length <= 3);
      seen.push(...page.items.map((d) => `${d.namespace}/${d.name}`));
      token = page.continue;
      pages++;
    } while (token && pages < 100);
    const expected = sandbox.store
      .list(CD)
      .filter((o) => o.metadata.namespace === 'kcm-system' || /^scale-00[0-1]/.test(o.metadata.namespace ?? ''))
      .map((o) => `${o.metadata.namespace}/${o.metadata.name}`);
    assert.equal(new Set(seen).size, seen.length, 'no duplicates');
    assert.deepEqual([...seen].sort(), [...expected].sort());
    assert.ok(pages > 2);
  });

  it('a continue token from another query is rejected', async () => {
    const { logger } = capture();
    const m = manager(sandbox, logger, {}, 'admin-token');
    const first = await m.listCredentials({ limit: 1 });
    assert.ok(first.continue);
    await assert.rejects(
      m.listDeployments({ continue: first.continue }),
      (e: unknown) => e instanceof AppError && e.code === 'invalidParams',
    );
  });
});

describe('waiting for a deployment', () => {
  const sandbox = sandboxFor({ provisionSeconds: 2, deleteSeconds: 1 });
  it('re-establishes the watch when it breaks, warns on stalls, and reaches Ready', async () => {
    const { logger, logs } = capture();
    const m = manager(sandbox, logger);
    let closed = 0;
    const result = await m.deploy(
      {
        name: 'watch-break',
        namespace: 'team-alpha',
        template: 'azure-standalone-cp-1-0-15',
        credential: 'azure-cluster-credential',
        config: AZURE_BASELINE,
        wait: { pollIntervalMs: 1000, timeoutMs: 20_000, stallThresholdMs: 100 },
      },
      {
        // pollInterval (the silent-watch re-check) is longer than kcm's steps (~400 ms), so progress comes
        // from watch events and closing the watches here breaks an open one.
        onProgress: () => {
          if (closed++ < 2) sandbox.faults.closeWatches();
        },
      },
    );
    assert.equal(result.wait?.ready, true, `not ready: ${JSON.stringify(result.wait)}\n${logs.map((l) => JSON.stringify(l)).join('\n')}`);
    assert.equal(result.wait?.timedOut, false);
    assert.ok(
      logs.some((l) => l.msg === 'watch closed; re-establishing'),
      `the broken watch was re-established: ${logs.map((l) => l.msg).join(' / ')}`,
    );
    const stall = logs.find((l) => l.level === 40 && /no condition of ClusterDeployment team-alpha\/watch-break changed/.test(l.msg ?? ''));
    assert.ok(stall, 'a stall warning was logged');
    assert.equal(stall.cluster, 'watch-break');
  });

  it('ends early on Ready=False with reason Failed, with the failing condition', async () => {
    const { logger } = capture();
    const m = manager(sandbox, logger);
    const request = {
      name: 'will-fail',
      namespace: 'team-alpha',
      template: 'azure-standalone-cp-1-0-15',
      credential: 'azure-cluster-credential',
      config: AZURE_BASELINE,
    };
    const failure = "failed to validate template with provided configuration: values don't meet the specifications of the schema";
    let injected = false;
    const result = await m.deploy(
      { ...request, wait: { pollIntervalMs: 200, timeoutMs: 20_000 } },
      {
        // As soon as the wait sees the deployment, kcm reports the Helm validation failure.
        onProgress: () => {
          if (injected) return;
          injected = true;
          const stored = sandbox.store.get(CD, 'team-alpha', 'will-fail');
          assert.ok(stored);
          const generation = stored.metadata.generation ?? 1;
          sandbox.store.updateStatus(CD, 'team-alpha', 'will-fail', {
            observedGeneration: generation,
            conditions: [
              {
                type: 'HelmChartReady',
                status: 'False',
                reason: 'Failed',
                message: failure,
                observedGeneration: generation,
                lastTransitionTime: new Date().toISOString(),
              },
              {
                type: 'Ready',
                status: 'False',
                reason: 'Failed',
                message: failure,
                observedGeneration: generation,
                lastTransitionTime: new Date().toISOString(),
              },
            ],
          });
        },
      },
    );
    assert.equal(result.status, 'created');
    assert.equal(result.wait?.ready, false);
    assert.equal(result.wait?.timedOut, false);
    assert.equal(result.wait?.failure, `HelmChartReady: ${failure}`);
    assert.match(result.wait?.phase ?? '', /^Failed/);
  });

  it('API failures map to unavailable: 5xx and dropped connections', async () => {
    const { logger } = capture();
    const m = manager(sandbox, logger);
    sandbox.faults.add({ path: /\/credentials$/, status: 503, times: 1 });
    await assert.rejects(
      m.listCredentials({ namespace: 'team-alpha' }),
      (e: unknown) => e instanceof AppError && e.code === 'unavailable' && /list credentials in namespace team-alpha/.test(e.message),
    );
    // A read whose connection is dropped is sent once more (src/kube/read-retry.ts, as client-go): one drop is
    // answered by the second request, a second drop is unavailable.
    sandbox.faults.add({ path: /\/credentials$/, drop: true, times: 1 });
    assert.ok((await m.listCredentials({ namespace: 'team-alpha' })).items.length > 0, 'one dropped connection is retried');
    sandbox.faults.add({ path: /\/credentials$/, drop: true, times: 2 });
    await assert.rejects(m.listCredentials({ namespace: 'team-alpha' }), (e: unknown) => e instanceof AppError && e.code === 'unavailable');
    assert.ok((await m.listCredentials({ namespace: 'team-alpha' })).items.length > 0, 'works again once the faults expire');
  });

  it('times out without failing the call', async () => {
    const { logger } = capture();
    const result = await manager(sandbox, logger).deploy({
      name: 'slow',
      namespace: 'team-alpha',
      template: 'azure-standalone-cp-1-0-15',
      credential: 'azure-cluster-credential',
      config: AZURE_BASELINE,
      wait: { pollIntervalMs: 100, timeoutMs: 150 },
    });
    assert.equal(result.wait?.timedOut, true);
    assert.equal(result.wait?.ready, false);
    assert.ok(sandbox.store.get(CD, 'team-alpha', 'slow'));
  });

  it('a deployment being deleted cannot be re-deployed (conflict); delete of it is "deleted"', async () => {
    const { logger } = capture();
    const m = manager(sandbox, logger);
    await m.deploy({
      name: 'gone-soon',
      namespace: 'team-alpha',
      template: 'azure-standalone-cp-1-0-15',
      credential: 'azure-cluster-credential',
      config: AZURE_BASELINE,
      wait: { pollIntervalMs: 100, timeoutMs: 20_000 },
    });
    assert.equal((await m.delete({ name: 'gone-soon', namespace: 'team-alpha' })).status, 'deleted');
    assert.ok(sandbox.store.get(CD, 'team-alpha', 'gone-soon')?.metadata.deletionTimestamp, 'still terminating');
    assert.equal((await m.delete({ name: 'gone-soon', namespace: 'team-alpha' })).status, 'deleted');
    await assert.rejects(
      m.deploy({
        name: 'gone-soon',
        namespace: 'team-alpha',
        template: 'azure-standalone-cp-1-0-15',
        credential: 'azure-cluster-credential',
        config: AZURE_BASELINE,
      }),
      (e: unknown) => e instanceof AppError && e.code === 'conflict',
    );
  });
});

describe('the wait on API failures: one GET+watch cycle at a time; 401/403 end it with the apply result', () => {
  const sandbox = sandboxFor({ provisionSeconds: 60, deleteSeconds: 60, log: (line) => log.push(line) });
  const log: string[] = [];
  // kcm takes longer than any wait below, so only the faults decide how each wait ends.
  const WATCH_PATH = /^\/apis\/k0rdent\.mirantis\.com\/v1beta1\/namespaces\/team-alpha\/clusterdeployments$/;
  const request = (name: string) => ({
    name,
    namespace: 'team-alpha',
    template: 'azure-standalone-cp-1-0-15',
    credential: 'azure-cluster-credential',
    config: AZURE_BASELINE,
  });
  const watchesOf = (name: string): string[] =>
    log.filter(
      (l) =>
        /^GET \/apis\/k0rdent\.mirantis\.com\/v1beta1\/namespaces\/team-alpha\/clusterdeployments\?/.test(l) &&
        l.includes('watch=true') &&
        l.includes(`metadata.name%3D${name}`),
    );
  const getsOf = (name: string): string[] =>
    log.filter((l) => l.startsWith(`GET /apis/k0rdent.mirantis.com/v1beta1/namespaces/team-alpha/clusterdeployments/${name} `));

  it('a watch the server refuses at once (500) is retried once per pollInterval, never in parallel', async (t) => {
    t.after(() => sandbox.faults.clear());
    const { logger } = capture();
    sandbox.faults.add({ path: WATCH_PATH, method: 'GET', status: 500 });
    log.length = 0;
    const pollIntervalMs = 100;
    const timeoutMs = 2000;
    const result = await manager(sandbox, logger).deploy({ ...request('wait-500'), wait: { pollIntervalMs, timeoutMs } });
    assert.equal(result.status, 'created');
    assert.equal(result.wait?.timedOut, true, JSON.stringify(result.wait));
    assert.equal(result.wait?.waitError, undefined, '5xx is retried, not an end');
    const watches = watchesOf('wait-500');
    // Deploy reads the object once before applying; every wait cycle is one GET then one watch.
    const cycleGets = getsOf('wait-500').length - 1;
    assert.ok(watches.length >= 2, `the failed watch was retried (${watches.length})`);
    assert.ok(
      watches.every((l) => / 500 /.test(l)),
      watches.join('\n'),
    );
    // Each failed watch waits pollInterval before the next GET+watch, so a timeout of 20 intervals
    // allows at most 21 cycles (+1 for timer rounding). Duplicated cycles (a retry timer and a
    // watchdog both firing) overshoot this.
    assert.ok(watches.length <= timeoutMs / pollIntervalMs + 2, `at most one cycle per pollInterval, got ${watches.length} watches`);
    assert.ok(Math.abs(cycleGets - watches.length) <= 1, `one GET per watch: ${cycleGets} GETs, ${watches.length} watches`);
  });

  it('a watch refused with 401 (expired token) ends the wait at once: deploy result + waitError, no retries', async (t) => {
    t.after(() => sandbox.faults.clear());
    const { logger, logs } = capture();
    sandbox.faults.add({ path: WATCH_PATH, method: 'GET', status: 401 });
    log.length = 0;
    const result = await manager(sandbox, logger).deploy({ ...request('wait-401'), wait: { pollIntervalMs: 100, timeoutMs: 20_000 } });
    assert.equal(result.status, 'created');
    assert.equal(result.name, 'wait-401');
    assert.equal(result.namespace, 'team-alpha');
    assert.equal(result.uid, sandbox.store.get(CD, 'team-alpha', 'wait-401')?.metadata.uid);
    assert.ok(result.resourceVersion);
    assert.equal(result.wait?.ready, false);
    assert.equal(result.wait?.timedOut, false);
    assert.equal(result.wait?.waitError?.code, 'unauthorized', JSON.stringify(result.wait));
    assert.match(result.wait?.waitError?.message ?? '', /watch ClusterDeployment team-alpha\/wait-401/);
    assert.equal(watchesOf('wait-401').length, 1, 'a 401 is not retried');
    assert.ok(
      logs.some((l) => l.level === 40 && /wait for ClusterDeployment team-alpha\/wait-401 ended early: unauthorized/.test(l.msg ?? '')),
      'a warning says why',
    );
  });

  it('a 403 mid-wait (RBAC without watch) ends it promptly with the deploy result', async (t) => {
    t.after(() => sandbox.faults.clear());
    const { logger } = capture();
    log.length = 0;
    let broke = false;
    const result = await manager(sandbox, logger).deploy(
      { ...request('wait-403'), wait: { pollIntervalMs: 100, timeoutMs: 20_000 } },
      {
        // Once the wait's watch is open, watching becomes forbidden and the open watch breaks.
        onProgress: () => {
          if (broke) return;
          broke = true;
          const poll = setInterval(() => {
            if (!watchesOf('wait-403').some((l) => / 200 /.test(l))) return;
            clearInterval(poll);
            sandbox.faults.add({ path: WATCH_PATH, method: 'GET', status: 403 });
            sandbox.faults.closeWatches();
          }, 5);
          t.after(() => clearInterval(poll));
        },
      },
    );
    assert.ok(broke);
    assert.equal(result.status, 'created');
    assert.equal(result.wait?.timedOut, false);
    assert.equal(result.wait?.ready, false);
    assert.equal(result.wait?.waitError?.code, 'forbidden', JSON.stringify(result.wait));
    const watches = watchesOf('wait-403');
    assert.equal(watches.filter((l) => / 403 /.test(l)).length, 1, watches.join('\n'));
    assert.equal(watches.length, 2, 'the first watch, then one refused re-watch');
  });

  it('delete with wait: a 403 on the re-check GET returns "deleted" plus the wait failure, not an error', async (t) => {
    t.after(() => sandbox.faults.clear());
    const { logger } = capture();
    const m = manager(sandbox, logger);
    await m.deploy(request('del-403'));
    // kcm deletes a deployment with nothing provisioned at once; once its ServiceSet exists (ServicesInReadyState,
    // kcm clusterdeployment_controller.go:392, :1672) the deletion waits for it (here: deleteSeconds).
    await until('del-403 to carry ServicesInReadyState', () =>
      (sandbox.store.get(CD, 'team-alpha', 'del-403')?.['status'] as { conditions?: { type: string }[] } | undefined)?.conditions?.find(
        (c) => c.type === 'ServicesInReadyState',
      ),
    );
    sandbox.faults.add({ path: /\/namespaces\/team-alpha\/clusterdeployments\/del-403$/, method: 'GET', status: 403 });
    log.length = 0;
    const result = await m.delete({ name: 'del-403', namespace: 'team-alpha', wait: { pollIntervalMs: 100, timeoutMs: 20_000 } });
    assert.equal(result.status, 'deleted');
    assert.ok(sandbox.store.get(CD, 'team-alpha', 'del-403')?.metadata.deletionTimestamp, 'the deletion started');
    assert.equal(result.wait?.gone, false);
    assert.equal(result.wait?.timedOut, false);
    assert.equal(result.wait?.waitError?.code, 'forbidden', JSON.stringify(result.wait));
    assert.equal(getsOf('del-403').length, 1, 'a 403 is not retried');
    assert.equal(watchesOf('del-403').length, 0);
  });
});
