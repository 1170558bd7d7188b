/**
 * Generic building blocks for the semantic rules of every Istio kind: an issue collector, and the
 * value checks Istio applies everywhere (DNS names, wildcard hosts, ports, durations, IPs and CIDRs,
 * label maps, workload selectors, exportTo lists, RE2 regular expressions).
 */
import { isIP } from 'node:net';
import { joinPath, type PathSegment } from '../../../manifests/path.js';
import { parseGoDuration } from '../../../util/duration.js';
import { isDnsLabel, isDnsSubdomain, isLabelName } from '../../../util/names.js';
import { isObject, keysOf, list } from '../../../util/values.js';
import { goParseAddr } from '../../../util/go-net.js';
import type { SemanticIssue } from './types.js';

/** Collects the issues of one resource. */
export class Issues {
  readonly list: SemanticIssue[] = [];

  error(path: string, message: string): void {
    this.list.push({ level: 'error', message, path });
  }

  warn(path: string, message: string): void {
    this.list.push({ level: 'warning', message, path });
  }

  add(issue: SemanticIssue): void {
    this.list.push(issue);
  }
}

/** `at('spec.http', 0, 'route')` → `spec.http[0].route` (joinPath under its short name). */
export const at: (base: string, ...more: PathSegment[]) => string = joinPath;

/**
 * Proto3 presence for scalars and lists: absent, null, "", 0, false and [] all mean "not set".
 * Messages (objects) count as set whenever present.
 */
export function isSet(v: unknown): boolean {
  if (v === undefined || v === null || v === '' || v === 0 || v === false) return false;
  if (Array.isArray(v)) return v.length > 0;
  return true;
}

/** Number of the listed fields of `obj` that are set (see `isSet`). */
export function countSet(obj: Record<string, any>, fields: readonly string[]): number {
  return fields.filter((f) => isSet(obj[f])).length;
}

export function quote(v: unknown): string {
  // (a field that is absent reads "(none)", not "undefined"; a value's text is cut at 200 characters: YAML
  // aliases can make a small document's value very long)
  const s = JSON.stringify(v) ?? '(none)';
  return s.length > 200 ? `${s.slice(0, 200)}…` : s;
}

// ---------------------------------------------------------------------------------------------------
// DNS names and hosts
// ---------------------------------------------------------------------------------------------------

export { isDnsLabel, isDnsSubdomain };

const ISTIO_LABEL = /^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$/;

/**
 * A DNS label as Istio's validation reads one (host labels, subset, port, gateway and namespace names in
 * Istio config): RFC 1123, but upper-case letters are allowed. Kubernetes object names stay `isDnsLabel`.
 */
export function isIstioLabel(s: string): boolean {
  return s.length <= 63 && ISTIO_LABEL.test(s);
}

/**
 * The common case of `dnsLabelsError` in one pass without allocating: true when every label of `labels` (a
 * trailing dot allowed) is an RFC 1123 label and the last one is not all digits.
 */
function validDnsLabels(labels: string): boolean {
  const n = labels.endsWith('.') ? labels.length - 1 : labels.length;
  let start = 0;
  let allDigits = true;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? labels.charCodeAt(i) : 46; // a '.' after the last label
    if (c === 46) {
      const len = i - start;
      if (len === 0 || len > 63) return false;
      if (labels.charCodeAt(start) === 45 || labels.charCodeAt(i - 1) === 45) return false;
      if (i === n && allDigits) return false;
      start = i + 1;
      allDigits = true;
      continue;
    }
    const digit = c >= 48 && c <= 57;
    if (!digit && !(c >= 97 && c <= 122) && !(c >= 65 && c <= 90) && c !== 45) return false;
    if (!digit) allDigits = false;
  }
  return true;
}

function dnsLabelsError(name: string, labels: string): string | undefined {
  if (validDnsLabels(labels)) return undefined;
  const parts = labels.endsWith('.') ? labels.slice(0, -1).split('.') : labels.split('.');
  for (const label of parts) {
    if (!isIstioLabel(label)) {
      return `"${name}" is not a valid DNS name: label "${label}" must be 1-63 letters, digits or '-', starting and ending with a letter or digit`;
    }
  }
  const top = parts[parts.length - 1]!;
  if (/^\d+$/.test(top))
    return `"${name}" is not a valid DNS name: the top-level label "${top}" is all digits`;
  return undefined;
}

