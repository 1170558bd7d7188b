/**
 * Report formats CI systems read natively: JUnit XML (test reports in GitLab, Jenkins, Azure, CircleCI, …)
 * and GitLab Code Quality (a subset of the Code Climate issue format, shown in merge requests).
 */
import { createHash } from 'node:crypto';
import { originOf } from '../analyzers/run.js';
import { ANY_KIND, LEVEL_RANK, type Analyzer, type Finding, type Level } from '../analyzers/types.js';
import { clusterIdOf, remoteClusterId, type LoadProblem, type Resource } from '../manifests/types.js';
import { isSynthetic } from '../analyzers/util/labels.js';
import { clusterTag, renderLog } from './findings.js';

export interface CiReportInput {
  /** Findings to report (after suppression, baseline and --output-threshold). */
  findings: readonly Finding[];
  problems: readonly LoadProblem[];
  /** The analyzers that ran, with their time in milliseconds. */
  executed: ReadonlyArray<{ analyzer: Analyzer; ms: number }>;
  skipped: ReadonlyArray<{ name: string; reason: string }>;
  /** The analyzed objects (what each analyzer examined, by its declared inputs); synthetic ones are left out. */
  resources: readonly Resource[];
  /** Findings at or above this level are test failures; lower ones are written to the test's output. */
  failureThreshold: Level;
}

const xml = (s: string) =>
  s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    // characters XML 1.0 cannot carry at all
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '\ufffd');

const seconds = (ms: number) => (ms / 1000).toFixed(3);

interface TestCase {
  name: string;
  file?: string;
  findings: Finding[];
}

/**
 * JUnit XML: one `<testsuite>` per analyzer and one `<testcase>` per analyzer × object it examined (the
 * objects of the kinds its `inputs` declare, and any object it reported on). A case fails (`<failure>`)
 * when it has a finding at or above the failure threshold; lower findings go to its `<system-out>`.
 * Skipped analyzers are a suite with one `<skipped>` case giving the reason; unparsable input is a suite
 * `mesh.Inputs` with one `<error>` case per problem.
 */
