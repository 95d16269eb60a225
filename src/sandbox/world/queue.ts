/**
 * A controller-runtime style work queue: keys are reconciled one at a time each (a key enqueued while it
 * runs is run again afterwards), a reconcile may ask to be requeued after a delay, and a failed one is
 * retried with a backoff (200 ms doubling to 5 s, as controller-runtime's rate limiter starts at 5 ms and
 * caps at 1000 s; compressed here as the sandbox compresses time).
 */
export type ReconcileFn = (key: string) => Promise<number | undefined>;

export class WorkQueue {
  private readonly dirty = new Set<string>();
  private readonly running = new Set<string>();
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly failures = new Map<string, number>();
  private immediate: NodeJS.Immediate | undefined;
  private closed = false;

  constructor(
    private readonly reconcile: ReconcileFn,
    private readonly log: (line: string) => void,
  ) {}

  enqueue(key: string, delayMs = 0): void {
    if (this.closed) return;
    if (delayMs > 0) {
      const at = Date.now() + delayMs;
      const existing = this.timers.get(key);
      if (existing && existing.at <= at) return;
      if (existing) clearTimeout(existing.timer);
      const timer = setTimeout(() => {
        this.timers.delete(key);
        this.enqueue(key);
      }, delayMs);
      timer.unref();
      this.timers.set(key, { at, timer });
      return;
    }
    this.dirty.add(key);
    this.immediate ??= setImmediate(() => this.drain());
  }

  close(): void {
    this.closed = true;
    if (this.immediate) clearImmediate(this.immediate);
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.dirty.clear();
  }

  private drain(): void {
    this.immediate = undefined;
    for (const key of [...this.dirty]) {
      if (this.running.has(key)) continue;
      this.dirty.delete(key);
      this.running.add(key);
      void this.run(key);
    }
  }

  private async run(key: string): Promise<void> {
    try {
      const requeue = await this.reconcile(key);
      this.failures.delete(key);
      if (requeue !== undefined && requeue >= 0) this.enqueue(key, Math.max(1, requeue));
    } catch (err) {
      const failures = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, failures);
      this.log(`reconcile ${key} failed (attempt ${failures}): ${err instanceof Error ? err.message : String(err)}`);
      this.enqueue(key, Math.min(5000, 200 * 2 ** (failures - 1)));
    } finally {
      this.running.delete(key);
      if (this.dirty.has(key) && !this.closed) this.immediate ??= setImmediate(() => this.drain());
    }
  }
}
