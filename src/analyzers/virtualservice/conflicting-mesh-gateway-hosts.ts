import type { Resource } from '../../manifests/types.js';
import { joinPath } from '../../manifests/path.js';
import { defineAnalyzer, K } from '../types.js';
import { fullName, hostsOverlap, nsOf, scopeOf, toFqdn } from '../util/hosts.js';
import { boundToMesh, vsHosts } from './routes.js';

interface Claim {
  vs: Resource;
  hostIndex: number;
}

/**
 * Two VirtualServices bound to the mesh that claim the same host (as FQDN) in a namespace that sees both:
 * sidecars use only one of them. A host is claimed per exportTo scope (`*`, or each listed namespace);
 * a namespace-scoped claim also collides with an exported-to-all claim whose host overlaps it.
 */
export default defineAnalyzer({
  name: 'virtualservice.ConflictingMeshGatewayHostsAnalyzer',
  description: 'Finds VirtualServices applied to the mesh that claim the same host',
  codes: ['IST0109'],
  inputs: [K.VirtualService],
  analyze(ctx) {
    const claims = new Map<string, Claim[]>();
    for (const vs of ctx.each(K.VirtualService)) {
      if (!boundToMesh(vs)) continue;
      const ns = nsOf(vs);
      const scope = scopeOf(vs.spec?.exportTo, ns, ctx.meshConfig.defaultVirtualServiceExportTo);
      const scopes = scope === '*' ? ['*'] : [...scope];
      vsHosts(vs).forEach((h, hostIndex) => {
        for (const s of scopes) {
          const key = `${s}/${toFqdn(h, ns)}`;
          const l = claims.get(key);
          if (l) l.push({ vs, hostIndex });
          else claims.set(key, [{ vs, hostIndex }]);
        }
      });
    }

    const exportedToAll = [...claims.keys()].filter((key) => key.startsWith('*/'));
    const reported = new Set<Resource>();
    for (const key of claims.keys()) {
      const slash = key.indexOf('/');
      const scope = key.slice(0, slash);
      const host = key.slice(slash + 1);
      const all = [...claims.get(key)!];
      if (scope !== '*') {
        for (const other of exportedToAll)
          if (hostsOverlap(host, other.slice(2))) all.push(...claims.get(other)!);
      }
      const vsList = [...new Set(all.map((c) => c.vs))];
      if (vsList.length < 2) continue;
      const names = vsList.map(fullName).sort().join(',');
      for (const c of all) {
        if (reported.has(c.vs)) continue;
        reported.add(c.vs);
        ctx.report('IST0109', c.vs, [names, key], { path: joinPath('spec.hosts', c.hostIndex) });
      }
    }
  },
});