export function renderJunit(input: CiReportInput): string {
  const failing = (f: Finding) => LEVEL_RANK[f.level] <= LEVEL_RANK[input.failureThreshold];
  const byAnalyzer = new Map<string, Finding[]>();
  for (const f of input.findings) byAnalyzer.set(f.analyzer, [...(byAnalyzer.get(f.analyzer) ?? []), f]);
  const suites: string[] = [];
  let tests = 0;
  let failures = 0;
  let errors = 0;
  let skipped = 0;
  let totalMs = 0;

  // In a multi-cluster analysis a case is an object of one cluster, named as its findings are.
  const multiCluster =
    input.findings.some((f) => f.cluster !== undefined) ||
    input.resources.some((r) => r.origin.clusterName !== undefined);
  const caseName = (r: Resource) => clusterTag(multiCluster ? clusterIdOf(r) : undefined) + originOf(r);

  for (const { analyzer, ms } of input.executed) {
    const declared = new Set(analyzer.inputs);
    const cases = new Map<string, TestCase>();
    for (const r of input.resources)
      if (!isSynthetic(r) && (declared.has(ANY_KIND) || declared.has(r.key)))
        cases.set(caseName(r), { name: caseName(r), file: r.origin.file || undefined, findings: [] });
    for (const f of byAnalyzer.get(analyzer.name) ?? []) {
      const name = f.origin ? `${clusterTag(f.cluster)}${f.origin}` : '(mesh)';
      let c = cases.get(name);
      if (!c) cases.set(name, (c = { name, file: f.file, findings: [] }));
      c.findings.push(f);
    }
    let suiteFailures = 0;
    const body = [...cases.values()].map((c) => {
      const attrs = `name="${xml(c.name)}" classname="${xml(analyzer.name)}"${c.file ? ` file="${xml(c.file)}"` : ''}`;
      if (c.findings.length === 0) return `    <testcase ${attrs}/>`;
      const failed = c.findings.filter(failing);
      const out: string[] = [`    <testcase ${attrs}>`];
      if (failed.length > 0) {
        suiteFailures++;
        const first = failed[0]!;
        out.push(
          `      <failure message="${xml(`[${first.code}] ${first.message}`)}" type="${xml(
            [...new Set(failed.map((f) => f.code))].join(','),
          )}">${xml(renderLog(failed, false))}</failure>`,
        );
      }
      const passed = c.findings.filter((f) => !failing(f));
      if (passed.length > 0) out.push(`      <system-out>${xml(renderLog(passed, false))}</system-out>`);
      out.push('    </testcase>');
      return out.join('\n');
    });
    tests += cases.size;
    failures += suiteFailures;
    totalMs += ms;
    suites.push(
      `  <testsuite name="${xml(analyzer.name)}" tests="${cases.size}" failures="${suiteFailures}" errors="0" skipped="0" time="${seconds(ms)}">` +
        (body.length > 0 ? `\n${body.join('\n')}\n` : '\n') +
        '  </testsuite>',
    );
  }
  for (const s of input.skipped) {
    tests++;
    skipped++;
    suites.push(
      `  <testsuite name="${xml(s.name)}" tests="1" failures="0" errors="0" skipped="1" time="0.000">\n` +
        `    <testcase name="${xml(s.name)}" classname="${xml(s.name)}">\n      <skipped message="${xml(s.reason)}"/>\n    </testcase>\n  </testsuite>`,
    );
  }
  const problems = input.problems.filter((p) => p.severity === 'error');
  if (problems.length > 0) {
    tests += problems.length;
    errors += problems.length;
    const cases = problems.map((p) => {
      const at = p.line ? `${p.file}:${p.line}${p.column ? `:${p.column}` : ''}` : p.file;
      return `    <testcase name="${xml(at)}" classname="mesh.Inputs" file="${xml(p.file)}">\n      <error message="${xml(p.message)}" type="ParseError">${xml(`${at}: ${p.message}`)}</error>\n    </testcase>`;
    });
    suites.push(
      `  <testsuite name="mesh.Inputs" tests="${problems.length}" failures="0" errors="${problems.length}" skipped="0" time="0.000">\n${cases.join('\n')}\n  </testsuite>`,
    );
  }
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<testsuites name="mesh analyze" tests="${tests}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${seconds(totalMs)}">\n` +
    suites.join('\n') +
    `\n</testsuites>\n`
  );
}

/** GitLab Code Quality severities for mesh's levels. */
type Severity = 'info' | 'minor' | 'major' | 'critical' | 'blocker';
const CODE_QUALITY_SEVERITY: Record<Level, Severity> = {
  Error: 'critical',
  Warning: 'major',
  Info: 'info',
};

interface CodeQualityIssue {
  type: 'issue';
  check_name: string;
  description: string;
  categories: string[];
  fingerprint: string;
  severity: Severity;
  location: { path: string; lines: { begin: number } };
}

/**
 * A fingerprint that identifies the same problem across runs: the code, the object, the field and the
 * file, but not the line (which moves when the file is edited above it) nor the message text.
 */
export function fingerprint(parts: readonly string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);
}

/**
 * What identifies a finding: a remote cluster's object is another object than the primary's of the same
 * name, while the primary's findings keep the fingerprints of an analysis of the primary alone.
 */
function fingerprintParts(f: Finding): string[] {
  const parts = [f.code, f.origin ?? '', f.path ?? '', f.file ?? '', f.message];
  const remote = remoteClusterId(f.cluster);
  return remote !== undefined ? [...parts, remote] : parts;
}

/**
 * GitLab Code Quality (`artifacts:reports:codequality`): a JSON array of issues with `description`,
 * `check_name`, `fingerprint`, `severity` and `location` (`path`, `lines.begin`). Findings on objects that
 * come from no file (mesh config defaults) point at `.` line 1; unparsable input is a `blocker` issue.
 */
export function renderCodeClimate(findings: readonly Finding[], problems: readonly LoadProblem[]): string {
  const seen = new Map<string, number>();
  const unique = (fp: string) => {
    // two findings that differ only in their line would share a fingerprint: number the repeats
    const n = seen.get(fp) ?? 0;
    seen.set(fp, n + 1);
    return n === 0 ? fp : fingerprint([fp, String(n)]);
  };
  const issues = findings.map((f): CodeQualityIssue => ({
    type: 'issue',
    check_name: f.code,
    description: `[${f.code}]${f.origin ? ` ${clusterTag(f.cluster)}${f.origin}:` : ''} ${f.message}`,
    categories: ['Bug Risk'],
    fingerprint: unique(fingerprint(fingerprintParts(f))),
    severity: CODE_QUALITY_SEVERITY[f.level],
    location: { path: f.file && f.file !== '-' ? f.file : '.', lines: { begin: f.line ?? 1 } },
  }));
  for (const p of problems) {
    if (p.severity !== 'error') continue;
    issues.push({
      type: 'issue',
      check_name: 'mesh.ParseError',
      description: p.message,
      categories: ['Bug Risk'],
      fingerprint: unique(fingerprint(['parse', p.file, p.message])),
      severity: 'blocker',
      location: { path: p.file, lines: { begin: p.line ?? 1 } },
    });
  }
  return JSON.stringify(issues, null, 2);
}
