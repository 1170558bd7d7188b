import { defineAnalyzer, WORKLOAD_INPUTS } from '../types.js';
import { allContainers } from '../util/labels.js';
import { ANNOTATIONS } from './catalogue.js';
import { ANNOTATED_KINDS, annotatedObjects, annotationPath, isCheckedAnnotation } from './objects.js';

/** Annotations the injector itself sets on pods when istio-cni does the traffic redirection. */
const SET_BY_CNI = new Set([
  'sidecar.istio.io/interceptionMode',
  'traffic.sidecar.istio.io/includeInboundPorts',
  'traffic.sidecar.istio.io/excludeInboundPorts',
  'traffic.sidecar.istio.io/includeOutboundIPRanges',
]);

/**
 * istioctl has this analyzer but does not run it (alpha annotations are mostly set by Istio itself, so it is
 * noisy); mesh runs it only when asked for by name (`--analyzer annotations.AlphaAnalyzer`).
 */
export default defineAnalyzer({
  name: 'annotations.AlphaAnalyzer',
  description: 'Reports alpha-stage Istio annotations on Kubernetes objects (opt-in: run it with --analyzer)',
  codes: ['IST0136'],
  inputs: [...ANNOTATED_KINDS, ...WORKLOAD_INPUTS],
  analyze(ctx) {
    for (const obj of annotatedObjects(ctx)) {
      // A pod without the istio-init container is redirected by istio-cni, which writes these itself.
      const cni =
        obj.podSpec !== undefined && !allContainers(obj.podSpec).some((c) => c.name === 'istio-init');
      for (const key of Object.keys(obj.annotations)) {
        if (!isCheckedAnnotation(key) || ANNOTATIONS.get(key)?.featureStatus !== 'Alpha') continue;
        if (cni && SET_BY_CNI.has(key)) continue;
        ctx.report('IST0136', obj.resource, [key], { path: annotationPath(obj, key) });
      }
    }
  },
});
