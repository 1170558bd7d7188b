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
  /** The Gateway's selector (`selectorString`): Gateways with equal ones configure the same proxies. */
  selector: string;
  labels: Record<string, string>;
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
    const sharing = sharingSelectors(ctx, servers);
    // Servers by port, bind address and host (only servers of one bucket can conflict), then by selector.
    const buckets = new Map<string, Map<string, Server[]>>();
    const bucketKeys = (s: Server) => [...new Set(s.hosts.map((h) => `${s.port}\u0000${s.bind}\u0000${h}`))];
    for (const s of servers) {
      for (const key of bucketKeys(s)) {
        let bucket = buckets.get(key);
        if (!bucket) buckets.set(key, (bucket = new Map()));
        const group = bucket.get(s.selector);
        if (group) group.push(s);
        else bucket.set(s.selector, [s]);
      }
    }
    // Gateways numbered in name order: a server's conflicts are sorted as numbers, not as strings.
    const names = [...new Set(servers.map((s) => fullName(s.gw)))].sort();
    const rank = new Map(names.map((name, i) => [name, i]));
    const rankOf = new Map(servers.map((s) => [s.gw, rank.get(fullName(s.gw)) ?? 0]));
    for (const s of servers) {
      const others = new Set<number>();
      for (const key of bucketKeys(s)) {
        const bucket = buckets.get(key)!;
        for (const selector of sharing.get(s.selector) ?? []) {
          for (const o of bucket.get(selector) ?? []) if (o.gw !== s.gw) others.add(rankOf.get(o.gw) ?? 0);
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
  const labels = labelMap(gw.spec?.selector);
  const selector = selectorString(labels);
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
    out.push({ gw, index, port, bind: str(server.bind) ?? '', hosts, rawHosts, selector, labels });
  });
  return out;
}

/**
 * Selector → the selectors whose Gateways configure the same proxies (itself included): an equal one,
 * or one containing it or contained in it with a workload that the larger one picks (and so both do).
 * Containment is looked up in an index of the selectors' `key=value` pairs, so Gateways with as many
 * different selectors as there are Gateways are not compared pair by pair.
 */
function sharingSelectors(ctx: AnalysisContext, servers: readonly Server[]): Map<string, string[]> {
  const labelsOf = new Map<string, Record<string, string>>();
  for (const s of servers) if (!labelsOf.has(s.selector)) labelsOf.set(s.selector, s.labels);
  const holding = new Map<string, string[]>(); // `key\0value` → the selectors with that pair
  for (const [selector, labels] of labelsOf)
    for (const k of Object.keys(labels)) {
      const pair = `${k}\u0000${labels[k]}`;
      const l = holding.get(pair);
      if (l) l.push(selector);
      else holding.set(pair, [selector]);
    }
  const sharing = new Map([...labelsOf.keys()].map((selector) => [selector, [selector]]));
  for (const [selector, labels] of labelsOf) {
    // The selectors holding every pair of this one: those with its rarest pair, checked for the rest.
    const pairs = Object.keys(labels).map((k) => `${k}\u0000${labels[k]}`);
    let candidates = [...labelsOf.keys()];
    for (const pair of pairs) {
      const l = holding.get(pair)!;
      if (l.length < candidates.length) candidates = l;
    }
    for (const larger of candidates) {
      if (larger === selector) continue;
      const wider = labelsOf.get(larger)!;
      if (!Object.keys(labels).every((k) => wider[k] === labels[k])) continue;
      if (!ctx.selectable().some((w) => labelsMatch(wider, w.labels))) continue;
      sharing.get(selector)!.push(larger);
      sharing.get(larger)!.push(selector);
    }
  }
  return sharing;
}
