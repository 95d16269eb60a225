/**
 * k0.events.list: Events of the readable namespaces, newest first. Reads events.k8s.io/v1 (what kcm
 * writes: eventTime, series, no lastTimestamp) and falls back to core/v1 when the server lacks it (404,
 * remembered per identity). Filters go to the server as field selectors where the API has them
 * (`regarding.name`, `regarding.kind`, `type`); newest-first needs the whole match, so every page reads
 * it (bounded by MAX_EVENTS) and the `continue` token is an offset into that order.
 */
import type { CallOptions, EventsApiVersion } from '../kube/k0rdent-api.js';
import type { ReadContext } from '../shared/read-context.js';
import { AppError } from '../errors.js';
import { assertNamespaceExists, missingEverywhere, missingObject, NAMED_KINDS } from '../shared/not-found.js';
import { CLUSTER_DEPLOYMENT } from '../k0rdent/resources.js';
import { assertObjectName } from '../policy/names.js';
import type { z } from 'zod';
import type { eventPage } from './results.js';
import { summarizeEvent } from './summaries.js';

export const DEFAULT_EVENT_LIMIT = 50;
/** Events read per query at most (server pages of 500); older ones beyond it are not reached. */
export const MAX_EVENTS = 5000;
const NAMESPACE_CONCURRENCY = 8;

export interface EventQuery {
  namespace?: string | undefined;
  forKind?: string | undefined;
  forName?: string | undefined;
  types?: readonly string[] | undefined;
  /** Only events that last happened at or after this instant (ms since epoch). */
  sinceMs?: number | undefined;
  limit?: number | undefined;
  continue?: string | undefined;
  /**
   * No event for `forKind`/`forName` of a kind tools name (NAMED_KINDS): check the object exists, and answer a
   * missing one as notFound in the one shape (a typo would otherwise read as "no events"). The tool sets it.
   */
  checkObject?: boolean | undefined;
}

/** source: which API answered; truncated: more than MAX_EVENTS matched and the oldest were not read. */
export type EventPage = z.infer<typeof eventPage>;

/** The API version this identity reads events from: events.k8s.io/v1 until it answers 404. */
function versionMemo(ctx: ReadContext): { version: EventsApiVersion } {
  return ctx.api.identity.memo('events.version', () => ({ version: 'events.k8s.io/v1' as EventsApiVersion }));
}

function fieldSelector(version: EventsApiVersion, query: EventQuery): string | undefined {
  const ref = version === 'v1' ? 'involvedObject' : 'regarding';
  const terms: string[] = [];
  if (query.forName !== undefined) terms.push(`${ref}.name=${query.forName}`);
  // A ClusterDeployment's story includes the objects kcm and CAPI create under its name (HelmRelease, Cluster, ...).
  if (query.forKind !== undefined && query.forKind !== CLUSTER_DEPLOYMENT.kind) terms.push(`${ref}.kind=${query.forKind}`);
  if (query.types !== undefined && query.types.length === 1) terms.push(`type=${query.types[0]}`);
  return terms.length > 0 ? terms.join(',') : undefined;
}

interface Token {
  q: string;
  o: number;
}

function queryKey(query: EventQuery): string {
  return JSON.stringify([
    query.namespace ?? '*',
    query.forKind ?? '',
    query.forName ?? '',
    [...(query.types ?? [])].sort(),
    query.sinceMs ?? 0,
  ]);
}

function decodeToken(text: string, key: string): number {
  try {
    const token = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Token;
    if (token.q === key && Number.isInteger(token.o) && token.o > 0) return token.o;
  } catch {
    // fall through
  }
  throw new AppError(
    'invalidParams',
    'continue token is invalid or belongs to another query; repeat the same query without `continue` to start over',
  );
}

async function readAll(
  ctx: ReadContext,
  version: EventsApiVersion,
  namespace: string | undefined,
  selector: string | undefined,
  call: CallOptions,
): Promise<{ items: unknown[]; truncated: boolean }> {
  const items: unknown[] = [];
  let next: string | undefined;
  do {
    const page = await ctx.api.listEvents(version, { namespace, fieldSelector: selector, limit: 500, continue: next }, call);
    items.push(...page.items);
    next = page.continue;
  } while (next !== undefined && items.length < MAX_EVENTS);
  return { items, truncated: next !== undefined };
}

