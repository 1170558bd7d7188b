/** `proxy-config cluster`: filtering, ordering and table rows, as istioctl computes them. */
import type { Resource } from './dump.js';
import { enumName, str, type Obj } from './fields.js';
import { goSortSlice } from './gosort.js';
import { clusterKeyLess, clusterSortKey, describeIstioConfig, parseSubsetKey } from './istio.js';

export interface ClusterFilter {
  fqdn?: string;
  port?: number;
  subset?: string;
  direction?: string;
}

const DISCOVERY_TYPES = ['STATIC', 'STRICT_DNS', 'LOGICAL_DNS', 'EDS', 'ORIGINAL_DST'] as const;

/** Filters test substrings of the raw cluster name (so `--direction inbound` also matches `inbound-vip`). */
export function clusterMatches(cluster: Obj, f: ClusterFilter): boolean {
  const name = str(cluster, 'name');
  if (f.fqdn && !name.includes(f.fqdn)) return false;
  if (f.direction && !name.includes(f.direction)) return false;
  if (f.subset && !name.includes(f.subset)) return false;
  if (f.port && !name.includes(`|${f.port}|`)) return false;
  return true;
}

/** Filtered clusters in istioctl's order: (fqdn or raw name, subset, port, direction). */
export function selectClusters(resources: readonly Resource[], f: ClusterFilter): Obj[] {
  const keyed = resources
    .map((r) => r.value)
    .filter((c) => clusterMatches(c, f))
    .map((c) => ({ c, key: clusterSortKey(str(c, 'name')) }));
  goSortSlice(keyed, (a, b) => clusterKeyLess(a.key, b.key));
  return keyed.map((k) => k.c);
}

export const CLUSTER_HEADER = ['SERVICE FQDN', 'PORT', 'SUBSET', 'DIRECTION', 'TYPE', 'DESTINATION RULE'];

/** SERVICE FQDN, PORT, SUBSET, DIRECTION, TYPE, DESTINATION RULE; `prefix` qualifies unparsed names. */
export function clusterRow(cluster: Obj, prefix = ''): string[] {
  const name = str(cluster, 'name');
  const type = enumName(cluster, 'type', DISCOVERY_TYPES);
  const dr = describeIstioConfig(cluster);
  if (name.split('|').length > 3) {
    const k = parseSubsetKey(name);
    return [k.fqdn, String(k.port), k.subset || '-', k.direction, type, dr];
  }
  return [prefix + name, '-', '-', '-', type, dr];
}
