import { joinPath } from '../../manifests/path.js';
import type { Resource } from '../../manifests/types.js';
import { isObject, list, num, str } from '../../util/values.js';
import { defineAnalyzer, K, type AnalysisContext } from '../types.js';
import { fullName, nsOf } from '../util/hosts.js';

const ORIGINATING = new Set(['SIMPLE', 'MUTUAL']);

/**
 * TLS origination (SIMPLE or MUTUAL) without `caCertificates` does not verify the server. Checked on the
 * DestinationRule's traffic policy and on each subset's (istioctl skips subsets), at destination and at
 * port level. Not reported when `insecureSkipVerify: true` says so explicitly, or when a `credentialName`
 * supplies the CA to the gateway a `workloadSelector` picks.
 */
export default defineAnalyzer({
  name: 'destinationrule.CaCertificateAnalyzer',
  description:
    'Finds DestinationRules using SIMPLE or MUTUAL TLS without caCertificates to verify the server',
  codes: ['IST0128', 'IST0129'],
  inputs: [K.DestinationRule],
  analyze(ctx) {
    for (const dr of ctx.each(K.DestinationRule)) {
      checkPolicy(ctx, dr, dr.spec?.trafficPolicy, 'spec.trafficPolicy');
      list(dr.spec?.subsets).forEach((s, i) => {
        if (isObject(s) && isObject(s.trafficPolicy))
          checkPolicy(ctx, dr, s.trafficPolicy, joinPath('spec.subsets', i, 'trafficPolicy'));
      });
    }
  },
});

function checkPolicy(ctx: AnalysisContext, dr: Resource, policy: unknown, path: string): void {
  if (!isObject(policy)) return;
  const host = str(dr.spec?.host) ?? '';
  const mode = unverifiedMode(dr, policy.tls);
  // istioctl's arguments: the full name, and the port selector as Go prints it (`number:8443`, `<nil>`)
  if (mode) ctx.report('IST0128', dr, [fullName(dr), nsOf(dr), mode, host], { path: `${path}.tls.mode` });
  list(policy.portLevelSettings).forEach((p, i) => {
    const portMode = isObject(p) ? unverifiedMode(dr, p.tls) : undefined;
    if (!portMode) return;
    const port = num(p.port?.number);
    ctx.report(
      'IST0129',
      dr,
      [fullName(dr), nsOf(dr), portMode, host, port === undefined ? '<nil>' : `number:${port}`],
      {
        path: joinPath(path, 'portLevelSettings', i, 'tls', 'mode'),
      },
    );
  });
}

/** The TLS mode when it originates TLS without a way to verify the server, else undefined. */
function unverifiedMode(dr: Resource, tls: unknown): string | undefined {
  if (!isObject(tls)) return undefined;
  const mode = str(tls.mode)?.toUpperCase();
  if (!mode || !ORIGINATING.has(mode)) return undefined;
  if (str(tls.caCertificates) || tls.insecureSkipVerify === true) return undefined;
  if (str(tls.credentialName) && isObject(dr.spec?.workloadSelector)) return undefined;
  return mode;
}
