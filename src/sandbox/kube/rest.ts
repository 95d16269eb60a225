/**
 * A small JSON REST client for a real Kubernetes API server, authenticated by client-node's KubeConfig
 * (CA, bearer token, client certificates). The sandbox's kube attachment uses it for the writes of the
 * simulated kcm, the seed and the webhook registration; watches go through client-node's Watch.
 */
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { request as httpRequest } from 'node:http';
import type { KubeConfig } from '@kubernetes/client-node';
import type { KubeObject, ResourceKey } from '../apiserver/types.js';

export class KubeApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly body: unknown,
  ) {
    super(message);
    this.name = 'KubeApiError';
  }
}

export interface RequestSpec {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string | undefined>;
  body?: unknown;
  /** Content type of the body; default application/json. */
  contentType?: string;
  /** Accept header; default application/json. */
  accept?: string;
}

export interface RestResponse {
  status: number;
  body: unknown;
  headers: Record<string, string | string[] | undefined>;
}

/** /api/v1 or /apis/<group>/<version>, then the namespace and the plural. */
export function resourcePath(resource: ResourceKey, namespace: string | undefined, name?: string, subresource?: string): string {
  const base = resource.group === '' ? `/api/${resource.version}` : `/apis/${resource.group}/${resource.version}`;
  const ns = namespace !== undefined ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  const tail = name !== undefined ? `/${encodeURIComponent(name)}${subresource ? `/${subresource}` : ''}` : '';
  return `${base}${ns}/${resource.plural}${tail}`;
}

const REQUEST_TIMEOUT_MS = 30_000;

export class KubeRest {
  readonly server: string;

  constructor(readonly kubeConfig: KubeConfig) {
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    this.server = cluster.server.replace(/\/$/, '');
  }

  /** Any answer, 4xx/5xx included; rejects only when no answer came. */
  async raw(spec: RequestSpec): Promise<RestResponse> {
    const url = new URL(this.server + spec.path);
    for (const [k, v] of Object.entries(spec.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    const payload = spec.body === undefined ? undefined : Buffer.from(JSON.stringify(spec.body));
    const options: RequestOptions = {
      method: spec.method,
      headers: {
        Accept: spec.accept ?? 'application/json',
        ...(payload ? { 'Content-Type': spec.contentType ?? 'application/json', 'Content-Length': String(payload.length) } : {}),
      },
    };
    await this.kubeConfig.applyToHTTPSOptions(options);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<RestResponse>((resolve, reject) => {
      const req = send(url, options, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          try {
            body = text === '' ? undefined : JSON.parse(text);
          } catch {
            // not JSON: keep the text
          }
          resolve({ status: res.statusCode ?? 0, body, headers: res.headers });
        });
      });
      req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`${spec.method} ${spec.path}: no answer in ${REQUEST_TIMEOUT_MS}ms`)));
      req.on('error', reject);
      if (payload) req.write(payload);
      req.end();
    });
  }

  /** The body of a 2xx answer; a KubeApiError with the Status reason otherwise. */
  async json<T = unknown>(spec: RequestSpec): Promise<T> {
    const res = await this.raw(spec);
    if (res.status >= 200 && res.status < 300) return res.body as T;
    const status = (typeof res.body === 'object' && res.body !== null ? res.body : {}) as { reason?: string; message?: string };
    throw new KubeApiError(
      res.status,
      status.reason ?? '',
      `${spec.method} ${spec.path}: ${res.status} ${status.message ?? String(res.body)}`,
      res.body,
    );
  }

  get(resource: ResourceKey, namespace: string | undefined, name: string): Promise<KubeObject> {
    return this.json<KubeObject>({ method: 'GET', path: resourcePath(resource, namespace, name) });
  }

  create(resource: ResourceKey, object: KubeObject, fieldManager: string): Promise<KubeObject> {
    return this.json<KubeObject>({
      method: 'POST',
      path: resourcePath(resource, object.metadata.namespace),
      query: { fieldManager },
      body: object,
    });
  }

  replace(resource: ResourceKey, object: KubeObject, fieldManager: string): Promise<KubeObject> {
    const path = resourcePath(resource, object.metadata.namespace, object.metadata.name);
    return this.json<KubeObject>({ method: 'PUT', path, query: { fieldManager }, body: object });
  }

  /** Sets `.status` whole through the status subresource (a JSON Patch `add` replaces an existing member). */
  replaceStatus(
    resource: ResourceKey,
    namespace: string | undefined,
    name: string,
    status: unknown,
    fieldManager: string,
  ): Promise<KubeObject> {
    return this.json<KubeObject>({
      method: 'PATCH',
      path: resourcePath(resource, namespace, name, 'status'),
      query: { fieldManager },
      contentType: 'application/json-patch+json',
      body: [{ op: 'add', path: '/status', value: status ?? {} }],
    });
  }
}
