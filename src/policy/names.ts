/** Kubernetes name rules, checked before any API call (docs/tools.md "Namespaces"). Pure. */
import { AppError, echo } from '../errors.js';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

export function isDns1123Label(value: string): boolean {
  return value.length >= 1 && value.length <= 63 && DNS1123_LABEL.test(value);
}

export function isDns1123Subdomain(value: string): boolean {
  return value.length >= 1 && value.length <= 253 && DNS1123_SUBDOMAIN.test(value);
}

/** Throws `invalidParams` unless `value` is a valid namespace name (DNS-1123 label). */
export function assertNamespaceName(value: string, field = 'namespace'): void {
  if (!isDns1123Label(value)) {
    throw new AppError(
      'invalidParams',
      `${field} ${echo(value)} is not a valid namespace name: use at most 63 lower-case letters, digits and '-', starting and ending with a letter or digit`,
      { field },
    );
  }
}

/** Throws `invalidParams` unless `value` is a valid object name (DNS-1123 subdomain). */
export function assertObjectName(value: string, field = 'name'): void {
  if (!isDns1123Subdomain(value)) {
    throw new AppError(
      'invalidParams',
      `${field} ${echo(value)} is not a valid Kubernetes object name: use at most 253 lower-case letters, digits, '-' and '.', starting and ending with a letter or digit`,
      { field },
    );
  }
}

/** Label keys (`[prefix/]name`) and values as Kubernetes accepts them. */
export function labelProblems(labels: Readonly<Record<string, string>>): string[] {
  const problems: string[] = [];
  for (const [key, value] of Object.entries(labels)) {
    const slash = key.lastIndexOf('/');
    const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
    const name = slash >= 0 ? key.slice(slash + 1) : key;
    if (prefix !== undefined && !isDns1123Subdomain(prefix))
      problems.push(`label key ${echo(key, 80)}: prefix must be a DNS-1123 subdomain`);
    if (name.length === 0 || name.length > 63 || !LABEL_NAME.test(name)) {
      problems.push(
        `label key ${echo(key, 80)}: name must be 1-63 characters of letters, digits, '-', '_' and '.', starting and ending with a letter or digit`,
      );
    }
    if (value.length > 63 || !LABEL_VALUE.test(value)) {
      problems.push(
        `label ${echo(key, 80)}: value ${echo(value, 80)} must be at most 63 characters of letters, digits, '-', '_' and '.', starting and ending with a letter or digit`,
      );
    }
  }
  return problems;
}
