/**
 * Endpoints two ways, as istioctl shows them: the EDS section of a config dump (`proxy-config eds`
 * and the ENDPOINTS part of `all`), and the admin `/clusters?format=json` answer (`proxy-config endpoint`).
 */
import { ConfigDump, DumpType, parseJsonText, type Resource } from './dump.js';
import { ExitCode, MeshError } from '../util/errors.js';
import {
  FieldTypeError,
  arr,
  bool,
  camel,
  field,
  fieldKey,
  has,
  isObj,
  obj,
  path,
  str,
  type Obj,
} from './fields.js';
import { goSortCompare, goSortSlice } from './gosort.js';
import { clusterKeyCompare, clusterSortKey } from './istio.js';
import { uint32 } from './listeners.js';
import type { AccessOptions } from './source.js';

export interface EndpointFilter {
  address?: string;
  port?: number;
  cluster?: string;
  status?: string;
}

const HEALTH: readonly string[] = ['UNKNOWN', 'HEALTHY', 'UNHEALTHY', 'DRAINING', 'TIMEOUT', 'DEGRADED'];

/**
 * A HealthStatus: `name` is what `--status` compares with (empty for a number no status has), `shown` what
 * the table prints. A number no status has is shown as the number in a config dump (`7`), as nothing in
 * a `/clusters` answer (`blankNumbers`), as istioctl shows them.
 */
interface Health {
  name: string;
  shown: string;
}

function healthOf(v: unknown, blankNumbers: boolean): Health {
  if (typeof v === 'number') {
    const name = HEALTH[v] ?? '';
    return { name, shown: name || (blankNumbers ? '' : String(v)) };
  }
  const name = typeof v === 'string' ? v : HEALTH[0]!;
  return { name, shown: name };
}

/**
 * An endpoint's `health_status` in a config dump: a name no status has reads as UNKNOWN, as istioctl reads
 * a dump (its reader drops enum names it does not know).
 */
function dumpHealth(v: unknown): unknown {
  return typeof v === 'string' && !HEALTH.includes(v) ? HEALTH[0] : v;
}

const eqFold = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/**
 * An internal address as `envoy://listener/id`; undefined when it names no server listener (its only kind
 * of address today), which istioctl shows as `unknown`.
 */
function internalAddress(internal: Obj): string | undefined {
  if (!has(internal, 'server_listener_name')) return undefined;
  return `envoy://${str(internal, 'server_listener_name')}/${str(internal, 'endpoint_id')}`;
}

/** An Address rendered for EDS: `ip:port`, pipe path, `envoy://listener/id`, or `unknown`. */
function edsAddress(address: unknown): string {
  const sock = obj(address, 'socket_address');
  if (sock) return `${str(sock, 'address')}:${uint32(sock, 'port_value')}`;
  const pipe = obj(address, 'pipe');
  if (pipe) return str(pipe, 'path');
  const internal = obj(address, 'envoy_internal_address');
  return (internal && internalAddress(internal)) ?? 'unknown';
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

function lbEndpointStatus(ep: unknown): Health {
  return healthOf(dumpHealth(field(ep, 'health_status')), false);
}

function edsEndpointMatches(ep: unknown, cluster: string, f: EndpointFilter): boolean {
  const addrs = lbEndpointAddresses(ep);
  if (f.address && !addrs.some((a) => eqFold(edsAddress(a), f.address!))) return false;
  if (f.port && !addrs.some((a) => uint32(obj(a, 'socket_address'), 'port_value') === f.port)) return false;
  if (f.cluster && !eqFold(cluster, f.cluster)) return false;
  if (f.status && !eqFold(lbEndpointStatus(ep).name, f.status)) return false;
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
        rows.push([prefix + edsName(ep), lbEndpointStatus(ep).shown, locality, cluster]);
      }
    }
  }
  return rows;
}

// ---- /clusters?format=json (admin.v3.Clusters) ----

interface HostRow {
  /** The address as istioctl sorts and filters on it: the socket's IP, `unix://path`, `envoy://…`, `unknown`. */
  address: string;
  port: number;
  cluster: string;
  status: Health;
  outlier: string;
}

