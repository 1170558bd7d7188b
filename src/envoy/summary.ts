/**
 * The `proxy-config` short (table) outputs, byte for byte as istioctl prints them: Go tabwriter layout
 * (padding 5, or 1 for listeners and the bootstrap summary) and, for `all`, type-qualified names.
 */
import { ExitCode, MeshError } from '../util/errors.js';
import { renderTable } from '../render/tabwriter.js';
import { versionRows, versionSummary } from './bootstrap.js';
import { CLUSTER_HEADER, clusterRow, selectClusters, type ClusterFilter } from './clusters.js';
import { DumpType, type ConfigDump } from './dump.js';
import { ECDS_HEADER, ecdsRows } from './ecds.js';
import {
  EDS_HEADER,
  HOST_HEADER,
  clusterStatusRows,
  edsRows,
  selectLoadAssignments,
  type EndpointFilter,
} from './endpoints.js';
import { arr, str } from './fields.js';
import {
  listenerAddresses,
  listenerChainRows,
  selectListeners,
  type ListenerEntry,
  type ListenerFilter,
} from './listeners.js';
import { ROUTE_HEADER, routeRows, selectRoutes } from './routes.js';
import { secretRows, secretTable } from './secrets.js';

const PAD = 5;
const PAD_NARROW = 1;

// The cluster, listener and route tables alone fail on a section with nothing to show ("no clusters
// found", as istioctl); in `all` (`all = true`) such a section is its header, and the next ones follow.

export function clusterSummary(dump: ConfigDump, f: ClusterFilter, all = false): string {
  const resources = dump.clusters();
  if (resources.length === 0 && !all) throw new MeshError('no clusters found');
  const clusters = selectClusters(resources, f);
  const rows: string[][] = [all ? ['NAME', ...CLUSTER_HEADER] : CLUSTER_HEADER];
  for (const c of clusters) rows.push(clusterRow(c, all));
  return renderTable(rows, PAD);
}

export function listenerSummary(dump: ConfigDump, f: ListenerFilter, verbose: boolean, all = false): string {
  const resources = dump.listeners();
  if (resources.length === 0 && !all) throw new MeshError('no listeners found');
  const listeners = selectListeners(resources, f);
  // `all` adds a NAME column in front
  const row = (e: ListenerEntry | undefined, cells: string[]) => {
    if (all) cells.unshift(e ? `listener/${str(e.listener, 'name')}` : 'NAME');
    return cells;
  };
  const rows: string[][] = [];
  if (verbose) {
    rows.push(row(undefined, ['ADDRESSES', 'PORT', 'MATCH', 'DESTINATION']));
    for (const e of listeners) {
      const addr = listenerAddresses(e.listener);
      const port = String(e.port);
      for (const c of listenerChainRows(e.listener)) rows.push(row(e, [addr, port, c.match, c.destination]));
    }
  } else {
    rows.push(row(undefined, ['ADDRESSES', 'PORT', 'TYPE']));
    for (const e of listeners) rows.push(row(e, [listenerAddresses(e.listener), String(e.port), e.type]));
  }
  return renderTable(rows, PAD_NARROW);
}

export function routeSummary(
  dump: ConfigDump,
  name: string | undefined,
  verbose: boolean,
  all = false,
): string {
  const resources = dump.routes();
  if (resources.length === 0 && !all) throw new MeshError('no routes found');
  const routes = selectRoutes(resources, name);
  const label = (rc: object) => (all ? `route/${str(rc, 'name')}` : str(rc, 'name'));
  const rows = verbose
    ? [ROUTE_HEADER, ...routes.flatMap((rc) => routeRows(rc, label(rc)))]
    : [
        ['NAME', 'VIRTUAL HOSTS'],
        ...routes.map((rc) => [label(rc), String(arr(rc, 'virtual_hosts').length)]),
      ];
  return renderTable(rows, PAD);
}

export function secretSummary(dump: ConfigDump, now: Date, all = false): string {
  const secrets = dump.secrets();
  if (secrets.length === 0) return 'No active or warming secrets found.\n';
  return renderTable(secretTable(secretRows(secrets, now), all ? 'secret/' : ''), PAD);
}

export function edsSummary(dump: ConfigDump, f: EndpointFilter, all = false): string {
  const assignments = selectLoadAssignments(dump.endpoints(), f);
  return renderTable([EDS_HEADER, ...edsRows(assignments, all ? 'endpoint/' : '')], PAD);
}

export function bootstrapSummary(dump: ConfigDump): string {
  return renderTable(versionRows(versionSummary(dump.bootstrap())), PAD_NARROW);
}

export function ecdsSummary(dump: ConfigDump): string {
  return renderTable([ECDS_HEADER, ...ecdsRows(dump.ecdsFilters())], PAD);
}

/** `proxy-config endpoint` from an admin `/clusters?format=json` answer. */
export function clusterStatusSummary(clusters: unknown, f: EndpointFilter): string {
  return renderTable([HOST_HEADER, ...clusterStatusRows(clusters, f)], PAD);
}

export interface AllOptions {
  cluster: ClusterFilter;
  listener: ListenerFilter;
  routeName?: string;
  endpoint: EndpointFilter;
  verbose: boolean;
  withHeaders: boolean;
  now: Date;
}

/**
 * `proxy-config all`: bootstrap, cluster, listener, route, secret and endpoint sections separated by a
 * blank line, each written as soon as it is ready (`emit`). A section that cannot be read (missing,
 * damaged, or with fields of the wrong type: exit 65 errors) is left out and its error returned, said
 * with the input, section and field, so the sections that are fine are still printed; a section that is
 * there but holds nothing to show (all listeners still warming) is printed as its table header.
 */
export async function allSummary(
  dump: ConfigDump,
  o: AllOptions,
  emit: (s: string) => Promise<void>,
): Promise<MeshError[]> {
  const unreadable: MeshError[] = [];
  let printed = 0;
  const sections: Array<[string, () => string, string]> = [
    ['BOOTSTRAP', () => bootstrapSummary(dump), DumpType.bootstrap],
    ['CLUSTER', () => clusterSummary(dump, o.cluster, true), DumpType.clusters],
    ['LISTENER', () => listenerSummary(dump, o.listener, o.verbose, true), DumpType.listeners],
    ['ROUTE', () => routeSummary(dump, o.routeName, o.verbose, true), DumpType.routes],
    ['SECRET', () => secretSummary(dump, o.now, true), DumpType.secrets],
    ['ENDPOINTS', () => edsSummary(dump, o.endpoint, true), DumpType.endpoints],
  ];
  for (let i = 0; i < sections.length; i++) {
    const [title, render, type] = sections[i]!;
    const head = o.withHeaders ? `------ ${title} INFO ------\n\n` : '';
    let text: string;
    try {
      text = render();
    } catch (err) {
      if (!(err instanceof MeshError && err.exitCode === ExitCode.DATA)) throw err;
      unreadable.push(dump.explain(err) as MeshError);
      continue;
    } finally {
      dump.release(type); // no later section reads it
    }
    await emit((printed++ > 0 ? '\n' : '') + head + text);
  }
  return unreadable;
}
