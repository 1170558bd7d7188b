/**
 * Endpoints two ways, as istioctl shows them: the EDS section of a config dump (`proxy-config eds`
 * and the ENDPOINTS part of `all`), and the admin `/clusters?format=json` answer (`proxy-config endpoint`).
 */
import { ConfigDump, DumpType, type Resource } from './dump.js';
import { ExitCode, MeshError } from '../util/errors.js';
import { arr, bool, camel, enumName, field, isObj, num, obj, path, str, type Obj } from './fields.js';
import { goSortCompare, goSortSlice } from './gosort.js';
import { clusterKeyCompare, clusterSortKey } from './istio.js';

export interface EndpointFilter {
  address?: string;
  port?: number;
  cluster?: string;
  status?: string;
}

const HEALTH = ['UNKNOWN', 'HEALTHY', 'UNHEALTHY', 'DRAINING', 'TIMEOUT', 'DEGRADED'] as const;

const eqFold = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** An Address rendered for EDS: `ip:port`, pipe path, `envoy://listener/id`, or `unknown`. */
function edsAddress(address: unknown): string {
  const sock = obj(address, 'socket_address');
  if (sock) return `${str(sock, 'address')}:${num(sock, 'port_value')}`;
  const pipe = obj(address, 'pipe');
  if (pipe) return str(pipe, 'path');
  const internal = obj(address, 'envoy_internal_address');
  if (internal) return `envoy://${str(internal, 'server_listener_name')}/${str(internal, 'endpoint_id')}`;
  return 'unknown';
}

function lbEndpointAddresses(ep: unknown): unknown[] {
  const e = obj(ep, 'endpoint');
  return [field(e, 'address'), ...arr(e, 'additional_addresses').map((a) => field(a, 'address'))];
}

/** The NAME cell: the endpoint's addresses (primary, then additional ones), comma separated. */
function edsName(ep: unknown): string {
  const e = obj(ep, 'endpoint');
  const primary = field(e, 'address');
  let name = primary === undefined ? undefined : edsAddress(primary);
  for (const a of arr(e, 'additional_addresses')) {
    const address = field(a, 'address');
    if (address === undefined) continue;
    name = name === undefined ? edsAddress(address) : `${name},${edsAddress(address)}`;
  }
  return name ?? '';
}

function lbEndpointStatus(ep: unknown): string {
  return enumName(ep, 'health_status', HEALTH);
}

function edsEndpointMatches(ep: unknown, cluster: string, f: EndpointFilter): boolean {
  const addrs = lbEndpointAddresses(ep);
  if (f.address && !addrs.some((a) => edsAddress(a) === f.address)) return false;
  if (f.port && !addrs.some((a) => num(obj(a, 'socket_address'), 'port_value') === f.port)) return false;
  if (f.cluster && !eqFold(cluster, f.cluster)) return false;
  if (f.status && !eqFold(lbEndpointStatus(ep), f.status)) return false;
  return true;
}

/**
 * ClusterLoadAssignments with non-matching endpoints removed (and assignments left empty dropped),
 * ordered by parsed cluster name.
 */
export function selectLoadAssignments(resources: readonly Resource[], f: EndpointFilter): Obj[] {
  const filtering = Boolean(f.address || f.port || f.cluster || f.status);
  const out: Array<{ cla: Obj; key: ReturnType<typeof clusterSortKey> }> = [];
  for (const { value: cla } of resources) {
    const cluster = str(cla, 'cluster_name');
    const all = arr(cla, 'endpoints');
    // Unfiltered, an assignment whose groups all have endpoints is shown as it is.
    if (!filtering && all.length > 0 && all.every((g) => isObj(g) && arr(g, 'lb_endpoints').length > 0)) {
      out.push({ cla, key: clusterSortKey(cluster) });
      continue;
    }
    const groups: Obj[] = [];
    for (const g of all) {
      if (!isObj(g)) continue;
      const lbs = arr(g, 'lb_endpoints');
      const eps = filtering ? lbs.filter((ep) => edsEndpointMatches(ep, cluster, f)) : lbs;
      if (eps.length === 0) continue;
      groups.push(eps.length === lbs.length ? g : replaceField(g, 'lb_endpoints', eps));
    }
    if (groups.length === 0) continue;
    // copies only where endpoints were removed
    const kept = groups.length === all.length && groups.every((g, i) => g === all[i]);
    out.push({ cla: kept ? cla : replaceField(cla, 'endpoints', groups), key: clusterSortKey(cluster) });
  }
  goSortCompare(out, (a, b) => clusterKeyCompare(a.key, b.key));
  return out.map((o) => o.cla);
}

/** A copy of `o` with a (snake or camel spelled) list field replaced, keeping key order. */
function replaceField(o: Obj, name: string, value: unknown[]): Obj {
  const key = name in o || !(camel(name) in o) ? name : camel(name);
  return { ...o, [key]: value };
}

function describeLocality(l: unknown): string {
  const region = str(l, 'region');
  const zone = str(l, 'zone');
  if (region === '' && zone === '') return '';
  let s = region;
  if (zone) {
    s += `/${zone}`;
    const sub = str(l, 'sub_zone');
    if (sub) s += `/${sub}`;
  }
  return s;
}

export const EDS_HEADER = ['NAME', 'STATUS', 'LOCALITY', 'CLUSTER'];

