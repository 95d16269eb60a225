/**
 * Field sets as server-side apply tracks them, after sigs.k8s.io/structured-merge-diff/v6 (SMD):
 * a path is a list of path elements serialized as in FieldsV1 (fieldpath/serialize-pe.go): `f:<field>`,
 * `k:{"name":"a","namespace":"b"}` (an item of an `x-kubernetes-list-type: map` list, keys sorted by name),
 * `v:"x"` (an item of a `set` list), `i:0`. A set holds member paths; FieldsV1 renders a member that also
 * has children with a `.` entry (fieldpath/serialize.go emitContentsV1).
 * - toFieldSet: the fields an apply configuration sets (typed/tofieldset.go)
 * - compare: Added / Modified / Removed between two objects (typed/compare.go)
 */
import { childOf, resolve, type ListShape, type MapShape, type Shape } from './field-shape.js';
import { deepEqual, isObject, type JsonObject } from './util.js';

export type Path = string[];

/** A set of paths, keyed by their serialized form. */
export class PathSet {
  private readonly paths = new Map<string, Path>();
  static id(p: Path): string {
    return p.join('\u0000');
  }
  constructor(paths: Iterable<Path> = []) {
    for (const p of paths) this.add(p);
  }
  add(p: Path): void {
    if (p.length > 0) this.paths.set(PathSet.id(p), p);
  }
  has(p: Path): boolean {
    return this.paths.has(PathSet.id(p));
  }
  delete(p: Path): boolean {
    return this.paths.delete(PathSet.id(p));
  }
  get size(): number {
    return this.paths.size;
  }
  values(): Path[] {
    return [...this.paths.values()];
  }
  /** Some member lies strictly under `p`. */
  hasUnder(p: Path): boolean {
    const prefix = PathSet.id(p) + '\u0000';
    for (const k of this.paths.keys()) if (k.startsWith(prefix)) return true;
    return false;
  }
  union(other: PathSet): PathSet {
    return new PathSet([...this.values(), ...other.values()]);
  }
  difference(other: PathSet): PathSet {
    return new PathSet(this.values().filter((p) => !other.has(p)));
  }
  intersection(other: PathSet): PathSet {
    return new PathSet(this.values().filter((p) => other.has(p)));
  }
  equals(other: PathSet): boolean {
    return this.size === other.size && this.values().every((p) => other.has(p));
  }
}

/** An apply configuration that SMD cannot type (duplicate keys, items without keys, …). */
export class FieldTypeError extends Error {}

const fieldPE = (name: string): string => `f:${name}`;

/** The path element of one item of an associative list (SMD typed/helpers.go listItemToPathElement). */
export function itemPE(list: ListShape, item: unknown, at: Path): string {
  if (list.type === 'set') {
    if (item === null) throw new FieldTypeError(`${displayPath(at)}: associative list without keys has an element that's an explicit null`);
    if (isObject(item)) throw new FieldTypeError(`${displayPath(at)}: associative list without keys has an element that's a map type`);
    if (Array.isArray(item)) throw new FieldTypeError(`${displayPath(at)}: not supported: associative list with lists as elements`);
    return `v:${JSON.stringify(item)}`;
  }
  if (!isObject(item))
    throw new FieldTypeError(
      `${displayPath(at)}: associative list with keys may not have ${item === null ? 'a null element' : 'non-map elements'}`,
    );
  const key: JsonObject = {};
  for (const k of [...list.keys].sort()) {
    if (item[k] !== undefined && item[k] !== null) key[k] = item[k];
    else if (list.keyDefaults[k] !== undefined) key[k] = list.keyDefaults[k];
  }
  if (Object.keys(key).length === 0) {
    throw new FieldTypeError(
      `${displayPath(at)}: associative list with keys has an element that omits all key fields ${JSON.stringify(list.keys)} (and doesn't have default values for any key fields)`,
    );
  }
  return `k:${JSON.stringify(key)}`;
}

