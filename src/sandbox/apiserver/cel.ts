/**
 * CRD validation rules (`x-kubernetes-validations`) evaluated as kube-apiserver evaluates them, with
 * @bufbuild/cel as the CEL engine. Follows k8s.io/apiextensions-apiserver v0.34.4
 * pkg/apiserver/schema/cel/validation.go (cited below as validation.go):
 * - a rule sits on a schema node and sees that node's value as `self` (the resource root sees the whole object);
 *   nodes are walked through properties, additionalProperties, items and allOf, null values are not validated;
 * - a transition rule (one that names `oldSelf`) runs only when there is an old value to compare: on UPDATE,
 *   for object properties and map values whose key exists in both, for items of `x-kubernetes-list-type: map`
 *   lists matched by their keys (validation.go validateExpressions, validateMap, validateArray; maplist.go);
 * - a failed rule is `field.Invalid(path, <schema type>, message)`, or Forbidden/Required/Duplicate by `reason`;
 *   `fieldPath` extends the path; `messageExpression` replaces `message` when it evaluates to a usable string,
 *   and `message` (or `failed rule: <rule>`) is used otherwise (validation.go evalMessageExpression,
 *   ruleMessageOrDefault, fieldErrorForReason);
 * - ratcheting (CRDValidationRatcheting, on by default since 1.30): on UPDATE a failure of a rule that does not
 *   name oldSelf, on a node equal to its old value, is a warning instead of an error (validation.go
 *   shouldRatchetError; k8s.io/apiserver pkg/cel/common/equality.go CorrelatedObject);
 * - evaluation errors are reported as `<error> evaluating rule: <rule>`.
 * Values are typed from the schema as k8s.io/apiextensions-apiserver pkg/apiserver/schema/cel/values.go does
 * (integer → int, number → double, objects and maps → maps, property names escaped as
 * k8s.io/apiserver pkg/cel/escaping.go). The environment has CEL's standard library and the strings extension
 * (k8s.io/apiserver pkg/cel/environment/base.go adds ext.Strings); kcm's rules use only has(), the ternary,
 * arithmetic and comparisons, which the standard library has.
 * `==` and `!=` compare `x-kubernetes-list-type: set`/`map` lists regardless of order, and `+` unites a set list
 * and merges a map list, as kube does (kubeEquals, kubeListAdd).
 * `optionalOldSelf: true` binds `oldSelf` to an optional value (hasValue, value, orValue), empty on CREATE.
 * Part of the Kubernetes library (k8s.io/apiserver pkg/cel/library) is there: ./cel-library/.
 * Not modelled (docs/sandbox.md): the cost budget, the optional syntax (`?.`, `[?]`), and the rest of the
 * Kubernetes library (semver).
 */
import {
  celEnv,
  celFunc,
  celList,
  celListConcat,
  CelScalar,
  listType,
  isCelError,
  isCelList,
  isCelMap,
  parse,
  plan,
  type CelEnv,
  type CelInput,
  type CelList,
  type CelResult,
  type CelValue,
} from '@bufbuild/cel';
import { strings } from '@bufbuild/cel/ext';
import { kubernetesLibrary, optionalOf, type StdOps } from './cel-library/index.js';
import type { StatusCause } from './errors.js';
import type { JsonSchema } from './resources.js';
import { deepEqual, isObject } from './util.js';

interface ValidationRule {
  rule: string;
  message?: string;
  messageExpression?: string;
  reason?: string;
  fieldPath?: string;
  optionalOldSelf?: boolean;
}

type Program = (bindings: Record<string, CelInput>) => CelResult;

interface CompiledRule {
  source: ValidationRule;
  program?: Program;
  messageProgram?: Program;
  usesOldSelf: boolean;
  /** The rule's fieldPath as a field path relative to the node ('' when none). */
  fieldPath: string;
  error?: string;
}

/** A schema node that has rules at or below it (validation.go Validator). */
interface RuleNode {
  /** The schema the rules and sub-nodes come from. */
  schema: JsonSchema;
  /** The schema the value is typed by (the node's own; differs for allOf entries). */
  typing: JsonSchema;
  type: string;
  rules: CompiledRule[];
  properties?: Map<string, RuleNode>;
  additionalProperties?: RuleNode;
  items?: RuleNode;
  allOf?: RuleNode[];
}

