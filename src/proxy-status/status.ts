/**
 * proxy-status logic: istiod's `istio.io/debug/syncz` answers (one DiscoveryResponse per replica, each
 * holding a ClientConfig per connected proxy) → rows → istioctl's tables. Pure: no I/O, "now" injected.
 * Accepts protobuf-JSON in either spelling (snake_case from mesh's client, camelCase from istioctl -o json).
 */
import { arr, field, isObj, obj, str, typeUrl, type Obj } from '../envoy/fields.js';
import { toProtoJson } from '../envoy/protojson.js';
import { escapeControl } from '../render/escape.js';
import { renderTable } from '../render/tabwriter.js';
import { humanDuration } from '../util/age.js';
import type { MeshError } from '../util/errors.js';

const T = 'type.googleapis.com/';
export const TYPE = {
  CDS: `${T}envoy.config.cluster.v3.Cluster`,
  LDS: `${T}envoy.config.listener.v3.Listener`,
  EDS: `${T}envoy.config.endpoint.v3.ClusterLoadAssignment`,
  RDS: `${T}envoy.config.route.v3.RouteConfiguration`,
  SRDS: `${T}envoy.config.route.v3.ScopedRouteConfiguration`,
  ECDS: `${T}envoy.config.core.v3.TypedExtensionConfig`,
  SDS: `${T}envoy.extensions.transport_sockets.tls.v3.Secret`,
  NDS: `${T}istio.networking.nds.v1.NameTable`,
  PCDS: `${T}istio.mesh.v1alpha1.ProxyConfig`,
  WDS: `${T}istio.workload.Address`,
  WDS2: `${T}istio.workload.Workload`,
  WADS: `${T}istio.security.Authorization`,
} as const;

const SHORT: Record<string, string> = {
  [TYPE.CDS]: 'CDS',
  [TYPE.LDS]: 'LDS',
  [TYPE.EDS]: 'EDS',
  [TYPE.RDS]: 'RDS',
  [TYPE.ECDS]: 'ECDS',
  [TYPE.SDS]: 'SDS',
  [TYPE.NDS]: 'NDS',
  [TYPE.PCDS]: 'PCDS',
  [TYPE.WDS]: 'WDS',
  [TYPE.WDS2]: 'WDS',
  [TYPE.WADS]: 'WADS',
};
export const shortType = (url: string) => SHORT[url] ?? url;

/** The legacy PerXdsConfig oneof fields and the type each stands for. */
const PER_XDS_FIELDS: Array<[string, string]> = [
  ['listener_config', TYPE.LDS],
  ['cluster_config', TYPE.CDS],
  ['route_config', TYPE.RDS],
  ['scoped_route_config', TYPE.SRDS],
  ['endpoint_config', TYPE.EDS],
];

export type ConfigStatus = 'UNKNOWN' | 'SYNCED' | 'NOT_SENT' | 'STALE' | 'ERROR';

export interface TypeStatus {
  typeUrl: string;
  status: ConfigStatus;
  /** When istiod last sent this type (ms since epoch). */
  lastSentMs?: number;
  /** NACK details when the proxy rejected the last push. */
  error?: { details: string; atMs?: number };
}

export interface ProxyRow {
  /** `<pod>.<namespace>` as istiod knows the proxy. */
  name: string;
  cluster: string;
  namespace: string;
  version: string;
  istiod: string;
  types: Map<string, TypeStatus>;
}

/** One replica's answer (or failure), as the command gathered it. */
export interface ReplicaAnswer {
  /** The replica as the user knows it (pod name or address). */
  replica: string;
  response?: Obj;
  /** Why this replica gave no answer (one line, names the replica; may carry a hint). */
  error?: MeshError;
}

export interface ControlPlaneInfo {
  id: string;
  version?: string;
  revision?: string;
  raw?: Obj;
}

/** The control_plane identifier (JSON of `{Component, ID, Info}`); `MISSING`/`INVALID` as istioctl says. */
export function controlPlaneOf(response: Obj): ControlPlaneInfo {
  const cp = obj(response, 'control_plane');
  if (!cp) return { id: 'MISSING' };
  try {
    const ident = JSON.parse(str(cp, 'identifier')) as Obj;
    const info = isObj(ident.Info) ? ident.Info : {};
    return {
      id: typeof ident.ID === 'string' ? ident.ID : 'INVALID',
      version: typeof info.version === 'string' ? info.version : undefined,
      revision: typeof info.revision === 'string' ? info.revision : undefined,
      raw: ident,
    };
  } catch {
    return { id: 'INVALID' };
  }
}

function timeMs(v: unknown): number | undefined {
  if (typeof v === 'string' && v !== '') {
    const ms = Date.parse(v);
    return Number.isNaN(ms) ? undefined : ms;
  }
  if (isObj(v)) return Number(v.seconds ?? 0) * 1000 + Math.floor(Number(v.nanos ?? 0) / 1e6);
  return undefined;
}

