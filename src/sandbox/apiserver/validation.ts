/**
 * Validation of custom resources against their CRD's openAPIV3Schema (ajv), pruning of unknown fields
 * per `fieldValidation` (Ignore/unset: prune silently, Warn: prune + warning, Strict: 422), defaults, and
 * metadata checks (DNS-1123 names). Errors become a 422 `Invalid` Status with one cause per problem.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { BASE64, isDate, isDateTime } from './cel-library/index.js';
import { CelRules } from './cel.js';
import { invalid, type StatusCause } from './errors.js';
import type { JsonSchema, ResourceDef } from './resources.js';
import type { KubeObject } from './types.js';
import { deepEqual, isObject } from './util.js';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

// ajv-formats ships CJS with a default export; under NodeNext the callable sits on .default.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;

const K8S_KEYWORDS = [
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-int-or-string',
  'x-kubernetes-embedded-resource',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-map-type',
  'x-kubernetes-validations',
  'x-kubernetes-group-version-kind',
];

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function newAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: true, logger: false, validateFormats: true });
  addFormats(ajv);
  ajv.addVocabulary(K8S_KEYWORDS);
  // kube-apiserver validates no numeric format (int32, int64, float, double are not in kube-openapi's strfmt
  // registry): 3000000000 passes `format: int32` (seen in test/integration/crd-semantics-differential).
  for (const format of ['int32', 'int64', 'float', 'double']) ajv.addFormat(format, { type: 'number', validate: () => true });
  // kube-openapi strfmt's "byte" (govalidator Base64: at least one group, padded).
  ajv.addFormat('byte', BASE64);
  // date and date-time as kube-openapi strfmt checks them (IsDate, IsDateTime), not RFC 3339 as ajv-formats does.
  ajv.addFormat('date', { type: 'string', validate: isDate });
  ajv.addFormat('date-time', { type: 'string', validate: isDateTime });
  return ajv;
}

/** `spec.services[0].name` from an ajv instancePath `/spec/services/0/name`. */
export function fieldPath(segments: string[]): string {
  let out = '';
  for (const seg of segments) {
    if (/^\d+$/.test(seg)) out += `[${seg}]`;
    else out += out ? `.${seg}` : seg;
  }
  return out;
}

function pointerSegments(pointer: string): string[] {
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function jsonTypeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function valueAt(obj: unknown, segments: string[]): unknown {
  let cur = obj;
  for (const s of segments) cur = isObject(cur) ? cur[s] : Array.isArray(cur) ? cur[Number(s)] : undefined;
  return cur;
}

function causeFromAjv(error: ErrorObject, obj: unknown): StatusCause | undefined {
  const segments = pointerSegments(error.instancePath);
  const value = valueAt(obj, segments);
  switch (error.keyword) {
    case 'required': {
      const missing = (error.params as { missingProperty: string }).missingProperty;
      return { reason: 'FieldValueRequired', message: 'Required value', field: fieldPath([...segments, missing]) };
    }
    case 'type': {
      const field = fieldPath(segments);
      const expected = (error.params as { type: string | string[] }).type;
      const actual = jsonTypeName(value);
      return {
        reason: 'FieldValueTypeInvalid',
        message: `Invalid value: "${actual}": ${field} in body must be of type ${Array.isArray(expected) ? expected.join(',') : expected}: "${actual}"`,
        field,
      };
    }
    case 'enum': {
      const allowed = (error.params as { allowedValues: unknown[] }).allowedValues;
      return {
        reason: 'FieldValueNotSupported',
        message: `Unsupported value: ${JSON.stringify(value)}: supported values: ${allowed.map((v) => JSON.stringify(v)).join(', ')}`,
        field: fieldPath(segments),
      };
    }
    // kube-openapi's wording (k8s.io/kube-openapi pkg/validation/errors/schema.go:28-39) behind field.Invalid, and
    // field.TooLong / field.TooMany for maxLength / maxItems / maxProperties (k8s.io/apiextensions-apiserver v0.34.4
    // pkg/apiserver/validation/validation.go:165-235; apimachinery pkg/util/validation/field/errors.go:255-300).
    case 'maxLength': {
      const limit = (error.params as { limit: number }).limit;
      return {
        reason: 'FieldValueTooLong',
        message: `Too long: may not be more than ${limit} ${limit === 1 ? 'byte' : 'bytes'}`,
        field: fieldPath(segments),
      };
    }
    case 'maxItems':
    case 'maxProperties': {
      const limit = (error.params as { limit: number }).limit;
      const actual = Array.isArray(value) ? value.length : isObject(value) ? Object.keys(value).length : 0;
      return {
        reason: 'FieldValueTooMany',
        message: `Too many: ${actual}: must have at most ${limit} ${limit === 1 ? 'item' : 'items'}`,
        field: fieldPath(segments),
      };
    }
    case 'minLength':
    case 'pattern':
    case 'maximum':
    case 'minimum':
    case 'exclusiveMaximum':
    case 'exclusiveMinimum':
    case 'multipleOf':
    case 'minItems': {
      const field = fieldPath(segments);
      const p = error.params as { limit?: number; pattern?: string; multipleOf?: number };
      const detail = {
        minLength: `should be at least ${p.limit} chars long`,
        pattern: `should match '${p.pattern}'`,
        maximum: `should be less than or equal to ${p.limit}`,
        minimum: `should be greater than or equal to ${p.limit}`,
        exclusiveMaximum: `should be less than ${p.limit}`,
        exclusiveMinimum: `should be greater than ${p.limit}`,
        multipleOf: `should be a multiple of ${p.multipleOf}`,
        minItems: `should have at least ${p.limit} items`,
      }[error.keyword];
      const shown = error.keyword === 'minItems' && Array.isArray(value) ? value.length : value;
      return { reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(shown)}: ${field} in body ${detail}`, field };
    }
    // A string format kube-openapi checks (date-time, …) fails as a type (k8s.io/kube-openapi pkg/validation/
    // validate/formats.go: errors.InvalidType → field.TypeInvalid), which blocks the rules.
    case 'format': {
      const field = fieldPath(segments);
      const format = (error.params as { format: string }).format;
      return {
        reason: 'FieldValueTypeInvalid',
        message: `Invalid value: ${JSON.stringify(value)}: ${field} in body must be of type ${format}: ${JSON.stringify(value)}`,
        field,
      };
    }
    case 'anyOf':
    case 'oneOf':
    case 'if':
      return undefined;
    default: {
      const field = fieldPath(segments);
      return {
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${JSON.stringify(value)}: ${field} in body ${error.message ?? 'is invalid'}`,
        field,
      };
    }
  }
}

