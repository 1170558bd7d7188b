/**
 * Hosts, exportTo visibility and the service registry (Kubernetes Services + ServiceEntries) that the
 * networking analyzers share.
 *
 * Host forms: a short name (`reviews`) means `reviews.<namespace of the config>.svc.cluster.local`; a name
 * with a dot is taken literally (Istio does not expand `reviews.default`); `*.example.com` is a wildcard and
 * `*` matches everything.
 */
import type { Resource } from '../../manifests/types.js';
import { isIp } from '../schema/rules/common.js';
import { isObject, list, num, str, text } from '../../util/values.js';
import { K, type AnalysisContext } from '../types.js';
import { isSynthetic } from './labels.js';
import { labelValue } from '../../kube/labels.js';

export const CLUSTER_DOMAIN = 'cluster.local';
export const EXPORT_TO_ANNOTATION = 'networking.istio.io/exportTo';

/** Namespace → short name → FQDN: see `toFqdn`. */
const fqdns = new Map<string, Map<string, string>>();
const MAX_FQDNS = 100_000;
let fqdnCount = 0;

/**
 * `reviews` → `reviews.<namespace>.svc.cluster.local`; names with a dot and wildcards stay as they are.
 * Analyzers ask for the same few hosts thousands of times and use the answer as a Map key: each FQDN is
 * built once, so every lookup with it reuses one string (and its hash) instead of hashing a new copy.
 */
export function toFqdn(host: string, namespace: string): string {
  if (host.startsWith('*') || host.includes('.')) return host;
  let byHost = fqdns.get(namespace);
  let fqdn = byHost?.get(host);
  if (fqdn === undefined) {
    fqdn = `${host}.${namespace}.svc.${CLUSTER_DOMAIN}`;
    if (fqdnCount < MAX_FQDNS) {
      if (!byHost) fqdns.set(namespace, (byHost = new Map()));
      byHost.set(host, fqdn);
      fqdnCount++;
    }
  }
  return fqdn;
}

/** `name.ns.svc.cluster.local` → its name and namespace. */
export function parseServiceFqdn(host: string): { name: string; namespace: string } | undefined {
  const m = /^([^.*]+)\.([^.]+)\.svc\.cluster\.local\.?$/.exec(host);
  return m ? { name: m[1], namespace: m[2] } : undefined;
}

/** `ns/name` for namespaced objects, the bare name otherwise (how istioctl prints full names). */
export function fullName(r: Pick<Resource, 'namespace' | 'name'>): string {
  return r.namespace ? `${r.namespace}/${r.name}` : r.name;
}

/** The namespace analyzers use for a resource (`''` when it has none, as under `-A`). */
export function nsOf(r: Resource): string {
  return r.namespace ?? '';
}

/** True when `a` and `b` have a name in common (Istio's host.Name.Matches, wildcards either side). */
export function hostsOverlap(a: string, b: string): boolean {
  const aw = a.startsWith('*');
  const bw = b.startsWith('*');
  if (aw && bw)
    return a.length < b.length ? b.slice(1).endsWith(a.slice(1)) : a.slice(1).endsWith(b.slice(1));
  if (aw) return b.endsWith(a.slice(1));
  if (bw) return a.endsWith(b.slice(1));
  return a === b;
}

/** A wildcard that reaches into the cluster domain: `*.local`, `*.svc.cluster.local`, `*.shop.svc.cluster.local`. */
export function wildcardIntoClusterDomain(fqdn: string): boolean {
  if (!fqdn.startsWith('*')) return false;
  const suffix = fqdn.slice(1);
  const clusterSuffix = `.svc.${CLUSTER_DOMAIN}`;
  return suffix.endsWith(clusterSuffix) || clusterSuffix.endsWith(suffix);
}

/** True when every name `inner` stands for is also covered by `outer` (Istio's host.Name.SubsetOf). */
export function hostWithin(inner: string, outer: string): boolean {
  if (outer.startsWith('*')) return inner.slice(inner.startsWith('*') ? 1 : 0).endsWith(outer.slice(1));
  return !inner.startsWith('*') && inner === outer;
}

// ---------------------------------------------------------------------------------------------------
// exportTo
// ---------------------------------------------------------------------------------------------------

/** Namespaces a piece of config is visible in: every namespace (`'*'`) or a set (empty = none). */
export type Scope = '*' | ReadonlySet<string>;

/**
 * The scope of an `exportTo` list: empty means the mesh default (`*` unless meshConfig says otherwise),
 * `.` is the own namespace, `~` nobody, `*` everybody.
 */