/** What a node's errors are ratcheted against: the correlated value pair, and the nearest correlated ancestor's. */
interface Correlation {
  current?: { value: unknown; old: unknown };
  parent?: { value: unknown; old: unknown };
}

export interface RuleResult {
  causes: StatusCause[];
  /** Failures downgraded by ratcheting, worded as kube-apiserver's Warning headers. */
  warnings: string[];
}

/**
 * How a list of the schema compares: `x-kubernetes-list-type: set` and `map` lists are equal whatever their order
 * (k8s.io/apiserver v0.34.4 pkg/cel/common/valuesunstructured.go:287-314 unstructuredMapList.Equal, by the key
 * fields; :378-399 unstructuredSetList.Equal), as the left operand of `==` decides (cel-go calls lhs.Equal(rhs)).
 */
type ListKind = { type: 'set' } | { type: 'map'; keys: string[] };
const LIST_KINDS = new WeakMap<CelList, ListKind>();

const STD_EQUALS = celEnv({ funcs: strings }).funcs.find('_==_');

function stdEquals(l: CelValue, r: CelValue): boolean {
  return STD_EQUALS?.call(0, undefined, [l, r]) === true;
}

function sameKeys(a: CelValue, b: CelValue, keys: string[]): boolean {
  if (!isCelMap(a) || !isCelMap(b)) return false;
  return keys.every((k) => {
    const x = a.get(k);
    const y = b.get(k);
    return x === undefined || y === undefined ? x === y : stdEquals(x, y);
  });
}

/** CEL equality with kube's list semantics: lists and maps compared member by member, set/map lists unordered. */
export function kubeEquals(l: CelValue, r: CelValue): boolean {
  if (isCelList(l)) {
    if (!isCelList(r) || l.size !== r.size) return false;
    const kind = LIST_KINDS.get(l);
    if (kind) {
      const items = [...l];
      return [...r].every((v) => {
        const found = kind.type === 'set' ? items.find((x) => stdEquals(x, v)) : items.find((x) => sameKeys(x, v, kind.keys));
        return found !== undefined && kubeEquals(found, v);
      });
    }
    for (let i = 0; i < l.size; i++) if (!kubeEquals(l.get(i)!, r.get(i)!)) return false;
    return true;
  }
  if (isCelMap(l)) {
    if (!isCelMap(r) || l.size !== r.size) return false;
    for (const [k, v] of l) {
      const other = r.get(k);
      if (other === undefined || !kubeEquals(v, other)) return false;
    }
    return true;
  }
  return stdEquals(l, r);
}

/**
 * `+` with kube's list semantics (valuesunstructured.go:316-340, :401-423): on a set list a union that keeps the
 * left list's order and appends the right's new members; on a map list a merge where a right item replaces the
 * left item with its keys (in place) and the others are appended; otherwise concatenation.
 */
export function kubeListAdd(l: CelList, r: CelList): CelList {
  const kind = LIST_KINDS.get(l);
  if (!kind) return celListConcat(l, r);
  const items = [...l];
  const left = items.length;
  for (const v of r) {
    if (kind.type === 'set') {
      if (!items.some((x) => stdEquals(x, v))) items.push(v);
      continue;
    }
    const i = items.slice(0, left).findIndex((x) => sameKeys(x, v, kind.keys));
    if (i >= 0) items[i] = v;
    else items.push(v);
  }
  const out = celList(items);
  LIST_KINDS.set(out, kind);
  return out;
}

const STD = celEnv({ funcs: strings }).funcs;
const STD_OPS: StdOps = {
  less: (l, r) => {
    const result = STD.find('_<_')?.call(0, undefined, [l, r]);
    if (typeof result !== 'boolean') throw new Error('no such overload');
    return result;
  },
  add: (l, r) => {
    const result = STD.find('_+_')?.call(0, undefined, [l, r]);
    if (result === undefined || isCelError(result)) throw new Error('no such overload');
    return result;
  },
  equals: (l, r) => kubeEquals(l, r),
};

