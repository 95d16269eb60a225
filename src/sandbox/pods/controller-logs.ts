/**
 * The management cluster's controllers as pods, and their logs. A k0rdent management cluster runs kcm,
 * Flux's source- and helm-controller, Cluster API and every provider as Deployments in kcm-system; here each
 * is one Pod with the labels the real charts give it (kcm templates/provider/kcm `app.kubernetes.io/name=kcm`;
 * the flux2 chart's `app=<controller>`; the CAPI operator's `cluster.x-k8s.io/provider=<type>-<name>`) and a
 * `manager` container whose log is what the simulated world writes for that controller (the world's log sink).
 * k0smotron is three Deployments (bootstrap, control plane, infrastructure): a line goes to the one whose kind
 * it is about. The log is served as kube-apiserver serves `pods/log` (the embedded API server asks `read`; on
 * the real kube-apiserver a simulated kubelet does, ../kube/kubelet.ts), with kubelet's options: tailLines,
 * sinceSeconds, limitBytes, timestamps, previous.
 *
 * With a `dir` the logs are files, as kubelet keeps them: `<dir>/<namespace>_<pod>/manager/0.log`, one line per
 * written line in the CRI log format (`2026-12-07T07:00:00.123456789Z stdout F <line>`, kubernetes
 * pkg/kubelet/kuberuntime/logs/logs.go parseCRILog), appended by whatever writes the container's output and read at
 * every request. That is how the real-kcm world (its own process, scripts/kcm-world.mjs) lets another process add a
 * line to a controller's log — a test planting one, as a container writing to its stdout would — with nothing
 * added to the API the product talks to.
 */
