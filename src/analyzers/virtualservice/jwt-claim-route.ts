import { joinPath } from '../../manifests/path.js';
import type { Resource } from '../../manifests/types.js';
import { isObject, list, str, text } from '../../util/values.js';
import { defineAnalyzer, K, type Workload, WORKLOAD_INPUTS } from '../types.js';
import { fullName, nsOf } from '../util/hosts.js';
import { labelsMatch } from '../../kube/labels.js';
import { selectedWorkloads } from '../gateway/workloads.js';
import { gatewayRefs, MESH_GATEWAY, resolveGatewayRef } from './routes.js';

const CLAIM_PREFIX = '@request.auth.claims';
const GATEWAY_NAME_LABEL = 'gateway.networking.k8s.io/gateway-name';

/**
 * Routing on `@request.auth.claims…` headers only works where a RequestAuthentication validated the JWT:
 * every pod of every Istio Gateway the VirtualService binds to needs one (from the root namespace or the
 * pod's namespace, by selector or by targetRef to its Kubernetes Gateway). Gateway pods come from Pods
 * and pod templates alike; as in istioctl, no RequestAuthentication at all means every pod is reported.
 */
export default defineAnalyzer({
  name: 'virtualservice.JWTClaimRouteAnalyzer',
  description:
    'Checks that VirtualServices routing on JWT claims have a RequestAuthentication for the gateway pods',
  codes: ['IST0149'],
  inputs: [K.VirtualService, K.RequestAuthentication, K.Gateway, ...WORKLOAD_INPUTS],
  analyze(ctx) {
    const rootNs = text(ctx.meshConfig.rootNamespace ?? ctx.istioNamespace);
    const authns = ctx.each(K.RequestAuthentication);
    const protectedPod = (w: Workload) =>
      authns.some((ra) => (nsOf(ra) === rootNs || nsOf(ra) === w.namespace) && appliesTo(ra, w));

    for (const vs of ctx.each(K.VirtualService)) {
      const claim = claimHeader(vs);
      if (!claim) continue;
      for (const ref of gatewayRefs(vs)) {
        if (ref === MESH_GATEWAY) continue;
        const target = resolveGatewayRef(ref, nsOf(vs));
        const gw = ctx.get(K.Gateway, target.namespace, target.name);
        if (!gw) continue; // virtualservice.GatewayAnalyzer reports missing gateways
        for (const w of selectedWorkloads(ctx, gw.spec?.selector)) {
          if (!protectedPod(w))
            ctx.report('IST0149', vs, [claim.key, fullName(target), w.name], { path: claim.path });
        }
      }
    }
  },
});

/** The first JWT-claim header of an HTTP match (headers or withoutHeaders) and its path. */
function claimHeader(vs: Resource): { key: string; path: string } | undefined {
  const rules = list(vs.spec?.http);
  for (let i = 0; i < rules.length; i++) {
    const matches = list(isObject(rules[i]) ? rules[i].match : undefined);
    for (let j = 0; j < matches.length; j++) {
      for (const field of ['headers', 'withoutHeaders']) {
        const headers = isObject(matches[j]) ? matches[j][field] : undefined;
        if (!isObject(headers)) continue;
        const key = Object.keys(headers).find((k) => k.startsWith(CLAIM_PREFIX));
        if (key) return { key, path: joinPath('spec.http', i, 'match', j, field, key) };
      }
    }
  }
  return undefined;
}

/** Whether a RequestAuthentication applies to a workload of its namespace. */
function appliesTo(ra: Resource, w: Workload): boolean {
  const refs = [ra.spec?.targetRef, ...list(ra.spec?.targetRefs)].filter(isObject);
  if (refs.length > 0)
    return refs.some((r) => str(r.kind) === 'Gateway' && str(r.name) === w.labels[GATEWAY_NAME_LABEL]);
  return labelsMatch(isObject(ra.spec?.selector) ? ra.spec.selector.matchLabels : undefined, w.labels);
}
