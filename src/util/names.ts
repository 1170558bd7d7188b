/** Kubernetes name rules (RFC 1123), for flags and references checked before any request. */
import { usageError } from './errors.js';

/** RFC 1123 label characters (the length limit is checked apart). */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** RFC 1123 label: ≤63 chars of lowercase alphanumerics and `-`, not starting or ending with `-`. */
export function isDnsLabel(s: string): boolean {
  return s.length <= 63 && DNS_LABEL.test(s);
}

/** RFC 1123 subdomain (Kubernetes object names, label-key prefixes): ≤253 chars, dot-separated labels. */
export function isDnsSubdomain(s: string): boolean {
  return s.length > 0 && s.length <= 253 && s.split('.').every(isDnsLabel);
}

const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/**
 * A Kubernetes label value that is not empty, or the name part of a label key: up to 63 letters, digits,
 * `-`, `_` and `.`, starting and ending with a letter or digit.
 */
export function isLabelName(s: string): boolean {
  return s.length <= 63 && LABEL_NAME.test(s);
}

/** A Kubernetes label key: `[prefix/]name`, the prefix a DNS subdomain, the name an `isLabelName`. */
export function isLabelKey(key: string): boolean {
  const slash = key.indexOf('/');
  return (slash < 0 || isDnsSubdomain(key.slice(0, slash))) && isLabelName(key.slice(slash + 1));
}

const LABEL_HINT =
  'a namespace is lower-case letters, digits and "-", starting and ending with a letter or digit';

/**
 * Commander parser for `-n/--namespace`: a name the API server could never hold is a usage error (64)
 * here, not a request for a path such as `namespaces/shop?x=1/pods/…`.
 */
export function namespaceArg(value: string): string {
  if (!isDnsLabel(value)) throw usageError(`invalid namespace "${value}"`, LABEL_HINT);
  return value;
}

/** The same check for the namespace part of a `<name>.<namespace>` reference. */
export function checkRefNamespace(namespace: string, ref: string): void {
  if (!isDnsLabel(namespace)) throw usageError(`invalid namespace "${namespace}" in "${ref}"`, LABEL_HINT);
}
