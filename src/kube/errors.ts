/**
 * The ONE mapping from Kubernetes client failures to AppError (docs/tools.md "Errors"): client-node
 * ApiException with a Status body (401/403/404/409/422, 5xx), admission-webhook denials (403, and kcm's
 * 404 for a reference that does not exist — both invalidParams), watch errors,
 * timeouts and connection failures. The API server's message is kept; tokens never appear in it.
 */
import { TOOL, toolRef, type ToolId } from '../tool-names.js';
import { AppError, isAppError, type ErrorCode } from '../errors.js';

/** The parts of a Kubernetes `Status` body this server reads. */
export interface KubeStatus {
  kind?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: { name?: string; kind?: string; causes?: { reason?: string; message?: string; field?: string }[] };
}

export interface KubeErrorInfo {
  /** HTTP status code, when there was an HTTP answer. */
  httpCode?: number;
  status?: KubeStatus;
  /** True for transport failures: refused/reset connections, DNS failures, timeouts, aborts. */
  transport?: boolean;
  aborted?: boolean;
  message: string;
}

function parseStatus(body: unknown): KubeStatus | undefined {
  let value: unknown = body;
  if (typeof body === 'string') {
    try {
      value = JSON.parse(body);
    } catch {
      return body.trim() === '' ? undefined : { message: body.slice(0, 500) };
    }
  }
  if (typeof value === 'object' && value !== null) return value as KubeStatus;
  return undefined;
}

const TRANSPORT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** Reads what is knowable from anything a client-node call can throw. */
export function describeKubeError(error: unknown): KubeErrorInfo {
  if (typeof error !== 'object' || error === null) return { message: String(error) };
  const e = error as {
    code?: unknown;
    body?: unknown;
    statusCode?: unknown;
    name?: unknown;
    type?: unknown;
    message?: unknown;
    cause?: unknown;
    errno?: unknown;
  };
  const message = typeof e.message === 'string' ? e.message : String(error);
  // ApiException: numeric `code` and the body (a JSON string in client-node 1.4; undefined for 401).
  if (typeof e.code === 'number') {
    return { httpCode: e.code, status: parseStatus(e.body), message };
  }
  // Watch failures: an Error with `statusCode`.
  if (typeof e.statusCode === 'number') return { httpCode: e.statusCode, message };
  if (e.name === 'AbortError' || e.type === 'aborted' || e.name === 'TimeoutError') {
    return { transport: true, aborted: true, message };
  }
  const errno =
    typeof e.code === 'string'
      ? e.code
      : typeof (e.cause as { code?: unknown } | undefined)?.code === 'string'
        ? (e.cause as { code: string }).code
        : undefined;
  if (e.type === 'system' || e.type === 'request-timeout' || (errno !== undefined && TRANSPORT_CODES.has(errno))) {
    return { transport: true, message };
  }
  return { message };
}

const WEBHOOK_DENIAL = /admission webhook .* denied the request/i;

function firstLine(text: string): string {
  return text.split('\n')[0]?.slice(0, 1000) ?? '';
}

export interface KubeErrorContext {
  /** What was being done, e.g. `get ClusterTemplate team-alpha/foo`. */
  action: string;
  /** The namespace of the object being written, when there is one (names where a missing reference was looked for). */
  namespace?: string;
}

/** The list tool that shows what exists, per kind a k0rdent webhook reports missing. */
const LIST_TOOL: Record<string, ToolId> = {
  ClusterTemplate: TOOL.clustersListTemplates,
  Credential: TOOL.clustersListCredentials,
  ServiceTemplate: TOOL.servicesListTemplates,
};

/**
 * kcm's webhook answers a reference it cannot find with the cache's NotFound as the admission status
 * (404, details {kind, name}; kcm internal/webhook/clusterdeployment_webhook.go:59-62, controller-runtime
 * validator_custom.go:146-147): the request names something that does not exist — the caller's to fix.
 */
