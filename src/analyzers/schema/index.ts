import { ISTIO_KINDS, isServedIstioKind } from '../../manifests/kinds.js';
import type { Resource } from '../../manifests/types.js';
import { parsePath } from '../../manifests/path.js';
import { defineAnalyzer, K, type AnalysisContext, type Analyzer } from '../types.js';
import { SEMANTIC_CODES, SEMANTIC_VALIDATORS } from './rules/index.js';
import { schemaIssues } from './validate.js';

/**
 * The 17 `schema.ValidationAnalyzer.<Kind>` analyzers (istioctl's names). They share one shape, so this
 * module defines them all: for every object of the kind in a served API version, the structural check
 * against schemas/ (IST0106 per problem, on the offending field), then the kind's semantic rules from
 * rules/ when there are any (errors → IST0106, warnings → IST0133, or the rule's own code).
 * Unknown kinds and versions are left to the MSH1006 analyzer.
 */
function validationAnalyzer(group: string, kind: string): Analyzer {
  const key = `${group}/${kind}`;
  return defineAnalyzer({
    name: `schema.ValidationAnalyzer.${kind}`,
    description: `Checks ${kind} objects against the Istio API schema and admission rules`,
    codes: ['IST0106', ...(SEMANTIC_CODES[kind] ?? [])],
    inputs: [key],
    analyze(ctx) {
      for (const r of ctx.each(key)) {
        if (isServedIstioKind(r.group, r.version, r.kind)) validate(ctx, r);
      }
    },
  });
}

function validate(ctx: AnalysisContext, r: Resource): void {
  const structural = schemaIssues(r);
  for (const issue of structural) ctx.report('IST0106', r, [issue.message], { path: issue.path });
  const semantic = SEMANTIC_VALIDATORS[r.kind];
  if (!semantic) return;
  let issues;
  try {
    issues = semantic(r);
  } catch (err) {
    // Rules may assume the shapes the schema guarantees; when it does not hold, its errors say enough.
    if (structural.length > 0) return;
    throw err;
  }
  // The fields whose structure is reported, each once: a document with many errors has many of both
  // kinds, and comparing every rule issue with every structural one grew with the square of that.
  const reported = new Set(structural.map((s) => JSON.stringify(parsePath(s.path))));
  for (const issue of issues) {
    // A rule's error about a field whose structure is already reported would only repeat it; a warning
    // says something else (`workloadSelector has no effect with resolution NONE` beside `endpoints and
    // workloadSelector cannot be set together`), as istiod gives both.
    if (
      issue.level === 'error' &&
      issue.path !== undefined &&
      reported.size > 0 &&
      within(issue.path, reported)
    )
      continue;
    const opts = { path: issue.path };
    if (issue.code) ctx.report(issue.code, r, issue.args ?? [], opts);
    else ctx.report(issue.level === 'error' ? 'IST0106' : 'IST0133', r, [issue.message], opts);
  }
}

/** True when `path` is one of the `reported` fields (parsed paths as JSON) or inside one. */
function within(path: string, reported: ReadonlySet<string>): boolean {
  const inner = parsePath(path);
  for (let n = 0; n <= inner.length; n++) if (reported.has(JSON.stringify(inner.slice(0, n)))) return true;
  return false;
}

// istioctl lists validators for the mesh config and mesh networks too; neither has anything to check
// offline, but keeping the names keeps `--analyzer` and suppressions written for istioctl working.
const meshAnalyzers = (['MeshConfig', 'MeshNetworks'] as const).map((kind) =>
  defineAnalyzer({
    name: `schema.ValidationAnalyzer.${kind}`,
    description: `Checks the ${kind} (nothing to check offline; kept for istioctl compatibility)`,
    codes: [],
    inputs: [K[kind]],
    analyze() {},
  }),
);

export const analyzers: Analyzer[] = [
  ...Object.entries(ISTIO_KINDS).flatMap(([group, kinds]) =>
    Object.keys(kinds).map((kind) => validationAnalyzer(group, kind)),
  ),
  ...meshAnalyzers,
];