/**
 * Removes fields the schema does not declare, returning their paths (`spec.foo`). Follows the structural
 * schema rules: properties, additionalProperties, items, x-kubernetes-preserve-unknown-fields.
 */
export function pruneUnknown(value: unknown, schema: JsonSchema | undefined, path: string[], unknown: string[]): void {
  if (!schema || schema['x-kubernetes-embedded-resource'] === true) return;
  const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true;
  if (Array.isArray(value)) {
    const items = schema.items;
    if (isObject(items)) value.forEach((v, i) => pruneUnknown(v, items, [...path, String(i)], unknown));
    return;
  }
  if (!isObject(value)) return;
  const properties = isObject(schema.properties) ? (schema.properties as Record<string, JsonSchema>) : undefined;
  const additional = schema.additionalProperties;
  for (const key of Object.keys(value)) {
    const propSchema = properties?.[key];
    if (propSchema) {
      pruneUnknown(value[key], propSchema, [...path, key], unknown);
    } else if (isObject(additional)) {
      pruneUnknown(value[key], additional, [...path, key], unknown);
    } else if (additional === true || preserve) {
      continue;
    } else {
      unknown.push(fieldPath([...path, key]));
      delete value[key];
    }
  }
}

export interface ValidationResult {
  /** Unknown fields pruned (as warnings under Warn). */
  warnings: string[];
}

/** metadata.name: a DNS-1123 subdomain (a DNS-1123 label for namespaces). */
export function validateName(name: unknown, label = false): StatusCause[] {
  if (typeof name !== 'string' || name.length === 0) {
    return [{ reason: 'FieldValueRequired', message: 'Required value: name or generateName is required', field: 'metadata.name' }];
  }
  const ok = label ? DNS1123_LABEL.test(name) && name.length <= 63 : DNS1123_SUBDOMAIN.test(name) && name.length <= 253;
  if (ok) return [];
  const message = label
    ? `Invalid value: "${name}": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`
    : `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`;
  return [{ reason: 'FieldValueInvalid', message, field: 'metadata.name' }];
}

const META_FIELDS = new Set([
  'name',
  'generateName',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'finalizers',
  'ownerReferences',
  'managedFields',
  'selfLink',
]);

export interface ValidateOptions {
  /** Main-resource writes of kinds with a status subresource: the stored status is carried along and left out. */
  skipStatus?: boolean;
}