function dnsLengthError(name: string): string | undefined {
  if (name.length === 0) return 'empty name; a DNS name is required';
  if (name.length > 255) return `"${name.slice(0, 40)}…" is not a valid DNS name: longer than 255 characters`;
  return undefined;
}

/** Why `name` is not a fully qualified DNS name (a trailing dot is allowed), or undefined when it is. */
export function fqdnError(name: string): string | undefined {
  return dnsLengthError(name) ?? dnsLabelsError(name, name);
}

/**
 * Why `name` is not a valid (possibly wildcarded) DNS name, or undefined. Only the first label may carry a
 * wildcard, as `*` alone or as a leading `*` (`*.example.com`, `*-api.example.com`).
 */
export function wildcardDomainError(name: string): string | undefined {
  const lengthError = dnsLengthError(name);
  if (lengthError) return lengthError;
  const dot = name.indexOf('.');
  const first = dot < 0 ? name : name.slice(0, dot);
  const rest = dot < 0 ? '' : name.slice(dot + 1);
  const firstOk =
    first === '*' ||
    (first.startsWith('*-') ? isIstioLabel(first.slice(2)) : isIstioLabel(first.replace(/^\*/, '')));
  if (!firstOk || first.length > 63) {
    return `"${name}" is not a valid host: label "${first}" must be 1-63 letters, digits or '-', optionally starting with '*' (a wildcard is allowed only at the start of the first label)`;
  }
  if (rest === '') {
    return dot < 0 ? undefined : `"${name}" is not a valid host: empty label after "${first}."`;
  }
  return dnsLabelsError(name, rest);
}

/** `foo*.com`, `*foo.com`: a `*` that is not the whole host and not the `*.` prefix. */
export function isPartialWildcard(host: string): boolean {
  return host.includes('*') && host !== '*' && !host.startsWith('*.');
}

// ---------------------------------------------------------------------------------------------------
// Ports, IPs, CIDRs
// ---------------------------------------------------------------------------------------------------

export function isValidPort(v: unknown): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 65535;
}

export function portError(v: unknown): string | undefined {
  if (isValidPort(v)) return undefined;
  if (v === undefined || v === null) return 'port number is missing: must be an integer from 1 to 65535';
  return `port number ${quote(v)} is invalid: must be an integer from 1 to 65535`;
}

export function isIp(s: string): boolean {
  // An IPv4 address starts with a digit and an IPv6 address has a colon: hostnames skip node's regexes.
  const c = s.charCodeAt(0);
  return ((c >= 48 && c <= 57) || s.includes(':')) && isIP(s) !== 0;
}

/**
 * Why `s` is not an IP address or (when it contains a `/`) a CIDR block, or undefined: as Go's
 * netip.ParseAddr / ParsePrefix read them (istiod's validation), so a zone is allowed on an address but
 * not in a prefix, and neither an IPv4 octet nor a prefix length has a leading zero.
 */
export function ipOrCidrError(s: string): string | undefined {
  const parts = s.split('/');
  if (parts.length === 1)
    return typeof goParseAddr(s) === 'string' ? `"${s}" is not a valid IP address` : undefined;
  if (parts.length > 2) return `"${s}" is not a valid CIDR block`;
  const [ip, bits] = parts as [string, string];
  const addr = goParseAddr(ip);
  if (typeof addr === 'string') return `"${s}" is not a valid CIDR block: "${ip}" is not an IP address`;
  if (addr.zone !== '') return `"${s}" is not a valid CIDR block: an IPv6 zone cannot be part of a prefix`;
  if (!/^(0|[1-9]\d{0,2})$/.test(bits) || Number(bits) > addr.bits)
    return `"${s}" is not a valid CIDR block: prefix length must be 0-${addr.bits}, without a leading zero`;
  return undefined;
}

// ---------------------------------------------------------------------------------------------------
// Durations (Go syntax, as the Istio CRDs accept them: "5s", "1m30s", "250ms", "0.5s")
// ---------------------------------------------------------------------------------------------------

export interface DurationOptions {
  /** `0s` is accepted (e.g. "disabled"). */
  allowZero?: boolean;
  /** Only whole seconds are accepted. */
  wholeSeconds?: boolean;
}