import { appendFileSync, closeSync, fstatSync, mkdirSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import type { KubeObject } from '../apiserver/types.js';

export const PODS = { group: '', version: 'v1', plural: 'pods' } as const;
/** The node every controller pod is bound to (a simulated kubelet serves its logs on the kube backend). */
export const SANDBOX_NODE = 'sandbox-control-plane';
const CONTAINER = 'manager';
/** Lines kept per pod (a ring). */
const MAX_LINES = 20_000;
/** The most of a log file read per request (its end): kubelet rotates container logs at 10 MiB by default. */
const MAX_FILE_BYTES = 4 * 1024 * 1024;

interface PodSpec {
  deployment: string;
  labels: Record<string, string>;
}

const provider = (deployment: string, name: string): PodSpec => ({
  deployment,
  labels: { 'cluster.x-k8s.io/provider': name, 'control-plane': 'controller-manager' },
});

/** The world's controller names (their Deployment names) → the pods that stand for them. */
const CONTROLLER_PODS: Record<string, PodSpec[]> = {
  'kcm-controller-manager': [
    { deployment: 'kcm-controller-manager', labels: { 'app.kubernetes.io/name': 'kcm', 'control-plane': 'kcm-controller-manager' } },
  ],
  'source-controller': [{ deployment: 'source-controller', labels: { app: 'source-controller' } }],
  'helm-controller': [{ deployment: 'helm-controller', labels: { app: 'helm-controller' } }],
  'capi-controller-manager': [provider('capi-controller-manager', 'cluster-api')],
  'capa-controller-manager': [provider('capa-controller-manager', 'infrastructure-aws')],
  'capz-controller-manager': [provider('capz-controller-manager', 'infrastructure-azure')],
  'capg-controller-manager': [provider('capg-controller-manager', 'infrastructure-gcp')],
  'capo-controller-manager': [provider('capo-controller-manager', 'infrastructure-openstack')],
  'capv-controller-manager': [provider('capv-controller-manager', 'infrastructure-vsphere')],
  'capd-controller-manager': [provider('capd-controller-manager', 'infrastructure-docker')],
  k0smotron: [
    provider('k0smotron-controller-manager-control-plane', 'control-plane-k0sproject-k0smotron'),
    provider('k0smotron-controller-manager-bootstrap', 'bootstrap-k0sproject-k0smotron'),
    provider('k0smotron-controller-manager-infrastructure', 'infrastructure-k0sproject-k0smotron'),
  ],
};

/** Which k0smotron Deployment logs about a kind. */
function k0smotronPod(kind: string | undefined): number {
  if (kind === undefined) return 0;
  if (/Config(Template)?$/.test(kind)) return 1;
  if (/^Remote|^K0smotronCluster/.test(kind)) return 2;
  return 0;
}

export interface PodLogQuery {
  container?: string | undefined;
  tailLines?: number | undefined;
  sinceSeconds?: number | undefined;
  limitBytes?: number | undefined;
  timestamps?: boolean | undefined;
  previous?: boolean | undefined;
}

/** What a log request gets: the text, or the error kube-apiserver / kubelet would answer. */
export type PodLogAnswer = { text: string } | { status: number; reason: string; message: string };

interface Line {
  at: number;
  text: string;
}

/** A stable pod-template hash and suffix, as a ReplicaSet names its pods. */
function podName(deployment: string, systemNamespace: string): string {
  const hash = createHash('sha256').update(`${systemNamespace}/${deployment}`).digest('hex');
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  const pick = (from: number, n: number): string =>
    [...hash.slice(from, from + n)].map((c) => alphabet[parseInt(c, 16) % alphabet.length]).join('');
  return `${deployment}-${pick(0, 9)}-${pick(9, 5)}`;
}

/** A CRI log line: `<RFC 3339 time> <stream> <P|F> <text>` (kubelet's logs.go parseCRILog). */
const CRI_LINE = /^(\S+) (?:stdout|stderr) [PF] (.*)$/;

export interface ControllerLogsOptions {
  /** Keep each pod's log as a file under this directory (kubelet's layout) instead of in memory. */
  dir?: string | undefined;
}

export class ControllerLogs {
  private readonly logs = new Map<string, Line[]>();
  private readonly names = new Map<string, string[]>();
  private readonly started = new Date();
  /** The directory of the log files, when the logs are files. */
  readonly dir: string | undefined;

  constructor(
    readonly systemNamespace = 'kcm-system',
    options: ControllerLogsOptions = {},
  ) {
    this.dir = options.dir;
    for (const [controller, specs] of Object.entries(CONTROLLER_PODS)) {
      const names = specs.map((s) => podName(s.deployment, systemNamespace));
      this.names.set(controller, names);
      for (const name of names) {
        this.logs.set(name, []);
        if (this.dir !== undefined) mkdirSync(join(this.dir, `${systemNamespace}_${name}`, CONTAINER), { recursive: true });
      }
    }
  }

  /** The log file of a pod (file mode). */
  private fileOf(pod: string): string {
    return join(this.dir as string, `${this.systemNamespace}_${pod}`, CONTAINER, '0.log');
  }

  /** A pod's lines as now logged: the ring, or the end of its file. */
  private linesOf(pod: string): Line[] | undefined {
    const ring = this.logs.get(pod);
    if (ring === undefined || this.dir === undefined) return ring;
    let text: string;
    try {
      const fd = openSync(this.fileOf(pod), 'r');
      try {
        const size = fstatSync(fd).size;
        const length = Math.min(size, MAX_FILE_BYTES);
        const buffer = Buffer.alloc(length);
        readSync(fd, buffer, 0, length, size - length);
        text = buffer.toString('utf8');
        // A read that starts inside a line drops that partial line.
        if (length < size) text = text.slice(text.indexOf('\n') + 1);
      } finally {
        closeSync(fd);
      }
    } catch {
      return []; // nothing logged yet
    }
    const lines: Line[] = [];
    for (const raw of text.split('\n')) {
      const m = CRI_LINE.exec(raw);
      if (m === null) continue;
      const at = Date.parse(m[1] as string);
      lines.push({ at: Number.isFinite(at) ? at : 0, text: m[2] as string });
    }
    return lines;
  }

  /** The Pod objects to create (bound to SANDBOX_NODE, one `manager` container each), status included. */
  pods(): KubeObject[] {
    const startedAt = this.started.toISOString().replace(/\.\d{3}Z$/, 'Z');
    return Object.entries(CONTROLLER_PODS).flatMap(([controller, specs]) =>
      specs.map((spec, i) => {
        const name = (this.names.get(controller) as string[])[i] as string;
        return {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: {
            name,
            namespace: this.systemNamespace,
            labels: { ...spec.labels, 'pod-template-hash': name.split('-').at(-2) as string },
            annotations: { 'kubectl.kubernetes.io/default-container': CONTAINER },
          },
          spec: {
            nodeName: SANDBOX_NODE,
            automountServiceAccountToken: false,
            containers: [{ name: CONTAINER, image: `registry.k0rdent.example/${spec.deployment}:sandbox`, args: ['--leader-elect'] }],
          },
          status: {
            phase: 'Running',
            startTime: startedAt,
            conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: startedAt }],
            containerStatuses: [
              {
                name: CONTAINER,
                ready: true,
                started: true,
                restartCount: 0,
                image: `registry.k0rdent.example/${spec.deployment}:sandbox`,
                imageID: '',
                state: { running: { startedAt } },
              },
            ],
          },
        };
      }),
    );
  }

  /** The world's log sink: one line of `controller` (its Deployment name), about `subject` when given. */
  readonly sink = (
    controller: string,
    _namespace: string,
    line: string,
    subject?: { kind: string; name: string; namespace?: string },
  ): void => {
    const names = this.names.get(controller);
    if (names === undefined) return;
    const index = controller === 'k0smotron' ? k0smotronPod(subject?.kind) : 0;
    this.append(names[index] ?? (names[0] as string), line);
  };

  /** Appends a line to a controller's log directly (tests plant lines this way). */
  write(controller: string, line: string): void {
    this.sink(controller, this.systemNamespace, line);
  }

  /** The pod names of a controller. */
  podsOf(controller: string): string[] {
    return [...(this.names.get(controller) ?? [])];
  }

  private append(pod: string, text: string): void {
    const lines = this.logs.get(pod);
    if (lines === undefined) return;
    if (this.dir !== undefined) {
      const at = new Date().toISOString();
      appendFileSync(
        this.fileOf(pod),
        text
          .split('\n')
          .map((part) => `${at} stdout F ${part}\n`)
          .join(''),
      );
      return;
    }
    for (const part of text.split('\n')) lines.push({ at: Date.now(), text: part });
    if (lines.length > MAX_LINES) lines.splice(0, lines.length - MAX_LINES);
  }

  /** Answers a log request for one of these pods as kubelet does; undefined for a pod that is not one of them. */
  read(namespace: string, pod: string, query: PodLogQuery): PodLogAnswer | undefined {
    if (namespace !== this.systemNamespace) return undefined;
    const lines = this.linesOf(pod);
    if (lines === undefined) return undefined;
    if (query.container !== undefined && query.container !== CONTAINER)
      return { status: 400, reason: 'BadRequest', message: `container ${query.container} is not valid for pod ${pod}` };
    if (query.previous === true)
      return { status: 400, reason: 'BadRequest', message: `previous terminated container "${CONTAINER}" in pod "${pod}" not found` };
    let selected = lines;
    if (query.sinceSeconds !== undefined) {
      const from = Date.now() - query.sinceSeconds * 1000;
      selected = selected.filter((l) => l.at >= from);
    }
    if (query.tailLines !== undefined) selected = query.tailLines <= 0 ? [] : selected.slice(-query.tailLines);
    let text = selected.map((l) => (query.timestamps ? `${new Date(l.at).toISOString()} ${l.text}` : l.text)).join('\n');
    if (text !== '') text += '\n';
    if (query.limitBytes !== undefined && Buffer.byteLength(text) > query.limitBytes)
      text = Buffer.from(text).subarray(0, query.limitBytes).toString('utf8');
    return { text };
  }
}

/** Parses kubelet's / kube-apiserver's log query parameters (`pods/log` and `/containerLogs`). */
export function parsePodLogQuery(params: URLSearchParams): PodLogQuery {
  const int = (key: string): number | undefined => {
    const v = params.get(key);
    if (v === null || v === '') return undefined;
    const n = Number(v);
    return Number.isInteger(n) ? n : undefined;
  };
  const bool = (key: string): boolean | undefined => {
    const v = params.get(key);
    return v === null ? undefined : v === 'true' || v === '1';
  };
  return {
    ...(params.get('container') ? { container: params.get('container') as string } : {}),
    tailLines: int('tailLines'),
    sinceSeconds: int('sinceSeconds'),
    limitBytes: int('limitBytes'),
    timestamps: bool('timestamps'),
    previous: bool('previous'),
  };
}