const ENV: CelEnv = celEnv({
  funcs: [
    ...strings,
    celFunc('_==_', [CelScalar.DYN, CelScalar.DYN], CelScalar.BOOL, (l, r) => kubeEquals(l, r)),
    celFunc('_!=_', [CelScalar.DYN, CelScalar.DYN], CelScalar.BOOL, (l, r) => !kubeEquals(l, r)),
    celFunc('_+_', [listType(CelScalar.DYN), listType(CelScalar.DYN)], listType(CelScalar.DYN), kubeListAdd),
    ...kubernetesLibrary(STD_OPS),
  ],
});

const CEL_RESERVED = new Set([
  'true',
  'false',
  'null',
  'in',
  'as',
  'break',
  'const',
  'continue',
  'else',
  'for',
  'function',
  'if',
  'import',
  'let',
  'loop',
  'package',
  'namespace',
  'return',
  'var',
  'void',
  'while',
]);

/** A property name as CEL sees it, or undefined when it cannot be expressed (k8s.io/apiserver pkg/cel/escaping.go Escape). */
export function escapeProperty(name: string): string | undefined {
  if (name.length === 0 || /^[0-9]/.test(name)) return undefined;
  if (CEL_RESERVED.has(name)) return `__${name}__`;
  if (/[^a-zA-Z0-9\-./_]/.test(name)) return undefined;
  return name.replace(/__|[-./]/g, (s) => ({ __: '__underscores__', '.': '__dot__', '-': '__dash__', '/': '__slash__' })[s]!);
}

function usesIdent(node: unknown, name: string): boolean {
  if (Array.isArray(node)) return node.some((n) => usesIdent(n, name));
  if (node === null || typeof node !== 'object') return false;
  const rec = node as Record<string, unknown>;
  if (rec['case'] === 'identExpr' && isObject(rec['value']) && rec['value']['name'] === name) return true;
  return Object.values(rec).some((v) => usesIdent(v, name));
}

function compileExpr(source: string): { program: Program; usesOldSelf: boolean } {
  const parsed = parse(source);
  return { program: plan(ENV, parsed) as Program, usesOldSelf: usesIdent(parsed.expr, 'oldSelf') };
}

/**
 * A rule's fieldPath as a relative field path: `.a.b` → `a.b`, `.a['x.y']` → `a[x.y]` for a map, or undefined
 * when it does not name a field of the schema (validation.go ValidFieldPath).
 */
function normalizeFieldPath(jsonPath: string, schema: JsonSchema): string | undefined {
  const tokens = jsonPath.match(/'(?:[^'\\]|\\.)*'|[.[\]]|[^.[\]']+/g) ?? [];
  let out = '';
  let node: JsonSchema | undefined = schema;
  const step = (name: string): boolean => {
    if (!node) return false;
    const props = isObject(node['properties']) ? (node['properties'] as Record<string, JsonSchema>) : undefined;
    const additional = isObject(node['additionalProperties']) ? (node['additionalProperties'] as JsonSchema) : undefined;
    if (props) {
      if (!props[name]) return false;
      out += out ? `.${name}` : name;
      node = props[name];
      return true;
    }
    if (additional) {
      out += `[${name}]`;
      node = additional;
      return true;
    }
    return false;
  };
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i]!;
    if (tok === '.') {
      const name = tokens[++i];
      if (name === undefined || !step(name)) return undefined;
    } else if (tok === '[') {
      const quoted = tokens[++i];
      if (quoted === undefined || !/^'.*'$/.test(quoted) || tokens[++i] !== ']') return undefined;
      if (!step(quoted.slice(1, -1).replace(/\\(.)/g, '$1'))) return undefined;
    } else {
      return undefined;
    }
  }
  return out;
}

