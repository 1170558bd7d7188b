import { joinPath } from '../../manifests/path.js';
import type { Resource } from '../../manifests/types.js';
import { isObject, list, num, str } from '../schema/rules/common.js';
import { defineAnalyzer, K } from '../types.js';
import { fullName } from '../util/hosts.js';
import { labelMap } from '../util/labels.js';

/**
 * Two Gateways on the same workloads (this gateway's selector is contained in the other's; an empty
 * selector covers all) serving the same certificate on the same port: an HTTP/2 client reuses the
 * connection for the other gateway's hosts and gets 404s. Servers on different ports never share a
 * connection, so unlike istioctl those are not reported.
 */
export default defineAnalyzer({
  name: 'gateway.CertificateAnalyzer',
  description: 'Checks a gateway certificate',
  inputs: [K.Gateway],
  analyze(ctx) {
    const gateways = ctx.each(K.Gateway);
    for (const gw of gateways) {
      const selector = labelMap(gw.spec?.selector);
      for (const other of gateways) {
        if (other === gw) continue;
        const otherSelector = labelMap(other.spec?.selector);
        if (!Object.entries(selector).every(([k, v]) => otherSelector[k] === v)) continue;
        const index = sharedCertificateServer(gw, other);
        if (index === undefined) continue;
        ctx.report('IST0138', gw, [[fullName(gw), fullName(other)]], {
          path: joinPath('spec.servers', index, 'tls', 'credentialName'),
        });
      }
    }
  },
});

/** Index of the first server of `gw` that shares port and certificate with a server of `other`. */
function sharedCertificateServer(gw: Resource, other: Resource): number | undefined {
  const servers = list(gw.spec?.servers);
  for (let i = 0; i < servers.length; i++) {
    const a = servers[i];
    if (!isObject(a) || !isObject(a.tls)) continue;
    for (const b of list(other.spec?.servers)) {
      if (!isObject(b) || !isObject(b.tls)) continue;
      if (num(a.port?.number) !== num(b.port?.number)) continue;
      if (sameCertificate(a.tls, b.tls)) return i;
    }
  }
  return undefined;
}

/** Same credentialName, or (both without one) the same inline certificate and private key. */
function sameCertificate(a: Record<string, any>, b: Record<string, any>): boolean {
  const ca = str(a.credentialName);
  const cb = str(b.credentialName);
  if (ca && cb) return ca === cb;
  if (ca || cb) return false;
  const certA = str(a.serverCertificate);
  const keyA = str(a.privateKey);
  return Boolean(certA && keyA && certA === str(b.serverCertificate) && keyA === str(b.privateKey));
}
