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

// kube-apiserver's limits on Warning headers (k8s.io/apiserver v0.34.4 pkg/endpoints/filters/warning.go:39-42).
const TRUNCATE_AT_TOTAL_RUNES = 4 * 1024;
const TRUNCATE_ITEM_RUNES = 256;

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** `299 - "<text>"` (apimachinery v0.34.4 pkg/util/net/http.go:655-698 NewWarningHeader), or undefined for a text it refuses. */
function warningHeader(text: string): string | undefined {
  if (CONTROL.test(text)) return undefined;
  // Go writes the text's UTF-8 bytes; Node writes header strings as latin1, one byte per char.
  return Buffer.from(`299 - "${text.replace(/["\\]/g, (c) => `\\${c}`)}"`, 'utf8').toString('latin1');
}

/**
 * The Warning headers kube-apiserver writes for the texts recorded in this order (k8s.io/apiserver v0.34.4
 * pkg/endpoints/filters/warning.go:69-140 recorder.AddWarning): each text once; once the texts written pass
 * 4096 runes in all, every text is cut to 256 runes and the headers are written again from the first, and texts
 * are added (cut) until 4096 runes are written; lengths count runes of the unescaped text.
 */
export function warningHeaders(texts: readonly string[]): string[] {
  const recorded = new Set<string>();
  const ordered: string[] = [];
  let headers: string[] = [];
  let written = 0;
  let truncating = false;
  const cut = (text: string): string => {
    const runes = [...text];
    return runes.length > TRUNCATE_ITEM_RUNES ? runes.slice(0, TRUNCATE_ITEM_RUNES).join('') : text;
  };
  for (const original of texts) {
    if (original.length === 0) continue;
    if (written >= TRUNCATE_AT_TOTAL_RUNES && truncating) break;
    if (recorded.has(original)) continue;
    recorded.add(original);
    ordered.push(original);
    const text = truncating ? cut(original) : original;
    const runes = [...text].length;
    const header = warningHeader(text);
    if (header === undefined) continue;
    if (written + runes <= TRUNCATE_AT_TOTAL_RUNES || truncating) {
      written += runes;
      headers.push(header);
      continue;
    }
    truncating = true;
    written = 0;
    headers = [];
    for (const earlier of ordered) {
      const short = cut(earlier);
      const replayed = warningHeader(short);
      if (replayed === undefined) continue;
      written += [...short].length;
      headers.push(replayed);
    }
  }
  return headers;
}

/** The request's Warning headers, as kube-apiserver's warning recorder writes them (warningHeaders). */
function setWarnings(ctx: RequestContext): void {
  const headers = warningHeaders(ctx.warnings);
  if (headers.length > 0) ctx.res.setHeader('Warning', headers);
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
