import type { Resource } from '../../manifests/types.js';
import { joinPath } from '../../manifests/path.js';
import { defineAnalyzer, K, WORKLOAD_INPUTS } from '../types.js';
import {
  workloadsKnown,
  namespaceInAmbient,
  namespaceLookup,
  selectWorkloads,
  workloadInAmbient,
} from '../util/labels.js';
import { firstSelectorKey, isEmptyLabels, selectorString } from '../../kube/labels.js';

export default defineAnalyzer({
  name: 'sidecar.SelectorAnalyzer',
  description:
    'Finds Sidecar selectors that match no pod, and pods or namespaces that more than one Sidecar applies to',
  codes: ['IST0101', 'IST0110', 'IST0111', 'IST0167'],
  inputs: [K.Sidecar, K.Namespace, ...WORKLOAD_INPUTS],
  analyze(ctx) {
    const namespaces = namespaceLookup(ctx);
    const withSelector: Resource[] = [];
    const namespaceWide = new Map<string, Resource[]>();
    for (const sc of ctx.each(K.Sidecar)) {
      if (!isEmptyLabels(sc.spec?.workloadSelector?.labels)) withSelector.push(sc);
      else namespaceWide.set(sc.namespace ?? '', [...(namespaceWide.get(sc.namespace ?? '') ?? []), sc]);
    }

    const { unmatched, selected } = selectWorkloads(
      withSelector,
      ctx.selectable(),
      (sc) => sc.spec.workloadSelector.labels,
    );
    for (const sc of unmatched) {
      // A namespace whose workloads are not in the inputs tells nothing.
      if (!workloadsKnown(ctx, sc.namespace ?? '')) continue;
      const labels = sc.spec.workloadSelector.labels;
      ctx.report('IST0101', sc, ['selector', selectorString(labels)], {
        path: joinPath('spec.workloadSelector.labels', firstSelectorKey(labels)!),
      });
    }

    // A Sidecar has no effect on ambient workloads: say so once per Sidecar instead of reporting conflicts.
    const ineffective = new Set<Resource>();
    for (const { workload, policies } of selected) {
      if (workloadInAmbient(workload)) {
        for (const sc of policies) {
          if (ineffective.has(sc)) continue;
          ineffective.add(sc);
          ctx.report('IST0167', sc, ['selected workload is in ambient mode, the policy has no impact'], {
            path: 'spec.workloadSelector',
          });
        }
        continue;
      }
      if (policies.length < 2) continue;
      const names = policies.map((sc) => sc.name).sort();
      for (const sc of policies)
        ctx.report('IST0110', sc, [names, workload.namespace, workload.name], { path: 'metadata.name' });
    }

    for (const [ns, list] of namespaceWide) {
      if (namespaceInAmbient(namespaces(ns))) {
        for (const sc of list) {
          if (ineffective.has(sc)) continue;
          ineffective.add(sc);
          ctx.report('IST0167', sc, ['namespace is in ambient mode, the policy has no impact'], {
            path: 'metadata.namespace',
          });
        }
        continue;
      }
      if (list.length < 2) continue;
      const names = list.map((sc) => sc.name).sort();
      for (const sc of list) ctx.report('IST0111', sc, [names, ns], { path: 'metadata.name' });
    }
  },
});