const STATUSES = new Set<ConfigStatus>(['UNKNOWN', 'SYNCED', 'NOT_SENT', 'STALE', 'ERROR']);
function statusOf(v: unknown): ConfigStatus {
  if (typeof v === 'number')
    return (['UNKNOWN', 'SYNCED', 'NOT_SENT', 'STALE', 'ERROR'] as const)[v] ?? 'UNKNOWN';
  return typeof v === 'string' && STATUSES.has(v as ConfigStatus) ? (v as ConfigStatus) : 'UNKNOWN';
}

function typeStatuses(cc: Obj): Map<string, TypeStatus> {
  const out = new Map<string, TypeStatus>();
  const generic = arr(cc, 'generic_xds_configs');
  if (generic.length > 0) {
    for (const g of generic) {
      const url = str(g, 'type_url');
      const es = obj(g, 'error_state');
      const t: TypeStatus = { typeUrl: url, status: statusOf(field(g, 'config_status')) };
      const sent = timeMs(field(g, 'last_updated'));
      if (sent !== undefined) t.lastSentMs = sent;
      if (es) t.error = { details: str(es, 'details'), atMs: timeMs(field(es, 'last_update_attempt')) };
      out.set(url, t);
    }
    return out;
  }
  for (const x of arr(cc, 'xds_config')) {
    for (const [f, url] of PER_XDS_FIELDS) {
      if (field(x, f) === undefined) continue;
      out.set(url, { typeUrl: url, status: statusOf(field(x, 'status')) });
    }
  }
  return out;
}

function metadataString(cc: Obj, key: string): string {
  const v = field(obj(cc, 'node'), 'metadata');
  return isObj(v) && typeof v[key] === 'string' ? v[key] : '';
}

const CLIENT_CONFIG = `${T}envoy.service.status.v3.ClientConfig`;

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

/** Why a syncz resource describes no proxy (a broken or foreign server), or undefined for a ClientConfig that does. */
function unusable(r: unknown): ((n: number) => string) | undefined {
  const type = typeUrl(r) || str(r, 'type_url');
  if (type === CLIENT_CONFIG)
    return str(obj(r, 'node'), 'id') === ''
      ? (n) => `${plural(n, 'ClientConfig')} without a node id`
      : undefined;
  if (type === '') return (n) => `${plural(n, 'resource')} without a type`;
  return (n) => `${plural(n, 'resource')} of type ${type}: not ClientConfigs`;
}

/** The ClientConfigs of one response, filtered by namespace (node metadata NAMESPACE) when given. */
export function clientConfigs(response: Obj, namespace?: string): Obj[] {
  const all = arr(response, 'resources').filter((r): r is Obj => unusable(r) === undefined);
  return namespace ? all.filter((cc) => metadataString(cc, 'NAMESPACE') === namespace) : all;
}

/**
 * What each replica's syncz answer holds that describes no proxy, one line per replica and kind: left
 * out of the rows and documents, where it made nameless rows.
 */
export function foreignResources(answers: ReplicaAnswer[]): string[] {
  const out: string[] = [];
  for (const a of answers) {
    const counts = new Map<string, { n: number; say: (n: number) => string }>();
    for (const r of arr(a.response, 'resources')) {
      const say = unusable(r);
      if (!say) continue;
      const key = say(1);
      counts.set(key, { n: (counts.get(key)?.n ?? 0) + 1, say });
    }
    for (const { n, say } of counts.values()) out.push(`${a.replica}: left out ${say(n)}`);
  }
  return out;
}

/**
 * The node ids that several ClientConfigs of one replica's answer share, with how many: proxies connected
 * more than once under one id (a proxyless gRPC client keeps a stream per data-plane target; pods of one
 * name and namespace in two clusters). Each is a row of its own, but istiod's config for that id
 * (`istio.io/debug/config_dump`) is one connection's, whichever it finds first.
 */
export function sharedNodeIds(response: Obj | undefined, namespace?: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const cc of clientConfigs(response ?? {}, namespace)) {
    const id = str(obj(cc, 'node'), 'id');
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  for (const [id, n] of counts) if (n < 2) counts.delete(id);
  return counts;
}

/** One line per replica and node id that several of its proxies share (control characters escaped). */
export function sharedNodeLines(answers: ReplicaAnswer[], namespace?: string): string[] {
  return answers.flatMap((a) =>
    [...sharedNodeIds(a.response, namespace)].map(([id, n]) =>
      escapeControl(`${a.replica}: ${n} connected proxies share node id ${id} (a row each)`),
    ),
  );
}

