/**
 * The sandbox's API server held to the real one: the same request sequences go to the embedded API
 * server (no kcm) and to kube-apiserver of the test control plane (no kcm), and the normalized answers
 * are compared: status code, Status reason, message and causes, object shape, managedFields (without
 * times), watch event order; not uids, timestamps or resourceVersion values.
 * A case listed in KNOWN_DIFFERENCES is expected to differ (the reason is in docs/sandbox.md,
 * "Differences from kube-apiserver"); when it stops differing the test fails so the list stays true.
 * K0RDENT_DIFF_DUMP=DIR writes both sides of every case there as JSON (to read a difference with diff -u).
 * Needs the control plane (npm run kube:build); skipped without it unless K0RDENT_TEST_BACKEND asks for kube.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { buildKubeconfig, MemoryStore, startApiServer, type ApiServer } from '../../src/sandbox/apiserver/server.js';
import type { TokenTable } from '../../src/sandbox/apiserver/auth.js';
import { startControlPlane, type ControlPlane } from '../../src/sandbox/kube/control-plane.js';
import { applyTokenRbac, tokensCsv } from '../../src/sandbox/kube/rbac.js';
import { KubeRest, type RestResponse } from '../../src/sandbox/kube/rest.js';
import { testBackends } from '../helpers/backend.js';
import { until } from '../helpers/until.js';

const kube = testBackends().find((b) => b.name === 'kube');
const skip = kube ? kube.skip : 'the differential test compares against kube: K0RDENT_TEST_BACKEND excludes it';

const TOKENS: TokenTable = {
  users: [
    { name: 'diff-admin', token: 'diff-admin-token-0123456789', namespaces: ['*'] },
    { name: 'diff-limited', token: 'diff-limited-token-0123456789', namespaces: ['diff-a'] },
  ],
};

/** Cases whose answers differ on purpose or for now; each reason is in docs/sandbox.md. */
const KNOWN_DIFFERENCES: Record<string, string> = {
  'selector errors: an unknown field on a core kind, a malformed set': 'the wording of selector parse errors',
  'an empty labels map is dropped': 'empty metadata maps are kept',
};

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

interface Target {
  name: 'sandbox' | 'kube';
  admin: KubeRest;
  limited: KubeRest;
}

function restFor(url: string, token: string, caPem?: string): KubeRest {
  const kc = new KubeConfig();
  kc.loadFromString(buildKubeconfig({ url, token, ...(caPem ? { caPem } : {}) }));
  return new KubeRest(kc);
}

const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const UID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Drops what legitimately differs between two servers (identities, clocks, revision numbers). */
function normalize(value: unknown, key = ''): Json {
  if (value === undefined) return null;
  if (Array.isArray(value)) {
    const items = value.map((v) => normalize(v));
    if (key === 'causes') return [...items].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    return items;
  }
  if (value !== null && typeof value === 'object') {
    const out: { [k: string]: Json } = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (['uid', 'resourceVersion', 'creationTimestamp', 'selfLink', 'time'].includes(k)) continue;
      if (k === 'deletionTimestamp' || k === 'continue') {
        out[k] = v ? '<set>' : null;
        continue;
      }
      out[k.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uid>')] = normalize(v, k);
    }
    return out;
  }
  if (typeof value === 'string') {
    if (TIME.test(value)) return '<time>';
    // kube-apiserver's schema validator walks properties in Go map order, so the errors of an aggregated
    // 422 message come in any order (k8s.io/kube-openapi pkg/validation/validate/object_validator.go): sort them.
    const aggregated = key === 'message' ? /^(.* is invalid: )\[(.*)\]$/.exec(value) : null;
    if (aggregated)
      return `${aggregated[1]!}[${aggregated[2]!
        .split(/, (?=(?:<nil>|[A-Za-z][\w.[\]-]*): )/)
        .sort()
        .join(', ')}]`;
    if (UID.test(value)) return '<uid>';
    return value.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uid>');
  }
  return value as Json;
}

