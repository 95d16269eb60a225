/**
 * The merge types of a resource's fields, as server-side apply sees them: the sandbox's counterpart of
 * kube-openapi's schemaconv (openAPIV3Schema → structured-merge-diff schema) that kube-apiserver uses for
 * custom resources. Objects with `properties` are granular structs, objects with `additionalProperties`
 * granular maps, `x-kubernetes-map-type: atomic` atomic; arrays are atomic unless
 * `x-kubernetes-list-type` says `set` or `map` (keys from `x-kubernetes-list-map-keys`, with the key
 * fields' schema defaults); `x-kubernetes-preserve-unknown-fields` and missing schemas are "deduced"
 * (maps granular, lists atomic — sigs.k8s.io/structured-merge-diff/v6 schema/elements.go, the
 * `__untyped_deduced_` type). metadata always follows ObjectMeta (k8s.io/apimachinery
 * pkg/apis/meta/v1/types.go: finalizers `+listType=set`, ownerReferences `+listType=map +listMapKey=uid`
 * with `+structType=atomic` elements).
 */
import type { JsonSchema } from './resources.js';
import { isObject } from './util.js';

export type Shape = ScalarShape | DeducedShape | MapShape | ListShape;
export interface ScalarShape {
  kind: 'scalar';
}
export interface DeducedShape {
  kind: 'deduced';
}
export interface MapShape {
  kind: 'map';
  atomic: boolean;
  /** The shape of a declared (named) field; undefined for map keys and undeclared fields. */
  field(name: string): Shape | undefined;
  /** The shape of keys that are not declared fields. */
  element: Shape;
}
export interface ListShape {
  kind: 'list';
  type: 'atomic' | 'set' | 'map';
  keys: string[];
  /** Schema defaults of key fields: an item without the field is keyed by the default (SMD typed/helpers.go). */
  keyDefaults: Record<string, unknown>;
  element: Shape;
}

export const SCALAR: ScalarShape = { kind: 'scalar' };
export const DEDUCED: DeducedShape = { kind: 'deduced' };
const DEDUCED_MAP: MapShape = { kind: 'map', atomic: false, field: () => undefined, element: DEDUCED };
const DEDUCED_LIST: ListShape = { kind: 'list', type: 'atomic', keys: [], keyDefaults: {}, element: DEDUCED };

const cache = new WeakMap<JsonSchema, Shape>();

/** The merge shape of one openAPIV3Schema node (memoized per schema object). */
export function shapeOfSchema(schema: JsonSchema | undefined): Shape {
  if (!schema) return DEDUCED;
  const hit = cache.get(schema);
  if (hit) return hit;
  const shape = computeShape(schema);
  cache.set(schema, shape);
  return shape;
}

function computeShape(schema: JsonSchema): Shape {
  const type = schema.type;
  if (type === 'array') {
    const listType = schema['x-kubernetes-list-type'];
    const items = isObject(schema.items) ? schema.items : undefined;
    const element = shapeOfSchema(items);
    if (listType === 'set') return { kind: 'list', type: 'set', keys: [], keyDefaults: {}, element };
    if (listType === 'map') {
      const keys = Array.isArray(schema['x-kubernetes-list-map-keys'])
        ? (schema['x-kubernetes-list-map-keys'] as unknown[]).map(String)
        : [];
      const props = items && isObject(items.properties) ? items.properties : {};
      const keyDefaults: Record<string, unknown> = {};
      for (const k of keys) {
        const p = props[k];
        if (isObject(p) && p.default !== undefined) keyDefaults[k] = p.default;
      }
      return { kind: 'list', type: 'map', keys, keyDefaults, element };
    }
    return { kind: 'list', type: 'atomic', keys: [], keyDefaults: {}, element };
  }
  const props = isObject(schema.properties) ? (schema.properties as Record<string, JsonSchema>) : undefined;
  const additional = isObject(schema.additionalProperties) ? (schema.additionalProperties as JsonSchema) : undefined;
  const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true || schema.additionalProperties === true;
  if (type === 'object' || props || additional || preserve) {
    if (!props && !additional && preserve) return DEDUCED;
    const atomic = schema['x-kubernetes-map-type'] === 'atomic';
    return {
      kind: 'map',
      atomic,
      field: (name) => (props && Object.hasOwn(props, name) ? shapeOfSchema(props[name]) : undefined),
      element: additional ? shapeOfSchema(additional) : DEDUCED,
    };
  }
  if (schema['x-kubernetes-int-or-string'] === true || typeof type === 'string') return SCALAR;
  return DEDUCED;
}

const STRING_MAP: MapShape = { kind: 'map', atomic: false, field: () => undefined, element: SCALAR };
const ATOMIC_MAP: MapShape = { kind: 'map', atomic: true, field: () => undefined, element: DEDUCED };
const OBJECT_META_FIELDS: Record<string, Shape> = {
  labels: STRING_MAP,
  annotations: STRING_MAP,
  finalizers: { kind: 'list', type: 'set', keys: [], keyDefaults: {}, element: SCALAR },
  ownerReferences: { kind: 'list', type: 'map', keys: ['uid'], keyDefaults: {}, element: ATOMIC_MAP },
  managedFields: DEDUCED_LIST,
};
export const OBJECT_META: MapShape = { kind: 'map', atomic: false, field: (name) => OBJECT_META_FIELDS[name] ?? SCALAR, element: SCALAR };

/**
 * The shape of a whole object: the CRD schema (or, for the core kinds served without one, every
 * top-level key a declared field with deduced contents) with metadata as ObjectMeta.
 */
export function rootShape(schema: JsonSchema | undefined): MapShape {
  const base = schema ? shapeOfSchema(schema) : undefined;
  const baseMap = base && base.kind === 'map' ? base : undefined;
  return {
    kind: 'map',
    atomic: false,
    field: (name) => (name === 'metadata' ? OBJECT_META : baseMap ? (baseMap.field(name) ?? DEDUCED) : DEDUCED),
    element: DEDUCED,
  };
}

/** Resolves a deduced shape against a value (objects are granular maps, arrays atomic lists). */
export function resolve(shape: Shape, value: unknown): Shape {
  if (shape.kind !== 'deduced') return shape;
  if (isObject(value)) return DEDUCED_MAP;
  if (Array.isArray(value)) return DEDUCED_LIST;
  return SCALAR;
}

/** The shape of map key `name` and whether it is a declared field (SMD's `FindField`). */
export function childOf(shape: MapShape, name: string): { shape: Shape; named: boolean } {
  const f = shape.field(name);
  return f ? { shape: f, named: true } : { shape: shape.element, named: false };
}