export interface CheckOptions extends ValidateOptions {
  /** The stored object on UPDATE: transition rules (oldSelf) run against it, unchanged nodes ratchet. */
  old?: KubeObject;
  /** Evaluate the CRD's x-kubernetes-validations (default true). */
  rules?: boolean;
}

/**
 * Structural errors that stop CEL from running (k8s.io/apiextensions-apiserver pkg/registry/customresource/
 * strategy.go hasBlockingErr: NotSupported, Required, TooLong, TooMany, TypeInvalid), by ajv keyword.
 */
const BLOCKING_KEYWORDS = new Set(['enum', 'required', 'maxLength', 'maxItems', 'maxProperties', 'type', 'format']);

/** 2^63: from here on Go's JSON decoding gives a float64, not an int64 (k8s.io/apimachinery pkg/util/json). */
const INT64_LIMIT = 2 ** 63;

/**
 * The fields the schema types `integer` whose value Go would decode as a float64 (outside int64), which
 * kube-openapi then refuses as `must be of type integer: "number"`; ajv sees an integer there.
 */
function int64Overflows(value: unknown, schema: JsonSchema | undefined, path: string[], out: string[]): void {
  if (!schema) return;
  if (typeof value === 'number') {
    if (schema['type'] === 'integer' && Number.isInteger(value) && Math.abs(value) >= INT64_LIMIT) out.push(fieldPath(path));
    return;
  }
  if (Array.isArray(value)) {
    const items = isObject(schema['items']) ? (schema['items'] as JsonSchema) : undefined;
    value.forEach((v, i) => int64Overflows(v, items, [...path, String(i)], out));
    return;
  }
  if (!isObject(value)) return;
  const props = isObject(schema['properties']) ? (schema['properties'] as Record<string, JsonSchema>) : undefined;
  const additional = isObject(schema['additionalProperties']) ? (schema['additionalProperties'] as JsonSchema) : undefined;
  for (const [k, v] of Object.entries(value)) int64Overflows(v, props?.[k] ?? additional, [...path, k], out);
}

/**
 * Decoding drops a null the schema does not allow (not `nullable`) and has no default for, and puts the default in
 * place of one it has a default for (k8s.io/apiextensions-apiserver v0.34.4 pkg/apiserver/schema/defaulting/
 * prunenulls.go PruneNonNullableNullsWithoutDefaults, called by customresource_handler.go:1377; algorithm.go
 * Default for the defaulted ones).
 */
export function pruneNulls(value: unknown, schema: JsonSchema | undefined): void {
  if (!schema) return;
  const fix = (v: unknown, sub: JsonSchema | undefined): 'keep' | 'drop' | { value: unknown } => {
    if (v !== null || !sub || sub['nullable'] === true) return 'keep';
    return sub['default'] === undefined ? 'drop' : { value: structuredClone(sub['default']) };
  };
  if (Array.isArray(value)) {
    const items = isObject(schema['items']) ? (schema['items'] as JsonSchema) : undefined;
    value.forEach((v, i) => {
      const verdict = fix(v, items);
      if (typeof verdict === 'object') value[i] = verdict.value;
      else pruneNulls(v, items);
    });
    return;
  }
  if (!isObject(value)) return;
  const props = isObject(schema['properties']) ? (schema['properties'] as Record<string, JsonSchema>) : undefined;
  const additional = isObject(schema['additionalProperties']) ? (schema['additionalProperties'] as JsonSchema) : undefined;
  for (const [k, v] of Object.entries(value)) {
    const sub = props?.[k] ?? additional;
    const verdict = fix(v, sub);
    if (verdict === 'drop') delete value[k];
    else if (typeof verdict === 'object') value[k] = verdict.value;
    else pruneNulls(v, sub);
  }
}

/** strategy.go hasBlockingErr's cause, added instead of the rules' verdicts. */
export const RULES_NOT_CHECKED: StatusCause = {
  reason: 'FieldValueInvalid',
  message:
    'Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation',
  field: '<nil>',
};

/**
 * The API server's two steps around admission, for custom resources (core kinds get only metadata checks):
 * `prepare` is what decoding does — prune unknown fields (per fieldValidation) and apply the schema's
 * defaults — and runs before mutating admission and again on the mutated object (defaulting after a
 * webhook's patch: k8s.io/apiserver pkg/admission/plugin/webhook/mutating/dispatcher.go:390 calls the
 * CRD's unstructuredDefaulter, k8s.io/apiextensions-apiserver pkg/apiserver/customresource_handler.go:1178);
 * `check` is the strategy's Validate/ValidateUpdate (metadata, OpenAPI schema, then the CRD's
 * x-kubernetes-validations rules: k8s.io/apiextensions-apiserver pkg/registry/customresource/strategy.go),
 * which runs after mutating admission and before validating admission.
 */
