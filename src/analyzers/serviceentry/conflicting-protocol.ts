import { joinPath } from '../../manifests/path.js';
import type { Resource } from '../../manifests/types.js';
import { isObject, list, num, str } from '../../util/values.js';
import { defineAnalyzer, K } from '../types.js';
import { fullName, nsOf, scopeOf, scopesIntersect, toFqdn, type Scope } from '../util/hosts.js';

interface PortClaim {
  se: Resource;
  scope: Scope;
  host: string;
  port: number;
  /** Upper-cased; `''` (protocol sniffing) is a protocol of its own. */
  protocol: string;
  portIndex: number;
}

/**
 * ServiceEntries that a namespace sees together (their exportTo scopes intersect) and that define the same
 * host (as FQDN) and port with different protocols (or one ServiceEntry that lists the port twice so): which
 * protocol wins is undefined. Reported once per ServiceEntry, at the conflicting port's protocol, naming all
 * the ServiceEntries of that host:port.
 */
export default defineAnalyzer({
  name: 'serviceentry.ConflictingServiceEntryProtocolAnalyzer',
  description: 'Finds ServiceEntries that disagree on the protocol of a host:port they share',
  codes: ['IST0177'],
  inputs: [K.ServiceEntry],
  analyze(ctx) {
    const claims = new Map<string, PortClaim[]>();
    for (const se of ctx.each(K.ServiceEntry)) {
      const ns = nsOf(se);
      const scope = scopeOf(se.spec?.exportTo, ns, ctx.meshConfig.defaultServiceExportTo);
      for (const h of list(se.spec?.hosts)) {
        if (typeof h !== 'string') continue;
        list(se.spec?.ports).forEach((p, portIndex) => {
          const port = isObject(p) ? num(p.number) : undefined;
          if (port === undefined) return;
          const host = toFqdn(h, ns);
          const key = `${host}:${port}`;
          const claim = { se, scope, host, port, protocol: (str(p.protocol) ?? '').toUpperCase(), portIndex };
          const l = claims.get(key);
          if (l) l.push(claim);
          else claims.set(key, [claim]);
        });
      }
    }

    const reported = new Set<Resource>();
    for (const sameHostPort of claims.values()) {
      for (const c of sameHostPort) {
        if (reported.has(c.se)) continue;
        // (also another port of the same ServiceEntry: port 80 listed twice, HTTP and HTTP2)
        const conflicting = sameHostPort.filter(
          (o) => o.protocol !== c.protocol && scopesIntersect(o.scope, c.scope),
        );
        if (conflicting.length === 0) continue;
        // every ServiceEntry that shares the host:port with it (its own protocol or another), as istioctl
        // names them
        const group = sameHostPort.filter((o) => scopesIntersect(o.scope, c.scope));
        const protocols = [...new Set(group.map((o) => o.protocol))].sort();
        const names = [...new Set(group.map((o) => fullName(o.se)))].sort().join(', ');
        reported.add(c.se);
        ctx.report('IST0177', c.se, [names, c.host, c.port, protocols.join(', ')], {
          path: joinPath('spec.ports', c.portIndex, 'protocol'),
        });
      }
    }
  },
});
