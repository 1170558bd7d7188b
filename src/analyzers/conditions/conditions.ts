import type { Resource } from '../../manifests/types.js';
import { defineAnalyzer, K, type AnalysisContext } from '../types.js';
import { text } from '../../util/values.js';

const WAYPOINT_BOUND = ['istio.io/WaypointBound'];
const GATEWAY_API = ['Accepted', 'Programmed', 'ResolvedRefs'];

/** Condition types whose False status means something is broken, per kind. */
const WATCHED: Array<[key: string, types: string[]]> = [
  [K.Service, WAYPOINT_BOUND],
  [K.ServiceEntry, WAYPOINT_BOUND],
  [K.WorkloadEntry, WAYPOINT_BOUND],
  [K.AuthorizationPolicy, ['ZtunnelAccepted', 'WaypointAccepted']],
  [K.GatewayAPIGateway, GATEWAY_API],
  [K.HTTPRoute, GATEWAY_API],
  [K.GRPCRoute, GATEWAY_API],
];

const ROUTES = new Set<string>([K.HTTPRoute, K.GRPCRoute]);

function check(ctx: AnalysisContext, r: Resource, types: string[], conditions: unknown, path: string): void {
  if (!Array.isArray(conditions)) return;
  conditions.forEach((c: any, i: number) => {
    if (!c || !types.includes(c.type)) return;
    // A waypoint that accepted only part of a policy says so in the reason, with status True.
    const negative =
      text(c.status) === 'False' || (c.type === 'WaypointAccepted' && c.reason === 'PartiallyInvalid');
    if (negative)
      ctx.report('IST0171', r, [c.type, text(c.reason ?? ''), text(c.message ?? '')], {
        path: `${path}[${i}].status`,
      });
  });
}

export default defineAnalyzer({
  name: 'conditions.ConditionAnalyzer',
  description: 'Reports status conditions that say the object is not working',
  codes: ['IST0171'],
  inputs: WATCHED.map(([key]) => key),
  analyze(ctx) {
    for (const [key, types] of WATCHED) {
      for (const r of ctx.each(key)) {
        const status = r.body.status;
        if (ROUTES.has(key)) {
          const parents = Array.isArray(status?.parents) ? status.parents : [];
          parents.forEach((p: any, i: number) =>
            check(ctx, r, types, p?.conditions, `status.parents[${i}].conditions`),
          );
        } else {
          check(ctx, r, types, status?.conditions, 'status.conditions');
        }
      }
    }
  },
});
