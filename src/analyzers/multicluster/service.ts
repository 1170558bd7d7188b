import { clusterIdOf, type Resource } from '../../manifests/types.js';
import { defineAnalyzer, K } from '../types.js';
import { text } from '../../util/values.js';

export interface ClusterServices {
  cluster: string;
  services: readonly Resource[];
}

export interface InconsistentService {
  /** The Service as found in the first cluster that has it (the finding is reported on it). */
  service: Resource;
  name: string;
  namespace: string;
  /** Clusters whose copy differs (plus the reference cluster), sorted. */
  clusters: string[];
  /** What differs, e.g. `service type is inconsistent`. */
  reasons: string[];
}

const isHeadless = (s: Resource) => s.spec?.clusterIP === 'None';

/** Ports compared independently of their order (sorted by name). */
function portsKey(s: Resource): string {
  const ports = Array.isArray(s.spec?.ports) ? [...s.spec.ports] : [];
  ports.sort((a: any, b: any) => text(a?.name ?? '').localeCompare(text(b?.name ?? '')));
  return JSON.stringify(ports);
}

/**
 * Compares Services of the same namespace/name across clusters: headless vs ClusterIP, type, and ports must
 * agree, or traffic to the service behaves differently depending on the cluster that serves it.
 */
export function findInconsistentServices(clusters: readonly ClusterServices[]): InconsistentService[] {
  const byName = new Map<string, Array<{ cluster: string; service: Resource }>>();
  for (const { cluster, services } of clusters)
    for (const service of services) {
      const key = `${service.namespace ?? ''}/${service.name}`;
      byName.set(key, [...(byName.get(key) ?? []), { cluster, service }]);
    }
  const out: InconsistentService[] = [];
  for (const copies of byName.values()) {
    if (copies.length < 2) continue;
    const [first, ...rest] = copies;
    const clustersOut = new Set<string>();
    const reasons = new Set<string>();
    for (const other of rest) {
      if (isHeadless(first.service) !== isHeadless(other.service)) {
        copies.forEach((c) => clustersOut.add(c.cluster));
        reasons.add('service has mixed mode like headless and clusterIP');
      }
      if ((first.service.spec?.type ?? '') !== (other.service.spec?.type ?? '')) {
        clustersOut.add(other.cluster);
        reasons.add('service type is inconsistent');
      }
      if (portsKey(first.service) !== portsKey(other.service)) {
        clustersOut.add(other.cluster);
        reasons.add('service ports are inconsistent');
      }
    }
    if (clustersOut.size === 0) continue;
    clustersOut.add(first.cluster);
    out.push({
      service: first.service,
      name: first.service.name,
      namespace: first.service.namespace ?? '',
      clusters: [...clustersOut].sort(),
      reasons: [...reasons].sort(),
    });
  }
  return out;
}

export default defineAnalyzer({
  name: 'services.MultiClusterServiceAnalyzer',
  description: 'Compares Services of the same name across clusters (headless or not, type, ports)',
  codes: ['IST0170'],
  inputs: [K.Service],
  analyze(ctx) {
    // Services by cluster: the primary's (and the files') are cluster "default", as istioctl names it; the
    // remote clusters' objects carry their cluster ID. One cluster alone has nothing to compare.
    const byCluster = new Map<string, Resource[]>();
    for (const s of ctx.each(K.Service)) {
      const id = clusterIdOf(s);
      const list = byCluster.get(id);
      if (list) list.push(s);
      else byCluster.set(id, [s]);
    }
    if (byCluster.size < 2) return;
    const clusters: ClusterServices[] = [...byCluster].map(([cluster, services]) => ({ cluster, services }));
    for (const s of findInconsistentServices(clusters))
      ctx.report('IST0170', s.service, [s.name, s.namespace, s.clusters, s.reasons.join('; ')]);
  },
});
