import { joinPath } from '../../manifests/path.js';
import { isObject, list, str } from '../../util/values.js';
import { defineAnalyzer, K, type AnalysisContext, WORKLOAD_INPUTS } from '../types.js';
import { nsOf } from '../util/hosts.js';
import { firstSelectorKey, labelMap, labelsMatch, type Labels } from '../../kube/labels.js';

const GATEWAY_NAME_LABEL = 'gateway.networking.k8s.io/gateway-name';
const POLICY_KINDS = [K.AuthorizationPolicy, K.RequestAuthentication, K.Telemetry, K.WasmPlugin];
const GATEWAY_CLASS = 'gateway.networking.k8s.io/GatewayClass';
/** GatewayClasses for which Istio deploys the gateway pods itself. */
const ISTIO_CLASSES = new Set(['istio', 'istio-waypoint', 'istio-east-west']);
const ISTIO_CONTROLLERS = new Set(['istio.io/gateway-controller', 'istio.io/mesh-controller']);

interface GatewayPod {
  namespace: string;
  labels: Labels;
}

/**
 * A policy that picks Kubernetes Gateway pods with a workload `selector` has no effect on them: they must
 * be targeted with `targetRef(s)`. Gateway pods are pods or templates labelled with the gateway name;
 * offline, where the pods Istio deploys for a Gateway are not in the manifests, each Gateway of an Istio
 * class stands for its pods (labels: the gateway name plus `spec.infrastructure.labels`). A cluster holds
 * the pods themselves: there only they count, as in istioctl.
 */
export default defineAnalyzer({
  name: 'k8sgateway.SelectorAnalyzer',
  description:
    'Finds policies that pick Kubernetes Gateway pods by selector, which has no effect (use targetRefs)',
  codes: ['IST0166'],
  inputs: [...POLICY_KINDS, K.GatewayAPIGateway, GATEWAY_CLASS, ...WORKLOAD_INPUTS],
  analyze(ctx) {
    const pods = gatewayPods(ctx);
    if (pods.length === 0) return;
    for (const kind of POLICY_KINDS) {
      for (const policy of ctx.each(kind)) {
        const spec = policy.spec;
        if (!isObject(spec) || isObject(spec.targetRef) || list(spec.targetRefs).length > 0) continue;
        if (!isObject(spec.selector)) continue;
        const matchLabels = spec.selector.matchLabels;
        const names = new Set(
          pods
            .filter((p) => p.namespace === nsOf(policy) && labelsMatch(matchLabels, p.labels))
            .map((p) => p.labels[GATEWAY_NAME_LABEL]),
        );
        if (names.size === 0) continue;
        const key = firstSelectorKey(matchLabels);
        const path = key === undefined ? 'spec.selector' : joinPath('spec.selector.matchLabels', key);
        for (const name of names) ctx.report('IST0166', policy, [name], { path });
      }
    }
  },
});

function gatewayPods(ctx: AnalysisContext): GatewayPod[] {
  const out: GatewayPod[] = ctx
    .selectable()
    .filter((w) => GATEWAY_NAME_LABEL in w.labels)
    .map((w) => ({ namespace: w.namespace, labels: w.labels }));
  if (ctx.complete) return out;
  const classes = new Set(ISTIO_CLASSES);
  for (const gc of ctx.each(GATEWAY_CLASS))
    if (ISTIO_CONTROLLERS.has(str(gc.spec?.controllerName) ?? '')) classes.add(gc.name);
  for (const gw of ctx.each(K.GatewayAPIGateway)) {
    if (!classes.has(str(gw.spec?.gatewayClassName) ?? '')) continue;
    const labels = { ...labelMap(gw.spec?.infrastructure?.labels), [GATEWAY_NAME_LABEL]: gw.name };
    out.push({ namespace: nsOf(gw), labels });
  }
  return out;
}
