import type { Resource } from '../../manifests/types.js';
import { defineAnalyzer, K } from '../types.js';
import { INJECTION_LABEL, REVISION_LABEL, SIDECAR_INJECT } from '../util/labels.js';
import { labelMap, selectorMatches } from '../../kube/labels.js';
import { text } from '../../util/values.js';

interface Hook {
  config: Resource;
  index: number;
  /** `<configuration>/<webhook>` */
  id: string;
  spec: any;
}

/** Revisions a webhook configuration serves: its istio.io/rev label and revision selectors. */
function revisionsOf(config: Resource, hooks: any[]): string[] {
  const revs = new Set<string>();
  const own = labelMap(config.metadata.labels)[REVISION_LABEL];
  if (own !== undefined) revs.add(own);
  for (const h of hooks) {
    for (const sel of [h?.namespaceSelector, h?.objectSelector]) {
      const fromLabels = sel?.matchLabels?.[REVISION_LABEL];
      if (fromLabels !== undefined) revs.add(text(fromLabels));
      for (const e of Array.isArray(sel?.matchExpressions) ? sel.matchExpressions : [])
        if (e?.key === REVISION_LABEL && Array.isArray(e.values))
          e.values.forEach((v: unknown) => revs.add(text(v)));
    }
  }
  return [...revs];
}

/** `base` alone and with each revision label added. */
function withRevisions(
  base: Array<Record<string, string>>,
  revisions: string[],
): Array<Record<string, string>> {
  return [...base, ...revisions.flatMap((rev) => base.map((b) => ({ ...b, [REVISION_LABEL]: rev })))];
}

export default defineAnalyzer({
  name: 'webhook.Analyzer',
  description: 'Finds injector webhooks that overlap (double injection) or call a missing Service',
  inputs: [K.MutatingWebhookConfiguration, K.Service],
  analyze(ctx) {
    const hooks: Hook[] = [];
    const revisions = new Set<string>();
    for (const config of ctx.each(K.MutatingWebhookConfiguration)) {
      const list = Array.isArray(config.body.webhooks) ? config.body.webhooks : [];
      const revs = revisionsOf(config, list);
      const istio = list.some((h: any) => typeof h?.name === 'string' && h.name.endsWith('istio.io'));
      if (revs.length === 0 && !istio) continue;
      revs.forEach((r) => revisions.add(r));
      list.forEach((spec: any, index: number) =>
        hooks.push({ config, index, id: `${config.name}/${text(spec?.name ?? '')}`, spec }),
      );
    }

    // Every combination of namespace and pod labels that drives injection must reach at most one injector.
    const nsLabelSets = withRevisions(
      [{}, { [INJECTION_LABEL]: 'enabled' }, { [INJECTION_LABEL]: 'disabled' }],
      [...revisions],
    );
    const podLabelSets = withRevisions(
      [{}, { [SIDECAR_INJECT]: 'true' }, { [SIDECAR_INJECT]: 'false' }],
      [...revisions],
    );
    for (const nsLabels of nsLabelSets) {
      for (const podLabels of podLabelSets) {
        const matching = hooks.filter(
          (h) =>
            selectorMatches(h.spec?.namespaceSelector, nsLabels) &&
            selectorMatches(h.spec?.objectSelector, podLabels),
        );
        if (matching.length < 2) continue;
        for (const h of matching) {
          const others = matching
            .filter((o) => o !== h)
            .map((o) => o.id)
            .sort();
          // (istioctl's wording, so reports and suppressions carry over.)
          ctx.report(
            'IST0139',
            h.config,
            [`Webhook overlaps with others: [${others.join(' ')}]. This may cause injection to occur twice.`],
            { path: `webhooks[${h.index}].name` },
          );
        }
      }
    }

    // Offline the control-plane Services may simply not be among the inputs.
    if (!ctx.has(K.Service)) return;
    for (const h of hooks) {
      const svc = h.spec?.clientConfig?.service;
      if (!svc) continue;
      if (ctx.get(K.Service, text(svc.namespace ?? ''), text(svc.name ?? ''))) continue;
      ctx.report(
        'IST0139',
        h.config,
        [
          `Injector refers to a control plane service that does not exist: ${text(svc.namespace)}/${text(svc.name)}.`,
        ],
        { path: `webhooks[${h.index}].clientConfig.service.name` },
      );
    }
  },
});
