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
  rawHosts: string[];
  /**
   * Port, bind address and host (`*\/h` → `h`, `./h` → `<gateway ns>/h`), each once: servers that can
   * conflict share one.
   */
  buckets: string[];
  /** The Gateway's number in name order, once it is known to be contested. */
  rank: number;
}

/** A Gateway's selector: `key` (`selectorString`) is equal for Gateways that configure the same proxies. */
interface Selector {
  key: string;
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
    // Servers by port, bind address and host: only servers of one bucket can conflict.
    const buckets = new Map<string, Server[]>();
    for (const s of servers)
      for (const key of s.buckets) {
        const bucket = buckets.get(key);
        if (bucket) bucket.push(s);
        else buckets.set(key, [s]);
      }
    // The servers that share a bucket with another Gateway's (most share none): only their selectors matter.
    const contested = servers.filter((s) =>
      s.buckets.some((key) => buckets.get(key)!.some((o) => o.gw !== s.gw)),
    );
    if (contested.length === 0) return;
    // Per contested Gateway: its selector, and its number in name order (conflicts are sorted as numbers).
    const gateways = new Map<Resource, Selector & { rank: number }>();
    for (const s of contested)
      if (!gateways.has(s.gw)) {
        const labels = labelMap(s.gw.spec?.selector);
        gateways.set(s.gw, { key: selectorString(labels), labels, rank: 0 });
      }
    const names = [...new Set([...gateways.keys()].map(fullName))].sort();
    const rank = new Map(names.map((name, i) => [name, i]));
    for (const [gw, g] of gateways) g.rank = rank.get(fullName(gw))!;
    for (const s of contested) s.rank = gateways.get(s.gw)!.rank;
    const sharing = sharingSelectors(ctx, [...gateways.values()]);
    // The contested servers of each bucket by selector: a server looks only at the groups it shares
    // workloads with.
    const groups = new Map<string, Map<string, Server[]>>();
    for (const s of contested) {
      const selector = gateways.get(s.gw)!.key;
      for (const key of s.buckets) {
        let bySelector = groups.get(key);
        if (!bySelector) groups.set(key, (bySelector = new Map()));
        const group = bySelector.get(selector);
        if (group) group.push(s);
        else bySelector.set(selector, [s]);
      }
    }
    // Each server's conflicts are collected as name ranks, each once (`seen[rank]` holds the number of the
    // server that last took it), and sorted as numbers: with thousands of Gateways on one host every
    // server conflicts with every other, and a Set and a comparator per server cost more than the message.
    const seen = new Int32Array(names.length).fill(-1);
    const found = new Int32Array(names.length);
    contested.forEach((s, n) => {
      const selector = gateways.get(s.gw)!.key;
      const shares = sharing.get(selector)!;
      let count = 0;
      for (const key of s.buckets) {
        const bySelector = groups.get(key)!;
        for (const selector of shares)
          for (const o of bySelector.get(selector) ?? []) {
            const rank = o.rank;
            if (o.gw === s.gw || seen[rank] === n) continue;
            seen[rank] = n;
            found[count++] = rank;
          }
      }
      if (count === 0) return;
      const conflicting = Array.from(found.subarray(0, count).sort(), (i) => names[i]);
      ctx.report('IST0145', s.gw, [conflicting.join(','), selector, String(s.port), s.rawHosts.join(',')], {
        path: joinPath('spec.servers', s.index, 'port', 'number'),
      });
    });
  },
});

function serversOf(gw: Resource): Server[] {
  const out: Server[] = [];
  list(gw.spec?.servers).forEach((server, index) => {
    if (!isObject(server)) return;
    const port = num(server.port?.number);
    if (port === undefined) return;
    const bind = str(server.bind) ?? '';
    const rawHosts = list(server.hosts).map(text);
    const hosts = rawHosts.map((h) => {
      if (h.startsWith('*/')) return h.slice(2);
      if (h.startsWith('./')) return `${nsOf(gw)}/${h.slice(2)}`;
      return h;
    });
    const buckets = [...new Set(hosts.map((h) => `${port}\u0000${bind}\u0000${h}`))];
    out.push({ gw, index, port, rawHosts, buckets, rank: -1 });
  });
  return out;
}

/**
 * Selector → the selectors whose Gateways configure the same proxies (itself included): an equal one,
 * or one containing it or contained in it with a workload that the larger one picks (and so both do).
 * Containment is looked up in an index of the selectors' `key=value` pairs, so Gateways with as many
 * different selectors as there are Gateways are not compared pair by pair.
 */
function sharingSelectors(ctx: AnalysisContext, selectors: readonly Selector[]): Map<string, Set<string>> {
  const labelsOf = new Map<string, Record<string, string>>();
  for (const s of selectors) if (!labelsOf.has(s.key)) labelsOf.set(s.key, s.labels);
  const holding = new Map<string, string[]>(); // `key\0value` → the selectors with that pair
  for (const [selector, labels] of labelsOf)
    for (const k of Object.keys(labels)) {
      const pair = `${k}\u0000${labels[k]}`;
      const l = holding.get(pair);
      if (l) l.push(selector);
      else holding.set(pair, [selector]);
    }
  const sharing = new Map([...labelsOf.keys()].map((selector) => [selector, new Set([selector])]));
  for (const [selector, labels] of labelsOf) {
    // The selectors holding every pair of this one: those with its rarest pair, checked for the rest.
    let candidates = [...labelsOf.keys()];
    for (const k of Object.keys(labels)) {
      const l = holding.get(`${k}\u0000${labels[k]}`)!;
      if (l.length < candidates.length) candidates = l;
    }
    for (const larger of candidates) {
      if (larger === selector) continue;
      const wider = labelsOf.get(larger)!;
      if (!Object.keys(labels).every((k) => wider[k] === labels[k])) continue;
      if (!ctx.selectable().some((w) => labelsMatch(wider, w.labels))) continue;
      sharing.get(selector)!.add(larger);
      sharing.get(larger)!.add(selector);
    }
  }
  return sharing;
}
