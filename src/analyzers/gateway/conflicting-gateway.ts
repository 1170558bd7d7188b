import { joinPath } from '../../manifests/path.js';
import type { Resource } from '../../manifests/types.js';
import { isObject, list, num, str, text } from '../../util/values.js';
import { defineAnalyzer, K, type AnalysisContext, WORKLOAD_INPUTS } from '../types.js';
import { fullName, nsOf } from '../util/hosts.js';
import { labelMap, labelsMatch, selectorString } from '../../kube/labels.js';

interface Server {
  gw: Resource;
  index: number;
  port: number;
  bind: string;
  /** Hosts with the namespace part resolved (`*\/h` → `h`, `./h` → `<gateway ns>/h`). */
  hosts: string[];
  rawHosts: string[];
}

/**
 * Two Gateways on the same workloads (identical selectors, or one selector contained in the other and a
 * workload that both pick) with servers on the same port and bind address that claim the same host: one
 * of the servers is dropped. Hosts compare exactly (a wildcard and a name under it are served side by
 * side, not in conflict). Reported once per conflicting server.
 */
export default defineAnalyzer({
  name: 'gateway.ConflictingGatewayAnalyzer',
  description: 'Finds Gateways that select the same workloads and claim the same port and host',
  codes: ['IST0145'],
  inputs: [K.Gateway, ...WORKLOAD_INPUTS],
  analyze(ctx) {
    const servers = ctx.each(K.Gateway).flatMap(serversOf);
    // Servers by port, bind address and host: only servers of one bucket can conflict.
    const buckets = new Map<string, Server[]>();
    const bucketKeys = (s: Server) => s.hosts.map((h) => `${s.port}\u0000${s.bind}\u0000${h}`);
    for (const s of servers) {
      for (const key of bucketKeys(s)) {
        const bucket = buckets.get(key) ?? [];
        if (!bucket.includes(s)) bucket.push(s);
        buckets.set(key, bucket);
      }
    }
    for (const s of servers) {
      const candidates = new Set(bucketKeys(s).flatMap((key) => buckets.get(key) ?? []));
      const others = [...candidates].filter((o) => o.gw !== s.gw && shareWorkloads(ctx, s.gw, o.gw));
      if (others.length === 0) continue;
      const names = [...new Set(others.map((o) => fullName(o.gw)))].sort().join(',');
      ctx.report(
        'IST0145',
        s.gw,
        [names, selectorString(s.gw.spec?.selector), String(s.port), s.rawHosts.join(',')],
        { path: joinPath('spec.servers', s.index, 'port', 'number') },
      );
    }
  },
});

function serversOf(gw: Resource): Server[] {
  const out: Server[] = [];
  list(gw.spec?.servers).forEach((server, index) => {
    if (!isObject(server)) return;
    const port = num(server.port?.number);
    if (port === undefined) return;
    const rawHosts = list(server.hosts).map(text);
    const hosts = rawHosts.map((h) => {
      if (h.startsWith('*/')) return h.slice(2);
      if (h.startsWith('./')) return `${nsOf(gw)}/${h.slice(2)}`;
      return h;
    });
    out.push({ gw, index, port, bind: str(server.bind) ?? '', hosts, rawHosts });
  });
  return out;
}

/** Whether two Gateways configure the same proxies. */
function shareWorkloads(ctx: AnalysisContext, a: Resource, b: Resource): boolean {
  const sa = labelMap(a.spec?.selector);
  const sb = labelMap(b.spec?.selector);
  if (selectorString(sa) === selectorString(sb)) return true;
  const within = (x: Record<string, string>, y: Record<string, string>) =>
    Object.keys(x).every((k) => y[k] === x[k]);
  if (!within(sa, sb) && !within(sb, sa)) return false;
  return ctx.selectable().some((w) => labelsMatch(sa, w.labels) && labelsMatch(sb, w.labels));
}
