/**
 * The sandbox on a real API server (`k0rdent-mcp sandbox --api kube`): the test control plane with
 * the k0rdent CRDs, the seed data loaded through the API, the token table as static tokens and RBAC,
 * and the simulated kcm attached as a client: its admission checks as HTTPS webhooks registered in
 * Mutating/ValidatingWebhookConfigurations, its controller over an informer cache with status writes.
 */
import { KubeConfig } from '@kubernetes/client-node';
import type { KubeSandboxHandle, SandboxOptions } from '../index.js';
import { loadTokenTable, type TokenTable } from '../apiserver/auth.js';
import { buildKubeconfig } from '../apiserver/kubeconfig.js';
import type { KubeObject, ResourceKey } from '../apiserver/types.js';
import { loadChartCatalog } from '../kcm/charts.js';
import { startKcmController, type KcmHandle } from '../kcm/index.js';
import { CLUSTER_DEPLOYMENTS, K0RDENT_API_VERSION, NAMESPACES, SYSTEM_NAMESPACE } from '../kcm/resources.js';
import { startWebhookServer, type WebhookServer } from '../kcm/webhook-server.js';
import { registryWithWorld, worldCrdDir } from '../world/crds.js';
import { KubeCache } from './cache.js';
import { startControlPlane, type ControlPlane } from './control-plane.js';
import { applyTokenRbac, tokensCsv } from './rbac.js';
import { KubeApiError, KubeRest } from './rest.js';
import { buildSeed, pushSeed } from './seed.js';
import { startKubelet } from './kubelet.js';
import { ControllerLogs } from '../pods/controller-logs.js';

const MUTATING: ResourceKey = { group: 'admissionregistration.k8s.io', version: 'v1', plural: 'mutatingwebhookconfigurations' };
const VALIDATING: ResourceKey = { group: 'admissionregistration.k8s.io', version: 'v1', plural: 'validatingwebhookconfigurations' };

