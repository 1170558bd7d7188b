/** `proxy-config listener`: derived address/type/match/destination columns and ordering, as istioctl. */
import type { Resource } from './dump.js';
import {
  FieldTypeError,
  arr,
  field,
  fieldKey,
  has,
  isObj,
  num,
  obj,
  path,
  str,
  strs,
  type Obj,
} from './fields.js';
import { cmp, goSortCompare, goSortSlice } from './gosort.js';

export interface ListenerFilter {
  address?: string;
  port?: number;
  type?: string;
}

const HCM = 'envoy.filters.network.http_connection_manager';
const TCP_PROXY = 'envoy.filters.network.tcp_proxy';
const BLACKHOLE = 'BlackHoleCluster';

/** Primary address: socket address, else pipe path, else empty (internal listeners). */
export function listenerAddress(l: Obj): string {
  const a = obj(l, 'address');
  const sock = obj(a, 'socket_address');
  if (sock) return str(sock, 'address');
  const pipe = obj(a, 'pipe');
  if (pipe) return str(pipe, 'path');
  return '';
}

/**
 * A uint32 field (a port, a prefix length). One that is negative, past 2^32 - 1 or fractional is refused
 * (exit 65, located by the dump) as istioctl refuses it, rather than shown.
 */
export function uint32(o: unknown, name: string): number {
  const n = num(o, name);
  if (Number.isInteger(n) && n >= 0 && n <= 0xffffffff) return n;
  throw new FieldTypeError(
    o as Obj,
    fieldKey(o, name),
    undefined,
    'an integer in 0..4294967295',
    field(o, name),
  );
}

export function listenerPort(l: Obj): number {
  return num(path(l, 'address', 'socket_address'), 'port_value');
}

/** The listener's port as `proxy-config` reads it: a port no listener can have is refused (see uint32). */
function checkedPort(l: Obj): number {
  return uint32(path(l, 'address', 'socket_address'), 'port_value');
}

function additionalAddresses(l: Obj): string[] {
  return arr(l, 'additional_addresses').map((a) => str(path(a, 'address', 'socket_address'), 'address'));
}

/** The ADDRESSES cell: primary then additional addresses, comma separated. */
export function listenerAddresses(l: Obj): string {
  return [listenerAddress(l), ...additionalAddresses(l)].join(',');
}

/** `filter_chains` plus `default_filter_chain` (the listener's own array when that is all of them). */
export function filterChains(l: Obj): Obj[] {
  const list = arr(l, 'filter_chains');
  const chains = list.every(isObj) ? (list as Obj[]) : list.filter(isObj);
  const def = obj(l, 'default_filter_chain');
  return def ? [...chains, def] : chains;
}

/** Whether any string inside a value mentions `needle` (istioctl searches the serialized proto bytes). */
function mentions(v: unknown, needle: string): boolean {
  if (typeof v === 'string') return v.includes(needle);
  if (Array.isArray(v)) return v.some((x) => mentions(x, needle));
  if (isObj(v)) for (const k in v) if (mentions(v[k], needle)) return true;
  return false;
}

function isBlackholeTcp(filter: unknown): boolean {
  return mentions(field(filter, 'typed_config'), BLACKHOLE);
}

/** HTTP, TCP, HTTP+TCP or UNKNOWN from the network filters of all chains. */
export function listenerType(l: Obj): string {
  let http = 0;
  let tcp = 0;
  for (const chain of filterChains(l)) {
    for (const f of arr(chain, 'filters')) {
      const name = str(f, 'name');
      if (name === HCM) http++;
      else if (name === TCP_PROXY && !isBlackholeTcp(f)) tcp++;
    }
  }
  if (http > 0) return tcp > 0 ? 'HTTP+TCP' : 'HTTP';
  return tcp > 0 ? 'TCP' : 'UNKNOWN';
}

export function listenerMatches(l: Obj, f: ListenerFilter): boolean {
  if (f.address) {
    const want = f.address.toLowerCase();
    const all = [listenerAddress(l), ...additionalAddresses(l)];
    if (!all.some((a) => a.toLowerCase() === want)) return false;
  }
  if (f.port && listenerPort(l) !== f.port) return false;
  if (f.type && listenerType(l).toLowerCase() !== f.type.toLowerCase()) return false;
  return true;
}

export interface ListenerEntry {
  listener: Obj;
  port: number;
  address: string;
  type: string;
}

/** Filtered listeners ordered by (port, address, type); a port istioctl would refuse is refused. */
export function selectListeners(resources: readonly Resource[], f: ListenerFilter): ListenerEntry[] {
  const entries: ListenerEntry[] = [];
  for (const { value: l } of resources) {
    const port = checkedPort(l);
    if (!listenerMatches(l, f)) continue;
    entries.push({ listener: l, port, address: listenerAddress(l), type: listenerType(l) });
  }
  return goSortCompare(
    entries,
    (a, b) => cmp(a.port, b.port) || cmp(a.address, b.address) || cmp(a.type, b.type),
  );
}

/**
 * Listeners that pass the filter, in dump order (what `-o json|yaml` prints); a listener port istioctl
 * would refuse is refused here too.
 */