/** A response as compared: the code and the normalized body. */
function seen(res: RestResponse): Json {
  return { code: res.status, body: normalize(res.body) };
}

const CM_PATH = (ns: string, name?: string): string => `/api/v1/namespaces/${ns}/configmaps${name ? `/${name}` : ''}`;
const MCS_PATH = (name?: string): string => `/apis/k0rdent.mirantis.com/v1beta1/multiclusterservices${name ? `/${name}` : ''}`;
const CT_PATH = (ns: string, name?: string): string =>
  `/apis/k0rdent.mirantis.com/v1beta1/namespaces/${ns}/clustertemplates${name ? `/${name}` : ''}`;
const APPLY = 'application/apply-patch+yaml';

function configMap(
  ns: string,
  name: string,
  labels: Record<string, string> = {},
  data: Record<string, string> = { a: '1' },
): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: ns, ...(Object.keys(labels).length > 0 ? { labels } : {}) },
    data,
  };
}

function mcs(name: string, services: { name: string; namespace: string; template: string; values?: string }[]): Record<string, unknown> {
  return {
    apiVersion: 'k0rdent.mirantis.com/v1beta1',
    kind: 'MultiClusterService',
    metadata: { name },
    spec: { clusterSelector: {}, serviceSpec: { services } },
  };
}

