import { defineAnalyzer, K } from '../types.js';
import { isIstioControlPlane, ISTIO_PROXY, podSpecPath } from '../util/labels.js';
import { labelMap } from '../../kube/labels.js';

/** The UID the sidecar runs as; iptables lets its traffic bypass the proxy. */
const PROXY_UID = 1337;
const EXEMPT_CONTAINERS = new Set([ISTIO_PROXY, 'istio-operator']);

export default defineAnalyzer({
  name: 'applicationUID.Analyzer',
  description: 'Finds workloads that run as UID 1337, the UID of the sidecar proxy itself',
  inputs: [K.Pod, K.Deployment],
  analyze(ctx) {
    for (const w of ctx.workloads()) {
      if (ctx.harness && w.kind !== 'Pod' && w.kind !== 'Deployment') continue;
      if (isIstioControlPlane(labelMap(w.resource.metadata.labels))) continue;
      const spec = podSpecPath(w);
      const spots: string[] = [];
      if (Number(w.podSpec?.securityContext?.runAsUser) === PROXY_UID)
        spots.push(`${spec}.securityContext.runAsUser`);
      const containers: any[] = Array.isArray(w.podSpec?.containers) ? w.podSpec.containers : [];
      containers.forEach((c, i) => {
        if (!EXEMPT_CONTAINERS.has(c?.name) && Number(c?.securityContext?.runAsUser) === PROXY_UID)
          spots.push(`${spec}.containers[${i}].securityContext.runAsUser`);
      });
      // istioctl reports the workload once; offline each offending field gets its own line.
      for (const path of spots) ctx.report('IST0144', w.resource, [], ctx.harness ? {} : { path });
    }
  },
});
