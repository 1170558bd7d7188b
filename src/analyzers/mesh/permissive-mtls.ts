import { defineAnalyzer, K } from '../types.js';
import type { Resource } from '../../manifests/types.js';
import { isNamespaceWide, meshWidePolicy, mtlsMode, refOf } from './peer-authn.js';
import { text } from '../../util/values.js';

/**
 * MSH1002: a PeerAuthentication that keeps PERMISSIVE mTLS (policy-wide or for a port) where the mesh is
 * STRICT (the mesh-wide policy), or where its own namespace is STRICT (a workload-level leftover).
 */
export default defineAnalyzer({
  name: 'mesh.PermissiveMtlsAnalyzer',
  description: 'Finds PERMISSIVE mTLS left behind where the mesh or the namespace is STRICT',
  codes: ['MSH1002'],
  inputs: [K.PeerAuthentication, K.MeshConfig],
  analyze(ctx) {
    const pas = ctx.each(K.PeerAuthentication);
    const root = text(ctx.meshConfig.rootNamespace ?? 'istio-system');
    const mesh = meshWidePolicy(pas, root);
    const meshStrict = mesh !== undefined && mtlsMode(mesh) === 'STRICT';
    const nsPolicies = new Map<string, Resource>();
    for (const pa of pas)
      if (isNamespaceWide(pa) && !nsPolicies.has(pa.namespace ?? '')) nsPolicies.set(pa.namespace ?? '', pa);
    for (const pa of pas) {
      if (pa === mesh) continue;
      const nsPolicy = nsPolicies.get(pa.namespace ?? '');
      let strictScope: string | undefined;
      if (!isNamespaceWide(pa) && nsPolicy && mtlsMode(nsPolicy) === 'STRICT')
        strictScope = `namespace ${pa.namespace} (${refOf(nsPolicy)})`;
      else if (meshStrict) strictScope = `the mesh (${refOf(mesh!)})`;
      if (!strictScope) continue;
      const where = isNamespaceWide(pa) ? (pa.namespace ?? '') : `${pa.namespace} for the selected workloads`;
      if (mtlsMode(pa) === 'PERMISSIVE')
        ctx.report('MSH1002', pa, ['PERMISSIVE', where, strictScope], { path: 'spec.mtls.mode' });
      const ports = pa.spec?.portLevelMtls;
      if (ports && typeof ports === 'object') {
        for (const [port, setting] of Object.entries(ports as Record<string, any>)) {
          if (setting?.mode === 'PERMISSIVE')
            ctx.report('MSH1002', pa, [`PERMISSIVE on port ${port}`, where, strictScope], {
              path: `spec.portLevelMtls["${port}"].mode`,
            });
        }
      }
    }
  },
});
