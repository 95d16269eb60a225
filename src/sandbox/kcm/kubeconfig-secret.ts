/**
 * The kubeconfig Secret Cluster API writes for a provisioned cluster, which kcm's ClusterDeployment
 * points users at: `<cluster>-kubeconfig` in the deployment's namespace, type `cluster.x-k8s.io/secret`,
 * label `cluster.x-k8s.io/cluster-name`, the kubeconfig under data key `value` (cluster-api
 * `util/kubeconfig/kubeconfig.go` GenerateSecretWithOwner, `util/secret/consts.go`). The CAPI Cluster owns
 * it there; the sandbox has no CAPI Cluster, so the ClusterDeployment owns it and the garbage collector
 * removes it with the deployment.
 */
import type { KubeObject, Store } from '../apiserver/types.js';
import type { KcmApi } from './api.js';
import { SECRETS } from './resources.js';

/** The host suffix of the simulated child clusters' servers (./child-cleanup.ts knows them by it). */
export const SIMULATED_CHILD_HOST_SUFFIX = '.sandbox.invalid';

export function kubeconfigSecretName(deploymentName: string): string {
  return `${deploymentName}-kubeconfig`;
}

function kubeconfigText(name: string, namespace: string): string {
  const server = `https://${name}.${namespace}${SIMULATED_CHILD_HOST_SUFFIX}:6443`;
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: ${name}`,
    '  cluster:',
    `    server: ${server}`,
    'contexts:',
    `- name: ${name}-admin@${name}`,
    '  context:',
    `    cluster: ${name}`,
    `    user: ${name}-admin`,
    `current-context: ${name}-admin@${name}`,
    'users:',
    `- name: ${name}-admin`,
    '  user:',
    '    token: sandbox-child-cluster-token',
    '',
  ].join('\n');
}

function kubeconfigSecret(deployment: KubeObject): KubeObject {
  const namespace = deployment.metadata.namespace ?? 'default';
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: kubeconfigSecretName(deployment.metadata.name),
      namespace,
      labels: { 'cluster.x-k8s.io/cluster-name': deployment.metadata.name },
      ...(deployment.metadata.uid
        ? {
            ownerReferences: [
              { apiVersion: deployment.apiVersion, kind: deployment.kind, name: deployment.metadata.name, uid: deployment.metadata.uid },
            ],
          }
        : {}),
    },
    type: 'cluster.x-k8s.io/secret',
    data: { value: Buffer.from(kubeconfigText(deployment.metadata.name, namespace)).toString('base64') },
  };
}

/** Creates the Secret once the deployment is Ready (a no-op when kcm's cache already has it). */
export async function ensureKubeconfigSecret(api: KcmApi, deployment: KubeObject): Promise<void> {
  if (api.get(SECRETS, deployment.metadata.namespace ?? 'default', kubeconfigSecretName(deployment.metadata.name))) return;
  try {
    await api.create(SECRETS, kubeconfigSecret(deployment));
  } catch (err) {
    // Already there (a cache that does not hold Secrets cannot tell beforehand): nothing to do.
    if ((err as { code?: unknown }).code !== 409) throw err;
  }
}

/** The same, written directly into the store (seed data). */
export function putKubeconfigSecret(store: Store, deployment: KubeObject): void {
  if (store.get(SECRETS, deployment.metadata.namespace ?? 'default', kubeconfigSecretName(deployment.metadata.name))) return;
  store.create(SECRETS, kubeconfigSecret(deployment));
}
