import { Command, Option } from 'commander';
import { ExitCode, usageError } from '../util/errors.js';
import { parseOutputFormat, writeStdout, warn } from '../util/output.js';
import { colorEnabled } from '../util/tty.js';
import { clientVersion } from '../util/version.js';
import { parseDuration } from '../util/duration.js';
import type { Level } from '../analyzers/types.js';
import type { Resource } from '../manifests/types.js';
import type { Chunks } from '../render/chunks.js';
import { namespaceArg } from '../util/names.js';
import { collect } from '../util/flags.js';
import { realPathOf } from '../util/paths.js';
import type { RemoteCluster } from '../kube/analyze-inputs.js';
import type { DeniedKind } from '../kube/cluster.js';

const FORMATS = ['log', 'json', 'yaml', 'sarif', 'github', 'junit', 'codeclimate'] as const;
const LEVELS: Level[] = ['Error', 'Warning', 'Info'];

function parseLevel(value: string, flag: string): Level {
  const l = LEVELS.find((x) => x.toLowerCase() === value.toLowerCase());
  if (!l) throw usageError(`invalid ${flag} "${value}"`, 'use Error, Warning or Info');
  return l;
}

export function register(program: Command): void {
  const command = program.command('analyze');
  command.on('option:no-recursive', () =>
    command.error('error: --recursive=false is not supported: mesh always walks folders recursively', {
      code: 'mesh.recursiveOff',
    }),
  );
  command
    .description(
      'Validate and lint Istio configuration in files, folders or stdin; with no paths, the current cluster',
    )
    .argument(
      '[paths...]',
      'files or folders (walked recursively; .yaml, .yml, .json), or - for stdin; none: analyze the cluster',
    )
    .option('-o, --output <format>', `output format: ${FORMATS.join('|')}`, 'log')
    .option(
      '-n, --namespace <ns>',
      'give namespace-less documents this namespace and report only on it',
      namespaceArg,
    )
    .option('-A, --all-namespaces', 'documents without a namespace keep none (origin reads "Kind name")')
    .option('-i, --istioNamespace <ns>', 'namespace of the control plane', 'istio-system')
    .option(
      '-k, --use-kube',
      'overlay the files on the current cluster (what applying them would cause); =false: files alone',
    )
    .addOption(new Option('--no-use-kube', 'files alone, offline (the default)').hideHelp())
    .option('-R, --recursive', "accepted as istioctl's: folders are always walked recursively")
    // (`--recursive=false` arrives as this: analyzing sub-folders a user asked to leave out would be
    // silently different, so it is refused; istioctl ignores it)
    .addOption(new Option('--no-recursive').hideHelp())
    .option(
      '-c, --kubeconfig <file>',
      'kubeconfig to use for the cluster (default: $KUBECONFIG, ~/.kube/config)',
    )
    .option('--context <name>', 'kubeconfig context to use for the cluster')
    .option(
      '--remote-contexts <context>',
      "contexts of the mesh's remote clusters, analyzed with it (repeatable); default: the clusters of the control plane's istio/multiCluster Secrets",
      collect,
      [],
    )
    .option(
      '--no-remote-secrets',
      "do not analyze the remote clusters the control plane's istio/multiCluster Secrets name (the primary alone, unless --remote-contexts)",
    )
    .option(
      '-r, --revision <rev>',
      'control plane revision the cluster is analyzed for: its mesh config; objects labelled istio.io/rev for others are not read',
    )
    .option('--timeout <duration>', 'timeout for reading the cluster', '60s')
    .option(
      '--kubeclient-timeout <duration>',
      "timeout of each request to a cluster's API server (istioctl's; 0: none)",
      '15s',
    )
    .option(
      '--failure-threshold <level>',
      'lowest level that makes the exit code 79 (Error|Warning|Info)',
      'Error',
    )
    .option('--output-threshold <level>', 'lowest level that is printed (Error|Warning|Info)', 'Info')
    .option(
      '--report <format:file>',
      `also write the report in this format to a file, from the same run (repeatable; e.g. sarif:mesh.sarif; formats: ${FORMATS.join('|')})`,
      collect,
      [],
    )
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
  const reports = parseReports(opts.report ?? []);
  if (reports.length > 0 && (opts.listAnalyzers || opts.writeBaseline))
    throw usageError(
      `--report cannot be combined with ${opts.listAnalyzers ? '--list-analyzers' : '--write-baseline'}`,
      opts.listAnalyzers ? 'use -o for the analyzer list' : 'write the baseline and the reports in two runs',
    );
  const { findAnalyzer } = await import('../analyzers/registry.js');

  if (opts.listAnalyzers) {
    const { renderAnalyzerList } = await import('../render/analyzers.js');
    await writeStdout(await renderAnalyzerList(format));
    return 0;
  }
  if (opts.namespace && opts.allNamespaces)
    throw usageError('-n/--namespace and -A/--all-namespaces cannot be combined');
  const selected = (opts.analyzer as string[]).map((name) => {
    const a = findAnalyzer(name);
    if (!a) throw usageError(`unknown analyzer "${name}"`, 'see mesh analyze --list-analyzers');
    return a;
  });
  const maxMiB = Number(opts.maxFileSize);
  const { MAX_FILE_SIZE_MIB } = await import('../manifests/limits.js');
  if (!Number.isFinite(maxMiB) || maxMiB <= 0 || maxMiB > MAX_FILE_SIZE_MIB)
    throw usageError(
      `invalid --max-file-size "${opts.maxFileSize}": a number of MiB above 0, at most ${MAX_FILE_SIZE_MIB}`,
      `a file is parsed as one string, and Node's strings hold less than 512 MiB`,
    );

  if (paths.length === 0 && opts.useKube === false)
    throw usageError(
      'nothing to analyze: --use-kube=false and no paths',
      'name files or folders, or - for stdin',
    );

  const remoteContexts = (opts.remoteContexts as string[]).flatMap((c) => c.split(',')).filter(Boolean);
  if (remoteContexts.length > 0 && paths.length > 0 && !opts.useKube)
    throw usageError(
      '--remote-contexts needs the cluster: analyze it (no paths), or overlay the files on it with --use-kube',
    );

  const { readExternalPatterns } = await import('../analyzers/external.js');
  const external = readExternalPatterns(opts.external, opts.externalFile);
  const { parseSuppressRules } = await import('../analyzers/suppress.js');
  const { rules, warnings } = parseSuppressRules(opts.suppress);
  for (const w of warnings) warn(`Warning: ${w}`);
  const { loadMeshConfig, loadMeshNetworks } = await import('../analyzers/meshconfig.js');
  let meshConfig = loadMeshConfig(opts.meshConfigFile);
  let meshNetworks = loadMeshNetworks(opts.meshNetworksFile);
  const timeoutMs = parseDuration(opts.timeout, '--timeout');
  const requestTimeoutMs = parseDuration(opts.kubeclientTimeout, '--kubeclient-timeout');

  // No paths: the cluster. Paths with --use-kube: the files over the cluster. Files alone stay offline.
  // (client-node is loaded only then: files alone never pay for it.)
  const cluster =
    paths.length === 0 || opts.useKube
      ? await (
          await import('../kube/analyze-inputs.js')
        ).readClusterInputs({
          kubeconfig: opts.kubeconfig,
          context: opts.context,
          istioNamespace: opts.istioNamespace,
          revision: opts.revision,
          timeoutMs,
          requestTimeoutMs,
          remoteContexts,
          remoteSecrets: opts.remoteSecrets !== false,
        })
      : undefined;
  const { escapeControl } = await import('../render/escape.js');
  const { lineOf } = await import('../manifests/positions.js');
  if (cluster) {
    for (const d of cluster.denied)
      warn(
        `warning: ${unreadKind(d, `on ${cluster.server}`, escapeControl)}: analyzers that read it are skipped`,
      );
    for (const r of cluster.remotes) {
      if (r.error)
        warn(
          `warning: cannot read remote cluster ${r.id} (${r.from}${r.server ? `, ${r.server}` : ''}): ${r.error}: its objects are not analyzed`,
        );
      for (const d of r.read?.denied ?? [])
        warn(`warning: ${unreadKind(d, `in remote cluster ${r.id} (${r.server})`, escapeControl)}`);
    }
    for (const p of cluster.configProblems) warn(`warning: ${p}`);
    if (!opts.meshConfigFile && cluster.meshConfig)
      meshConfig = loadMeshConfig(undefined, cluster.meshConfig);
    if (!opts.meshNetworksFile && cluster.meshNetworks)
      meshNetworks = { networks: {}, ...cluster.meshNetworks };
  }
  // In the cluster, namespace-less objects and the report default to the context's namespace (as kubectl).
  const fallbackNamespace = cluster ? cluster.kube.namespace : 'default';
  const baselineMod =
    opts.baseline || opts.writeBaseline ? await import('../analyzers/baseline.js') : undefined;
  const baseline = opts.baseline ? baselineMod!.readBaseline(opts.baseline) : undefined;

  if (paths.includes('-') && process.stdin.isTTY && format === 'log') warn('Reading from stdin:');
  const { analyzePaths } = await import('../analyzers/pipeline.js');
  const reportNamespace =
    cluster && !opts.allNamespaces ? (opts.namespace ?? fallbackNamespace) : opts.namespace;
  const outcome = await analyzePaths({
    paths,
    load: { maxFileBytes: maxMiB * 1024 * 1024 },
    cluster: cluster?.resources,
    remote:
      cluster && cluster.remotes.length > 0
        ? {
            resources: cluster.remotes.flatMap((r) => r.read?.resources ?? []),
            unread: cluster.remotes.filter((r) => r.error).length,
          }
        : undefined,
    unreadable: cluster
      ? new Map(cluster.denied.map((d) => [d.key, `cannot ${d.verb} ${d.resource}`]))
      : undefined,
    defaultNamespace: opts.allNamespaces ? undefined : (opts.namespace ?? fallbackNamespace),
    reportNamespace,
    istioNamespace: opts.istioNamespace,
    meshConfig,
    meshNetworks,
    defaultIngress: !cluster,
    analyzers: selected,
    suppress: rules,
    external,
    baseline,
    failureThreshold,
    ignoreParseErrors: Boolean(opts.ignoreUnknown),
  });

  // A -n namespace the cluster (and the files over it) do not have: a mistyped one would end in a success
  // line about nothing. istioctl says `namespace "NS" not found` and analyzes nothing (exit 0); here the
  // analysis goes on, as before. Unsaid when the Namespaces could not be listed.
  if (
    cluster &&
    opts.namespace &&
    !cluster.denied.some((d) => d.key === 'core/Namespace') &&
    !hasNamespace(
      [
        ...cluster.resources,
        ...cluster.remotes.flatMap((r) => r.read?.resources ?? []),
        ...outcome.load.resources,
      ],
      opts.namespace,
    )
  )
    warn(
      escapeControl(
        `warning: namespace "${opts.namespace}" (-n) not found in ${cluster.remotes.length > 0 ? 'any cluster analyzed' : `the cluster at ${cluster.server}`}${paths.length > 0 ? ' or the files' : ''}`,
      ),
    );
  // An output file that is one of the inputs holding Kubernetes objects (a typo in --report or
  // --write-baseline) would replace the user's manifests with a report: refused before anything is written.
  // An earlier report read as input holds none (it is skipped with a note) and is replaced.
  const outputs = [
    ...reports.map((r) => ({ flag: `--report ${r.format}`, file: r.file, what: 'report' })),
    ...(opts.writeBaseline
      ? [{ flag: '--write-baseline', file: opts.writeBaseline as string, what: 'baseline' }]
      : []),
  ];
  if (outputs.length > 0) {
    const inputs = filesHoldingObjects(outcome.load.resources);
    const clobbered = outputs.find((o) => inputs.has(realPathOf(o.file)));
    if (clobbered)
      throw usageError(
        `${clobbered.flag}: ${clobbered.file} is an input that holds Kubernetes objects: the ${clobbered.what} would replace it`,
        `name another file for the ${clobbered.what}`,
      );
  }
  // Input problems always go to stderr, one line each (notes only with --verbose). What comes from the
  // inputs (file and object names) is shown with its control characters escaped (escapeControl), as in the
  // findings: a name holding a line break would start a line of its own (a forged `::error` workflow command).
  for (const p of outcome.load.problems) {
    if (p.severity === 'note' && !opts.verbose) continue;
    const loc = p.line ? `${p.file}:${p.line}${p.column ? `:${p.column}` : ''}` : p.file;
    warn(escapeControl(`${p.severity}: ${loc}: ${p.message}`));
  }
  // A file's object replacing the cluster's is the point of --use-kube, not a redefinition.
  for (const d of outcome.run.snapshot.duplicates.filter((x) => !x.replaced.origin.cluster)) {
    const where = (r: typeof d.kept) => `${r.origin.file}:${lineOf(r)}`;
    warn(
      escapeControl(
        `warning: ${where(d.kept)}: ${d.kept.kind} ${d.kept.namespace ? `${d.kept.namespace}/` : ''}${d.kept.name} redefines the one at ${where(d.replaced)} (the later one is analyzed)`,
      ),
    );
  }
  const deniedSkips = outcome.run.skipped.filter((s) => s.unreadable);
  if (deniedSkips.length > 0)
    warn(
      `warning: skipped ${deniedSkips.length} analyzer(s) that read those kinds: ${deniedSkips.map((s) => s.name).join(', ')}`,
    );
  const remoteFailures = cluster?.remotes.filter((r) => r.error) ?? [];
  if (opts.verbose && cluster)
    for (const r of cluster.remotes)
      if (r.read)
        warn(
          `Read ${r.read.resources.length} objects from remote cluster ${r.id} at ${r.server} in ${r.read.listMs} ms.`,
        );
  if (opts.verbose && cluster)
    warn(
      `Read ${cluster.resources.length} objects from the cluster at ${cluster.server} in ${cluster.listMs} ms` +
        (cluster.otherRevisions > 0
          ? ` (${cluster.otherRevisions} labelled for another revision than ${opts.revision ?? 'default'} not read).`
          : '.'),
    );
  if (opts.verbose) {
    const { verboseReport } = await import('../analyzers/verbose.js');
    const remotesRead = cluster?.remotes.filter((r) => r.read) ?? [];
    warn(
      verboseReport(
        outcome,
        cluster && {
          objects: cluster.resources.length,
          remoteObjects: remotesRead.reduce((n, r) => n + r.read!.resources.length, 0),
          remoteClusters: remotesRead.length,
          overlaid: paths.length > 0,
        },
      ),
    );
  }

  if (opts.writeBaseline) {
    // A baseline made from part of the inputs would let the findings of the rest pass unnoticed later.
    const unread = outcome.missing.length;
    const unparsed = opts.ignoreUnknown ? 0 : outcome.parseErrors.length;
    if (unread > 0 || unparsed > 0) {
      const what = [
        ...(unread > 0 ? [`${unread} input path(s) could not be read`] : []),
        ...(unparsed > 0 ? [`${unparsed} document(s) could not be parsed`] : []),
      ].join(' and ');
      warn(`Error: baseline ${opts.writeBaseline} not written: ${what}, and it would lack their findings`);
      return unread > 0 ? ExitCode.NOINPUT : ExitCode.DATA;
    }
    // replaced whole or not at all, as the reports are
    const { writeOutput } = await import('../util/write-output.js');
    try {
      await writeOutput(
        opts.writeBaseline,
        baselineMod!.baselineText([...outcome.findings, ...outcome.inBaseline]),
      );
    } catch (err) {
      warn(`Error: --write-baseline: ${(err as Error).message}`);
      return ExitCode.RUNTIME;
    }
    warn(
      `Wrote ${outcome.findings.length + outcome.inBaseline.length} findings to baseline ${opts.writeBaseline}.`,
    );
    return 0;
  }

  const { LEVEL_RANK } = await import('../analyzers/types.js');
  const shown = outcome.findings.filter((f) => LEVEL_RANK[f.level] <= LEVEL_RANK[outputThreshold]);
  // a path named twice (`mesh analyze - -`, `a.yaml a.yaml`) is read once, and counted once
  const named = [...new Set(paths)];
  const target =
    named.length === 0
      ? `the cluster at ${cluster!.server}`
      : (named.length > 1 ? `${named.length} paths` : named[0] === '-' ? 'standard input' : named[0]) +
        (cluster ? ' over the cluster' : '');
  // Written in pieces: a large report is longer than the longest string V8 can make.
  const { writeChunks, jsonChunks, batched, lazyMap } = await import('../render/chunks.js');
  const render = async (fmt: (typeof FORMATS)[number], color: boolean): Promise<Chunks> => {
    if (fmt === 'log') {
      const { logChunks } = await import('../render/findings.js');
      return logChunks(shown, color);
    } else if (fmt === 'github') {
      const { githubChunks } = await import('../render/findings.js');
      return githubChunks(shown, outcome.load.problems);
    } else if (fmt === 'junit') {
      const { junitChunks } = await import('../render/ci.js');
      return junitChunks({
        findings: shown,
        problems: outcome.load.problems,
        executed: outcome.run.executed.map((name, i) => ({
          analyzer: findAnalyzer(name)!,
          ms: outcome.run.timings[i] ?? 0,
        })),
        skipped: outcome.run.skipped,
        resources: outcome.run.snapshot.all(),
        failureThreshold,
      });
    } else if (fmt === 'codeclimate') {
      const { codeClimateChunks } = await import('../render/ci.js');
      return codeClimateChunks(shown, outcome.load.problems);
    } else if (fmt === 'sarif') {
      const { sarifChunks } = await import('../render/sarif.js');
      return sarifChunks(shown, outcome.load.problems, clientVersion());
    }
    const { toReportFinding, countLevels, REPORT_VERSION } = await import('../render/report.js');
    const counts = countLevels(shown);
    const report = {
      apiVersion: 'mesh/v1' as const,
      kind: 'AnalysisReport' as const,
      version: REPORT_VERSION,
      findings: lazyMap(shown, (f) => toReportFinding(f)),
      problems: outcome.load.problems,
      skippedAnalyzers: outcome.run.skipped.map((s) => ({ analyzer: s.name, reason: s.reason })),
      summary: {
        ...counts,
        total: shown.length,
        files: outcome.load.files.length,
        resources: outcome.objects,
        ...(cluster
          ? {
              cluster: {
                server: cluster.server,
                objects: cluster.resources.length,
                kinds: countKinds(cluster.resources),
                listMs: cluster.listMs,
                otherRevisions: cluster.otherRevisions,
                denied: cluster.denied.map((d) => `${d.verb} ${d.resource}`),
                ...(cluster.remotes.length > 0 ? { remotes: cluster.remotes.map(remoteSummary) } : {}),
              },
            }
          : {}),
        parseErrors: outcome.parseErrors.length,
        suppressed: outcome.run.suppressed,
        hiddenByNamespace: outcome.run.hiddenByNamespace,
        inBaseline: outcome.inBaseline.length,
        analyzers: outcome.run.executed.length,
        skippedAnalyzers: outcome.run.skipped.length,
        exitCode: outcome.exitCode,
      },
    };
    const { yamlChunks } = await import('../render/findings.js');
    return fmt === 'json' ? jsonChunks(report) : await yamlChunks(report);
  };
  // The files first (what CI uploads), each whole or not at all; one that cannot be written is said and
  // fails the run (exit 1), after the rest is written.
  let unwritten = 0;
  if (reports.length > 0) {
    const { writeOutput } = await import('../util/write-output.js');
    for (const r of reports) {
      try {
        await writeOutput(r.file, batched(await render(r.format, false)));
      } catch (err) {
        unwritten++;
        warn(`Error: --report ${r.format}: ${(err as Error).message}`);
      }
    }
  }
  await writeChunks(await render(format, format === 'log' && colorEnabled(process.stdout, opts.color)));

  if (format === 'log') {
    // (against the cluster, a run without -n reports on the context's namespace: only -A shows them all)
    if (outcome.run.hiddenByNamespace > 0)
      warn(
        `note: ${outcome.run.hiddenByNamespace} finding(s) on objects outside namespace ${reportNamespace} not shown (${opts.namespace && !cluster ? 'drop -n to see them' : '-A shows them'})`,
      );
    if (outcome.inBaseline.length > 0)
      warn(`note: ${outcome.inBaseline.length} finding(s) matched the baseline and do not fail the run`);
    // A missing input never ends in a success line: the run did not look at what was asked.
    if (outcome.missing.length > 0) warn(`Error: ${outcome.missing.length} input path(s) could not be read.`);
    if (outcome.findings.length === 0) {
      if (outcome.missing.length > 0) return outcome.exitCode;
      // A success line says what the run did not look at: unparsable documents, analyzers skipped
      // because kinds they read could not be read (refused, failed, or served only in unknown versions).
      const but = [
        ...(outcome.parseErrors.length > 0
          ? [`${outcome.parseErrors.length} document(s) could not be parsed`]
          : []),
        ...(deniedSkips.length > 0
          ? [`${deniedSkips.length} analyzer(s) were skipped: kinds they read could not be read`]
          : []),
        ...(remoteFailures.length > 0
          ? [`${remoteFailures.length} remote cluster(s) could not be read`]
          : []),
      ];
      const suffix = but.length > 0 ? ` (but ${but.join('; ')})` : '';
      warn(`✔ No validation issues found when analyzing ${target}${suffix}.`);
    } else if (outcome.exitCode === 79) {
      warn(`Error: Analyzers found issues when analyzing ${target}.`);
    }
  }
  return unwritten > 0 ? ExitCode.RUNTIME : outcome.exitCode;
}