/** The address without its port: the socket's IP, `unix://path`, `envoy://listener/id`, else `unknown`. */
function hostAddress(address: unknown): string {
  const sock = obj(address, 'socket_address');
  if (sock) return str(sock, 'address');
  const pipe = obj(address, 'pipe');
  if (pipe) return `unix://${str(pipe, 'path')}`;
  const internal = obj(address, 'envoy_internal_address');
  return (internal && internalAddress(internal)) ?? 'unknown';
}

/**
 * `eds_health_status` of a `/clusters` answer. A name no status has is refused (exit 65, located by the
 * caller), as istioctl refuses such an answer.
 */
function hostHealth(health: Obj | undefined): Health {
  const v = field(health, 'eds_health_status');
  if (typeof v === 'string' && !HEALTH.includes(v))
    throw new FieldTypeError(
      health!,
      fieldKey(health, 'eds_health_status'),
      undefined,
      `one of ${HEALTH.join(', ')}`,
      v,
    );
  return healthOf(v, true);
}

function hostRow(host: unknown, cluster: string): HostRow {
  const address = field(host, 'address');
  const health = obj(host, 'health_status');
  return {
    address: hostAddress(address),
    port: uint32(path(address, 'socket_address'), 'port_value'),
    cluster,
    status: hostHealth(health),
    outlier: bool(health, 'failed_outlier_check') ? 'FAILED' : 'OK',
  };
}

/** ENDPOINT cell: the address, then `:port` when a socket address has a port. */
function hostEndpoint(r: HostRow): string {
  return r.port ? `${r.address}:${r.port}` : r.address;
}

function hostMatches(r: HostRow, f: EndpointFilter): boolean {
  if (f.address && !eqFold(r.address, f.address)) return false;
  if (f.port && r.port !== f.port) return false;
  if (f.cluster && !eqFold(r.cluster, f.cluster)) return false;
  if (f.status && !eqFold(r.status.name, f.status)) return false;
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
  return rows.map((r) => [hostEndpoint(r), r.status.shown, r.outlier, r.cluster]);
}

/** ClusterStatus objects with at least one matching host (their other hosts are kept). */
export function selectClusterStatuses(clusters: unknown, f: EndpointFilter): Obj[] {
  return arr(clusters, 'cluster_statuses')
    .filter(isObj)
    .filter((cs) => {
      // every host is read, so that an answer istioctl refuses is refused whatever the filter
      const rows = arr(cs, 'host_statuses').map((h) => hostRow(h, str(cs, 'name')));
      return rows.some((r) => hostMatches(r, f));
    });
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
            health_status: { eds_health_status: dumpHealth(field(ep, 'health_status') ?? 'UNKNOWN') },
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

/** What `proxy-config endpoint` reads, parsed; `text` (a file's) gives errors their line and column. */
export interface EndpointInput {
  value: unknown;
  text?: string;
  /** Names the input in errors. */
  source: string;
}

/** `endpoint --file`: its JSON, numbers kept as written when `exact` (-o json|yaml). */
export async function endpointFile(file: string, exact: boolean): Promise<EndpointInput> {
  const { readSourceText } = await import('./source.js');
  const what = 'cannot parse clusters (/clusters?format=json or a config dump)';
  const text = await readSourceText(file);
  return { value: parseJsonText(text, file, what, exact), text, source: file };
}

/**
 * A proxy's `/clusters?format=json` answer, named in errors as the admin client names its requests.
 * Envoy leaves an empty `cluster_statuses` out, so an object without it is a proxy without clusters
 * (istioctl prints the header alone); any other answer gets the checks of a file.
 */
export async function endpointAnswer(
  pod: string | undefined,
  access: AccessOptions,
  timeoutMs: number,
): Promise<EndpointInput> {
  const { endpointSource, openEndpoint } = await import('./source.js');
  const source = await endpointSource(await openEndpoint(pod, access), timeoutMs);
  try {
    const answer = await source.client!.clusters();
    const value = isObj(answer) && !has(answer, 'cluster_statuses') ? { cluster_statuses: [] } : answer;
    return { value, source: `Envoy admin ${source.label}: /clusters` };
  } finally {
    await source.close();
  }
}