export function rowsOf(answers: ReplicaAnswer[], namespace?: string): ProxyRow[] {
  const rows: ProxyRow[] = [];
  for (const a of answers) {
    if (!a.response) continue;
    const istiod = controlPlaneOf(a.response).id;
    for (const cc of clientConfigs(a.response, namespace)) {
      rows.push({
        name: str(obj(cc, 'node'), 'id'),
        cluster: metadataString(cc, 'CLUSTER_ID'),
        namespace: metadataString(cc, 'NAMESPACE'),
        version: metadataString(cc, 'ISTIO_VERSION'),
        istiod,
        types: typeStatuses(cc),
      });
    }
  }
  // a stable sort keeps replicas in the order they were asked (and a replica's proxies that share a node
  // id in its order: see sharedNodeIds)
  return rows.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
}

export function formatStatus(t: TypeStatus | undefined, nowMs: number): string {
  if (!t || t.status === 'UNKNOWN') return 'IGNORED';
  if (t.status === 'NOT_SENT') return 'NOT SENT';
  return t.lastSentMs !== undefined ? `${t.status} (${humanDuration(nowMs - t.lastSentMs)})` : t.status;
}

const CORE_ORDER = [TYPE.CDS, TYPE.LDS, TYPE.EDS, TYPE.RDS] as string[];

function subscribed(row: ProxyRow): string {
  const urls = [...row.types.values()].filter((t) => t.status !== 'UNKNOWN').map((t) => t.typeUrl);
  if (urls.length === 0) return '0';
  const core = CORE_ORDER.filter((u) => urls.includes(u));
  const rest = urls.filter((u) => !CORE_ORDER.includes(u)).sort();
  return `${urls.length} (${[...core, ...rest].map(shortType).join(',')})`;
}

export type Layout = 'current' | 'verbose' | 'classic';
const PADDING = 5;

/** The table as istioctl prints it (current layout; `-v 1`; or the 1.22–1.26 per-type columns). */
export function renderStatusTable(rows: ProxyRow[], layout: Layout, nowMs: number): string {
  if (layout === 'current') {
    const lines = [['NAME', 'CLUSTER', 'ISTIOD', 'VERSION', 'SUBSCRIBED TYPES']];
    for (const r of rows) lines.push([r.name, r.cluster, r.istiod, r.version, subscribed(r)]);
    return renderTable(lines, PADDING);
  }
  const columns =
    layout === 'classic'
      ? [TYPE.CDS, TYPE.LDS, TYPE.EDS, TYPE.RDS, TYPE.ECDS]
      : [...new Set([...rows.flatMap((r) => [...r.types.keys()]), ...CORE_ORDER, TYPE.ECDS])].sort();
  const lines = [['NAME', 'CLUSTER', ...columns.map(shortType), 'ISTIOD', 'VERSION']];
  for (const r of rows)
    lines.push([
      r.name,
      r.cluster,
      ...columns.map((c) => formatStatus(r.types.get(c), nowMs)),
      r.istiod,
      r.version,
    ]);
  return renderTable(lines, PADDING);
}

/**
 * `-o json|yaml`: each replica's response, its ClientConfigs only (outside `-n` removed), protobuf-JSON.
 * A replica left with none has no `resources` field, as protobuf JSON (and istioctl) omits an empty list.
 */
export function responsesForOutput(answers: ReplicaAnswer[], namespace?: string): Obj[] {
  const out: Obj[] = [];
  for (const a of answers) {
    if (!a.response) continue;
    const resources = clientConfigs(a.response, namespace);
    const r: Obj = {};
    for (const [k, v] of Object.entries(a.response)) {
      if (k !== 'resources') r[k] = v;
      else if (resources.length > 0) r[k] = resources;
    }
    out.push(toProtoJson(r) as Obj);
  }
  return out;
}

export interface StaleProxy {
  proxy: string;
  type: string;
  status: ConfigStatus;
  sinceMs: number;
}

/**
 * Proxies that have not acknowledged a push for longer than `afterMs`: a type STALE (sent, not ACKed)
 * or in ERROR (NACKed) whose last push is older than that.
 */
export function staleProxies(rows: ProxyRow[], afterMs: number, nowMs: number): StaleProxy[] {
  const out: StaleProxy[] = [];
  for (const r of rows)
    for (const t of r.types.values()) {
      if (t.status !== 'STALE' && t.status !== 'ERROR') continue;
      const since = t.error?.atMs ?? t.lastSentMs;
      if (since === undefined || nowMs - since > afterMs)
        out.push({ proxy: r.name, type: shortType(t.typeUrl), status: t.status, sinceMs: since ?? 0 });
    }
  return out;
}

/**
 * NACK details, one line per rejected type, for stderr after the table. The proxy's name and Envoy's
 * words come from the control plane: control characters in them are written as escapes.
 */
export function nackLines(rows: ProxyRow[]): string[] {
  const out: string[] = [];
  for (const r of rows)
    for (const t of r.types.values())
      if (t.error?.details)
        out.push(escapeControl(`${r.name}: ${shortType(t.typeUrl)} rejected: ${t.error.details}`));
  return out;
}
