/**
 * Just enough Kubernetes protobuf to read what kubectl sends for built-in kinds (kubectl ≥1.30 writes
 * Namespace/ConfigMap/Secret/DeleteOptions/SelfSubjectAccessReview/SelfSubjectRulesReview/SelfSubjectReview bodies as
 * `application/vnd.kubernetes.protobuf`). Decodes the `k8s\0` envelope and those messages into the JSON
 * shape; responses stay JSON (client-go decodes by the response Content-Type).
 */
import { badRequest } from './errors.js';

export const PROTOBUF = 'application/vnd.kubernetes.protobuf';

type Fields = Map<number, (bigint | Buffer)[]>;

function readVarint(buf: Buffer, pos: { i: number }): bigint {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    if (pos.i >= buf.length) throw new Error('truncated varint');
    const b = buf[pos.i++]!;
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return result;
    shift += 7n;
  }
}

function parseFields(buf: Buffer): Fields {
  const fields: Fields = new Map();
  const pos = { i: 0 };
  while (pos.i < buf.length) {
    const tag = Number(readVarint(buf, pos));
    const field = tag >> 3;
    const wire = tag & 7;
    let value: bigint | Buffer;
    if (wire === 0) value = readVarint(buf, pos);
    else if (wire === 2) {
      const len = Number(readVarint(buf, pos));
      value = buf.subarray(pos.i, pos.i + len);
      pos.i += len;
    } else if (wire === 1) {
      value = buf.subarray(pos.i, pos.i + 8);
      pos.i += 8;
    } else if (wire === 5) {
      value = buf.subarray(pos.i, pos.i + 4);
      pos.i += 4;
    } else throw new Error(`unsupported wire type ${wire}`);
    const list = fields.get(field) ?? [];
    list.push(value);
    fields.set(field, list);
  }
  return fields;
}

const str = (f: Fields, n: number): string | undefined => {
  const v = f.get(n)?.at(-1);
  return Buffer.isBuffer(v) ? v.toString('utf8') : undefined;
};
const strs = (f: Fields, n: number): string[] => (f.get(n) ?? []).filter(Buffer.isBuffer).map((b) => b.toString('utf8'));
const msg = (f: Fields, n: number): Fields | undefined => {
  const v = f.get(n)?.at(-1);
  return Buffer.isBuffer(v) ? parseFields(v) : undefined;
};
const int = (f: Fields, n: number): number | undefined => {
  const v = f.get(n)?.at(-1);
  return typeof v === 'bigint' ? Number(v) : undefined;
};
const bool = (f: Fields, n: number): boolean | undefined => {
  const v = int(f, n);
  return v === undefined ? undefined : v !== 0;
};

function map(f: Fields, n: number, bytesValue = false): Record<string, string> | undefined {
  const entries = f.get(n);
  if (!entries) return undefined;
  const out: Record<string, string> = {};
  for (const e of entries) {
    if (!Buffer.isBuffer(e)) continue;
    const kv = parseFields(e);
    const raw = kv.get(2)?.at(-1);
    out[str(kv, 1) ?? ''] = Buffer.isBuffer(raw) ? (bytesValue ? raw.toString('base64') : raw.toString('utf8')) : '';
  }
  return out;
}

/** Sets a field unless absent; gogo-protobuf writes empty strings for unset optional strings. */
function set<T>(obj: Record<string, unknown>, key: string, value: T | undefined): void {
  if (value !== undefined && value !== '') obj[key] = value;
}

function objectMeta(f: Fields | undefined): Record<string, unknown> {
  const m: Record<string, unknown> = {};
  if (!f) return m;
  set(m, 'name', str(f, 1));
  set(m, 'generateName', str(f, 2));
  set(m, 'namespace', str(f, 3));
  set(m, 'uid', str(f, 5));
  set(m, 'resourceVersion', str(f, 6));
  set(m, 'labels', map(f, 11));
  set(m, 'annotations', map(f, 12));
  const owners = (f.get(13) ?? []).filter(Buffer.isBuffer).map((b) => {
    const o = parseFields(b);
    const ref: Record<string, unknown> = {};
    set(ref, 'apiVersion', str(o, 5));
    set(ref, 'kind', str(o, 1));
    set(ref, 'name', str(o, 3));
    set(ref, 'uid', str(o, 4));
    set(ref, 'controller', bool(o, 6));
    set(ref, 'blockOwnerDeletion', bool(o, 7));
    return ref;
  });
  if (owners.length > 0) m.ownerReferences = owners;
  const finalizers = strs(f, 14);
  if (finalizers.length > 0) m.finalizers = finalizers;
  return m;
}

