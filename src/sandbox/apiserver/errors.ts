/**
 * Kubernetes `Status` errors. Every failure the sandbox API server returns is an ApiError rendered as a
 * metav1.Status body, worded like the real API server so clients (kubectl, client-node) react the same way.
 */

export interface StatusCause {
  reason?: string;
  message: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface StatusBody {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toStatus(): StatusBody {
    return statusBody(this.code, this.reason, this.message, this.details);
  }
}

export function statusBody(code: number, reason: string, message: string, details?: StatusDetails): StatusBody {
  const body: StatusBody = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
  // metav1.StatusDetails.group is omitempty: the core group is not written (kube-apiserver omits it).
  if (details) {
    const { group, ...rest } = details;
    body.details = group ? { ...rest, group } : rest;
  }
  return body;
}

/** `<plural>.<group>` as the API server names a resource in messages ("clusterdeployments.k0rdent.mirantis.com"). */
export function qualifiedResource(group: string, plural: string): string {
  return group ? `${plural}.${group}` : plural;
}

export function notFound(group: string, plural: string, name: string): ApiError {
  return new ApiError(404, 'NotFound', `${qualifiedResource(group, plural)} "${name}" not found`, { name, group, kind: plural });
}

export function alreadyExists(group: string, plural: string, name: string): ApiError {
  return new ApiError(409, 'AlreadyExists', `${qualifiedResource(group, plural)} "${name}" already exists`, { name, group, kind: plural });
}

export function conflict(group: string, plural: string, name: string, why: string): ApiError {
  return new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedResource(group, plural)} "${name}": ${why}`, {
    name,
    group,
    kind: plural,
  });
}

export function badRequest(message: string): ApiError {
  return new ApiError(400, 'BadRequest', message);
}

export function notFoundResource(): ApiError {
  return new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
}

/** kube-apiserver's 405 for a method no route serves (k8s.io/apimachinery pkg/api/errors/errors.go:474 NewGenericServerResponse), without the method. */
export function methodNotAllowed(_method: string): ApiError {
  return new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {});
}

export function unsupportedMediaType(supported: string[]): ApiError {
  return new ApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${supported.join(', ')}`,
  );
}

/** 422 Invalid, as the API server words a validation failure of `<Kind>.<group> "<name>"`. */
export function invalid(kind: string, group: string, name: string, causes: StatusCause[]): ApiError {
  const qualified = group ? `${kind}.${group}` : kind;
  // utilerrors.NewAggregate's Error(): identical messages once, brackets only for several
  // (k8s.io/apimachinery pkg/util/errors/errors.go aggregate.Error).
  const parts = [...new Set(causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message)))];
  const summary = parts.length === 1 ? parts[0]! : `[${parts.join(', ')}]`;
  return new ApiError(422, 'Invalid', `${qualified} "${name}" is invalid: ${summary}`, { name, group, kind, causes });
}

export function forbidden(message: string, details: StatusDetails): ApiError {
  return new ApiError(403, 'Forbidden', message, details);
}

export function unauthorized(): ApiError {
  return new ApiError(401, 'Unauthorized', 'Unauthorized');
}

export function expired(message: string): ApiError {
  return new ApiError(410, 'Expired', message);
}

export function internalError(message: string): ApiError {
  return new ApiError(500, 'InternalError', `Internal error occurred: ${message}`);
}
