/**
 * Structural limits of caller-supplied objects (config, labels), checked before anything else so a
 * hostile value can neither crash a recursive walk nor pollute a prototype: keys `__proto__`,
 * `constructor` and `prototype` are refused, depth is at most MAX_CONFIG_DEPTH and the JSON text at most
 * MAX_CONFIG_BYTES. Iterative, so any depth is safe to inspect. Pure.
 */
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
