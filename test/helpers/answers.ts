/**
 * The differential tests' readings of what an API server answered and what a controller wrote, one copy for every
 * file that compares the embedded sandbox with kube-apiserver or real kcm (real-kcm-differential, kcm-faults,
 * kcm-differential-*).
 */
import { KubeConfig } from '@kubernetes/client-node';
import type { KubeObject } from '../../src/sandbox/apiserver/types.js';
import { KubeRest, type RestResponse } from '../../src/sandbox/kube/rest.js';

/** A status condition as kcm, Flux and Cluster API write them (metav1.Condition, the fields compared). */
export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

export const conditionsOf = (o: KubeObject | undefined): Condition[] =>
  (o?.['status'] as { conditions?: Condition[] } | undefined)?.conditions ?? [];

export const condition = (o: KubeObject | undefined, type: string): Condition | undefined => conditionsOf(o).find((c) => c.type === type);

/** An answer normalised for comparison: the status code, a refusal's Status reason and message, the Warning texts. */
export interface Answer {
  status: number;
  reason: string;
  message: string;
  warnings: string[];
}

/**
 * Node joins repeated Warning headers with ", ": split before each next `299 `, and keep each warning's text
 * (k8s.io/apiserver pkg/endpoints/warning: `299 - "<text>"`).
 */
export function answerOf(res: RestResponse): Answer {
  const body = (typeof res.body === 'object' && res.body !== null ? res.body : {}) as { reason?: string; message?: string };
  const header = res.headers['warning'];
  const warnings = (Array.isArray(header) ? header : header ? [header] : [])
    .flatMap((h) => h.split(/,\s*(?=299 )/))
    .map((w) => /^299 - "(.*)"$/.exec(w.trim())?.[1] ?? w);
  return {
    status: res.status,
    reason: res.status >= 400 ? (body.reason ?? '') : '',
    message: res.status >= 400 ? (body.message ?? '') : '',
    warnings,
  };
}

/** A raw client of a backend as its admin: the same request to each backend, answered as that API server answers it. */
export function adminRest(backend: { adminKubeconfig: string }): KubeRest {
  const kc = new KubeConfig();
  kc.loadFromString(backend.adminKubeconfig);
  return new KubeRest(kc);
}
