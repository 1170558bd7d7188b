/**
 * The config a proxy should have (istiod's `istio.io/debug/config_dump` for it) against the config it has
 * (its Envoy config dump, or for a proxyless gRPC client the resources its CSDS endpoint reports), as a
 * semantic diff of the dynamic clusters, listeners and routes. Versions and timestamps never count
 * (the diff engine ignores them); static resources (Envoy's bootstrap clusters) are not istiod's.
 */
import { isDeepStrictEqual } from 'node:util';
import { diffDumps, problemKind, type DumpDiff, type ResourceDiff } from '../envoy/diff.js';
import {
  ConfigDump,
  DumpType,
  dumpOfResources,
  dynamicValues,
  short as sectionName,
  type DumpProblem,
} from '../envoy/dump.js';
import { arr, field, isObj, obj, str, typeUrl, type Obj } from '../envoy/fields.js';
import { istioNodeId } from '../envoy/istio.js';
import { ExitCode, MeshError } from '../util/errors.js';
import { csdsVersions } from './connected-replica.js';
import { TYPE } from './status.js';

/** One side of a comparison: its dynamic config, and what of it could not be read (left out of `dump`). */
export interface ConfigSide {
  dump: ConfigDump;
  problems: DumpProblem[];
}

/**
 * A dump with only the dynamic clusters, active listeners and dynamic routes of `dump`. A dump read
 * strictly throws on the first part it cannot read; one read leniently leaves it out and notes it.
 */
export function dynamicConfig(dump: ConfigDump): ConfigDump {
  return dumpOfResources({
    clusters: dynamicValues(dump.clusters()),
    listeners: dynamicValues(dump.listeners()),
    routes: dynamicValues(dump.routes()),
  });
}

/** The problems of a lenient read of a dump that a comparison cares about: its clusters, listeners and routes. */
export function dynamicProblems(dump: ConfigDump): DumpProblem[] {
  return dump.problems.filter((p) => ['cluster', 'listener', 'route'].includes(problemKind(p) ?? ''));
}

const SECTION_TYPES = [DumpType.clusters, DumpType.listeners, DumpType.routes] as const;

/**
 * What can be read of the clusters, listeners and routes of `dump` (read leniently). A dump with none of
 * those sections is not a config dump at all (`{"foo":"bar"}`, an answer of other resources): rather than
 * "no clusters, no listeners, no routes", an error naming `source` (exit 65).
 */
export function readSide(dump: ConfigDump, source: string, holds = ''): ConfigSide {
  dump.readLeniently();
  const config = dynamicConfig(dump);
  const problems = dynamicProblems(dump);
  const missing = new Set(problems.filter((p) => p.missing).map((p) => p.type));
  if (SECTION_TYPES.every((t) => missing.has(t)))
    throw new MeshError(
      `${source}: not a config dump: it has no ${SECTION_TYPES.map(sectionName).join(', ')} section${holds}`,
      { exitCode: ExitCode.DATA },
    );
  return { dump: config, problems };
}

/** A type's full name (the type URL less its prefix). */
const short = (url: string) => url.slice(url.lastIndexOf('/') + 1);

const isSection = (r: unknown) => typeUrl(r).startsWith('type.googleapis.com/envoy.admin.v3.');

/** A resource's type: its `@type`, or the type URL of an Any mesh could not decode. */
const resourceType = (r: unknown) => typeUrl(r) || str(r, 'type_url') || 'untyped';

/**
 * istiod's debug config_dump answer for a proxy (its resources are the dump's sections), named `source`
 * in errors. A resource that is not a section is left out and noted as a problem.
 */
export function istiodSide(resources: unknown[], source: string): ConfigSide {
  const others = resources.filter((r) => !isSection(r));
  const types = [...new Set(others.map(resourceType))].map(short);
  const side = readSide(
    new ConfigDump({ configs: resources.filter(isSection) }, undefined, source),
    source,
    types.length > 0 ? ` (it holds ${types.join(', ')})` : '',
  );
  for (const type of types) {
    const n = others.filter((r) => short(resourceType(r)) === type).length;
    const error = `${source}: left out ${n} ${type} resource${n === 1 ? '' : 's'} (not config dump sections)`;
    side.problems.push({ type, missing: false, error: new MeshError(error, { exitCode: ExitCode.DATA }) });
  }
  return side;
}

/** The proxy a node id names: `<pod>.<ns>` itself, or that part of a sidecar id (`sidecar~<ip>~<pod>.<ns>~<domain>`). */
function proxyOfNode(node: string): string {
  return istioNodeId(node)?.proxy ?? node;
}

/**
 * The ClientConfigs of proxy `id` among those a CSDS endpoint (`endpoint`) reports: those whose node is
 * the proxy (a client with one xDS client per data-plane target or control plane reports several), else
 * the only one (a proxyless client's node id need not name its pod) unless its node id is Istio's
 * (`sidecar~<ip>~<pod>.<ns>~…`) and names another proxy. Anything else would compare another client's
 * config, or none, as the proxy's.
 */
function clientConfigsOf(configs: Obj[], id: string, endpoint: string): Obj[] {
  const node = (cc: Obj) => str(obj(cc, 'node'), 'id');
  const mine = configs.filter((cc) => proxyOfNode(node(cc)) === id);
  if (mine.length > 0) return mine;
  // the only client, unless its node id is Istio's and names another proxy (an endpoint of another pod)
  if (configs.length === 1 && istioNodeId(node(configs[0]!)) === undefined) return configs;
  if (configs.length === 0) throw new MeshError(`${endpoint} reported no xDS client`);
  const nodes = configs.map((cc) => JSON.stringify(node(cc))).join(', ');
  const clients = configs.length === 1 ? '1 xDS client' : `${configs.length} xDS clients`;
  throw new MeshError(`${endpoint} reported ${clients}, none of them ${id}: ${nodes}`);
}

