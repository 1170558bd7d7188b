/** What the VirtualService analyzers read from a VirtualService: its gateways and its destinations. */
import type { Resource } from '../../manifests/types.js';
import { isObject, list, text } from '../../util/values.js';
import { destinationHost } from '../util/hosts.js';

export const MESH_GATEWAY = 'mesh';

export interface RouteDestination {
  /** `route` for tcp/tls/http route destinations, `mirror` for http mirror / mirrors. */
  role: 'route' | 'mirror';
  /** Path of the Destination object, e.g. `spec.http[0].route[1].destination`. */
  path: string;
  destination: Record<string, any> | undefined;
  /** The destination host as written (`''` when missing). */
  host: string;
  /** True for destinations of `http[].route[]` (the ones that carry subset routing to a gateway). */
  httpRoute: boolean;
}

const destinationsOf = new WeakMap<Resource, readonly RouteDestination[]>();

/**
 * Every destination of a VirtualService: tcp, tls and http routes, then http mirrors. Computed once per
 * object (several analyzers ask); the list is shared, so callers must not change it.
 */
export function routeDestinations(vs: Resource): readonly RouteDestination[] {
  let out = destinationsOf.get(vs);
  if (!out) destinationsOf.set(vs, (out = collectDestinations(vs)));
  return out;
}

function collectDestinations(vs: Resource): RouteDestination[] {
  const out: RouteDestination[] = [];
  const add = (role: RouteDestination['role'], path: string, d: unknown, httpRoute = false) =>
    out.push({
      role,
      path,
      destination: isObject(d) ? d : undefined,
      host: destinationHost(d),
      httpRoute,
    });
  // Paths are written out directly: every segment is a plain key or an index (see `joinPath`).
  for (const section of ['tcp', 'tls', 'http'] as const) {
    list(vs.spec?.[section]).forEach((rule, i) => {
      list(isObject(rule) ? rule.route : undefined).forEach((rd, j) => {
        add(
          'route',
          `spec.${section}[${i}].route[${j}].destination`,
          isObject(rd) ? rd.destination : undefined,
          section === 'http',
        );
      });
    });
  }
  list(vs.spec?.http).forEach((rule, i) => {
    if (!isObject(rule)) return;
    if (rule.mirror !== undefined && rule.mirror !== null)
      add('mirror', `spec.http[${i}].mirror`, rule.mirror);
    list(rule.mirrors).forEach((m, j) => {
      add('mirror', `spec.http[${i}].mirrors[${j}].destination`, isObject(m) ? m.destination : undefined);
    });
  });
  return out;
}

/** A list field as strings: the document's own array when it holds only strings (read-only), else a copy. */
function strings(v: unknown): readonly string[] {
  const l = list(v);
  for (let i = 0; i < l.length; i++) if (typeof l[i] !== 'string') return l.map(text);
  return l;
}

/** The `gateways` list as strings. */
export function gatewayRefs(vs: Resource): readonly string[] {
  return strings(vs.spec?.gateways);
}

/** A VirtualService applies to sidecars when it names no gateway or names `mesh`. */
export function boundToMesh(vs: Resource): boolean {
  const gws = gatewayRefs(vs);
  return gws.length === 0 || gws.includes(MESH_GATEWAY);
}

/** The `hosts` list as strings. */
export function vsHosts(vs: Resource): readonly string[] {
  return strings(vs.spec?.hosts);
}

/**
 * Resolves a `gateways` entry the way Istio does: `ns/name`, `./name` (own namespace), a short name (own
 * namespace), or the legacy `name.ns[.svc.cluster.local]` form.
 */
export function resolveGatewayRef(ref: string, vsNamespace: string): { namespace: string; name: string } {
  const slash = ref.indexOf('/');
  if (slash >= 0) {
    const ns = ref.slice(0, slash);
    return { namespace: ns === '.' ? vsNamespace : ns, name: ref.slice(slash + 1) };
  }
  const parts = ref.split('.');
  if (parts.length > 1) return { namespace: parts[1], name: parts[0] };
  return { namespace: vsNamespace, name: ref };
}