export function filterListeners(resources: readonly Resource[], f: ListenerFilter): Obj[] {
  const out: Obj[] = [];
  for (const { value: l } of resources) {
    checkedPort(l);
    if (listenerMatches(l, f)) out.push(l);
  }
  return out;
}

const APP_PROTOCOL_LABELS: Array<[string, string[]]> = [
  ['HTTP', ['http/1.0', 'http/1.1', 'h2c']],
  ['HTTP TLS', ['http/1.0', 'http/1.1', 'h2c', 'istio-http/1.0', 'istio-http/1.1', 'istio-h2']],
  ['Istio HTTP Plain', ['istio', 'istio-http/1.0', 'istio-http/1.1', 'istio-h2']],
  ['TCP TLS', ['istio-peer-exchange', 'istio']],
];

function sameList(a: readonly unknown[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** The MATCH cell for a filter chain's filter_chain_match. */
export function describeChainMatch(chain: Obj): string {
  const m = obj(chain, 'filter_chain_match') ?? {};
  const parts: string[] = [];
  const sni = strs(m, 'server_names');
  if (sni.length > 0) parts.push(`SNI: ${sni.join(',')}`);
  const trans = str(m, 'transport_protocol');
  if (trans) parts.push(`Trans: ${trans}`);
  const apps = strs(m, 'application_protocols');
  if (apps.length > 0) {
    const known = APP_PROTOCOL_LABELS.find(([, list]) => sameList(apps, list));
    parts.push(`App: ${known ? known[0] : apps.join(',')}`);
  }
  const port = has(m, 'destination_port') ? `:${uint32(m, 'destination_port')}` : '';
  const ranges = arr(m, 'prefix_ranges');
  if (ranges.length > 0) {
    const cidrs = ranges.map((r) => `${str(r, 'address_prefix')}/${uint32(r, 'prefix_len')}`);
    parts.push(`Addr: ${cidrs.join(',')}${port}`);
  } else if (port) {
    parts.push(`Addr: *${port}`);
  }
  return parts.length > 0 ? parts.join('; ') : 'ALL';
}

/** A route MATCH: `prefix*`, `PathPrefix:<p>`, exact path, `regex <re>` (headers are ignored). */
export function describeRouteMatch(match: unknown): string {
  const conds: string[] = [];
  const prefix = str(match, 'prefix');
  if (prefix) conds.push(`${prefix}*`);
  const sep = str(match, 'path_separated_prefix');
  if (sep) conds.push(`PathPrefix:${sep}`);
  const p = str(match, 'path');
  if (p) conds.push(p);
  const regex = obj(match, 'safe_regex');
  if (regex) conds.push(`regex ${str(regex, 'regex')}`);
  return conds.join(' ');
}

function clusterLabel(cluster: string): string {
  return cluster.includes('Cluster') ? cluster : `Cluster: ${cluster}`;
}

/** An inline route config that sends everything to one cluster is shown as that cluster. */
function matchAllCluster(rc: Obj): string {
  const vhosts = arr(rc, 'virtual_hosts');
  if (vhosts.length !== 1) return '';
  const vh = vhosts[0];
  if (!sameList(strs(vh, 'domains'), ['*'])) return '';
  const routes = arr(vh, 'routes');
  if (routes.length !== 1) return '';
  const r = routes[0];
  if (str(field(r, 'match'), 'prefix') !== '/') return '';
  const action = obj(r, 'route');
  if (!action || !has(action, 'cluster')) return '';
  return clusterLabel(str(action, 'cluster'));
}

function describeInlineRoutes(rc: Obj): string {
  const all = matchAllCluster(rc);
  if (all) return all;
  const vhosts = arr(rc, 'virtual_hosts').map((vh) => {
    const domains = strs(vh, 'domains');
    const d = domains.length === 1 && domains[0] === '*' ? '' : domains.join('/');
    const routes = arr(vh, 'routes')
      .map((r) => describeRouteMatch(field(r, 'match')))
      .join(', ');
    return d === '' ? routes : `${d} ${routes}`;
  });
  return `Inline Route: ${vhosts.join('; ')}`;
}

/** The DESTINATION cell: decided by the first HTTP connection manager or non-blackhole TCP proxy. */
export function describeChainDestination(chain: Obj): string {
  for (const f of arr(chain, 'filters')) {
    const name = str(f, 'name');
    if (name === HCM) {
      const cfg = obj(f, 'typed_config');
      const rc = obj(cfg, 'route_config');
      if (rc) return describeInlineRoutes(rc);
      const rds = str(obj(cfg, 'rds'), 'route_config_name');
      if (rds) return `Route: ${rds}`;
      return 'HTTP';
    }
    if (name === TCP_PROXY && !isBlackholeTcp(f)) {
      return clusterLabel(str(obj(f, 'typed_config'), 'cluster'));
    }
  }
  return 'Non-HTTP/Non-TCP';
}

/** One MATCH/DESTINATION pair per filter chain, ordered by destination descending. */
export function listenerChainRows(l: Obj): Array<{ match: string; destination: string }> {
  const rows = filterChains(l).map((c) => ({
    match: describeChainMatch(c),
    destination: describeChainDestination(c),
  }));
  return goSortSlice(rows, (a, b) => a.destination > b.destination);
}