export function scopeOf(exportTo: unknown, ownNamespace: string, meshDefault?: unknown): Scope {
  // the common case: no exportTo anywhere
  if (!Array.isArray(exportTo) && !Array.isArray(meshDefault)) return '*';
  let entries = list(exportTo).map(text);
  if (entries.length === 0) entries = list(meshDefault).map(text);
  if (entries.length === 0 || entries.includes('*')) return '*';
  const out = new Set<string>();
  for (const e of entries.map((x) => x.trim())) {
    if (e === '.') out.add(ownNamespace);
    else if (e !== '~' && e !== '') out.add(e);
  }
  return out;
}

/** The scope of a Kubernetes Service (annotation `networking.istio.io/exportTo`, comma-separated). */
export function serviceScope(svc: Resource, meshConfig: Record<string, any>): Scope {
  const anno = labelValue(svc.metadata.annotations, EXPORT_TO_ANNOTATION);
  const entries = anno ? anno.split(',') : [];
  return scopeOf(entries, nsOf(svc), meshConfig.defaultServiceExportTo);
}

export function inScope(scope: Scope, namespace: string): boolean {
  return scope === '*' || scope.has(namespace);
}

export function scopesIntersect(a: Scope, b: Scope): boolean {
  if (a === '*') return b === '*' || b.size > 0;
  if (b === '*') return a.size > 0;
  for (const ns of a) if (b.has(ns)) return true;
  return false;
}

/**
 * Whether config in `namespace`, exported to `consumers`, can use a target (a Service, ServiceEntry or
 * DestinationRule defined in `target.namespace` and visible in `target.scope`): some namespace that
 * applies the config must see the target.
 *
 * Config exported everywhere (the default) is judged from its own namespace, as istioctl does, with one
 * exception that istioctl gets wrong (istio/istio#39629, #36048): a Service or ServiceEntry that lives in
 * the config's own namespace and is exported only to other namespaces is reachable, because those
 * namespaces see both the config and the service. Config exported to a list of namespaces needs one of
 * them to see the target (a VirtualService exported only to `bogus` cannot route to a Service that `bogus`
 * does not see). Config exported to no namespace (`~`, which only ServiceEntries may use) applies
 * nowhere: it is judged from its own namespace too, as istioctl judges it.
 */
export function reachable(
  target: { scope: Scope; namespace: string },
  namespace: string,
  consumers: Scope,
): boolean {
  if (consumers !== '*' && consumers.size > 0) return scopesIntersect(target.scope, consumers);
  if (inScope(target.scope, namespace)) return true;
  return target.namespace === namespace && scopesIntersect(target.scope, '*');
}

// ---------------------------------------------------------------------------------------------------
// Service registry
// ---------------------------------------------------------------------------------------------------

export interface RegistryEntry {
  /** FQDN, or a wildcard host (ServiceEntries only). */
  host: string;
  /** Namespace of the Service or ServiceEntry. */
  namespace: string;
  scope: Scope;
  /** Port numbers the service exposes. */
  ports: number[];
  /** The Service or ServiceEntry. */
  resource: Resource;
}

/** The run's service registry, built once and shared by the analyzers that resolve hosts. */
export function serviceRegistry(ctx: AnalysisContext): ServiceRegistry {
  return ctx.shared(buildServiceRegistry);
}

const buildServiceRegistry = (ctx: AnalysisContext) => new ServiceRegistry(ctx);

/**
 * Every host the inputs define: Kubernetes Services (`name.ns.svc.cluster.local`, exportTo annotation)
 * and ServiceEntry hosts (exportTo field), with the ports each exposes.
 */
export class ServiceRegistry {
  private readonly exact = new Map<string, RegistryEntry[]>();
  private readonly wildcards: RegistryEntry[] = [];
  /** Namespaces where the inputs define at least one Service. */
  private readonly serviceNamespaces = new Set<string>();

  constructor(private readonly ctx: AnalysisContext) {
    for (const se of ctx.each(K.ServiceEntry)) {
      const ns = nsOf(se);
      const scope = scopeOf(se.spec?.exportTo, ns, ctx.meshConfig.defaultServiceExportTo);
      const ports = portNumbers(se.spec?.ports, 'number');
      for (const h of list(se.spec?.hosts)) {
        if (typeof h !== 'string') continue;
        this.add({ host: toFqdn(h, ns), namespace: ns, scope, ports, resource: se });
      }
    }
    for (const svc of ctx.each(K.Service)) {
      // The default ingress Service mesh assumes offline is a stand-in, not a definition to judge routes by.
      if (isSynthetic(svc)) continue;
      // A host is one Service (its ports, its exportTo), as in istioctl: of the same-named Services of
      // several clusters, the first (the primary's); IST0170 reports where they differ.
      if (svc.origin.clusterName !== undefined && ctx.get(K.Service, svc.namespace ?? '', svc.name) !== svc)
        continue;
      const ns = nsOf(svc);
      this.serviceNamespaces.add(ns);
      this.add({
        host: toFqdn(svc.name, ns),
        namespace: ns,
        scope: serviceScope(svc, ctx.meshConfig),
        ports: portNumbers(svc.spec?.ports, 'port'),
        resource: svc,
      });
    }
  }

