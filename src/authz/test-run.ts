/** `mesh authz test`: load policies and cases, evaluate each case, report, pick the exit code. */
import { loadManifests } from '../manifests/load.js';
import type { LoadProblem } from '../manifests/types.js';
import { renderTable } from '../render/tabwriter.js';
import { describeError, ExitCode, MeshError } from '../util/errors.js';
import { warn, writeStderr, writeStdout } from '../util/output.js';
import { ansi, colorEnabled } from '../util/tty.js';
import { parseCases, type AuthzCase } from './cases.js';
import { describeRule, evaluate, toPolicies, type Evaluation, type PolicyNote } from './evaluate.js';
import { readNamedInput } from '../util/input.js';
import { renderLog } from '../render/findings.js';
import { validatePolicies } from './validate.js';
import type { PathNormalization } from './match.js';

export interface PolicyTestOptions {
  policyPaths: string[];
  casesFile: string;
  rootNamespace: string;
  format: 'table' | 'json' | 'yaml';
  /** The mesh config's `pathNormalization.normalization` (Istio's default: BASE). */
  pathNormalization?: PathNormalization;
  /** The mesh config's trust domain, then its aliases (Istio's default: cluster.local alone). */
  trustDomains?: string[];
}

export interface CaseResult {
  name: string;
  line: number;
  expect?: string;
  evaluation: Evaluation;
  /** undefined when the case states no expectation. */
  pass?: boolean;
}

export function runCases(
  cases: readonly AuthzCase[],
  policies: ReturnType<typeof toPolicies>,
  rootNamespace: string,
  pathNormalization: PathNormalization = 'BASE',
) {
  const unknownKeys = new Set<string>();
  const results: CaseResult[] = cases.map((c) => {
    const evaluation = evaluate(policies, c.request, rootNamespace, unknownKeys, pathNormalization);
    return {
      name: c.name,
      line: c.line,
      expect: c.expect,
      evaluation,
      pass: c.expect === undefined ? undefined : c.expect === evaluation.decision,
    };
  });
  return { results, unknownKeys: [...unknownKeys].sort() };
}

export function renderResultsTable(results: readonly CaseResult[], color: boolean): string {
  const rows = [['CASE', 'EXPECTED', 'DECISION', 'BY', 'RESULT']];
  for (const r of results) {
    const result =
      r.pass === undefined ? '-' : r.pass ? ansi.green('pass', color) : ansi.boldRed('FAIL', color);
    const by = r.evaluation.by ? describeRule(r.evaluation.by) : r.evaluation.reason;
    const path = r.evaluation.normalizedPath;
    rows.push([
      r.name,
      r.expect ?? '-',
      r.evaluation.decision,
      path === undefined ? by : `${by} (path normalized to ${path})`,
      result,
    ]);
  }
  return renderTable(rows, 3);
}

export async function runPolicyTests(opts: PolicyTestOptions): Promise<number> {
  let casesText: string;
  try {
    // bounded, and refused when binary (65); missing or unreadable is 66, as for every named input
    casesText = await readNamedInput(opts.casesFile, 'cannot read cases file: ');
  } catch (err) {
    const e = err instanceof MeshError ? err : new MeshError(describeError(err));
    warn(`Error: ${e.message}`);
    return e.exitCode;
  }
  const load = await loadManifests(opts.policyPaths);
  // a -f path passed over holds policies that are not evaluated: an error, as an unparsable one is
  const unusable = (p: LoadProblem) => p.severity === 'error' || p.passedOver === true;
  for (const p of load.problems) {
    if (p.severity === 'note') continue;
    warn(`${unusable(p) ? 'error' : p.severity}: ${p.line ? `${p.file}:${p.line}` : p.file}: ${p.message}`);
  }
  const checked = await validatePolicies(load.resources);
  if (checked.findings.length > 0) writeStderr(renderLog(checked.findings, colorEnabled(process.stderr)));
  // Every decision depends on every policy: with one missing or invalid, any result could be wrong, so
  // no case is evaluated.
  const missing = load.problems.some((p) => p.noInput);
  const refuse = checked.refused > 0 || missing;
  if (checked.refused > 0)
    warn(
      `error: ${checked.refused} AuthorizationPolicy(ies) have schema errors (as mesh analyze reports them above): no case is evaluated`,
    );
  const notes: PolicyNote[] = [];
  const policies = refuse ? [] : toPolicies(checked.valid, notes, opts.trustDomains);
  for (const n of notes) warn(`warning: ${n.origin}: ${n.message}`);
  if (!refuse && policies.length === 0)
    warn('warning: no AuthorizationPolicy found: every request is allowed');

  const parsed = parseCases(casesText, opts.casesFile);
  for (const p of parsed.problems) warn(`error: ${p.file}:${p.line}: ${p.message}`);
  const { results, unknownKeys } = runCases(
    refuse ? [] : parsed.cases,
    policies,
    opts.rootNamespace,
    opts.pathNormalization,
  );
  for (const k of unknownKeys)
    warn(`warning: condition key "${k}" cannot be evaluated offline; it never matches here`);

  const failed = results.filter((r) => r.pass === false).length;
  const inputErrors =
    parsed.problems.length + checked.refused + load.problems.filter((p) => unusable(p) && !p.noInput).length;
  // As in analyze: a failing case (79), then a missing policy path (66), then unusable input (65).
  const exitCode =
    failed > 0
      ? ExitCode.FINDINGS
      : missing
        ? ExitCode.NOINPUT
        : inputErrors > 0
          ? ExitCode.DATA
          : ExitCode.OK;

  if (opts.format === 'table') {
    if (results.length > 0) await writeStdout(renderResultsTable(results, colorEnabled(process.stdout)));
    const checked = results.filter((r) => r.pass !== undefined).length;
    warn(
      `${checked - failed}/${checked} case(s) with an expectation passed${failed > 0 ? `, ${failed} failed` : ''}.`,
    );
  } else {
    const report = {
      apiVersion: 'mesh/v1',
      kind: 'AuthzTestReport',
      policies: policies.map((p) => `${p.namespace}/${p.name}`),
      results: results.map((r) => ({
        name: r.name,
        line: r.line,
        expect: r.expect,
        decision: r.evaluation.decision,
        reason: r.evaluation.reason,
        normalizedPath: r.evaluation.normalizedPath,
        by: r.evaluation.by,
        custom: r.evaluation.custom,
        audit: r.evaluation.audit,
        dryRun: r.evaluation.dryRun,
        applicable: r.evaluation.applicable,
        pass: r.pass,
      })),
      problems: parsed.problems,
      summary: { cases: results.length, passed: results.filter((r) => r.pass).length, failed, exitCode },
    };
    const text =
      opts.format === 'json'
        ? JSON.stringify(report, null, 2)
        : (await import('yaml')).stringify(report, { lineWidth: 0 });
    await writeStdout(text);
  }
  return exitCode;
}