function compileRule(rule: ValidationRule, schema: JsonSchema): CompiledRule {
  const fieldPath = rule.fieldPath ? (normalizeFieldPath(rule.fieldPath, schema) ?? '') : '';
  try {
    const { program, usesOldSelf } = compileExpr(rule.rule);
    const compiled: CompiledRule = { source: rule, program, usesOldSelf, fieldPath };
    if (rule.messageExpression) compiled.messageProgram = compileExpr(rule.messageExpression).program;
    return compiled;
  } catch (err) {
    return { source: rule, usesOldSelf: false, fieldPath, error: err instanceof Error ? err.message : String(err) };
  }
}

function rulesOf(schema: JsonSchema): ValidationRule[] {
  const raw = schema['x-kubernetes-validations'];
  return Array.isArray(raw) ? (raw.filter((r) => isObject(r) && typeof r['rule'] === 'string') as unknown as ValidationRule[]) : [];
}

/** The rule tree of a schema, or undefined when no node has rules (validation.go NewValidator / validator). */
function buildNode(schema: JsonSchema, typing: JsonSchema = schema): RuleNode | undefined {
  const type = typing['type'];
  const node: RuleNode = {
    schema,
    typing,
    type: typeof type === 'string' ? type : '',
    rules: rulesOf(schema).map((r) => compileRule(r, typing)),
  };
  let any = node.rules.length > 0;
  if (isObject(schema['properties'])) {
    for (const [key, sub] of Object.entries(schema['properties'] as Record<string, JsonSchema>)) {
      const child = isObject(sub) ? buildNode(sub) : undefined;
      if (!child) continue;
      (node.properties ??= new Map()).set(key, child);
      any = true;
    }
  }
  if (isObject(schema['additionalProperties'])) {
    const child = buildNode(schema['additionalProperties'] as JsonSchema);
    if (child) {
      node.additionalProperties = child;
      any = true;
    }
  }
  if (isObject(schema['items'])) {
    const child = buildNode(schema['items'] as JsonSchema);
    if (child) {
      node.items = child;
      any = true;
    }
  }
  if (Array.isArray(schema['allOf'])) {
    for (const sub of schema['allOf']) {
      // allOf entries hold rules for the same value; it keeps the node's own schema for its type
      // (validation.go: validator(nestedToStructural(&allOf), nodeSchema, ...)).
      const child = isObject(sub) ? buildNode(sub, schema) : undefined;
      if (child) {
        (node.allOf ??= []).push(child);
        any = true;
      }
    }
  }
  return any ? node : undefined;
}

/** A JSON value as a CEL value, typed by its schema (values.go UnstructuredToVal). */
export function toCel(value: unknown, schema: JsonSchema | undefined): CelInput {
  if (value === null || value === undefined) return null;
  const type = schema?.['type'];
  if (typeof value === 'number') {
    if (type === 'number') return value;
    if (type === 'integer' || Number.isInteger(value)) return BigInt(value);
    return value;
  }
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (Array.isArray(value)) {
    const items = isObject(schema?.['items']) ? (schema!['items'] as JsonSchema) : undefined;
    const converted = value.map((v) => toCel(v, items));
    const listType = schema?.['x-kubernetes-list-type'];
    const keys = schema?.['x-kubernetes-list-map-keys'];
    if (listType !== 'set' && !(listType === 'map' && Array.isArray(keys))) return converted;
    const list = celList(converted);
    LIST_KINDS.set(
      list,
      listType === 'set' ? { type: 'set' } : { type: 'map', keys: (keys as string[]).map((k) => escapeProperty(k) ?? k) },
    );
    return list;
  }
  if (isObject(value)) {
    const props = isObject(schema?.['properties']) ? (schema!['properties'] as Record<string, JsonSchema>) : undefined;
    const additional = isObject(schema?.['additionalProperties']) ? (schema!['additionalProperties'] as JsonSchema) : undefined;
    const out = new Map<string, CelInput>();
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined) continue;
      if (props?.[k]) {
        const escaped = escapeProperty(k);
        if (escaped !== undefined) out.set(escaped, toCel(v, props[k]));
      } else {
        out.set(k, toCel(v, additional));
      }
    }
    return out as unknown as CelInput;
  }
  return null;
}

