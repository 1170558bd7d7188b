import { joinPath } from '../../manifests/path.js';
import { defineAnalyzer, K } from '../types.js';
import { labelMap } from '../../kube/labels.js';
import { text } from '../../util/values.js';

/** Registries istiod always knows. */
const BUILT_IN = ['Mock', 'Kubernetes', 'External'];
/** Label of the Secrets that give istiod access to remote clusters (one cluster per data key). */
const REMOTE_SECRET_LABEL = 'istio/multiCluster';

export default defineAnalyzer({
  name: 'meshnetworks.MeshNetworksAnalyzer',
  description: 'Checks that MeshNetworks endpoints name service registries (clusters) istiod knows',
  codes: ['IST0126'],
  inputs: [K.MeshNetworks, K.Secret],
  analyze(ctx) {
    const remoteSecrets = ctx
      .each(K.Secret)
      .filter((s) => labelMap(s.metadata.labels)[REMOTE_SECRET_LABEL] === 'true');
    // Offline the remote-cluster secrets (which name the other registries) usually live in the cluster only.
    if (remoteSecrets.length === 0) return;
    const known = new Set(BUILT_IN);
    for (const s of remoteSecrets)
      for (const field of ['data', 'stringData'])
        for (const cluster of Object.keys(s.body[field] ?? {})) known.add(cluster);

    for (const mn of ctx.each(K.MeshNetworks)) {
      const networks = mn.spec?.networks;
      if (!networks || typeof networks !== 'object') continue;
      for (const [name, network] of Object.entries<any>(networks)) {
        const endpoints = Array.isArray(network?.endpoints) ? network.endpoints : [];
        endpoints.forEach((e: any, i: number) => {
          if (e?.fromRegistry === undefined || known.has(text(e.fromRegistry))) return;
          ctx.report('IST0126', mn, [text(e.fromRegistry), name], {
            path: joinPath('spec.networks', name, 'endpoints', i, 'fromRegistry'),
          });
        });
      }
    }
  },
});
