/**
 * `mesh analyze` past its flags: reads the cluster when asked (naming what could not be read), runs the
 * pipeline over the inputs, says the input problems and redefinitions on stderr, and writes the
 * baseline or the reports and the findings; returns the exit code. The command (commands/analyze.ts)
 * checks the flags and turns them into an AnalyzeCliRequest.
 */
import { ExitCode, usageError } from '../util/errors.js';
import { warn } from '../util/output.js';
import { colorEnabled } from '../util/tty.js';
import { clientVersion } from '../util/version.js';
import { realPathOf } from '../util/paths.js';
import type { Analyzer, Level } from './types.js';
import type { ExternalPattern } from './external.js';
import type { SuppressRule } from './suppress.js';
import type { Resource } from '../manifests/types.js';
import type { Chunks } from '../render/chunks.js';
import type { ClusterInputOptions, RemoteCluster } from '../kube/analyze-inputs.js';
import type { DeniedKind } from '../kube/cluster.js';

/** The formats of the report (-o, --report). */
export const REPORT_FORMATS = ['log', 'json', 'yaml', 'sarif', 'github', 'junit', 'codeclimate'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** What `mesh analyze` was asked, its flags checked and read. */
export interface AnalyzeCliRequest {
  /** Files and folders (`-` for stdin); none: the cluster alone. */
  paths: string[];
  format: ReportFormat;
  failureThreshold: Level;
  outputThreshold: Level;
  /** `--report FORMAT:FILE`: reports written to files besides stdout's. */
  reports: Array<{ format: ReportFormat; file: string }>;
  /** --analyzer: these only; empty: all. */
  analyzers: Analyzer[];
  maxFileBytes: number;
  /** -n */
  namespace: string | undefined;
  /** -A */
  allNamespaces: boolean;
  istioNamespace: string;
  /** The cluster to read (no paths, or paths with --use-kube); undefined: the files alone, offline. */
  cluster: ClusterInputOptions | undefined;
  external: ExternalPattern[];
  suppress: SuppressRule[];
  /** --meshConfigFile's, else the default; the cluster's replaces it unless it is from the file. */
  meshConfig: Record<string, any>;
  meshConfigFromFile: boolean;
  /** --meshNetworksFile's, else the default; the cluster's replaces it unless it is from the file. */
  meshNetworks: Record<string, any>;
  meshNetworksFromFile: boolean;
  /** --baseline: a baseline file to read. */
  baseline: string | undefined;
  /** --write-baseline: write the findings as a baseline here instead of a report. */
  writeBaseline: string | undefined;
  /** --ignore-unknown */
  ignoreUnknown: boolean;
  verbose: boolean;
  /** --color (true), --no-color (false), or neither. */
  color: boolean | undefined;
}

/** Analyzes what `req` asks for and writes the outcome; returns the exit code. */
export async function runAnalyzeCli(req: AnalyzeCliRequest): Promise<number> {
  const { paths, format, failureThreshold, outputThreshold, reports } = req;
  let { meshConfig, meshNetworks } = req;
  // (client-node is loaded only with a cluster: files alone never pay for it.)
  const cluster = req.cluster
    ? await (await import('../kube/analyze-inputs.js')).readClusterInputs(req.cluster)
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
    if (!req.meshConfigFromFile && cluster.meshConfig)
      meshConfig = (await import('./meshconfig.js')).loadMeshConfig(undefined, cluster.meshConfig);
    if (!req.meshNetworksFromFile && cluster.meshNetworks)
      meshNetworks = { networks: {}, ...cluster.meshNetworks };
  }
  // In the cluster, namespace-less objects and the report default to the context's namespace (as kubectl).
  const fallbackNamespace = cluster ? cluster.kube.namespace : 'default';
  const baselineMod = req.baseline || req.writeBaseline ? await import('./baseline.js') : undefined;
  const baseline = req.baseline ? baselineMod!.readBaseline(req.baseline) : undefined;

  if (paths.includes('-') && process.stdin.isTTY && format === 'log') warn('Reading from stdin:');
  const { analyzePaths } = await import('./pipeline.js');
  const reportNamespace =
    cluster && !req.allNamespaces ? (req.namespace ?? fallbackNamespace) : req.namespace;
  const outcome = await analyzePaths({
    paths,
    load: { maxFileBytes: req.maxFileBytes },
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
    defaultNamespace: req.allNamespaces ? undefined : (req.namespace ?? fallbackNamespace),
    reportNamespace,
    istioNamespace: req.istioNamespace,
    meshConfig,
    meshNetworks,
    defaultIngress: !cluster,
    analyzers: req.analyzers,
    suppress: req.suppress,
    external: req.external,
    baseline,
    failureThreshold,
    ignoreParseErrors: req.ignoreUnknown,
  });

  // A -n namespace the cluster (and the files over it) do not have: a mistyped one would end in a success
  // line about nothing. istioctl says `namespace "NS" not found` and analyzes nothing (exit 0); here the
  // analysis goes on, as before. Unsaid when the Namespaces could not be listed.
  if (
    cluster &&
    req.namespace &&
    !cluster.denied.some((d) => d.key === 'core/Namespace') &&
    !hasNamespace(
      [
        ...cluster.resources,
        ...cluster.remotes.flatMap((r) => r.read?.resources ?? []),
        ...outcome.load.resources,
      ],
      req.namespace,
    )
  )
    warn(
      escapeControl(
        `warning: namespace "${req.namespace}" (-n) not found in ${cluster.remotes.length > 0 ? 'any cluster analyzed' : `the cluster at ${cluster.server}`}${paths.length > 0 ? ' or the files' : ''}`,
      ),
    );
  // An output file that is one of the inputs holding Kubernetes objects (a typo in --report or
  // --write-baseline) would replace the user's manifests with a report: refused before anything is written.
  // An earlier report read as input holds none (it is skipped with a note) and is replaced.
  const outputs = [
    ...reports.map((r) => ({ flag: `--report ${r.format}`, file: r.file, what: 'report' })),
    ...(req.writeBaseline ? [{ flag: '--write-baseline', file: req.writeBaseline, what: 'baseline' }] : []),
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
    if (p.severity === 'note' && !req.verbose) continue;
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
  if (req.verbose && cluster)
    for (const r of cluster.remotes)
      if (r.read)
        warn(
          `Read ${r.read.resources.length} objects from remote cluster ${r.id} at ${r.server} in ${r.read.listMs} ms.`,
        );
  if (req.verbose && cluster)
    warn(
      `Read ${cluster.resources.length} objects from the cluster at ${cluster.server} in ${cluster.listMs} ms` +
        (cluster.otherRevisions > 0
          ? ` (${cluster.otherRevisions} labelled for another revision than ${req.cluster?.revision ?? 'default'} not read).`
          : '.'),
    );
  if (req.verbose) {
    const { verboseReport } = await import('./verbose.js');
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

  if (req.writeBaseline) {
    // A baseline made from part of the inputs would let the findings of the rest pass unnoticed later.
    const unread = outcome.missing.length;
    const unparsed = req.ignoreUnknown ? 0 : outcome.parseErrors.length;
    if (unread > 0 || unparsed > 0) {
      const what = [
        ...(unread > 0 ? [`${unread} input path(s) could not be read`] : []),
        ...(unparsed > 0 ? [`${unparsed} document(s) could not be parsed`] : []),
      ].join(' and ');
      warn(`Error: baseline ${req.writeBaseline} not written: ${what}, and it would lack their findings`);
      return unread > 0 ? ExitCode.NOINPUT : ExitCode.DATA;
    }
    // replaced whole or not at all, as the reports are
    const { writeOutput } = await import('../util/write-output.js');
    try {
      await writeOutput(
        req.writeBaseline,
        baselineMod!.baselineText([...outcome.findings, ...outcome.inBaseline]),
      );
    } catch (err) {
      warn(`Error: --write-baseline: ${(err as Error).message}`);
      return ExitCode.RUNTIME;
    }
    warn(
      `Wrote ${outcome.findings.length + outcome.inBaseline.length} findings to baseline ${req.writeBaseline}.`,
    );
    return 0;
  }

  const { LEVEL_RANK } = await import('./types.js');
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
  const render = async (fmt: ReportFormat, color: boolean): Promise<Chunks> => {
    if (fmt === 'log') {
      const { logChunks } = await import('../render/findings.js');
      return logChunks(shown, color);
    } else if (fmt === 'github') {
      const { githubChunks } = await import('../render/findings.js');
      return githubChunks(shown, outcome.load.problems);
    } else if (fmt === 'junit') {
      const { junitChunks } = await import('../render/ci.js');
      const { findAnalyzer } = await import('./registry.js');
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
  await writeChunks(await render(format, format === 'log' && colorEnabled(process.stdout, req.color)));

  if (format === 'log') {
    // (against the cluster, a run without -n reports on the context's namespace: only -A shows them all)
    if (outcome.run.hiddenByNamespace > 0)
      warn(
        `note: ${outcome.run.hiddenByNamespace} finding(s) on objects outside namespace ${reportNamespace} not shown (${req.namespace && !cluster ? 'drop -n to see them' : '-A shows them'})`,
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
