import type { Resource } from '../../manifests/types.js';
import { defineAnalyzer, K, type AnalysisContext } from '../types.js';
import { text } from '../../util/values.js';
import { goParseIP, goURLHostname } from '../../util/go-net.js';

/**
 * Checks where a webhook of an Istio webhook configuration sends its requests. A URL means istiod runs
 * outside this cluster (external control plane): it must be a URL Go's url.Parse accepts, preferably
 * naming a host rather than an IP address (as net.ParseIP reads it; `https://10.1/` names a host). Without
 * URL and Service the webhook has nowhere to go. An empty URL parses and names no host, so, as in
 * istioctl, it is not reported.
 */
function checkWebhooks(ctx: AnalysisContext, r: Resource): void {
  const hooks = Array.isArray(r.body.webhooks) ? r.body.webhooks : [];
  hooks.forEach((hook: any, i: number) => {
    const name = text(hook?.name ?? '');
    const url = hook?.clientConfig?.url;
    if (typeof url === 'string') {
      const path = `webhooks[${i}].clientConfig.url`;
      const host = goURLHostname(url);
      if (host === undefined)
        ctx.report('IST0163', r, [url, name, 'was provided in an invalid format'], { path });
      else if (goParseIP(host)) ctx.report('IST0164', r, [url, name], { path });
    } else if (!hook?.clientConfig?.service) {
      ctx.report('IST0163', r, ['', name, 'is blank'], { path: `webhooks[${i}].clientConfig` });
    }
  });
}

export default defineAnalyzer({
  name: 'externalcontrolplane.ExternalControlPlaneAnalyzer',
  description:
    'Checks the addresses the Istio webhooks of a remote cluster use to reach an external control plane',
  codes: ['IST0163', 'IST0164'],
  inputs: [K.ValidatingWebhookConfiguration, K.MutatingWebhookConfiguration],
  analyze(ctx) {
    for (const r of ctx.each(K.ValidatingWebhookConfiguration))
      if (r.name === 'istiod-default-validator' || r.name.startsWith('istio-validator'))
        checkWebhooks(ctx, r);
    for (const r of ctx.each(K.MutatingWebhookConfiguration))
      if (r.name.startsWith('istio-sidecar-injector')) checkWebhooks(ctx, r);
  },
});
