import { defineAnalyzer, K, WORKLOAD_INPUTS } from '../types.js';
import { ISTIO_PROXY, podSpecPath } from '../util/labels.js';
import { labelMap, selectorMatches } from '../../kube/labels.js';

/** Index of the `istio-proxy` container that asks to be filled in by the injector (`image: auto`). */
function autoImageContainer(podSpec: any): number {
  const containers = Array.isArray(podSpec?.containers) ? podSpec.containers : [];
  return containers.findIndex((c: any) => c?.name === ISTIO_PROXY && c?.image === 'auto');
}

export default defineAnalyzer({
  name: 'injection.ImageAutoAnalyzer',
  description: 'Finds workloads whose istio-proxy container says `image: auto` but that no injector selects',
  codes: ['IST0146', 'IST0147'],
  inputs: [K.Namespace, K.MutatingWebhookConfiguration, ...WORKLOAD_INPUTS],
  analyze(ctx) {
    const webhooks = ctx
      .each(K.MutatingWebhookConfiguration)
      .flatMap((r) => (Array.isArray(r.body.webhooks) ? r.body.webhooks : []))
      .filter((w: any) => typeof w?.name === 'string' && w.name.endsWith('istio.io'));
    // The webhooks usually live in the cluster only: without any in the inputs, templates are not judged
    // (in a whole cluster, no webhook means none).
    const checkTemplates = ctx.complete || ctx.has(K.MutatingWebhookConfiguration);
    for (const w of ctx.workloads()) {
      const i = autoImageContainer(w.podSpec);
      if (i < 0) continue;
      const path = `${podSpecPath(w)}.containers[${i}].image`;
      // A running pod that still says `auto` was never injected.
      if (w.isPod) {
        ctx.report('IST0147', w.resource, ['Pod', w.name], { path });
        continue;
      }
      if (!checkTemplates) continue;
      // A namespace that is not in the inputs has no labels: the template must opt in itself.
      const ns = ctx.get(K.Namespace, '', w.namespace || 'default');
      const nsLabels = labelMap(ns?.metadata.labels);
      const injected = webhooks.some(
        (hook: any) =>
          selectorMatches(hook.namespaceSelector, nsLabels) && selectorMatches(hook.objectSelector, w.labels),
      );
      if (!injected) ctx.report('IST0146', w.resource, [w.kind, w.name], { path });
    }
  },
});
