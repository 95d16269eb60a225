/**
 * In-cluster configuration: the pod's service account (token, CA, namespace) mounted by Kubernetes and
 * the API server address in KUBERNETES_SERVICE_HOST/PORT, as client-go's rest.InClusterConfig reads them.
 * Checked here, before client-node is loaded; problems become one-line ConfigErrors.
 */
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from './errors.js';

/** Where Kubernetes mounts the service account (k8s.io/client-go/rest/config.go, InClusterConfig). */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
/** Overrides SERVICE_ACCOUNT_DIR: for tests, and for a pod that mounts a projected token elsewhere. */
export const SERVICE_ACCOUNT_DIR_ENV = 'K0RDENT_SERVICE_ACCOUNT_DIR';

export interface ServiceAccount {
  /** The API server URL from KUBERNETES_SERVICE_HOST/PORT. */
  server: string;
  tokenFile: string;
  caFile: string;
  /** The pod's namespace file (may be absent). */
  namespaceFile: string;
}

function readable(path: string): boolean {
  try {
    accessSync(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

function serverFrom(env: NodeJS.ProcessEnv): string | undefined {
  const host = env.KUBERNETES_SERVICE_HOST?.trim();
  const port = env.KUBERNETES_SERVICE_PORT?.trim();
  if (!host || !port) return undefined;
  return `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** The service account as this process sees it; `missing` names what is not there. */
export function findServiceAccount(env: NodeJS.ProcessEnv): { account: ServiceAccount; missing: string[] } {
  const dir = env[SERVICE_ACCOUNT_DIR_ENV]?.trim() || SERVICE_ACCOUNT_DIR;
  const account: ServiceAccount = {
    server: serverFrom(env) ?? '',
    tokenFile: join(dir, 'token'),
    caFile: join(dir, 'ca.crt'),
    namespaceFile: join(dir, 'namespace'),
  };
  const missing: string[] = [];
  if (account.server === '') missing.push('KUBERNETES_SERVICE_HOST/KUBERNETES_SERVICE_PORT');
  if (!readable(account.tokenFile)) missing.push(account.tokenFile);
  if (!readable(account.caFile)) missing.push(account.caFile);
  return { account, missing };
}

/** True when the process runs in a pod with a service account (the auto-detection of K0RDENT_MGMT_IN_CLUSTER). */
export function serviceAccountPresent(env: NodeJS.ProcessEnv): boolean {
  return findServiceAccount(env).missing.length === 0;
}

/** The service account, or a ConfigError naming what is missing and what to do. */
export function checkServiceAccount(env: NodeJS.ProcessEnv): ServiceAccount {
  const { account, missing } = findServiceAccount(env);
  if (missing.length > 0) {
    throw new ConfigError(
      'K0RDENT_MGMT_IN_CLUSTER',
      `K0RDENT_MGMT_IN_CLUSTER (--in-cluster) is true but the pod's service account is not usable: missing ${missing.join(', ')}; run it in a pod with automountServiceAccountToken, or give a kubeconfig instead`,
    );
  }
  return account;
}
