/**
 * Assembles the sandbox: an in-memory store filled from the seed, the simulated kcm attached to it,
 * and the Kubernetes API server serving it; writes the kubeconfig a client needs.
 */
import type { SandboxHandle, SandboxOptions, StartSandbox } from './index.js';
import { loadTokenTable, type TokenTable } from './apiserver/auth.js';
import { buildKubeconfig } from './apiserver/kubeconfig.js';
import { startApiServer } from './apiserver/server.js';
import { MemoryStore } from './apiserver/store.js';
import { startKcm } from './kcm/index.js';
import { seedStore } from './seed/index.js';
import { ControllerLogs, PODS, parsePodLogQuery } from './pods/controller-logs.js';
import { registryWithWorld } from './world/crds.js';

/** The placeholder bearer of a --tls sandbox without --tokens (no token is checked there). */
const UNCHECKED_TOKEN = 'sandbox-no-auth';

export const startSandbox: StartSandbox = async (options: SandboxOptions = {}): Promise<SandboxHandle> => {
  const log = options.log ?? ((): void => undefined);
  const tokens: TokenTable | undefined = options.tokensFile ? loadTokenTable(options.tokensFile) : undefined;
  const registry = registryWithWorld();
  const store = new MemoryStore();
  seedStore(store, {
    ...(options.seedFile ? { seedFile: options.seedFile } : {}),
    ...(options.scale !== undefined ? { scale: options.scale } : {}),
    lookup: (apiVersion, kind) => {
      const def = registry.findByKind(apiVersion, kind);
      return def ? { key: { group: def.group, version: def.version, plural: def.plural }, namespaced: def.namespaced } : undefined;
    },
  });
  const controllerLogs = new ControllerLogs();
  if (store.get({ group: '', version: 'v1', plural: 'namespaces' }, undefined, controllerLogs.systemNamespace))
    for (const pod of controllerLogs.pods()) store.create(PODS, pod);
  const kcm = startKcm(store, {
    ...(options.provisionSeconds !== undefined ? { provisionSeconds: options.provisionSeconds } : {}),
    ...(options.deleteSeconds !== undefined ? { deleteSeconds: options.deleteSeconds } : {}),
    ...(options.accessManagementPollSeconds !== undefined ? { accessManagementPollSeconds: options.accessManagementPollSeconds } : {}),
    // The controllers' log lines go to their pods' logs (./pods) and to the caller's sink.
    logSink: (controller, namespace, line, subject) => {
      controllerLogs.sink(controller, namespace, line, subject);
      options.logSink?.(controller, namespace, line, subject);
    },
    log,
  });
  let server;
  try {
    await kcm.adopted;
    server = await startApiServer({
      store,
      registry,
      host: options.host ?? '127.0.0.1',
      port: options.port ?? 0,
      ...(options.tls ? { tls: true } : {}),
      ...(tokens ? { tokens } : {}),
      log,
      podLogs: (namespace, pod, query) => controllerLogs.read(namespace, pod, parsePodLogQuery(query)),
    });
  } catch (err) {
    kcm.close();
    store.close();
    throw err;
  }
  // Without a tokens file every request is system:admin and any token is accepted. Over https the
  // user still needs some credential, or kubectl stops to prompt for a username and password.
  const token = tokens?.users[0]?.token ?? (server.caPem ? UNCHECKED_TOKEN : undefined);
  const kubeconfig = buildKubeconfig({
    url: server.url,
    ...(server.caPem ? { caPem: server.caPem } : {}),
    ...(token ? { token } : {}),
  });
  const api = server;
  let closing: Promise<void> | undefined;
  return {
    url: api.url,
    kubeconfig,
    store,
    faults: api.faults,
    controllerLogs,
    close: () => {
      closing ??= (async () => {
        kcm.close();
        await api.close();
        store.close();
      })();
      return closing;
    },
  };
};
