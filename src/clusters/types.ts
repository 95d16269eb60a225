/** What the cluster manager returns: compact summaries, never whole objects, managedFields or secrets. */
import type { ErrorCode } from '../errors.js';
import type { Condition } from '../k0rdent/conditions.js';
import type { FitBasis } from '../k0rdent/provider-fit.js';
import type { ConfigOutline, JsonObject } from '../shared/config-schema.js';

export interface IdentityRef {
  apiVersion?: string;
  kind?: string;
  name?: string;
  namespace?: string;
}

export interface CredentialSummary {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  /** aws, azure, ...; `ambiguous` when several remain (see providerCandidates); `unknown` when none. */
  provider: string;
  providerCandidates: string[];
  /** The evidence (src/k0rdent/provider-fit.ts): identityKind, label, name, interfaces or none. */
  providerBasis: FitBasis;
  identityRef: IdentityRef;
  region?: string;
  description?: string;
  createdAt?: string;
  ready: boolean;
  /** When not ready: kcm's reason (the CredentialReady condition's message). */
  notReadyReason?: string;
}

/** What every answer about a ClusterTemplate says of it (list entries and k0.templates.get). */
export interface TemplateFacts {
  name: string;
  namespace: string;
  description?: string;
  providers: string[];
  cloud?: string;
  version?: string;
  k8sVersion?: string;
  valid: boolean;
  validationError?: string;
}

export interface TemplateSummary extends TemplateFacts {
  labels: Record<string, string>;
  createdAt?: string;
  configSchema: ConfigOutline;
}

export interface CompactCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  /** The generation kcm reconciled when it set this condition. */
  observedGeneration?: number;
}

export interface DeploymentSummary {
  name: string;
  namespace: string;
  template?: string;
  credential?: string;
  labels: Record<string, string>;
  ready: boolean;
  phase: string;
  createdAt?: string;
  deleting: boolean;
}

export interface Page<T> {
  items: T[];
  /** Pass back as `continue` for the next page; absent on the last page. */
  continue?: string;
}

export interface ListCommon {
  namespace?: string;
  limit?: number;
  continue?: string;
}

export type TemplateScope = 'all' | 'global' | 'local';

export interface WaitOptions {
  pollIntervalMs: number;
  timeoutMs: number;
  stallThresholdMs?: number;
}

export interface ProgressUpdate {
  /** Steps of kcm's condition sequence done; strictly increases across a call (heartbeats add a fraction). */
  progress: number;
  total?: number;
  message: string;
}

/** What a write left to follow: the object and the generation the write produced (for tasks). */
export interface Written {
  namespace: string;
  name: string;
  uid: string;
  generation: number;
  /** After a template change: the chart HelmReleaseReady must name. */
  chart?: string | undefined;
  /** HelmReleaseReady's message from before the change, which no longer counts. */
  previousRelease?: string | undefined;
}

/** What a destructive operation asks the user before it writes. */
export interface ConfirmRequest {
  /** One line per fact: what will happen, to which object. */
  message: string;
  /** What the user types to confirm (the object's name). */
  name: string;
}

export type Confirmation = { confirmed: true } | { confirmed: false; reason: string };

export interface OperationHooks {
  signal?: AbortSignal | undefined;
  onProgress?: ((update: ProgressUpdate) => void) | undefined;
  /** Longest gap between progress notifications of a wait (PROGRESS_INTERVAL). */
  progressIntervalMs?: number | undefined;
  /** Aborted when the server shuts down: a wait ends at once with its current state (`interrupted`). */
  interrupt?: AbortSignal | undefined;
  /** Told what the write left to follow (deploy, update, delete that started), so a task can follow it. */
  onWritten?: ((written: Written) => void) | undefined;
  /** Asks the user before a destructive write; absent when nobody can be asked (the write proceeds). */
  confirm?: ((request: ConfirmRequest) => Promise<Confirmation>) | undefined;
  /** A warning about the operation that the caller should see (e.g. a stall), besides the log line. */
  onWarning?: ((message: string) => void) | undefined;
}

export interface DeployRequest {
  name: string;
  template: string;
  credential: string;
  namespace?: string | undefined;
  labels?: Record<string, string> | undefined;
  config?: JsonObject | undefined;
  dryRun?: boolean | undefined;
  wait?: WaitOptions | undefined;
}

export interface WaitOutcome {
  /** Ready=True for `generation`, as kcm reconciled it. */
  ready: boolean;
  /** The generation the wait was for (the one the write produced). */
  generation?: number;
  timedOut: boolean;
  phase: string;
  conditions: CompactCondition[];
  /** Set when the wait ended early because Ready=False with reason Failed. */
  failure?: string;
  /** Set when the wait ended early because the API refused it (e.g. 401/403); the apply itself succeeded. */
  waitError?: WaitError;
  /** Set when the server shut down during the wait; `note` says how to follow the deployment. */
  interrupted?: boolean;
  note?: string;
}

/** Why a wait ended early on an API failure (same codes as tool errors). */
export interface WaitError {
  code: ErrorCode;
  message: string;
}

export interface DeployResult {
  name: string;
  namespace: string;
  uid?: string;
  resourceVersion?: string;
  status: 'created' | 'unchanged' | 'dryRun';
  /** dryRun: the object the server would store, compacted. */
  object?: { metadata: { name: string; namespace: string; labels: Record<string, string> }; spec: JsonObject };
  wait?: WaitOutcome;
}

export interface DeleteRequest {
  name: string;
  namespace?: string | undefined;
  wait?: WaitOptions | undefined;
}

export interface UpdateRequest {
  name: string;
  namespace?: string | undefined;
  template?: string | undefined;
  credential?: string | undefined;
  /** A JSON merge patch (RFC 7386) over the current spec.config: null removes a key. */
  config?: JsonObject | undefined;
  /** Labels to set (the managed labels are always kept). */
  labels?: Record<string, string> | undefined;
  /** Take over a deployment this server did not create (not labelled managed-by k0rdent-mcp). */
  adopt?: boolean | undefined;
  dryRun?: boolean | undefined;
  wait?: WaitOptions | undefined;
}

export interface UpdateResult {
  name: string;
  namespace: string;
  uid?: string;
  resourceVersion?: string;
  /** metadata.generation after the write (the one a wait waits for). */
  generation?: number;
  status: 'updated' | 'unchanged' | 'dryRun' | 'cancelled';
  /** cancelled: why nothing was written (the user declined the confirmation). */
  reason?: string;
  /** What changed (or would change, dryRun): `path: old → new`. */
  changes: string[];
  /** Set when adopt:true took over a deployment this server had not created. */
  adopted?: boolean;
  wait?: WaitOutcome;
}

export interface DeleteResult {
  name: string;
  namespace: string;
  status: 'deleted' | 'not_found' | 'cancelled';
  /** cancelled: why nothing was deleted. */
  reason?: string;
  /** not_found: where an object of that name exists in another readable namespace. */
  hint?: string;
  wait?: {
    gone: boolean;
    timedOut: boolean;
    phase: string;
    conditions: CompactCondition[];
    waitError?: WaitError;
    interrupted?: boolean;
    note?: string;
  };
}

export type { Condition };