/** Why `value` is not an acceptable duration (≥1ms, millisecond precision), or undefined. */
export function durationError(value: unknown, opts: DurationOptions = {}): string | undefined {
  if (typeof value !== 'string') return `duration ${quote(value)} must be a string such as "5s" or "250ms"`;
  const ns = parseGoDuration(value);
  if (ns === undefined) return `"${value}" is not a valid duration (examples: "5s", "250ms", "1m30s")`;
  if (ns === 0 && opts.allowZero) return undefined;
  if (ns < 1e6) return `duration "${value}" is too short: it must be at least 1ms`;
  if (ns % 1e6 !== 0) return `duration "${value}" is too precise: only millisecond precision is supported`;
  if (opts.wholeSeconds && ns % 1e9 !== 0) return `duration "${value}" must be a whole number of seconds`;
  return undefined;
}

/** Reports an invalid duration at `path` when `value` is present. */
export function checkDuration(
  issues: Issues,
  path: string,
  value: unknown,
  opts: DurationOptions = {},
): void {
  if (value === undefined || value === null) return;
  const err = durationError(value, opts);
  if (err) issues.error(path, err);
}

// ---------------------------------------------------------------------------------------------------
// Labels, selectors, exportTo
// ---------------------------------------------------------------------------------------------------

/** Why `key` is not a valid Kubernetes label key (`[prefix/]name`), or undefined. */
export function labelKeyError(key: string): string | undefined {
  const slash = key.indexOf('/');
  const prefix = slash < 0 ? undefined : key.slice(0, slash);
  const name = slash < 0 ? key : key.slice(slash + 1);
  if (prefix !== undefined && !isDnsSubdomain(prefix)) {
    return `label key "${key}" is invalid: prefix "${prefix}" must be a DNS subdomain of at most 253 characters`;
  }
  if (!isLabelName(name)) {
    return `label key "${key}" is invalid: the name part must be 1-63 alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric`;
  }
  return undefined;
}

/** Why `value` is not a valid Kubernetes label value, or undefined. */
export function labelValueError(value: unknown): string | undefined {
  if (typeof value !== 'string') return `label value ${quote(value)} must be a string`;
  if (value === '') return undefined;
  if (!isLabelName(value)) {
    return `label value "${value}" is invalid: at most 63 alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric`;
  }
  return undefined;
}

/** Checks a label map (keys and values), one issue per bad entry at `path["key"]`. */
export function checkLabels(issues: Issues, path: string, labels: unknown): void {
  for (const k of keysOf(labels)) {
    const err = labelKeyError(k) ?? labelValueError((labels as Record<string, unknown>)[k]);
    if (err) issues.error(at(path, k), err);
  }
}

/**
 * Checks the label map of a workload selector (`selector.matchLabels`, or the older
 * `workloadSelector.labels`): no empty keys, no wildcards, valid labels; a selector without labels gets
 * `noLabelsWarning` (it then selects every workload).
 */
export function checkSelectorLabels(
  issues: Issues,
  selectorPath: string,
  selector: unknown,
  field: 'matchLabels' | 'labels',
  noLabelsWarning: string,
): void {
  if (selector === undefined || selector === null) return;
  const labels = isObject(selector) ? selector[field] : undefined;
  const labelsPath = at(selectorPath, field);
  const keys = keysOf(labels);
  if (keys.length === 0) {
    issues.warn(selectorPath, noLabelsWarning);
    return;
  }
  for (const k of keys) {
    const v = labels[k];
    const p = at(labelsPath, k);
    if (k === '') issues.error(p, 'empty label key in selector; every selector label needs a key');
    else if (k.includes('*') || (typeof v === 'string' && v.includes('*'))) {
      issues.error(
        p,
        `wildcard in selector label ${k}=${quote(v)} is not supported; selectors match exact values`,
      );
    } else {
      const err = labelKeyError(k) ?? labelValueError(v);
      if (err) issues.error(p, err);
    }
  }
}

/**
 * Checks an `exportTo` list: entries `.`, `*`, a namespace name (DNS label), and, when `allowTilde`
 * (ServiceEntry), `~`; `*` and `~` must stand alone; no duplicates (`.` equals the own namespace).
 */
