/**
 * The cluster manager's types. Its results are inferred from the zod schemas in ./results.ts (the tools'
 * output schemas are built from the same schemas); requests, options and hooks are declared here.
 */
import type { MachineTarget } from '../k0rdent/judge.js';
import type { z } from 'zod';
import type { Condition } from '../k0rdent/conditions.js';
import type { JsonObject } from '../shared/config-schema.js';
import type { DeployFields } from './deploy-fields.js';
import type {
  compactCondition,
  credentialSummary,
  deleteResult,
  deploymentSummary,
  deployResult,
  identityRef,
  templateFacts,
  templateSummary,
  updateResult,
  waitError,
  waitOutcome,
} from './results.js';

export type IdentityRef = z.infer<typeof identityRef>;
export type CredentialSummary = z.infer<typeof credentialSummary>;
/** What every answer about a ClusterTemplate says of it (list entries and k0.templates.get). */
export type TemplateFacts = z.infer<typeof templateFacts>;
export type TemplateSummary = z.infer<typeof templateSummary>;
export type CompactCondition = z.infer<typeof compactCondition>;
export type DeploymentSummary = z.infer<typeof deploymentSummary>;
export type DeploymentStatus = DeploymentSummary['status'];
export type WaitOutcome = z.infer<typeof waitOutcome>;
/** Why a wait ended early on an API failure (same codes as tool errors). */
export type WaitError = z.infer<typeof waitError>;
export type DeployResult = z.infer<typeof deployResult>;
export type UpdateResult = z.infer<typeof updateResult>;
export type DeleteResult = z.infer<typeof deleteResult>;

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
  /** After an update that changes the machines: the CAPI counters that must reach the count asked for (src/k0rdent/judge.ts). */
  machines?: MachineTarget | undefined;
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

/** The day-one fields (./deploy-fields.ts) ride along with deploy's own. */
export interface DeployRequest extends DeployFields {
  name: string;
  template: string;
  credential: string;
  namespace?: string | undefined;
  labels?: Record<string, string> | undefined;
  config?: JsonObject | undefined;
  dryRun?: boolean | undefined;
  wait?: WaitOptions | undefined;
}

export interface DeleteRequest {
  name: string;
  namespace?: string | undefined;
  wait?: WaitOptions | undefined;
}

/** Update sets the day-one fields too, but the initial services (k0.clusters.services.apply changes those). */
export interface UpdateRequest extends Omit<DeployFields, 'services'> {
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

export type { Condition };
