/**
 * MCP task ids that carry the whole task, so no task lives in process memory: any replica, a restarted
 * server and `serve --stateless` read the same id the same way.
 * - A *follow* task names the operation, namespace, name, uid and target generation of a ClusterDeployment
 *   (plus what its result repeats from the write); its state is read from the cluster at every tasks/get.
 * - A *settled* task is a call that ended before anything was left to follow (bad input, a dry run, nothing
 *   to delete, a declined confirmation): the id holds its result.
 * Encoded, not signed: the id grants nothing. Every read is made with the caller's own identity and the
 * namespace policy, so a forged id can only name what the caller may read anyway.
 */
import { randomBytes } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { z } from 'zod';

export const TASK_OPERATIONS = ['deploy', 'update', 'delete'] as const;
export type TaskOperation = (typeof TASK_OPERATIONS)[number];

const followSchema = z.strictObject({
  kind: z.literal('follow'),
  op: z.enum(TASK_OPERATIONS),
  namespace: z.string().min(1).max(63),
  name: z.string().min(1).max(253),
  uid: z.string().min(1).max(64),
  /** metadata.generation the write produced (deploy/update), or the object's generation when delete began. */
  generation: z.number().int().nonnegative(),
  /** After a template change: the chart HelmReleaseReady must name. */
  chart: z.string().max(512).optional(),
  /** HelmReleaseReady's message before the change, which no longer counts. */
  previousRelease: z.string().max(2048).optional(),
  /** After an update that changes the machines: the CAPI counters that must reach the count asked for (src/k0rdent/judge.ts). */
  machines: z
    .strictObject({
      workers: z.union([z.number().int().nonnegative(), z.literal('settled')]).optional(),
      controlPlane: z.union([z.number().int().nonnegative(), z.literal('settled')]).optional(),
    })
    .optional(),
  /** Epoch ms when the task was created. */
  created: z.number().int().nonnegative(),
  /** How long the task follows (provisionTimeout / deletionTimeout), ms. */
  timeoutMs: z.number().int().positive(),
  /** The write's own result fields, repeated in the final result as the waited call would. */
  result: z.record(z.string(), z.unknown()),
  nonce: z.string().min(1).max(32),
});

const settledSchema = z.strictObject({
  kind: z.literal('settled'),
  created: z.number().int().nonnegative(),
  isError: z.boolean(),
  result: z.record(z.string(), z.unknown()),
  nonce: z.string().min(1).max(32),
});

const refSchema = z.discriminatedUnion('kind', [followSchema, settledSchema]);

export type FollowTask = z.infer<typeof followSchema>;
export type SettledTask = z.infer<typeof settledSchema>;
export type TaskRef = FollowTask | SettledTask;

const PREFIX = 'k0t1.';

/** A fresh nonce: two tasks for the same deployment and generation still get distinct ids. */
export function taskNonce(): string {
  return randomBytes(6).toString('base64url');
}

export function encodeTaskId(ref: TaskRef): string {
  return PREFIX + deflateRawSync(Buffer.from(JSON.stringify(ref), 'utf8')).toString('base64url');
}

/** The task an id names, or undefined for anything that is not one of ours (then: task not found). */
export function decodeTaskId(taskId: string): TaskRef | undefined {
  if (!taskId.startsWith(PREFIX) || taskId.length > 16_384) return undefined;
  try {
    const json = inflateRawSync(Buffer.from(taskId.slice(PREFIX.length), 'base64url'), { maxOutputLength: 65_536 }).toString('utf8');
    const parsed = refSchema.safeParse(JSON.parse(json));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
