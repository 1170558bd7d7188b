import { defineAnalyzer, K, WORKLOAD_INPUTS } from '../types.js';
import { selectWorkloads, workloadsKnown } from '../util/labels.js';
import { firstSelectorKey, isEmptyLabels, selectorString } from '../../kube/labels.js';
import { joinPath } from '../../manifests/path.js';

export default defineAnalyzer({
  name: 'telemetry.SelectorAnalyzer',
  description:
    'Finds Telemetry selectors that match no pod, and pods that more than one Telemetry resource selects',
  codes: ['IST0101', 'IST0159'],
  inputs: [K.Telemetry, ...WORKLOAD_INPUTS],
  analyze(ctx) {
    const withSelector = ctx.each(K.Telemetry).filter((t) => !isEmptyLabels(t.spec?.selector?.matchLabels));
    const { unmatched, selected } = selectWorkloads(
      withSelector,
      ctx.selectable(),
      (t) => t.spec.selector.matchLabels,
    );
    for (const t of unmatched) {
      // A namespace whose workloads are not in the inputs tells nothing.
      if (!workloadsKnown(ctx, t.namespace ?? '')) continue;
      const labels = t.spec.selector.matchLabels;
      ctx.report('IST0101', t, ['selector', selectorString(labels)], {
        path: joinPath('spec.selector.matchLabels', firstSelectorKey(labels)!),
      });
    }
    for (const { workload, policies } of selected) {
      if (policies.length < 2) continue;
      const names = policies.map((t) => t.name).sort();
      for (const t of policies)
        ctx.report('IST0159', t, [names, workload.namespace, workload.name], { path: 'metadata.name' });
    }
  },
});
