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
  const cluster: Record<string, string> = { server: o.url };
  if (o.caPem) cluster['certificate-authority-data'] = Buffer.from(o.caPem).toString('base64');
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