export function checkExportTo(
  issues: Issues,
  path: string,
  exportTo: unknown,
  namespace: string | undefined,
  allowTilde: boolean,
): void {
  const items = list(exportTo);
  const seen = new Map<string, number>();
  items.forEach((e, i) => {
    const p = at(path, i);
    if (typeof e !== 'string') {
      issues.error(p, `exportTo entry ${quote(e)} must be a string`);
      return;
    }
    if (e === '~' && !allowTilde) {
      // refused, so not also "combined with other entries" (istiod counts only the entries it accepts)
      issues.error(p, 'exportTo "~" (visible to no namespace) is only allowed on ServiceEntry');
      return;
    } else if (e !== '.' && e !== '*' && e !== '~' && !isIstioLabel(e)) {
      issues.error(p, `exportTo entry "${e}" is invalid: use ".", "*" or a namespace name (DNS label)`);
    }
    const key = e === '.' && namespace ? namespace : e;
    const first = seen.get(key);
    if (first !== undefined) {
      issues.error(p, `duplicate exportTo entry "${e}" (same as entry ${first} "${items[first]}")`);
    } else seen.set(key, i);
  });
  if (items.length > 1) {
    if (seen.has('*'))
      issues.error(path, 'exportTo "*" (all namespaces) cannot be combined with other entries');
    if (seen.has('~'))
      issues.error(path, 'exportTo "~" (no namespace) cannot be combined with other entries');
  }
}

// ---------------------------------------------------------------------------------------------------
// Regular expressions (Envoy and Istio use Google RE2)
// ---------------------------------------------------------------------------------------------------

const POSIX_CLASSES: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

/**
 * Why `pattern` is not a valid RE2 expression, or undefined. RE2 syntax is mapped onto JavaScript's
 * (flag groups, `(?P<name>`, POSIX classes, `\A`, `\z`, `\Q…\E`) and compiled; the constructs RE2 refuses
 * (backreferences, lookaround) are rejected. Best effort: the two dialects differ in corner cases.
 */
export function re2Error(pattern: string): string | undefined {
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') {
      const n = pattern[i + 1];
      if (n === undefined) return 'trailing backslash at end of expression';
      if (!inClass && /[1-9]/.test(n)) return `backreference \\${n} is not supported by RE2`;
      if (n === 'Q') {
        const end = pattern.indexOf('\\E', i + 2);
        const literal = pattern.slice(i + 2, end < 0 ? undefined : end);
        out += literal.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
        i = end < 0 ? pattern.length : end + 1;
        continue;
      }
      if (n === 'A' && !inClass) out += '^';
      else if (n === 'z' && !inClass) out += '$';
      else out += c + n;
      i++;
      continue;
    }
    if (inClass) {
      if (c === '[' && pattern[i + 1] === ':') {
        const end = pattern.indexOf(':]', i + 2);
        const name = end < 0 ? '' : pattern.slice(i + 2, end).replace(/^\^/, '');
        if (end < 0 || !(name in POSIX_CLASSES))
          return `invalid character class near "${pattern.slice(i, i + 12)}"`;
        if (pattern[i + 2] === '^')
          return `negated POSIX class "${pattern.slice(i, end + 2)}" is not supported here`;
        out += POSIX_CLASSES[name];
        i = end + 1;
        continue;
      }
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      if (pattern[i + 1] === '^') out += pattern[++i];
      if (pattern[i + 1] === ']') out += '\\' + pattern[++i];
      continue;
    }
    if (c === '(' && pattern[i + 1] === '?') {
      const rest = pattern.slice(i + 2);
      if (/^(=|!|<=|<!)/.test(rest)) return 'lookahead/lookbehind assertions are not supported by RE2';
      const flags = /^[imsU-]*(\)|:)/.exec(rest);
      if (rest.startsWith('P<')) {
        out += '(?<';
        i += 3;
        continue;
      }
      if (flags && !rest.startsWith(':')) {
        out += flags[1] === ')' ? '' : '(?:';
        i += 1 + flags[0].length;
        continue;
      }
    }
    out += c;
  }
  try {
    new RegExp(out);
    return undefined;
  } catch (err) {
    return (err as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '');
  }
}

/**
 * The `name` of a list item (a DestinationRule subset, a ServiceEntry port): a DNS label, and not the name
 * of an earlier item (`seen`: name → index, filled here).
 */
export function checkItemName(
  issues: Issues,
  path: string,
  what: string,
  name: unknown,
  seen: Map<string, number>,
  listName: string,
  index: number,
): void {
  if (typeof name !== 'string' || !isIstioLabel(name)) {
    issues.error(path, `${what} name ${quote(name)} is invalid: use a DNS label (letters, digits, '-')`);
    return;
  }
  const first = seen.get(name);
  if (first !== undefined)
    issues.error(path, `duplicate ${what} name "${name}" (also ${listName}[${first}])`);
  else seen.set(name, index);
}
