import { defineAnalyzer, K } from '../types.js';
import { labelMap } from '../../kube/labels.js';

const ENV = 'BLOCKED_CIDRS_IN_JWKS_URIS';
const SHOWN = 5;

export default defineAnalyzer({
  name: 'authn.BlockedCIDRsAnalyzer',
  description:
    'Warns when RequestAuthentications exist but istiod does not limit the addresses jwksUri may fetch (BLOCKED_CIDRS_IN_JWKS_URIS)',
  codes: ['IST0175'],
  inputs: [K.RequestAuthentication, K.Deployment],
  analyze(ctx) {
    const ras = ctx
      .each(K.RequestAuthentication)
      .map((r) => (r.namespace ? `${r.namespace}/${r.name}` : r.name));
    if (ras.length === 0) return;
    const names =
      ras.length <= SHOWN
        ? ras.join(', ')
        : `${ras.slice(0, SHOWN).join(', ')}, and ${ras.length - SHOWN} more`;
    for (const d of ctx.each(K.Deployment)) {
      if (labelMap(d.metadata.labels).app !== 'istiod') continue;
      const containers: any[] = Array.isArray(d.spec?.template?.spec?.containers)
        ? d.spec.template.spec.containers
        : [];
      const configured = containers.some(
        (c) =>
          Array.isArray(c?.env) &&
          c.env.some((e: any) => e?.name === ENV && e.value != null && e.value !== ''),
      );
      if (configured) continue;
      // Point at the env list of istiod's discovery container, where the variable belongs.
      let i = containers.findIndex((c) => c?.name === 'discovery');
      if (i < 0) i = 0;
      const path = containers[i]?.env
        ? `spec.template.spec.containers[${i}].env`
        : containers[i]
          ? `spec.template.spec.containers[${i}]`
          : 'spec.template.spec';
      ctx.report('IST0175', d, [ras.length, names], { path });
    }
  },
});
