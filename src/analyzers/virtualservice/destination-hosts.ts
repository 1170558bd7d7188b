import type { Resource } from '../../manifests/types.js';
import { num } from '../../util/values.js';
import { defineAnalyzer, K, type AnalysisContext } from '../types.js';
import {
  fullName,
  hostWithin,
  nsOf,
  scopeOf,
  serviceRegistry,
  toFqdn,
  wildcardIntoClusterDomain,
  type RegistryEntry,
  type ServiceRegistry,
} from '../util/hosts.js';
import {
  boundToMesh,
  gatewayRefs,
  MESH_GATEWAY,
  routeDestinations,
  vsHosts,
  type RouteDestination,
} from './routes.js';

/**
 * Every destination (and mirror) host must be a Service or ServiceEntry host the VirtualService can see
 * (exportTo of both sides, cross-namespace FQDNs, wildcard ServiceEntries); the port must be one the
 * service exposes, and must be given when it exposes several. What "not found" needs offline is decided by
 * `ServiceRegistry.absenceIsKnown`, so a manifest set without Services is not flooded with findings.
 *
 * Also: a gateway route without subset to a host that a mesh VirtualService routes by subset bypasses that
 * subset routing (IST0140).
 */
export default defineAnalyzer({
  name: 'virtualservice.DestinationHostAnalyzer',
  description:
    'Checks that VirtualService destinations name known hosts, with a port when the service has several',
  codes: ['IST0101', 'IST0112', 'IST0140'],
  inputs: [K.ServiceEntry, K.VirtualService, K.Service],
  analyze(ctx) {
    const registry = serviceRegistry(ctx);
    const destinations = new Map(ctx.each(K.VirtualService).map((vs) => [vs, routeDestinations(vs)]));
    const subsetRouted = subsetRoutedHosts(destinations);
    destinations.forEach((dests, vs) => {
      checkHosts(ctx, registry, vs, dests);
      checkIngressSubsets(ctx, vs, dests, subsetRouted);
    });
  },
});

function checkHosts(
  ctx: AnalysisContext,
  registry: ServiceRegistry,
  vs: Resource,
  destinations: readonly RouteDestination[],
): void {
  const ns = nsOf(vs);
  const consumers = scopeOf(vs.spec?.exportTo, ns, ctx.meshConfig.defaultVirtualServiceExportTo);
  for (const d of destinations) {
    const fqdn = toFqdn(d.host, ns);
    const resolved = registry.resolve(fqdn, ns, consumers);
    // A wildcard destination outside the cluster domain is served only by a host that covers it
    // (`*.example.com` itself, or `*.com`): istiod routes to the service of that name, and a ServiceEntry
    // for api.example.com is not one.
    const found =
      fqdn.startsWith('*') && !wildcardIntoClusterDomain(fqdn)
        ? resolved.filter((e) => hostWithin(fqdn, e.host))
        : resolved;
    const path = () => `${d.path}.host`;
    if (found.length === 0) {
      if (registry.absenceIsKnown(fqdn))
        ctx.report('IST0101', vs, [d.role === 'mirror' ? 'mirror host' : 'host', d.host], { path: path() });
      continue;
    }
    const ports = found.length === 1 ? found[0]!.ports : portsOf(found);
    const port = num(d.destination?.port?.number);
    if (port === undefined) {
      if (ports.length > 1) ctx.report('IST0112', vs, [d.host, ports], { path: path() });
    } else if (!ports.includes(port)) {
      ctx.report('IST0101', vs, ['host:port', `${d.host}:${port}`], { path: `${d.path}.port.number` });
    }
  }
}

/** The port numbers of several registry entries, each once. */
function portsOf(entries: readonly RegistryEntry[]): number[] {
  const out: number[] = [];
  for (const e of entries) for (const p of e.ports) if (!out.includes(p)) out.push(p);
  return out;
}

/** Mesh-bound VirtualServices that route one of their own hosts by subset: FQDN → those VirtualServices. */
function subsetRoutedHosts(
  destinations: ReadonlyMap<Resource, readonly RouteDestination[]>,
): Map<string, Resource[]> {
  const out = new Map<string, Resource[]>();
  for (const vs of destinations.keys()) {
    if (!boundToMesh(vs)) continue;
    const dests = destinations.get(vs)!;
    const ns = nsOf(vs);
    const own = new Set(vsHosts(vs).map((h) => toFqdn(h, ns)));
    for (const d of dests) {
      if (!d.httpRoute || !d.destination?.subset) continue;
      const fqdn = toFqdn(d.host, ns);
      if (!own.has(fqdn)) continue;
      const l = out.get(fqdn) ?? [];
      if (!l.includes(vs)) l.push(vs);
      out.set(fqdn, l);
    }
  }
  return out;
}

/** A VirtualService bound to a gateway routes without subset to a host that mesh routing splits by subset. */
function checkIngressSubsets(
  ctx: AnalysisContext,
  vs: Resource,
  destinations: readonly RouteDestination[],
  subsetRouted: Map<string, Resource[]>,
): void {
  if (!gatewayRefs(vs).some((g) => g !== MESH_GATEWAY)) return;
  const ns = nsOf(vs);
  for (const d of destinations) {
    if (!d.httpRoute || d.destination?.subset) continue;
    for (const other of subsetRouted.get(toFqdn(d.host, ns)) ?? []) {
      if (other === vs) continue;
      ctx.report('IST0140', vs, [fullName(other), fullName(vs)], { path: `${d.path}.host` });
    }
  }
}
