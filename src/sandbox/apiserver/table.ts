/**
 * meta.k8s.io/v1 Table responses, which `kubectl get` asks for (Accept `as=Table`): a Name column plus
 * the CRD's additionalPrinterColumns (or the built-in kinds' usual columns), rendered server-side as the
 * API server does (dates as ages). Supports the JSONPath forms the k0rdent CRDs use:
 * `.a.b` and `.a[?(@.k=="v")].b`.
 */
import { parseAccept } from './discovery.js';
import type { PrinterColumn, ResourceDef } from './resources.js';
import type { KubeObject } from './types.js';
import { isObject } from './util.js';

export function wantsTable(accept: string | undefined): boolean {
  const first = parseAccept(accept)[0];
  return first?.params.as === 'Table' && first.params.g === 'meta.k8s.io' && (first.params.v === 'v1' || first.params.v === 'v1beta1');
}

export function tableContentType(accept: string | undefined): string {
  const first = parseAccept(accept)[0];
  return `application/json;as=Table;v=${first?.params.v ?? 'v1'};g=meta.k8s.io`;
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

/** Evaluates a printer-column JSONPath; undefined when nothing matches. */
export function evaluatePath(obj: unknown, path: string): unknown {
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
  return current.length === 1 ? current[0] : current;
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

function cell(obj: KubeObject, col: PrinterColumn, now: number): unknown {
  const value = evaluatePath(obj, col.jsonPath);
  if (col.format === 'count') return isObject(value) ? Object.keys(value).length : 0;
  if (col.format === 'object') return isObject(value) ? `${String(value.kind ?? '').toLowerCase()}/${String(value.name ?? '')}` : null;
  if (value === undefined || value === null) return col.type === 'date' ? '<unknown>' : null;
  if (col.type === 'date') {
    const t = Date.parse(String(value));
    return Number.isNaN(t) ? '<unknown>' : humanDuration(now - t);
  }
  if (Array.isArray(value) || isObject(value)) return JSON.stringify(value);
  return value;
}

/** A Name column first, unless the kind places its own (events print it only under -o wide). */
const NAME_COLUMN: PrinterColumn = { name: 'Name', type: 'string', jsonPath: '.metadata.name', format: 'name', description: 'Name must be unique within a namespace.' };

function columnsOf(def: ResourceDef): PrinterColumn[] {
  return def.printerColumns.some((c) => c.format === 'name') ? def.printerColumns : [NAME_COLUMN, ...def.printerColumns];
}

function columnDefinitions(def: ResourceDef): unknown[] {
  return [
    ...columnsOf(def).map((c) => ({ name: c.name, type: c.type === 'date' ? 'string' : c.type, format: c.format === 'count' || c.format === 'object' ? '' : (c.format ?? ''), description: c.description ?? '', priority: c.priority ?? 0 })),
  ];
}

function rowObject(obj: KubeObject, includeObject: string | null): unknown {
  if (includeObject === 'Object') return obj;
  if (includeObject === 'None') return undefined;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata };
}

export function toTable(def: ResourceDef, objects: KubeObject[], listMeta: Record<string, unknown>, includeObject: string | null, withColumns = true): unknown {
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
