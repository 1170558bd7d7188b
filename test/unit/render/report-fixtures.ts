/** Inputs of the report renderers (synthetic findings) and sinks to write them to. */
import { Writable } from 'node:stream';
import type { Analyzer, Finding, Level } from '../../../src/analyzers/types.js';
import type { LoadProblem, Resource } from '../../../src/manifests/types.js';
import type { CiReportInput } from '../../../src/render/ci.js';
import {
  countLevels,
  REPORT_VERSION,
  toReportFinding,
  type AnalysisReport,
} from '../../../src/render/report.js';

/** What every renderer needs: the findings, the CI formats' inputs, the JSON/YAML report. */
export interface RenderInput {
  findings: Finding[];
  problems: LoadProblem[];
  ci: CiReportInput;
  report: AnalysisReport;
}

/** The report `mesh analyze -o json` builds (its shape; the counts that need the run are made up). */
export function reportOf(findings: Finding[], problems: LoadProblem[] = []): AnalysisReport {
  return {
    apiVersion: 'mesh/v1',
    kind: 'AnalysisReport',
    version: REPORT_VERSION,
    findings: findings.map((f) => toReportFinding(f)),
    problems,
    skippedAnalyzers: [{ analyzer: 'injection.Analyzer', reason: 'no Namespace in the inputs' }],
    summary: {
      ...countLevels(findings),
      total: findings.length,
      files: 3,
      resources: findings.length,
      parseErrors: problems.length,
      suppressed: 0,
      hiddenByNamespace: 0,
      inBaseline: 0,
      analyzers: 2,
      skippedAnalyzers: 1,
      exitCode: 79,
    },
  };
}

const KINDS = ['VirtualService', 'DestinationRule', 'Gateway', 'AuthorizationPolicy'];
const CODES = ['IST0101', 'IST0106', 'IST0109', 'IST0132', 'IST0145', 'MSH1003'];
const LEVELS: Level[] = ['Error', 'Warning', 'Info'];

function analyzer(name: string, inputs: string[]): Analyzer {
  return { name, description: name, codes: CODES, inputs, analyze: () => undefined };
}

/**
 * `n` findings of every shape the renderers distinguish: with and without file, line, column, path, origin
 * and cluster, objects of the cluster, stdin, file names that need escaping in each format, non-ASCII
 * text, repeated lines (which log and github print once), several analyzers and levels.
 * `message(i)` gives each finding's message (by default, short and distinct).
 */
export function syntheticInput(n: number, message?: (i: number) => string): RenderInput {
  const analyzers = [
    analyzer(
      'test.RoutesAnalyzer',
      KINDS.slice(0, 2).map((k) => `networking.istio.io/${k}`),
    ),
    analyzer('test.GatewayAnalyzer', ['networking.istio.io/Gateway']),
    analyzer('test.EverythingAnalyzer', ['*']),
  ];
  const resources: Resource[] = [];
  const findings: Finding[] = [];
  for (let i = 0; i < n; i++) {
    const kind = KINDS[i % KINDS.length]!;
    const fromCluster = i % 13 === 5;
    const file = fromCluster
      ? ''
      : i % 17 === 3
        ? '-'
        : i % 19 === 4
          ? `team a/100%,x:y "q" <&>/app-${i % 7}.yaml`
          : `manifests/team-${i % 31}/app-${Math.floor(i / 10)}.yaml`;
    const r = {
      apiVersion: 'networking.istio.io/v1',
      group: 'networking.istio.io',
      version: 'v1',
      kind,
      key: `networking.istio.io/${kind}`,
      name: `svc-${Math.floor(i / 2)}`,
      namespace: i % 23 === 7 ? undefined : `ns-${i % 40}`,
      metadata: {},
      spec: {},
      body: {},
      origin: {
        file,
        docIndex: i % 10,
        line: 1 + (i % 10) * 20,
        column: 1,
        ...(fromCluster ? { cluster: true } : {}),
        ...(i % 29 === 11 ? { clusterName: 'west' } : {}),
      },
    } as Resource;
    resources.push(r);
    const origin = r.namespace ? `${kind} ${r.namespace}/${r.name}` : `${kind} ${r.name}`;
    if (i % 11 === 10) {
      // the previous finding at another column and field: the same line in log and github
      findings.push({ ...findings[i - 1]!, column: 99, path: 'spec.other' });
      continue;
    }
    findings.push({
      code: CODES[i % CODES.length]!,
      level: LEVELS[i % 7 === 0 ? 1 : i % 9 === 0 ? 2 : 0]!,
      message: message
        ? message(i)
        : `Referenced host not found: "reviews-${i}.ns-${i % 40}" (route ${i % 5}) — ünïcødé ✓`,
      analyzer: analyzers[i % analyzers.length]!.name,
      resource: i % 37 === 36 ? undefined : r,
      origin: i % 37 === 36 ? undefined : origin,
      ...(i % 29 === 11 ? { cluster: 'west' } : i % 29 === 12 ? { cluster: 'default' } : {}),
      ...(i % 5 === 4 ? {} : { path: `spec.http[${i % 3}].route[0].destination.host` }),
      ...(file && i % 41 !== 40 ? { file, line: r.origin.line + 12 } : file ? { file } : {}),
      ...(i % 3 === 0 ? { column: 15 } : {}),
    });
  }
  const problems: LoadProblem[] = [
    {
      severity: 'error',
      file: 'manifests/bad.yaml',
      line: 3,
      column: 2,
      message: 'YAML syntax error: bad indentation',
    },
    { severity: 'warning', file: 'manifests/x.yaml', message: 'skipped: not a regular file' },
    { severity: 'note', file: 'manifests/y.yaml', message: 'a note' },
  ];
  return {
    findings,
    problems,
    report: reportOf(findings, problems),
    ci: {
      findings,
      problems,
      executed: analyzers.map((a, i) => ({ analyzer: a, ms: 1.5 + i })),
      skipped: [{ name: 'injection.Analyzer', reason: 'no Namespace in the inputs' }],
      resources,
      failureThreshold: 'Warning',
    },
  };
}

