/**
 * Events of either API (events.k8s.io/v1, what kcm writes; core/v1, the fallback) → one compact shape.
 * The two versions are one object with renamed fields (kubernetes `pkg/apis/events/v1/conversion.go`).
 * client-node's models turn times into Dates; both Dates and strings are read. Pure.
 */
import type { z } from 'zod';
import type { eventObjectRef, eventSummary } from './results.js';

export type EventObjectRef = z.infer<typeof eventObjectRef>;
/**
 * count: how often it happened (series.count, the deprecated count, else 1); time: when it last happened
 * (series.lastObservedTime, eventTime, lastTimestamp, ...); firstTime: when it first happened, when known apart.
 */
export type EventSummary = z.infer<typeof eventSummary>;

type Raw = Record<string, unknown>;
const rec = (v: unknown): Raw => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Raw) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

function time(v: unknown): string | undefined {
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? undefined : v.toISOString();
  return str(v);
}

function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** One message line, bounded: an assistant needs the gist, not a stack. */
export function oneLine(message: string | undefined, max = 400): string | undefined {
  if (message === undefined) return undefined;
  const line = message.replace(/\s*\n\s*/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

export function summarizeEvent(raw: unknown, apiVersion: 'events.k8s.io/v1' | 'v1'): EventSummary {
  const e = rec(raw);
  const meta = rec(e.metadata);
  const v1 = apiVersion === 'events.k8s.io/v1';
  const ref = rec(v1 ? e.regarding : e.involvedObject);
  const series = rec(e.series);
  const seriesCount = typeof series.count === 'number' ? series.count : undefined;
  const legacyCount = typeof (v1 ? e.deprecatedCount : e.count) === 'number' ? ((v1 ? e.deprecatedCount : e.count) as number) : undefined;
  const first = time(e.eventTime) ?? time(v1 ? e.deprecatedFirstTimestamp : e.firstTimestamp);
  const last =
    time(series.lastObservedTime) ?? time(v1 ? e.deprecatedLastTimestamp : e.lastTimestamp) ?? first ?? time(meta.creationTimestamp);
  return compact({
    name: str(meta.name) ?? '',
    namespace: str(meta.namespace) ?? '',
    type: str(e.type),
    reason: str(e.reason),
    object: compact({ kind: str(ref.kind), name: str(ref.name), namespace: str(ref.namespace) }),
    message: oneLine(str(v1 ? e.note : e.message)),
    count: seriesCount ?? (legacyCount !== undefined && legacyCount > 0 ? legacyCount : 1),
    time: last,
    firstTime: first !== undefined && first !== last ? first : undefined,
    reportingController: str(v1 ? e.reportingController : e.reportingComponent) ?? str(rec(v1 ? e.deprecatedSource : e.source).component),
    action: str(e.action),
  });
}
