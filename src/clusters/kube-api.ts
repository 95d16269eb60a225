/**
 * The Kubernetes requests the cluster manager makes, over an injected client-node KubeConfig:
 * k0rdent custom objects (list/get/apply/delete/watch), namespaces and ConfigMaps. Every failure
 * leaves as an AppError (src/kube/errors.ts); every request carries a timeout and the caller's
 * cancellation signal.
 */
import {
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  Watch,
  type ConfigurationOptions,
  type KubeConfig,
} from '@kubernetes/client-node';
import { AppError } from '../errors.js';
import { K0RDENT_GROUP, K0RDENT_VERSION, type K0rdentResource } from '../k0rdent/resources.js';
import { toAppError } from '../kube/errors.js';
import { requestOptions } from '../kube/request-options.js';

/** The shape of any Kubernetes object as read from the API (only what the manager reads is typed). */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    finalizers?: string[];
  };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  data?: Record<string, string>;
}

export interface KubeList {
  items: KubeObject[];
  continue: string | undefined;
  resourceVersion: string | undefined;
}

export interface CallOptions {
  signal?: AbortSignal | undefined;
}

export interface ListRequest {
  namespace?: string | undefined;
  labelSelector?: string | undefined;
  limit?: number | undefined;
  continue?: string | undefined;
}

