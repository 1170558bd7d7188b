/**
 * Value matchers with the semantics Istio gives AuthorizationPolicy fields when it turns them into Envoy
 * RBAC matchers: exact, `prefix*`, `*suffix`, `*` (present and non-empty); path templates `{*}` (one
 * segment) and `{**}` (the rest of the path); IPs and CIDR blocks; hosts case-insensitive, with or without
 * the request's port.
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

/** `hosts` semantics: case-insensitive, and a value without a port also matches `host:<port>`. */
export function matchHost(pattern: string, host: string | undefined): boolean {
  if (host === undefined) return false;
  const p = pattern.toLowerCase();
  const h = host.toLowerCase();
  if (matchString(p, h)) return true;
  const withoutPort = h.replace(/:\d+$/, '');
  return withoutPort !== h && matchString(p, withoutPort);
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
