/**
 * The config a proxy should have (istiod's `istio.io/debug/config_dump` for it) against the config it has
 * (its Envoy config dump, or for a proxyless gRPC client the resources its CSDS endpoint reports), as a
 * semantic diff of the dynamic clusters, listeners and routes. Versions and timestamps never count
 * (the diff engine ignores them); static resources (Envoy's bootstrap clusters) are not istiod's.
 */
import { diffDumps, type DumpDiff, type ResourceDiff } from '../envoy/diff.js';
import { ConfigDump, DumpType } from '../envoy/dump.js';
import { arr, field, isObj, str, typeUrl, type Obj } from '../envoy/fields.js';
import { TYPE } from './status.js';

const AT = '@type';

/** A dump with only the dynamic clusters, active listeners and dynamic routes of `dump`. */
export function dynamicConfig(dump: ConfigDump): ConfigDump {
  const pick = <T>(get: () => T[]): T[] => {
    try {
      return get();
    } catch {
      return []; // a dump without that section has none of it
    }
  };
  return fromResources(
    pick(() => dump.clusters())
      .filter((r) => r.dynamic)
      .map((r) => r.value),
    pick(() => dump.listeners())
      .filter((r) => r.dynamic)
      .map((r) => r.value),
    pick(() => dump.routes())
      .filter((r) => r.dynamic)
      .map((r) => r.value),
  );
}

function fromResources(clusters: Obj[], listeners: Obj[], routes: Obj[]): ConfigDump {
  return new ConfigDump({
    configs: [
      { [AT]: DumpType.clusters, dynamic_active_clusters: clusters.map((cluster) => ({ cluster })) },
      {
        [AT]: DumpType.listeners,
        dynamic_listeners: listeners.map((listener) => ({
          name: str(listener, 'name'),
          active_state: { listener },
        })),
      },
      { [AT]: DumpType.routes, dynamic_route_configs: routes.map((route_config) => ({ route_config })) },
    ],
  });
}

/** istiod's debug config_dump answer (its resources are the dump's sections) as a dump. */
export function istiodDump(resources: unknown[]): ConfigDump {
  return dynamicConfig(new ConfigDump({ configs: resources.filter(isObj) }));
}

/**
 * What a proxyless client holds, from a CSDS ClientConfig: each generic_xds_config carries one
 * resource (Listener, RouteConfiguration, Cluster) in `xds_config`.
 */
export function csdsDump(clientConfig: Obj): ConfigDump {
  // grpc-js reports type URLs without the type.googleapis.com/ prefix
  const full = (u: string) => (u.includes('/') ? u : `type.googleapis.com/${u}`);
  const of = (url: string) =>
    arr(clientConfig, 'generic_xds_configs')
      .filter((g) => full(str(g, 'type_url')) === url)
      .map((g) => field(g, 'xds_config'))
      .filter((v): v is Obj => isObj(v) && typeUrl(v) === url);
  return fromResources(of(TYPE.CDS), of(TYPE.LDS), of(TYPE.RDS));
}

const SECTIONS = [
  ['cluster', 'Clusters'],
  ['listener', 'Listeners'],
  ['route', 'Routes'],
] as const;

export function compareConfigs(
  intended: ConfigDump,
  actual: ConfigDump,
  labels: { a: string; b: string },
): DumpDiff {
  return diffDumps(intended, actual, labels);
}

/** `Clusters Match` / `Clusters Don't Match` per kind (istioctl's words), then the semantic diff. */
export function renderComparison(d: DumpDiff, render: (d: DumpDiff) => string): string {
  const lines: string[] = [];
  for (const [kind, title] of SECTIONS) {
    const diffs = d.differences.filter((x: ResourceDiff) => x.kind === kind);
    lines.push(
      diffs.length === 0
        ? `${title} Match (${d.compared[kind]})`
        : `${title} Don't Match (${diffs.length} of ${d.compared[kind]} differ)`,
    );
  }
  return lines.join('\n') + '\n' + (d.same ? '' : '\n' + render(d));
}
