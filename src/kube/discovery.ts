/**
 * Which kinds the API server serves, and at which version: aggregated discovery (`/apis` with
 * apidiscovery.k8s.io/v2, one request for every group, kube-apiserver ≥ 1.30 and the sandbox), falling back
 * to the legacy `/apis` group list plus one APIResourceList per group asked about. Remembered per identity
 * for a short time: CRDs come and go rarely, and a walk below a ClusterDeployment asks about a dozen kinds.
 * The preferred version wins (the first one discovery lists), so nothing here names a version literally.
 */
import { AppError } from '../errors.js';
import type { KubeIdentity } from './identity.js';
import { rawGet } from './raw-get.js';

export interface ServedKind {
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
  /** Subresources discovery lists (status, log, scale, ...). */
  subresources: string[];
}

interface AggregatedResource {
  resource?: string;
  responseKind?: { kind?: string };
  scope?: string;
  subresources?: { subresource?: string }[];
}

interface AggregatedList {
  kind?: string;
  items?: { metadata?: { name?: string }; versions?: { version?: string; resources?: AggregatedResource[] }[] }[];
}

interface LegacyGroupList {
  groups?: { name?: string; preferredVersion?: { version?: string }; versions?: { version?: string }[] }[];
}

interface LegacyResourceList {
  resources?: { name?: string; kind?: string; namespaced?: boolean }[];
}

const AGGREGATED_ACCEPT =
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';

/** How long an identity trusts what discovery said. */
export const DISCOVERY_TTL_MS = 30_000;

export interface DiscoveryCall {
  signal?: AbortSignal | undefined;
  timeoutMs: number;
  /** Called before each request (the walk's budget). */
  onRequest?: () => void;
}

/** Kinds by group, preferred version first; or, for the legacy form, the preferred version of each group. */
class DiscoveryData {
  constructor(
    readonly at: number,
    /** group → kinds at the preferred version (aggregated), or undefined until read (legacy). */
    readonly byGroup: Map<string, ServedKind[] | undefined>,
    /** legacy only: group → preferred version */
    readonly preferred: Map<string, string>,
  ) {}
}

function parseAggregated(body: AggregatedList, at: number): DiscoveryData {
  const byGroup = new Map<string, ServedKind[] | undefined>();
  for (const item of body.items ?? []) {
    const group = item.metadata?.name ?? '';
    // The first version is the preferred one (kube-apiserver orders them by priority).
    const version = item.versions?.[0];
    if (version?.version === undefined) continue;
    const kinds: ServedKind[] = [];
    for (const r of version.resources ?? []) {
      if (r.resource === undefined || r.responseKind?.kind === undefined) continue;
      kinds.push({
        group,
        version: version.version,
        kind: r.responseKind.kind,
        plural: r.resource,
        namespaced: r.scope === 'Namespaced',
        subresources: (r.subresources ?? []).map((s) => s.subresource ?? '').filter((s) => s !== ''),
      });
    }
    byGroup.set(group, kinds);
  }
  return new DiscoveryData(at, byGroup, new Map());
}

export class Discovery {
  constructor(private readonly identity: KubeIdentity) {}

  private get slot(): { data?: DiscoveryData; loading?: Promise<DiscoveryData> } {
    return this.identity.memo('discovery', () => ({}));
  }

  private async load(call: DiscoveryCall): Promise<DiscoveryData> {
    const slot = this.slot;
    if (slot.data !== undefined && Date.now() - slot.data.at < DISCOVERY_TTL_MS) return slot.data;
    call.onRequest?.();
    const loading = (async () => {
      const answer = await rawGet(this.identity, '/apis', {
        accept: AGGREGATED_ACCEPT,
        signal: call.signal,
        timeoutMs: call.timeoutMs,
        action: 'discover the API groups (/apis)',
      });
      const body = JSON.parse(answer.body) as AggregatedList & LegacyGroupList;
      if (body.kind === 'APIGroupDiscoveryList' || answer.contentType.includes('APIGroupDiscoveryList'))
        return parseAggregated(body, Date.now());
      const preferred = new Map<string, string>();
      const byGroup = new Map<string, ServedKind[] | undefined>();
      for (const g of body.groups ?? []) {
        const version = g.preferredVersion?.version ?? g.versions?.[0]?.version;
        if (g.name === undefined || version === undefined) continue;
        preferred.set(g.name, version);
        byGroup.set(g.name, undefined);
      }
      return new DiscoveryData(Date.now(), byGroup, preferred);
    })();
    slot.loading = loading;
    try {
      slot.data = await loading;
      return slot.data;
    } finally {
      if (slot.loading === loading) delete slot.loading;
    }
  }

  /** The kinds a group serves at its preferred version; [] when the group is not served. */
  async groupKinds(group: string, call: DiscoveryCall): Promise<ServedKind[]> {
    const data = await this.load(call);
    if (!data.byGroup.has(group)) return [];
    const known = data.byGroup.get(group);
    if (known !== undefined) return known;
    const version = data.preferred.get(group) ?? '';
    call.onRequest?.();
    const answer = await rawGet(this.identity, `/apis/${group}/${version}`, {
      signal: call.signal,
      timeoutMs: call.timeoutMs,
      action: `discover the kinds of ${group}/${version}`,
    });
    const list = JSON.parse(answer.body) as LegacyResourceList;
    const kinds: ServedKind[] = [];
    const subresources = new Map<string, string[]>();
    for (const r of list.resources ?? []) {
      const [plural, sub] = (r.name ?? '').split('/');
      if (plural === undefined || plural === '') continue;
      if (sub !== undefined) subresources.set(plural, [...(subresources.get(plural) ?? []), sub]);
      else if (r.kind !== undefined)
        kinds.push({ group, version, kind: r.kind, plural, namespaced: r.namespaced === true, subresources: [] });
    }
    for (const k of kinds) k.subresources = subresources.get(k.plural) ?? [];
    data.byGroup.set(group, kinds);
    return kinds;
  }

  /** The served kind `kind` of `group`, or undefined when its CRD is absent. */
  async find(group: string, kind: string, call: DiscoveryCall): Promise<ServedKind | undefined> {
    return (await this.groupKinds(group, call)).find((k) => k.kind === kind);
  }
}

/** The API group of an `apiVersion` (`cluster.x-k8s.io/v1beta2` → `cluster.x-k8s.io`, `v1` → ''). */
export function groupOf(apiVersion: string | undefined): string {
  if (apiVersion === undefined) return '';
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/** The path of a collection or an object of a served kind. */
export function kindPath(kind: ServedKind, namespace: string | undefined, name?: string): string {
  const base = kind.group === '' ? `/api/${kind.version}` : `/apis/${kind.group}/${kind.version}`;
  const ns = kind.namespaced && namespace !== undefined ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${base}${ns}/${kind.plural}${name !== undefined ? `/${encodeURIComponent(name)}` : ''}`;
}

/** A discovery answer that is not JSON is the server's fault, not the caller's. */
export function discoveryError(error: unknown): AppError {
  return error instanceof AppError ? error : new AppError('internal', `discovery failed: ${String(error)}`);
}
