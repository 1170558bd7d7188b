import { joinPath } from '../../manifests/path.js';
import { isObject, list, num, str } from '../schema/rules/common.js';
import { defineAnalyzer, K } from '../types.js';
import { nsOf } from '../util/hosts.js';
import { isEmptyLabels, isSynthetic, labelsMatch, selectorString } from '../util/labels.js';
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
  description: "Checks a gateway's ports against the gateway's Kubernetes service ports",
  inputs: [K.Gateway, K.Pod, K.Service],
  analyze(ctx) {
    for (const gw of ctx.each(K.Gateway)) {
      const selector = gw.spec?.selector;
      const selected = selectedWorkloads(ctx, selector);
      if (selected.length === 0) {
        reportSelectorNotFound(ctx, gw);
        continue;
      }
      const ports = new Set<number>();
      let judged = ctx.harness;
      for (const svc of ctx.each(K.Service)) {
        const svcSelector = svc.spec?.selector;
        if (isEmptyLabels(svcSelector)) continue;
        if (!selected.some((w) => w.namespace === nsOf(svc) && labelsMatch(svcSelector, w.labels))) continue;
        if (!isSynthetic(svc)) judged = true;
        for (const p of list(svc.spec?.ports)) {
          if (!isObject(p) || (str(p.protocol) ?? 'TCP').toUpperCase() !== 'TCP') continue;
          const port = num(p.port);
          const target = num(p.targetPort);
          if (port !== undefined) ports.add(port);
          if (target !== undefined && target > 0) ports.add(target);
        }
      }
      if (!judged) continue;
      list(gw.spec?.servers).forEach((server, i) => {
        const port = isObject(server) ? num(server.port?.number) : undefined;
        if (port === undefined || ports.has(port)) return;
        ctx.report('IST0162', gw, [port, selectorString(selector)], {
          path: joinPath('spec.servers', i, 'port', 'number'),
        });
      });
    }
  },
});
