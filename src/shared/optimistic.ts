/**
 * Optimistic concurrency of the tools that write what they read (update, services apply/remove, delete
 * after a confirmation): the write carries the resourceVersion (and uid) it was computed from, the API
 * server refuses it with 409 when the object moved on, and the tool re-reads and re-merges a bounded
 * number of times. What kube-apiserver answers (k8s.io/apiserver v0.36 pkg/registry/generic/registry/store.go
 * Update: a resourceVersion that is not the stored one → Conflict "the object has been modified; please
 * apply your changes to the latest version and try again"; pkg/endpoints/handlers/patch.go applyPatch: an
 * apply naming a uid when no object exists → Conflict "uid mismatch: ..."; pkg/storage/interfaces.go
 * Preconditions.Check and pkg/registry/rest/delete.go BeforeDelete: a DELETE whose preconditions.uid is not
 * the object's → Conflict; store.go Create → AlreadyExists). Pure.
 */
import { AppError } from '../errors.js';

/** Writes per call: the first and up to three re-merges after a 409 from a concurrent writer. */
export const MAX_WRITE_ATTEMPTS = 4;

function conflictOf(error: unknown): AppError | undefined {
  return error instanceof AppError && error.code === 'conflict' && error.details?.httpStatus === 409 ? error : undefined;
}

/** The write was computed from an object that has changed since (or is gone): re-read and merge again. */
export function isStaleWrite(error: unknown): boolean {
  const e = conflictOf(error);
  return (
    e !== undefined &&
    e.details?.reason === 'Conflict' &&
    (e.message.includes('the object has been modified') || e.message.includes('uid mismatch'))
  );
}

/** A create met a name someone else created first. */
export function isAlreadyExists(error: unknown): boolean {
  return conflictOf(error)?.details?.reason === 'AlreadyExists';
}

/**
 * A DELETE's uid precondition failed: the name now belongs to another object (rest.BeforeDelete's "the UID
 * in the precondition (…) does not match the UID in record (…)", or the storage layer's "Precondition
 * failed: UID in precondition: …" when the object changed during the delete).
 */
export function isPreconditionFailed(error: unknown): boolean {
  const message = conflictOf(error)?.message ?? '';
  return /UID in (the )?precondition/.test(message);
}

/** `a` and `b` name the same value or one contains the other (`config.worker` and `config.worker.vmSize`). */
export function pathsOverlap(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}.`) || a.startsWith(`${b}[`) || b.startsWith(`${a}.`) || b.startsWith(`${a}[`);
}

/** The caller's changed paths that another writer changed too. */
export function overlappingPaths(ours: readonly { path: string }[], theirs: readonly { path: string }[]): string[] {
  return ours.filter((o) => theirs.some((t) => pathsOverlap(o.path, t.path))).map((o) => o.path);
}

/** Short pause before a re-read (a few ms, jittered), so writers that collided do not collide again in step. */
export function backoff(attempt: number): Promise<void> {
  const ms = Math.floor(Math.random() * 20 * attempt);
  return new Promise((resolve) => setTimeout(resolve, ms));
}
