/** `proxy-config route`: ordering, domain shortening and per-route rows, as istioctl computes them. */
import type { Resource } from './dump.js';
import { arr, field, obj, str, strs, type Obj } from './fields.js';
import { goSortSlice } from './gosort.js';
import { describeIstioConfig } from './istio.js';
import { goAtoi } from '../util/go-net.js';
import { describeRouteMatch } from './listeners.js';

/** Route configurations passing `--name` (exact; empty or absent: all), in istioctl's order. */
export function selectRoutes(resources: readonly Resource[], name?: string): Obj[] {
  // an empty name is no filter, as in istioctl
  const list = resources.map((r) => r.value).filter((rc) => !name || str(rc, 'name') === name);
  // istioctl's comparator only orders integer names ("80" < "8080"); any other name never compares less,
  // so it acts as a barrier for the insertion sort (and ties are settled by Go's pdqsort).
  const keyed = list.map((rc) => ({ rc, n: goAtoi(str(rc, 'name')) }));
  goSortSlice(keyed, (a, b) => a.n !== null && b.n !== null && a.n < b.n);
  return keyed.map((k) => k.rc);
}

const EXPANDED_SUFFIXES = ['.svc.cluster.local', '.svc'];

/**
 * istioctl's test for a domain without a port: no `:` at all, or a bracketed IPv6 address written with
 * more than two `:` (`[2001:db8::1]`; `[::1]`, `[fd00::1]` and `[::]` are dropped as host:port spellings).
 */
function withoutPortDomain(d: string): boolean {
  const colons = d.split(':').length - 1;
  return colons === 0 || (colons > 2 && d.endsWith(']'));
}

/**
 * The DOMAINS cell: host:port spellings dropped (see `withoutPortDomain`), `x.svc.cluster.local` and `x.svc`
 * dropped when `x` is present, then `a, b + N more...` beyond two.
 */
export function describeRouteDomains(domains: readonly string[]): string {
  if (domains.length === 0) return '';
  if (domains.length === 1) return domains[0]!;
  const withoutPort = domains.filter(withoutPortDomain);
  const present = new Set(withoutPort);
  const redundant = (d: string) =>
    EXPANDED_SUFFIXES.some((sfx) => d.endsWith(sfx) && present.has(d.slice(0, -sfx.length)));
  // the first two kept domains and how many there are
  let first: string | undefined;
  let second: string | undefined;
  let count = 0;
  for (const d of withoutPort) {
    if (redundant(d)) continue;
    if (count === 0) first = d;
    else if (count === 1) second = d;
    count++;
  }
  if (count > 2) return `${first}, ${second} + ${count - 2} more...`;
  return count === 2 ? `${first}, ${second}` : (first ?? '');
}

function isPassthrough(route: unknown): boolean {
  return str(obj(route, 'route'), 'cluster') === 'PassthroughCluster';
}

export const ROUTE_HEADER = ['NAME', 'VHOST NAME', 'DOMAINS', 'MATCH', 'VIRTUAL SERVICE'];

/** NAME, VHOST NAME, DOMAINS, MATCH, VIRTUAL SERVICE for each route (a vhost without routes -> 404). */
export function routeRows(rc: Obj, name: string): string[][] {
  const rows: string[][] = [];
  for (const vh of arr(rc, 'virtual_hosts')) {
    const vhName = str(vh, 'name');
    const domains = describeRouteDomains(strs(vh, 'domains'));
    const routes = arr(vh, 'routes');
    for (const r of routes) {
      if (isPassthrough(r)) continue;
      rows.push([name, vhName, domains, describeRouteMatch(field(r, 'match')), describeIstioConfig(r)]);
    }
    if (routes.length === 0) rows.push([name, vhName, domains, '/*', '404']);
  }
  return rows;
}
