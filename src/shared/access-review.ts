/**
 * "May I?" asked of the API server as the caller: one SelfSubjectRulesReview per namespace (the caller's own
 * credentials — its token in OIDC_REQUIRED, the kubeconfig's otherwise; never impersonation) answers every
 * question about that namespace, so k0.namespaces.list learns canRead/canDeploy/canDelete with one review
 * per namespace and a write learns whether it would be refused with one review, before it writes. When the
 * review is `incomplete` (an authorizer that cannot list its rules, e.g. a webhook) and its rules do not
 * grant the question, a SelfSubjectAccessReview asks that one question.
 *
 * Answers are remembered on the identity (src/kube/identity.ts memo) for REVIEW_TTL_MS, at most
 * MAX_REVIEWS namespaces (expired ones pruned first, then the oldest), and concurrent questions share one
 * review in flight. An API server that will not review (403, 404: an authorizer or an old server without
 * the self reviews) gives no answer (`undefined`): the namespace filter alone decides, and the API server
 * itself still refuses a write it does not allow.
 */
import { AppError } from '../errors.js';
import type { CallOptions, K0rdentApi, RulesReview } from '../kube/k0rdent-api.js';
import { missingPermission, rulesAllow, type Permission } from '../policy/may-i.js';

export const REVIEW_TTL_MS = 30_000;
export const MAX_REVIEWS = 2_000;

interface Remembered<T> {
  value: Promise<T>;
  until: number;
}

/** What the identity learned of its own permissions: rules per namespace, single answers per question. */
export class AccessReviews {
  private readonly rules = new Map<string, Remembered<RulesReview | undefined>>();
  private readonly answers = new Map<string, Remembered<boolean | undefined>>();

  constructor(
    private readonly ttlMs = REVIEW_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  private remember<T>(map: Map<string, Remembered<T>>, key: string, ask: () => Promise<T>): Promise<T> {
    const now = this.now();
    const known = map.get(key);
    if (known !== undefined && known.until > now) return known.value;
    if (map.size >= MAX_REVIEWS) {
      for (const [k, entry] of map) if (entry.until <= now) map.delete(k);
      if (map.size >= MAX_REVIEWS) map.delete(map.keys().next().value as string);
    }
    const value = ask();
    map.delete(key);
    map.set(key, { value, until: now + this.ttlMs });
    // A failure (unreachable, cancelled) is not an answer: the next question asks again.
    value.catch(() => {
      if (map.get(key)?.value === value) map.delete(key);
    });
    return value;
  }

  /** The identity's rules in `namespace`; undefined when the API server will not review. */
  rulesIn(api: K0rdentApi, namespace: string, call: CallOptions): Promise<RulesReview | undefined> {
    return this.remember(this.rules, namespace, () => noAnswerOn(api.rulesReview(namespace, call)));
  }

  /** One question by SelfSubjectAccessReview; undefined when the API server will not review. */
  accessReview(api: K0rdentApi, p: Permission, call: CallOptions): Promise<boolean | undefined> {
    const key = `${p.verb}|${p.group}|${p.resource}|${p.namespace}|${p.name ?? ''}`;
    return this.remember(this.answers, key, () => noAnswerOn(api.accessReview(p, call)));
  }
}

/** A review the API server refuses or does not serve is no answer; anything else (unreachable, cancelled) is an error. */
async function noAnswerOn<T>(review: Promise<T>): Promise<T | undefined> {
  try {
    return await review;
  } catch (error) {
    if (error instanceof AppError && (error.code === 'forbidden' || error.code === 'notFound' || error.code === 'invalidParams'))
      return undefined;
    throw error;
  }
}

/** The review memory of the identity behind `api`. */
export function accessReviewsOf(api: K0rdentApi): AccessReviews {
  return api.identity.memo('shared.accessReviews', () => new AccessReviews());
}

/** How a question was answered: by the namespace's rules, by a single review, or not at all. */
export type ReviewedBy = 'SelfSubjectRulesReview' | 'SelfSubjectAccessReview';

/** May the caller do `p`? true/false from the API server's review, undefined when it gives no answer. */
export async function mayI(
  api: K0rdentApi,
  p: Permission,
  call: CallOptions,
): Promise<{ allowed: boolean; reviewedBy: ReviewedBy } | undefined> {
  const reviews = accessReviewsOf(api);
  const review = await reviews.rulesIn(api, p.namespace, call);
  if (review !== undefined && rulesAllow(review.rules, p)) return { allowed: true, reviewedBy: 'SelfSubjectRulesReview' };
  if (review !== undefined && !review.incomplete) return { allowed: false, reviewedBy: 'SelfSubjectRulesReview' };
  const answer = await reviews.accessReview(api, p, call);
  return answer === undefined ? undefined : { allowed: answer, reviewedBy: 'SelfSubjectAccessReview' };
}

/**
 * Before a write: `forbidden` naming the missing permission when the API server's review says the caller
 * may not do `p` (nothing is written); passes when it may, or when the server gives no answer (the write
 * then meets the API server's own check).
 */
export async function assertMayI(api: K0rdentApi, p: Permission, action: string, call: CallOptions): Promise<void> {
  const answer = await mayI(api, p, call);
  if (answer !== undefined && !answer.allowed) throw missingPermission(p, action, answer.reviewedBy);
}
