import { joinPath } from '../../manifests/path.js';
import { defineAnalyzer, K } from '../types.js';
import { labelMap } from '../../kube/labels.js';
import { ownValue } from '../../util/values.js';

const BUNDLE_VERSION = 'gateway.networking.k8s.io/bundle-version';

/** Oldest Gateway API bundle whose CRD Istio still watches, per CRD. */
const MINIMUM_VERSIONS: Record<string, string> = {
  'grpcroutes.gateway.networking.k8s.io': '1.1.0',
  'backendtlspolicies.gateway.networking.k8s.io': '1.4.0',
  'tlsroutes.gateway.networking.k8s.io': '1.5.0',
  'tcproutes.gateway.networking.k8s.io': '1.6.0',
};

/**
 * A Gateway API CRD from a bundle older than Istio needs is ignored by Istio: its objects are never
 * programmed. Read from the `gateway.networking.k8s.io/bundle-version` annotation (pre-release suffixes
 * ignored for the comparison).
 */
export default defineAnalyzer({
  name: 'k8sgateway.CRDVersionAnalyzer',
  description: 'Reports Gateway API CRDs from a bundle older than the one this Istio release needs',
  codes: ['IST0176'],
  inputs: [K.CustomResourceDefinition],
  analyze(ctx) {
    for (const crd of ctx.each(K.CustomResourceDefinition)) {
      const minimum = ownValue(MINIMUM_VERSIONS, crd.name);
      const installed = parseVersion(labelMap(crd.metadata.annotations)[BUNDLE_VERSION]);
      if (!minimum || !installed) continue;
      if (compare(installed.core, parseVersion(minimum)!.core) >= 0) continue;
      ctx.report('IST0176', crd, [crd.name, installed.text, minimum], {
        path: joinPath('metadata.annotations', BUNDLE_VERSION),
      });
    }
  },
});

/**
 * `v1.4.1-rc.1+build.5` → core [1, 4, 1] and the canonical text `1.4.1-rc.1+build.5` (as istioctl prints
 * it: no `v`, pre-release and build metadata kept); missing minor/patch count as 0.
 */
function parseVersion(v: string | undefined): { core: number[]; text: string } | undefined {
  const m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+([0-9A-Za-z.-]+))?$/.exec(
    v?.trim() ?? '',
  );
  if (!m) return undefined;
  const core = [m[1], m[2] ?? '0', m[3] ?? '0'].map(Number);
  return { core, text: core.join('.') + (m[4] ? `-${m[4]}` : '') + (m[5] ? `+${m[5]}` : '') };
}

function compare(a: number[], b: number[]): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}
