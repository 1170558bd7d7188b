import { defineAnalyzer, K } from '../types.js';
import {
  allContainers,
  DATAPLANE_MODE_LABEL,
  INJECTION_LABEL,
  ISTIO_PROXY,
  REVISION_LABEL,
  SIDECAR_INJECT,
} from '../util/labels.js';
import { labelMap } from '../../kube/labels.js';
import { injectorConfigMap, injectorValues } from './injector.js';

export default defineAnalyzer({
  name: 'injection.Analyzer',
  description: 'Checks namespace injection labels, and pods that should have a sidecar proxy but lack one',
  codes: ['IST0102', 'IST0103', 'IST0123', 'IST0148'],
  inputs: [K.Namespace, K.Pod, K.ConfigMap],
  requires: [K.Namespace],
  analyze(ctx) {
    const injected = new Set<string>();
    for (const ns of ctx.each(K.Namespace)) {
      if (ns.name === ctx.istioNamespace) continue;
      const labels = labelMap(ns.metadata.labels);
      const injection = labels[INJECTION_LABEL];
      const revision = labels[REVISION_LABEL];

      // istio-injection=disabled deliberately overrides the others; otherwise they compete.
      const competing: string[] = [];
      if (injection !== undefined) competing.push(`${INJECTION_LABEL}=${injection}`);
      for (const key of [REVISION_LABEL, DATAPLANE_MODE_LABEL])
        if (labels[key] !== undefined && (injection === undefined || injection === 'enabled'))
          competing.push(`${key}=${labels[key]}`);
      if (competing.length > 1) ctx.report('IST0123', ns, [competing], { path: 'metadata.labels' });

      if (labels[DATAPLANE_MODE_LABEL] === 'ambient') continue;
      if (!injection && revision === undefined) {
        const cm = injectorConfigMap(ctx, '');
        const byDefault = cm
          ? injectorValues(cm)?.sidecarInjectorWebhook?.enableNamespacesByDefault
          : undefined;
        if (byDefault === true) ctx.report('IST0148', ns, [], { path: 'metadata.name' });
        else ctx.report('IST0102', ns, [ns.name, ns.name], { path: 'metadata.name' });
        continue;
      }
      if (injection === 'enabled') injected.add(ns.name);
    }

    // Pod templates are injected at admission, so only real Pods can be missing their proxy.
    for (const pod of ctx.each(K.Pod)) {
      if (!injected.has(pod.namespace ?? '')) continue;
      const labels = labelMap(pod.metadata.labels);
      const choice = labels[SIDECAR_INJECT] ?? labelMap(pod.metadata.annotations)[SIDECAR_INJECT] ?? '';
      if (choice.toLowerCase() === 'false' || pod.spec?.hostNetwork === true) continue;
      if (allContainers(pod.spec).some((c) => c.name === ISTIO_PROXY && c.image)) continue;
      ctx.report('IST0103', pod, [`${pod.namespace}/${pod.name}`], { path: 'spec.containers' });
    }
  },
});