  private add(e: RegistryEntry): void {
    if (e.host.startsWith('*')) {
      this.wildcards.push(e);
      return;
    }
    const l = this.exact.get(e.host);
    if (!l) this.exact.set(e.host, [e]);
    else if (e.resource.kind !== 'Service') l.push(e);
    else {
      // A Kubernetes Service takes its host from a ServiceEntry of the same namespace (istiod's push
      // context, against "domain squatting"): the ServiceEntry's ports are not served.
      const kept = l.filter((x) => x.resource.kind === 'Service' || x.namespace !== e.namespace);
      kept.push(e);
      this.exact.set(e.host, kept);
    }
  }

  /**
   * The entries that define `fqdn` and are reachable from config in `namespace` exported to `consumers`:
   * exact hosts when there are any, otherwise wildcard ServiceEntry hosts that cover it. A wildcard (a
   * DestinationRule for `*.local`, say) finds every host it has a name in common with.
   */
  resolve(fqdn: string, namespace: string, consumers: Scope): readonly RegistryEntry[] {
    const ok = (e: RegistryEntry) => reachable(e, namespace, consumers);
    if (fqdn.startsWith('*')) {
      const all = [...[...this.exact.values()].flat(), ...this.wildcards];
      return all.filter((e) => hostsOverlap(fqdn, e.host) && ok(e));
    }
    const exact = this.exact.get(fqdn);
    // Mostly one entry, and reachable: the registry's own list is returned then (callers only read it).
    if (exact !== undefined) {
      if (exact.every(ok)) return exact;
      const some = exact.filter(ok);
      if (some.length > 0) return some;
    }
    if (this.wildcards.length === 0) return [];
    return this.wildcards.filter((e) => ok(e) && hostWithin(fqdn, e.host));
  }

  /**
   * Offline, the inputs are rarely the whole cluster, so "host not found" is only said when the inputs
   * could have defined the host:
   * - a route with no host, or an IP address: nothing can ever serve it;
   * - a cluster service declared external (`--external "Service ns/name"`): never;
   * - a cluster service (`name.ns.svc.cluster.local`, or the unexpanded forms `name.ns` / `name.ns.svc`
   *   that Istio takes literally): only when the inputs define Services in that namespace;
   * - a wildcard that reaches into the cluster domain (`*.local`, `*.shop.svc.cluster.local`): never, the
   *   inputs do not hold every service it covers;
   * - any other name (an external host): only when the inputs contain ServiceEntries, i.e. egress is
   *   managed in this input set.
   * A whole cluster (`complete`) holds every Service and ServiceEntry: there, all but the first three are
   * known to be absent.
   */
  absenceIsKnown(fqdn: string): boolean {
    if (fqdn === '' || isIp(fqdn)) return true;
    const service = parseServiceFqdn(fqdn);
    if (service && this.ctx.external('Service', service.namespace, service.name)) return false;
    if (wildcardIntoClusterDomain(fqdn)) return false;
    // a whole cluster: what it does not hold does not exist
    if (this.ctx.complete) return true;
    const ns = parseServiceFqdn(fqdn)?.namespace ?? /^[^.*]+\.([^.]+)(\.svc)?$/.exec(fqdn)?.[1];
    if (ns !== undefined && this.serviceNamespaces.has(ns)) return true;
    if (parseServiceFqdn(fqdn)) return false;
    return this.ctx.has(K.ServiceEntry);
  }
}

function portNumbers(ports: unknown, field: string): number[] {
  const out: number[] = [];
  for (const p of list(ports)) {
    const n = isObject(p) ? num(p[field]) : undefined;
    if (n !== undefined && !out.includes(n)) out.push(n);
  }
  return out;
}

/** The host a destination names (`''` when the destination or its host is missing). */
export function destinationHost(destination: unknown): string {
  return (isObject(destination) ? str(destination.host) : undefined) ?? '';
}