function decodeKind(kind: string, f: Fields): Record<string, unknown> {
  const out: Record<string, unknown> = { metadata: objectMeta(msg(f, 1)) };
  switch (kind) {
    case 'ConfigMap':
      set(out, 'data', map(f, 2));
      set(out, 'binaryData', map(f, 3, true));
      set(out, 'immutable', bool(f, 4));
      return out;
    case 'Secret':
      set(out, 'data', map(f, 2, true));
      set(out, 'type', str(f, 3));
      set(out, 'stringData', map(f, 4));
      set(out, 'immutable', bool(f, 5));
      return out;
    case 'Namespace': {
      const spec = msg(f, 2);
      if (spec && strs(spec, 1).length > 0) out.spec = { finalizers: strs(spec, 1) };
      return out;
    }
    case 'SelfSubjectAccessReview': {
      const spec = msg(f, 2);
      const ra = spec ? msg(spec, 1) : undefined;
      const nra = spec ? msg(spec, 2) : undefined;
      const s: Record<string, unknown> = {};
      if (ra) {
        const r: Record<string, unknown> = {};
        ['namespace', 'verb', 'group', 'version', 'resource', 'subresource', 'name'].forEach((k, i) => set(r, k, str(ra, i + 1)));
        s.resourceAttributes = r;
      }
      if (nra) s.nonResourceAttributes = { path: str(nra, 1), verb: str(nra, 2) };
      out.spec = s;
      return out;
    }
    case 'SelfSubjectRulesReview': {
      // k8s.io/api authorization/v1/generated.proto: spec = 2, SelfSubjectRulesReviewSpec.namespace = 1.
      const spec = msg(f, 2);
      const s: Record<string, unknown> = {};
      if (spec) set(s, 'namespace', str(spec, 1));
      out.spec = s;
      return out;
    }
    case 'SelfSubjectReview':
      // k8s.io/api authentication/v1/generated.proto: only metadata and a server-filled status.
      return out;
    case 'DeleteOptions': {
      const d: Record<string, unknown> = {};
      set(d, 'gracePeriodSeconds', int(f, 1));
      const pre = msg(f, 2);
      if (pre) {
        const p: Record<string, unknown> = {};
        set(p, 'uid', str(pre, 1));
        set(p, 'resourceVersion', str(pre, 2));
        d.preconditions = p;
      }
      set(d, 'orphanDependents', bool(f, 3));
      set(d, 'propagationPolicy', str(f, 4));
      const dryRun = strs(f, 5);
      if (dryRun.length > 0) d.dryRun = dryRun;
      return d;
    }
    default:
      throw badRequest(`protobuf bodies are not supported for ${kind}; send application/json`);
  }
}

/** Decodes a `k8s\0`-prefixed protobuf body of a supported built-in kind into its JSON shape. */
export function decodeProtobuf(body: Buffer): Record<string, unknown> {
  if (body.length < 4 || body.subarray(0, 4).toString('latin1') !== 'k8s\0') throw badRequest('protobuf body without the k8s envelope');
  try {
    const unknown = parseFields(body.subarray(4));
    const typeMeta = msg(unknown, 1);
    const apiVersion = typeMeta ? str(typeMeta, 1) : undefined;
    const kind = typeMeta ? str(typeMeta, 2) : undefined;
    const raw = unknown.get(2)?.at(-1);
    if (!kind || !Buffer.isBuffer(raw)) throw new Error('envelope without kind or raw');
    const obj = decodeKind(kind, parseFields(raw));
    if (kind === 'DeleteOptions') return obj;
    return { apiVersion: apiVersion ?? 'v1', kind, ...obj };
  } catch (err) {
    if (err instanceof Error && err.name === 'ApiError') throw err;
    throw badRequest(`unable to decode protobuf body: ${err instanceof Error ? err.message : String(err)}`);
  }
}