export async function startKubeSandbox(options: SandboxOptions = {}): Promise<KubeSandboxHandle> {
  const log = options.log ?? ((): void => undefined);
  const tokens: TokenTable | undefined = options.tokensFile ? loadTokenTable(options.tokensFile) : undefined;
  const cleanup: (() => Promise<void> | void)[] = [];
  const closeAll = async (): Promise<void> => {
    for (const step of cleanup.reverse()) await step();
  };
  try {
    const plane: ControlPlane = await startControlPlane({
      ...(tokens ? { tokensCsv: tokensCsv(tokens) } : {}),
      host: options.host ?? '127.0.0.1',
      ...(options.port ? { port: options.port } : {}),
      extraCrdDirs: [worldCrdDir()],
      log: (line) => log(`kube-control-plane: ${line}`),
    });
    cleanup.push(() => plane.close());
    const admin = new KubeConfig();
    admin.loadFromString(plane.adminKubeconfig);
    const rest = new KubeRest(admin);
    const registry = registryWithWorld();
    const catalog = loadChartCatalog();

    const seeded = buildSeed(registry, {
      ...(options.seedFile ? { seedFile: options.seedFile } : {}),
      ...(options.scale !== undefined ? { scale: options.scale } : {}),
      catalog,
    });
    const written = await pushSeed(rest, registry, seeded);
    log(`kube sandbox: seed loaded (${written} objects)`);
    // The controllers as pods on a Node whose simulated kubelet serves their logs to kube-apiserver.
    const controllerLogs = new ControllerLogs(SYSTEM_NAMESPACE);
    const kubelet = await startKubelet(rest, controllerLogs, log);
    cleanup.push(() => kubelet.close());

    if (tokens) {
      const namespaces = new Set(seeded.filter((s) => s.resource.plural === 'namespaces').map((s) => s.object.metadata.name));
      for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) namespaces.add(ns);
      const skipped = await applyTokenRbac(rest, tokens, namespaces);
      if (skipped.length > 0) log(`kube sandbox: no RoleBinding in missing namespaces ${skipped.join(', ')}`);
    }

    // Everything kcm reads is cached: the k0rdent kinds and the core ones its checks look at.
    const cache = new KubeCache(
      rest,
      registry.defs.map((d) => ({ group: d.group, version: d.version, plural: d.plural })),
      { log },
    );
    await cache.start();
    cleanup.push(() => cache.close());

    const webhooks: WebhookServer = await startWebhookServer({
      host: options.host ?? '127.0.0.1',
      log,
      readThrough: {
        reader: cache,
        refresh: async (misses) => {
          let found = false;
          for (const m of misses) if (cache.isCached(m.resource) && (await cache.fetch(m.resource, m.namespace, m.name))) found = true;
          return found;
        },
      },
    });
    cleanup.push(() => webhooks.close());
    const { mutating, validating } = webhooks.configurations();
    await rest.create(MUTATING, mutating, 'kcm');
    await rest.create(VALIDATING, validating, 'kcm');
    await waitForWebhooks(rest);

    const kcm: KcmHandle = startKcmController(cache, {
      ...(options.provisionSeconds !== undefined ? { provisionSeconds: options.provisionSeconds } : {}),
      ...(options.deleteSeconds !== undefined ? { deleteSeconds: options.deleteSeconds } : {}),
      ...(options.accessManagementPollSeconds !== undefined ? { accessManagementPollSeconds: options.accessManagementPollSeconds } : {}),
      // The controllers' log lines go to their pods' logs (../pods, served by the simulated kubelet) and to the caller's sink.
      logSink: (controller, namespace, line, subject) => {
        controllerLogs.sink(controller, namespace, line, subject);
        options.logSink?.(controller, namespace, line, subject);
      },
      log,
      catalog,
    });
    cleanup.push(() => kcm.close());
    await kcm.adopted;

    const token = tokens?.users[0]?.token ?? adminToken(admin);
    const kubeconfig = buildKubeconfig({ url: plane.server, caPem: plane.caPem, ...(token ? { token } : {}) });
    let closing: Promise<void> | undefined;
    return {
      api: 'kube',
      url: plane.server,
      kubeconfig,
      adminKubeconfig: plane.adminKubeconfig,
      caPem: plane.caPem,
      logDir: plane.report.logDir,
      controllerLogs,
      close: () => (closing ??= closeAll()),
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

function adminToken(kc: KubeConfig): string | undefined {
  return kc.getCurrentUser()?.token;
}

/**
 * The API server picks up new webhook configurations asynchronously: wait until a dry-run create of a
 * ClusterDeployment naming a missing template is denied by kcm's webhook.
 */
export async function waitForWebhooks(rest: KubeRest, timeoutMs = 30_000): Promise<void> {
  const probe: KubeObject = {
    apiVersion: K0RDENT_API_VERSION,
    kind: 'ClusterDeployment',
    metadata: { name: 'kcm-webhook-probe', namespace: SYSTEM_NAMESPACE },
    spec: { template: 'kcm-webhook-probe-missing-template', credential: 'kcm-webhook-probe', config: {} },
  };
  const namespaceExists = await rest.get(NAMESPACES, undefined, SYSTEM_NAMESPACE).then(
    () => true,
    () => false,
  );
  if (!namespaceExists) return;
  const until = Date.now() + timeoutMs;
  for (;;) {
    const res = await rest.raw({
      method: 'POST',
      path: `/apis/${CLUSTER_DEPLOYMENTS.group}/${CLUSTER_DEPLOYMENTS.version}/namespaces/${SYSTEM_NAMESPACE}/clusterdeployments`,
      query: { dryRun: 'All' },
      body: probe,
    });
    const message = (res.body as { message?: string } | undefined)?.message ?? '';
    if (res.status >= 400 && message.includes('admission webhook')) return;
    if (Date.now() > until)
      throw new KubeApiError(
        res.status,
        '',
        `kcm's webhooks did not take effect in ${Math.round(timeoutMs / 1000)}s (last answer ${res.status} ${message})`,
        res.body,
      );
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
