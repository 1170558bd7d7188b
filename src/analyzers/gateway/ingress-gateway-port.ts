import { joinPath } from '../../manifests/path.js';
import { isObject, list, num, str } from '../../util/values.js';
import { defineAnalyzer, K, type AnalysisContext, type Workload, WORKLOAD_INPUTS } from '../types.js';
import { nsOf } from '../util/hosts.js';
import { isSynthetic } from '../util/labels.js';
import { isEmptyLabels, labelsMatch, selectorString } from '../../kube/labels.js';
import { reportSelectorNotFound, selectedWorkloads } from './workloads.js';

/**
 * Each Gateway server port must be reachable through a Service of the gateway workload: a TCP service
 * port, or a numeric targetPort (Istio listens on the target port when the server names the service
 * port). Gateway workloads are Pods and pod templates (Deployments, …) that the selector picks; offline the
 * ports are only judged against Services from the inputs (the default ingress Service mesh assumes is not
 * proof that a custom port is missing).
 */
export default defineAnalyzer({
  name: 'gateway.IngressGatewayPortAnalyzer',
  description:
    'Checks that each Gateway server port is a target port of the Service in front of the gateway pods',
  codes: ['IST0101', 'IST0162'],
  inputs: [K.Gateway, K.Service, ...WORKLOAD_INPUTS],
  analyze(ctx) {
    // Gateways mostly share a handful of selectors: work out the exposed ports once per selector.
    const bySelector = new Map<string, ExposedPorts | undefined>();
    for (const gw of ctx.each(K.Gateway)) {
      const selector = gw.spec?.selector;
      const key = selectorString(selector);
      if (!bySelector.has(key)) bySelector.set(key, exposedPorts(ctx, selectedWorkloads(ctx, selector)));
      const exposed = bySelector.get(key);
      if (!exposed) {
        reportSelectorNotFound(ctx, gw);
        continue;
      }
      if (!exposed.judged) continue;
      list(gw.spec?.servers).forEach((server, i) => {
        const port = isObject(server) ? num(server.port?.number) : undefined;
        if (port === undefined || exposed.ports.has(port)) return;
        ctx.report('IST0162', gw, [port, key], { path: joinPath('spec.servers', i, 'port', 'number') });
      });
    }
  },
});

interface ExposedPorts {
  /** TCP service ports and numeric target ports of the Services that select the workloads. */
  ports: Set<number>;
  /** False offline when no Service from the inputs selects the workloads (nothing to judge against). */
  judged: boolean;
}

/** The ports the gateway workloads are reachable on, or undefined when there are no workloads. */
function exposedPorts(ctx: AnalysisContext, selected: readonly Workload[]): ExposedPorts | undefined {
  if (selected.length === 0) return undefined;
  const out: ExposedPorts = { ports: new Set(), judged: false };
  for (const svc of ctx.each(K.Service)) {
    const svcSelector = svc.spec?.selector;
    if (isEmptyLabels(svcSelector)) continue;
    if (!selected.some((w) => w.namespace === nsOf(svc) && labelsMatch(svcSelector, w.labels))) continue;
    if (!isSynthetic(svc)) out.judged = true;
    for (const p of list(svc.spec?.ports)) {
      if (!isObject(p) || (str(p.protocol) ?? 'TCP').toUpperCase() !== 'TCP') continue;
      const port = num(p.port);
      const target = num(p.targetPort);
      if (port !== undefined) out.ports.add(port);
      if (target !== undefined && target > 0) out.ports.add(target);
    }
  }
  return out;
}