/** NAME, STATUS, LOCALITY, CLUSTER per endpoint of the (already filtered) assignments. */
export function edsRows(assignments: readonly Obj[], prefix = ''): string[][] {
  const rows: string[][] = [];
  for (const cla of assignments) {
    const cluster = str(cla, 'cluster_name');
    for (const g of arr(cla, 'endpoints')) {
      const locality = describeLocality(field(g, 'locality'));
      for (const ep of arr(g, 'lb_endpoints')) {
        rows.push([prefix + edsName(ep), lbEndpointStatus(ep), locality, cluster]);
      }
    }
  }
  return rows;
}

// ---- /clusters?format=json (admin.v3.Clusters) ----

interface HostRow {
  address: string;
  port: number;
  cluster: string;
  endpoint: string;
  status: string;
  outlier: string;
}

/** ENDPOINT cell: `ip[:port]`, `unix://path`, `envoy://listener/id`, else `unknown`. */
function hostEndpoint(address: unknown): string {
  const sock = obj(address, 'socket_address');
  if (sock) {
    const port = num(sock, 'port_value');
    return port ? `${str(sock, 'address')}:${port}` : str(sock, 'address');
  }
  const pipe = obj(address, 'pipe');
  if (pipe) return `unix://${str(pipe, 'path')}`;
  const internal = obj(address, 'envoy_internal_address');
  if (internal) return `envoy://${str(internal, 'server_listener_name')}/${str(internal, 'endpoint_id')}`;
  return 'unknown';
}

function hostRow(host: unknown, cluster: string): HostRow {
  const address = field(host, 'address');
  const health = obj(host, 'health_status');
  return {
    address: str(obj(address, 'socket_address'), 'address'),
    port: num(path(address, 'socket_address'), 'port_value'),
    cluster,
    endpoint: hostEndpoint(address),
    status: enumName(health, 'eds_health_status', HEALTH),
    outlier: bool(health, 'failed_outlier_check') ? 'FAILED' : 'OK',
  };
}

function hostMatches(r: HostRow, f: EndpointFilter): boolean {
  if (f.address && !eqFold(r.address, f.address)) return false;
  if (f.port && r.port !== f.port) return false;
  if (f.cluster && !eqFold(r.cluster, f.cluster)) return false;
  if (f.status && !eqFold(r.status, f.status)) return false;
  return true;
}

export const HOST_HEADER = ['ENDPOINT', 'STATUS', 'OUTLIER CHECK', 'CLUSTER'];

/** Rows of `/clusters?format=json` passing the filter, ordered by (address, port, cluster). */
export function clusterStatusRows(clusters: unknown, f: EndpointFilter): string[][] {
  const rows: HostRow[] = [];
  for (const cs of arr(clusters, 'cluster_statuses')) {
    const name = str(cs, 'name');
    for (const h of arr(cs, 'host_statuses')) {
      const r = hostRow(h, name);
      if (hostMatches(r, f)) rows.push(r);
    }
  }
  goSortSlice(rows, (a, b) => {
    if (a.address !== b.address) return a.address < b.address;
    if (a.port !== b.port) return a.port < b.port;
    return a.cluster < b.cluster;
  });
  return rows.map((r) => [r.endpoint, r.status, r.outlier, r.cluster]);
}

/** ClusterStatus objects with at least one matching host (their other hosts are kept). */
export function selectClusterStatuses(clusters: unknown, f: EndpointFilter): Obj[] {
  return arr(clusters, 'cluster_statuses')
    .filter(isObj)
    .filter((cs) => arr(cs, 'host_statuses').some((h) => hostMatches(hostRow(h, str(cs, 'name')), f)));
}

// ---- `proxy-config endpoint --file`: which input is it? ----

/**
 * The `/clusters?format=json` shape of what `proxy-config endpoint --file` was given: Envoy's
 * `/clusters?format=json` answer as it is, or a config dump whose EDS section (`?include_eds`) is read
 * as the same table (each endpoint's `health_status`; a dump has no outlier state, which reads OK).
 * Anything else is refused: an empty table would look like a proxy without endpoints.
 */
export function clustersFromInput(value: unknown, source: string): Obj {
  if (isObj(value) && Array.isArray(field(value, 'cluster_statuses'))) return value;
  if (isObj(value) && Array.isArray(value.configs)) {
    const dump = new ConfigDump(value, undefined, source);
    if (!dump.section(DumpType.endpoints))
      throw new MeshError(
        `${source}: the config dump has no endpoints (no EndpointsConfigDump section): take it with /config_dump?include_eds, or pass /clusters?format=json`,
        { exitCode: ExitCode.DATA },
      );
    return {
      cluster_statuses: dump.endpoints().map(({ value: cla }) => ({
        name: str(cla, 'cluster_name'),
        host_statuses: arr(cla, 'endpoints').flatMap((g) =>
          arr(g, 'lb_endpoints').map((ep) => ({
            address: field(obj(ep, 'endpoint'), 'address'),
            health_status: { eds_health_status: field(ep, 'health_status') ?? 'UNKNOWN' },
          })),
        ),
      })),
    };
  }
  throw new MeshError(
    `${source}: neither Envoy's /clusters?format=json output ("cluster_statuses") nor a config dump with endpoints ("configs")`,
    { exitCode: ExitCode.DATA },
  );
}
