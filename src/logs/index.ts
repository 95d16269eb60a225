/**
 * k0.logs.get: the log of the controller responsible for an object (`for`: its kind's API group picks the
 * controller, ./controllers.ts; a hosted control plane's own `kmc-<name>` pods for K0smotronControlPlane),
 * or of a pod named directly. One pod's log through `pods/log`, exactly as kubectl asks for it; lines
 * filtered to the object's name, capped in lines and bytes (what was cut is said), credentials redacted
 * (./redact.ts). The namespace rules decide which namespaces may be read; RBAC (`list pods`, `get pods/log`)
 * decides the rest, and its 403 says which rule was missing.
 */
import { TOOL, toolRef } from '../tool-names.js';
import type { CallOptions, KubeObject } from '../kube/k0rdent-api.js';
import type { ReadContext } from '../shared/read-context.js';
import { nearestName } from '../shared/suggest.js';
import { missingEverywhere, missingObject, NAMED_KINDS } from '../shared/not-found.js';
import { K0RDENT_GROUP } from '../k0rdent/resources.js';
import { AppError, echo } from '../errors.js';
import { Discovery, groupOf } from '../kube/discovery.js';
import { rawGet, rawGetJson } from '../kube/raw-get.js';
import { assertNamespaceName, assertObjectName } from '../policy/names.js';
import { controllerForKind, groupOfKind, knownKinds, type ControllerInfo } from './controllers.js';
import { redact } from './redact.js';

export const REQUEST_TIMEOUT_MS = 10_000;
/** Lines returned at most (the newest). */
export const MAX_LINES = 200;
/** Characters returned at most over all lines. */
export const MAX_BYTES = 48 * 1024;
/** Longest line kept whole. */
export const MAX_LINE = 2000;
/** Bytes read from the API at most (limitBytes). */
const READ_LIMIT = 4 * 1024 * 1024;
const DEFAULT_TAIL = 500;
/** With `for`, more of the log is read before filtering to the object. */
const DEFAULT_TAIL_FOR = 5000;

export interface LogsRequest {
  for?: { kind: string; name: string; namespace?: string | undefined; apiVersion?: string | undefined } | undefined;
  namespace?: string | undefined;
  pod?: string | undefined;
  container?: string | undefined;
  sinceSeconds?: number | undefined;
  tailLines?: number | undefined;
  previous?: boolean | undefined;
  grep?: string | undefined;
}

export interface LogsResult {
  namespace: string;
  pod: string;
  container: string;
  controller?: string;
  filter?: string;
  lines: string[];
  cut?: string;
  redactions: number;
  otherPods?: string[];
}

type Raw = Record<string, unknown>;
const rec = (v: unknown): Raw => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Raw) : {});

function podPath(namespace: string, pod?: string): string {
  return `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods${pod !== undefined ? `/${encodeURIComponent(pod)}` : ''}`;
}

/** A 403 says which RBAC rule was missing and that the namespace rules let it through. */
function refused(error: unknown, what: string, namespace: string): never {
  if (error instanceof AppError && error.code === 'forbidden') {
    throw new AppError(
      'forbidden',
      `${what} in namespace ${namespace} was refused by the Kubernetes API: reading controller logs needs RBAC \`list pods\` and \`get pods/log\` in ${namespace} (${error.message.slice(0, 300)})`,
      { namespace, ...(error.details ?? {}) },
      { cause: error },
    );
  }
  throw error;
}

function containersOf(pod: KubeObject): string[] {
  const spec = rec(pod.spec);
  return (Array.isArray(spec.containers) ? spec.containers : []).map((c) => String(rec(c).name ?? '')).filter((n) => n !== '');
}

function chooseContainer(pod: KubeObject, wanted: string | undefined, preferred: string | undefined): string {
  const names = containersOf(pod);
  const podName = pod.metadata?.name ?? '';
  if (wanted !== undefined) {
    if (names.includes(wanted)) return wanted;
    const suggestion = nearestName(wanted, names);
    throw new AppError(
      'invalidParams',
      `pod ${podName} has no container ${echo(wanted)}; its containers: ${names.join(', ') || 'none'}.${suggestion ? ` Did you mean "${suggestion}"?` : ''}`,
      { containers: names, ...(suggestion ? { suggestion } : {}) },
    );
  }
  if (preferred !== undefined && names.includes(preferred)) return preferred;
  const annotated = pod.metadata?.annotations?.['kubectl.kubernetes.io/default-container'];
  if (annotated !== undefined && names.includes(annotated)) return annotated;
  if (names.length === 1) return names[0] as string;
  if (names.length === 0) return preferred ?? 'manager';
  throw new AppError('invalidParams', `pod ${podName} has several containers (${names.join(', ')}): pass \`container\``, {
    containers: names,
  });
}

