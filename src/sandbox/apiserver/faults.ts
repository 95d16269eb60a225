/** Runtime fault injection for tests: latency, 5xx with a Status body, dropped connections, closed watches. */
import type { FaultInjector, FaultRule } from '../index.js';

export interface FaultDecision {
  latencyMs: number;
  status?: number;
  drop: boolean;
}

export class Faults implements FaultInjector {
  private rules: { rule: FaultRule; remaining: number }[] = [];
  private readonly watchClosers = new Set<() => void>();

  add(rule: FaultRule): void {
    this.rules.push({ rule, remaining: rule.times ?? Number.POSITIVE_INFINITY });
  }

  clear(): void {
    this.rules = [];
  }

  closeWatches(): void {
    for (const close of [...this.watchClosers]) close();
  }

  /** Registers an open watch; returns the function to call when it ends. */
  trackWatch(close: () => void): () => void {
    this.watchClosers.add(close);
    return () => this.watchClosers.delete(close);
  }

  /** Consumes the matching rules for one request. */
  decide(method: string, path: string): FaultDecision {
    const decision: FaultDecision = { latencyMs: 0, drop: false };
    for (const entry of this.rules) {
      const { rule } = entry;
      if (entry.remaining <= 0) continue;
      if (rule.method && rule.method.toUpperCase() !== method.toUpperCase()) continue;
      rule.path.lastIndex = 0;
      if (!rule.path.test(path)) continue;
      entry.remaining -= 1;
      decision.latencyMs += rule.latencyMs ?? 0;
      if (rule.status !== undefined && decision.status === undefined) decision.status = rule.status;
      if (rule.drop) decision.drop = true;
    }
    this.rules = this.rules.filter((e) => e.remaining > 0);
    return decision;
  }
}
