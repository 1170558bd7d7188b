/**
 * Address parsing as Go's standard library does it, for checks that must accept and refuse exactly what
 * istiod does: netip.ParseAddr / ParsePrefix, net.ParseIP and net.SplitHostPort. Node's isIP differs:
 * it accepts IPv6 zones where Go's prefixes refuse them, and it knows no prefix syntax.
 */
import { isIPv6 } from 'node:net';

const V4_OCTET = /^(0|[1-9]\d{0,2})$/;

function isGoIPv4(s: string): boolean {
  const parts = s.split('.');
  return parts.length === 4 && parts.every((p) => V4_OCTET.test(p) && Number(p) <= 255);
}

/** IPv6 without zone: hex groups, `::` once, an IPv4 address as the last 32 bits (Go's rules). */
function isGoIPv6(s: string): boolean {
  if (!/^[0-9a-fA-F:.]+$/.test(s)) return false;
  const dot = s.lastIndexOf(':');
  if (s.includes('.') && !isGoIPv4(s.slice(dot + 1))) return false;
  return isIPv6(s);
}

export interface GoAddr {
  bits: 32 | 128;
  zone: string;
}

/** netip.ParseAddr: the address, or a reason it does not parse. */
export function goParseAddr(s: string): GoAddr | string {
  if (s === '') return 'empty address';
  if (s.includes(':')) {
    const pct = s.indexOf('%');
    const zone = pct < 0 ? '' : s.slice(pct + 1);
    if (pct >= 0 && zone === '') return `"${s}" has an empty zone`;
    return isGoIPv6(pct < 0 ? s : s.slice(0, pct)) ? { bits: 128, zone } : `"${s}" is not an IPv6 address`;
  }
  if (/^[0-9.]+$/.test(s) && s.split('.').some((p) => /^0\d/.test(p)))
    return `"${s}" has an IPv4 octet with a leading zero`;
  return isGoIPv4(s) ? { bits: 32, zone: '' } : `"${s}" is not an IP address`;
}

/** netip.ParsePrefix: undefined for `address/bits`, else why not. */
export function goParsePrefixError(s: string): string | undefined {
  const slash = s.lastIndexOf('/');
  if (slash < 0) return `"${s}" is not a CIDR (address/prefix length)`;
  const addr = goParseAddr(s.slice(0, slash));
  if (typeof addr === 'string') return addr;
  if (addr.zone !== '') return `"${s}": an IPv6 zone cannot be part of a prefix`;
  const bits = s.slice(slash + 1);
  if (!/^(0|[1-9]\d*)$/.test(bits) || Number(bits) > addr.bits)
    return `"${s}": bad prefix length "${bits}" (0-${addr.bits}, no sign or leading zero)`;
  return undefined;
}

/** net.ParseIP: a dotted IPv4 or an IPv6 address without zone. */
export function goParseIP(s: string): boolean {
  return s.includes(':') ? isGoIPv6(s) : isGoIPv4(s);
}

/** net.SplitHostPort: [host, port], or why the text is not host:port. */
export function goSplitHostPort(hostport: string): [string, string] | string {
  const i = hostport.lastIndexOf(':');
  if (i < 0) return 'missing port in address';
  let host: string;
  let j = 0;
  let k = 0;
  if (hostport.startsWith('[')) {
    const end = hostport.indexOf(']');
    if (end < 0) return "missing ']' in address";
    if (end + 1 === hostport.length) return 'missing port in address';
    if (end + 1 !== i)
      return hostport[end + 1] === ':' ? 'too many colons in address' : 'missing port in address';
    host = hostport.slice(1, end);
    j = 1;
    k = end + 1;
  } else {
    host = hostport.slice(0, i);
    if (host.includes(':')) return 'too many colons in address';
  }
  if (hostport.indexOf('[', j) >= 0) return "unexpected '[' in address";
  if (hostport.indexOf(']', k) >= 0) return "unexpected ']' in address";
  return [host, hostport.slice(i + 1)];
}