export class SchemaValidator {
  private readonly ajv = newAjv();
  private readonly compiled = new Map<ResourceDef, ValidateFunction>();
  private readonly rules = new Map<ResourceDef, CelRules>();

  /** Prunes and defaults `obj` in place; throws 422 for unknown fields under Strict; returns Warn warnings. */
  prepare(def: ResourceDef, obj: KubeObject, mode: FieldValidation, options: ValidateOptions = {}): ValidationResult {
    return withoutStatus(obj, options, () => {
      const unknown: string[] = [];
      for (const key of Object.keys(obj.metadata ?? {})) {
        if (!META_FIELDS.has(key)) {
          unknown.push(`metadata.${key}`);
          delete obj.metadata[key];
        }
      }
      if (def.schema) {
        const { apiVersion: _a, kind: _k, metadata: _m, ...body } = obj;
        pruneUnknown(body, bodySchema(def.schema), [], unknown);
        pruneNulls(body, bodySchema(def.schema));
        for (const key of Object.keys(obj)) if (!['apiVersion', 'kind', 'metadata'].includes(key) && !(key in body)) delete obj[key];
      }
      if (mode === 'Strict' && unknown.length > 0) {
        throw invalid(
          def.kind,
          def.group,
          String(obj.metadata?.name ?? ''),
          unknown.map((f) => ({
            reason: 'FieldValueInvalid',
            message: `Invalid value: unknown field "${f}": field not declared in schema`,
            field: f,
          })),
        );
      }
      // ajv's useDefaults fills the schema's defaults as it walks the object; its verdict is validate's job.
      if (def.schema) this.compiledFor(def)(obj);
      return { warnings: mode === 'Warn' ? unknown.map((f) => `unknown field "${f}"`) : [] };
    });
  }

  /** prepare, then check: a write's whole validation (used where no admission runs between the two). */
  validate(def: ResourceDef, obj: KubeObject, mode: FieldValidation, options: ValidateOptions = {}): ValidationResult {
    const result = this.prepare(def, obj, mode, options);
    const warnings = this.check(def, obj, options);
    return { warnings: [...result.warnings, ...warnings] };
  }

  /**
   * Metadata and OpenAPI schema checks of an already prepared object, then its CEL rules (./cel.ts) unless a
   * structural error blocks them; throws 422 Invalid with every cause; returns ratcheting warnings.
   */
  check(def: ResourceDef, obj: KubeObject, options: CheckOptions = {}): string[] {
    // The rules see the whole object, the stored status included: kube-apiserver validates a main-resource write
    // with the status PrepareForUpdate copied from the stored object (strategy.go:166-175, then ValidateUpdate's
    // celValidator.Validate on uNew.Object), so a root rule reads it and a status rule, its node unchanged, ratchets
    // to a warning (validation.go:458-463).
    const status = obj.status;
    return withoutStatus(obj, options, () => {
      const warnings: string[] = [];
      let blocked = false;
      const name = obj.metadata?.name;
      const causes: StatusCause[] = validateName(name, def.group === '' && def.plural === 'namespaces');
      for (const field of ['labels', 'annotations'] as const) {
        const map = obj.metadata?.[field];
        if (map !== undefined && (!isObject(map) || Object.values(map).some((v) => typeof v !== 'string'))) {
          causes.push({
            reason: 'FieldValueTypeInvalid',
            message: `Invalid value: ${JSON.stringify(map)}: must be a map of strings`,
            field: `metadata.${field}`,
          });
        }
      }
      if (def.schema) {
        const validate = this.compiledFor(def);
        if (!validate(obj)) {
          for (const e of validate.errors ?? []) {
            if (options.old && ratchets(pointerSegments(e.instancePath), obj, options.old, def.schema)) continue;
            const cause = causeFromAjv(e, obj);
            if (cause && !causes.some((c) => c.field === cause.field && c.message === cause.message)) causes.push(cause);
            if (cause && BLOCKING_KEYWORDS.has(e.keyword)) blocked = true;
          }
        }
        const overflows: string[] = [];
        int64Overflows(obj, def.schema, [], overflows);
        for (const field of overflows) {
          if (
            options.old &&
            ratchets(
              field.split(/[.[\]]+/).filter((x) => x !== ''),
              obj,
              options.old,
              def.schema,
            )
          )
            continue;
          causes.push({
            reason: 'FieldValueTypeInvalid',
            message: `Invalid value: "number": ${field} in body must be of type integer: "number"`,
            field,
          });
          blocked = true;
        }
        const rules = options.rules === false ? undefined : this.rulesFor(def);
        if (rules && !rules.empty) {
          if (blocked) causes.push(RULES_NOT_CHECKED);
          else {
            const result = rules.validate(status === undefined ? obj : { ...obj, status }, options.old);
            causes.push(...result.causes);
            warnings.push(...result.warnings);
          }
        }
      }
      if (causes.length > 0) throw invalid(def.kind, def.group, String(name ?? ''), causes);
      return warnings;
    });
  }

