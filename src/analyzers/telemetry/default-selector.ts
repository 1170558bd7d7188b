import type { Resource } from '../../manifests/types.js';
import { defineAnalyzer, K } from '../types.js';

export default defineAnalyzer({
  name: 'telemetry.DefaultSelectorAnalyzer',
  description: 'Finds namespaces with several selector-less Telemetry resources, which then compete',
  codes: ['IST0160'],
  inputs: [K.Telemetry],
  analyze(ctx) {
    const byNamespace = new Map<string, Resource[]>();
    for (const t of ctx.each(K.Telemetry)) {
      // A Telemetry that uses targetRefs instead of a selector still counts as namespace-wide here.
      if (t.spec?.selector != null) continue;
      const ns = t.namespace ?? '';
      byNamespace.set(ns, [...(byNamespace.get(ns) ?? []), t]);
    }
    for (const [ns, list] of byNamespace) {
      if (list.length < 2) continue;
      const names = list.map((t) => t.name).sort();
      for (const t of list) ctx.report('IST0160', t, [names, ns], { path: 'metadata.name' });
    }
  },
});
