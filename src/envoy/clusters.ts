/** `proxy-config cluster`: filtering, ordering and table rows, as istioctl computes them. */
import type { Resource } from './dump.js';
import { enumName, field, str, type Obj } from './fields.js';
import { goSortCompare } from './gosort.js';
import { clusterKeyCompare, describeIstioConfig, parsedClusterName, type SubsetKey } from './istio.js';

export interface ClusterFilter {
  fqdn?: string;
  port?: number;
  subset?: string;
  direction?: string;
}

const DISCOVERY_TYPES: readonly string[] = ['STATIC', 'STRICT_DNS', 'LOGICAL_DNS', 'EDS', 'ORIGINAL_DST'];

/**
 * The TYPE cell: the discovery type's name (a number no type has as the number). A name no type has reads
 * as STATIC, as istioctl reads a dump (its reader drops enum names it does not know).
 */
function discoveryType(cluster: Obj): string {
  const name = enumName(cluster, 'type', DISCOVERY_TYPES);
  return typeof field(cluster, 'type') === 'string' && !DISCOVERY_TYPES.includes(name)
    ? DISCOVERY_TYPES[0]!
    : name;
}

/** Filters test substrings of the raw cluster name (so `--direction inbound` also matches `inbound-vip`). */
export function clusterMatches(cluster: Obj, f: ClusterFilter): boolean {
  const name = str(cluster, 'name');
  if (f.fqdn && !name.includes(f.fqdn)) return false;
  if (f.direction && !name.includes(f.direction)) return false;
  if (f.subset && !name.includes(f.subset)) return false;
  if (f.port && !name.includes(`|${f.port}|`)) return false;
  return true;
}

export interface ClusterEntry {
  cluster: Obj;
  name: string;
  /** Parsed `direction|port|subset|fqdn` when the name has more than three `|` parts. */
  parsed?: SubsetKey;
  key: SubsetKey;
}

/** Filtered clusters in istioctl's order: (fqdn or raw name, subset, port, direction). */
export function selectClusters(resources: readonly Resource[], f: ClusterFilter): ClusterEntry[] {
  const entries: ClusterEntry[] = [];
  for (const r of resources) {
    if (!clusterMatches(r.value, f)) continue;
    const name = str(r.value, 'name');
    const parsed = parsedClusterName(name);
    entries.push({
      cluster: r.value,
      name,
      parsed,
      key: parsed ?? { direction: '', port: 0, subset: '', fqdn: name },
    });
  }
  return goSortCompare(entries, (a, b) => clusterKeyCompare(a.key, b.key));
}

export const CLUSTER_HEADER = ['SERVICE FQDN', 'PORT', 'SUBSET', 'DIRECTION', 'TYPE', 'DESTINATION RULE'];

/**
 * SERVICE FQDN, PORT, SUBSET, DIRECTION, TYPE, DESTINATION RULE; with `all` (`proxy-config all`), first a
 * NAME cell `cluster/<name>`, and unparsed names are qualified with `cluster/` in SERVICE FQDN too (a
 * cluster without a name gets the plain row, one cell short, as istioctl prints it).
 */
export function clusterRow(e: ClusterEntry, all = false): string[] {
  const type = discoveryType(e.cluster);
  const dr = describeIstioConfig(e.cluster);
  const k = e.parsed;
  if (all) {
    const name = `cluster/${e.name}`;
    if (k) return [name, k.fqdn, String(k.port), k.subset || '-', k.direction, type, dr];
    // a cluster without a name keeps the six cells of the plain table under the seven headers, as in istioctl
    if (e.name !== '') return [name, name, '-', '-', '-', type, dr];
  }
  if (k) return [k.fqdn, String(k.port), k.subset || '-', k.direction, type, dr];
  return [e.name, '-', '-', '-', type, dr];
}