  private rulesFor(def: ResourceDef): CelRules {
    let rules = this.rules.get(def);
    if (!rules) {
      rules = new CelRules(def.schema);
      this.rules.set(def, rules);
    }
    return rules;
  }

  private compiledFor(def: ResourceDef): ValidateFunction {
    let fn = this.compiled.get(def);
    if (!fn) {
      const schema: JsonSchema = { ...def.schema };
      // metadata is validated by validateName; the CRD's `metadata: {type: object}` adds nothing.
      fn = this.ajv.compile(schema);
      this.compiled.set(def, fn);
    }
    return fn;
  }
}

/**
 * OpenAPI schema ratcheting (CRDValidationRatcheting, on since 1.30): on UPDATE an error is dropped when a node on
 * its path — the node itself or an ancestor — equals its correlated old value. Correlation goes through object
 * properties present in both and items of `x-kubernetes-list-type: map` lists matched by their keys; other list
 * items, and apiVersion/kind at the root, do not correlate (k8s.io/apiextensions-apiserver v0.34.4
 * pkg/apiserver/validation/ratcheting.go:96-160; k8s.io/apiserver pkg/cel/common/equality.go:91-134, :238-286).
 */
export function ratchets(segments: string[], value: unknown, old: unknown, schema: JsonSchema | undefined): boolean {
  let v = value;
  let o = old;
  let s = schema;
  for (let i = 0; ; i++) {
    if (deepEqual(v, o)) return true;
    if (i === segments.length || !s) return false;
    const seg = segments[i]!;
    if (Array.isArray(v)) {
      const keys = s['x-kubernetes-list-map-keys'];
      const items = s['items'];
      if (!Array.isArray(o) || s['x-kubernetes-list-type'] !== 'map' || !Array.isArray(keys) || !isObject(items)) return false;
      const item: unknown = v[Number(seg)];
      const match: unknown = o.find((x) => isObject(x) && isObject(item) && (keys as string[]).every((k) => deepEqual(x[k], item[k])));
      if (match === undefined) return false;
      v = item;
      o = match;
      s = items as JsonSchema;
    } else if (isObject(v)) {
      if (!isObject(o) || !(seg in v) || !(seg in o) || (i === 0 && (seg === 'apiVersion' || seg === 'kind'))) return false;
      const props = isObject(s['properties']) ? (s['properties'] as Record<string, JsonSchema>) : undefined;
      const sub = props ? props[seg] : isObject(s['additionalProperties']) ? (s['additionalProperties'] as JsonSchema) : undefined;
      if (!isObject(sub)) return false;
      v = v[seg];
      o = o[seg];
      s = sub;
    } else {
      return false;
    }
  }
}

/** The CRD's schema without apiVersion, kind and metadata (the API server handles those itself). */
function bodySchema(schema: JsonSchema): JsonSchema {
  const top: JsonSchema = { ...schema, properties: { ...(schema.properties as Record<string, JsonSchema> | undefined) } };
  delete (top.properties as Record<string, JsonSchema>).apiVersion;
  delete (top.properties as Record<string, JsonSchema>).kind;
  delete (top.properties as Record<string, JsonSchema>).metadata;
  return top;
}

/**
 * Runs `fn` with `.status` taken off when options.skipStatus: main-resource writes of kinds with a status
 * subresource carry the stored status unchanged; it was written by controllers and is not the writer's to fix.
 */
function withoutStatus<T>(obj: KubeObject, options: ValidateOptions, fn: () => T): T {
  if (!options.skipStatus || obj.status === undefined) return fn();
  const status = obj.status;
  delete obj.status;
  try {
    return fn();
  } finally {
    obj.status = status;
  }
}
