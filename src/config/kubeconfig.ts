/**
 * Loads a checked kubeconfig with client-node's KubeConfig (`loadFromFile` for PATH, `loadFromString`
 * otherwise) and switches to the chosen context. client-node is passed in: it is loaded after startup
 * (src/kube/client-node.ts), so this module imports its types only.
 */
import type * as ClientNodeModule from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import { ConfigError } from './errors.js';
import type { ServiceAccount } from './in-cluster.js';
import type { CheckedKubeconfig } from './kubeconfig-source.js';

const ENV_OF = {
  path: 'K0RDENT_MGMT_KUBECONFIG_PATH',
  b64: 'K0RDENT_MGMT_KUBECONFIG_B64',
  text: 'K0RDENT_MGMT_KUBECONFIG_TEXT',
  sandbox: '--sandbox',
} as const;

export function loadKubeConfig(k8s: typeof ClientNodeModule, checked: CheckedKubeconfig): KubeConfig {
  const kc = new k8s.KubeConfig();
  const variable = ENV_OF[checked.kind];
  try {
    if (checked.path !== undefined) kc.loadFromFile(checked.path);
    else kc.loadFromString(checked.text);
    kc.setCurrentContext(checked.context);
  } catch (error) {
    throw new ConfigError(
      variable,
      `${variable} could not be loaded as a kubeconfig (${(error as Error).message.split('\n')[0]}); check its clusters, users and contexts entries`,
    );
  }
  // client-node refuses plain-HTTP servers unless skipTLSVerify is set, although there is no TLS to
  // verify; kubectl has no such rule. Mark http:// clusters so both behave alike (e.g. the sandbox).
  kc.clusters = kc.clusters.map((c) => (c.server?.startsWith('http://') && !c.skipTLSVerify ? { ...c, skipTLSVerify: true } : c));
  const cluster = kc.getCurrentCluster();
  if (!cluster?.server) {
    throw new ConfigError(
      variable,
      `${variable} has no cluster server for context "${checked.context}"; fix the kubeconfig's clusters entry`,
    );
  }
  return kc;
}

/**
 * The in-cluster config (client-go's rest.InClusterConfig): the API server from KUBERNETES_SERVICE_HOST/PORT,
 * the mounted CA, and the service-account token read from its file by client-node's tokenFile provider,
 * which re-reads it when the kubelet rotates the projected token.
 */
export function loadInClusterConfig(k8s: typeof ClientNodeModule, account: ServiceAccount): KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromClusterAndUser(
    { name: 'in-cluster', server: account.server, caFile: account.caFile, skipTLSVerify: false },
    { name: 'service-account', authProvider: { name: 'tokenFile', config: { tokenFile: account.tokenFile } } },
  );
  return kc;
}
