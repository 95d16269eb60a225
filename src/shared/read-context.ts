/** What the day-two read modules (get, events, templates, namespaces, providers) share from the cluster manager. */
import type { Logger } from 'pino';
import type { NamespacePolicy } from '../policy/index.js';
import type { CallOptions, K0rdentApi } from '../kube/k0rdent-api.js';

export interface ReadContext {
  readonly api: K0rdentApi;
  readonly policy: NamespacePolicy;
  readonly logger: Logger;
  /** Existing readable namespaces (G always; only G when namespaces cannot be listed). */
  readableNamespaces(call: CallOptions): Promise<string[]>;
}