/** ` (scopes "xds:///a", "xds:///b")`: the clients' `client_scope`s (gRPC: the data-plane target), if any. */
function scopes(clients: Obj[]): string {
  const named = clients.map((cc) => str(cc, 'client_scope'));
  return named.some((s) => s !== '') ? ` (scopes ${named.map((s) => JSON.stringify(s)).join(', ')})` : '';
}

/**
 * What a proxyless client holds, from its CSDS ClientConfigs: each generic_xds_config carries one
 * resource (Listener, RouteConfiguration, Cluster) in `xds_config`. One that several of its xDS clients
 * hold alike is taken once; held in different versions, which one is the proxy's config cannot be told:
 * an error naming the resource (never one of them picked in silence).
 */
function csdsDump(clients: Obj[], id: string, endpoint: string): ConfigDump {
  // grpc-js reports type URLs without the type.googleapis.com/ prefix
  const full = (u: string) => (u.includes('/') ? u : `type.googleapis.com/${u}`);
  const generic = clients.flatMap((client) => arr(client, 'generic_xds_configs').map((g) => ({ g, client })));
  const of = (url: string, kind: string) => {
    const out: Obj[] = [];
    const seen = new Map<string, { v: Obj; client: Obj }>();
    for (const { g, client } of generic) {
      const v = field(g, 'xds_config');
      if (full(str(g, 'type_url')) !== url || !isObj(v) || typeUrl(v) !== url) continue;
      const name = str(v, 'name');
      const first = seen.get(name);
      if (name !== '' && first) {
        if (isDeepStrictEqual(first.v, v)) continue;
        throw new MeshError(
          `${endpoint}: the xDS clients of ${id} hold different versions of ${kind} ${JSON.stringify(name)}` +
            `${scopes([first.client, client])}: which one is the proxy's config cannot be told`,
        );
      }
      seen.set(name, { v, client });
      out.push(v);
    }
    return out;
  };
  return dumpOfResources({
    clusters: of(TYPE.CDS, 'cluster'),
    listeners: of(TYPE.LDS, 'listener'),
    routes: of(TYPE.RDS, 'route'),
  });
}

/**
 * Proxy `id`'s config from the ClientConfigs its CSDS endpoint reports (see `clientConfigsOf`). Several
 * xDS clients of the proxy (gRPC keeps one per data-plane target) are compared as one config, and
 * `warning` says so. `versions`: those of what the clients hold.
 */
export function csdsSide(
  configs: Obj[],
  id: string,
  endpoint: string,
): { dump: ConfigDump; warning?: string; versions: Set<string>; nodes: unknown[] } {
  const clients = clientConfigsOf(configs, id, endpoint);
  const dump = csdsDump(clients, id, endpoint);
  // the versions the proxy holds say which control-plane replica sent them (see connected-replica.ts)
  const versions = csdsVersions(clients);
  // the clients' nodes (id, metadata): drift reads the pod's IPs from them
  const nodes = clients.map((cc) => cc.node);
  if (clients.length < 2) return { dump, versions, nodes };
  const warning = `${endpoint} reported ${clients.length} xDS clients of ${id}${scopes(clients)}: comparing what they hold together`;
  return { dump, warning, versions, nodes };
}

const SECTIONS = [
  ['cluster', 'Clusters'],
  ['listener', 'Listeners'],
  ['route', 'Routes'],
] as const;

export function compareConfigs(
  intended: ConfigSide,
  actual: ConfigSide,
  labels: { a: string; b: string },
): DumpDiff {
  return diffDumps(intended.dump, actual.dump, labels, {
    problems: { a: intended.problems, b: actual.problems },
  });
}

/**
 * What could not be read, one line each: every damaged part of either side, and a missing section where
 * it hides resources of the other side (one neither side has hides nothing).
 */
export function unreadableParts(intended: ConfigSide, actual: ConfigSide, d: DumpDiff): string[] {
  const damaged = [...intended.problems, ...actual.problems].filter((p) => !p.missing);
  return [...new Set([...damaged.map((p) => p.error.message), ...(d.unreadable ?? []).map((u) => u.error)])];
}

/**
 * `Clusters Match` / `Clusters Don't Match` per kind (istioctl's words), then the semantic diff. A kind
 * that could not all be read matches only "in what could be read", and the diff says what was not
 * compared.
 */
export function renderComparison(d: DumpDiff, render: (d: DumpDiff) => string): string {
  const lines: string[] = [];
  for (const [kind, title] of SECTIONS) {
    const diffs = d.differences.filter((x: ResourceDiff) => x.kind === kind).length;
    const skipped = (d.notCompared ?? []).filter((x) => x.kind === kind).length;
    const partly = (d.unreadable ?? []).some((u) => u.kind === kind);
    const notCompared = skipped > 0 ? `; ${skipped} not compared` : '';
    if (diffs > 0) lines.push(`${title} Don't Match (${diffs} of ${d.compared[kind]} differ${notCompared})`);
    else
      lines.push(
        `${title} Match${partly ? ' in what could be read' : ''} (${d.compared[kind]}${notCompared})`,
      );
  }
  const details = !d.same || d.unreadable !== undefined || d.opaque !== undefined;
  return lines.join('\n') + '\n' + (details ? '\n' + render(d) : '');
}