async function readScope(
  ctx: ReadContext,
  version: EventsApiVersion,
  query: EventQuery,
  call: CallOptions,
): Promise<{ items: unknown[]; truncated: boolean }> {
  const selector = fieldSelector(version, query);
  if (query.namespace !== undefined) return readAll(ctx, version, query.namespace, selector, call);
  try {
    const all = await readAll(ctx, version, undefined, selector, call);
    return { items: all.items.filter((e) => ctx.policy.isReadable(namespaceOf(e))), truncated: all.truncated };
  } catch (error) {
    if (!(error instanceof AppError && error.code === 'forbidden')) throw error;
  }
  // Not allowed cluster-wide: the readable namespaces one by one (bounded concurrency); refused ones are skipped.
  const namespaces = await ctx.readableNamespaces(call);
  const items: unknown[] = [];
  let truncated = false;
  for (let i = 0; i < namespaces.length; i += NAMESPACE_CONCURRENCY) {
    const batch = await Promise.all(
      namespaces.slice(i, i + NAMESPACE_CONCURRENCY).map((ns) =>
        readAll(ctx, version, ns, selector, call).catch((error: unknown) => {
          if (error instanceof AppError && error.code === 'forbidden') return { items: [], truncated: false };
          throw error;
        }),
      ),
    );
    for (const b of batch) {
      items.push(...b.items);
      truncated ||= b.truncated;
    }
  }
  return { items, truncated };
}

function namespaceOf(event: unknown): string {
  const meta = (event as { metadata?: { namespace?: unknown } }).metadata;
  return typeof meta?.namespace === 'string' ? meta.namespace : '';
}

/** The object the query asks the events of exists (when its kind is one tools name), else notFound in the one shape. */
async function assertObjectExists(ctx: ReadContext, query: EventQuery, call: CallOptions): Promise<void> {
  const kind = query.forKind !== undefined ? NAMED_KINDS[query.forKind] : undefined;
  if (kind === undefined || query.forName === undefined) return;
  if (query.namespace !== undefined) {
    if ((await ctx.api.get(kind.resource, query.namespace, query.forName, call)) === undefined)
      throw await missingObject(ctx.api, ctx.policy, { kind, name: query.forName, namespace: query.namespace }, call);
    return;
  }
  const found = await ctx.api
    .list(kind.resource, { fieldSelector: `metadata.name=${query.forName}`, metadataOnly: true }, call)
    .catch(() => undefined);
  if (found !== undefined && !found.items.some((o) => ctx.policy.isReadable(o.metadata?.namespace ?? '')))
    throw await missingEverywhere(ctx.api, ctx.policy, kind, query.forName, call);
}

/** Validates the query (before any API call), then reads, filters, sorts newest first and pages. */
export async function listEvents(ctx: ReadContext, query: EventQuery, call: CallOptions): Promise<EventPage> {
  if (query.namespace !== undefined) ctx.policy.assertReadable(query.namespace);
  if (query.forName !== undefined) assertObjectName(query.forName, 'forName');
  if (query.forKind !== undefined && !/^[A-Z][A-Za-z0-9]{0,62}$/.test(query.forKind)) {
    throw new AppError(
      'invalidParams',
      `forKind "${query.forKind.slice(0, 80)}" is not a Kubernetes kind (CamelCase, e.g. ClusterDeployment, HelmRelease, Cluster)`,
    );
  }
  const limit = query.limit ?? DEFAULT_EVENT_LIMIT;
  const key = queryKey(query);
  const offset = query.continue !== undefined ? decodeToken(query.continue, key) : 0;

  const memo = versionMemo(ctx);
  let version = memo.version;
  let read: { items: unknown[]; truncated: boolean };
  try {
    read = await readScope(ctx, version, query, call);
  } catch (error) {
    if (!(version === 'events.k8s.io/v1' && error instanceof AppError && error.code === 'notFound')) throw error;
    ctx.logger.debug({}, 'events.k8s.io/v1 is not served; reading core/v1 Events');
    memo.version = version = 'v1';
    read = await readScope(ctx, version, query, call);
  }
  // An empty answer for a namespace that does not exist is a typo, not "no events": say so (issue 7 item 5).
  if (read.items.length === 0 && query.namespace !== undefined) await assertNamespaceExists(ctx.api, ctx.policy, query.namespace, call);
  if (read.items.length === 0 && query.checkObject) await assertObjectExists(ctx, query, call);
  const types = query.types !== undefined && query.types.length > 0 ? new Set(query.types) : undefined;
  const matching = read.items
    .map((e) => summarizeEvent(e, version))
    .filter((e) => types === undefined || (e.type !== undefined && types.has(e.type)))
    .filter((e) => query.sinceMs === undefined || (e.time !== undefined && Date.parse(e.time) >= query.sinceMs))
    .sort((a, b) => (b.time ?? '').localeCompare(a.time ?? '') || a.name.localeCompare(b.name));
  const items = matching.slice(offset, offset + limit);
  const more = offset + limit < matching.length;
  return {
    items,
    source: version,
    ...(more ? { continue: Buffer.from(JSON.stringify({ q: key, o: offset + limit } satisfies Token)).toString('base64url') } : {}),
    ...(read.truncated ? { truncated: true } : {}),
  };
}