/** Each case: a sequence of requests; what it returns is compared between the two servers. */
const CASES: Record<string, (t: Target) => Promise<Json[]>> = {
  'create, get, duplicate create (409), missing get (404)': async ({ admin }) => [
    seen(await admin.raw({ method: 'POST', path: CM_PATH('diff-a'), body: configMap('diff-a', 'cm-basic', { app: 'x' }) })),
    seen(await admin.raw({ method: 'GET', path: CM_PATH('diff-a', 'cm-basic') })),
    seen(await admin.raw({ method: 'POST', path: CM_PATH('diff-a'), body: configMap('diff-a', 'cm-basic') })),
    seen(await admin.raw({ method: 'GET', path: CM_PATH('diff-a', 'cm-missing') })),
  ],

  'list with label and field selectors, and paging': async ({ admin }) => {
    for (const [name, tier] of [
      ['sel-1', 'web'],
      ['sel-2', 'web'],
      ['sel-3', 'db'],
    ] as const) {
      await admin.json({ method: 'POST', path: CM_PATH('diff-b'), body: configMap('diff-b', name, { tier }) });
    }
    const names = (res: RestResponse): Json =>
      ((res.body as { items?: { metadata: { name: string } }[] }).items ?? []).map((i) => i.metadata.name).sort();
    const out: Json[] = [
      names(await admin.raw({ method: 'GET', path: CM_PATH('diff-b'), query: { labelSelector: 'tier=web' } })),
      names(await admin.raw({ method: 'GET', path: CM_PATH('diff-b'), query: { labelSelector: 'tier in (db),tier!=web' } })),
      names(await admin.raw({ method: 'GET', path: CM_PATH('diff-b'), query: { fieldSelector: 'metadata.name=sel-2' } })),
    ];
    const paged: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await admin.raw({
        method: 'GET',
        path: CM_PATH('diff-b'),
        query: { limit: '1', labelSelector: 'tier', continue: token },
      });
      const body = page.body as { items: { metadata: { name: string } }[]; metadata: { continue?: string; remainingItemCount?: number } };
      paged.push(...body.items.map((i) => i.metadata.name));
      out.push({ page: pages, remaining: body.metadata.remainingItemCount ?? null, more: Boolean(body.metadata.continue) });
      token = body.metadata.continue || undefined;
      pages += 1;
    } while (token && pages < 10);
    out.push(paged);
    return out;
  },

  // What the tools' optimistic concurrency relies on (issue 18): a stale resourceVersion on apply and on update, a
  // uid on the apply of a missing object, DELETE preconditions (uid, resourceVersion) — then a matching uid deletes.
  'optimistic concurrency: stale resourceVersion, uid of a missing object, DELETE preconditions': async ({ admin }) => {
    const created = await admin.json<{ metadata: { uid: string; resourceVersion: string } }>({
      method: 'POST',
      path: MCS_PATH(),
      body: mcs('occ-mcs', [{ name: 'svc', namespace: 'web', template: 't-1' }]),
    });
    const stale = created.metadata.resourceVersion;
    await admin.json({
      method: 'PATCH',
      path: MCS_PATH('occ-mcs'),
      contentType: 'application/merge-patch+json',
      body: { metadata: { labels: { moved: 'on' } } },
    });
    // resourceVersions differ between the servers: the numbers in a message are compared as <rv>.
    const withoutRv = (res: RestResponse): Json => {
      const out = seen(res) as { code: number; body: { message?: string } };
      if (typeof out.body.message === 'string') out.body.message = out.body.message.replace(/\(\d+\)/g, '(<rv>)');
      return out as unknown as Json;
    };
    const applied = (name: string, metadata: Record<string, string>): Record<string, unknown> => {
      const body = mcs(name, [{ name: 'svc', namespace: 'web', template: 't-2' }]);
      return { ...body, metadata: { ...(body.metadata as Record<string, unknown>), ...metadata } };
    };
    return [
      // Without force the ownership conflict comes first (the apply runs before the resourceVersion check) ...
      seen(
        await admin.raw({
          method: 'PATCH',
          path: MCS_PATH('occ-mcs'),
          query: { fieldManager: 'occ' },
          contentType: APPLY,
          body: applied('occ-mcs', { resourceVersion: stale }),
        }),
      ),
      // ... with force, the stale resourceVersion.
      seen(
        await admin.raw({
          method: 'PATCH',
          path: MCS_PATH('occ-mcs'),
          query: { fieldManager: 'occ', force: 'true' },
          contentType: APPLY,
          body: applied('occ-mcs', { resourceVersion: stale }),
        }),
      ),
      seen(await admin.raw({ method: 'PUT', path: MCS_PATH('occ-mcs'), body: applied('occ-mcs', { resourceVersion: stale }) })),
      seen(
        await admin.raw({
          method: 'PATCH',
          path: MCS_PATH('occ-missing'),
          query: { fieldManager: 'occ' },
          contentType: APPLY,
          body: applied('occ-missing', { uid: created.metadata.uid }),
        }),
      ),
      seen(
        await admin.raw({
          method: 'DELETE',
          path: MCS_PATH('occ-mcs'),
          body: { preconditions: { uid: '00000000-0000-0000-0000-000000000000' } },
        }),
      ),
      withoutRv(await admin.raw({ method: 'DELETE', path: MCS_PATH('occ-mcs'), body: { preconditions: { resourceVersion: stale } } })),
      (await admin.raw({ method: 'DELETE', path: MCS_PATH('occ-mcs'), body: { preconditions: { uid: created.metadata.uid } } })).status,
    ];
  },

  'server-side apply by two managers on a list-map (spec.serviceSpec.services), conflicts and force': async ({ admin }) => {
    const a = mcs('ssa-mcs', [{ name: 'ingress', namespace: 'web', template: 'ingress-1-0-0', values: 'a: 1' }]);
    const b = mcs('ssa-mcs', [{ name: 'cert', namespace: 'web', template: 'cert-1-0-0' }]);
    const out: Json[] = [
      seen(
        await admin.raw({ method: 'PATCH', path: MCS_PATH('ssa-mcs'), query: { fieldManager: 'manager-a' }, contentType: APPLY, body: a }),
      ),
      // A second manager adds another key of the list-map: both entries stay, each owned by its manager.
      seen(
        await admin.raw({ method: 'PATCH', path: MCS_PATH('ssa-mcs'), query: { fieldManager: 'manager-b' }, contentType: APPLY, body: b }),
      ),
    ];
    // manager-b now claims a field manager-a owns with another value: 409 Conflict naming the field and manager.
    const clash = mcs('ssa-mcs', [
      { name: 'cert', namespace: 'web', template: 'cert-1-0-0' },
      { name: 'ingress', namespace: 'web', template: 'ingress-2-0-0' },
    ]);
    out.push(
      seen(
        await admin.raw({
          method: 'PATCH',
          path: MCS_PATH('ssa-mcs'),
          query: { fieldManager: 'manager-b' },
          contentType: APPLY,
          body: clash,
        }),
      ),
    );
    out.push(
      seen(
        await admin.raw({
          method: 'PATCH',
          path: MCS_PATH('ssa-mcs'),
          query: { fieldManager: 'manager-b', force: 'true' },
          contentType: APPLY,
          body: clash,
        }),
      ),
    );
    // manager-a applies without its entry: what it alone owned goes, what manager-b owns stays.
    out.push(
      seen(
        await admin.raw({
          method: 'PATCH',
          path: MCS_PATH('ssa-mcs'),
          query: { fieldManager: 'manager-a' },
          contentType: APPLY,
          body: mcs('ssa-mcs', []),
        }),
      ),
    );
    return out;
  },

  'dry run create and apply persist nothing': async ({ admin }) => [
    seen(await admin.raw({ method: 'POST', path: CM_PATH('diff-a'), query: { dryRun: 'All' }, body: configMap('diff-a', 'cm-dry') })),
    seen(
      await admin.raw({
        method: 'PATCH',
        path: CM_PATH('diff-a', 'cm-dry2'),
        query: { dryRun: 'All', fieldManager: 'dry' },
        contentType: APPLY,
        body: configMap('diff-a', 'cm-dry2'),
      }),
    ),
    seen(await admin.raw({ method: 'GET', path: CM_PATH('diff-a', 'cm-dry') })),
    seen(await admin.raw({ method: 'GET', path: CM_PATH('diff-a', 'cm-dry2') })),
  ],

  'merge patch, JSON patch (and a failing test op), strategic merge on a CR (415)': async ({ admin }) => {
    await admin.json({ method: 'POST', path: CM_PATH('diff-a'), body: configMap('diff-a', 'cm-patch', {}, { a: '1', b: '2' }) });
    return [
      seen(
        await admin.raw({
          method: 'PATCH',
          path: CM_PATH('diff-a', 'cm-patch'),
          contentType: 'application/merge-patch+json',
          body: { data: { b: null, c: '3' } },
        }),
      ),
      seen(
        await admin.raw({
          method: 'PATCH',
          path: CM_PATH('diff-a', 'cm-patch'),
          contentType: 'application/json-patch+json',
          body: [{ op: 'replace', path: '/data/a', value: '9' }],
        }),
      ),
      seen(
        await admin.raw({
          method: 'PATCH',
          path: CM_PATH('diff-a', 'cm-patch'),
          contentType: 'application/json-patch+json',
          body: [{ op: 'test', path: '/data/a', value: 'nope' }],
        }),
      ),
      seen(
        await admin.raw({
          method: 'PATCH',
          path: MCS_PATH('missing-mcs'),
          contentType: 'application/strategic-merge-patch+json',
          body: { spec: {} },
        }),
      ),
    ];
  },

  'no-op apply keeps the resourceVersion; generation moves with spec only': async ({ admin }) => {
    const body = mcs('gen-mcs', [{ name: 'svc', namespace: 'web', template: 't-1' }]);
    const first = (await admin.json({
      method: 'PATCH',
      path: MCS_PATH('gen-mcs'),
      query: { fieldManager: 'gen' },
      contentType: APPLY,
      body,
    })) as { metadata: { resourceVersion: string; generation: number } };
    const again = (await admin.json({
      method: 'PATCH',
      path: MCS_PATH('gen-mcs'),
      query: { fieldManager: 'gen' },
      contentType: APPLY,
      body,
    })) as { metadata: { resourceVersion: string; generation: number } };
    const labelled = (await admin.json({
      method: 'PATCH',
      path: MCS_PATH('gen-mcs'),
      contentType: 'application/merge-patch+json',
      body: { metadata: { labels: { x: 'y' } } },
    })) as { metadata: { generation: number } };
    const status = (await admin.json({
      method: 'PATCH',
      path: `${MCS_PATH('gen-mcs')}/status`,
      contentType: 'application/merge-patch+json',
      body: {
        status: { conditions: [{ type: 'Ready', status: 'True', reason: 'R', message: 'm', lastTransitionTime: '2026-01-01T00:00:00Z' }] },
      },
    })) as { metadata: { generation: number } };
    const spec = (await admin.json({
      method: 'PATCH',
      path: MCS_PATH('gen-mcs'),
      contentType: 'application/merge-patch+json',
      body: { spec: { keepServicesOnSelectorMismatch: true } },
    })) as { metadata: { generation: number } };
    return [
      first.metadata.generation,
      again.metadata.resourceVersion === first.metadata.resourceVersion,
      labelled.metadata.generation,
      status.metadata.generation,
      spec.metadata.generation,
    ];
  },

  'watch from a resourceVersion: event order; a too old resourceVersion: 410': async ({ admin }) => {
    const list = (await admin.json({ method: 'GET', path: CM_PATH('diff-b') })) as { metadata: { resourceVersion: string } };
    await admin.json({ method: 'POST', path: CM_PATH('diff-b'), body: configMap('diff-b', 'cm-watch') });
    await admin.json({
      method: 'PATCH',
      path: CM_PATH('diff-b', 'cm-watch'),
      contentType: 'application/merge-patch+json',
      body: { data: { a: '2' } },
    });
    await admin.json({ method: 'DELETE', path: CM_PATH('diff-b', 'cm-watch') });
    const watch = await admin.raw({
      method: 'GET',
      path: CM_PATH('diff-b'),
      query: { watch: 'true', resourceVersion: list.metadata.resourceVersion, timeoutSeconds: '2' },
    });
    const events = String(typeof watch.body === 'string' ? watch.body : JSON.stringify(watch.body))
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as { type: string; object: { metadata: { name: string }; data?: Record<string, string> } })
      .map((e) => `${e.type} ${e.object.metadata.name} ${JSON.stringify(e.object.data ?? {})}`);
    const old = await admin.raw({
      method: 'GET',
      path: CM_PATH('diff-b'),
      query: { watch: 'true', resourceVersion: '1', timeoutSeconds: '1' },
    });
    const oldEvents = String(typeof old.body === 'string' ? old.body : JSON.stringify(old.body))
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as { type: string; object: { code?: number; reason?: string } })
      .map((e) => `${e.type} ${e.object.code ?? ''} ${e.object.reason ?? ''}`);
    return [watch.status, events, old.status, oldEvents];
  },

  'foreground deletion waits for dependents (garbage collector); finalizers hold a deletion': async ({ admin }) => {
    const owner = (await admin.json({ method: 'POST', path: CM_PATH('diff-a'), body: configMap('diff-a', 'fg-owner') })) as {
      metadata: { uid: string };
    };
    const dependent = configMap('diff-a', 'fg-dependent');
    (dependent['metadata'] as Record<string, unknown>)['ownerReferences'] = [
      { apiVersion: 'v1', kind: 'ConfigMap', name: 'fg-owner', uid: owner.metadata.uid, blockOwnerDeletion: true },
    ];
    (dependent['metadata'] as Record<string, unknown>)['finalizers'] = ['example.com/hold'];
    await admin.json({ method: 'POST', path: CM_PATH('diff-a'), body: dependent });
    const out: Json[] = [
      seen(
        await admin.raw({
          method: 'DELETE',
          path: CM_PATH('diff-a', 'fg-owner'),
          body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Foreground' },
        }),
      ),
    ];
    // The owner waits in foregroundDeletion while its blocking dependent is held by a finalizer.
    const dependentTerminating = await until(
      'the dependent to be deleted by the garbage collector',
      async () => {
        const d = await admin.raw({ method: 'GET', path: CM_PATH('diff-a', 'fg-dependent') });
        return (d.body as { metadata?: { deletionTimestamp?: string } }).metadata?.deletionTimestamp ? d : undefined;
      },
      60_000,
    );
    out.push(seen(dependentTerminating));
    out.push(seen(await admin.raw({ method: 'GET', path: CM_PATH('diff-a', 'fg-owner') })));
    out.push(
      seen(
        await admin.raw({
          method: 'PATCH',
          path: CM_PATH('diff-a', 'fg-dependent'),
          contentType: 'application/merge-patch+json',
          body: { metadata: { finalizers: null } },
        }),
      ),
    );
    await until(
      'the owner to go',
      async () => ((await admin.raw({ method: 'GET', path: CM_PATH('diff-a', 'fg-owner') })).status === 404 ? true : undefined),
      60_000,
    );
    out.push(seen(await admin.raw({ method: 'GET', path: CM_PATH('diff-a', 'fg-dependent') })));
    return out;
  },

  'Table GETs (kubectl get)': async ({ admin }) => {
    await admin.json({ method: 'POST', path: CM_PATH('diff-b'), body: configMap('diff-b', 'cm-table', {}, { a: '1', b: '2' }) });
    const get = (path: string): Promise<RestResponse> =>
      admin.raw({
        method: 'GET',
        path,
        query: { includeObject: 'Metadata' },
        accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json',
      });
    const shape = (res: RestResponse): Json => {
      const body = res.body as {
        kind?: string;
        columnDefinitions?: { name: string; type: string; format: string; priority: number }[];
        rows?: { cells: unknown[] }[];
      };
      const ageAt = (body.columnDefinitions ?? []).findIndex((c) => c.name === 'Age');
      return {
        code: res.status,
        kind: body.kind ?? null,
        columns: (body.columnDefinitions ?? []).map((c) => `${c.name}:${c.type}:${c.format}:${c.priority}`),
        rows: (body.rows ?? []).map((r) => r.cells.map((c, i) => (i === ageAt ? '<age>' : normalize(c)))),
      };
    };
    return [shape(await get(CM_PATH('diff-b', 'cm-table'))), shape(await get(CM_PATH('diff-b')))];
  },

  '422 (schema) bodies': async ({ admin }) => [
    seen(
      await admin.raw({
        method: 'POST',
        path: MCS_PATH(),
        body: {
          apiVersion: 'k0rdent.mirantis.com/v1beta1',
          kind: 'MultiClusterService',
          metadata: { name: 'bad-mcs' },
          spec: { serviceSpec: { services: [{ name: 'x', namespace: 'y' }] }, keepServicesOnSelectorMismatch: 'yes' },
        },
      }),
    ),
  ],

  '403 (RBAC) bodies: a token bound in one namespace, used in another': async ({ limited }) => [
    seen(await limited.raw({ method: 'GET', path: CM_PATH('diff-b') })),
    seen(await limited.raw({ method: 'GET', path: CM_PATH('diff-b', 'cm-x') })),
    seen(await limited.raw({ method: 'POST', path: CM_PATH('diff-b'), body: configMap('diff-b', 'cm-forbidden') })),
    { code: (await limited.raw({ method: 'GET', path: CM_PATH('diff-a') })).status },
  ],

  'selector errors: an unknown field on a core kind, a malformed set': async ({ admin }) => [
    seen(await admin.raw({ method: 'GET', path: CM_PATH('diff-b'), query: { fieldSelector: 'data.a=1' } })),
    seen(await admin.raw({ method: 'GET', path: CM_PATH('diff-b'), query: { labelSelector: 'tier in web' } })),
  ],

  'an empty labels map is dropped': async ({ admin }) => [
    seen(
      await admin.raw({
        method: 'POST',
        path: CM_PATH('diff-a'),
        body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm-empty-labels', namespace: 'diff-a', labels: {} } },
      }),
    ),
  ],

  'field selectors a resource does not support': async ({ admin }) => [
    seen(await admin.raw({ method: 'GET', path: CT_PATH('diff-a'), query: { fieldSelector: 'spec.x=1' } })),
  ],

  'CEL rule failures (x-kubernetes-validations)': async ({ admin }) => {
    const template = {
      apiVersion: 'k0rdent.mirantis.com/v1beta1',
      kind: 'ClusterTemplate',
      metadata: { name: 'cel-template', namespace: 'diff-a' },
      spec: { helm: {} },
    };
    return [seen(await admin.raw({ method: 'POST', path: CT_PATH('diff-a'), body: template }))];
  },
};

