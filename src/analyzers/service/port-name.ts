import { defineAnalyzer, K } from '../types.js';
import { isIstioControlPlane } from '../util/labels.js';
import { labelMap } from '../../kube/labels.js';
import { servicePortProtocol } from './protocol.js';
import { number, text } from '../../util/values.js';

/** Services the gateway controller generates for Kubernetes Gateways and waypoints. */
const GATEWAY_MANAGED = new Set([
  'istio.io-gateway-controller',
  'istio.io-mesh-controller',
  'istio.io-eastwest-controller',
]);

export default defineAnalyzer({
  name: 'service.PortNameAnalyzer',
  description: 'Checks that Service port names state their protocol (<protocol>[-<suffix>])',
  codes: ['IST0118', 'IST0150'],
  inputs: [K.Service],
  analyze(ctx) {
    for (const svc of ctx.each(K.Service)) {
      const labels = labelMap(svc.metadata.labels);
      if (isIstioControlPlane(labels) || GATEWAY_MANAGED.has(labels['gateway.istio.io/managed'])) continue;
      const externalName = svc.spec?.type === 'ExternalName';
      const ports = Array.isArray(svc.spec?.ports) ? svc.spec.ports : [];
      ports.forEach((p: any, i: number) => {
        if (!p || typeof p !== 'object') return;
        // An ExternalName service forwards by host name; a port named plain "tcp" breaks that.
        const bad = servicePortProtocol(p) === undefined || (externalName && p.name === 'tcp');
        if (!bad) return;
        const path = `spec.ports[${i}]${p.name !== undefined ? '.name' : ''}`;
        if (externalName) ctx.report('IST0150', svc, [], { path });
        else
          // (a port without a number reads 0, as istioctl's Go zero value)
          ctx.report('IST0118', svc, [text(p.name ?? ''), portNumber(p.port), text(p.targetPort ?? 0)], {
            path,
          });
      });
    }
  },
});

/** A port number as IST0118 shows it: 0 when missing or not a number (never NaN). */
function portNumber(v: unknown): number {
  const n = number(v ?? 0);
  return Number.isFinite(n) ? n : 0;
}
