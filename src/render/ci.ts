/**
 * Report formats CI systems read natively: JUnit XML (test reports in GitLab, Jenkins, Azure, CircleCI, …)
 * and GitLab Code Quality (a subset of the Code Climate issue format, shown in merge requests).
 */
import { createHash } from 'node:crypto';
import { originOf } from '../analyzers/run.js';
import { ANY_KIND, LEVEL_RANK, type Analyzer, type Finding, type Level } from '../analyzers/types.js';
import { clusterIdOf, remoteClusterId, type LoadProblem, type Resource } from '../manifests/types.js';
import { isSynthetic } from '../analyzers/util/labels.js';
import { jsonChunks, type Chunks } from './chunks.js';
import { clusterTag, logLines, problemName } from './findings.js';

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

/** Characters XML 1.0 cannot carry at all, even as references. */
const XML_INVALID = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g;

/** Text content: markup escaped, a carriage return as a reference (a parser would read it as a newline). */
const xml = (s: string) =>
  s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/\r/g, '&#13;')
    .replace(XML_INVALID, '\ufffd');

/** An attribute value: also tabs and newlines as references (a parser would read them as spaces). */
const attr = (s: string) => xml(s).replace(/\t/g, '&#9;').replace(/\n/g, '&#10;');

const seconds = (ms: number) => (ms / 1000).toFixed(3);

interface TestCase {
  name: string;
  file?: string;
  findings: Finding[];
}

/**
 * JUnit XML: one `<testsuite>` per analyzer and one `<testcase>` per analyzer × object it examined (the
 * objects of the kinds its `inputs` declare, and any object it reported on). A case fails (`<failure>`)
 * when it has a finding at or above the failure threshold; lower findings go to its `<system-out>`, both
 * as the lines of `-o log`. Skipped analyzers are a suite with one `<skipped>` case giving the reason;
 * unparsable input is a suite `mesh.Inputs` with one `<error>` case per problem. In pieces: the counts of
 * `<testsuites>` are known before its suites are written.
 */
export function* junitChunks(input: CiReportInput): Generator<string> {
  const failing = (f: Finding) => LEVEL_RANK[f.level] <= LEVEL_RANK[input.failureThreshold];
  const byAnalyzer = new Map<string, Finding[]>();
  for (const f of input.findings) {
    const list = byAnalyzer.get(f.analyzer);
    if (list) list.push(f);
    else byAnalyzer.set(f.analyzer, [f]);
  }

  // In a multi-cluster analysis a case is an object of one cluster, named as its findings are.
  const multiCluster =
    input.findings.some((f) => f.cluster !== undefined) ||
    input.resources.some((r) => r.origin.clusterName !== undefined);
  const caseName = (r: Resource) => clusterTag(multiCluster ? clusterIdOf(r) : undefined) + originOf(r);

  // The cases first: the counts head the document.
  const suites = input.executed.map(({ analyzer, ms }) => {
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
    let failures = 0;
    for (const c of cases.values()) if (c.findings.some(failing)) failures++;
    return { analyzer, ms, cases, failures };
  });
  const problems = input.problems.filter((p) => p.severity === 'error');
  let tests = input.skipped.length + problems.length;
  let failures = 0;
  let totalMs = 0;
  for (const s of suites) {
    tests += s.cases.size;
    failures += s.failures;
    totalMs += s.ms;
  }

  yield `<?xml version="1.0" encoding="UTF-8"?>\n`;
  yield `<testsuites name="mesh analyze" tests="${tests}" failures="${failures}" errors="${problems.length}" skipped="${input.skipped.length}" time="${seconds(totalMs)}">\n`;
  let written = 0;
  const separate = () => (written++ > 0 ? '\n' : '');
  for (const { analyzer, ms, cases, failures: suiteFailures } of suites) {
    yield `${separate()}  <testsuite name="${attr(analyzer.name)}" tests="${cases.size}" failures="${suiteFailures}" errors="0" skipped="0" time="${seconds(ms)}">\n`;
    for (const c of cases.values()) {
      const attrs = `name="${attr(c.name)}" classname="${attr(analyzer.name)}"${c.file ? ` file="${attr(c.file)}"` : ''}`;
      if (c.findings.length === 0) {
        yield `    <testcase ${attrs}/>\n`;
        continue;
      }
      yield `    <testcase ${attrs}>\n`;
      const failed = c.findings.filter(failing);
      if (failed.length > 0) {
        const shown = failed[0]!;
        yield `      <failure message="${attr(`[${shown.code}] ${shown.message}`)}" type="${attr(
          [...new Set(failed.map((f) => f.code))].join(','),
        )}">`;
        yield* logText(failed);
        yield '</failure>\n';
      }
      const passed = c.findings.filter((f) => !failing(f));
      if (passed.length > 0) {
        yield '      <system-out>';
        yield* logText(passed);
        yield '</system-out>\n';
      }
      yield '    </testcase>\n';
    }
    yield '  </testsuite>';
  }
  for (const s of input.skipped)
    yield (
      `${separate()}  <testsuite name="${attr(s.name)}" tests="1" failures="0" errors="0" skipped="1" time="0.000">\n` +
      `    <testcase name="${attr(s.name)}" classname="${attr(s.name)}">\n      <skipped message="${attr(s.reason)}"/>\n    </testcase>\n  </testsuite>`
    );
  if (problems.length > 0) {
    yield `${separate()}  <testsuite name="mesh.Inputs" tests="${problems.length}" failures="0" errors="${problems.length}" skipped="0" time="0.000">\n`;
    for (const p of problems) {
      const at = p.line ? `${p.file}:${p.line}${p.column ? `:${p.column}` : ''}` : p.file;
      yield `    <testcase name="${attr(at)}" classname="mesh.Inputs" file="${attr(p.file)}">\n      <error message="${attr(p.message)}" type="${problemName(p).slice('mesh.'.length)}">${xml(`${at}: ${p.message}`)}</error>\n    </testcase>\n`;
    }
    yield '  </testsuite>';
  }
  yield `\n</testsuites>\n`;
}

/** The `-o log` lines of findings, as XML text. */
function* logText(findings: readonly Finding[]): Generator<string> {
  let first = true;
  for (const line of logLines(findings, false)) {
    yield first ? xml(line) : `\n${xml(line)}`;
    first = false;
  }
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
export function codeClimateChunks(findings: readonly Finding[], problems: readonly LoadProblem[]): Chunks {
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
      check_name: problemName(p),
      description: p.message,
      categories: ['Bug Risk'],
      fingerprint: unique(fingerprint(['parse', p.file, p.message])),
      severity: 'blocker',
      location: { path: p.file, lines: { begin: p.line ?? 1 } },
    });
  }
  return jsonChunks(issues);
}
