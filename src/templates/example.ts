/**
 * A template's required settings and an example config, from its chart JSON Schema and its defaults
 * (`status.config`). Required leaves whose default is empty (kcm's Helm render then fails on the chart's
 * `required` checks) are marked to fill — also inside optional objects the defaults carry (controlPlane); `clusterIdentity` is left out because kcm fills it from the
 * credential (DOMAIN.md section 5). A config that still holds a `<FILL: …>` marker is refused by deploy,
 * update and services.apply (src/clusters/config-guard.ts assertNoPlaceholders). Pure.
 */
import { FILL_PREFIX } from '../shared/config-guard.js';
import { isJsonObject, type JsonObject } from '../shared/config-schema.js';
import type { z } from 'zod';
import type { requiredSetting } from './results.js';

const FILLED_BY_KCM = new Set(['clusterIdentity']);

/**
 * path: dotted under spec.config, e.g. `controlPlane.instanceType`; default: the template's, when it has a usable
 * one; mustFill: the caller must give a value (no usable default).
 */
export type RequiredSetting = z.infer<typeof requiredSetting>;

export interface ExampleConfig {
  required: RequiredSetting[];
  /** Required settings only, with defaults where usable and `<FILL: path>` strings where not. */
  example: JsonObject;
  /** The paths to replace before deploying. */
  toFill: string[];
}

function typeOf(schema: JsonObject): string | undefined {
  if (typeof schema.type === 'string') return schema.type;
  if (Array.isArray(schema.type)) return schema.type.filter((t) => t !== 'null').join('|');
  return undefined;
}

function usable(value: unknown): boolean {
  return value !== undefined && value !== null && value !== '';
}

function setPath(target: JsonObject, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    if (!isJsonObject(node[key])) node[key] = {};
    node = node[key] as JsonObject;
  }
  node[path[path.length - 1] as string] = value;
}

function walk(schema: JsonObject, defaults: unknown, path: string[], out: RequiredSetting[], example: JsonObject): void {
  const required = Array.isArray(schema.required) ? schema.required.filter((k): k is string => typeof k === 'string') : [];
  const props = isJsonObject(schema.properties) ? schema.properties : {};
  const values = isJsonObject(defaults) ? defaults : {};
  for (const key of required) {
    if (path.length === 0 && FILLED_BY_KCM.has(key)) continue;
    const sub = isJsonObject(props[key]) ? props[key] : {};
    const full = [...path, key];
    const value = values[key] ?? sub.default;
    if (typeOf(sub) === 'object' && isJsonObject(sub.properties)) {
      walk(sub, value, full, out, example);
      continue;
    }
    const mustFill = !usable(value);
    out.push({
      path: full.join('.'),
      ...(typeOf(sub) ? { type: typeOf(sub) } : {}),
      ...(typeof sub.description === 'string' ? { description: sub.description } : {}),
      ...(mustFill ? {} : { default: value }),
      mustFill,
    });
    setPath(
      example,
      full,
      mustFill ? `${FILL_PREFIX}: ${full.join('.')}${typeOf(sub) && typeOf(sub) !== 'string' ? ` (${typeOf(sub)})` : ''}>` : value,
    );
  }
  // An optional object the defaults carry anyway (controlPlane, worker) is rendered too, so its own
  // required settings count (as kcm's Helm render and deploy's check see them).
  for (const [key, sub] of Object.entries(props)) {
    if (
      required.includes(key) ||
      (path.length === 0 && FILLED_BY_KCM.has(key)) ||
      !isJsonObject(sub) ||
      !isJsonObject(sub.properties) ||
      !isJsonObject(values[key])
    )
      continue;
    walk(sub, values[key], [...path, key], out, example);
  }
}

/** The required settings and an example; without a schema, nothing is known to be required. */
export function exampleConfig(schema: JsonObject | undefined, defaults: JsonObject | undefined): ExampleConfig {
  const required: RequiredSetting[] = [];
  const example: JsonObject = {};
  if (schema !== undefined) walk(schema, defaults, [], required, example);
  return { required, example, toFill: required.filter((r) => r.mustFill).map((r) => r.path) };
}
