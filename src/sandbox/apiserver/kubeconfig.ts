/** A kubeconfig (YAML) pointing at a sandbox API server. */
import { stringify } from 'yaml';

export interface KubeconfigOptions {
  url: string;
  /** PEM of the CA that signed the serving certificate (https only). */
  caPem?: string;
  /** Bearer token for the user entry (omitted = no credentials). */
  token?: string;
  /** Namespace of the context (default: none). */
  namespace?: string;
  name?: string;
}

export function buildKubeconfig(o: KubeconfigOptions): string {
  const name = o.name ?? 'k0rdent-sandbox';
  const cluster: Record<string, string | boolean> = { server: o.url };
  if (o.caPem) cluster['certificate-authority-data'] = Buffer.from(o.caPem).toString('base64');
  // client-node 1.4 refuses plain http unless the cluster says insecure-skip-tls-verify (there is no TLS to verify).
  if (o.url.startsWith('http://')) cluster['insecure-skip-tls-verify'] = true;
  const user: Record<string, string> = {};
  if (o.token) user.token = o.token;
  const context: Record<string, string> = { cluster: name, user: name };
  if (o.namespace) context.namespace = o.namespace;
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster }],
    users: [{ name, user }],
    contexts: [{ name, context }],
    'current-context': name,
    preferences: {},
  });
}
