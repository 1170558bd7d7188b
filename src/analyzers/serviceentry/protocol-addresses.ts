import { joinPath } from '../../manifests/path.js';
import { isObject, list, str } from '../../util/values.js';
import { defineAnalyzer, K } from '../types.js';
import { labelMap } from '../../kube/labels.js';

/**
 * A ServiceEntry port with TCP or no protocol needs `addresses` (or an allocated `status.addresses`) unless
 * the mesh has the DNS proxy allocate them (`ISTIO_META_DNS_CAPTURE` plus `ISTIO_META_DNS_AUTO_ALLOCATE` or
 * `PILOT_ENABLE_IP_AUTOALLOCATE` in meshConfig.defaultConfig.proxyMetadata): without an address the
 * listener is 0.0.0.0:<port> and captures every destination on that port.
 */
export default defineAnalyzer({
  name: 'serviceentry.Analyzer',
  description:
    'Finds ServiceEntries with TCP or unset-protocol ports but no addresses, where none are auto-allocated',
  codes: ['IST0134'],
  inputs: [K.ServiceEntry, K.MeshConfig],
  analyze(ctx) {
    const metadata = labelMap(ctx.meshConfig.defaultConfig?.proxyMetadata);
    const autoAllocated =
      metadata.ISTIO_META_DNS_CAPTURE === 'true' &&
      (metadata.ISTIO_META_DNS_AUTO_ALLOCATE === 'true' || metadata.PILOT_ENABLE_IP_AUTOALLOCATE === 'true');
    if (autoAllocated) return;
    for (const se of ctx.each(K.ServiceEntry)) {
      if (list(se.spec?.addresses).length > 0 || list(se.body.status?.addresses).length > 0) continue;
      list(se.spec?.ports).forEach((port, i) => {
        if (!isObject(port)) return;
        const protocol = str(port.protocol) ?? '';
        if (protocol !== '' && protocol.toUpperCase() !== 'TCP') return;
        ctx.report('IST0134', se, [], { path: joinPath('spec.ports', i, protocol ? 'protocol' : 'number') });
      });
    }
  },
});
