/**
 * Replays Istio's own analyzer test corpus (../shared/conformance/istio-analyze) through the CLI, the way a
 * user runs it: `mesh analyze -A --analyzer NAME [--meshConfigFile F] [--meshNetworksFile F] <case files>
 * <the ingress gateway Pod and Service upstream's harness adds, as an input file>`, and compares the
 * (code, origin) multisets. A case mesh answers differently is listed in analyze-deviations.json with the
 * reason and the exact output mesh gives (exit code and `-o log` lines), which its test asserts.
 */
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

const ROOT = join(import.meta.dirname, '../../../shared/conformance/istio-analyze');
const INGRESS = join(import.meta.dirname, 'fixtures/istio-ingressgateway.yaml');
interface Case {
  uniqueName: string;
  inputFiles: string[];
  meshConfigFile: string | null;
  meshNetworksFile: string | null;
  analyzer: string;
  expected: Array<{ code: string; resource: string }>;
  clusters?: unknown;
}
interface Deviation {
  reason: string;
  /** What `mesh analyze` gives for the case instead: exit code and stdout lines of `-o log`. */
  exitCode: number;
  output: string[];
}
const cases: Case[] = JSON.parse(readFileSync(join(ROOT, 'expected.json'), 'utf8'));
const deviations: Record<string, Deviation> = JSON.parse(
  readFileSync(join(import.meta.dirname, 'analyze-deviations.json'), 'utf8'),
);
/** Paths relative to the working directory, so that the log lines recorded for deviations are stable. */
const rel = (p: string) => relative(process.cwd(), p);

/** The command line a user would type for the case (after `mesh`). */
export function caseArgs(c: Case, output: 'json' | 'log'): string[] {
  const args = ['analyze', '-A', '--analyzer', c.analyzer, '-o', output];
  if (c.meshConfigFile) args.push('--meshConfigFile', rel(join(ROOT, c.meshConfigFile)));
  if (c.meshNetworksFile) args.push('--meshNetworksFile', rel(join(ROOT, c.meshNetworksFile)));
  return [...args, ...c.inputFiles.map((f) => rel(join(ROOT, f))), rel(INGRESS)];
}

async function replay(c: Case): Promise<string[]> {
  const r = await runCli(caseArgs(c, 'json'));
  expect(r.stderr).toBe('');
  const report = JSON.parse(r.stdout);
  return report.findings.map((f: any) => `${f.code} ${f.origin ?? ''}`).sort();
}

// The multi-cluster case needs two clusters: test/e2e/analyze-multicluster.test.ts replays it through the CLI
// (`--remote-contexts`), each cluster's file applied to a real API server of its own.
const singleCluster = cases.filter((c) => !c.clusters);

describe('istioctl analyzer conformance replay, through the CLI', () => {
  it('every deviation names a real case; at least 100 of the 103 runnable cases match', () => {
    const names = new Set(cases.map((c) => c.uniqueName));
    for (const name of Object.keys(deviations)) expect(names.has(name), name).toBe(true);
    const runnable = singleCluster.filter((c) => c.analyzer !== 'annotations.AlphaAnalyzer');
    expect(runnable.length).toBe(103);
    expect(runnable.filter((c) => !deviations[c.uniqueName]).length).toBeGreaterThanOrEqual(100);
  });
  for (const c of singleCluster) {
    const dev = deviations[c.uniqueName];
    if (dev) {
      it(`${c.uniqueName} (deviation, see analyze-deviations.json)`, async () => {
        const r = await runCli(caseArgs(c, 'log'));
        expect({ exitCode: r.code, output: r.stdout.split('\n').filter((l) => l !== '') }).toEqual({
          exitCode: dev.exitCode,
          output: dev.output,
        });
      });
    } else {
      it(c.uniqueName, async () => {
        const expected = c.expected.map((e) => `${e.code} ${e.resource}`).sort();
        expect(await replay(c)).toEqual(expected);
      });
    }
  }
});
