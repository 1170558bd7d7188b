import type { Resource } from '../../manifests/types.js';
import { workloadsByLabel } from '../util/labels.js';
import { isEmptyLabels, SelectorIndex } from '../../kube/labels.js';
import { defineAnalyzer, K, type AnalysisContext, WORKLOAD_INPUTS } from '../types.js';
import {
  isNamespaceWide,
  meshWidePolicy,
  mtlsMode,
  namespacePolicy,
  refOf,
  type MtlsMode,
} from './peer-authn.js';
import { text } from '../../util/values.js';

/** The namespace/name of the Kubernetes Service a DestinationRule host names, when it names one. */
function serviceOf(
  ctx: AnalysisContext,
  host: string,
  drNamespace: string,
): { namespace: string; name: string } | undefined {
  if (host.includes('*')) return undefined;
  const parts = host.split('.');
  if (parts.length === 1) return { namespace: drNamespace, name: host };
  if (parts.length >= 4 && parts[2] === 'svc') return { namespace: parts[1]!, name: parts[0]! };
  if (parts.length === 2 && ctx.get(K.Service, parts[1]!, parts[0]!))
    return { namespace: parts[1]!, name: parts[0]! };
  return undefined;
}

/** What decides mTLS in one namespace: its workload-specific policies and its namespace-wide one. */
interface NamespacePolicies {
  /** Workload-specific policies with a mode, in input order, and by selector. */
  specific: Resource[];
  specificBySelector: SelectorIndex<Resource>;
  namespaceWide: Resource | undefined;
}

/** PeerAuthentications by namespace, worked out once per namespace. */
class PolicyIndex {
  private readonly byNamespace = new Map<string, NamespacePolicies>();
  private readonly mesh: Resource | undefined;

  constructor(private readonly ctx: AnalysisContext) {
    const pas = ctx.each(K.PeerAuthentication);
    const mesh = meshWidePolicy(pas, text(ctx.meshConfig.rootNamespace ?? 'istio-system'));
    this.mesh = mesh && mtlsMode(mesh) !== 'UNSET' ? mesh : undefined;
  }

  private inNamespace(namespace: string): NamespacePolicies {
    let policies = this.byNamespace.get(namespace);
    if (!policies) {
      const pas = this.ctx.eachIn(K.PeerAuthentication, namespace);
      const ns = namespacePolicy(pas, namespace);
      const specific = pas.filter((pa) => !isNamespaceWide(pa) && mtlsMode(pa) !== 'UNSET');
      policies = {
        specific,
        specificBySelector: new SelectorIndex(specific, (pa) => pa.spec?.selector?.matchLabels),
        namespaceWide: ns && mtlsMode(ns) !== 'UNSET' ? ns : undefined,
      };
      this.byNamespace.set(namespace, policies);
    }
    return policies;
  }

  /** The PeerAuthentication that decides mTLS for a Service's workloads: workload, namespace, then mesh. */
  effectivePolicy(svc: { namespace: string; name: string }): Resource | undefined {
    const { specific, specificBySelector, namespaceWide } = this.inNamespace(svc.namespace);
    const selector = this.ctx.get(K.Service, svc.namespace, svc.name)?.spec?.selector;
    if (specific.length > 0 && !isEmptyLabels(selector)) {
      // The first policy (in input order) that selects one of the Service's workloads.
      const selecting = new Set<Resource>();
      for (const w of workloadsByLabel(this.ctx, svc.namespace).matching(selector))
        for (const pa of specificBySelector.matching(w.labels)) selecting.add(pa);
      const hit = specific.find((pa) => selecting.has(pa));
      if (hit) return hit;
    }
    return namespaceWide ?? this.mesh;
  }
}

function conflicts(drMode: string, serverMode: MtlsMode): boolean {
  if (serverMode === 'STRICT') return drMode === 'DISABLE' || drMode === 'SIMPLE' || drMode === 'MUTUAL';
  if (serverMode === 'DISABLE') return drMode === 'ISTIO_MUTUAL';
  return false;
}

/**
 * MSH1004: a DestinationRule TLS mode that the server side's PeerAuthentication will refuse: plaintext or
 * non-Istio TLS towards STRICT workloads, Istio mTLS towards workloads whose mTLS is DISABLEd. Checks the
 * top-level, port-level and subset traffic policies. Port-level PeerAuthentication is not considered.
 */
export default defineAnalyzer({
  name: 'mesh.DestinationRuleTlsConflictAnalyzer',
  description: 'Finds DestinationRule TLS modes that conflict with the PeerAuthentication of the destination',
  inputs: [K.DestinationRule, K.PeerAuthentication, K.Service, K.MeshConfig, ...WORKLOAD_INPUTS],
  requires: [K.PeerAuthentication],
  analyze(ctx) {
    const index = new PolicyIndex(ctx);
    for (const dr of ctx.each(K.DestinationRule)) {
      const host = dr.spec?.host;
      if (typeof host !== 'string') continue;
      const svc = serviceOf(ctx, host, dr.namespace ?? '');
      if (!svc) continue;
      const pa = index.effectivePolicy(svc);
      if (!pa) continue;
      const serverMode = mtlsMode(pa);
      const check = (policy: any, path: string) => {
        const mode = policy?.tls?.mode;
        if (typeof mode === 'string' && conflicts(mode, serverMode)) {
          ctx.report('MSH1004', dr, [mode, host, refOf(pa), serverMode], { path: `${path}.tls.mode` });
        }
        const ports: any[] = Array.isArray(policy?.portLevelSettings) ? policy.portLevelSettings : [];
        ports.forEach((p, i) => {
          const m = p?.tls?.mode;
          if (typeof m === 'string' && conflicts(m, serverMode))
            ctx.report('MSH1004', dr, [m, `${host}:${p?.port?.number ?? '?'}`, refOf(pa), serverMode], {
              path: `${path}.portLevelSettings[${i}].tls.mode`,
            });
        });
      };
      check(dr.spec?.trafficPolicy, 'spec.trafficPolicy');
      const subsets: any[] = Array.isArray(dr.spec?.subsets) ? dr.spec.subsets : [];
      subsets.forEach((s, i) => check(s?.trafficPolicy, `spec.subsets[${i}].trafficPolicy`));
    }
  },
});