/** Items of an associative list keyed by path element (with allowDuplicates, the first of duplicates wins). */
export function indexList(
  list: ListShape,
  value: unknown[],
  at: Path,
  allowDuplicates: boolean,
): { pes: string[]; byPE: Map<string, unknown> } {
  const pes: string[] = [];
  const byPE = new Map<string, unknown>();
  for (const item of value) {
    const pe = itemPE(list, item, at);
    if (byPE.has(pe)) {
      if (!allowDuplicates) throw new FieldTypeError(`${displayPath(at)}: duplicate entries for key ${displayPE(pe)}`);
      continue;
    }
    byPE.set(pe, item);
    pes.push(pe);
  }
  return { pes, byPE };
}

const isEmptyMapOrList = (v: unknown): boolean =>
  v === undefined || v === null || (isObject(v) && Object.keys(v).length === 0) || (Array.isArray(v) && v.length === 0);

/** The fields a value sets (SMD TypedValue.ToFieldSet). Throws FieldTypeError on duplicate or missing keys. */
export function toFieldSet(value: unknown, shape: Shape, path: Path = [], set: PathSet = new PathSet()): PathSet {
  const s = resolve(shape, value);
  if (s.kind === 'scalar' || s.kind === 'deduced') {
    set.add(path);
    return set;
  }
  if (s.kind === 'list') {
    if (s.type === 'atomic') set.add(path);
    else if (Array.isArray(value)) {
      const { pes, byPE } = indexList(s, value, path, false);
      for (const pe of pes) {
        const p = [...path, pe];
        toFieldSet(byPE.get(pe), s.element, p, set);
        set.add(p);
      }
    }
    return set;
  }
  if (s.atomic) {
    set.add(path);
    return set;
  }
  if (!isObject(value)) return set;
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined) continue;
    const { shape: cs, named } = childOf(s, k);
    const p = [...path, fieldPE(k)];
    toFieldSet(v, cs, p, set);
    if (v === null || (isObject(v) && Object.keys(v).length === 0) || !named) set.add(p);
  }
  return set;
}

export interface Comparison {
  added: PathSet;
  modified: PathSet;
  removed: PathSet;
}

/** Added / Modified / Removed from `lhs` to `rhs` (SMD TypedValue.Compare); undefined = absent. */
export function compare(lhs: unknown, rhs: unknown, shape: Shape): Comparison {
  const c: Comparison = { added: new PathSet(), modified: new PathSet(), removed: new PathSet() };
  compareAt(lhs, rhs, shape, [], c);
  return c;
}

function compareAt(lhs: unknown, rhs: unknown, shape: Shape, path: Path, c: Comparison): void {
  const s = resolve(shape, rhs === undefined ? lhs : rhs);
  const sameKind =
    lhs === undefined ||
    rhs === undefined ||
    (isObject(lhs) && isObject(rhs)) ||
    (Array.isArray(lhs) && Array.isArray(rhs)) ||
    (!isObject(lhs) && !Array.isArray(lhs) && !isObject(rhs) && !Array.isArray(rhs));
  const leaf =
    !sameKind ||
    s.kind === 'scalar' ||
    s.kind === 'deduced' ||
    (s.kind === 'list' && s.type === 'atomic') ||
    (s.kind === 'map' && s.atomic) ||
    (isEmptyMapOrList(lhs) && isEmptyMapOrList(rhs));
  if (leaf) {
    if (lhs === undefined) c.added.add(path);
    else if (rhs === undefined) c.removed.add(path);
    else if (!deepEqual(lhs, rhs)) c.modified.add(path);
    return;
  }
  if (s.kind === 'list') {
    const l = Array.isArray(lhs) ? indexList(s, lhs, path, true) : { pes: [], byPE: new Map<string, unknown>() };
    const r = Array.isArray(rhs) ? indexList(s, rhs, path, true) : { pes: [], byPE: new Map<string, unknown>() };
    for (const pe of new Set([...l.pes, ...r.pes])) compareAt(l.byPE.get(pe), r.byPE.get(pe), s.element, [...path, pe], c);
  } else if (s.kind === 'map') {
    const lm = isObject(lhs) ? lhs : {};
    const rm = isObject(rhs) ? rhs : {};
    for (const k of new Set([...Object.keys(lm), ...Object.keys(rm)])) {
      if (lm[k] === undefined && rm[k] === undefined) continue;
      compareAt(lm[k], rm[k], childOf(s, k).shape, [...path, fieldPE(k)], c);
    }
  }
  if (lhs === undefined) c.added.add(path);
  else if (rhs === undefined) c.removed.add(path);
}

