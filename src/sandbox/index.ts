/**
 * The embedded sandbox management cluster: a Kubernetes-API-compatible server with k0rdent CRDs and a
 * simulated kcm. Entry point used by the CLI (`k0rdent-mcp sandbox`, `--sandbox`) and by tests.
 * Contract only here; the implementation lives in ./apiserver, ./kcm and ./seed.
 */
import type { Store } from './apiserver/types.js';
import type { LogSink } from './world/types.js';

export interface SandboxOptions {
  /** Loopback host to bind; default 127.0.0.1. */
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Serve HTTPS with a generated self-signed CA (written into the kubeconfig). */
  tls?: boolean;
  /** YAML/JSON file mapping bearer tokens to users and their namespaces. */
  tokensFile?: string;
  /** File replacing the default seed data. */
  seedFile?: string;
  /** Add N generated namespaces with credentials, templates and deployments (benchmarks). */
  scale?: number;
  /** Seconds the simulated kcm takes to bring a ClusterDeployment to Ready (default 5). */
  provisionSeconds?: number;
  /** Seconds the simulated kcm takes to walk a deletion to completion (default 3). */
  deleteSeconds?: number;
  /** Seconds between the simulated kcm's periodic AccessManagement reconciles (default 120, as kcm). */
  accessManagementPollSeconds?: number;
  /** Receives one line per request / notable event; default: silent. */
  log?: (line: string) => void;
  /** Receives the log lines of the simulated controllers below kcm (./world: Flux, Cluster API, providers). */
  logSink?: LogSink;
}

export interface FaultRule {
  /** Matched against the request path (without query). */
  path: RegExp;
  method?: string;
  /** Added latency in ms. */
  latencyMs?: number;
  /** Answer with this HTTP status (5xx) and a Status body instead of serving. */
  status?: number;
  /** Destroy the socket without answering. */
  drop?: boolean;
  /** Apply to this many matching requests, then expire; default: until cleared. */
  times?: number;
}

export interface FaultInjector {
  add(rule: FaultRule): void;
  clear(): void;
  /** Ends every open watch stream (as an API server restart or timeout would). */
  closeWatches(): void;
}

/** The controllers' pods in the system namespace and their logs (./pods/controller-logs.ts). */
export interface ControllerLogWriter {
  /** Appends a line to a controller's log (its Deployment name: capa-controller-manager, helm-controller, ...). */
  write(controller: string, line: string): void;
  /** The pod names standing for a controller. */
  podsOf(controller: string): string[];
}

export interface SandboxHandle {
  /** Base URL, e.g. http://127.0.0.1:43123 */
  readonly url: string;
  /** A kubeconfig (YAML) for this sandbox; with --tls it carries certificate-authority-data. */
  readonly kubeconfig: string;
  readonly store: Store;
  readonly faults: FaultInjector;
  /** The controllers' logs (their pods are in the system namespace). */
  readonly controllerLogs: ControllerLogWriter;
  /** Stops the server, the controller timers and every open watch. */
  close(): Promise<void>;
}

export type StartSandbox = (options?: SandboxOptions) => Promise<SandboxHandle>;

/**
 * The sandbox on the real test control plane (`--api kube`, ./kube): kube-apiserver, etcd and the
 * garbage collector and namespace controllers, with the simulated kcm attached as webhooks and a
 * controller. It has no in-memory store and no fault injector: tests reach it through the API only.
 */
export interface KubeSandboxHandle {
  readonly api: 'kube';
  /** https://127.0.0.1:PORT of kube-apiserver. */
  readonly url: string;
  /** The kubeconfig for the first user of the token table, or for the admin without one. */
  readonly kubeconfig: string;
  /** A system:masters kubeconfig (the seed, RBAC and kcm use it). */
  readonly adminKubeconfig: string;
  readonly caPem: string;
  /** The components' logs (kube-apiserver.log, kube-controller-manager.log, etcd.log). */
  readonly logDir: string;
  /** The controllers' logs, served through pods/log by a simulated kubelet. */
  readonly controllerLogs: ControllerLogWriter;
  /** Stops kcm, the control plane and removes its state. */
  close(): Promise<void>;
}

export type StartKubeSandbox = (options?: SandboxOptions) => Promise<KubeSandboxHandle>;
