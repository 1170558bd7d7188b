/**
 * Value matchers with the semantics Istio gives AuthorizationPolicy fields when it turns them into Envoy
 * RBAC matchers: exact, `prefix*`, `*suffix`, `*` (present and non-empty); path templates `{*}` (one
 * segment) and `{**}` (the rest of the path); IPs and CIDR blocks; hosts case-insensitive against the whole
 * `:authority` (its port included); peer identities as istiod turns principals, service accounts and trust
 * domains into matchers on the `spiffe://` URI; JWT principals as `iss` and `sub` claims; the request path
 * normalized as the mesh config's `pathNormalization` has Envoy normalize it.
 */
import { BlockList, isIP } from 'node:net';
import { escapeRegExp } from '../util/values.js';

/** Istio's string match: `*` = present, `abc*` = prefix, `*abc` = suffix, otherwise exact. */
export function matchString(pattern: string, value: string | undefined): boolean {
  if (value === undefined) return false;
  if (pattern === '*') return value !== '';
  if (pattern.startsWith('*')) return value.endsWith(pattern.slice(1));
  if (pattern.endsWith('*')) return value.startsWith(pattern.slice(0, -1));
  return value === pattern;
}

const TEMPLATE = /\{\*\*?\}/;

/** True when a `paths` value uses the `{*}` / `{**}` template operators. */
export function isPathTemplate(pattern: string): boolean {
  return TEMPLATE.test(pattern);
}

/**
 * Why a path template is invalid (Istio rejects it at admission), or undefined: operators must be whole
 * segments and `{**}` may only be the last one.
 */
export function pathTemplateError(pattern: string): string | undefined {
  const segments = pattern.split('/');
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!;
    if (!TEMPLATE.test(s)) continue;
    if (s !== '{*}' && s !== '{**}') return `"${s}": a template operator must be a whole path segment`;
    if (s === '{**}' && segments.slice(i + 1).some((x) => TEMPLATE.test(x)))
      return '{**} must be the last operator of the path';
  }
  return undefined;
}

const templateCache = new Map<string, RegExp>();

function templateRegex(pattern: string): RegExp {
  let re = templateCache.get(pattern);
  if (!re) {
    const body = pattern
      .split(/(\{\*\*\}|\{\*\})/)
      .map((part) => (part === '{**}' ? '[^?#]*' : part === '{*}' ? '[^/?#]+' : escapeRegExp(part)))
      .join('');
    re = new RegExp(`^${body}$`);
    templateCache.set(pattern, re);
  }
  return re;
}

/** `paths` semantics: templates, else the string match; the query string never takes part. */
export function matchPath(pattern: string, path: string | undefined): boolean {
  if (path === undefined) return false;
  const bare = path.split('?')[0]!;
  if (isPathTemplate(pattern))
    return pathTemplateError(pattern) === undefined && templateRegex(pattern).test(bare);
  return matchString(pattern, bare);
}

/**
 * `hosts` semantics, as istiod's HostMatcher (pilot/pkg/security/authz/matcher/header.go) builds them: a
 * header matcher on `:authority`, exact, prefix (`abc*`) or suffix (`*abc`), case-insensitive; `*` = present.
 * The port is part of the value: `example.com` does not match `example.com:8080`.
 */
export function matchHost(pattern: string, host: string | undefined): boolean {
  if (host === undefined) return false;
  if (pattern === '*') return true;
  return matchString(pattern.toLowerCase(), host.toLowerCase());
}

const SPIFFE = 'spiffe://';

/** A peer identity as Envoy sees it: the `spiffe://` URI (a case may write it with or without the scheme). */
export function spiffeUri(principal: string | undefined): string | undefined {
  if (principal === undefined || principal === '') return undefined;
  return principal.startsWith(SPIFFE) ? principal : SPIFFE + principal;
}

