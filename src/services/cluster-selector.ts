/**
 * A MultiClusterService's clusterSelector (a metav1.LabelSelector) as a list `labelSelector` string, and the
 * rule kcm applies to it: an empty selector matches no cluster (kcm v1.11.4
 * internal/controller/multiclusterservice_controller.go:186-190 lists ClusterDeployments only when
 * `!selector.Empty()`). Pure.
 */
import { AppError } from '../errors.js';

export interface SelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[] | undefined;
}

export interface ClusterSelector {
  matchLabels?: Record<string, string> | undefined;
  matchExpressions?: SelectorRequirement[] | undefined;
}

export function isEmptySelector(selector: ClusterSelector): boolean {
  return Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0;
}

/** metav1.LabelSelectorAsSelector's checks, as invalidParams naming the field. */
export function assertSelector(selector: ClusterSelector): void {
  for (const [i, e] of (selector.matchExpressions ?? []).entries()) {
    const values = e.values ?? [];
    const where = `clusterSelector.matchExpressions[${i}]`;
    if ((e.operator === 'In' || e.operator === 'NotIn') && values.length === 0)
      throw new AppError('invalidParams', `${where}: operator ${e.operator} needs at least one value in \`values\``);
    if ((e.operator === 'Exists' || e.operator === 'DoesNotExist') && values.length > 0)
      throw new AppError('invalidParams', `${where}: operator ${e.operator} takes no \`values\`; remove them`);
  }
}

/** `env=staging,team in (a,b),!legacy`: the selector as the list API takes it (undefined for an empty one). */
export function selectorQuery(selector: ClusterSelector): string | undefined {
  const terms = Object.entries(selector.matchLabels ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`);
  for (const e of selector.matchExpressions ?? []) {
    const values = [...(e.values ?? [])].sort().join(',');
    if (e.operator === 'In') terms.push(`${e.key} in (${values})`);
    else if (e.operator === 'NotIn') terms.push(`${e.key} notin (${values})`);
    else if (e.operator === 'Exists') terms.push(e.key);
    else terms.push(`!${e.key}`);
  }
  return terms.length > 0 ? terms.join(',') : undefined;
}
