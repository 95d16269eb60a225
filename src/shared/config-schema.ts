/**
 * The chart values contract of a ClusterTemplate: an outline for listing (required keys and top-level
 * properties) and the pre-apply check of a caller's `config` (JSON Schema via ajv, plus non-empty required
 * keys, since kcm's Helm dry run accepts empty-string defaults). Pure.
 */
import { Ajv, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { echo } from '../errors.js';
import { nearestName } from './suggest.js';

// ajv-formats is CommonJS; under NodeNext its default import is the module object.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as (
  ajv: Ajv,
) => Ajv;

export type JsonObject = Record<string, unknown>;

export interface ConfigProperty {
  type?: string;
  description?: string;
  default?: unknown;
  /** For objects: the keys the schema defines, or, where it leaves the object bare, the keys its default carries. */
  keys?: string[];
}

export interface ConfigOutline {
  /** Where the outline came from. */
  source: 'schema' | 'defaults' | 'none';
  /**
   * Required keys the caller must make sure are set, as dotted paths down to nested objects
   * (`controlPlane.instanceType`) wherever the parent object exists once defaults apply (clusterIdentity
   * excluded: kcm fills it).
   */
  required: string[];
  properties: Record<string, ConfigProperty>;
}

/** Filled in by kcm from the Credential; never demanded from the caller. */
const FILLED_BY_KCM = new Set(['clusterIdentity']);
const MAX_DEFAULT_JSON = 120;
const MAX_DESCRIPTION = 200;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function typeOf(schema: JsonObject): string | undefined {
  const t = schema.type;
  if (typeof t === 'string') return t;
  if (Array.isArray(t)) return t.filter((x) => typeof x === 'string').join('|');
  return undefined;
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (Number.isInteger(value)) return 'integer';
  return typeof value;
}

/** Defaults are shown only when small: objects such as the k0s config would flood the context. */
function compactDefault(value: unknown): unknown {
  if (value === undefined) return undefined;
  const text = JSON.stringify(value);
  return text !== undefined && text.length <= MAX_DEFAULT_JSON ? value : undefined;
}

function shorten(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length <= MAX_DESCRIPTION ? one : `${one.slice(0, MAX_DESCRIPTION - 1)}…`;
}

/** The keys of an object property: the schema's, else those of its default (bare objects). */
function keysOf(prop: JsonObject, def: unknown): string[] | undefined {
  if (isJsonObject(prop.properties)) return Object.keys(prop.properties).sort();
  const isObject = prop.type === 'object' || (Array.isArray(prop.type) && prop.type.includes('object'));
  if (isObject || isJsonObject(def)) return isJsonObject(def) ? Object.keys(def).sort() : [];
  return undefined;
}

/**
 * Required paths: the schema's `required` at each level, descending into an object property when it is
 * itself required or present in the defaults (then Helm's merged values contain it).
 */
function requiredPaths(schema: JsonObject, defaults: unknown, prefix: string, depth: number, out: string[]): void {
  if (depth > 16) return;
  const required = (Array.isArray(schema.required) ? schema.required : []).filter((k): k is string => typeof k === 'string');
  for (const key of required) {
    if (prefix === '' && FILLED_BY_KCM.has(key)) continue;
    out.push(`${prefix}${key}`);
  }
  const props = isJsonObject(schema.properties) ? schema.properties : {};
  for (const [key, sub] of Object.entries(props)) {
    if (!isJsonObject(sub) || (prefix === '' && FILLED_BY_KCM.has(key))) continue;
    const def = isJsonObject(defaults) ? defaults[key] : undefined;
    const present = required.includes(key) || isJsonObject(def) || isJsonObject(sub.default);
    if (present && isJsonObject(sub.properties))
      requiredPaths(sub, isJsonObject(def) ? def : sub.default, `${prefix}${key}.`, depth + 1, out);
  }
}