/** Running pods first, then the newest: the replica whose log tells the present. */
function pickPod(pods: KubeObject[]): KubeObject | undefined {
  return [...pods].sort(
    (a, b) =>
      Number(rec(b.status).phase === 'Running') - Number(rec(a.status).phase === 'Running') ||
      (b.metadata?.creationTimestamp ?? '').localeCompare(a.metadata?.creationTimestamp ?? ''),
  )[0];
}

export class LogReader {
  constructor(
    private readonly ctx: ReadContext,
    private readonly call: CallOptions,
  ) {}

  private get identity() {
    return this.ctx.api.identity;
  }

  /**
   * The newest `tailLines` lines of a controller's log (its first running pod in the system namespace),
   * redacted; undefined when it runs no pod here. Two requests. For the diagnosis's look for reconcile errors.
   */
  async controllerLines(controller: ControllerInfo, tailLines: number): Promise<string[] | undefined> {
    const system = this.ctx.policy.rules.globalNamespace;
    const pod = pickPod(await this.listPods(system, controller.selector));
    if (pod === undefined) return undefined;
    const name = pod.metadata?.name ?? '';
    const answer = await rawGet(this.identity, `${podPath(system, name)}/log`, {
      query: { container: chooseContainer(pod, undefined, controller.container), tailLines, limitBytes: READ_LIMIT },
      accept: 'text/plain, */*',
      maxBytes: READ_LIMIT,
      signal: this.call.signal,
      timeoutMs: REQUEST_TIMEOUT_MS,
      action: `read the log of pod ${system}/${name}`,
    }).catch((error: unknown) => refused(error, `get pods/log ${name}`, system));
    return redact(answer.body)
      .text.split('\n')
      .filter((l) => l !== '');
  }

  private async listPods(namespace: string, selector: string): Promise<KubeObject[]> {
    const body = await rawGetJson<{ items?: KubeObject[] }>(this.identity, podPath(namespace), {
      query: { labelSelector: selector, limit: 50 },
      signal: this.call.signal,
      timeoutMs: REQUEST_TIMEOUT_MS,
      action: `list pods (${selector})`,
    }).catch((error: unknown) => refused(error, `list pods (${selector})`, namespace));
    return body.items ?? [];
  }

  private async getPod(namespace: string, name: string): Promise<KubeObject | undefined> {
    try {
      return await rawGetJson<KubeObject>(this.identity, podPath(namespace, name), {
        signal: this.call.signal,
        timeoutMs: REQUEST_TIMEOUT_MS,
        action: `get pod ${namespace}/${name}`,
      });
    } catch (error) {
      if (error instanceof AppError && error.code === 'notFound') return undefined;
      return refused(error, `get pod ${name}`, namespace);
    }
  }

  /** A kind its group does not serve is a typo: named with the nearest kind that group serves (when the group is served at all). */
  private async assertServed(target: NonNullable<LogsRequest['for']>): Promise<void> {
    const group = target.apiVersion !== undefined ? groupOf(target.apiVersion) : groupOfKind(target.kind);
    if (group === undefined || group === '') return;
    const kinds = (await new Discovery(this.identity).groupKinds(group, { signal: this.call.signal, timeoutMs: REQUEST_TIMEOUT_MS })).map(
      (k) => k.kind,
    );
    if (kinds.length === 0 || kinds.includes(target.kind)) return;
    const suggestion = nearestName(target.kind, kinds);
    throw new AppError(
      'invalidParams',
      `the API server serves no kind ${echo(target.kind)} in ${group}.${suggestion ? ` Did you mean "${suggestion}"?` : ''} Its kinds: ${kinds.slice(0, 40).join(', ')}`,
      { kinds, ...(suggestion ? { suggestion } : {}) },
    );
  }

  /**
   * A k0rdent object tools name (NAMED_KINDS) must exist: a typo would read as "no log lines about it".
   * Missing → notFound in the one shape (src/shared/not-found.ts). Other kinds are not checked.
   */
  private async assertTargetExists(target: NonNullable<LogsRequest['for']>): Promise<void> {
    const kind = NAMED_KINDS[target.kind];
    if (kind === undefined || (target.apiVersion !== undefined && groupOf(target.apiVersion) !== K0RDENT_GROUP)) return;
    const { api, policy } = this.ctx;
    if (target.namespace !== undefined) {
      if ((await api.get(kind.resource, target.namespace, target.name, this.call)) === undefined)
        throw await missingObject(api, policy, { kind, name: target.name, namespace: target.namespace }, this.call);
      return;
    }
    const found = await api
      .list(kind.resource, { fieldSelector: `metadata.name=${target.name}`, metadataOnly: true }, this.call)
      .catch(() => undefined);
    if (found !== undefined && !found.items.some((o) => policy.isReadable(o.metadata?.namespace ?? '')))
      throw await missingEverywhere(api, policy, kind, target.name, this.call);
  }

