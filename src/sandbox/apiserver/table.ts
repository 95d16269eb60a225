/**
 * meta.k8s.io/v1 Table responses, which `kubectl get` asks for (Accept `as=Table`): a Name column plus
 * the CRD's additionalPrinterColumns (or the built-in kinds' usual columns), rendered server-side as the
 * API server does (dates as ages), for lists, watches and a GET of one object. Supports the JSONPath forms the k0rdent CRDs use:
 * `.a.b` and `.a[?(@.k=="v")].b`.
 */
import { parseAccept } from './discovery.js';
import { badRequest } from './errors.js';
import { NAME_DOC, type PrinterColumn, type ResourceDef } from './resources.js';
import type { KubeObject } from './types.js';
import { isObject } from './util.js';

export function wantsTable(accept: string | undefined): boolean {
  const first = parseAccept(accept)[0];
  return first?.params.as === 'Table' && first.params.g === 'meta.k8s.io' && (first.params.v === 'v1' || first.params.v === 'v1beta1');
}

/**
 * kube-apiserver answers a Table as plain `application/json` (k8s.io/apiserver pkg/endpoints/handlers/
 * responsewriters/writers.go WriteObjectNegotiated writes the serializer's media type, not the `as=` options).
 */
export function tableContentType(_accept: string | undefined): string {
  return 'application/json';
}

type Step = { field: string } | { filterKey: string; filterValue: string };

function parsePath(path: string): Step[] {
  const steps: Step[] = [];
  const re = /\.([A-Za-z0-9_-]+)|\[\?\(@\.([A-Za-z0-9_-]+)\s*==\s*["']([^"']*)["']\)\]/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(path)) !== null) {
    if (m[1] !== undefined) steps.push({ field: m[1] });
    else steps.push({ filterKey: m[2]!, filterValue: m[3]! });
  }
  return steps;
}

/**
 * Evaluates a printer-column JSONPath; undefined when nothing matches. Several matches are a list, or with
 * `firstOnly` the first one (what the CRD table convertor prints: "we can assume to have only one result").
 */
export function evaluatePath(obj: unknown, path: string, firstOnly = false): unknown {
  let current: unknown[] = [obj];
  for (const step of parsePath(path)) {
    const next: unknown[] = [];
    for (const c of current) {
      if ('field' in step) {
        if (isObject(c) && c[step.field] !== undefined) next.push(c[step.field]);
      } else if (Array.isArray(c)) {
        for (const item of c) if (isObject(item) && String(item[step.filterKey]) === step.filterValue) next.push(item);
      }
    }
    current = next;
  }
  if (current.length === 0) return undefined;
  return current.length === 1 || firstOnly ? current[0] : current;
}

/** kubectl's HumanDuration. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) return hours % 24 === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  return `${Math.floor(hours / 24 / 365)}y`;
}

/**
 * A CRD column's cell, as k8s.io/apiextensions-apiserver pkg/registry/customresource/tableconvertor/tableconvertor.go
 * fills it: the first JSONPath result; `string` columns print it (maps and lists as JSON, other values as
 * Go's fmt prints them); the other types keep a value of their type (`date` as an age) or are null.
 */
function customCell(first: unknown, type: string, now: number): unknown {
  if (first === undefined || first === null) return null;
  switch (type) {
    case 'string':
      return Array.isArray(first) || isObject(first) ? JSON.stringify(first) : String(first);
    case 'integer':
      return typeof first === 'number' ? Math.trunc(first) : null;
    case 'number':
      return typeof first === 'number' ? first : null;
    case 'boolean':
      return typeof first === 'boolean' ? first : null;
    case 'date': {
      if (typeof first !== 'string') return null;
      const t = Date.parse(first);
      return Number.isNaN(t) ? '<invalid>' : humanDuration(now - t);
    }
    default:
      return null;
  }
}

function cell(obj: KubeObject, col: PrinterColumn, now: number): unknown {
  const value = evaluatePath(obj, col.jsonPath, true);
  switch (col.cell) {
    case undefined:
      return customCell(value, col.type, now);
    case 'count':
      return isObject(value) ? Object.keys(value).length : 0;
    case 'object':
      return isObject(value) ? `${String(value.kind ?? '').toLowerCase()}/${String(value.name ?? '')}` : null;
    case 'age': {
      const t = typeof value === 'string' ? Date.parse(value) : Number.NaN;
      return Number.isNaN(t) ? '<unknown>' : humanDuration(now - t);
    }
    case 'timestamp':
      return typeof value === 'string' ? value : '0001-01-01T00:00:00Z';
  }
}

/** A Name column first, unless the kind places its own (events print it only under -o wide). */
const NAME_COLUMN: PrinterColumn = { name: 'Name', type: 'string', jsonPath: '.metadata.name', format: 'name', description: NAME_DOC };

function columnsOf(def: ResourceDef): PrinterColumn[] {
  return def.printerColumns.some((c) => c.format === 'name') ? def.printerColumns : [NAME_COLUMN, ...def.printerColumns];
}

function columnDefinitions(def: ResourceDef): unknown[] {
  return columnsOf(def).map((c) => ({
    name: c.name,
    type: c.type,
    format: c.format ?? '',
    // A CRD column without a description gets this one (tableconvertor.go New).
    description: c.description ?? (def.custom ? `Custom resource definition column (in JSONPath format): ${c.jsonPath}` : ''),
    priority: c.priority ?? 0,
  }));
}

/** `includeObject` as k8s.io/apimachinery pkg/apis/meta/v1beta1/validation ValidateTableOptions accepts it. */
export function checkIncludeObject(includeObject: string | null): void {
  if (includeObject === null || ['', 'Metadata', 'Object', 'None'].includes(includeObject)) return;
  // k8s.io/apiserver pkg/endpoints/handlers/response.go optionsForTransform: 400 "Unable to convert to Table as requested: ...".
  throw badRequest(
    `Unable to convert to Table as requested: includeObject: Invalid value: ${JSON.stringify(includeObject)}: must be 'Metadata', 'Object', 'None', or empty`,
  );
}

function rowObject(obj: KubeObject, includeObject: string | null): unknown {
  if (includeObject === 'Object') return obj;
  if (includeObject === 'None') return undefined;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata };
}

/**
 * A list or ONE object as a Table (k8s.io/apiserver pkg/endpoints/handlers/response.go transformResponseObject →
 * asTable: a GET of one object is converted too, one row, `metadata.resourceVersion` the object's).
 */
export function toTable(
  def: ResourceDef,
  objects: KubeObject[],
  listMeta: Record<string, unknown>,
  includeObject: string | null,
  withColumns = true,
): unknown {
  const now = Date.now();
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
    ...(withColumns ? { columnDefinitions: columnDefinitions(def) } : { columnDefinitions: null }),
    rows: objects.map((o) => ({ cells: columnsOf(def).map((c) => cell(o, c, now)), object: rowObject(o, includeObject) })),
  };
}

/** Renders each watch event's object as a one-row Table; only the first carries the column definitions. */
export function tableRenderer(def: ResourceDef, includeObject: string | null): (obj: KubeObject) => unknown {
  let first = true;
  return (obj) => {
    const table = toTable(def, [obj], { resourceVersion: obj.metadata.resourceVersion }, includeObject, first);
    first = false;
    return table;
  };
}
