/**
 * Plain GETs of any API path as one Kubernetes identity: JSON objects of any group (Cluster API, Flux,
 * providers' kinds, discovery) and text (`pods/log`). The generated clients of client-node know neither
 * aggregated discovery nor arbitrary kinds; this uses the KubeConfig's own request options (agent, CA,
 * client certificate, bearer token) as ./watch-stream.ts does, with a deadline, the caller's cancellation,
 * a cap on the bytes read, and the request counted in kube_api_requests_total. A connection reset before the
 * answer is retried once (./read-retry.ts). Failures leave as AppErrors through the one mapping (./errors.ts).
 */
import http from 'node:http';
import https from 'node:https';
import { AppError } from '../errors.js';
import { toAppError } from './errors.js';
import type { KubeIdentity } from './identity.js';
import { requestDeadline } from './deadline.js';
import { requestInfo } from './request-info.js';
import { mayRetryRead } from './read-retry.js';

export interface RawGetOptions {
  query?: Record<string, string | number | boolean | undefined>;
  accept?: string;
  signal?: AbortSignal | undefined;
  timeoutMs: number;
  /** Bytes read at most; the rest of the body is dropped and `truncated` set. */
  maxBytes?: number;
  /** What the request does, for error messages (`get Cluster team-alpha/x`). */
  action: string;
}

export interface RawAnswer {
  status: number;
  contentType: string;
  body: string;
  /** The body was longer than maxBytes. */
  truncated: boolean;
}

const DEFAULT_MAX_BYTES = 8 * 1024 * 1024;

/** One GET; a non-2xx answer throws the mapped AppError (404 → notFound). */
export async function rawGet(identity: KubeIdentity, path: string, options: RawGetOptions): Promise<RawAnswer> {
  const kc = await identity.kubeConfig();
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new AppError('internal', `${options.action}: the kubeconfig has no current cluster`);
  const url = new URL(cluster.server.replace(/\/+$/, '') + path);
  for (const [key, value] of Object.entries(options.query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value));
  const init = await kc.applyToFetchOptions({});
  const headers: Record<string, string> = {};
  (init.headers as Headers | undefined)?.forEach((value, key) => (headers[key] = value));
  headers['accept'] = options.accept ?? 'application/json';
  const deadline = requestDeadline(options.signal, options.timeoutMs, options.action);
  const info = requestInfo('GET', url.pathname + url.search);
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  let started = performance.now();
  let observed = false;
  const observe = (code: number | 'error'): void => {
    if (observed) return;
    observed = true;
    identity.metrics.observe(info.verb, info.resource, code, (performance.now() - started) / 1000);
  };
  /** Set once response headers are in: an error after them is not retried (part of the answer was read). */
  let answeredHeaders = false;
  const attempt = (): Promise<RawAnswer> =>
    new Promise<RawAnswer>((resolve, reject) => {
      const transport = url.protocol === 'https:' ? https : http;
      const request = transport.request(url, {
        method: 'GET',
        headers,
        agent: init.agent as http.Agent | undefined,
        signal: deadline.signal,
      });
      request.on('error', (error) =>
        reject(deadline.signal.aborted && deadline.signal.reason instanceof Error ? deadline.signal.reason : error),
      );
      request.on('response', (response) => {
        answeredHeaders = true;
        const chunks: Buffer[] = [];
        let size = 0;
        let truncated = false;
        response.on('data', (chunk: Buffer) => {
          if (truncated) return;
          if (size + chunk.length > maxBytes) {
            chunks.push(chunk.subarray(0, maxBytes - size));
            size = maxBytes;
            truncated = true;
            // Enough read: the rest is not wanted (a log can be large).
            response.destroy();
            resolve(done());
            return;
          }
          chunks.push(chunk);
          size += chunk.length;
        });
        const done = (): RawAnswer => ({
          status: response.statusCode ?? 0,
          contentType: String(response.headers['content-type'] ?? ''),
          body: Buffer.concat(chunks).toString('utf8'),
          truncated,
        });
        response.on('end', () => resolve(done()));
        response.on('error', (error) => (truncated ? undefined : reject(error)));
        response.on('close', () => (truncated ? undefined : resolve(done())));
      });
      request.end();
    });
  try {
    const answer = await attempt().catch((error: unknown) => {
      if (answeredHeaders || !mayRetryRead('GET', error, deadline.signal)) throw error;
      identity.metrics.observe(info.verb, info.resource, 'error', (performance.now() - started) / 1000);
      identity.metrics.retried(info.verb, info.resource);
      started = performance.now();
      return attempt();
    });
    observe(answer.status);
    if (answer.status < 200 || answer.status >= 300) {
      // The shape toAppError reads from client-node's ApiException: numeric code and the Status body.
      throw Object.assign(new Error(`HTTP ${answer.status}`), { code: answer.status, body: answer.body });
    }
    return answer;
  } catch (error) {
    observe('error');
    if (options.signal?.aborted)
      throw new AppError('unavailable', `${options.action}: cancelled by the caller`, { cancelled: true }, { cause: error });
    throw toAppError(error, { action: options.action });
  } finally {
    deadline.dispose();
  }
}

/** GET of a JSON document; undefined on 404 when `missingOk`. */
export async function rawGetJson<T>(identity: KubeIdentity, path: string, options: RawGetOptions): Promise<T> {
  const answer = await rawGet(identity, path, options);
  try {
    return JSON.parse(answer.body) as T;
  } catch (error) {
    throw new AppError('internal', `${options.action}: the API answered something that is not JSON`, undefined, { cause: error });
  }
}
