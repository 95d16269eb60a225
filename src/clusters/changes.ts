/**
 * What differs between two states of a ClusterDeployment, as paths with old → new values
 * (`config.workersNumber: 1 → 3`): the `changes` of an update and the paths a deploy conflict lists. Pure.
 */
import { isDeepStrictEqual } from 'node:util';
import { echo } from '../errors.js';
import { isJsonObject } from '../shared/config-schema.js';

export interface Change {
  path: string;
  /** undefined: absent before. */
  before: unknown;
  /** undefined: absent after. */
  after: unknown;
}

const MAX_CHANGES = 100;
const MAX_VALUE_ECHO = 80;

function child(path: string, key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

/** Leaf-level differences between `before` and `after` under `path` (objects recurse, arrays and scalars compare whole). */
export function diffValues(before: unknown, after: unknown, path: string, out: Change[] = []): Change[] {
  if (out.length >= MAX_CHANGES || isDeepStrictEqual(before, after)) return out;
  if (isJsonObject(before) && isJsonObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    for (const key of keys) diffValues(before[key], after[key], child(path, key), out);
    return out;
  }
  out.push({ path, before, after });
  return out;
}

/** Differences of the labels the caller asked for (labels others set and the caller did not mention are not a change). */
export function diffLabels(
  existing: Readonly<Record<string, string>>,
  wanted: Readonly<Record<string, string>>,
  out: Change[] = [],
): Change[] {
  for (const key of Object.keys(wanted).sort()) {
    if (existing[key] !== wanted[key]) out.push({ path: `labels[${JSON.stringify(key)}]`, before: existing[key], after: wanted[key] });
  }
  return out;
}

function show(value: unknown): string {
  return value === undefined ? '(absent)' : echo(value, MAX_VALUE_ECHO);
}

/** `path: old → new` for humans. */
export function describeChange(change: Change): string {
  return `${change.path}: ${show(change.before)} → ${show(change.after)}`;
}