/** Go's strconv.Atoi: optional sign, decimal digits, int64 range; anything else is an error (null). */
export function goAtoi(s: string): number | null {
  if (!/^[+-]?\d+$/.test(s)) return null;
  // Up to 15 digits is exact as a double (and Go has no -0).
  if (s.length <= 15) return Number(s) + 0;
  const v = BigInt(s);
  if (v > 9223372036854775807n || v < -9223372036854775808n) return null;
  return Number(v);
}

const HOST_CHAR = /^[a-zA-Z0-9!$&'()*+,;=:[\]<>"\-_.~]$/;

/** Go's url.unescape check: every `%` starts a hex pair; in a host, also only allowed characters. */
function validEscapes(s: string, host = false): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '%') {
      const pair = s.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(pair)) return false;
      if (host && parseInt(pair[0]!, 16) < 8 && pair !== '25') return false;
      i += 2;
    } else if (host && c.charCodeAt(0) < 0x80 && !HOST_CHAR.test(c)) return false;
  }
  return true;
}

const validOptionalPort = (port: string) => port === '' || /^:\d*$/.test(port);

/**
 * url.Parse(raw).Hostname() as Go computes it: the host name (without port or IPv6 brackets; '' for a URL
 * without authority, such as `https:10.0.0.1/x` or `istiod:15017`), or undefined when Go refuses the URL.
 */
export function goURLHostname(raw: string): string | undefined {
  if (/[\x00-\x1f\x7f]/.test(raw)) return undefined;
  const hash = raw.indexOf('#');
  if (hash >= 0 && !validEscapes(raw.slice(hash + 1))) return undefined;
  const u = hash >= 0 ? raw.slice(0, hash) : raw;
  if (u === '*') return '';
  let scheme = '';
  let rest = u;
  const m = /^[a-zA-Z][a-zA-Z0-9+.-]*(?=[^a-zA-Z0-9+.-]|$)/.exec(u);
  if (u.startsWith(':')) return undefined; // missing protocol scheme
  if (m && u[m[0].length] === ':') {
    scheme = m[0];
    rest = u.slice(m[0].length + 1);
  }
  const q = rest.indexOf('?');
  if (q >= 0) rest = rest.slice(0, q);
  if (!rest.startsWith('/')) {
    if (scheme !== '') return ''; // opaque: no host
    if (rest.split('/')[0]!.includes(':')) return undefined; // first path segment cannot contain a colon
  }
  let host = '';
  if ((scheme !== '' || !rest.startsWith('///')) && rest.startsWith('//')) {
    const slash = rest.indexOf('/', 2);
    const authority = slash < 0 ? rest.slice(2) : rest.slice(2, slash);
    rest = slash < 0 ? '' : rest.slice(slash);
    const at = authority.lastIndexOf('@');
    if (at >= 0 && !/^[a-zA-Z0-9\-._:~!$&'()*+,;=%@]*$/.test(authority.slice(0, at))) return undefined;
    host = authority.slice(at + 1);
    if (host.startsWith('[')) {
      const close = host.lastIndexOf(']');
      if (close < 0 || !validOptionalPort(host.slice(close + 1))) return undefined;
      const zone = host.slice(0, close).indexOf('%25');
      if (zone >= 0 ? !validEscapes(host.slice(0, zone), true) : !validEscapes(host, true)) return undefined;
    } else {
      const colon = host.lastIndexOf(':');
      if (colon >= 0 && !validOptionalPort(host.slice(colon))) return undefined;
      if (!validEscapes(host, true)) return undefined;
    }
  }
  if (!validEscapes(rest)) return undefined;
  host = decodeURIComponentSafe(host);
  const colon = host.lastIndexOf(':');
  if (colon >= 0 && validOptionalPort(host.slice(colon))) host = host.slice(0, colon);
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