function missingReference(
  status: KubeStatus | undefined,
  namespace: string | undefined,
): { text: string; missing: { kind: string; name: string } | undefined } {
  const kind = status?.details?.kind;
  const name = status?.details?.name;
  if (kind === undefined || name === undefined)
    return { text: '; the object it names does not exist: fix the reference and retry', missing: undefined };
  const clusterScoped = kind === 'Region' || kind === 'Management';
  const where = namespace !== undefined && !clusterScoped ? ` in namespace "${namespace}"` : '';
  const scope = LIST_TOOL[kind] !== undefined ? ' (a ClusterDeployment can only use one in its own namespace)' : '';
  const todo =
    LIST_TOOL[kind] !== undefined
      ? `list them with ${toolRef(LIST_TOOL[kind])} and name one that exists`
      : kind === 'Region'
        ? "it is the credential's spec.region: use a credential whose Region exists"
        : 'fix the reference and retry';
  return {
    text: `; the ${kind} "${name}" does not exist${where}${scope}: ${todo}`,
    missing: { kind, name },
  };
}

/** Maps a client failure to an AppError, keeping the API server's message. AppErrors pass through. */
export function toAppError(error: unknown, context: KubeErrorContext): AppError {
  if (isAppError(error)) return error;
  const info = describeKubeError(error);
  const serverMessage = info.status?.message;
  const withServer = (fallback: string): string =>
    serverMessage ? `${context.action}: ${serverMessage}` : `${context.action}: ${fallback}`;
  let code: ErrorCode;
  let message: string;
  let missing: { kind: string; name: string } | undefined;
  if (info.httpCode !== undefined) {
    const http = info.httpCode;
    if (http === 401) {
      code = 'unauthorized';
      message = withServer('the Kubernetes API rejected the credentials (401 Unauthorized); check the bearer token or kubeconfig');
    } else if (http === 403 && serverMessage !== undefined && WEBHOOK_DENIAL.test(serverMessage)) {
      code = 'invalidParams';
      message = `${context.action}: ${serverMessage}`;
    } else if (http === 404 && serverMessage !== undefined && WEBHOOK_DENIAL.test(serverMessage)) {
      // Not "the object is not found": the webhook did not find something the object refers to.
      code = 'invalidParams';
      const reference = missingReference(info.status, context.namespace);
      message = `${context.action}: ${serverMessage}${reference.text}`;
      if (reference.missing) missing = reference.missing;
    } else if (http === 403) {
      code = 'forbidden';
      message = withServer('the Kubernetes API denied the request (403 Forbidden); the identity in use lacks RBAC permission');
    } else if (http === 404) {
      code = 'notFound';
      message = withServer('not found (404)');
    } else if (http === 409) {
      code = 'conflict';
      message = withServer('conflict (409); re-read the object and retry');
    } else if (http === 400 || http === 422) {
      code = 'invalidParams';
      message = withServer(`the Kubernetes API rejected the request (${http})`);
    } else if (http === 410) {
      code = 'unavailable';
      message = withServer('the resource version is too old (410 Gone); retry');
    } else if (http === 429 || http >= 500) {
      code = 'unavailable';
      message = withServer(`the Kubernetes API is unavailable (${http}); retry later`);
    } else {
      code = 'internal';
      message = withServer(`unexpected HTTP ${http} from the Kubernetes API`);
    }
  } else if (info.aborted) {
    code = 'unavailable';
    message = `${context.action}: the Kubernetes API did not answer in time (request timed out or was cancelled)`;
  } else if (info.transport) {
    code = 'unavailable';
    message = `${context.action}: cannot reach the Kubernetes API (${firstLine(info.message)}); check that the management cluster is up and reachable`;
  } else {
    code = 'internal';
    message = `${context.action}: ${firstLine(info.message)}`;
  }
  const details: Record<string, unknown> = {};
  if (info.httpCode !== undefined) details.httpStatus = info.httpCode;
  if (info.status?.reason) details.reason = info.status.reason;
  if (missing) details.missing = missing;
  const causes = info.status?.details?.causes?.filter((c) => c.message || c.field);
  if (causes && causes.length > 0) details.causes = causes.map((c) => ({ field: c.field, message: c.message }));
  return new AppError(code, message, Object.keys(details).length > 0 ? details : undefined, { cause: error });
}

/** The HTTP code of a client failure, when it had one (404 checks and 403 fallbacks). */
export function httpCodeOf(error: unknown): number | undefined {
  return describeKubeError(error).httpCode;
}
