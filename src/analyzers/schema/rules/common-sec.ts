import { at, checkSelectorLabels, type Issues } from './common.js';
import { isObject, list } from '../../../util/values.js';

/**
 * Helpers shared by the security / telemetry / extensions rule sets (AuthorizationPolicy,
 * RequestAuthentication, PeerAuthentication, Telemetry, WasmPlugin, TrafficExtension) that common.ts does
 * not have: URLs read the way Go's net/url reads them, and the selector / targetRef / targetRefs rules of
 * the policy kinds.
 */

/** A string field, or '' when absent or not a string (wrong types are the JSON Schema's to report). */
export function text(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** Length in bytes, as Go's len() counts a string. */
export function byteLength(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/** The header-name syntax Istio requires for headers it writes (e.g. JWT claims copied to headers). */
export const HEADER_NAME = /^[-_A-Za-z0-9]+$/;

// ---------------------------------------------------------------------------------------------------------
// URLs, read the way Go's net/url reads them (Istio parses jwksUri and WasmPlugin urls with it)

export interface GoURL {
  /** Lower-cased scheme, '' when none. */
  scheme: string;
  /** Port text after the host, '' when none. */
  port: string;
  host: string;
}

/** Host characters Go accepts unescaped (beyond letters, digits and `-._~`). */
const HOST_EXTRA = new Set([...`!$&'()*+,;=:[]<>"`]);
const USERINFO_OK = /^[A-Za-z0-9\-._~!$&'()*+,;=:%@]*$/;

/**
 * Parses like Go's `url.Parse` (or `url.ParseRequestURI` with `viaRequest`). Returns the URL or the
 * reason it does not parse.
 */
export function parseGoURL(raw: string, viaRequest = false): GoURL | { error: string } {
  let rest = raw;
  if (!viaRequest) {
    const hash = rest.indexOf('#');
    if (hash >= 0) {
      const bad = badEscape(rest.slice(hash + 1));
      if (bad) return { error: malformedEscape(bad) };
      rest = rest.slice(0, hash);
    }
  }
  if (/[\x00-\x1f\x7f]/.test(rest)) return { error: 'it contains a control character' };
  if (rest === '' && viaRequest) return { error: 'it is empty' };
  if (rest === '*') return { scheme: '', port: '', host: '' };
  let scheme = '';
  for (let i = 0; i < rest.length; i++) {
    const c = rest[i]!;
    if (/[A-Za-z]/.test(c)) continue;
    if (/[0-9+\-.]/.test(c)) {
      if (i === 0) break;
      continue;
    }
    if (c === ':') {
      if (i === 0) return { error: 'it starts with ":", with no scheme before it' };
      scheme = rest.slice(0, i).toLowerCase();
      rest = rest.slice(i + 1);
    }
    break;
  }
  const q = rest.indexOf('?');
  if (q >= 0) rest = rest.slice(0, q);
  if (!rest.startsWith('/')) {
    if (scheme !== '') return { scheme, port: '', host: '' };
    if (viaRequest) return { error: 'it is neither an absolute URL nor an absolute path' };
    const slash = rest.indexOf('/');
    if ((slash < 0 ? rest : rest.slice(0, slash)).includes(':'))
      return { error: 'it has a ":" in its first path segment but no scheme' };
  }
  let host = '';
  let port = '';
  if ((scheme !== '' || (!viaRequest && !rest.startsWith('///'))) && rest.startsWith('//')) {
    const end = rest.indexOf('/', 2);
    const authority = end < 0 ? rest.slice(2) : rest.slice(2, end);
    rest = end < 0 ? '' : rest.slice(end);
    const atSign = authority.lastIndexOf('@');
    if (atSign >= 0 && !USERINFO_OK.test(authority.slice(0, atSign)))
      return { error: 'the user part before "@" has characters that must be percent-encoded' };
    const hostPort = atSign >= 0 ? authority.slice(atSign + 1) : authority;
    const parsed = parseHostPort(hostPort);
    if ('error' in parsed) return parsed;
    ({ host, port } = parsed);
  }
  const bad = badEscape(rest);
  if (bad) return { error: malformedEscape(bad) };
  return { scheme, port, host };
}

function parseHostPort(hostPort: string): { host: string; port: string } | { error: string } {
  let host = hostPort;
  let colonPort = '';
  if (hostPort.startsWith('[')) {
    const close = hostPort.lastIndexOf(']');
    if (close < 0) return { error: 'the host opens with "[" but has no closing "]"' };
    colonPort = hostPort.slice(close + 1);
    host = hostPort.slice(0, close + 1);
  } else {
    const colon = hostPort.lastIndexOf(':');
    if (colon >= 0) {
      colonPort = hostPort.slice(colon);
      host = hostPort.slice(0, colon);
    }
  }
  if (colonPort !== '' && !/^:\d*$/.test(colonPort))
    return { error: `the port after the host is not a number (${JSON.stringify(colonPort)})` };
  const bad = badEscape(host);
  if (bad) return { error: malformedEscape(bad) };
  for (const c of host) {
    if (c.charCodeAt(0) >= 0x80 || /[A-Za-z0-9\-._~%]/.test(c) || HOST_EXTRA.has(c)) continue;
    return { error: `the host name contains ${JSON.stringify(c)}, which a host name cannot contain` };
  }
  return { host, port: colonPort.slice(1) };
}

function malformedEscape(bad: string): string {
  return `${JSON.stringify(bad)} is not a valid percent-escape (expected % and two hex digits)`;
}

/** The first malformed `%` escape in `s`, if any. */
function badEscape(s: string): string | undefined {
  const m = /%(?![0-9A-Fa-f]{2})(.{0,2})/.exec(s);
  return m ? `%${m[1]}` : undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Workload selector and policy target references

/** `selector.matchLabels` rules (no empty keys, no wildcards, label syntax; no labels → warning). */
export function checkPolicySelector(issues: Issues, selector: unknown): void {
  checkSelectorLabels(
    issues,
    'spec.selector',
    selector,
    'matchLabels',
    'selector has no matchLabels, so it selects every workload in the namespace',
  );
}

/** The kinds a policy `targetRef` may name: canonical group ('core' for "") and kind. */
const ALLOWED_TARGETS: ReadonlyArray<readonly [string, string]> = [
  ['core', 'Service'],
  ['networking.istio.io', 'ServiceEntry'],
  ['gateway.networking.k8s.io', 'Gateway'],
  ['gateway.networking.k8s.io', 'GatewayClass'],
];

export function checkTargetRef(issues: Issues, path: string, ref: unknown): void {
  if (!isObject(ref)) return;
  if (text(ref.name) === '') issues.error(at(path, 'name'), 'a target reference needs a `name`');
  if (text(ref.namespace) !== '')
    issues.error(
      at(path, 'namespace'),
      'a target reference cannot name a namespace: a policy can only target resources in its own namespace',
    );
  const group = text(ref.group) || 'core';
  const kind = text(ref.kind);
  if (!ALLOWED_TARGETS.some(([g, k]) => g === group && k === kind)) {
    const allowed = ALLOWED_TARGETS.map(([g, k]) => `${g}/${k}`).join(', ');
    issues.error(
      at(path, 'kind'),
      `a target reference to ${text(ref.group)}/${kind} is not supported; it must name one of ${allowed}`,
    );
  }
}

/**
 * The targeting rules of the policy kinds: at most one of `selector`, `targetRef`, `targetRefs`; selector
 * rules; each target reference valid.
 */
export function checkTargeting(issues: Issues, spec: Record<string, any>): void {
  const set: string[] = [];
  if (spec.selector !== null && spec.selector !== undefined) set.push('selector');
  if (spec.targetRef !== null && spec.targetRef !== undefined) set.push('targetRef');
  if (list(spec.targetRefs).length > 0) set.push('targetRefs');
  if (set.length > 1)
    issues.error(
      at('spec', set[1]!),
      `selector, targetRef and targetRefs are alternatives; set only one of them (found ${set.join(' and ')})`,
    );
  checkPolicySelector(issues, spec.selector);
  checkTargetRef(issues, 'spec.targetRef', spec.targetRef);
  list(spec.targetRefs).forEach((ref, i) => {
    if (ref === null) issues.error(at('spec.targetRefs', i), 'targetRefs entries must not be null');
    else checkTargetRef(issues, at('spec.targetRefs', i), ref);
  });
}
