/** Request/response plumbing for the sandbox API server: bodies, media types, JSON and Status replies. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { ApiError, badRequest } from './errors.js';
import type { User } from './auth.js';
import { decodeProtobuf, PROTOBUF } from './protobuf.js';

export const MAX_BODY_BYTES = 3 * 1024 * 1024;

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  query: URLSearchParams;
  user: User;
  /** Warning headers (299) to attach to the response. */
  warnings: string[];
  /** Labels for apiserver_request_total. */
  verb: string;
  resource: string;
}

/** The media type without parameters, lower-cased ('' when absent). */
export function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0]!.trim().toLowerCase();
}

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES) throw new ApiError(413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728');
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

/** Parses a JSON (or YAML, for apply patches and application/yaml) body; 400 BadRequest when malformed. */
export function parseBody(body: Buffer, type: string, what: string): unknown {
  if (type === PROTOBUF && body.length > 0) return decodeProtobuf(body);
  const text = body.toString('utf8');
  if (text.trim().length === 0) throw badRequest(`the body of the request was empty: ${what} requires a body`);
  try {
    if (type === 'application/yaml' || type === 'application/apply-patch+yaml') return parseYaml(text, { strict: true, uniqueKeys: true });
    return JSON.parse(text) as unknown;
  } catch (err) {
    const reason = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw badRequest(
      `the object provided is unrecognized (must be of type ${what}): couldn't get version/kind; json parse error: ${reason}`,
    );
  }
}

/**
 * The Warning headers as kube-apiserver writes them (k8s.io/apiserver v0.34.4
 * `pkg/endpoints/filters/warning.go:69-112`: each text once, in order; apimachinery v0.34.4
 * `pkg/util/net/http.go:655-698` NewWarningHeader: `299 - "<text>"` with `"` and `\` escaped, a text
 * with control characters dropped).
 */
function setWarnings(ctx: RequestContext): void {
  // eslint-disable-next-line no-control-regex
  const texts = [...new Set(ctx.warnings)].filter((w) => w !== '' && !/[\u0000-\u001f\u007f-\u009f]/.test(w));
  if (texts.length > 0) {
    // Go writes the text's UTF-8 bytes; Node writes header strings as latin1, one byte per char.
    ctx.res.setHeader(
      'Warning',
      texts.map((w) => Buffer.from(`299 - "${w.replace(/["\\]/g, (c) => `\\${c}`)}"`, 'utf8').toString('latin1')),
    );
  }
}

export function sendJson(ctx: RequestContext, code: number, body: unknown, contentType = 'application/json'): void {
  sendRaw(ctx, code, JSON.stringify(body), contentType);
}

export function sendRaw(ctx: RequestContext, code: number, text: string, contentType = 'application/json'): void {
  if (ctx.res.headersSent) {
    ctx.res.end();
    return;
  }
  setWarnings(ctx);
  ctx.res.statusCode = code;
  ctx.res.setHeader('Content-Type', contentType);
  ctx.res.setHeader('Cache-Control', 'no-cache, private');
  ctx.res.end(text);
}

export function sendError(ctx: RequestContext, err: ApiError): void {
  sendJson(ctx, err.code, err.toStatus());
}

export function truthy(value: string | null): boolean {
  return value !== null && value !== 'false' && value !== '0';
}
