import { Command, Option } from 'commander';
import { usageError } from '../util/errors.js';
import { parseOutputFormat, writeStdout, warn } from '../util/output.js';
import { colorEnabled } from '../util/tty.js';
import { clientVersion } from '../util/version.js';
import type { Level } from '../analyzers/types.js';

const FORMATS = ['log', 'json', 'yaml', 'sarif', 'github', 'junit', 'codeclimate'] as const;
const LEVELS: Level[] = ['Error', 'Warning', 'Info'];

function parseLevel(value: string, flag: string): Level {
  const l = LEVELS.find((x) => x.toLowerCase() === value.toLowerCase());
  if (!l) throw usageError(`invalid ${flag} "${value}"`, 'use Error, Warning or Info');
  return l;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function register(program: Command): void {
  program
    .command('analyze')
    .description('Validate and lint Istio configuration in files, folders or stdin')
    .argument('[paths...]', 'files or folders (walked recursively; .yaml, .yml, .json), or - for stdin')
    .option('-o, --output <format>', `output format: ${FORMATS.join('|')}`, 'log')
    .option('-n, --namespace <ns>', 'give namespace-less documents this namespace and report only on it')
    .option('-A, --all-namespaces', 'documents without a namespace keep none (origin reads "Kind name")')
    .option('-i, --istioNamespace <ns>', 'namespace of the control plane', 'istio-system')
    .option(
      '--failure-threshold <level>',
      'lowest level that makes the exit code 79 (Error|Warning|Info)',
      'Error',
    )
    .option('--output-threshold <level>', 'lowest level that is printed (Error|Warning|Info)', 'Info')
    .option(
      '-S, --suppress <CODE=Kind ns/name>',
      'suppress findings; * is a wildcard (repeatable)',
      collect,
      [],
    )
    .option('--analyzer <name>', 'run only this analyzer (repeatable; see --list-analyzers)', collect, [])
    .option('-L, --list-analyzers', 'list the analyzers and exit')
    .option(
      '--external <Kind ns/name>',
      'an object that exists outside the inputs (references to it resolve); * is a wildcard (repeatable)',
      collect,
      [],
    )
    .option('--external-file <file>', 'a file of --external patterns, one a line (# comments)', collect, [])
    .option('--meshConfigFile <file>', 'mesh config (YAML, or the istio ConfigMap) to analyze against')
    .option('--meshNetworksFile <file>', 'mesh networks (YAML) to analyze against')
    .option('--baseline <file>', 'fail only on findings that are not in this baseline file')
    .option('--write-baseline <file>', 'write the current findings as a baseline file and exit 0')
    .option('--ignore-unknown', 'do not fail (exit 65) on documents that cannot be parsed')
    .option('--max-file-size <MiB>', 'refuse files larger than this', '64')
    .addOption(new Option('--color', 'force colour'))
    .addOption(new Option('--no-color', 'disable colour'))
    .option('-v, --verbose', 'print analyzers run and skipped, unknown kinds and notes')
    .action(async (paths: string[], opts: Record<string, any>) => {
      process.exitCode = await runAnalyze(paths, opts);
    });
}

export async function runAnalyze(paths: string[], opts: Record<string, any>): Promise<number> {
  const format = parseOutputFormat(opts.output, FORMATS, 'log');
  const failureThreshold = parseLevel(opts.failureThreshold, '--failure-threshold');
  const outputThreshold = parseLevel(opts.outputThreshold, '--output-threshold');
  const { findAnalyzer } = await import('../analyzers/registry.js');

  if (opts.listAnalyzers) {
    const { renderAnalyzerList } = await import('../render/analyzers.js');
    await writeStdout(await renderAnalyzerList(format));
    return 0;
  }
  if (opts.namespace && opts.allNamespaces)
    throw usageError('-n/--namespace and -A/--all-namespaces cannot be combined');
  if (paths.length === 0)
    throw usageError('no input given', 'pass files, folders, or - to read stdin: mesh analyze ./manifests');
  const selected = (opts.analyzer as string[]).map((name) => {
    const a = findAnalyzer(name);
    if (!a) throw usageError(`unknown analyzer "${name}"`, 'see mesh analyze --list-analyzers');
    return a;
  });
  const maxMiB = Number(opts.maxFileSize);
  if (!Number.isFinite(maxMiB) || maxMiB <= 0)
    throw usageError(`invalid --max-file-size "${opts.maxFileSize}"`);

  const { readExternalPatterns } = await import('../analyzers/external.js');
  const external = readExternalPatterns(opts.external, opts.externalFile);
  const { parseSuppressRules } = await import('../analyzers/suppress.js');
  const { rules, warnings } = parseSuppressRules(opts.suppress);
  for (const w of warnings) warn(`Warning: ${w}`);
  const { loadMeshConfig, loadMeshNetworks } = await import('../analyzers/meshconfig.js');
  const meshConfig = loadMeshConfig(opts.meshConfigFile);
  const meshNetworks = loadMeshNetworks(opts.meshNetworksFile);
  const baselineMod =
    opts.baseline || opts.writeBaseline ? await import('../analyzers/baseline.js') : undefined;
  const baseline = opts.baseline ? baselineMod!.readBaseline(opts.baseline) : undefined;

  if (paths.includes('-') && process.stdin.isTTY && format === 'log') warn('Reading from stdin:');
  const { analyzePaths } = await import('../analyzers/pipeline.js');
  const outcome = await analyzePaths({
    paths,
    load: { maxFileBytes: maxMiB * 1024 * 1024 },
    defaultNamespace: opts.allNamespaces ? undefined : (opts.namespace ?? 'default'),
    reportNamespace: opts.namespace,
    istioNamespace: opts.istioNamespace,
    meshConfig,
    meshNetworks,
    defaultIngress: true,
    analyzers: selected,
    suppress: rules,
    external,
    baseline,
    failureThreshold,
    ignoreParseErrors: Boolean(opts.ignoreUnknown),
  });

  // Input problems always go to stderr, one line each (notes only with --verbose).
  for (const p of outcome.load.problems) {
    if (p.severity === 'note' && !opts.verbose) continue;
    const loc = p.line ? `${p.file}:${p.line}${p.column ? `:${p.column}` : ''}` : p.file;
    warn(`${p.severity}: ${loc}: ${p.message}`);
  }
  for (const d of outcome.run.snapshot.duplicates) {
    const where = (r: typeof d.kept) => `${r.origin.file}:${r.origin.line}`;
    warn(
      `warning: ${where(d.kept)}: ${d.kept.kind} ${d.kept.namespace ? `${d.kept.namespace}/` : ''}${d.kept.name} redefines the one at ${where(d.replaced)} (the later one is analyzed)`,
    );
  }
  if (opts.verbose) {
    const { verboseReport } = await import('../analyzers/verbose.js');
    warn(verboseReport(outcome));
  }

  if (opts.writeBaseline) {
    baselineMod!.writeBaseline(opts.writeBaseline, [...outcome.findings, ...outcome.inBaseline]);
    warn(
      `Wrote ${outcome.findings.length + outcome.inBaseline.length} findings to baseline ${opts.writeBaseline}.`,
    );
    return 0;
  }

  const { LEVEL_RANK } = await import('../analyzers/types.js');
  const shown = outcome.findings.filter((f) => LEVEL_RANK[f.level] <= LEVEL_RANK[outputThreshold]);
  const target = paths.length === 1 ? paths[0] : `${paths.length} paths`;
  if (format === 'log') {
    const { renderLog } = await import('../render/findings.js');
    const color = colorEnabled(process.stdout, opts.color);
    await writeStdout(renderLog(shown, color));
  } else if (format === 'github') {
    const { renderGithub } = await import('../render/findings.js');
    await writeStdout(renderGithub(shown));
  } else if (format === 'junit') {
    const { renderJunit } = await import('../render/ci.js');
    await writeStdout(
      renderJunit({
        findings: shown,
        problems: outcome.load.problems,
        executed: outcome.run.executed.map((name, i) => ({
          analyzer: findAnalyzer(name)!,
          ms: outcome.run.timings[i] ?? 0,
        })),
        skipped: outcome.run.skipped,
        resources: outcome.run.snapshot.all(),
        failureThreshold,
      }),
    );
  } else if (format === 'codeclimate') {
    const { renderCodeClimate } = await import('../render/ci.js');
    await writeStdout(renderCodeClimate(shown, outcome.load.problems));
  } else if (format === 'sarif') {
    const { renderSarif } = await import('../render/sarif.js');
    await writeStdout(renderSarif(shown, outcome.load.problems, clientVersion()));
  } else {
    const { toReportFinding, countLevels, REPORT_VERSION } = await import('../render/report.js');
    const counts = countLevels(shown);
    const report = {
      apiVersion: 'mesh/v1' as const,
      kind: 'AnalysisReport' as const,
      version: REPORT_VERSION,
      findings: shown.map((f) => toReportFinding(f)),
      problems: outcome.load.problems,
      skippedAnalyzers: outcome.run.skipped.map((s) => ({ analyzer: s.name, reason: s.reason })),
      summary: {
        ...counts,
        total: shown.length,
        files: outcome.load.files.length,
        resources: outcome.load.resources.length,
        parseErrors: outcome.parseErrors.length,
        suppressed: outcome.run.suppressed,
        hiddenByNamespace: outcome.run.hiddenByNamespace,
        inBaseline: outcome.inBaseline.length,
        analyzers: outcome.run.executed.length,
        skippedAnalyzers: outcome.run.skipped.length,
        exitCode: outcome.exitCode,
      },
    };
    const { renderJson, renderYaml } = await import('../render/findings.js');
    await writeStdout(format === 'json' ? renderJson(report) : await renderYaml(report));
  }

  if (format === 'log') {
    if (outcome.run.hiddenByNamespace > 0)
      warn(
        `note: ${outcome.run.hiddenByNamespace} finding(s) on objects outside namespace ${opts.namespace} not shown (drop -n to see them)`,
      );
    if (outcome.inBaseline.length > 0)
      warn(`note: ${outcome.inBaseline.length} finding(s) matched the baseline and do not fail the run`);
    // A missing input never ends in a success line: the run did not look at what was asked.
    if (outcome.missing.length > 0) warn(`Error: ${outcome.missing.length} input path(s) could not be read.`);
    if (outcome.findings.length === 0) {
      if (outcome.missing.length > 0) return outcome.exitCode;
      const suffix =
        outcome.parseErrors.length > 0
          ? ` (but ${outcome.parseErrors.length} document(s) could not be parsed)`
          : '';
      warn(`✔ No validation issues found when analyzing ${target}${suffix}.`);
    } else if (outcome.exitCode === 79) {
      warn(`Error: Analyzers found issues when analyzing ${target}.`);
    }
  }
  return outcome.exitCode;
}