/** Outline from the chart's JSON Schema (top-level properties, nested required paths) with defaults from the schema or `status.config`. */
export function outlineConfig(schema: JsonObject | undefined, defaults: JsonObject | undefined): ConfigOutline {
  if (schema !== undefined) {
    const props = isJsonObject(schema.properties) ? schema.properties : {};
    const properties: Record<string, ConfigProperty> = {};
    for (const [key, raw] of Object.entries(props).sort(([a], [b]) => a.localeCompare(b))) {
      const prop = isJsonObject(raw) ? raw : {};
      const entry: ConfigProperty = {};
      const type = typeOf(prop);
      if (type !== undefined) entry.type = type;
      const description = shorten(
        typeof prop.description === 'string' ? prop.description : typeof prop.title === 'string' ? prop.title : undefined,
      );
      if (description !== undefined) entry.description = description;
      const fullDefault = prop.default !== undefined ? prop.default : defaults?.[key];
      const def = compactDefault(fullDefault);
      if (def !== undefined) entry.default = def;
      const keys = keysOf(prop, fullDefault);
      if (keys !== undefined) entry.keys = keys;
      properties[key] = entry;
    }
    const required: string[] = [];
    requiredPaths(schema, defaults, '', 0, required);
    return { source: 'schema', required, properties };
  }
  if (defaults !== undefined) {
    const properties: Record<string, ConfigProperty> = {};
    for (const [key, value] of Object.entries(defaults).sort(([a], [b]) => a.localeCompare(b))) {
      const entry: ConfigProperty = { type: jsonType(value) };
      const def = compactDefault(value);
      if (def !== undefined) entry.default = def;
      if (isJsonObject(value)) entry.keys = Object.keys(value).sort();
      properties[key] = entry;
    }
    return { source: 'defaults', required: [], properties };
  }
  return { source: 'none', required: [], properties: {} };
}

/** Deep merge of chart defaults and caller values, as Helm does (caller wins, objects merge, arrays replace). */
export function mergeValues(defaults: JsonObject, overrides: JsonObject): JsonObject {
  const out: JsonObject = { ...defaults };
  for (const [key, value] of Object.entries(overrides)) {
    const base = out[key];
    out[key] = isJsonObject(base) && isJsonObject(value) ? mergeValues(base, value) : value;
  }
  return out;
}

/** The schema without `required` entries kcm fills in (top level), so the caller is never asked for them. */
function withoutKcmFilled(schema: JsonObject): JsonObject {
  if (!Array.isArray(schema.required)) return schema;
  return { ...schema, required: schema.required.filter((k) => !(typeof k === 'string' && FILLED_BY_KCM.has(k))) };
}

function jsonPath(instancePath: string): string {
  const parts = instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  return ['config', ...parts]
    .map((p, i) => (i === 0 ? p : /^\d+$/.test(p) ? `[${p}]` : /^[A-Za-z_$][\w$]*$/.test(p) ? `.${p}` : `[${JSON.stringify(p)}]`))
    .join('');
}