/** The real paths of the files the objects were read from (not stdin, not the cluster). */
function filesHoldingObjects(resources: readonly Resource[]): Set<string> {
  const files = new Set<string>();
  for (const r of resources) if (r.origin.file && r.origin.file !== '-') files.add(r.origin.file);
  return new Set([...files].map(realPathOf));
}

/** `--report FORMAT:FILE` values (split at the first colon: formats have none, Windows paths do). */
function parseReports(specs: string[]): Array<{ format: (typeof FORMATS)[number]; file: string }> {
  const reports = specs.map((spec) => {
    const colon = spec.indexOf(':');
    const format = spec.slice(0, colon).toLowerCase() as (typeof FORMATS)[number];
    const file = spec.slice(colon + 1);
    if (colon < 0 || !FORMATS.includes(format) || file === '')
      throw usageError(
        `invalid --report "${spec}": FORMAT:FILE, with FORMAT one of ${FORMATS.join(', ')}`,
        'e.g. --report sarif:mesh.sarif',
      );
    if (file === '-') throw usageError(`invalid --report "${spec}": - is stdout, whose format -o sets`);
    return { format, file };
  });
  // one file however it is spelled (`r`, `./r`, its absolute path, a symlink to it): the later report would
  // replace the other
  const seen = new Map<string, string>();
  for (const { file } of reports) {
    const real = realPathOf(file);
    const first = seen.get(real);
    if (first !== undefined)
      throw usageError(`--report names ${first} twice${first === file ? '' : ` (as ${first} and ${file})`}`);
    seen.set(real, file);
  }
  return reports;
}