/**
 * `principals` / `source.principal`: istiod prefixes `spiffe://` to the policy's value
 * (StringMatcherWithPrefix in matcher/string.go): `*` = any non-empty URI, `abc*` = prefix `spiffe://abc`,
 * `*abc` = regex `spiffe://.*abc`, else exact `spiffe://abc`. A value written with `spiffe://` therefore
 * never matches.
 */
export function matchPrincipal(pattern: string, principal: string | undefined): boolean {
  const uri = spiffeUri(principal);
  if (uri === undefined) return false;
  if (pattern === '*') return true;
  if (pattern.startsWith('*')) {
    const suffix = pattern.slice(1);
    return uri.length >= SPIFFE.length + suffix.length && uri.endsWith(suffix);
  }
  if (pattern.endsWith('*')) return uri.startsWith(SPIFFE + pattern.slice(0, -1));
  return uri === SPIFFE + pattern;
}

/**
 * `serviceAccounts` / `source.serviceAccount`: `ns/sa`, or `sa` in the policy's namespace, as istiod's
 * serviceAccountRegex (model/generator.go): `spiffe://.+/ns/<ns>/(.+/|)sa/<sa>(/.+)?`, whole URI.
 */
export function matchServiceAccount(policyNamespace: string, value: string, principal: string | undefined) {
  const uri = spiffeUri(principal);
  if (uri === undefined) return false;
  const slash = value.indexOf('/');
  const [ns, sa] = slash < 0 ? [policyNamespace, value] : [value.slice(0, slash), value.slice(slash + 1)];
  const re = new RegExp(`^spiffe://.+/ns/${escapeRegExp(ns)}/(.+/|)sa/${escapeRegExp(sa)}(/.+)?$`);
  return re.test(uri);
}

/**
 * `trustDomains` / `source.trustDomain`, as istiod's srcTrustDomainGenerator: `*` = any `spiffe://` URI,
 * a value without `*` = prefix `spiffe://<td>/`, else the `*` stands for `[^/]*` within the trust domain.
 */
export function matchTrustDomain(value: string, principal: string | undefined): boolean {
  const uri = spiffeUri(principal);
  if (uri === undefined) return false;
  if (value === '*') return uri.startsWith(SPIFFE);
  const star = value.indexOf('*');
  if (star < 0) return uri.startsWith(`${SPIFFE}${value}/`);
  const re = new RegExp(
    `^spiffe://${escapeRegExp(value.slice(0, star))}[^/]*${escapeRegExp(value.slice(star + 1))}/.*$`,
  );
  return re.test(uri);
}

/** A validated JWT's `iss` and `sub` claims, which `requestPrincipals` are matched against. */
export interface JwtIdentity {
  iss?: string;
  sub?: string;
}

const present = (v: string | undefined) => v !== undefined && v !== '';

/**
 * `requestPrincipals` / `request.auth.principal`, as istiod's requestPrincipalGenerator: the value is cut at
 * its last `/` into issuer and subject, each matched against its own claim; `*` on either side stands for
 * a non-empty value (regex `.+`), so `https://idp/*` needs a non-empty subject.
 */
export function matchRequestPrincipal(value: string, jwt: JwtIdentity | undefined): boolean {
  if (!jwt) return false;
  const { iss, sub } = jwt;
  const slash = value.lastIndexOf('/');
  const found = slash >= 0;
  const [vIss, vSub] = found ? [value.slice(0, slash), value.slice(slash + 1)] : [value, ''];
  const exact = (want: string, got: string | undefined) => got === want;
  if (value === '*') return present(iss) && present(sub);
  if (value.startsWith('*')) {
    if (!found) return present(iss) && sub !== undefined && sub.endsWith(value.slice(1));
    const issOk = vIss === '*' ? present(iss) : iss !== undefined && iss.endsWith(vIss.slice(1));
    return issOk && exact(vSub, sub);
  }
  if (value.endsWith('*')) {
    if (!found) return iss !== undefined && iss.startsWith(value.slice(0, -1)) && present(sub);
    const subOk = vSub === '*' ? present(sub) : sub !== undefined && sub.startsWith(vSub.slice(0, -1));
    return exact(vIss, iss) && subOk;
  }
  return exact(vIss, iss) && exact(vSub, sub);
}

