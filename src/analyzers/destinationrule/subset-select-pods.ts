import { joinPath } from '../../manifests/path.js';
import { isObject, list, str } from '../../util/values.js';
import { defineAnalyzer, K, type AnalysisContext, type Workload, WORKLOAD_INPUTS } from '../types.js';
import { nsOf, scopeOf, serviceRegistry, toFqdn, type RegistryEntry } from '../util/hosts.js';
import { workloadsKnown, workloadsByLabel } from '../util/labels.js';
import { isEmptyLabels, labelMap, labelsMatch, type Labels } from '../../kube/labels.js';

/** Node labels Istio copies onto the endpoints of the pods scheduled there. */
const NODE_TOPOLOGY_LABELS = [
  'topology.kubernetes.io/region',
  'topology.kubernetes.io/zone',
  'topology.istio.io/subzone',
];
const HOSTNAME_LABEL = 'kubernetes.io/hostname';

/**
 * The DestinationRule host must be a Service or ServiceEntry host it can see (IST0174), and each subset must
 * select at least one endpoint of that host (IST0173): pods and pod templates in the service's namespace
 * that its selector picks (with the topology labels of their node), ServiceEntry workloads or endpoints.
 * A subset is only judged where the inputs hold workloads of its namespace (`workloadsKnown`), and a host only when
 * `ServiceRegistry.absenceIsKnown` says the inputs could have defined it.
 */
export default defineAnalyzer({
  name: 'destinationrule.SubsetSelectPodAnalyzer',
  description: 'Finds DestinationRule subsets that select no pod, and hosts that match no service',
  codes: ['IST0173', 'IST0174'],
  inputs: [K.DestinationRule, K.Service, K.ServiceEntry, K.WorkloadEntry, K.Node, ...WORKLOAD_INPUTS],
  analyze(ctx) {
    const registry = serviceRegistry(ctx);
    for (const dr of ctx.each(K.DestinationRule)) {
      const ns = nsOf(dr);
      const host = str(dr.spec?.host) ?? '';
      const fqdn = toFqdn(host, ns);
      const entries = registry.resolve(
        fqdn,
        ns,
        scopeOf(dr.spec?.exportTo, ns, ctx.meshConfig.defaultDestinationRuleExportTo),
      );
      if (entries.length === 0) {
        if (registry.absenceIsKnown(fqdn)) ctx.report('IST0174', dr, [host], { path: 'spec.host' });
        continue;
      }
      const endpoints = entries.map((e) => endpointLabels(ctx, e)).filter((l) => l !== undefined);
      if (endpoints.length === 0) continue;
      list(dr.spec?.subsets).forEach((subset, i) => {
        if (!isObject(subset)) return;
        if (endpoints.some((labels) => labels.some((l) => labelsMatch(subset.labels, l)))) return;
        ctx.report('IST0173', dr, [str(subset.name) ?? ''], { path: joinPath('spec.subsets', i, 'name') });
      });
    }
  },
});

/**
 * Label sets of the endpoints behind a Service or ServiceEntry, or undefined when the inputs cannot tell
 * (a Service without selector, an external ServiceEntry, a namespace whose workloads are not in the
 * inputs).
 */
function endpointLabels(ctx: AnalysisContext, entry: RegistryEntry): Labels[] | undefined {
  const r = entry.resource;
  const selectWorkloads = (selector: unknown): Labels[] | undefined => {
    if (!workloadsKnown(ctx, entry.namespace)) return undefined;
    return workloadsByLabel(ctx, entry.namespace)
      .matching(selector)
      .map((w) => withNodeTopology(ctx, w));
  };
  if (r.key === K.Service)
    return isEmptyLabels(r.spec?.selector) ? undefined : selectWorkloads(r.spec.selector);
  if (isObject(r.spec?.workloadSelector)) {
    const selector = r.spec.workloadSelector.labels;
    const entriesOfNs = ctx
      .each(K.WorkloadEntry)
      .filter((we) => nsOf(we) === entry.namespace && labelsMatch(selector, labelMap(we.spec?.labels)))
      .map((we) => labelMap(we.spec?.labels));
    const pods = selectWorkloads(selector);
    return pods === undefined && entriesOfNs.length === 0 ? undefined : [...(pods ?? []), ...entriesOfNs];
  }
  const inline = list(r.spec?.endpoints).filter(isObject);
  return inline.length > 0 ? inline.map((e) => labelMap(e.labels)) : undefined;
}

/** A pod's labels plus the topology labels Istio adds from its node (non-empty values only). */
function withNodeTopology(ctx: AnalysisContext, w: Workload): Labels {
  const nodeName = str(w.podSpec?.nodeName);
  if (!nodeName) return w.labels;
  const out: Record<string, string> = { ...w.labels, [HOSTNAME_LABEL]: nodeName };
  const node = ctx.get(K.Node, '', nodeName);
  const nodeLabels = labelMap(node?.metadata.labels);
  for (const key of NODE_TOPOLOGY_LABELS) if (nodeLabels[key]) out[key] = nodeLabels[key];
  return out;
}
