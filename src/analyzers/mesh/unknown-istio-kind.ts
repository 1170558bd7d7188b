import { istioKindProblem, isIstioGroup } from '../../manifests/kinds.js';
import { ANY_KIND, defineAnalyzer } from '../types.js';

/**
 * istioctl silently ignores an Istio-group document whose kind or version is not served (a typo in
 * apiVersion makes the whole object vanish from analysis). mesh says so.
 */
export default defineAnalyzer({
  name: 'mesh.UnknownIstioKindAnalyzer',
  description: 'Reports documents in an Istio API group whose kind or version Istio does not serve',
  codes: ['MSH1006'],
  inputs: [ANY_KIND],
  analyze(ctx) {
    for (const r of ctx.all()) {
      if (!isIstioGroup(r.group) || r.group === 'mesh.istio.io' || !r.origin.file) continue;
      const problem = istioKindProblem(r.group, r.version, r.kind);
      if (problem) ctx.report('MSH1006', r, [problem], { path: 'apiVersion' });
    }
  },
});
