import { isIstioGroup, KNOWN_K8S_GROUPS } from '../manifests/kinds.js';
import type { AnalyzeOutcome } from './pipeline.js';

/** The --verbose block: what was read, which analyzers ran or were skipped, unknown kinds. */
export function verboseReport(o: AnalyzeOutcome): string {
  const lines: string[] = [];
  lines.push(`Analyzed ${o.load.resources.length} resources in ${o.load.files.length} files.`);
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
    unknown.set(`${r.apiVersion} ${r.kind}`, `${r.origin.file}:${r.origin.line}`);
  }
  if (unknown.size > 0) {
    lines.push('Kinds not analyzed (unknown to mesh):');
    for (const [k, where] of unknown) lines.push(`\t${k} (first at ${where})`);
  }
  return lines.join('\n') + '\n';
}
