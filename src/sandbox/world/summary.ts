/**
 * Cluster API's summary of conditions (sigs.k8s.io/cluster-api v1.13.4 util/conditions: summary.go
 * NewSummaryCondition, merge_strategies.go defaultMergeStrategy.Merge :215-319, summaryMessage :357-388,
 * indentIfMultiline :561-596, GetDefaultMergePriorityFunc :135-156). A condition in scope that the object
 * does not have counts as Unknown "Condition not yet reported" (summary.go:116-131, mirror.go:29). Used
 * for the Cluster's Available condition and by kcm's CAPIClusterSummary (kcm internal/util/conditions/capi.go).
 */
import type { Condition } from '../kcm/conditions.js';

export interface SummaryOptions {
  /** Condition types with negative polarity (True is the issue), e.g. Deleting. */
  negative?: readonly string[];
  /** Types left out when missing (summary.go IgnoreTypesIfMissing). */
  ignoreIfMissing?: readonly string[];
  /** kcm's merge strategy: the reason is "Deleting" when Deleting is in scope (kcm capi.go:34-46). */
  deletingReason?: boolean;
}

export interface Summary {
  status: Condition['status'];
  reason: string;
  message: string;
}

type Priority = 'issue' | 'unknown' | 'info';

const BULLET = /\s*\*\s+/;

function indentIfMultiline(m: string): string {
  if (!m.includes('\n') && !BULLET.test(m)) return ` ${m}`;
  const lines = m.split('\n');
  const withoutBullet = lines.some((l) => !BULLET.test(l));
  return (
    '\n' +
    lines
      .map((l) => {
        let prefix = '  ';
        if (withoutBullet) prefix += BULLET.test(l) ? '  ' : '* ';
        return prefix + l;
      })
      .join('\n')
  );
}

export function summarize(conditions: readonly Condition[], types: readonly string[], options: SummaryOptions = {}): Summary {
  const negative = new Set(options.negative ?? []);
  const inScope: Condition[] = [];
  for (const type of types) {
    const c = conditions.find((x) => x.type === type);
    if (c) inScope.push(c);
    else if (!(options.ignoreIfMissing ?? []).includes(type)) {
      inScope.push({ type, status: 'Unknown', reason: 'NotYetReported', message: 'Condition not yet reported', lastTransitionTime: '' });
    }
  }
  const priority = (c: Condition): Priority => {
    if (c.status === 'True') return negative.has(c.type) ? 'issue' : 'info';
    if (c.status === 'False') return negative.has(c.type) ? 'info' : 'issue';
    return 'unknown';
  };
  const issues = inScope.filter((c) => priority(c) === 'issue');
  const unknown = inScope.filter((c) => priority(c) === 'unknown');
  const status: Condition['status'] = issues.length > 0 ? 'False' : unknown.length > 0 ? 'Unknown' : 'True';
  let reason = issues.length > 0 ? 'IssuesReported' : unknown.length > 0 ? 'UnknownReported' : 'InfoReported';
  if (options.deletingReason && inScope.some((c) => c.type === 'Deleting')) reason = 'Deleting';
  const messages: string[] = [];
  for (const c of inScope) {
    if (priority(c) === 'info' && (status !== 'True' || c.message === '')) continue;
    messages.push(`* ${c.type}:${c.message !== '' ? indentIfMultiline(c.message) : ` ${c.reason}`}`);
  }
  return { status, reason, message: messages.join('\n') };
}
