/**
 * Label and field selectors with the API server's syntax: `a=b`, `a==b`, `a!=b`, `a in (x,y)`,
 * `a notin (x)`, `a`, `!a`; field selectors `metadata.name=x`, `metadata.namespace!=y`, `involvedObject.kind=z`.
 */
import { badRequest } from './errors.js';
import { EVENTS_V1_FIELD_PATHS } from './event-conversion.js';
import type { KubeObject } from './types.js';

export type LabelRequirement =
  | { key: string; op: 'eq' | 'neq'; value: string }
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | 'notexists' };

/** Splits on commas that are not inside parentheses. */
function splitTerms(selector: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of selector) {
    if (ch === '(') depth += 1;
    if (ch === ')') depth -= 1;
    if (ch === ',' && depth === 0) {
      terms.push(current);
      current = '';
    } else current += ch;
  }
  terms.push(current);
  return terms.map((t) => t.trim()).filter((t) => t.length > 0);
}

const KEY = /^([a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?\/)?[a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?$/;

function checkKey(key: string, selector: string): string {
  if (!KEY.test(key)) throw badRequest(`unable to parse requirement: invalid label key "${key}" in selector "${selector}"`);
  return key;
}

export function parseLabelSelector(selector: string): LabelRequirement[] {
  const out: LabelRequirement[] = [];
  for (const term of splitTerms(selector)) {
    let m = /^(\S+?)\s+(in|notin)\s*\(([^)]*)\)$/.exec(term);
    if (m) {
      const values = m[3]!
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v.length > 0);
      out.push({ key: checkKey(m[1]!, selector), op: m[2] as 'in' | 'notin', values });
      continue;
    }
    m = /^(.+?)\s*(==|!=|=)\s*(.*)$/.exec(term);
    if (m) {
      out.push({ key: checkKey(m[1]!.trim(), selector), op: m[2] === '!=' ? 'neq' : 'eq', value: m[3]!.trim() });
      continue;
    }
    m = /^!\s*(\S+)$/.exec(term);
    if (m) {
      out.push({ key: checkKey(m[1]!, selector), op: 'notexists' });
      continue;
    }
    out.push({ key: checkKey(term, selector), op: 'exists' });
  }
  return out;
}

export function matchesLabelSelector(requirements: LabelRequirement[], labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  return requirements.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(l, r.key);
    const value = l[r.key];
    switch (r.op) {
      case 'eq':
        return has && value === r.value;
      case 'neq':
        return !has || value !== r.value;
      case 'in':
        return has && r.values.includes(value!);
      case 'notin':
        return !has || !r.values.includes(value!);
      case 'exists':
        return has;
      case 'notexists':
        return !has;
    }
  });
}

export interface FieldRequirement {
  path: string[];
  field: string;
  op: 'eq' | 'neq';
  value: string;
}

/** Field selectors supported on every resource, plus involvedObject.* and reason/type on events. */
export function parseFieldSelector(
  selector: string,
  allowed: (field: string) => boolean,
  pathOf: (field: string) => string = (field) => field,
): FieldRequirement[] {
  const out: FieldRequirement[] = [];
  for (const term of splitTerms(selector)) {
    const m = /^(.+?)\s*(==|!=|=)\s*(.*)$/.exec(term);
    if (!m) throw badRequest(`invalid selector: '${selector}'; can't understand '${term}'`);
    const field = m[1]!.trim();
    if (!allowed(field)) throw badRequest(`field label not supported: ${field}`);
    out.push({ field, path: pathOf(field).split('.'), op: m[2] === '!=' ? 'neq' : 'eq', value: m[3]!.trim() });
  }
  return out;
}

export function matchesFieldSelector(requirements: FieldRequirement[], obj: KubeObject): boolean {
  return requirements.every((r) => {
    let cur: unknown = obj;
    for (const seg of r.path) cur = typeof cur === 'object' && cur !== null ? (cur as Record<string, unknown>)[seg] : undefined;
    const actual = cur === undefined || cur === null ? '' : String(cur);
    return r.op === 'eq' ? actual === r.value : actual !== r.value;
  });
}

/** Which field selectors a resource accepts (metadata.name/namespace everywhere, as the API server does). */
export function fieldSelectorAllowed(plural: string, group: string): (field: string) => boolean {
  return (field) => {
    if (field === 'metadata.name' || field === 'metadata.namespace') return true;
    if (group === '' && plural === 'events') {
      return (
        /^involvedObject\.(kind|namespace|name|uid|apiVersion|resourceVersion|fieldPath)$/.test(field) ||
        ['reason', 'type', 'source', 'reportingComponent'].includes(field)
      );
    }
    if (group === 'events.k8s.io' && plural === 'events') return Object.hasOwn(EVENTS_V1_FIELD_PATHS, field);
    if (group === '' && plural === 'namespaces') return field === 'status.phase';
    if (group === '' && plural === 'secrets') return field === 'type';
    return false;
  };
}

/** Where a field selector's field is read in the served object (events.k8s.io/v1 maps a few). */
export function fieldSelectorPath(plural: string, group: string): (field: string) => string {
  if (group === 'events.k8s.io' && plural === 'events') return (field) => EVENTS_V1_FIELD_PATHS[field] ?? field;
  return (field) => field;
}