/** Everything written to stdout while `run` runs (process.stdout.write is replaced meanwhile). */
export async function captureStdout(run: () => Promise<void>): Promise<string> {
  const parts: string[] = [];
  const saved = process.stdout.write;
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    parts.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    if (cb) setImmediate(cb);
    return true;
  }) as typeof process.stdout.write;
  try {
    await run();
  } finally {
    process.stdout.write = saved;
  }
  return parts.join('');
}

/**
 * A stream that keeps no text: it hands each line to `onLine` (the last one too, when the text does not end
 * with a newline) and counts the characters and the writes. Its buffer is small (16 KiB), so a writer that
 * ignores backpressure makes it queue.
 */
export class LineSink extends Writable {
  chars = 0;
  writes = 0;
  longestWrite = 0;
  private rest = '';

  constructor(private readonly onLine: (line: string) => void) {
    super({ decodeStrings: false });
  }

  override _write(chunk: string, _encoding: BufferEncoding, callback: () => void): void {
    this.chars += chunk.length;
    this.writes++;
    this.longestWrite = Math.max(this.longestWrite, chunk.length);
    let from = 0;
    for (let nl = chunk.indexOf('\n'); nl !== -1; nl = chunk.indexOf('\n', from)) {
      this.onLine(this.rest + chunk.slice(from, nl));
      this.rest = '';
      from = nl + 1;
    }
    this.rest += chunk.slice(from);
    callback();
  }

  override _final(callback: () => void): void {
    if (this.rest !== '') this.onLine(this.rest);
    callback();
  }
}

/**
 * Runs `mesh ARGS` in-process, as runCli does, but hands stdout to `onLine` a line at a time instead of
 * keeping it (a report may be longer than one string can be). Returns the exit code and stderr.
 */
export async function runCliLines(
  args: string[],
  onLine: (line: string) => void,
): Promise<{ code: number; stderr: string; chars: number }> {
  const { main } = await import('../../../src/cli.js');
  const sink = new LineSink(onLine);
  const err: string[] = [];
  const saved = { out: process.stdout.write, err: process.stderr.write, exitCode: process.exitCode };
  const callback = (rest: unknown[]) => rest.find((r) => typeof r === 'function') as (() => void) | undefined;
  process.stdout.write = ((chunk: string, ...rest: unknown[]) => {
    sink.write(chunk);
    const cb = callback(rest);
    if (cb) setImmediate(cb);
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string, ...rest: unknown[]) => {
    err.push(String(chunk));
    const cb = callback(rest);
    if (cb) setImmediate(cb);
    return true;
  }) as typeof process.stderr.write;
  const noColor = process.env.NO_COLOR;
  process.env.NO_COLOR = '1';
  try {
    const code = await main(['node', 'mesh', ...args]);
    await new Promise<void>((resolve) => sink.end(resolve));
    return { code, stderr: err.join(''), chars: sink.chars };
  } finally {
    process.stdout.write = saved.out;
    process.stderr.write = saved.err;
    process.exitCode = saved.exitCode;
    if (noColor === undefined) delete process.env.NO_COLOR;
    else process.env.NO_COLOR = noColor;
  }
}
