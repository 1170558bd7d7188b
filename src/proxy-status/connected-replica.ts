/**
 * Which control-plane replica a proxy is connected to, when several have config for its node id (a
 * proxyless gRPC process with an xDS client on each replica, a connection a replica still holds after the
 * proxy moved on): the comparison must be with the config of the replica the proxy reads.
 *
 * istiod versions its pushes itself: each push has a version `<RFC 3339 time>/<counter>` of that replica
 * (its PushVersion), sent as the response's `version_info`, with a nonce that is the version followed by a
 * UUID. The proxy keeps, with what it accepted, the version it came in (Envoy's config dump, a gRPC
 * client's CSDS). A replica says which versions it sent the proxy's node id: its config_dump answer carries
 * the version of its last push to that connection, and its `syncz` debug page (the `istio.io/debug` type)
 * the nonces it last sent and the proxy acknowledged, per type. The replica whose versions the proxy
 * holds is the one it got its config from; none or several: it cannot be told.
 */
import { ConfigDump, DumpType } from '../envoy/dump.js';
import { arr, field, isObj, str, type Obj } from '../envoy/fields.js';

/** istiod's type for its debug pages over xDS (resource name: the page, e.g. `syncz`). */
export const DEBUG_TYPE = 'istio.io/debug';

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The version an istiod nonce (`<version><uuid>`) was sent with, or undefined for another kind of nonce. */
export function nonceVersion(nonce: string): string | undefined {
  const m = UUID.exec(nonce);
  return m && m.index > 0 ? nonce.slice(0, m.index) : undefined;
}

/** The versions a config dump holds: of its cluster and listener sections, and of each dynamic resource. */
export function dumpVersions(dump: ConfigDump): Set<string> {
  const out = new Set<string>();
  const add = (v: string) => {
    if (v !== '') out.add(v);
  };
  for (const type of [DumpType.clusters, DumpType.listeners, DumpType.routes]) {
    try {
      add(str(dump.section(type), 'version_info'));
    } catch {
      // a section that cannot be parsed holds no version to go by (the comparison names it)
    }
  }
  for (const r of [...dump.clusters(), ...dump.listeners(), ...dump.routes()])
    if (r.dynamic) add(r.versionInfo);
  return out;
}

/** The versions of what a proxyless client's xDS clients hold (CSDS), the rejected ones included. */
export function csdsVersions(clients: Obj[]): Set<string> {
  const out = new Set<string>();
  for (const client of clients)
    for (const g of arr(client, 'generic_xds_configs')) {
      for (const v of [str(g, 'version_info'), str(field(g, 'error_state'), 'version_info')])
        if (v !== '') out.add(v);
    }
  return out;
}

/** The text of istiod's answer to a debug page (one resource, the page's bytes), or undefined. */
function debugPage(response: Obj | undefined): string | undefined {
  const r = arr(response, 'resources')[0];
  const value = field(r, 'value');
  if (typeof value === 'string') return Buffer.from(value, 'base64').toString('utf8');
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  return undefined;
}

/**
 * The versions of the nonces a replica last sent, and last had acknowledged, to the connections of node
 * `id`, from its `syncz` debug page (`[{proxy, cluster_sent, cluster_acked, listener_sent, …}]`); none when
 * the page cannot be had (plaintext: istiod shows debug pages to authenticated callers only).
 */
export function synczPageVersions(response: Obj | undefined, id: string): Set<string> {
  const out = new Set<string>();
  const text = debugPage(response);
  if (text === undefined) return out;
  let page: unknown;
  try {
    page = JSON.parse(text);
  } catch {
    return out;
  }
  if (!Array.isArray(page)) return out;
  for (const entry of page) {
    if (!isObj(entry) || entry.proxy !== id) continue;
    for (const [k, v] of Object.entries(entry)) {
      if (!/_(sent|acked)$/.test(k) || typeof v !== 'string') continue;
      const version = nonceVersion(v);
      if (version) out.add(version);
    }
  }
  return out;
}

export interface ReplicaVersions {
  replica: string;
  /** The versions it sent the node id (see the module comment). */
  versions: Set<string>;
}

/**
 * The replicas that sent the proxy a version it holds: one is the replica it is connected to; none or
 * several, that cannot be told.
 */
export function replicasOfProxy(replicas: ReplicaVersions[], proxyVersions: Set<string>): string[] {
  return replicas.filter((r) => [...r.versions].some((v) => proxyVersions.has(v))).map((r) => r.replica);
}

/** `a`, `a and b`, `a, b and c`. */
export function listed(names: string[]): string {
  return names.length < 2 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}
