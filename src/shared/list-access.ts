/**
 * What one Kubernetes identity learned about where it may list: whether the cluster-wide LIST of a
 * resource was refused, which namespaces answered a per-namespace LIST and which refused it (403),
 * and the namespace list itself. Remembered for a short TTL (ACCESS_TTL_MS) on the identity
 * (src/kube/identity.ts memo), so the per-namespace fallback probes a namespace the identity may not
 * read once per TTL, not on every call. RBAC changes show within one TTL.
 */
import { AppError } from '../errors.js';
import type { K0rdentApi } from '../kube/k0rdent-api.js';

export const ACCESS_TTL_MS = 30_000;
/** Remembered namespaces per resource at most (a cluster has a few thousand; expired ones are pruned first). */
const MAX_REMEMBERED = 20_000;

interface Remembered<T> {
  value: T;
  until: number;
}

interface ResourceAccess {
  cluster?: Remembered<AppError>;
  namespaces: Map<string, Remembered<AppError | true>>;
}

export class ListAccess {
  private readonly resources = new Map<string, ResourceAccess>();
  private namespaceList: Remembered<string[] | AppError> | undefined;

  constructor(
    private readonly ttlMs = ACCESS_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  private of(resource: string): ResourceAccess {
    let access = this.resources.get(resource);
    if (access === undefined) {
      access = { namespaces: new Map() };
      this.resources.set(resource, access);
    }
    return access;
  }

  private fresh<T>(entry: Remembered<T> | undefined): T | undefined {
    return entry !== undefined && entry.until > this.now() ? entry.value : undefined;
  }

  /** The 403 of the cluster-wide LIST of `resource`, while remembered. */
  clusterRefusal(resource: string): AppError | undefined {
    return this.fresh(this.of(resource).cluster);
  }

  refuseCluster(resource: string, error: AppError): void {
    this.of(resource).cluster = { value: error, until: this.now() + this.ttlMs };
  }

  /** The 403 of a namespaced LIST of `resource` in `namespace`, while remembered. */
  namespaceRefusal(resource: string, namespace: string): AppError | undefined {
    const value = this.fresh(this.of(resource).namespaces.get(namespace));
    return value instanceof AppError ? value : undefined;
  }

  /** Records how `namespace` answered a LIST of `resource`: `true` (it answered) or its 403. */
  record(resource: string, namespace: string, outcome: true | AppError): void {
    const map = this.of(resource).namespaces;
    if (map.size >= MAX_REMEMBERED) {
      const now = this.now();
      for (const [ns, entry] of map) if (entry.until <= now) map.delete(ns);
      if (map.size >= MAX_REMEMBERED) map.delete(map.keys().next().value as string);
    }
    map.delete(namespace);
    map.set(namespace, { value: outcome, until: this.now() + this.ttlMs });
  }

  /** The cluster's namespace names (or the refusal to list them), fetched at most once per TTL. */
  async namespaces(fetch: () => Promise<string[]>): Promise<string[]> {
    const known = this.fresh(this.namespaceList);
    if (known instanceof AppError) throw known;
    if (known !== undefined) return known;
    try {
      const names = await fetch();
      this.namespaceList = { value: names, until: this.now() + this.ttlMs };
      return names;
    } catch (error) {
      if (error instanceof AppError && error.code === 'forbidden') this.namespaceList = { value: error, until: this.now() + this.ttlMs };
      throw error;
    }
  }
}

/** The list access memory of the identity behind `api`. */
export function listAccessOf(api: K0rdentApi): ListAccess {
  return api.identity.memo('clusters.listAccess', () => new ListAccess());
}
