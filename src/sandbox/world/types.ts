/**
 * The contract of the simulated world below kcm (./index.ts): what starts it, and the log sink every
 * simulated controller writes to. The world talks to a KcmApi (../kcm/api.ts), so the same world runs
 * under the embedded sandbox's simulated kcm and under a real kcm on a real kube-apiserver.
 */

/**
 * The controllers of the world, named as their Deployments are named in a k0rdent management cluster
 * (kcm's provider charts: templates/provider/*). `kcm-controller-manager` is the simulated kcm's own log
 * (embedded sandbox only; a real kcm writes its own).
 */
export const CONTROLLERS = [
  'source-controller',
  'helm-controller',
  'capi-controller-manager',
  'capa-controller-manager',
  'capz-controller-manager',
  'capg-controller-manager',
  'capo-controller-manager',
  'capv-controller-manager',
  'capd-controller-manager',
  'k0smotron',
  'kcm-controller-manager',
] as const;

export type ControllerName = (typeof CONTROLLERS)[number];

/** The object a log line is about (what `k0.logs.get { for }` filters on). */
export interface LogSubject {
  kind: string;
  namespace?: string;
  name: string;
}

/**
 * Receives every log line a simulated controller writes: `controller` names the Deployment, `namespace`
 * the namespace its pod runs in (k0rdent installs every one of them in kcm-system), `line` is one line as
 * that controller formats it (klog text for Cluster API and the providers, JSON for Flux and kcm), without
 * the trailing newline. `subject` is the object the line is about, when there is one.
 */
export type LogSink = (controller: ControllerName, namespace: string, line: string, subject?: LogSubject) => void;

/** A fault asked for by the label `sandbox.k0rdent-mcp.io/fault` on a ClusterDeployment (docs/sandbox.md). */
export const FAULT_LABEL = 'sandbox.k0rdent-mcp.io/fault';

export const FAULTS = [
  'helm-install-failure',
  'infra-error',
  'machine-without-provider-id',
  'control-plane-not-initialized',
  'deletion-blocked',
] as const;

export type Fault = (typeof FAULTS)[number];

/**
 * On a HelmRelease (and the Cluster its chart renders): the cluster is already up, as for a deployment the
 * seed gives Ready. The world provisions it at once; the annotation leaves the Cluster once it is Available.
 */
export const PROVISIONED_ANNOTATION = 'sandbox.k0rdent-mcp.io/provisioned';

export interface WorldOptions {
  /**
   * Folders holding one chart per sub-folder (the folder name is the chart name); the first that has a
   * chart wins. Default: data/k0rdent/charts. For real kcm: the kcm module's templates/cluster and
   * templates/provider.
   */
  chartRoots?: string[];
  /** Seconds from a cluster chart's install to a Ready CAPI Cluster (default 5). */
  provisionSeconds?: number;
  /** Seconds a CAPI Cluster takes to go once its HelmRelease is uninstalled (default 3). */
  deleteSeconds?: number;
  /** Loopback host of the chart artifact server (default 127.0.0.1; port 0 picks a free one). */
  host?: string;
  /** Receives the controllers' log lines (default: dropped). */
  logSink?: LogSink;
  /** Diagnostics of the world itself (failed writes); default silent. */
  log?: (line: string) => void;
}

export interface WorldHandle {
  /** http://127.0.0.1:PORT of the artifact server (source-controller's storage address). */
  readonly artifactUrl: string;
  /** Stops every controller and timer, and the artifact server. */
  close(): Promise<void>;
}
