/**
 * The progress notifications of one wait: a notification on every change and a heartbeat at least every
 * `intervalMs` while nothing changes, so a client that resets its timeout on progress never gives up on a
 * 30-minute deploy. `total` is the number of steps of kcm's condition sequence; `progress` the steps done,
 * strictly increasing across the call (a heartbeat or a change within a step advances by a fraction that
 * stays below the next step). The message is one line: phase, step and elapsed time.
 */
import type { Step } from '../k0rdent/steps.js';
import type { ProgressUpdate } from './types.js';

export const DEFAULT_PROGRESS_INTERVAL_MS = 10_000;

/** `4m10s`. */
export function formatElapsed(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return h > 0 ? `${h}h${m}m${s}s` : m > 0 ? `${m}m${s}s` : `${s}s`;
}

/**
 * "Provisioning: HelmReleaseReady (3/6), 4m10s" from a phase line such as "Provisioning (HelmReleaseReady: ...)";
 * `detail` (the judge's hook, e.g. "workers 2/3 ready") goes before the elapsed time.
 */
export function progressLine(phase: string, step: Step | undefined, elapsedMs: number, detail?: string): string {
  const word = phase.split(' (')[0] ?? phase;
  const extra = detail === undefined || detail === '' ? '' : `, ${detail}`;
  return step === undefined
    ? `${phase}${extra}, ${formatElapsed(elapsedMs)}`
    : `${word}: ${step.name} (${step.done}/${step.total})${extra}, ${formatElapsed(elapsedMs)}`;
}

export class ProgressReporter {
  private base = -1;
  private beats = 0;
  private step: Step | undefined;
  private phase = 'Pending';
  private detail: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly started = Date.now();

  constructor(
    private readonly send: (update: ProgressUpdate) => void,
    private readonly intervalMs: number,
  ) {}

  /** A new state (or the first): notify now and restart the heartbeat. */
  report(phase: string, step: Step | undefined, detail?: string): void {
    this.phase = phase;
    this.step = step;
    this.detail = detail;
    this.emit();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private emit(): void {
    if (this.stopped) return;
    const done = this.step?.done ?? 0;
    if (done > this.base) {
      this.base = done;
      this.beats = 0;
    } else {
      this.beats++;
    }
    const progress = this.base + this.beats / (this.beats + 1);
    this.send({
      progress,
      ...(this.step ? { total: this.step.total } : {}),
      message: progressLine(this.phase, this.step, Date.now() - this.started, this.detail),
    });
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.emit(), this.intervalMs);
    this.timer.unref?.();
  }
}
