/** The service manager's requests and results (the tools' zod schemas mirror them). */
import type { CompactCondition, WaitError } from '../clusters/types.js';

export interface ServiceTemplateSummary {
  name: string;
  namespace: string;
  chart?: string;
  version?: string;
  description?: string;
  valid: boolean;
  validationError?: string;
  /** status.k8sConstraint: the Kubernetes versions the chart supports (a semver constraint). */
  kubernetesConstraint?: string;
  /** The chart ships a values.schema.json (kcm wrote a schema-st-* ConfigMap); values are checked against it. */
  hasValuesSchema: boolean;
}

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

export interface ServiceWaitOutcome {
  deployed: boolean;
  timedOut: boolean;
  state: string;
  failureMessage?: string;
  /** ServicesInReadyState ("ready/total") when the wait ended. */
  servicesReady?: string;
  waitError?: WaitError;
  interrupted?: boolean;
  note?: string;
}

export interface ApplyServiceResult {
  cluster: string;
  namespace: string;
  name: string;
  serviceNamespace: string;
  template: string;
  status: 'created' | 'updated' | 'unchanged' | 'dryRun';
  /** The entry as the server stores it (dryRun: would store). */
  entry: Record<string, unknown>;
  generation?: number;
  wait?: ServiceWaitOutcome;
}

export interface RemoveServiceRequest {
  cluster: string;
  namespace?: string | undefined;
  name: string;
  serviceNamespace?: string | undefined;
  dryRun?: boolean | undefined;
}

export interface RemoveServiceResult {
  cluster: string;
  namespace: string;
  name: string;
  serviceNamespace: string;
  /** removed; released: this server let go, but another field manager still applies the entry; not_found: no such entry. */
  status: 'removed' | 'released' | 'not_found' | 'dryRun';
  /** released: the field managers that keep the entry. */
  keptBy?: string[];
}

export interface MultiClusterServiceSummary {
  name: string;
  clusterSelector: Record<string, unknown>;
  services: { name: string; namespace: string; template: string }[];
  /** The matching clusters in readable namespaces, with whether all its services are deployed there. */
  clusters: { name: string; namespace: string; deployed: boolean }[];
  /** Matching clusters outside the readable namespaces (not named). */
  hiddenClusters: number;
  servicesReady?: string;
  conditions: CompactCondition[];
  createdAt?: string;
}