function describeAjvError(error: ErrorObject): string {
  if (error.keyword === 'required') {
    const missing = (error.params as { missingProperty?: string }).missingProperty ?? '?';
    return `${jsonPath(`${error.instancePath}/${missing.replace(/~/g, '~0').replace(/\//g, '~1')}`)} is required`;
  }
  if (error.keyword === 'additionalProperties') {
    const extra = (error.params as { additionalProperty?: string }).additionalProperty ?? '?';
    return `${jsonPath(`${error.instancePath}/${extra}`)} is not a known setting of this template`;
  }
  return `${jsonPath(error.instancePath)} ${error.message ?? 'is invalid'}`;
}

/** Required keys (recursively, through objects present in `values`) whose value is an empty string. */
function emptyRequired(schema: JsonObject, values: unknown, path: string[], out: string[]): void {
  if (!isJsonObject(values)) return;
  const required = Array.isArray(schema.required) ? schema.required.filter((k): k is string => typeof k === 'string') : [];
  for (const key of required) {
    if (path.length === 0 && FILLED_BY_KCM.has(key)) continue;
    if (values[key] === '')
      out.push(`${jsonPath(`/${[...path, key].join('/')}`)} is required and must not be empty (the template's default is an empty string)`);
  }
  const props = isJsonObject(schema.properties) ? schema.properties : {};
  for (const [key, sub] of Object.entries(props)) {
    if (path.length === 0 && FILLED_BY_KCM.has(key)) continue;
    if (isJsonObject(sub)) emptyRequired(sub, values[key], [...path, key], out);
  }
}

/**
 * Compiled validators by schema text: each deploy parses the ConfigMap afresh, so an object-keyed cache
 * would never hit. Bounded: a management cluster has a few dozen chart schemas.
 */
const ajvCache = new Map<string, ReturnType<Ajv['compile']>>();
const AJV_CACHE_SIZE = 64;

function compile(schema: JsonObject): ReturnType<Ajv['compile']> {
  const key = JSON.stringify(schema);
  let validate = ajvCache.get(key);
  if (!validate) {
    // Chart schemas use draft-07 plus arbitrary annotations; strict mode would reject them.
    const ajv = new Ajv({ allErrors: true, strict: false, validateSchema: false });
    addFormats(ajv);
    const clean: JsonObject = { ...withoutKcmFilled(schema) };
    delete clean.$schema;
    validate = ajv.compile(clean);
    if (ajvCache.size >= AJV_CACHE_SIZE) ajvCache.delete(ajvCache.keys().next().value as string);
    ajvCache.set(key, validate);
  }
  return validate;
}

function pathText(parts: readonly (string | number)[]): string {
  return parts.reduce<string>(
    (out, p) => (typeof p === 'number' ? `${out}[${p}]` : /^[A-Za-z_$][\w$]*$/.test(p) ? `${out}.${p}` : `${out}[${echo(p, 60)}]`),
    'config',
  );
}

/**
 * Keys of the caller's config that the schema does not define, at any depth where it lists `properties`
 * and leaves no room for others (no `additionalProperties` true/schema, no `patternProperties`), each
 * with the nearest defined key.
 */
export function unknownKeyProblems(schema: JsonObject, value: unknown, path: (string | number)[] = [], out: string[] = []): string[] {
  if (path.length > 40) return out;
  if (Array.isArray(value)) {
    if (isJsonObject(schema.items)) value.forEach((item, i) => unknownKeyProblems(schema.items as JsonObject, item, [...path, i], out));
    return out;
  }
  if (!isJsonObject(value)) return out;
  const props = isJsonObject(schema.properties) ? schema.properties : undefined;
  const additional = schema.additionalProperties;
  const open = props === undefined || additional === true || isJsonObject(additional) || isJsonObject(schema.patternProperties);
  for (const [key, sub] of Object.entries(value)) {
    const child = props?.[key];
    if (isJsonObject(child)) {
      unknownKeyProblems(child, sub, [...path, key], out);
    } else if (child === undefined && !open && props !== undefined) {
      const suggestion = nearestName(key, Object.keys(props));
      out.push(
        `${pathText([...path, key])} is not a setting of this template${suggestion !== undefined ? `; did you mean ${pathText([...path, suggestion])}?` : `; its settings here are ${Object.keys(props).sort().join(', ')}`}`,
      );
    } else if (child === undefined && isJsonObject(additional)) {
      unknownKeyProblems(additional, sub, [...path, key], out);
    }
  }
  return out;
}

/**
 * Problems with `config` for a template, each naming its JSON path (`config.location ...`). The check runs
 * on the chart defaults merged with `config`, as kcm's Helm dry run does; without a schema nothing is checked.
 */
export function checkConfig(schema: JsonObject | undefined, defaults: JsonObject | undefined, config: JsonObject): string[] {
  if (schema === undefined) return [];
  const merged = mergeValues(defaults ?? {}, config);
  const problems: string[] = unknownKeyProblems(schema, config);
  const validate = compile(schema);
  if (!validate(merged)) {
    for (const error of validate.errors ?? []) {
      // Unknown keys are reported above, with the nearest defined key.
      if (error.keyword === 'additionalProperties') continue;
      const text = describeAjvError(error);
      if (!problems.includes(text)) problems.push(text);
    }
  }
  emptyRequired(schema, merged, [], problems);
  return problems;
}

/** What a setting of a chart's JSON Schema takes, for a message: `string: Azure location` (undefined when the schema does not say). */
export function settingExpects(schema: JsonObject | undefined, parts: readonly (string | number)[]): string | undefined {
  let node: unknown = schema;
  for (const part of parts) {
    if (!isJsonObject(node)) return undefined;
    node = typeof part === 'number' ? node.items : isJsonObject(node.properties) ? node.properties[part] : undefined;
  }
  if (!isJsonObject(node)) return undefined;
  const type = typeof node.type === 'string' ? node.type : Array.isArray(node.type) ? node.type.join('|') : undefined;
  const description = typeof node.description === 'string' ? node.description.slice(0, 200) : undefined;
  if (type === undefined && description === undefined) return undefined;
  return [type, description].filter((x) => x !== undefined).join(': ');
}
