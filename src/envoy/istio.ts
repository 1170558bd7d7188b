/**
 * Istio naming conventions found in Envoy config: cluster subset keys, config-origin metadata and proxy
 * node ids.
 */
import { field, mapValue } from './fields.js';
import { cmp } from './gosort.js';
import { goAtoi } from '../util/go-net.js';

export interface SubsetKey {
  direction: string;
  port: number;
  subset: string;
  fqdn: string;
}

/**
 * `direction|port|subset|fqdn` (or the DNS SRV spelling `outbound_.port_.subset_.fqdn`). Missing parts
 * stay empty; a non-numeric port is 0; extra separators leave the fqdn empty.
 */
export function parseSubsetKey(name: string): SubsetKey {
  const sep = name.startsWith('outbound_') || name.startsWith('inbound_') ? '_.' : '|';
  const key: SubsetKey = { direction: '', port: 0, subset: '', fqdn: '' };
  const parts = name.split(sep);
  if (parts.length < 2) return key;
  key.direction = parts[0]!;
  if (parts.length < 3) return key;
  key.port = goAtoi(parts[1]!) ?? 0;
  if (parts.length < 4) return key;
  key.subset = parts[2]!;
  if (parts.length === 4) key.fqdn = parts[3]!;
  return key;
}

/** How istioctl orders clusters and load assignments: names of 4+ `|` parts are parsed, others are raw. */
export function clusterSortKey(name: string): SubsetKey {
  return parsedClusterName(name) ?? { direction: '', port: 0, subset: '', fqdn: name };
}

/** The parsed key of a name with more than three `|`-separated parts, else undefined. */
export function parsedClusterName(name: string): SubsetKey | undefined {
  let bars = 0;
  for (let i = name.indexOf('|'); i >= 0 && bars < 3; i = name.indexOf('|', i + 1)) bars++;
  return bars >= 3 ? parseSubsetKey(name) : undefined;
}

/** istioctl's cluster order (fqdn, subset, port, direction) as a three-way comparison (see goSortCompare). */
export function clusterKeyCompare(a: SubsetKey, b: SubsetKey): number {
  return (
    cmp(a.fqdn, b.fqdn) || cmp(a.subset, b.subset) || cmp(a.port, b.port) || cmp(a.direction, b.direction)
  );
}

/** `/apis/networking.istio.io/<version>/namespaces/<ns>/<kind>/<name>`: exactly 8 `/`-separated pieces. */
const ISTIO_CONFIG_PATH = /^\/apis\/networking\.istio\.io\/[^/]*\/[^/]*\/([^/]*)\/[^/]*\/([^/]*)$/;

/**
 * The Istio object a resource was generated from, from `metadata.filter_metadata.istio.config`
 * (`/apis/networking.istio.io/v1/namespaces/<ns>/<kind>/<name>`): `<name>.<ns>`, `<unknown>` for
 * other origins, empty when absent or malformed.
 */
export function describeIstioConfig(resource: unknown): string {
  const fm = mapValue(field(resource, 'metadata'), 'filter_metadata', 'istio', 'config');
  if (typeof fm !== 'string' || fm === '') return '';
  if (fm.startsWith('/apis/networking.istio.io/')) {
    const m = ISTIO_CONFIG_PATH.exec(fm);
    return m ? `${m[2]}.${m[1]}` : '';
  }
  return '<unknown>';
}

/**
 * The parts of an Istio proxy's node id `<type>~<ip>~<pod>.<namespace>~<domain>` (`sidecar~10.0.0.7~web-0.shop~shop.svc.cluster.local`),
 * or undefined for an id of another form (a proxyless client's may be anything).
 */
export function istioNodeId(
  id: string,
): { type: string; ip: string; proxy: string; domain: string } | undefined {
  const parts = id.split('~');
  if (parts.length !== 4) return undefined;
  const [type, ip, proxy, domain] = parts as [string, string, string, string];
  return { type, ip, proxy, domain };
}
