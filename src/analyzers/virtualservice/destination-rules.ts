import type { Resource } from '../../manifests/types.js';
import { isObject, list, str, text } from '../../util/values.js';
import { defineAnalyzer, K } from '../types.js';
import { hostWithin, nsOf, reachable, scopeOf, toFqdn, type Scope } from '../util/hosts.js';
import { routeDestinations } from './routes.js';

interface Rule {
  host: string;
  namespace: string;
  scope: Scope;
  subsets: Set<string>;
}

/**
 * A destination that names a subset needs a DestinationRule for its host that defines the subset. The
 * rule is the most specific one the VirtualService can see (exact host before the longest wildcard),
 * honouring the DestinationRule's exportTo; hosts compare as FQDNs, so `reviews` in namespace `shop`
 * and `reviews.shop.svc.cluster.local` are the same host. Offline it needs DestinationRules in the inputs.
 */
export default defineAnalyzer({
  name: 'virtualservice.DestinationRuleAnalyzer',
  description:
    'Checks that the subsets VirtualService routes and mirrors use are defined by a DestinationRule',
  codes: ['IST0101'],
  inputs: [K.VirtualService, K.DestinationRule],
  requires: [K.DestinationRule],
  analyze(ctx) {
    const rules: Rule[] = ctx.each(K.DestinationRule).map((dr) => {
      const ns = nsOf(dr);
      return {
        host: toFqdn(str(dr.spec?.host) ?? '', ns),
        namespace: ns,
        scope: scopeOf(dr.spec?.exportTo, ns, ctx.meshConfig.defaultDestinationRuleExportTo),
        subsets: new Set(
          list(dr.spec?.subsets).flatMap((s) => (isObject(s) && s.name ? [text(s.name)] : [])),
        ),
      };
    });
    const exact = new Map<string, Rule[]>();
    for (const r of rules) {
      if (r.host.startsWith('*')) continue;
      const same = exact.get(r.host);
      if (same) same.push(r);
      else exact.set(r.host, [r]);
    }
    const wildcards = rules.filter((r) => r.host.startsWith('*'));
    for (const vs of ctx.each(K.VirtualService)) check(vs);

    function check(vs: Resource): void {
      const ns = nsOf(vs);
      const consumers = scopeOf(vs.spec?.exportTo, ns, ctx.meshConfig.defaultVirtualServiceExportTo);
      for (const d of routeDestinations(vs)) {
        const subset = str(d.destination?.subset);
        if (!subset || definesSubset(toFqdn(d.host, ns), subset, ns, consumers)) continue;
        const reftype =
          d.role === 'mirror' ? 'mirror+subset in destinationrule' : 'host+subset in destinationrule';
        ctx.report('IST0101', vs, [reftype, `${d.host}+${subset}`], { path: `${d.path}.subset` });
      }
    }

    /**
     * Whether the most specific rules for `fqdn` that a VirtualService of `ns` (visible to `consumers`)
     * can see define the subset: the rules for the exact host, else those of the longest wildcard.
     */
    function definesSubset(fqdn: string, subset: string, ns: string, consumers: Scope): boolean {
      let reached = false;
      for (const r of exact.get(fqdn) ?? []) {
        if (!reachable(r, ns, consumers)) continue;
        if (r.subsets.has(subset)) return true;
        reached = true;
      }
      if (reached) return false;
      let longest = -1;
      let defined = false;
      for (const r of wildcards) {
        if (r.host.length < longest || !hostWithin(fqdn, r.host) || !reachable(r, ns, consumers)) continue;
        if (r.host.length > longest) {
          longest = r.host.length;
          defined = false;
        }
        if (r.subsets.has(subset)) defined = true;
      }
      return defined;
    }
  },
});
