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
    const buckets = new Map<string, Set<Server>>();
    const bucketKeys = (s: Server) => s.hosts.map((h) => `${s.port}\u0000${s.bind}\u0000${h}`);
    for (const s of servers) {
      for (const key of bucketKeys(s)) {
        const bucket = buckets.get(key);
        if (bucket) bucket.add(s);
        else buckets.set(key, new Set([s]));
      }
    }
    const share = sharedWorkloads(ctx);
    // Gateways numbered in name order: a server's conflicts are sorted as numbers, not as strings.
    const names = [...new Set(servers.map((s) => fullName(s.gw)))].sort();
    const rank = new Map(names.map((name, i) => [name, i]));
    const rankOf = new Map(servers.map((s) => [s.gw, rank.get(fullName(s.gw)) ?? 0]));
    for (const s of servers) {
      const others = new Set<number>();
      for (const key of bucketKeys(s)) {
        for (const o of buckets.get(key) ?? []) {
          if (o.gw !== s.gw && share(s.gw, o.gw)) others.add(rankOf.get(o.gw) ?? 0);
        }
      }
      if (others.size === 0) continue;
      const conflicting = [...others].sort((a, b) => a - b).map((i) => names[i]);
      ctx.report(
        'IST0145',
        s.gw,
        [conflicting.join(','), selectorString(s.gw.spec?.selector), String(s.port), s.rawHosts.join(',')],
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

/**
 * Whether two Gateways configure the same proxies. The answer depends on the two selectors only, so it is
 * computed once per pair of selectors: many Gateways on one ingress share a selector.
 */
function sharedWorkloads(ctx: AnalysisContext): (a: Resource, b: Resource) => boolean {
  const selectors = new Map<Resource, { labels: Record<string, string>; key: string }>();
  const selectorOf = (gw: Resource) => {
    let sel = selectors.get(gw);
    if (!sel) {
      const labels = labelMap(gw.spec?.selector);
      sel = { labels, key: selectorString(labels) };
      selectors.set(gw, sel);
    }
    return sel;
  };
  const answers = new Map<string, boolean>();
  return (a, b) => {
    const sa = selectorOf(a);
    const sb = selectorOf(b);
    if (sa.key === sb.key) return true;
    const pair = sa.key < sb.key ? `${sa.key}\u0000${sb.key}` : `${sb.key}\u0000${sa.key}`;
    let answer = answers.get(pair);
    if (answer === undefined) {
      answer = overlap(ctx, sa.labels, sb.labels);
      answers.set(pair, answer);
    }
    return answer;
  };
}

/** Whether one selector contains the other and some workload is picked by both. */
function overlap(ctx: AnalysisContext, sa: Record<string, string>, sb: Record<string, string>): boolean {
  const within = (x: Record<string, string>, y: Record<string, string>) =>
    Object.keys(x).every((k) => y[k] === x[k]);
  if (!within(sa, sb) && !within(sb, sa)) return false;
  return ctx.selectable().some((w) => labelsMatch(sa, w.labels) && labelsMatch(sb, w.labels));
}
