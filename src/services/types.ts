/**
 * The service manager's types. Its results are inferred from the zod schemas in ./results.ts (the tools' output
 * schemas are built from the same schemas); requests are declared here.
 */
import type { z } from 'zod';
import type { ClusterSelector } from './cluster-selector.js';
import type {
  serviceInDepth,
  serviceSetInDepth,
  servicesStatusResult,
  applyMultiClusterServiceResult,
  deleteMultiClusterServiceResult,
  applyServiceResult,
  multiClusterServiceSummary,
  removeServiceResult,
  serviceTemplateSummary,
  serviceWaitOutcome,
} from './results.js';

export type ServiceTemplateSummary = z.infer<typeof serviceTemplateSummary>;
export type ServiceWaitOutcome = z.infer<typeof serviceWaitOutcome>;
export type ApplyServiceResult = z.infer<typeof applyServiceResult>;
export type RemoveServiceResult = z.infer<typeof removeServiceResult>;
export type MultiClusterServiceSummary = z.infer<typeof multiClusterServiceSummary>;

export interface DependsOn {
  name: string;
  namespace?: string | undefined;
}

export interface ApplyServiceRequest {
  cluster: string;
  namespace?: string | undefined;
  template: string;
  name?: string | undefined;
  serviceNamespace?: string | undefined;
  /** Helm values: YAML text (kept as given, templating allowed) or an object (written as YAML). */
  values?: string | Record<string, unknown> | undefined;
  dependsOn?: DependsOn[] | undefined;
  dryRun?: boolean | undefined;
  wait?: { pollIntervalMs: number; timeoutMs: number; stallThresholdMs?: number } | undefined;
}

/** One entry of status.services as kcm reports it. */
export interface ServiceStateSummary {
  name: string;
  namespace: string;
  template: string;
  state: string;
  version?: string;
  failureMessage?: string;
  lastStateTransitionTime?: string;
}

export interface RemoveServiceRequest {
  cluster: string;
  namespace?: string | undefined;
  name: string;
  serviceNamespace?: string | undefined;
  dryRun?: boolean | undefined;
}

export type ApplyMultiClusterServiceResult = z.infer<typeof applyMultiClusterServiceResult>;
export type DeleteMultiClusterServiceResult = z.infer<typeof deleteMultiClusterServiceResult>;

export interface MultiClusterServiceEntry {
  template: string;
  name?: string | undefined;
  namespace?: string | undefined;
  /** Helm values as YAML text. */
  values?: string | undefined;
  /** `namespace/name` (or `name`, namespace "default") of other services of the same MultiClusterService. */
  dependsOn?: string[] | undefined;
}

export interface ApplyMultiClusterServiceRequest {
  name: string;
  clusterSelector?: ClusterSelector | undefined;
  services: MultiClusterServiceEntry[];
  /** Other MultiClusterServices this one waits for. */
  dependsOn?: string[] | undefined;
  dryRun?: boolean | undefined;
}

export interface DeleteMultiClusterServiceRequest {
  name: string;
  dryRun?: boolean | undefined;
}

export type ServicesStatusResult = z.infer<typeof servicesStatusResult>;
export type ServiceInDepth = z.infer<typeof serviceInDepth>;
export type ServiceSetInDepth = z.infer<typeof serviceSetInDepth>;

export interface ServicesStatusRequest {
  cluster: string;
  namespace?: string | undefined;
  /** Only this service (release name). */
  name?: string | undefined;
}
