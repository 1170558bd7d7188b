import type { Resource } from '../../manifests/types.js';
import { defineAnalyzer, K, type Workload, WORKLOAD_INPUTS } from '../types.js';
import { isSynthetic, namespaceLookup, workloadInMesh } from '../util/labels.js';
import { isEmptyLabels, labelValue, SelectorIndex } from '../../kube/labels.js';
import { number, text } from '../../util/values.js';

/** Waypoint Deployments, which Istio generates and which serve every Service of their namespace. */
const isWaypoint = (r: Resource) =>
  labelValue(r.metadata.labels, 'gateway.istio.io/managed') === 'istio.io-mesh-controller';

export default defineAnalyzer({
  name: 'deployment.MultiServiceAnalyzer',
  description:
    'Finds Services that select the same Deployment but disagree on a port: protocol or target port',
  codes: ['IST0116', 'IST0137'],
  inputs: [K.Service, K.Namespace, ...WORKLOAD_INPUTS],
  requires: [K.Service],
  analyze(ctx) {
    const namespaces = namespaceLookup(ctx);
    // Per namespace: the Services (from the inputs, offline) with a selector, by selector.
    const servicesByNs = new Map<string, SelectorIndex<Resource>>();
    const servicesSelecting = (w: Workload) => {
      let index = servicesByNs.get(w.namespace);
      if (!index) {
        const services = ctx
          .eachIn(K.Service, w.namespace)
          .filter((s) => !isSynthetic(s) && !isEmptyLabels(s.spec?.selector));
        servicesByNs.set(w.namespace, (index = new SelectorIndex(services, (s) => s.spec.selector)));
      }
      // under -A, namespace-less objects select nothing
      return index.matching(w.labels).filter((s) => s.namespace === w.namespace);
    };
    for (const w of ctx.workloads()) {
      if (w.isPod) continue;
      // Offline the namespace labels may be unknown: a workload that does not opt out counts as in the mesh.
      if (isWaypoint(w.resource) || !workloadInMesh(w, namespaces, { unknownNamespace: true })) continue;
      const matching = servicesSelecting(w);
      if (matching.length < 2) continue;

      // port number → protocol → services; targetPort → service port → service
      const protocols = new Map<number, Map<string, string[]>>();
      const targets = new Map<string, Map<number, string>>();
      for (const s of matching) {
        const svcName = `${s.namespace}/${s.name}`;
        for (const p of Array.isArray(s.spec?.ports) ? s.spec.ports : []) {
          const port = number(p?.port);
          // a port without a number (the API server refuses it) cannot be compared with another
          if (!Number.isFinite(port)) continue;
          const protocol = text(p?.protocol || 'TCP');
          const byProtocol = protocols.get(port) ?? new Map<string, string[]>();
          byProtocol.set(protocol, [...(byProtocol.get(protocol) ?? []), svcName]);
          protocols.set(port, byProtocol);
          const target =
            p?.targetPort === undefined || p.targetPort === 0 || p.targetPort === ''
              ? text(port)
              : text(p.targetPort);
          const byPort = targets.get(target) ?? new Map<number, string>();
          byPort.set(port, svcName);
          targets.set(target, byPort);
        }
      }
      for (const port of protocols.keys()) {
        const byProtocol = protocols.get(port)!;
        if (byProtocol.size < 2) continue;
        const names = [...byProtocol.values()].flat().sort();
        ctx.report('IST0116', w.resource, [w.name, port, names], { path: 'metadata.name' });
      }
      for (const target of targets.keys()) {
        const byPort = targets.get(target)!;
        if (byPort.size < 2) continue;
        const names = [...byPort.values()].sort();
        const ports = [...byPort.keys()].sort((a, b) => a - b);
        ctx.report('IST0137', w.resource, [w.name, names, target, ports], { path: 'metadata.name' });
      }
    }
  },
});
