import { defineAnalyzer, WORKLOAD_INPUTS } from '../types.js';
import { isIstioControlPlane, ISTIO_PROXY, podSpecPath } from '../util/labels.js';
import { labelMap } from '../../kube/labels.js';
import { number } from '../../util/values.js';

/** The UID the sidecar runs as; iptables lets its traffic bypass the proxy. */
const PROXY_UID = 1337;
const EXEMPT_CONTAINERS = new Set([ISTIO_PROXY, 'istio-operator']);

export default defineAnalyzer({
  name: 'applicationUID.Analyzer',
  description: 'Finds workloads that run as UID 1337, the UID of the sidecar proxy itself',
  codes: ['IST0144'],
  inputs: [...WORKLOAD_INPUTS],
  analyze(ctx) {
    for (const w of ctx.workloads()) {
      if (isIstioControlPlane(labelMap(w.resource.metadata.labels))) continue;
      const spec = podSpecPath(w);
      const spots: string[] = [];
      if (number(w.podSpec?.securityContext?.runAsUser) === PROXY_UID)
        spots.push(`${spec}.securityContext.runAsUser`);
      const containers: any[] = Array.isArray(w.podSpec?.containers) ? w.podSpec.containers : [];
      containers.forEach((c, i) => {
        if (!EXEMPT_CONTAINERS.has(c?.name) && number(c?.securityContext?.runAsUser) === PROXY_UID)
          spots.push(`${spec}.containers[${i}].securityContext.runAsUser`);
      });
      // Once per workload (as istioctl), at the first offending field.
      if (spots.length > 0) ctx.report('IST0144', w.resource, [], { path: spots[0] });
    }
  },
});
