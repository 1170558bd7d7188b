import { isIstioGroup, KNOWN_K8S_GROUPS } from '../manifests/kinds.js';
import type { AnalyzeOutcome } from './pipeline.js';
import { lineOf } from '../manifests/positions.js';

/** What was read from the clusters of a cluster analysis (`mesh analyze` without paths, or --use-kube). */
export interface ClusterCounts {
  /** Objects read from the cluster (the primary, the kubeconfig's context). */
  objects: number;
  /** Objects read from the remote clusters of a multi-cluster analysis, and from how many clusters. */
  remoteObjects: number;
  remoteClusters: number;
  /** Paths were given: their objects are overlaid on the cluster's (--use-kube). */
  overlaid: boolean;
}

/** The first line: what was analyzed, from the files, the cluster (and its remote clusters) or both. */
function analyzedLine(o: AnalyzeOutcome, cluster: ClusterCounts | undefined): string {
  const files = `${o.load.resources.length} resources in ${o.load.files.length} files`;
  if (!cluster) return `Analyzed ${files}.`;
  const remotes =
    cluster.remoteClusters > 0
      ? ` and ${cluster.remoteObjects} from ${cluster.remoteClusters} remote cluster(s)`
      : '';
  // files over the cluster: theirs replace the cluster's objects of the same kind, namespace and name
  return cluster.overlaid
    ? `Analyzed ${files} over ${cluster.objects} from the cluster${remotes}.`
    : `Analyzed ${cluster.objects} resources from the cluster${remotes}.`;
}

/**
 * The --verbose block: what was analyzed, which analyzers ran or were skipped, unknown kinds. `cluster`:
 * what was read from the cluster, when it was analyzed.
 */
export function verboseReport(o: AnalyzeOutcome, cluster?: ClusterCounts): string {
  const lines: string[] = [];
  lines.push(analyzedLine(o, cluster));
  lines.push('Executed analyzers:');
  o.run.executed.forEach((n, i) => lines.push(`\t${n} (${(o.run.timings[i] ?? 0).toFixed(1)} ms)`));
  if (o.run.skipped.length > 0) {
    lines.push('Skipped analyzers:');
    for (const s of o.run.skipped) lines.push(`\t${s.name} (${s.reason})`);
  }
  const shadowed = o.run.snapshot.shadowed;
  if (shadowed.length > 0) {
    const byKind = new Map<string, number>();
    for (const r of shadowed) byKind.set(r.kind, (byKind.get(r.kind) ?? 0) + 1);
    lines.push(
      `Configuration of remote clusters already read from the primary or an earlier remote cluster (the same kind, namespace and name; analyzed once, as istioctl): ${[
        ...byKind,
      ]
        .map(([kind, n]) => `${n} ${kind}`)
        .join(', ')}`,
    );
  }
  const unknown = new Map<string, string>();
  for (const r of o.load.resources) {
    if (isIstioGroup(r.group) || KNOWN_K8S_GROUPS.has(r.group)) continue;
    const key = `${r.apiVersion} ${r.kind}`;
    if (!unknown.has(key)) unknown.set(key, `${r.origin.file}:${lineOf(r)}`);
  }
  if (unknown.size > 0) {
    lines.push('Kinds not analyzed (unknown to mesh):');
    for (const [k, where] of unknown) lines.push(`\t${k} (first at ${where})`);
  }
  return lines.join('\n') + '\n';
}
