/**
 * The Kubernetes requests the cluster manager makes, as one Kubernetes identity (src/kube/identity.ts):
 * k0rdent custom objects (list/get/apply/delete/watch), namespaces and ConfigMaps. Every failure
 * leaves as an AppError (src/kube/errors.ts); every request carries a timeout and the caller's
 * cancellation signal. client-node is loaded on the first request, not when this module is imported.
 */
import type { ConfigurationOptions, CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { AppError } from '../errors.js';
import { K0RDENT_GROUP, K0RDENT_VERSION, type K0rdentResource } from '../k0rdent/resources.js';
import { loadClientNode, type ClientNode } from './client-node.js';
import { httpCodeOf, toAppError } from './errors.js';
import { kubeIdentity, type KubeIdentity } from './identity.js';
import { requestInfo } from './request-info.js';
import { Registry } from 'prom-client';

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
    managedFields?: unknown[];
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

/** One resource rule of a SelfSubjectRulesReview, as RBAC writes it. */
export interface ResourceRule {
  verbs: string[];
  apiGroups: string[];
  resources: string[];
  resourceNames?: string[];
}

export interface RulesReview {
  rules: ResourceRule[];
  /** The API server could not enumerate every rule: a denial by these rules is not final. */
  incomplete: boolean;
}

export interface CallOptions {
  signal?: AbortSignal | undefined;
}

export interface ListRequest {
  namespace?: string | undefined;
  labelSelector?: string | undefined;
  fieldSelector?: string | undefined;
  /** Ask for PartialObjectMetadataList: only metadata per item (counting, names). */
  metadataOnly?: boolean | undefined;
  limit?: number | undefined;
  continue?: string | undefined;
}

export type WatchEvent =
  | { type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK'; object: KubeObject }
  | { type: 'ERROR'; object: { code?: number; message?: string } };

export interface WatchHandle {
  stop(): void;
}

export interface K0rdentApiOptions {
  /** Per-request timeout (not for watches). */
  requestTimeoutMs?: number;
  /** Where a bare KubeConfig's identity counts its requests (default: a private registry). */
  metrics?: Registry;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/** Metadata-only answers (kube-apiserver's PartialObjectMetadata), with plain JSON as the fallback. */
const METADATA_LIST_ACCEPT = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json';

/** Which Events API a list reads: events.k8s.io/v1 (what kcm writes) or the core/v1 fallback. */
export type EventsApiVersion = 'events.k8s.io/v1' | 'v1';

export interface EventListRequest {
  namespace?: string | undefined;
  fieldSelector?: string | undefined;
  limit?: number | undefined;
  continue?: string | undefined;
}

interface Clients {
  k8s: ClientNode;
  kc: KubeConfig;
  custom: CustomObjectsApi;
  core: CoreV1Api;
  requestOptions: (signal: AbortSignal | undefined, timeoutMs: number) => ConfigurationOptions & { dispose(): void };
}

/** The clients for one call, with `options()`: the per-request deadline, disposed when the call settles. */
interface CallClients extends Clients {
  options(): ConfigurationOptions;
}

/** The resource's API group and version: k0rdent's unless it names another (get and apply serve both). */
function groupVersion(resource: K0rdentResource): { group: string; version: string } {
  return { group: resource.group ?? K0RDENT_GROUP, version: resource.version ?? K0RDENT_VERSION };
}

export class K0rdentApi {
  /** The identity whose requests these are; its caches (src/kube/identity.ts memo) are facts about it. */
  readonly identity: KubeIdentity;
  private readonly requestTimeoutMs: number;
  private clients: Promise<Clients> | undefined;

  /** `target`: a session's identity, or (tests) a ready KubeConfig, wrapped in an identity of its own. */
  constructor(target: KubeIdentity | KubeConfig, options: K0rdentApiOptions = {}) {
    this.identity = 'memo' in target ? target : kubeIdentity(target, options.metrics ?? new Registry());
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  }

  private ready(): Promise<Clients> {
    this.clients ??= (async () => {
      const [k8s, kc, { requestOptions }] = await Promise.all([
        loadClientNode(),
        this.identity.kubeConfig(),
        import('./request-options.js'),
      ]);
      return { k8s, kc, custom: kc.makeApiClient(k8s.CustomObjectsApi), core: kc.makeApiClient(k8s.CoreV1Api), requestOptions };
    })();
    // A failed load is retried by the next call.
    this.clients.catch(() => (this.clients = undefined));
    return this.clients;
  }

  /** `namespace`: of the object a write sends, so a webhook's missing-reference denial can say where it looked. */
  private async run<T>(
    action: string,
    call: CallOptions | undefined,
    fn: (clients: CallClients) => Promise<T>,
    namespace?: string,
  ): Promise<T> {
    const issued: (ConfigurationOptions & { dispose(): void })[] = [];
    try {
      const clients = await this.ready();
      return await fn({
        ...clients,
        options: () => {
          const options = clients.requestOptions(call?.signal, this.requestTimeoutMs);
          issued.push(options);
          return options;
        },
      });
    } catch (error) {
      if (call?.signal?.aborted)
        throw new AppError('unavailable', `${action}: cancelled by the caller`, { cancelled: true }, { cause: error });
      throw toAppError(error, { action, ...(namespace !== undefined ? { namespace } : {}) });
    } finally {
      for (const options of issued) options.dispose();
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
      ...(request.fieldSelector !== undefined ? { fieldSelector: request.fieldSelector } : {}),
      limit: request.limit,
      _continue: request.continue,
    };
    const body = (await this.run(`list ${resource.plural} in ${where}`, call, (c) => {
      const options = request.metadataOnly ? c.k8s.setHeaderOptions('Accept', METADATA_LIST_ACCEPT, c.options()) : c.options();
      return request.namespace === undefined
        ? c.custom.listClusterCustomObject(common, options)
        : c.custom.listNamespacedCustomObject({ ...common, namespace: request.namespace }, options);
    }).catch((error: unknown) => {
      // A continue token the API server cannot use (400 invalid, 410 expired) is the caller's to drop, not an outage to retry.
      const status = error instanceof AppError ? error.details?.httpStatus : undefined;
      if (request.continue !== undefined && (status === 400 || status === 410)) {
        throw new AppError(
          'invalidParams',
          `the continue token is invalid or expired (${error instanceof Error ? error.message : String(error)}); repeat the same query without \`continue\` to start over`,
          { httpStatus: status },
        );
      }
      throw error;
    })) as { items?: KubeObject[]; metadata?: { continue?: string; resourceVersion?: string } };
    const next = body.metadata?.continue;
    return {
      items: body.items ?? [],
      continue: next === undefined || next === '' ? undefined : next,
      resourceVersion: body.metadata?.resourceVersion,
    };
  }

  /** The object, or undefined on 404. */
  async get(resource: K0rdentResource, namespace: string, name: string, call?: CallOptions): Promise<KubeObject | undefined> {
    try {
      return (await this.run(`get ${resource.kind} ${namespace}/${name}`, call, (c) =>
        c.custom.getNamespacedCustomObject({ ...groupVersion(resource), plural: resource.plural, namespace, name }, c.options()),
      )) as KubeObject;
    } catch (error) {
      if (error instanceof AppError && error.code === 'notFound') return undefined;
      throw error;
    }
  }

  /**
   * Server-side apply (`application/apply-patch+yaml`) of a full object; `force` (default true) takes over
   * fields other managers own, `force: false` gets 409 when another manager owns a field with another value.
   */
  async apply(
    resource: K0rdentResource,
    object: KubeObject & { metadata: { name: string; namespace: string } },
    opts: { fieldManager: string; dryRun?: boolean; force?: boolean },
    call?: CallOptions,
  ): Promise<KubeObject> {
    const { name, namespace } = object.metadata;
    return (await this.run(
      `apply ${resource.kind} ${namespace}/${name}`,
      call,
      (c) =>
        c.custom.patchNamespacedCustomObject(
          {
            ...groupVersion(resource),
            plural: resource.plural,
            namespace,
            name,
            body: object,
            fieldManager: opts.fieldManager,
            force: opts.force ?? true,
            ...(opts.dryRun ? { dryRun: 'All' } : {}),
          },
          // Without this header client-node sends a JSON Patch.
          c.k8s.setHeaderOptions('Content-Type', c.k8s.PatchStrategy.ServerSideApply, c.options()),
        ),
      namespace,
    )) as KubeObject;
  }

  /**
   * POST of a new object: 409 AlreadyExists (`isAlreadyExists`) when the name is taken, never a change to
   * an existing object (kube-apiserver's create, k8s.io/apiserver pkg/registry/generic/registry/store.go Create).
   */
  async create(
    resource: K0rdentResource,
    object: KubeObject & { metadata: { name: string; namespace: string } },
    opts: { fieldManager: string; dryRun?: boolean },
    call?: CallOptions,
  ): Promise<KubeObject> {
    const { name, namespace } = object.metadata;
    return (await this.run(
      `create ${resource.kind} ${namespace}/${name}`,
      call,
      (c) =>
        c.custom.createNamespacedCustomObject(
          {
            group: K0RDENT_GROUP,
            version: K0RDENT_VERSION,
            plural: resource.plural,
            namespace,
            body: object,
            fieldManager: opts.fieldManager,
            ...(opts.dryRun ? { dryRun: 'All' } : {}),
          },
          c.options(),
        ),
      namespace,
    )) as KubeObject;
  }

  /**
   * DELETE with foreground propagation; `not_found` on 404. `preconditions.uid`: only that object — one
   * re-created under the same name meanwhile is a 409 (`isPreconditionFailed`), not deleted.
   */
  async delete(
    resource: K0rdentResource,
    namespace: string,
    name: string,
    call?: CallOptions,
    preconditions?: { uid?: string | undefined },
  ): Promise<'deleted' | 'not_found'> {
    try {
      await this.run(`delete ${resource.kind} ${namespace}/${name}`, call, (c) =>
        c.custom.deleteNamespacedCustomObject(
          {
            group: K0RDENT_GROUP,
            version: K0RDENT_VERSION,
            plural: resource.plural,
            namespace,
            name,
            propagationPolicy: 'Foreground',
            ...(preconditions?.uid !== undefined ? { body: { preconditions: { uid: preconditions.uid } } } : {}),
          },
          c.options(),
        ),
      );
      return 'deleted';
    } catch (error) {
      if (error instanceof AppError && error.code === 'notFound') return 'not_found';
      throw error;
    }
  }

  /** Sets annotations by JSON merge patch (RFC 7386); only metadata changes, not the generation. */
  async annotate(
    resource: K0rdentResource,
    namespace: string,
    name: string,
    annotations: Record<string, string>,
    call?: CallOptions,
  ): Promise<KubeObject> {
    return (await this.run(`annotate ${resource.kind} ${namespace}/${name}`, call, (c) =>
      c.custom.patchNamespacedCustomObject(
        { group: K0RDENT_GROUP, version: K0RDENT_VERSION, plural: resource.plural, namespace, name, body: { metadata: { annotations } } },
        c.k8s.setHeaderOptions('Content-Type', c.k8s.PatchStrategy.MergePatch, c.options()),
      ),
    )) as KubeObject;
  }

  /** Server-side apply of a cluster-scoped object (a MultiClusterService); as `apply`. */
  async applyClusterScoped(
    resource: K0rdentResource,
    object: KubeObject & { metadata: { name: string } },
    opts: { fieldManager: string; dryRun?: boolean; force?: boolean },
    call?: CallOptions,
  ): Promise<KubeObject> {
    return (await this.run(`apply ${resource.kind} ${object.metadata.name}`, call, (c) =>
      c.custom.patchClusterCustomObject(
        {
          group: K0RDENT_GROUP,
          version: K0RDENT_VERSION,
          plural: resource.plural,
          name: object.metadata.name,
          body: object,
          fieldManager: opts.fieldManager,
          force: opts.force ?? true,
          ...(opts.dryRun ? { dryRun: 'All' } : {}),
        },
        c.k8s.setHeaderOptions('Content-Type', c.k8s.PatchStrategy.ServerSideApply, c.options()),
      ),
    )) as KubeObject;
  }

  /** POST of a new cluster-scoped object: 409 AlreadyExists (`isAlreadyExists`) when the name is taken; as `create`. */
  async createClusterScoped(
    resource: K0rdentResource,
    object: KubeObject & { metadata: { name: string } },
    opts: { fieldManager: string; dryRun?: boolean },
    call?: CallOptions,
  ): Promise<KubeObject> {
    return (await this.run(`create ${resource.kind} ${object.metadata.name}`, call, (c) =>
      c.custom.createClusterCustomObject(
        {
          group: K0RDENT_GROUP,
          version: K0RDENT_VERSION,
          plural: resource.plural,
          body: object,
          fieldManager: opts.fieldManager,
          ...(opts.dryRun ? { dryRun: 'All' } : {}),
        },
        c.options(),
      ),
    )) as KubeObject;
  }

  /**
   * DELETE of a cluster-scoped object; `not_found` on 404. `preconditions`: only that object as it was read — a
   * change or a re-creation meanwhile is a 409 (`isPreconditionFailed`), nothing deleted.
   */
  async deleteClusterScoped(
    resource: K0rdentResource,
    name: string,
    opts: { uid?: string | undefined; resourceVersion?: string | undefined; dryRun?: boolean },
    call?: CallOptions,
  ): Promise<'deleted' | 'not_found'> {
    const preconditions = {
      ...(opts.uid !== undefined ? { uid: opts.uid } : {}),
      ...(opts.resourceVersion !== undefined ? { resourceVersion: opts.resourceVersion } : {}),
    };
    try {
      await this.run(`delete ${resource.kind} ${name}`, call, (c) =>
        c.custom.deleteClusterCustomObject(
          {
            group: K0RDENT_GROUP,
            version: K0RDENT_VERSION,
            plural: resource.plural,
            name,
            propagationPolicy: 'Foreground',
            ...(opts.dryRun ? { dryRun: 'All' } : {}),
            ...(Object.keys(preconditions).length > 0 ? { body: { preconditions } } : {}),
          },
          c.options(),
        ),
      );
      return 'deleted';
    } catch (error) {
      if (error instanceof AppError && error.code === 'notFound') return 'not_found';
      throw error;
    }
  }

  /** A cluster-scoped object (Management, ProviderTemplate, ...), or undefined on 404. */
  async getClusterScoped(resource: K0rdentResource, name: string, call?: CallOptions): Promise<KubeObject | undefined> {
    try {
      return (await this.run(`get ${resource.kind} ${name}`, call, (c) =>
        c.custom.getClusterCustomObject({ group: K0RDENT_GROUP, version: K0RDENT_VERSION, plural: resource.plural, name }, c.options()),
      )) as KubeObject;
    } catch (error) {
      if (error instanceof AppError && error.code === 'notFound') return undefined;
      throw error;
    }
  }

  /** One page of Events as `version` serves them, cluster-wide when `namespace` is undefined. */
  async listEvents(
    version: EventsApiVersion,
    request: EventListRequest,
    call?: CallOptions,
  ): Promise<{ items: unknown[]; continue: string | undefined }> {
    const where = request.namespace === undefined ? 'all namespaces' : `namespace ${request.namespace}`;
    const query = { fieldSelector: request.fieldSelector, limit: request.limit, _continue: request.continue };
    const body = await this.run(`list ${version === 'v1' ? 'core/v1' : version} events in ${where}`, call, async (c) => {
      const options = c.options();
      if (version === 'v1') {
        return request.namespace === undefined
          ? c.core.listEventForAllNamespaces(query, options)
          : c.core.listNamespacedEvent({ ...query, namespace: request.namespace }, options);
      }
      const events = c.kc.makeApiClient(c.k8s.EventsV1Api);
      return request.namespace === undefined
        ? events.listEventForAllNamespaces(query, options)
        : events.listNamespacedEvent({ ...query, namespace: request.namespace }, options);
    });
    const next = body.metadata?._continue;
    return { items: body.items, continue: next === undefined || next === '' ? undefined : next };
  }

  /** Every object of a kind, metadata-only, cluster-wide or in one namespace, in one unpaged LIST. */
  async listMetadata(resource: K0rdentResource, namespace: string | undefined, call?: CallOptions): Promise<KubeObject[]> {
    return (await this.list(resource, { namespace, metadataOnly: true }, call)).items;
  }

  /** Names of every namespace (needs cluster-wide `list namespaces`). */
  async listNamespaces(call?: CallOptions): Promise<string[]> {
    const body = await this.run('list namespaces', call, (c) => c.core.listNamespace({}, c.options()));
    return body.items.map((ns) => ns.metadata?.name).filter((n): n is string => typeof n === 'string');
  }

  /**
   * SelfSubjectRulesReview (authorization.k8s.io/v1): what this identity may do in `namespace`, as the API
   * server's authorizers enumerate it (`incomplete` when one of them cannot, e.g. a webhook authorizer).
   * Every authenticated user may create it (kube-apiserver's bootstrap ClusterRole system:basic-user).
   */
  async rulesReview(namespace: string, call?: CallOptions): Promise<RulesReview> {
    const body = await this.run(`review the permissions in namespace ${namespace}`, call, (c) =>
      c.kc
        .makeApiClient(c.k8s.AuthorizationV1Api)
        .createSelfSubjectRulesReview(
          { body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', spec: { namespace } } },
          c.options(),
        ),
    );
    return {
      rules: (body.status?.resourceRules ?? []).map((r) => ({
        verbs: r.verbs,
        apiGroups: r.apiGroups ?? [],
        resources: r.resources ?? [],
        ...(r.resourceNames && r.resourceNames.length > 0 ? { resourceNames: r.resourceNames } : {}),
      })),
      incomplete: body.status?.incomplete === true,
    };
  }

  /** SelfSubjectAccessReview (authorization.k8s.io/v1): may this identity do this one thing? */
  async accessReview(
    attributes: { verb: string; group: string; resource: string; namespace: string; name?: string | undefined },
    call?: CallOptions,
  ): Promise<boolean> {
    const body = await this.run(
      `review permission to ${attributes.verb} ${attributes.resource} in namespace ${attributes.namespace}`,
      call,
      (c) =>
        c.kc.makeApiClient(c.k8s.AuthorizationV1Api).createSelfSubjectAccessReview(
          {
            body: {
              apiVersion: 'authorization.k8s.io/v1',
              kind: 'SelfSubjectAccessReview',
              spec: {
                resourceAttributes: {
                  verb: attributes.verb,
                  group: attributes.group,
                  resource: attributes.resource,
                  namespace: attributes.namespace,
                  ...(attributes.name !== undefined ? { name: attributes.name } : {}),
                },
              },
            },
          },
          c.options(),
        ),
    );
    return body.status?.allowed === true;
  }

  /** A CustomResourceDefinition as served (its schema says which fields the installed version knows), or undefined on 404. */
  async getCustomResourceDefinition(name: string, call?: CallOptions): Promise<KubeObject | undefined> {
    try {
      return (await this.run(`get CustomResourceDefinition ${name}`, call, (c) =>
        c.kc.makeApiClient(c.k8s.ApiextensionsV1Api).readCustomResourceDefinition({ name }, c.options()),
      )) as unknown as KubeObject;
    } catch (error) {
      if (error instanceof AppError && error.code === 'notFound') return undefined;
      throw error;
    }
  }

  /** A ConfigMap's identity and data, or undefined on 404. */
  async getConfigMap(
    namespace: string,
    name: string,
    call?: CallOptions,
  ): Promise<{ uid?: string; resourceVersion?: string; data: Record<string, string> } | undefined> {
    try {
      const cm = await this.run(`get ConfigMap ${namespace}/${name}`, call, (c) =>
        c.core.readNamespacedConfigMap({ namespace, name }, c.options()),
      );
      return { uid: cm.metadata?.uid, resourceVersion: cm.metadata?.resourceVersion, data: cm.data ?? {} };
    } catch (error) {
      if (error instanceof AppError && error.code === 'notFound') return undefined;
      throw error;
    }
  }

  /** A ConfigMap's data, or undefined on 404. */
  async getConfigMapData(namespace: string, name: string, call?: CallOptions): Promise<Record<string, string> | undefined> {
    try {
      const cm = await this.run(`get ConfigMap ${namespace}/${name}`, call, (c) =>
        c.core.readNamespacedConfigMap({ namespace, name }, c.options()),
      );
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
    return this.watchNamespace(resource, namespace, name, resourceVersion, onEvent, onClose);
  }

  /** Like watchOne, for every object of the kind in `namespace` when `name` is undefined. */
  async watchNamespace(
    resource: K0rdentResource,
    namespace: string,
    name: string | undefined,
    resourceVersion: string | undefined,
    onEvent: (event: WatchEvent) => void,
    onClose: (error: AppError | undefined) => void,
  ): Promise<WatchHandle> {
    const path = `/apis/${K0RDENT_GROUP}/${K0RDENT_VERSION}/namespaces/${encodeURIComponent(namespace)}/${resource.plural}`;
    const action = `watch ${resource.kind} ${namespace}/${name ?? '*'}`;
    let closed = false;
    let failure: unknown;
    const close = (error: unknown): void => {
      if (error !== null && error !== undefined) failure ??= error;
      if (closed) return;
      closed = true;
      onClose(error === null || error === undefined ? undefined : toAppError(error, { action }));
    };
    // watch-stream imports request-options, which needs client-node's values: loaded here, not at startup.
    const [{ kc }, { openWatchStream }] = await Promise.all([this.ready(), import('./watch-stream.js')]);
    const started = performance.now();
    const info = requestInfo('GET', `${path}?watch=true`);
    // Our own stream (src/kube/watch-stream.ts): its opening has a deadline, client-node's Watch has none.
    const stream = await openWatchStream(
      kc,
      path,
      { ...(name !== undefined ? { fieldSelector: `metadata.name=${name}` } : {}), resourceVersion, allowWatchBookmarks: true },
      this.requestTimeoutMs,
      {
        onEvent: (type, object) => {
          if (!closed) onEvent({ type, object } as WatchEvent);
        },
        onClose: close,
        // Counted like the API clients' requests, timed to its answer.
        onStatus: (code) =>
          this.identity.metrics.observe(
            info.verb,
            info.resource,
            code === 'error' ? (httpCodeOf(failure) ?? 'error') : code,
            (performance.now() - started) / 1000,
          ),
      },
    );
    return {
      stop: () => {
        closed = true;
        stream.abort();
      },
    };
  }
}