describe('differential: the sandbox API server and kube-apiserver answer alike', { skip }, () => {
  let embedded: ApiServer | undefined;
  let store: MemoryStore | undefined;
  let plane: ControlPlane | undefined;
  const targets: Target[] = [];

  before(async () => {
    store = new MemoryStore();
    embedded = await startApiServer({ store, host: '127.0.0.1', port: 0, tokens: TOKENS });
    plane = await startControlPlane({ tokensCsv: tokensCsv(TOKENS) });
    const kubeAdmin = new KubeConfig();
    kubeAdmin.loadFromString(plane.adminKubeconfig);
    const sandboxTarget: Target = {
      name: 'sandbox',
      admin: restFor(embedded.url, TOKENS.users[0]!.token),
      limited: restFor(embedded.url, TOKENS.users[1]!.token),
    };
    const kubeTarget: Target = {
      name: 'kube',
      admin: restFor(plane.server, TOKENS.users[0]!.token, plane.caPem),
      limited: restFor(plane.server, TOKENS.users[1]!.token, plane.caPem),
    };
    const planeAdmin = new KubeRest(kubeAdmin);
    for (const rest of [sandboxTarget.admin, planeAdmin]) {
      for (const ns of ['diff-a', 'diff-b'])
        await rest.json({
          method: 'POST',
          path: '/api/v1/namespaces',
          body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
        });
    }
    await applyTokenRbac(planeAdmin, TOKENS, new Set(['diff-a', 'diff-b']));
    // The RBAC authorizer reads through an informer: wait until the new bindings count.
    await until(
      'the RBAC bindings to take effect',
      async () =>
        (await kubeTarget.limited.raw({ method: 'GET', path: CM_PATH('diff-a') })).status === 200 &&
        (await kubeTarget.admin.raw({ method: 'GET', path: '/api/v1/namespaces' })).status === 200
          ? true
          : undefined,
      60_000,
    );
    targets.push(sandboxTarget, kubeTarget);
  });
  after(async () => {
    await embedded?.close();
    store?.close();
    await plane?.close();
  });

  for (const [name, run] of Object.entries(CASES)) {
    it(name, async () => {
      const [sandbox, real] = [await run(targets[0]!), await run(targets[1]!)];
      const dump = process.env['K0RDENT_DIFF_DUMP'];
      if (dump) {
        const slug = name.replace(/[^a-z0-9]+/gi, '-').slice(0, 40);
        writeFileSync(join(dump, `${slug}.sandbox.json`), JSON.stringify(sandbox, null, 1));
        writeFileSync(join(dump, `${slug}.kube.json`), JSON.stringify(real, null, 1));
      }
      const known = KNOWN_DIFFERENCES[name];
      if (known) {
        assert.notDeepEqual(sandbox, real, `"${name}" no longer differs: remove it from KNOWN_DIFFERENCES and docs/sandbox.md (${known})`);
        return;
      }
      assert.deepEqual(sandbox, real, `sandbox (actual) vs kube-apiserver (expected) differ for "${name}"`);
    });
  }
});
