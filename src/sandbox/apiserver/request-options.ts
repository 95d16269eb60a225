/** Shared request helpers for the resource endpoints: the target, query options, small conventions. */
import { ApiError, badRequest } from './errors.js';
import type { ResourceDef } from './resources.js';
import type { FieldValidation } from './validation.js';
import { isObject } from './util.js';

export interface Target {
  def: ResourceDef;
  namespace?: string;
  name?: string;
  subresource?: string;
}

export function apiVersionOf(def: ResourceDef): string {
  return def.group ? `${def.group}/${def.version}` : def.version;
}

export function fieldValidationOf(query: URLSearchParams): FieldValidation {
  const v = query.get('fieldValidation');
  // The API server's default since v1.23 is Warn: unknown fields are dropped with a Warning header.
  if (v === null || v === '') return 'Warn';
  if (v === 'Strict' || v === 'Warn' || v === 'Ignore') return v;
  throw badRequest(`fieldValidation parameter unsupported: ${v}`);
}

export function dryRunOf(query: URLSearchParams, body?: unknown): boolean {
  const values = query.getAll('dryRun');
  if (isObject(body) && Array.isArray(body.dryRun)) values.push(...body.dryRun.map(String));
  for (const v of values) if (v !== 'All') throw badRequest(`Invalid dryRun value: "${v}"; valid values are: "All"`);
  return values.length > 0;
}

export function nowTimestamp(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** 422 for invalid PatchOptions/DeleteOptions, worded like the API server. */
export function invalidOptions(field: string, message: string, kind = 'PatchOptions'): ApiError {
  return new ApiError(422, 'Invalid', `${kind}.meta.k8s.io "" is invalid: ${field}: ${message}`, {
    group: 'meta.k8s.io',
    kind,
    causes: [{ reason: message.startsWith('Required') ? 'FieldValueRequired' : 'FieldValueForbidden', message, field }],
  });
}
