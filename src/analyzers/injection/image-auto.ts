import { defineAnalyzer, K } from '../types.js';
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
  inputs: [K.Namespace, K.Pod, K.Deployment, K.MutatingWebhookConfiguration],
  analyze(ctx) {
    const webhooks = ctx
      .each(K.MutatingWebhookConfiguration)
      .flatMap((r) => (Array.isArray(r.body.webhooks) ? r.body.webhooks : []))
      .filter((w: any) => typeof w?.name === 'string' && w.name.endsWith('istio.io'));
    // Offline the webhooks usually live in the cluster only: without them, say nothing about templates.
    const checkTemplates = ctx.harness || ctx.has(K.MutatingWebhookConfiguration);
    for (const w of ctx.workloads()) {
      const i = autoImageContainer(w.podSpec);
      if (i < 0) continue;
      const path = `${podSpecPath(w)}.containers[${i}].image`;
      // A running pod that still says `auto` was never injected.
      if (w.isPod) {
        ctx.report('IST0147', w.resource, ['Pod', w.name], { path });
        continue;
      }
      if (!checkTemplates || (ctx.harness && w.kind !== 'Deployment')) continue;
      const ns = ctx.get(K.Namespace, '', w.namespace || 'default');
      if (!ns && !ctx.harness) continue;
      const nsLabels = labelMap(ns?.metadata.labels);
      const injected = webhooks.some(
        (hook: any) =>
          selectorMatches(hook.namespaceSelector, nsLabels) && selectorMatches(hook.objectSelector, w.labels),
      );
      if (!injected) ctx.report('IST0146', w.resource, [w.kind, w.name], { path });
    }
  },
});