export type WatchEvent = { type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK'; object: KubeObject } | { type: 'ERROR'; object: { code?: number; message?: string } };

export interface WatchHandle {
  stop(): void;
}

export interface K0rdentApiOptions {
  /** Per-request timeout (not for watches). */
  requestTimeoutMs?: number;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

export class K0rdentApi {
  private readonly custom: CustomObjectsApi;
  private readonly core: CoreV1Api;
  private readonly requestTimeoutMs: number;

  constructor(
    private readonly kubeConfig: KubeConfig,
    options: K0rdentApiOptions = {},
  ) {
    this.custom = kubeConfig.makeApiClient(CustomObjectsApi);
    this.core = kubeConfig.makeApiClient(CoreV1Api);
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  }

  private options(call: CallOptions | undefined): ConfigurationOptions {
    return requestOptions(call?.signal, this.requestTimeoutMs);
  }

  private async run<T>(action: string, call: CallOptions | undefined, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (call?.signal?.aborted) throw new AppError('unavailable', `${action}: cancelled by the caller`, { cancelled: true }, { cause: error });
      throw toAppError(error, { action });
    }
  }

  /** One page of objects, cluster-wide when `namespace` is undefined. */
  async list(resource: K0rdentResource, request: ListRequest, call?: CallOptions): Promise<KubeList> {
    const where = request.namespace === undefined ? 'all namespaces' : `namespace ${request.namespace}`;
    const common = {
      group: K0RDENT_GROUP,
      version: K0RDENT_VERSION,
      plural: resource.plural,
      labelSelector: request.labelSelector,
      limit: request.limit,
      _continue: request.continue,
    };
    const body = (await this.run(`list ${resource.plural} in ${where}`, call, () =>
      request.namespace === undefined
        ? this.custom.listClusterCustomObject(common, this.options(call))
        : this.custom.listNamespacedCustomObject({ ...common, namespace: request.namespace }, this.options(call)),
    )) as { items?: KubeObject[]; metadata?: { continue?: string; resourceVersion?: string } };
    const next = body.metadata?.continue;
    return { items: body.items ?? [], continue: next === undefined || next === '' ? undefined : next, resourceVersion: body.metadata?.resourceVersion };
  }

  /** The object, or undefined on 404. */
  async get(resource: K0rdentResource, namespace: string, name: string, call?: CallOptions): Promise<KubeObject | undefined> {
    try {
      return (await this.run(`get ${resource.kind} ${namespace}/${name}`, call, () =>
        this.custom.getNamespacedCustomObject({ group: K0RDENT_GROUP, version: K0RDENT_VERSION, plural: resource.plural, namespace, name }, this.options(call)),
      )) as KubeObject;
    } catch (error) {
      if (error instanceof AppError && error.code === 'notFound') return undefined;
      throw error;
    }
  }

  /** Server-side apply (`application/apply-patch+yaml`, force) of a full object. */
  async apply(resource: K0rdentResource, object: KubeObject & { metadata: { name: string; namespace: string } }, opts: { fieldManager: string; dryRun?: boolean }, call?: CallOptions): Promise<KubeObject> {
    const { name, namespace } = object.metadata;
    return (await this.run(`apply ${resource.kind} ${namespace}/${name}`, call, () =>
      this.custom.patchNamespacedCustomObject(
        {
          group: K0RDENT_GROUP,
          version: K0RDENT_VERSION,
          plural: resource.plural,
          namespace,
          name,
          body: object,
          fieldManager: opts.fieldManager,
          force: true,
          ...(opts.dryRun ? { dryRun: 'All' } : {}),
        },
        // Without this header client-node sends a JSON Patch.
        setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply, this.options(call)),
      ),
    )) as KubeObject;
  }

  /** DELETE with foreground propagation; `not_found` on 404. */
  async delete(resource: K0rdentResource, namespace: string, name: string, call?: CallOptions): Promise<'deleted' | 'not_found'> {
    try {
      await this.run(`delete ${resource.kind} ${namespace}/${name}`, call, () =>
        this.custom.deleteNamespacedCustomObject(
          { group: K0RDENT_GROUP, version: K0RDENT_VERSION, plural: resource.plural, namespace, name, propagationPolicy: 'Foreground' },
          this.options(call),
        ),
      );
      return 'deleted';
    } catch (error) {
      if (error instanceof AppError && error.code === 'notFound') return 'not_found';
      throw error;
    }
  }

  /** Names of every namespace (needs cluster-wide `list namespaces`). */
  async listNamespaces(call?: CallOptions): Promise<string[]> {
    const body = await this.run('list namespaces', call, () => this.core.listNamespace({}, this.options(call)));
    return body.items.map((ns) => ns.metadata?.name).filter((n): n is string => typeof n === 'string');
  }

  /** A ConfigMap's data, or undefined on 404. */
  async getConfigMapData(namespace: string, name: string, call?: CallOptions): Promise<Record<string, string> | undefined> {
    try {
      const cm = await this.run(`get ConfigMap ${namespace}/${name}`, call, () => this.core.readNamespacedConfigMap({ namespace, name }, this.options(call)));
      return cm.data ?? {};
    } catch (error) {
      if (error instanceof AppError && error.code === 'notFound') return undefined;
      throw error;
    }
  }

  /**
   * Watches one named object from `resourceVersion`. `onEvent` gets every event; `onClose` is called once
   * when the stream ends for any reason (error undefined for a clean server-side close).
   */
  async watchOne(
    resource: K0rdentResource,
    namespace: string,
    name: string,
    resourceVersion: string | undefined,
    onEvent: (event: WatchEvent) => void,
    onClose: (error: AppError | undefined) => void,
  ): Promise<WatchHandle> {
    const path = `/apis/${K0RDENT_GROUP}/${K0RDENT_VERSION}/namespaces/${encodeURIComponent(namespace)}/${resource.plural}`;
    let closed = false;
    const close = (error: unknown): void => {
      if (closed) return;
      closed = true;
      onClose(error === null || error === undefined ? undefined : toAppError(error, { action: `watch ${resource.kind} ${namespace}/${name}` }));
    };
    const controller = await new Watch(this.kubeConfig).watch(
      path,
      { fieldSelector: `metadata.name=${name}`, resourceVersion, allowWatchBookmarks: true },
      (type: string, object: unknown) => {
        if (!closed) onEvent({ type, object } as WatchEvent);
      },
      close,
    );
    return {
      stop: () => {
        closed = true;
        controller.abort();
      },
    };
  }
}