/** The shape one path element leads to. */
function shapeAfter(shape: Shape, pe: string): { shape: Shape; named: boolean } {
  if (pe.startsWith('f:')) {
    if (shape.kind === 'map') return childOf(shape, pe.slice(2));
    return { shape: { kind: 'deduced' }, named: false };
  }
  return { shape: shape.kind === 'list' ? shape.element : { kind: 'deduced' }, named: false };
}

/** The set plus every declared (struct) field above its paths (SMD fieldpath Set.EnsureNamedFieldsAreMembers). */
export function ensureNamedFieldsAreMembers(set: PathSet, root: MapShape): PathSet {
  const out = new PathSet(set.values());
  for (const p of set.values()) {
    let shape: Shape = root;
    for (let i = 0; i < p.length - 1; i++) {
      const next = shapeAfter(shape, p[i]!);
      if (next.named) out.add(p.slice(0, i + 1));
      shape = next.shape;
    }
  }
  return out;
}

// ---- FieldsV1 ----

interface Node {
  member: boolean;
  children: Map<string, Node>;
}

const peOrder = (pe: string): number => ({ f: 0, k: 1, v: 2, i: 3 })[pe[0] as 'f' | 'k' | 'v' | 'i'] ?? 4;

/** SMD's path element order: fields by name, then keys, values, indexes. */
function comparePE(a: string, b: string): number {
  const oa = peOrder(a);
  const ob = peOrder(b);
  if (oa !== ob) return oa - ob;
  if (oa === 3) return Number(a.slice(2)) - Number(b.slice(2));
  return a < b ? -1 : a > b ? 1 : 0;
}

export function encodeFieldsV1(set: PathSet): JsonObject {
  const root: Node = { member: false, children: new Map() };
  for (const p of set.values()) {
    let cur = root;
    for (const pe of p) {
      let next = cur.children.get(pe);
      if (!next) {
        next = { member: false, children: new Map() };
        cur.children.set(pe, next);
      }
      cur = next;
    }
    cur.member = true;
  }
  const emit = (node: Node, includeSelf: boolean): JsonObject => {
    const out: JsonObject = {};
    if (includeSelf && node.member && node.children.size > 0) out['.'] = {};
    for (const pe of [...node.children.keys()].sort(comparePE)) out[pe] = emit(node.children.get(pe)!, true);
    return out;
  };
  return emit(root, false);
}

export function decodeFieldsV1(fields: unknown): PathSet {
  const set = new PathSet();
  const walk = (node: unknown, path: Path): void => {
    if (!isObject(node)) return;
    const keys = Object.keys(node);
    if (path.length > 0 && (keys.length === 0 || keys.includes('.'))) set.add(path);
    for (const k of keys) if (k !== '.') walk(node[k], [...path, k]);
  };
  walk(fields, []);
  return set;
}

// ---- display (SMD fieldpath/element.go PathElement.String) ----

function valueString(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null) return 'null';
  return String(v);
}

export function displayPE(pe: string): string {
  const body = pe.slice(2);
  if (pe.startsWith('f:')) return '.' + body;
  if (pe.startsWith('k:')) {
    const key = JSON.parse(body) as JsonObject;
    return (
      '[' +
      Object.entries(key)
        .map(([k, v]) => `${k}=${valueString(v)}`)
        .join(',') +
      ']'
    );
  }
  if (pe.startsWith('v:')) return `[=${valueString(JSON.parse(body))}]`;
  return `[${body}]`;
}

export function displayPath(p: Path): string {
  return p.map(displayPE).join('');
}