/** `ipBlocks` / `source.ip` semantics: the address equals the IP or lies in the CIDR block. */
export function matchIp(block: string, ip: string | undefined): boolean {
  if (ip === undefined) return false;
  const family = isIP(ip);
  if (family === 0) return false;
  const [addr, bits] = block.split('/') as [string, string | undefined];
  const blockFamily = isIP(addr);
  if (blockFamily !== family) return false;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  const list = new BlockList();
  if (bits === undefined) list.addAddress(addr, type);
  else {
    const prefix = Number(bits);
    if (!/^\d+$/.test(bits) || prefix > (family === 4 ? 32 : 128)) return false;
    list.addSubnet(addr, prefix, type);
  }
  return list.check(ip, type);
}

/**
 * A field with positive and negative values (`principals` / `notPrincipals`): some value matches (when
 * any are given) and no negative value matches.
 */
export function matchField<T>(
  values: readonly string[] | undefined,
  notValues: readonly string[] | undefined,
  actual: T,
  match: (pattern: string, actual: T) => boolean,
): boolean {
  if (values && values.length > 0 && !values.some((v) => match(v, actual))) return false;
  if (notValues && notValues.length > 0 && notValues.some((v) => match(v, actual))) return false;
  return true;
}

/** The mesh config's `pathNormalization.normalization` values (istio.io security normalization reference). */
export const PATH_NORMALIZATIONS = ['NONE', 'BASE', 'MERGE_SLASHES', 'DECODE_AND_MERGE_SLASHES'] as const;
export type PathNormalization = (typeof PATH_NORMALIZATIONS)[number];

/** RFC 3986 unreserved characters: the only percent-encoded ones BASE decodes. */
const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

/** RFC 3986 section 5.2.4: `.` and `..` segments resolved; `..` never climbs above the root. */
function removeDotSegments(path: string): string {
  const segments = path.slice(1).split('/');
  const out: string[] = [];
  segments.forEach((s, i) => {
    const last = i === segments.length - 1;
    if (s === '.' || s === '..') {
      if (s === '..') out.pop();
      if (last) out.push('');
    } else out.push(s);
  });
  return `/${out.join('/')}`;
}

/**
 * The path Envoy matches `paths` against, under the mesh config's `pathNormalization` (istio.io,
 * "Authorization Policy Normalization"): the query is never part of it; NONE leaves the rest as sent;
 * BASE (the default) decodes percent-encoded unreserved characters once (`%61` -> `a`, `%2e` -> `.`),
 * turns `\` into `/` and resolves `.`/`..` segments (RFC 3986); MERGE_SLASHES then merges repeated `/`;
 * DECODE_AND_MERGE_SLASHES first decodes `%2F` and `%5C`. A path with `%00` is refused by Envoy (400)
 * whatever the option: `rejected` says so.
 */
export function normalizePath(
  path: string,
  mode: PathNormalization = 'BASE',
): { path: string; rejected?: string } {
  const q = path.indexOf('?');
  let p = q < 0 ? path : path.slice(0, q);
  if (/%00/.test(p)) return { path: p, rejected: 'Envoy refuses a path with %00 (400 Bad Request)' };
  if (mode === 'NONE') return { path: p };
  if (mode === 'DECODE_AND_MERGE_SLASHES') p = p.replace(/%2f/gi, '/').replace(/%5c/gi, '\\');
  p = p.replace(/%([0-9A-Fa-f]{2})/g, (all, hex: string) => {
    const c = String.fromCharCode(parseInt(hex, 16));
    return UNRESERVED.test(c) ? c : all;
  });
  p = p.replace(/\\/g, '/');
  if (p.startsWith('/')) p = removeDotSegments(p);
  if (mode === 'MERGE_SLASHES' || mode === 'DECODE_AND_MERGE_SLASHES') p = p.replace(/\/{2,}/g, '/');
  return { path: p };
}
