/**
 * Contracts inside the sandbox: the in-memory object store that the API server serves, and the
 * hooks through which the simulated kcm (src/sandbox/kcm) takes part — admission on writes and a
 * controller that reacts to store events. The sandbox never imports product code.
 */

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: OwnerReference[];
  managedFields?: unknown[];
  [key: string]: unknown;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

/** A served resource. group is '' for the core group. */
export interface ResourceKey {
  group: string;
  version: string;
  plural: string;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: WatchEventType;
  resource: ResourceKey;
  object: KubeObject;
  /** The object before this change (MODIFIED/DELETED); lets selector-filtered watches turn transitions into ADDED/DELETED. */
  oldObject?: KubeObject;
}

export type AdmissionOperation = 'CREATE' | 'UPDATE' | 'DELETE';

export interface AdmissionRequest {
  operation: AdmissionOperation;
  resource: ResourceKey;
  /** The object as it would be stored (CREATE/UPDATE). */
  object?: KubeObject;
  /** The stored object (UPDATE/DELETE). */
  oldObject?: KubeObject;
  dryRun: boolean;
  /** The authenticated user name ('system:admin' without --tokens). */
  user: string;
}

/**
 * `warnings` are the webhook's admission warnings: the API server sends them as `Warning: 299 - "…"`
 * headers, with an allowed answer and with a denial alike (k8s.io/apiserver v0.34.4
 * `pkg/admission/plugin/webhook/validating/dispatcher.go:326-328`, `mutating/dispatcher.go:325-327`).
 */
export type AdmissionResult =
  | { allowed: true; /** mutated object to store instead (mutating webhook) */ object?: KubeObject; warnings?: string[] }
  | {
      allowed: false;
      /** HTTP code: 403 for a plain webhook denial, the status's own code (e.g. 404) when the webhook answered with one */
      code: number;
      reason: string;
      message: string;
      /** The status details the webhook answered with (a NotFound names group, kind and name); else the API server's own */
      details?: { name?: string; group?: string; kind?: string; causes?: { reason?: string; message: string; field?: string }[] };
      warnings?: string[];
    };

/**
 * Runs synchronously inside the write path. Mutating hooks run before schema (and CEL) validation and may
 * return the object to store; validating hooks run after it, on the final object, and only allow or deny —
 * kube-apiserver's chain (k8s.io/apiserver pkg/endpoints/handlers/create.go, update.go).
 */
export type AdmissionHook = (request: AdmissionRequest, store: Store) => AdmissionResult;

/** Which phase of the admission chain a hook belongs to. */
export type AdmissionPhase = 'mutating' | 'validating';

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
}

/**
 * The in-memory state. Methods here act as the system (no auth, no admission); the HTTP layer adds
 * auth, validation and admission on top. Every persisted write bumps the global resourceVersion and
 * emits one StoreEvent; a write that changes nothing persists nothing and emits nothing.
 */
export interface Store {
  get(resource: ResourceKey, namespace: string | undefined, name: string): KubeObject | undefined;
  list(resource: ResourceKey, options?: ListOptions): KubeObject[];
  /** Assigns uid, resourceVersion, generation, creationTimestamp. Throws ApiError 409 AlreadyExists if it exists. */
  create(resource: ResourceKey, object: KubeObject): KubeObject;
  /**
   * Replaces the stored object (metadata.resourceVersion in `object` is ignored; uid, creationTimestamp
   * and deletionTimestamp are kept). Bumps generation when anything outside metadata and status changes.
   * Throws ApiError 404 when missing. A write that changes nothing returns the stored object as is.
   */
  update(resource: ResourceKey, object: KubeObject): KubeObject;
  /** Replaces only `.status` of the stored object; no generation bump. */
  updateStatus(resource: ResourceKey, namespace: string | undefined, name: string, status: unknown): KubeObject;
  /**
   * Deletes as the API server would: sets deletionTimestamp while finalizers remain (the garbage
   * collector and controllers remove them), removes the object once none remain.
   * Returns the object if it still exists (terminating), undefined once it is gone; throws an
   * ApiError (404 NotFound, see ./errors.ts) when it does not exist. Dependents (ownerReferences)
   * are deleted too (Orphan strips their ownerReferences instead). Removing the last finalizer with
   * update() of a terminating object removes it.
   */
  delete(
    resource: ResourceKey,
    namespace: string | undefined,
    name: string,
    propagationPolicy?: 'Foreground' | 'Background' | 'Orphan',
  ): KubeObject | undefined;
  /**
   * Subscribe to persisted changes; returns an unsubscribe function. Listeners run synchronously in
   * resourceVersion order; event objects are the stored ones — read them, never mutate them.
   */
  subscribe(listener: (event: StoreEvent) => void): () => void;
  /**
   * Register a mutating admission hook for a resource (matched on group + plural): it runs before schema
   * validation (after managedFields are computed, so its changes are not attributed to any manager, as on
   * kube-apiserver) and may return the object to store instead. Hooks chain in registration order.
   */
  registerMutatingAdmission(resource: Pick<ResourceKey, 'group' | 'plural'>, hook: AdmissionHook): void;
  /**
   * Register a validating admission hook (matched on group + plural): it runs after schema and CEL
   * validation on the final object and may only allow or deny. DELETE runs only validating hooks.
   */
  registerValidatingAdmission(resource: Pick<ResourceKey, 'group' | 'plural'>, hook: AdmissionHook): void;
  /** The current global resourceVersion. */
  currentResourceVersion(): string;
}
