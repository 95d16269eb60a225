/**
 * What the walk reads, as one identity: kinds from discovery, objects of any group by GET or LIST, and the
 * namespace's Warning events — every request counted against a budget (at most MAX_REQUESTS per call) and
 * bounded by the per-request deadline. Secrets are never read: the reader refuses them outright.
 */
import type { KubeObject } from '../kube/k0rdent-api.js';
import type { ReadContext } from '../shared/read-context.js';
import { AppError } from '../errors.js';
import { listEvents } from '../events/manager.js';
import type { EventSummary } from '../events/summaries.js';
import { Discovery, kindPath, type ServedKind } from '../kube/discovery.js';
import { rawGetJson } from '../kube/raw-get.js';
import type { ControllerInfo } from '../logs/controllers.js';
import { LogReader } from '../logs/index.js';
import { LOG_TAIL } from './log-errors.js';

/** Requests one diagnosis may make (issue 21: "at most ~30"). */
export const MAX_REQUESTS = 30;
/** Deadline of each request. */
export const REQUEST_TIMEOUT_MS = 8_000;
/** Warning events read for the chain (one LIST, newest first). */
const WARNING_LIMIT = 200;

export class BudgetSpent extends AppError {
  constructor() {
    super('unavailable', `the diagnosis stopped at its budget of ${MAX_REQUESTS} API requests`);
  }
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
}

/** The reads the walk makes; a fake in unit tests, ./reader.ts#ApiChainReader on a cluster. */
export interface ChainReader {
  /** The served kind, or undefined when its CRD is absent. */
  kind(group: string, kind: string): Promise<ServedKind | undefined>;
  get(kind: ServedKind, namespace: string | undefined, name: string): Promise<KubeObject | undefined>;
  /** Objects of the kind in `namespace` (all namespaces when undefined). */
  list(kind: ServedKind, namespace: string | undefined, options: ListOptions): Promise<KubeObject[]>;
  /** Recent Warning events of a namespace. */
  warnings(namespace: string): Promise<EventSummary[]>;
  /** A controller's recent log lines (redacted); undefined when it has no pod here or they may not be read. */
  controllerLog(controller: ControllerInfo): Promise<string[] | undefined>;
  /** Requests made so far. */
  readonly requests: number;
}

const CORE: Record<string, ServedKind> = {
  Pod: { group: '', version: 'v1', kind: 'Pod', plural: 'pods', namespaced: true, subresources: ['log', 'status'] },
};

export class ApiChainReader implements ChainReader {
  private count = 0;
  private readonly discovery: Discovery;

  constructor(
    private readonly ctx: ReadContext,
    private readonly signal: AbortSignal | undefined,
    private readonly budget = MAX_REQUESTS,
  ) {
    this.discovery = new Discovery(ctx.api.identity);
  }

  get requests(): number {
    return this.count;
  }

  private spend(): void {
    if (this.count >= this.budget) throw new BudgetSpent();
    this.count++;
  }

  async kind(group: string, kind: string): Promise<ServedKind | undefined> {
    if (group === '') return CORE[kind];
    return this.discovery.find(group, kind, { signal: this.signal, timeoutMs: REQUEST_TIMEOUT_MS, onRequest: () => this.spend() });
  }

  private refuseSecrets(kind: ServedKind): void {
    if (kind.group === '' && kind.plural === 'secrets') throw new AppError('forbidden', 'this server never reads Secrets');
  }

  async get(kind: ServedKind, namespace: string | undefined, name: string): Promise<KubeObject | undefined> {
    this.refuseSecrets(kind);
    this.spend();
    try {
      return await rawGetJson<KubeObject>(this.ctx.api.identity, kindPath(kind, namespace, name), {
        signal: this.signal,
        timeoutMs: REQUEST_TIMEOUT_MS,
        action: `get ${kind.kind} ${namespace !== undefined ? `${namespace}/` : ''}${name}`,
      });
    } catch (error) {
      if (error instanceof AppError && error.code === 'notFound') return undefined;
      throw error;
    }
  }

  async list(kind: ServedKind, namespace: string | undefined, options: ListOptions): Promise<KubeObject[]> {
    this.refuseSecrets(kind);
    this.spend();
    const body = await rawGetJson<{ items?: KubeObject[] }>(this.ctx.api.identity, kindPath(kind, namespace), {
      query: { labelSelector: options.labelSelector, fieldSelector: options.fieldSelector, limit: 500 },
      signal: this.signal,
      timeoutMs: REQUEST_TIMEOUT_MS,
      action: `list ${kind.kind} in ${namespace ?? 'all namespaces'}${options.labelSelector ? ` (${options.labelSelector})` : ''}`,
    });
    // The list's items carry no kind/apiVersion on the wire; the walk names them.
    return (body.items ?? []).map((o) => ({
      ...o,
      kind: o.kind ?? kind.kind,
      apiVersion: o.apiVersion ?? `${kind.group ? `${kind.group}/` : ''}${kind.version}`,
    }));
  }

  async controllerLog(controller: ControllerInfo): Promise<string[] | undefined> {
    // Two requests (the pods, one log), or none when the budget cannot cover both.
    if (this.count + 2 > this.budget) return undefined;
    this.count += 2;
    try {
      return await new LogReader(this.ctx, { signal: this.signal }).controllerLines(controller, LOG_TAIL);
    } catch (error) {
      if (error instanceof AppError && (error.code === 'forbidden' || error.code === 'notFound' || error.code === 'invalidParams'))
        return undefined;
      throw error;
    }
  }

  async warnings(namespace: string): Promise<EventSummary[]> {
    this.spend();
    const page = await listEvents(this.ctx, { namespace, types: ['Warning'], limit: WARNING_LIMIT }, { signal: this.signal });
    return page.items;
  }
}
