import { joinPath } from '../../manifests/path.js';
import type { Resource } from '../../manifests/types.js';
import { isObject, list, num, str } from '../../util/values.js';
import { defineAnalyzer, K } from '../types.js';
import { fullName } from '../util/hosts.js';
import { labelMap } from '../../kube/labels.js';

interface TlsServer {
  gw: Resource;
  selector: Record<string, string>;
  index: number;
}

/**
 * Two Gateways on the same workloads (this gateway's selector is contained in the other's; an empty
 * selector covers all) serving the same certificate on the same port: an HTTP/2 client reuses the
 * connection for the other gateway's hosts and gets 404s. The same certificate is the same
 * `credentialName`, or (both without one) the same inline certificate and key. Servers on different ports
 * never share a connection, so unlike istioctl those are not reported.
 */
export default defineAnalyzer({
  name: 'gateway.CertificateAnalyzer',
  description:
    'Finds Gateways on the same workloads and port that serve one certificate (HTTP/2 reuse causes 404s)',
  codes: ['IST0138'],
  inputs: [K.Gateway],
  analyze(ctx) {
    // Servers grouped by port and certificate: only servers of one group can share a connection.
    const groups = new Map<string, TlsServer[]>();
    for (const gw of ctx.each(K.Gateway)) {
      const selector = labelMap(gw.spec?.selector);
      list(gw.spec?.servers).forEach((server, index) => {
        const cert = isObject(server) ? certificateOf(server.tls) : undefined;
        if (cert === undefined) return;
        const key = `${num(server.port?.number)}\u0000${cert}`;
        const group = groups.get(key) ?? [];
        group.push({ gw, selector, index });
        groups.set(key, group);
      });
    }
    const reported = new Set<string>();
    for (const group of groups.values()) {
      for (const a of group) {
        for (const b of group) {
          if (a.gw === b.gw || !Object.keys(a.selector).every((k) => b.selector[k] === a.selector[k]))
            continue;
          const pair = [fullName(a.gw), fullName(b.gw)];
          const id = `${a.gw.key}|${pair.join('|')}`;
          if (reported.has(id)) continue;
          reported.add(id);
          ctx.report('IST0138', a.gw, [pair], {
            path: joinPath('spec.servers', a.index, 'tls', 'credentialName'),
          });
        }
      }
    }
  },
});

/** What identifies a server's certificate: its credentialName, else its inline certificate and key. */
function certificateOf(tls: unknown): string | undefined {
  if (!isObject(tls)) return undefined;
  const credential = str(tls.credentialName);
  if (credential) return `credential:${credential}`;
  const cert = str(tls.serverCertificate);
  const key = str(tls.privateKey);
  return cert && key ? `inline:${cert}\u0000${key}` : undefined;
}
