import { defineAnalyzer, K } from '../types.js';
import { number } from '../../util/values.js';

/** CRDs of the rbac.istio.io API, removed in Istio 1.6 in favour of AuthorizationPolicy. */
const REMOVED_KINDS = new Set(['ClusterRbacConfig', 'RbacConfig', 'ServiceRole', 'ServiceRoleBinding']);

export default defineAnalyzer({
  name: 'deprecation.DeprecationAnalyzer',
  description: 'Reports deprecated or removed Istio fields and kinds still in use',
  codes: ['IST0002'],
  inputs: [K.VirtualService, K.Sidecar, K.CustomResourceDefinition],
  analyze(ctx) {
    const at = (path: string) => ({ path });
    for (const vs of ctx.each(K.VirtualService)) {
      const http = Array.isArray(vs.spec?.http) ? vs.spec.http : [];
      http.forEach((route: any, i: number) => {
        if (number(route?.fault?.delay?.percent) > 0)
          ctx.report(
            'IST0002',
            vs,
            [
              'fault.delay.percent (whole numbers only) is superseded by fault.delay.percentage, which takes fractions',
            ],
            at(`spec.http[${i}].fault.delay.percent`),
          );
      });
    }
    for (const sc of ctx.each(K.Sidecar)) {
      if (sc.spec?.outboundTrafficPolicy?.egressProxy != null)
        ctx.report('IST0002', sc, ['outboundTrafficPolicy.egressProxy has no effect; Istio ignores it'], {
          path: 'spec.outboundTrafficPolicy.egressProxy',
        });
    }
    for (const crd of ctx.each(K.CustomResourceDefinition)) {
      const kind = crd.spec?.names?.kind;
      if (crd.spec?.group === 'rbac.istio.io' && REMOVED_KINDS.has(kind))
        ctx.report(
          'IST0002',
          crd,
          [`the rbac.istio.io kind ${kind} was removed in Istio 1.6; use AuthorizationPolicy`],
          {
            path: 'spec.names.kind',
          },
        );
    }
  },
});