  /** The pod answering for `request.for`, its controller and the container to read. */
  private async controllerPod(
    request: LogsRequest & { for: NonNullable<LogsRequest['for']> },
  ): Promise<{ pod: KubeObject; controller: string; container: string; others: string[]; filterByName: boolean }> {
    const target = request.for;
    const system = this.ctx.policy.rules.globalNamespace;
    // A hosted control plane runs in the cluster's namespace as k0smotron's `kmc-<name>` StatefulSet.
    if (target.kind === 'K0smotronControlPlane' && target.namespace !== undefined) {
      const pods = await this.listPods(target.namespace, `app=k0smotron,cluster=${target.name}`);
      const pod = pickPod(pods.filter((p) => (p.metadata?.name ?? '').startsWith(`kmc-${target.name}`)));
      if (pod !== undefined)
        return {
          pod,
          controller: `kmc-${target.name} (hosted control plane)`,
          container: chooseContainer(pod, request.container, 'controller'),
          others: pods.filter((p) => p !== pod).map((p) => p.metadata?.name ?? ''),
          filterByName: false,
        };
    }
    await this.assertServed(target);
    const controller: ControllerInfo | undefined = controllerForKind(target.apiVersion, target.kind);
    if (controller === undefined) {
      const kinds = knownKinds();
      const suggestion = nearestName(target.kind, kinds);
      throw new AppError(
        'invalidParams',
        `no controller known for kind ${echo(target.kind)}${target.apiVersion ? ` (${target.apiVersion})` : ''}.${suggestion ? ` Did you mean "${suggestion}"?` : ''} Kinds this tool places: ${kinds.join(', ')}; or name a pod with \`namespace\` and \`pod\``,
        { kinds, ...(suggestion ? { suggestion } : {}) },
      );
    }
    this.ctx.policy.assertReadable(system);
    const pods = await this.listPods(system, controller.selector);
    const pod = pickPod(pods);
    if (pod === undefined)
      throw new AppError(
        'notFound',
        `no pod of the ${controller.label} controller (label ${controller.selector}) runs in ${system}: its provider may not be installed (${toolRef(TOOL.providersList)} shows the providers)`,
        { controller: controller.label, namespace: system },
      );
    return {
      pod,
      controller: controller.label,
      container: chooseContainer(pod, request.container, controller.container),
      others: pods.filter((p) => p !== pod).map((p) => p.metadata?.name ?? ''),
      filterByName: true,
    };
  }

