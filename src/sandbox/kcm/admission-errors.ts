/**
 * kcm's webhook errors as Go builds them, and how they become an admission answer.
 * - An error is its text plus the Kubernetes API status `errors.As(err, &apierrors.APIStatus)` would find
 *   in its chain: kcm wraps its cached client's NotFound with `fmt.Errorf("...: %w", err)` and
 *   `errors.Join`, and both keep the status reachable.
 * - controller-runtime v0.24.1 `pkg/webhook/admission/validator_custom.go:143-153` (and
 *   `defaulter_custom.go:135-141`): an error with an API status in its chain is answered with THAT status
 *   (`response.go:109-117` validationResponseFromStatus: its code, reason, details and message — the
 *   wrapping text is lost); any other error is `Denied(err.Error())`: 403 Forbidden (`response.go:63-83`).
 *   The warnings go with either answer (`.WithWarnings(warnings...)`).
 * - The cached client's NotFound names the Kind, not the resource (controller-runtime v0.24.1
 *   `pkg/cache/internal/cache_reader.go:74-79`), as apimachinery formats it (`pkg/api/errors/errors.go:145-157`
 *   NewNotFound: `<Kind>.<group> "<name>" not found`, details {group, kind, name}).
 * - kube-apiserver prefixes the webhook's message (k8s.io/apiserver v0.34.4
 *   `pkg/admission/plugin/webhook/errors/statuserror.go:28-57` ToStatusErr: `admission webhook "<name>"
 *   denied the request: <message>`, code kept when >= 400).
 */
import type { AdmissionResult, KubeObject, ResourceKey } from '../apiserver/types.js';
import type { KcmReader } from './api.js';
import { K0RDENT_GROUP } from './resources.js';

export interface ApiStatus {
  code: number;
  reason: string;
  message: string;
  /** metav1.StatusDetails: `name` and `group` are omitempty, so an empty one is not written. */
  details: { name?: string; group?: string; kind: string; causes?: { reason: string; message: string; field: string }[] };
}

/** A Go error: its Error() text and the API status in its chain, if any. */
export interface KcmError {
  message: string;
  status?: ApiStatus;
}

export const plain = (message: string): KcmError => ({ message });

/** apierrors.NewNotFound as the cached client calls it: GroupResource{group, Kind}. metav1.StatusDetails' `name` and
 * `group` are omitempty, so the core group's details name none. */
export function notFound(kind: string, name: string, group = K0RDENT_GROUP): KcmError {
  const message = `${kind}${group ? `.${group}` : ''} "${name}" not found`;
  const details = { ...(name !== '' ? { name } : {}), ...(group !== '' ? { group } : {}), kind };
  return { message, status: { code: 404, reason: 'NotFound', message, details } };
}

/** fmt.Errorf("<prefix>: %w", err). */
export function wrap(prefix: string, err: KcmError): KcmError {
  return { message: `${prefix}: ${err.message}`, ...(err.status ? { status: err.status } : {}) };
}

/** errors.Join: nil when all are nil; texts joined by newlines; errors.As finds the first status depth-first. */
export function join(...errs: (KcmError | undefined)[]): KcmError | undefined {
  const present = errs.filter((e): e is KcmError => e !== undefined);
  if (present.length === 0) return undefined;
  const status = present.find((e) => e.status)?.status;
  return { message: present.map((e) => e.message).join('\n'), ...(status ? { status } : {}) };
}

/** The answer to a failed check, as controller-runtime builds it and kube-apiserver reports it. */
export function denial(webhook: string, err: KcmError, warnings: string[] = []): AdmissionResult {
  const prefix = `admission webhook "${webhook}" denied the request: `;
  const w = warnings.length > 0 ? { warnings } : {};
  if (err.status) {
    return {
      allowed: false,
      code: err.status.code,
      reason: err.status.reason,
      message: prefix + err.status.message,
      details: err.status.details,
      ...w,
    };
  }
  return { allowed: false, code: 403, reason: 'Forbidden', message: prefix + err.message, ...w };
}

/** A cached Get (`client.Get` through the manager's cache): the object, or the cache's NotFound. */
export function getOrNotFound(
  store: KcmReader,
  resource: ResourceKey,
  kind: string,
  namespace: string | undefined,
  name: string,
): { object: KubeObject } | { error: KcmError } {
  const object = store.get(resource, namespace, name);
  return object ? { object } : { error: notFound(kind, name) };
}

/** Go's %v of a []string. */
export const goList = (items: string[]): string => `[${items.join(' ')}]`;

/** client.ObjectKey's String() (apimachinery v0.34.4 `pkg/types/namespacedname.go:37-39`): "namespace/name", "/name" when cluster-scoped. */
export const objectKey = (namespace: string | undefined, name: string): string => `${namespace ?? ''}/${name}`;

/**
 * apierrors.NewInvalid(GroupKind, name, field.ErrorList{field.Forbidden(path, detail)}) (apimachinery v0.34.4
 * `pkg/api/errors/errors.go` NewInvalid; `pkg/util/validation/field/errors.go` ErrorBody): 422 with the field error as
 * its one cause.
 */
export function invalidForbidden(kind: string, name: string, field: string, detail: string): KcmError {
  const body = `Forbidden: ${detail}`;
  const message = `${kind}.${K0RDENT_GROUP} "${name}" is invalid: ${field}: ${body}`;
  return {
    message,
    status: {
      code: 422,
      reason: 'Invalid',
      message,
      details: { name, group: K0RDENT_GROUP, kind, causes: [{ reason: 'FieldValueForbidden', message: body, field }] },
    },
  };
}