/** cel-go's wording for the errors kube-apiserver reports (`no such key: x`, `division by zero`). */
function celGoWording(message: string): string {
  return message
    .replace(/^field not found: /, 'no such key: ')
    .replace(/^(int|uint) divide by zero$/, 'division by zero')
    .replace(/^unbound function: (.*)$/, "no matching overload for '$1'");
}

function ruleErrorString(rule: ValidationRule): string {
  return rule.message?.trim() ? rule.message.trim() : rule.rule.trim();
}

function ruleMessageOrDefault(rule: ValidationRule): string {
  return rule.message?.trim() ? rule.message.trim() : `failed rule: ${ruleErrorString(rule)}`;
}

/** field.Invalid / Forbidden / Required / Duplicate as k8s.io/apimachinery field/errors.go words them. */
function fieldError(field: string, type: string, detail: string, reason: string | undefined): StatusCause {
  switch (reason) {
    case 'FieldValueForbidden':
      return { reason, message: `Forbidden${detail ? `: ${detail}` : ''}`, field };
    case 'FieldValueRequired':
      return { reason, message: `Required value${detail ? `: ${detail}` : ''}`, field };
    case 'FieldValueDuplicate':
      return { reason, message: `Duplicate value: ${JSON.stringify(type)}`, field };
    default:
      return { reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(type)}${detail ? `: ${detail}` : ''}`, field };
  }
}

function child(path: string, name: string): string {
  return path ? `${path}.${name}` : name;
}

/** Old list items of an `x-kubernetes-list-type: map` list, found by their key fields (maplist.go). */
function mapListLookup(schema: JsonSchema, old: unknown): (item: unknown) => unknown {
  const keys = Array.isArray(schema['x-kubernetes-list-map-keys']) ? (schema['x-kubernetes-list-map-keys'] as string[]) : [];
  if (schema['x-kubernetes-list-type'] !== 'map' || keys.length === 0 || !Array.isArray(old)) return () => undefined;
  const keyOf = (item: unknown): string | undefined => (isObject(item) ? JSON.stringify(keys.map((k) => item[k] ?? null)) : undefined);
  const byKey = new Map<string, unknown>();
  for (const item of old) {
    const k = keyOf(item);
    if (k !== undefined && !byKey.has(k)) byKey.set(k, item);
  }
  return (item) => {
    const k = keyOf(item);
    return k === undefined ? undefined : byKey.get(k);
  };
}

/** The x-kubernetes-validations of one CRD version's schema, compiled once. */
export class CelRules {
  private readonly root: RuleNode | undefined;

  constructor(schema: JsonSchema | undefined) {
    this.root = schema ? buildNode(schema) : undefined;
  }

  get empty(): boolean {
    return this.root === undefined;
  }

  /** Evaluates every rule against `obj` (and `old` on UPDATE); the causes are the 422's, in walk order. */
  validate(obj: unknown, old: unknown): RuleResult {
    const out: RuleResult = { causes: [], warnings: [] };
    if (!this.root) return out;
    const correlation: Correlation = old === undefined ? {} : { current: { value: obj, old } };
    this.walk(this.root, '', obj, old, correlation, out);
    return out;
  }

  private walk(node: RuleNode, path: string, value: unknown, old: unknown, correlation: Correlation, out: RuleResult): void {
    if (value === null || value === undefined) return;
    if (old === null) old = undefined;
    this.evaluate(node, path, value, old, correlation, out);
    for (const allOf of node.allOf ?? [])
      this.walk(allOf, path, value, old, { ...(correlation.parent ? { parent: correlation.parent } : {}) }, out);
    if (Array.isArray(value)) {
      if (!node.items) return;
      const oldItem = mapListLookup(node.typing, old);
      const oldList = Array.isArray(old) ? old : undefined;
      value.forEach((item, i) => {
        const oldValue = oldItem(item);
        this.walk(node.items!, `${path}[${i}]`, item, oldValue, this.index(node.typing, correlation, oldList, i, item, oldValue), out);
      });
      return;
    }
    if (!isObject(value)) return;
    // Maps are correlatable unless x-kubernetes-map-type says otherwise (validation.go MapIsCorrelatable).
    const mapType = node.typing['x-kubernetes-map-type'];
    const correlatable = mapType === undefined || mapType === 'granular' || mapType === 'atomic';
    const oldMap = correlatable && isObject(old) ? old : undefined;
    const declared = isObject(node.schema['properties']);
    for (const [key, v] of Object.entries(value)) {
      const property = node.properties?.get(key);
      if (property) this.walk(property, child(path, key), v, oldMap?.[key], this.key(correlation, key), out);
      else if (!declared && node.additionalProperties)
        this.walk(node.additionalProperties, `${path}[${key}]`, v, oldMap?.[key], this.key(correlation, key), out);
    }
  }

  private key(correlation: Correlation, key: string): Correlation {
    const current = correlation.current;
    if (!current) return correlation;
    const next =
      isObject(current.value) && isObject(current.old) && key in current.value && key in current.old
        ? { value: current.value[key], old: current.old[key] }
        : undefined;
    return { ...(next ? { current: next } : {}), parent: current };
  }

  private index(
    schema: JsonSchema,
    correlation: Correlation,
    oldList: unknown[] | undefined,
    _i: number,
    item: unknown,
    oldItem: unknown,
  ): Correlation {
    const current = correlation.current;
    if (!current) return correlation;
    // Only map lists correlate items (equality.go correlateOldValueForChildAtNewIndex).
    const next = schema['x-kubernetes-list-type'] === 'map' && oldList && oldItem !== undefined ? { value: item, old: oldItem } : undefined;
    return { ...(next ? { current: next } : {}), parent: current };
  }

  private ratchets(correlation: Correlation): boolean {
    const pair = correlation.current ?? correlation.parent;
    return pair !== undefined && deepEqual(pair.value, pair.old);
  }

  private evaluate(node: RuleNode, path: string, value: unknown, old: unknown, correlation: Correlation, out: RuleResult): void {
    if (node.rules.length === 0) return;
    const field = path || '<nil>';
    const self = toCel(value, node.typing);
    const oldSelf = old === undefined ? undefined : toCel(old, node.typing);
    const bindings: Record<string, CelInput> = old === undefined ? { self } : { self, oldSelf: oldSelf! };
    let optionalBindings: Record<string, CelInput> | undefined;
    for (const rule of node.rules) {
      if (rule.error !== undefined) {
        out.causes.push(fieldError(field, node.type, `rule compile error: ${rule.error}`, undefined));
        continue;
      }
      // Transition rules are evaluated only when there is an old value to compare (validation.go).
      const optionalOld = rule.source.optionalOldSelf === true;
      if (rule.usesOldSelf && old === undefined && !optionalOld) continue;
      const ruleBindings = optionalOld ? (optionalBindings ??= { self, oldSelf: optionalOf(oldSelf) }) : bindings;
      const result = rule.program!(ruleBindings);
      if (isCelError(result)) {
        out.causes.push(
          fieldError(field, node.type, `${celGoWording(result.message)} evaluating rule: ${ruleErrorString(rule.source)}`, undefined),
        );
        continue;
      }
      if (result === true) continue;
      const target = rule.fieldPath ? (path ? `${path}.${rule.fieldPath}` : rule.fieldPath) : field;
      const cause = fieldError(target, node.type, this.message(rule, ruleBindings), rule.source.reason);
      if (!rule.usesOldSelf && this.ratchets(correlation)) out.warnings.push(`${cause.field}: ${cause.message}`);
      else out.causes.push(cause);
    }
  }

  /** messageExpression's string when it is usable, else the rule's message (validation.go evalMessageExpression). */
  private message(rule: CompiledRule, bindings: Record<string, CelInput>): string {
    if (rule.messageProgram) {
      const result = rule.messageProgram(bindings);
      if (typeof result === 'string') {
        const trimmed = result.trim();
        if (trimmed.length > 0 && trimmed.length <= 5 * 1024 && !/\n/.test(trimmed)) return trimmed;
      }
    }
    return ruleMessageOrDefault(rule.source);
  }
}
