/**
 * Structural limits of caller-supplied objects (config, labels), checked before anything else so a
 * hostile value can neither crash a recursive walk nor pollute a prototype: keys `__proto__`,
 * `constructor` and `prototype` are refused, depth is at most MAX_CONFIG_DEPTH and the JSON text at most
 * MAX_CONFIG_BYTES. Iterative, so any depth is safe to inspect. Pure.
 */
import { TOOL, toolRef } from '../tool-names.js';
import { AppError, echo } from '../errors.js';

export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);
export const MAX_CONFIG_DEPTH = 32;
export const MAX_CONFIG_BYTES = 256 * 1024;

function pathOf(root: string, parts: readonly (string | number)[]): string {
  return parts.reduce<string>(
    (out, p) => (typeof p === 'number' ? `${out}[${p}]` : /^[A-Za-z_$][\w$]*$/.test(p) ? `${out}.${p}` : `${out}[${echo(p, 60)}]`),
    root,
  );
}

/** The problems of `value` (named `root`, e.g. "config"); empty when it is within the limits. */
export function structureProblems(value: unknown, root: string): string[] {
  const problems: string[] = [];
  const stack: { value: unknown; path: (string | number)[] }[] = [{ value, path: [] }];
  let tooDeep = false;
  while (stack.length > 0) {
    const { value: node, path } = stack.pop() as { value: unknown; path: (string | number)[] };
    if (typeof node !== 'object' || node === null) continue;
    if (path.length >= MAX_CONFIG_DEPTH) {
      if (!tooDeep)
        problems.push(`${root} is nested deeper than ${MAX_CONFIG_DEPTH} levels (at ${pathOf(root, path.slice(0, 4))}…); flatten it`);
      tooDeep = true;
      continue;
    }
    if (Array.isArray(node)) {
      node.forEach((item, i) => stack.push({ value: item, path: [...path, i] }));
      continue;
    }
    for (const key of Object.keys(node)) {
      if (FORBIDDEN_KEYS.has(key)) {
        if (problems.length < 20) problems.push(`${pathOf(root, [...path, key])}: the key "${key}" is not allowed`);
        continue;
      }
      stack.push({ value: (node as Record<string, unknown>)[key], path: [...path, key] });
    }
  }
  if (!tooDeep) {
    const size = Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
    if (size > MAX_CONFIG_BYTES) problems.push(`${root} is ${size} bytes of JSON; at most ${MAX_CONFIG_BYTES} (256 KiB) are accepted`);
  }
  return problems;
}

/** Throws `invalidParams` listing every structural problem of `value`. */
export function assertStructure(value: unknown, root: string): void {
  const problems = structureProblems(value, root);
  if (problems.length > 0) throw new AppError('invalidParams', `${root} is not acceptable: ${problems.join('; ')}`, { problems });
}

/**
 * The marker k0.templates.get's example config puts where the caller must give a value
 * (`<FILL: location>`, `<FILL: controlPlaneNumber (integer)>`; src/templates/example.ts builds it from
 * FILL_PREFIX). A config that still holds one would deploy with the marker as the value.
 */
export const FILL_PREFIX = '<FILL';
const FILL_PATTERN = /<FILL(?:[:\s][^>]*)?>/;

export interface Placeholder {
  /** e.g. `config.location`, `values.ingress.host`. */
  path: string;
  /** The marker as found (cut). */
  marker: string;
  /** The path below the root, as keys and indexes (to look the setting up in a schema). */
  parts: (string | number)[];
}

/** Every string value of `value` that holds a placeholder marker, with its path (at most 20). */
export function findPlaceholders(value: unknown, root: string): Placeholder[] {
  const found: Placeholder[] = [];
  const stack: { value: unknown; path: (string | number)[] }[] = [{ value, path: [] }];
  while (stack.length > 0 && found.length < 20) {
    const { value: node, path } = stack.pop() as { value: unknown; path: (string | number)[] };
    if (typeof node === 'string') {
      const match = FILL_PATTERN.exec(node);
      if (match) found.push({ path: pathOf(root, path), marker: match[0].slice(0, 100), parts: path });
      continue;
    }
    if (typeof node !== 'object' || node === null || path.length >= MAX_CONFIG_DEPTH) continue;
    if (Array.isArray(node)) node.forEach((item, i) => stack.push({ value: item, path: [...path, i] }));
    else for (const key of Object.keys(node)) stack.push({ value: (node as Record<string, unknown>)[key], path: [...path, key] });
  }
  return found.sort((a, b) => a.path.localeCompare(b.path));
}

/** The line numbers of YAML text (kept as text: Go templating) that hold a placeholder marker. */
export function placeholderLines(text: string): { line: number; marker: string }[] {
  return text
    .split('\n')
    .map((line, i) => ({ line: i + 1, match: FILL_PATTERN.exec(line) }))
    .filter((l): l is { line: number; match: RegExpExecArray } => l.match !== null)
    .slice(0, 20)
    .map((l) => ({ line: l.line, marker: l.match[0].slice(0, 100) }));
}

/**
 * `invalidParams` naming each placeholder's path and what to put there (`expects`: the setting's type and
 * description when a schema knows them); nothing is written.
 */
export function assertNoPlaceholders(value: unknown, root: string, expects?: (parts: (string | number)[]) => string | undefined): void {
  const found = findPlaceholders(value, root);
  if (found.length === 0) return;
  const items = found.map((p) => {
    const what = expects?.(p.parts);
    return { path: p.path, marker: p.marker, ...(what !== undefined ? { expects: what } : {}) };
  });
  const text = items
    .map((p) => `${p.path} is still the placeholder ${echo(p.marker, 100)}: put the real value there${p.expects ? ` (${p.expects})` : ''}`)
    .join('; ');
  throw new AppError(
    'invalidParams',
    `${text}. A "<FILL: …>" marker in ${toolRef(TOOL.templatesGet)}'s example config stands for a value only the caller knows; nothing was written`,
    { placeholders: items },
  );
}