/**
 * What could not be read of a kind, and why beyond a refusal: the server's failure, or the versions it serves
 * an Istio kind in when mesh knows none of them.
 */
function unreadKind(d: DeniedKind, where: string, escapeControl: (s: string) => string): string {
  const why = d.servedOnly
    ? ` (${escapeControl(d.message)})`
    : d.failedWith
      ? ` (it answered ${d.failedWith}: ${escapeControl(d.message)})`
      : '';
  return `cannot ${d.verb} ${d.resource} (${d.kind}) ${where}${why}`;
}

/** A remote cluster in the JSON summary: what was read from it, or why it was not. */
function remoteSummary(r: RemoteCluster): Record<string, unknown> {
  const read = r.read;
  return {
    cluster: r.id,
    from: r.from,
    ...(r.server ? { server: r.server } : {}),
    ...(read
      ? {
          objects: read.resources.length,
          kinds: countKinds(read.resources),
          listMs: read.listMs,
          denied: read.denied.map((d) => `${d.verb} ${d.resource}`),
        }
      : { error: r.error }),
  };
}

/** Whether `resources` hold the Namespace `name`. */
function hasNamespace(resources: readonly { key: string; name: string }[], name: string): boolean {
  return resources.some((r) => r.key === 'core/Namespace' && r.name === name);
}

/** Objects read from the cluster per kind key (`core/Pod`: 12). */
function countKinds(resources: readonly { key: string }[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of resources) out[r.key] = (out[r.key] ?? 0) + 1;
  return out;
}
