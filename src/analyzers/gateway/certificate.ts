import { joinPath } from '../../manifests/path.js';
import type { Resource } from '../../manifests/types.js';
import { isObject, list, num, str } from '../../util/values.js';
import { defineAnalyzer, K } from '../types.js';
import { fullName } from '../util/hosts.js';
import { labelMap } from '../../kube/labels.js';

interface TlsServer {
  gw: Resource;
  selector: Record<string, string>;
  /** The selector's keys. */
  keys: string[];
  /** Where a finding on the server points (one string for all of them: there can be a finding per Gateway). */
  path: string;
  /** `ns/name`, and the Gateway's number (one per name). */
  name: string;
  id: number;
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
    const ids = new Map<string, number>();
    const servers: number[] = []; // Gateway number → its servers in any group
    for (const gw of ctx.each(K.Gateway)) {
      const selector = labelMap(gw.spec?.selector);
      const keys = Object.keys(selector);
      const name = fullName(gw);
      list(gw.spec?.servers).forEach((server, index) => {
        const cert = isObject(server) ? certificateOf(server.tls) : undefined;
        if (cert === undefined) return;
        const key = `${num(server.port?.number)}\u0000${cert}`;
        const group = groups.get(key) ?? [];
        let id = ids.get(name);
        if (id === undefined) ids.set(name, (id = ids.size));
        servers[id] = (servers[id] ?? 0) + 1;
        group.push({
          gw,
          selector,
          keys,
          path: joinPath('spec.servers', index, 'tls', 'credentialName'),
          name,
          id,
        });
        groups.set(key, group);
      });
    }
    // Each pair of Gateways is reported once. Only a pair with a Gateway that has several such servers can
    // meet again (in another group, or in the same one twice), so only those pairs are remembered: many
    // Gateways sharing one certificate are a million pairs, and remembering each cost more than reporting it.
    const reported = new Set<number>();
    for (const group of groups.values()) {
      for (const a of group) {
        for (const b of group) {
          if (a.gw === b.gw || !a.keys.every((k) => b.selector[k] === a.selector[k])) continue;
          if (servers[a.id]! > 1 || servers[b.id]! > 1) {
            const pair = a.id * ids.size + b.id;
            if (reported.has(pair)) continue;
            reported.add(pair);
          }
          ctx.report('IST0138', a.gw, [[a.name, b.name]], { path: a.path });
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