  async read(request: LogsRequest): Promise<LogsResult> {
    const target = request.for;
    if (target !== undefined && request.pod !== undefined)
      throw new AppError('invalidParams', 'pass either `for` (an object whose controller to read) or `pod` (with `namespace`), not both');
    if (target === undefined && request.pod === undefined)
      throw new AppError(
        'invalidParams',
        'say whose log: `for: {kind, name, namespace}` (the controller responsible for that object) or `namespace` + `pod`',
      );
    let pod: KubeObject;
    let container: string;
    let controller: string | undefined;
    let others: string[] = [];
    let filterByName = false;
    if (target !== undefined) {
      if (!groupOfKind(target.kind) && target.apiVersion === undefined && !/^[A-Z][A-Za-z0-9]*$/.test(target.kind))
        throw new AppError(
          'invalidParams',
          `for.kind ${echo(target.kind)} is not a Kubernetes kind (CamelCase, e.g. HelmRelease, AWSCluster)`,
        );
      assertObjectName(target.name, 'for.name');
      if (target.namespace !== undefined) this.ctx.policy.assertReadable(target.namespace);
      await this.assertTargetExists(target);
      ({ pod, controller, container, others, filterByName } = await this.controllerPod({ ...request, for: target }));
    } else {
      const namespace = request.namespace;
      if (namespace === undefined) throw new AppError('invalidParams', '`pod` needs its `namespace`');
      assertNamespaceName(namespace);
      assertObjectName(request.pod as string, 'pod');
      this.ctx.policy.assertReadable(namespace);
      const found = await this.getPod(namespace, request.pod as string);
      if (found === undefined) {
        const names = (await this.listPods(namespace, '')).map((p) => p.metadata?.name ?? '');
        const suggestion = nearestName(request.pod as string, names);
        throw new AppError(
          'notFound',
          `pod ${namespace}/${echo(request.pod).slice(1, -1)} does not exist.${suggestion ? ` Did you mean "${suggestion}"?` : ''}`,
          { namespace, ...(suggestion ? { suggestion } : {}) },
        );
      }
      pod = found;
      container = chooseContainer(pod, request.container, undefined);
    }
    const namespace = pod.metadata?.namespace ?? request.namespace ?? '';
    const podName = pod.metadata?.name ?? '';
    const tail = request.tailLines ?? (filterByName ? DEFAULT_TAIL_FOR : DEFAULT_TAIL);
    const answer = await rawGet(this.identity, `${podPath(namespace, podName)}/log`, {
      query: {
        container,
        tailLines: tail,
        sinceSeconds: request.sinceSeconds,
        previous: request.previous === true ? true : undefined,
        limitBytes: READ_LIMIT,
      },
      accept: 'text/plain, */*',
      maxBytes: READ_LIMIT,
      signal: this.call.signal,
      timeoutMs: REQUEST_TIMEOUT_MS,
      action: `read the log of pod ${namespace}/${podName} container ${container}${request.previous ? ' (previous)' : ''}`,
    }).catch((error: unknown) => {
      if (error instanceof AppError && error.code === 'invalidParams' && request.previous)
        throw new AppError(
          'invalidParams',
          `${error.message}; there is no previous (crashed) container to read: drop \`previous\``,
          error.details,
        );
      return refused(error, `get pods/log ${podName}`, namespace);
    });
    return shapeLines(answer.body, {
      namespace,
      pod: podName,
      container,
      ...(controller !== undefined ? { controller } : {}),
      ...(others.length > 0 ? { otherPods: others.slice(0, 10) } : {}),
      byName: filterByName && target !== undefined ? target.name : undefined,
      grep: request.grep,
      readTruncated: answer.truncated,
    });
  }
}

/** Redacts, filters, caps — pure, so it is tested with tables. */
export function shapeLines(
  text: string,
  options: {
    namespace: string;
    pod: string;
    container: string;
    controller?: string;
    otherPods?: string[];
    byName?: string | undefined;
    grep?: string | undefined;
    readTruncated?: boolean;
  },
): LogsResult {
  const cleaned = redact(text);
  let lines = cleaned.text.split('\n').filter((l) => l !== '');
  const filters: string[] = [];
  if (options.byName !== undefined) {
    const byName = options.byName;
    lines = lines.filter((l) => l.includes(byName));
    filters.push(`lines naming "${byName}"`);
  }
  if (options.grep !== undefined) {
    const needle = options.grep.toLowerCase();
    lines = lines.filter((l) => l.toLowerCase().includes(needle));
    filters.push(`containing "${options.grep}"`);
  }
  const cuts: string[] = [];
  if (options.readTruncated) cuts.push(`only the last ${READ_LIMIT} bytes of the log were read`);
  const matched = lines.length;
  if (lines.length > MAX_LINES) {
    lines = lines.slice(-MAX_LINES);
    cuts.push(`${matched - MAX_LINES} older matching lines left out (at most ${MAX_LINES}: narrow with sinceSeconds, tailLines or grep)`);
  }
  let longCut = 0;
  lines = lines.map((l) => {
    if (l.length <= MAX_LINE) return l;
    longCut++;
    return `${l.slice(0, MAX_LINE)}… (${l.length - MAX_LINE} more characters)`;
  });
  if (longCut > 0) cuts.push(`${longCut} long lines cut at ${MAX_LINE} characters`);
  let total = lines.reduce((n, l) => n + l.length + 1, 0);
  let dropped = 0;
  while (total > MAX_BYTES && lines.length > 1) {
    total -= (lines.shift() as string).length + 1;
    dropped++;
  }
  if (dropped > 0) cuts.push(`${dropped} older lines left out to stay under ${MAX_BYTES} characters`);
  return {
    namespace: options.namespace,
    pod: options.pod,
    container: options.container,
    ...(options.controller !== undefined ? { controller: options.controller } : {}),
    ...(filters.length > 0 ? { filter: filters.join(', ') } : {}),
    lines,
    ...(cuts.length > 0 ? { cut: cuts.join('; ') } : {}),
    redactions: cleaned.count,
    ...(options.otherPods !== undefined ? { otherPods: options.otherPods } : {}),
  };
}

export async function getLogs(ctx: ReadContext, request: LogsRequest, call: CallOptions): Promise<LogsResult> {
  return new LogReader(ctx, call).read(request);
}
